// libFuzzer target for the packet language (ruleset/packet.hpp): any bytes into
// parse_packet. It must return a packet or an error naming what is wrong, never crash;
// a packet it accepts prints (str()) as text that parses back to the same packet.
// Built and run by tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ruleset/packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto p = vpcfw::parse_packet(text);
    if (!p) {
        if (p.error().message.empty()) __builtin_trap();  // an error must say what is wrong
        return 0;
    }
    std::string again = p->str();
    auto q = vpcfw::parse_packet(again);
    if (!q || q->str() != again) __builtin_trap();      // str() parses back to itself
    (void)p->flow_str();
    (void)p->ip_bytes();
    return 0;
}
