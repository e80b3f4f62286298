// Parser microbenchmark: the ClassBench-derived trace as 60-byte Ethernet frames (TCP SYN,
// UDP, ICMP echo, other protocols; the mix of the trace) through parse_frame, beside its
// baseline, a minimal reader that takes the IPv4 5-tuple at fixed offsets with no checks
// (what l3fwd's ACL path does): the difference is the price of validation, VLAN/IPv6/
// fragment handling and the full FlowKey. Counters: Mpps, cycles per packet (rte_rdtsc).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include <rte_cycles.h>

#include "dataplane/parse.hpp"
#include "bench/classbench.hpp"
#include "perf/bench_env.hpp"

using namespace vpcfw;

namespace {

std::vector<std::vector<uint8_t>> frames_for(size_t count) {
    auto w = cb::make_workload(perf::files_for(count), count);
    if (!w.ok()) {
        std::fprintf(stderr, "%s\n", w.error().str().c_str());
        std::exit(3);
    }
    auto b = cb::build_network(w->rules, w->trace, perf::options_for(count, cb::Form::Nacl));
    if (!b.ok()) {
        std::fprintf(stderr, "%s\n", b.error().str().c_str());
        std::exit(3);
    }
    std::vector<std::vector<uint8_t>> out;
    for (const auto& f : b->flows) {
        std::vector<uint8_t> fr(cb::kFrameLen);
        cb::build_frame(*b, f, false, 0x02, fr.data());
        out.push_back(std::move(fr));
    }
    return out;
}

const std::vector<std::vector<uint8_t>>& frames() {
    static auto f = frames_for(10000);
    return f;
}

void counters(benchmark::State& state, size_t n, uint64_t cycles) {
    double total = static_cast<double>(n) * static_cast<double>(state.iterations());
    double cpp = static_cast<double>(cycles) / total;
    double ghz = static_cast<double>(rte_get_tsc_hz()) / 1e9;
    state.counters["cyc/pkt"] = cpp;
    state.counters["ns/pkt"] = cpp / ghz;
    state.counters["Mpps"] = ghz * 1e3 / cpp;
    state.SetItemsProcessed(static_cast<int64_t>(total));
}

void bm_parse_frame(benchmark::State& state) {
    const auto& fr = frames();
    uint64_t cycles = 0, ok = 0;
    for (auto _ : state) {
        uint64_t t0 = rte_rdtsc();
        for (const auto& f : fr) {
            ParseResult r = parse_frame(f.data(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size()),
                                        LinkType::Ethernet);
            ok += r.ok();
            benchmark::DoNotOptimize(r.key);
        }
        cycles += rte_rdtsc() - t0;
    }
    counters(state, fr.size(), cycles);
    state.counters["ok"] = static_cast<double>(ok) / (static_cast<double>(fr.size()) * state.iterations());
}

struct Min5 {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto;
};

void bm_parse_minimal(benchmark::State& state) {
    const auto& fr = frames();
    uint64_t cycles = 0;
    for (auto _ : state) {
        uint64_t t0 = rte_rdtsc();
        for (const auto& f : fr) {
            const uint8_t* p = f.data();
            Min5 k{};
            if (p[12] == 0x08 && p[13] == 0x00) {
                std::memcpy(&k.src, p + 26, 4);
                std::memcpy(&k.dst, p + 30, 4);
                k.proto = p[23];
                std::memcpy(&k.sport, p + 14 + (p[14] & 15) * 4, 2);
                std::memcpy(&k.dport, p + 16 + (p[14] & 15) * 4, 2);
            }
            benchmark::DoNotOptimize(k);
        }
        cycles += rte_rdtsc() - t0;
    }
    counters(state, fr.size(), cycles);
}

} // namespace

BENCHMARK(bm_parse_frame)->Name("parse/frame")->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_parse_minimal)->Name("parse/minimal_baseline")->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    if (!perf::start_eal(argv[0])) return 3;   // rte_get_tsc_hz needs the EAL
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
