// libFuzzer target for the control-socket protocol (control/control_socket.hpp): any bytes
// as one request line into control_reply, against a fake live run (as
// tests/control/test_control_socket.cpp). Every request gets exactly one line back, valid
// JSON with "ok"; nothing crashes, however deep or malformed the request.
// Built and run by tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "control/control_socket.hpp"

using nlohmann::json;

namespace {

class FakeLive : public vpcfw::LiveControl {
public:
    json stats() override { return {{"packets", 7}}; }
    vpcfw::Result<vpcfw::Published> apply(const std::string& action, const json& params) override {
        if (params.is_object() && params.contains("GroupId") && !params["GroupId"].is_string())
            return vpcfw::make_error("bad GroupId", "InvalidParameterValue");
        (void)params.dump(-1, ' ', false, json::error_handler_t::replace);  // walks the whole tree
        return vpcfw::Published{action, 2, 1.0, 0.5};
    }
    vpcfw::Result<vpcfw::Published> reload(const std::string& path) override {
        return vpcfw::make_error(path + ": cannot read");
    }
    json flows() override { return {{"flows", json::array()}, {"connections", json::array()}, {"nat", json::array()}}; }
    vpcfw::Decision explain(const vpcfw::Packet& packet, const std::string&) override {
        vpcfw::Decision d;
        d.flow = packet.flow_str();
        return d;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static FakeLive live;
    std::string request(reinterpret_cast<const char*>(data), size);
    std::string reply = vpcfw::control_reply(live, request);
    if (reply.find('\n') != std::string::npos) __builtin_trap();  // one line
    json r = json::parse(reply, nullptr, false);
    if (r.is_discarded() || !r.is_object() || !r.contains("ok")) __builtin_trap();
    return 0;
}
