// vpcfw-soak: the differential harness of tests/diff for a long run. Generates N random
// networks with M steps each (seeded), runs every packet through the reference evaluator
// and the compiled pipeline, and prints packets/s of each engine and the mismatches
// (printed in full up to --print, dumped to $VPCFW_DIFF_DUMP like the test suite does).
// Exit 0 when every decision agreed, 1 on any mismatch, 2 on bad usage, 3 on failure.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "control/eal.hpp"
#include "tests/diff/harness.hpp"

namespace po = boost::program_options;
using namespace vpcfw;
using namespace vpcfw::diff;

int main(int argc, char** argv) {
    size_t networks = 1000, packets = 20000, print = 10, every = 0;
    uint64_t seed = 1;
    po::options_description opts("vpcfw-soak: the reference evaluator and the compiled pipeline on random networks");
    opts.add_options()("help,h", "this help")
        ("networks", po::value(&networks)->default_value(networks), "random networks")
        ("packets-per-network", po::value(&packets)->default_value(packets), "steps per network (packets and apply actions)")
        ("seed", po::value(&seed)->default_value(seed), "seed of the first network (network i uses seed + i)")
        ("print", po::value(&print)->default_value(print), "mismatches printed in full")
        ("progress", po::value(&every)->default_value(every), "print totals every N networks (0: only at the end)");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "vpcfw-soak: " << e.what() << "\n" << opts;
        return 2;
    }
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }
    if (Status s = ensure_eal(); !s.ok()) {
        std::cerr << "vpcfw-soak: " << s.error().str() << "\n";
        return 3;
    }
    HarnessOptions ho;
    ho.max_printed = print;
    Harness h(ho);
    HarnessStats st;
    auto t0 = std::chrono::steady_clock::now();
    auto report = [&](bool final) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%s%llu networks, %llu packets, %llu applies (%llu refused), %llu skipped origins, %.1f s\n",
                    final ? "" : "... ", (unsigned long long)st.networks, (unsigned long long)st.packets,
                    (unsigned long long)st.applies, (unsigned long long)st.applies_refused,
                    (unsigned long long)st.skipped_origins, secs);
        std::printf("  reference: %.0f packets/s (%.2f us/packet)\n", st.ref_s > 0 ? double(st.packets) / st.ref_s : 0.0,
                    st.packets ? st.ref_s * 1e6 / double(st.packets) : 0.0);
        std::printf("  compiled:  %.0f packets/s (%.3f us/packet, bursts of up to 64 via process_parsed)\n",
                    st.compiled_s > 0 ? double(st.packets) / st.compiled_s : 0.0,
                    st.packets ? st.compiled_s * 1e6 / double(st.packets) : 0.0);
        std::printf("  compiling: %.1f s for %llu versions\n", st.compile_s,
                    (unsigned long long)(st.networks + st.applies - st.applies_refused));
        std::printf("  mismatches: %llu packets, %llu apply steps, %llu compile failures\n",
                    (unsigned long long)st.mismatches, (unsigned long long)st.apply_mismatches,
                    (unsigned long long)st.compile_failures);
        std::fflush(stdout);
    };
    for (size_t i = 0; i < networks; ++i) {
        Status s = h.run_generated(seed + i, i, packets, st);
        if (!s.ok()) {
            std::cerr << "vpcfw-soak: " << s.error().str() << "\n";
            return 3;
        }
        if (every && (i + 1) % every == 0 && i + 1 < networks) report(false);
    }
    report(true);
    std::printf("%s", st.coverage.table().c_str());
    if (!st.mismatch_kinds.empty()) std::printf("mismatches by intent and field:\n");
    for (const auto& [k, v] : st.mismatch_kinds) std::printf("  %-60s %8llu\n", k.c_str(), (unsigned long long)v);
    return st.mismatches || st.apply_mismatches || st.compile_failures ? 1 : 0;
}
