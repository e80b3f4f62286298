// Classifier microbenchmarks on ClassBench-derived AWS networks (100, 1k, 10k, 100k rules),
// each beside its baseline, raw rte_acl on the same ClassBench rules and headers laid out
// as dpdk-test-acl does (5-tuple, first match):
//   raw_acl/N       one rte_acl_classify per packet on the 5-tuple rules (the baseline)
//   nacl/N          AclTables::classify_nacl, the two NACL questions of a new flow
//                   (client subnet egress on the destination, server subnet ingress on the source)
//   sg/N            AclTables::classify_sg, the two SG questions of a new flow
//                   (client ENI egress, server ENI ingress)
//   nacl_sg/N       all four on the "both" network, one question per key (the walk's
//                   single-question path)
//   side/N          the same four answers as the pipeline's burst stage gets them
//                   (dataplane/burst_classify.hpp): one egress and one ingress side key per
//                   packet, each side one rte_acl_classify per 64 keys, two categories
// Keys are built before timing (the pipeline builds them in its parse stage); classify runs
// in batches of 64 keys (kAclMaxBatch, the pipeline's burst). Counters: cycles per packet
// (rte_rdtsc around the timed loop; TSC rate from DPDK), ns/pkt and Mpps derived from them,
// and `allowed` (share of packets the verdicts let through).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include <rte_acl.h>
#include <rte_cycles.h>

#include "perf/bench_env.hpp"

using namespace vpcfw;
using namespace vpcfw::perf;

namespace {

void set_counters(benchmark::State& state, size_t pkts_per_iter, uint64_t cycles, double allowed) {
    double total = static_cast<double>(pkts_per_iter) * static_cast<double>(state.iterations());
    double cpp = total > 0 ? static_cast<double>(cycles) / total : 0;
    double ghz = static_cast<double>(rte_get_tsc_hz()) / 1e9;
    state.counters["pkts"] = static_cast<double>(pkts_per_iter);
    state.counters["cyc/pkt"] = cpp;
    state.counters["ns/pkt"] = cpp / ghz;
    state.counters["Mpps"] = cpp > 0 ? ghz * 1e3 / cpp : 0;
    state.counters["allowed"] = allowed;
    state.SetItemsProcessed(static_cast<int64_t>(total));
}

// Baseline: raw rte_acl, one 5-tuple classify per packet.
void bm_raw_acl(benchmark::State& state, size_t count) {
    const BenchNet& n = bench_net(count, cb::Form::Nacl);
    static std::map<size_t, std::unique_ptr<RawAcl>> raws;
    auto& raw = raws[count];
    if (!raw) raw = build_raw_acl(n.work.rules, bench_rte_alg());
    std::vector<Raw5Tuple> keys;
    for (const auto& f : n.built.flows) keys.push_back(raw_key(f.h));
    std::vector<const uint8_t*> ptrs(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) ptrs[i] = reinterpret_cast<const uint8_t*>(&keys[i]);
    std::vector<uint32_t> res(keys.size());
    const uint32_t batch = kAclMaxBatch;
    uint64_t cycles = 0;
    for (auto _ : state) {
        uint64_t t0 = rte_rdtsc();
        for (size_t i = 0; i < keys.size(); i += batch) {
            uint32_t m = static_cast<uint32_t>(std::min<size_t>(batch, keys.size() - i));
            rte_acl_classify(raw->ctx, ptrs.data() + i, res.data() + i, m, 1);
        }
        cycles += rte_rdtsc() - t0;
        benchmark::DoNotOptimize(res.data());
    }
    size_t matched = 0;
    for (uint32_t r : res) matched += r != 0;
    set_counters(state, keys.size(), cycles, static_cast<double>(matched) / static_cast<double>(res.size()));
    state.SetLabel(std::string("alg=") + rte_alg_name(raw->alg));
}

struct NewFlowKeys {
    std::vector<AclKey4> nacl_out, nacl_in, sg_out, sg_in;
};

NewFlowKeys keys_for(const BenchNet& n) {
    NewFlowKeys k;
    const AclTables& t = *n.acl;
    for (const auto& f : n.built.flows) {
        const cb::EniInfo& c = n.built.enis[f.client];
        const cb::EniInfo& s = n.built.enis[f.server];
        uint16_t l4 = acl_l4_word(f.h.proto, f.h.dport, 8, 0);  // ICMP frames are echo requests
        Be32 src = Be32::from_host(f.h.src), dst = Be32::from_host(f.h.dst);
        k.nacl_out.push_back(make_acl_key4(f.h.proto, n.client_nacl[c.chunk], kAclEgress, dst, 0, l4));
        k.nacl_in.push_back(make_acl_key4(f.h.proto, n.server_nacl[s.chunk], kAclIngress, src, 0, l4));
        k.sg_out.push_back(make_acl_key4(f.h.proto, t.group_set_of_eni(n.eni_index[f.client]), kAclEgress, dst,
                                         t.remote_set4(dst), l4));
        k.sg_in.push_back(make_acl_key4(f.h.proto, t.group_set_of_eni(n.eni_index[f.server]), kAclIngress, src,
                                        t.remote_set4(src), l4));
    }
    return k;
}

// The classifier questions of a new flow: NACL (egress + ingress) and/or SG (egress + ingress).
void bm_new_flow(benchmark::State& state, size_t count, cb::Form form) {
    const BenchNet& n = bench_net(count, form);
    const AclTables& t = *n.acl;
    NewFlowKeys k = keys_for(n);
    const size_t pkts = k.nacl_out.size();
    const bool do_nacl = form != cb::Form::Sg, do_sg = form != cb::Form::Nacl;
    std::vector<NaclVerdict> nv_out(pkts), nv_in(pkts);
    std::vector<SgVerdict> sv_out(pkts), sv_in(pkts);
    const size_t batch = kAclMaxBatch;
    uint64_t cycles = 0;
    for (auto _ : state) {
        uint64_t t0 = rte_rdtsc();
        for (size_t i = 0; i < pkts; i += batch) {
            size_t m = std::min(batch, pkts - i);
            if (do_nacl) {
                t.classify_nacl(std::span<const AclKey4>(k.nacl_out.data() + i, m), std::span(nv_out.data() + i, m));
                t.classify_nacl(std::span<const AclKey4>(k.nacl_in.data() + i, m), std::span(nv_in.data() + i, m));
            }
            if (do_sg) {
                t.classify_sg(std::span<const AclKey4>(k.sg_out.data() + i, m), std::span(sv_out.data() + i, m));
                t.classify_sg(std::span<const AclKey4>(k.sg_in.data() + i, m), std::span(sv_in.data() + i, m));
            }
        }
        cycles += rte_rdtsc() - t0;
        benchmark::DoNotOptimize(nv_out.data());
        benchmark::DoNotOptimize(sv_out.data());
    }
    size_t allowed = 0;
    for (size_t i = 0; i < pkts; ++i)
        allowed += (!do_nacl || (nv_out[i].allow && nv_in[i].allow)) && (!do_sg || (sv_out[i].admit && sv_in[i].admit));
    set_counters(state, pkts, cycles, static_cast<double>(allowed) / static_cast<double>(pkts));
    const auto& s = t.stats();
    char label[96];
    std::snprintf(label, sizeof label, "rte_acl rules nacl4=%u sg4=%u", s.nacl_rules4, s.sg_rules4);
    state.SetLabel(label);
}

// The burst stage's classification: per packet one egress side key (client subnet's NACL,
// client ENI's group set, remote = destination) and one ingress side key (server side,
// remote = source), each side classified in batches of 64.
void bm_side(benchmark::State& state, size_t count) {
    const BenchNet& n = bench_net(count, cb::Form::Both);
    const AclTables& t = *n.acl;
    std::vector<AclSideKey4> out, in;
    for (const auto& f : n.built.flows) {
        const cb::EniInfo& c = n.built.enis[f.client];
        const cb::EniInfo& s = n.built.enis[f.server];
        uint16_t l4 = acl_l4_word(f.h.proto, f.h.dport, 8, 0);
        Be32 src = Be32::from_host(f.h.src), dst = Be32::from_host(f.h.dst);
        AclSideKey4 o, i;
        o.proto = i.proto = f.h.proto;
        o.l4 = i.l4 = Be16::from_host(l4);
        o.nacl = Be16::from_host(static_cast<uint16_t>(n.client_nacl[c.chunk]));
        o.group_set = Be16::from_host(t.group_set_of_eni(n.eni_index[f.client]));
        o.remote = dst;
        o.remote_set = Be16::from_host(t.remote_set4(dst));
        i.nacl = Be16::from_host(static_cast<uint16_t>(n.server_nacl[s.chunk]));
        i.group_set = Be16::from_host(t.group_set_of_eni(n.eni_index[f.server]));
        i.remote = src;
        i.remote_set = Be16::from_host(t.remote_set4(src));
        out.push_back(o);
        in.push_back(i);
    }
    const size_t pkts = out.size();
    std::vector<uint32_t> r_out(kAclCategories * pkts), r_in(kAclCategories * pkts);
    const size_t batch = kAclMaxBatch;
    uint64_t cycles = 0;
    for (auto _ : state) {
        uint64_t t0 = rte_rdtsc();
        for (size_t i = 0; i < pkts; i += batch) {
            size_t m = std::min(batch, pkts - i);
            t.classify_side(true, std::span<const AclSideKey4>(out.data() + i, m),
                            std::span(r_out.data() + kAclCategories * i, kAclCategories * m));
            t.classify_side(false, std::span<const AclSideKey4>(in.data() + i, m),
                            std::span(r_in.data() + kAclCategories * i, kAclCategories * m));
        }
        cycles += rte_rdtsc() - t0;
        benchmark::DoNotOptimize(r_out.data());
        benchmark::DoNotOptimize(r_in.data());
    }
    size_t allowed = 0;
    for (size_t i = 0; i < pkts; ++i) {
        NaclVerdict a = t.nacl_verdict(r_out[kAclCategories * i + kCatNacl], out[i].nacl.host(), true);
        NaclVerdict b = t.nacl_verdict(r_in[kAclCategories * i + kCatNacl], in[i].nacl.host(), false);
        allowed += a.allow && b.allow && r_out[kAclCategories * i + kCatSg] != 0 && r_in[kAclCategories * i + kCatSg] != 0;
    }
    set_counters(state, pkts, cycles, static_cast<double>(allowed) / static_cast<double>(pkts));
}

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    if (!start_eal(argv[0])) return 3;
    std::fprintf(stderr, "# ClassBench family %s, TSC %.2f GHz\n", cb_set().c_str(), rte_get_tsc_hz() / 1e9);
    for (size_t n : kSizes) {
        std::string sz = std::to_string(n);
        benchmark::RegisterBenchmark(("raw_acl/" + sz).c_str(), bm_raw_acl, n)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("nacl/" + sz).c_str(), bm_new_flow, n, cb::Form::Nacl)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("sg/" + sz).c_str(), bm_new_flow, n, cb::Form::Sg)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("nacl_sg/" + sz).c_str(), bm_new_flow, n, cb::Form::Both)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("side/" + sz).c_str(), bm_side, n)->Unit(benchmark::kMicrosecond);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
