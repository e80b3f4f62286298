// The control-socket protocol of `vpcfw run` (control/control_socket.hpp) against a fake
// live run: no root, no DPDK ports. One reply per command, the shapes `vpcfw ctl` reads,
// refusals with AWS's code, malformed requests, and one round trip over a real Unix
// socket with the `vpcfw ctl` client (ctl_request).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include <unistd.h>

#include "control/control_socket.hpp"
#include "control/ctl.hpp"

using namespace vpcfw;
using nlohmann::json;

namespace {

// Records what the protocol asked for and answers with fixed values.
class FakeLive : public LiveControl {
public:
    json stats() override { return {{"packets", 7}, {"dropped_by_layer", {{"sg-ingress", 2}}}}; }
    Result<Published> apply(const std::string& action, const json& params) override {
        last_action = action;
        last_params = params;
        if (action == "RevokeSecurityGroupIngress" && params.value("GroupId", "") == "sg-missing")
            return make_error("The security group 'sg-missing' does not exist", "InvalidGroup.NotFound");
        if (action == "Broken") return make_error("cannot compile");
        return Published{action, ++version, 1.5, 0.25};
    }
    Result<Published> reload(const std::string& path) override {
        last_path = path;
        if (path == "/nope") return make_error("/nope: cannot read");
        return Published{"reload", ++version, 2.0, 0.5};
    }
    json flows() override {
        if (throw_in_flows) throw std::runtime_error("boom");
        return {{"flows", json::array({{{"flow", "tcp 1.2.3.4:5 -> 6.7.8.9:80"}}})},
                {"connections", json::array()},
                {"nat", json::array()}};
    }
    Decision explain(const Packet& packet, const std::string& from) override {
        last_packet = packet.str();
        last_from = from;
        Decision d;
        d.action = Action::Drop;
        d.layer = Layer::SgIngress;
        d.reason = "no-matching-rule";
        d.flow = packet.flow_str();
        return d;
    }

    uint64_t version = 1;
    bool throw_in_flows = false;
    std::string last_action, last_path, last_packet, last_from;
    json last_params;
};

json ask(LiveControl& live, const std::string& request) {
    std::string reply = control_reply(live, request);
    EXPECT_EQ(reply.find('\n'), std::string::npos) << "one line: " << reply;
    return json::parse(reply);
}

} // namespace

TEST(ControlSocket, Stats) {
    FakeLive live;
    json r = ask(live, R"({"cmd":"stats"})");
    EXPECT_EQ(r["ok"], true);
    EXPECT_EQ(r["stats"]["packets"], 7);
    EXPECT_EQ(r["stats"]["dropped_by_layer"]["sg-ingress"], 2);
}

TEST(ControlSocket, ApplyPublishesAVersion) {
    FakeLive live;
    json r = ask(live, R"({"cmd":"apply","action":"AuthorizeSecurityGroupIngress","params":{"GroupId":"sg-1"}})");
    EXPECT_EQ(r, (json{{"ok", true}, {"applied", "AuthorizeSecurityGroupIngress"}, {"version", 2},
                       {"compile_ms", 1.5}, {"publish_ms", 0.25}}));
    EXPECT_EQ(live.last_action, "AuthorizeSecurityGroupIngress");
    EXPECT_EQ(live.last_params, (json{{"GroupId", "sg-1"}}));
    // Parameters default to an empty object.
    ask(live, R"({"cmd":"apply","action":"X"})");
    EXPECT_EQ(live.last_params, json::object());
}

TEST(ControlSocket, ApplyRefusedCarriesAwsCode) {
    FakeLive live;
    json r = ask(live, R"({"cmd":"apply","action":"RevokeSecurityGroupIngress","params":{"GroupId":"sg-missing"}})");
    EXPECT_EQ(r, (json{{"ok", false}, {"error", "The security group 'sg-missing' does not exist"},
                       {"code", "InvalidGroup.NotFound"}}));
    // A failure that is not AWS's refusal has no code.
    r = ask(live, R"({"cmd":"apply","action":"Broken"})");
    EXPECT_EQ(r, (json{{"ok", false}, {"error", "cannot compile"}}));
}

TEST(ControlSocket, Reload) {
    FakeLive live;
    json r = ask(live, R"({"cmd":"reload","network":"/tmp/net.json"})");
    EXPECT_EQ(r["ok"], true);
    EXPECT_EQ(r["applied"], "reload");
    EXPECT_EQ(r["version"], 2);
    EXPECT_EQ(live.last_path, "/tmp/net.json");
    r = ask(live, R"({"cmd":"reload","network":"/nope"})");
    EXPECT_EQ(r, (json{{"ok", false}, {"error", "/nope: cannot read"}}));
}

TEST(ControlSocket, Flows) {
    FakeLive live;
    json r = ask(live, R"({"cmd":"flows"})");
    EXPECT_EQ(r["ok"], true);
    ASSERT_EQ(r["flows"].size(), 1u);
    EXPECT_EQ(r["flows"][0]["flow"], "tcp 1.2.3.4:5 -> 6.7.8.9:80");
    EXPECT_TRUE(r["connections"].is_array());
    EXPECT_TRUE(r["nat"].is_array());
}

TEST(ControlSocket, Explain) {
    FakeLive live;
    json r = ask(live, R"({"cmd":"explain","packet":"tcp 198.51.100.7:40000 -> 203.0.113.10:22","from":"internet"})");
    EXPECT_EQ(r["ok"], true);
    EXPECT_EQ(live.last_from, "internet");
    EXPECT_NE(r["text"].get<std::string>().find("DROP"), std::string::npos) << r["text"];
    EXPECT_EQ(r["decision"]["action"], "DROP");
    EXPECT_EQ(r["decision"]["layer"], "sg-ingress");
    // "from" defaults to auto inference.
    ask(live, R"({"cmd":"explain","packet":"udp 10.0.0.1:5 -> 10.0.0.2:53"})");
    EXPECT_EQ(live.last_from, "auto");
    // A packet the language does not parse: the parser's message.
    r = ask(live, R"({"cmd":"explain","packet":"tcp nowhere"})");
    EXPECT_EQ(r["ok"], false);
    EXPECT_FALSE(r["error"].get<std::string>().empty());
}

TEST(ControlSocket, MalformedRequests) {
    FakeLive live;
    json r = ask(live, "not json");
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["error"].get<std::string>().rfind("not a JSON request: ", 0), 0u) << r;
    r = ask(live, "");
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["error"].get<std::string>().rfind("not a JSON request: ", 0), 0u) << r;
    r = ask(live, "{}");
    EXPECT_EQ(r, (json{{"ok", false}, {"error", "unknown command '' (apply, reload, stats, flows, explain)"}}));
    r = ask(live, R"({"cmd":"shutdown"})");
    EXPECT_EQ(r, (json{{"ok", false}, {"error", "unknown command 'shutdown' (apply, reload, stats, flows, explain)"}}));
    // Wrong types and a failing run are answered, not thrown.
    r = ask(live, R"({"cmd":5})");
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["error"].get<std::string>().rfind("internal error: ", 0), 0u) << r;
    r = ask(live, R"({"cmd":"apply","action":7})");
    EXPECT_EQ(r["error"].get<std::string>().rfind("internal error: ", 0), 0u) << r;
    live.throw_in_flows = true;
    r = ask(live, R"({"cmd":"flows"})");
    EXPECT_EQ(r, (json{{"ok", false}, {"error", "internal error: boom"}}));
}

TEST(ControlSocket, DeepRequestsAreRefusedNamingTheLimit) {
    // An apply whose params nest 100,000 deep: refused at parse, before any copy or walk.
    FakeLive live;
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    json r = ask(live, R"({"cmd":"apply","action":"AuthorizeSecurityGroupIngress","params":{"IpPermissions":)" + deep + "}}");
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["error"], "not a JSON request: JSON nests deeper than the limit of 128 levels") << r;
    EXPECT_EQ(live.last_action, "");
}

TEST(ControlSocket, RoundTripOverTheSocket) {
    FakeLive live;
    std::string path = (std::filesystem::temp_directory_path() / ("vpcfw-ctl-test-" + std::to_string(getpid()) + ".sock")).string();
    ControlSocket sock;
    ASSERT_TRUE(sock.listen(path));
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::atomic<bool> stopping{false};
    std::thread server([&] { sock.serve(live, stopping); });
    CtlReply r = ctl_request(path, R"({"cmd":"stats"})", 5000);
    EXPECT_TRUE(r.connected) << r.line;
    EXPECT_EQ(json::parse(r.line)["stats"]["packets"], 7);
    r = ctl_request(path, R"({"cmd":"apply","action":"RevokeSecurityGroupIngress","params":{"GroupId":"sg-missing"}})", 5000);
    EXPECT_EQ(json::parse(r.line)["code"], "InvalidGroup.NotFound");
    stopping = true;
    server.join();
    sock.close();
    EXPECT_FALSE(std::filesystem::exists(path));
    r = ctl_request(path, R"({"cmd":"stats"})", 1000);
    EXPECT_FALSE(r.connected);
    EXPECT_NE(r.line.find("cannot connect"), std::string::npos) << r.line;
}
