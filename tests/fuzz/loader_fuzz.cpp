// libFuzzer target for the AWS JSON loader: any bytes, as a bundle, into load_network_text.
// The loader must return a network or an error for every input; never crash, leak or hang.
// Built and run by tests/fuzz/run.sh (clang++ -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <string>

#include "ruleset/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    vpcfw::Result<vpcfw::Network> r = vpcfw::load_network_text(text, "<fuzz>");
    if (r.ok()) {
        // Walk the derived relations too: every index the loader filled must be in range.
        const vpcfw::Network& n = *r;
        for (vpcfw::Idx s = 0; s < n.subnets.size(); ++s) {
            (void)n.route_table_of_subnet(s);
            (void)n.nacl_of_subnet(s);
        }
        for (const auto& e : n.enis)
            if (e.subnet != vpcfw::kNone && e.subnet >= n.subnets.size()) __builtin_trap();
    } else if (r.error().message.empty()) {
        __builtin_trap(); // an error must say what is wrong
    }
    return 0;
}
