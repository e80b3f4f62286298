// Full-path microbenchmarks: Pipeline::process on bursts of 64 frames of the
// ClassBench-derived "both" network (NACL and SG rules on both sides of every flow), at
// 100, 1k, 10k and 100k rules, beside their baselines:
//   pipeline_new/N          every packet opens a flow: parse, SG egress, NACL egress, route,
//                           NACL ingress, SG ingress, state creation (a fresh Pipeline per
//                           iteration, built and sized for the flows outside the timed
//                           region, so no table grows while timed)
//   pipeline_established/N  the same flows again (TCP ACK / UDP / ICMP echo), after one pass
//                           created their state; only flows that pass are replayed
//   established_flows/F     established packets of F flows (10k, 100k, 1M: the 1,000-rule
//                           network's accepted flows, each repeated with other source ports,
//                           which no SG or NACL rule reads), Pipeline::process on frames
//   established_ring/F      the same through a burst loop with mbufs: rte_ring RX dequeue,
//                           process, TX enqueue of the accepted packets (a feeder outside
//                           the timed region refills RX and drains TX)
//   forward_ring/F          the raw baseline of established_ring: the same loop without
//                           the pipeline (every packet forwarded)
//   raw_acl_single/N, raw_acl_burst/N   the raw rte_acl baseline of pipeline_new with the
//                           same classify method as the pipeline (VPCFW_ACL_ALG, default
//                           rte_acl's choice): one header per call, as the walk asks today,
//                           and bursts of 64
//   reference/N             the reference evaluator on a sample of the same new flows (the
//                           "compiled >= 100x reference" target)
//   conntrack baselines     rte_hash (bulk lookup, add) and std::unordered_map keyed by the
//                           flows' 5-tuples: what a bare flow-table lookup / insert costs
// Counters: Mpps, cycles per packet and ns per packet from rte_rdtsc around the timed calls,
// `accepted` (share of packets accepted).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>
#include <vector>

#include <rte_acl.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/compiler.hpp"
#include "dataplane/pipeline.hpp"
#include "perf/bench_env.hpp"
#include "ruleset/reference.hpp"

using namespace vpcfw;
using namespace vpcfw::perf;

namespace {

void set_counters(benchmark::State& state, double total_pkts, uint64_t cycles, double accepted) {
    double cpp = total_pkts > 0 ? static_cast<double>(cycles) / total_pkts : 0;
    double ghz = static_cast<double>(rte_get_tsc_hz()) / 1e9;
    state.counters["cyc/pkt"] = cpp;
    state.counters["ns/pkt"] = cpp / ghz;
    state.counters["Mpps"] = cpp > 0 ? ghz * 1e3 / cpp : 0;
    state.counters["accepted"] = accepted;
    state.SetItemsProcessed(static_cast<int64_t>(total_pkts));
}

struct Compiled {
    std::shared_ptr<const CompiledRuleset> rs;
    std::vector<std::vector<uint8_t>> syn, again;   // request frames: opening, and a later packet
};

const Compiled& compiled(size_t count) {
    static std::map<size_t, Compiled> cache;
    auto it = cache.find(count);
    if (it != cache.end()) return it->second;
    const BenchNet& n = bench_net(count, cb::Form::Both);
    Compiled c;
    CompileOptions opt;
    opt.algorithm = bench_algorithm();
    auto rs = compile_ruleset(n.net, Settings{}, opt);
    if (!rs.ok()) {
        std::fprintf(stderr, "compile_ruleset: %s\n", rs.error().str().c_str());
        std::exit(3);
    }
    c.rs = *rs;
    for (const auto& f : n.built.flows) {
        std::vector<uint8_t> a(cb::kFrameLen), b(cb::kFrameLen);
        cb::build_frame(n.built, f, false, 0x02 /* SYN */, a.data());
        cb::build_frame(n.built, f, false, 0x10 /* ACK */, b.data());
        c.syn.push_back(std::move(a));
        c.again.push_back(std::move(b));
    }
    std::fprintf(stderr, "# compile_ruleset %zu rules: %.0f ms (rte_acl_build %.0f ms)\n", count,
                 c.rs->stats().compile_ms, c.rs->stats().acl_build_ms);
    return cache[count] = std::move(c);
}

std::vector<Frame> frames_of(const std::vector<std::vector<uint8_t>>& raw, double ts) {
    std::vector<Frame> out(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        out[i].data = raw[i].data();
        out[i].caplen = out[i].wirelen = static_cast<uint32_t>(raw[i].size());
        out[i].link = LinkType::Ethernet;
        out[i].ts = ts;
    }
    return out;
}

// Runs `frames` through `p` in bursts of kMaxBurst; returns the cycles spent in process().
uint64_t run(Pipeline& p, const std::vector<Frame>& frames, std::vector<Verdict>& out) {
    uint64_t cycles = 0;
    for (size_t i = 0; i < frames.size(); i += kMaxBurst) {
        size_t m = std::min<size_t>(kMaxBurst, frames.size() - i);
        uint64_t t0 = rte_rdtsc();
        p.process(std::span<const Frame>(frames.data() + i, m), std::span<Verdict>(out.data() + i, m));
        cycles += rte_rdtsc() - t0;
    }
    return cycles;
}

// A pipeline for `flows` flows (state capacity), its tables sized before any timing where
// the API allows it (Pipeline::reserve).
std::unique_ptr<Pipeline> make_pipeline(size_t flows, const CompiledRuleset* rs) {
    auto p = std::make_unique<Pipeline>(Settings{}, 3 * flows + 1024);
#ifdef VPCFW_PIPELINE_VERDICT_REFS
    p->reserve(2 * flows + 1024);
#endif
    p->set_ruleset(rs);
    return p;
}

// Established packets the way a worker consumes them: verdict references where the API
// has them (no Verdict copy), else copies; `accepted` counts what would be sent.
uint64_t run_established(Pipeline& p, const std::vector<Frame>& frames, uint64_t& accepted) {
    uint64_t cycles = 0;
#ifdef VPCFW_PIPELINE_VERDICT_REFS
    const Verdict* out[kMaxBurst];
#else
    Verdict out[kMaxBurst];
#endif
    for (size_t i = 0; i < frames.size(); i += kMaxBurst) {
        size_t m = std::min<size_t>(kMaxBurst, frames.size() - i);
        uint64_t t0 = rte_rdtsc();
#ifdef VPCFW_PIPELINE_VERDICT_REFS
        p.process_refs(std::span<const Frame>(frames.data() + i, m), std::span<const Verdict*>(out, m));
        for (size_t j = 0; j < m; ++j) accepted += out[j]->action == Action::Accept;
#else
        p.process(std::span<const Frame>(frames.data() + i, m), std::span<Verdict>(out, m));
        for (size_t j = 0; j < m; ++j) accepted += out[j].action == Action::Accept;
#endif
        cycles += rte_rdtsc() - t0;
    }
    return cycles;
}

double accepted_share(const std::vector<Verdict>& v) {
    size_t a = 0;
    for (const auto& x : v) a += x.action == Action::Accept;
    return v.empty() ? 0 : static_cast<double>(a) / static_cast<double>(v.size());
}

void bm_pipeline_new(benchmark::State& state, size_t count) {
    const Compiled& c = compiled(count);
    std::vector<Frame> frames = frames_of(c.syn, 1.0);
    std::vector<Verdict> out(frames.size());
    uint64_t cycles = 0;
    double pkts = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto p = make_pipeline(frames.size(), c.rs.get());
        state.ResumeTiming();
        cycles += run(*p, frames, out);
        pkts += static_cast<double>(frames.size());
        state.PauseTiming();
        p.reset();
        state.ResumeTiming();
    }
    set_counters(state, pkts, cycles, accepted_share(out));
}

void bm_pipeline_established(benchmark::State& state, size_t count) {
    const Compiled& c = compiled(count);
    std::vector<Frame> open = frames_of(c.syn, 1.0);
    std::vector<Verdict> out(open.size());
    auto pp = make_pipeline(open.size(), c.rs.get());
    Pipeline& p = *pp;
    run(p, open, out);
    // Replay only the flows that were accepted (a dropped flow has no state to hit).
    std::vector<std::vector<uint8_t>> kept;
    for (size_t i = 0; i < out.size(); ++i)
        if (out[i].action == Action::Accept) kept.push_back(c.again[i]);
    std::vector<Frame> frames = frames_of(kept, 2.0);
    std::vector<Verdict> out2(frames.size());
    // One untimed pass: the first packet after the handshake walks the path and fills the
    // flow cache; "established" is every packet after that.
    run(p, frames, out2);
    uint64_t cycles = 0, acc = 0;
    double pkts = 0;
    for (auto _ : state) {
        cycles += run_established(p, frames, acc);
        pkts += static_cast<double>(frames.size());
    }
    set_counters(state, pkts, cycles, pkts > 0 ? static_cast<double>(acc) / pkts : 0);
    const auto& k = p.counters();
    char label[96];
    std::snprintf(label, sizeof label, "flow_cache hits=%llu misses=%llu",
                  static_cast<unsigned long long>(k.flow_cache_hits), static_cast<unsigned long long>(k.flow_cache_misses));
    state.SetLabel(label);
}

// ---- established packets by flow count ----------------------------------------------------

constexpr size_t kFlowRules = 1000;   // the rule count of the by-flow-count cases

// F established flows of the 1,000-rule network with their state created and their flow
// cache filled (two untimed passes): the accepted flows of the trace, each repeated with
// other client source ports (no SG or NACL rule reads a source port; perf/README.md).
struct FlowSet {
    std::unique_ptr<Pipeline> pipe;
    std::vector<std::vector<uint8_t>> raw;   // established (ACK) frames, one per flow
    std::vector<Frame> frames;
};

FlowSet& flow_set(size_t flows) {
    static std::map<size_t, std::unique_ptr<FlowSet>> sets;
    auto it = sets.find(flows);
    if (it != sets.end()) return *it->second;
    const BenchNet& n = bench_net(kFlowRules, cb::Form::Both);
    const Compiled& c = compiled(kFlowRules);
    auto fs = std::make_unique<FlowSet>();
    fs->pipe = make_pipeline(flows, c.rs.get());
    std::vector<std::vector<uint8_t>> syn;
    std::vector<std::vector<uint8_t>> ack;
    for (uint32_t rep = 0; syn.size() < flows && rep < 60000; ++rep) {
        for (const auto& f0 : n.built.flows) {
            if (syn.size() >= flows) break;
            cb::Flow f = f0;
            f.h.sport = static_cast<uint16_t>(1024 + rep);
            std::vector<uint8_t> a(cb::kFrameLen), b(cb::kFrameLen);
            cb::build_frame(n.built, f, false, 0x02 /* SYN */, a.data());
            cb::build_frame(n.built, f, false, 0x10 /* ACK */, b.data());
            syn.push_back(std::move(a));
            ack.push_back(std::move(b));
        }
    }
    std::vector<Frame> open = frames_of(syn, 1.0);
    std::vector<Verdict> out(open.size());
    run(*fs->pipe, open, out);
    for (size_t i = 0; i < out.size(); ++i)
        if (out[i].action == Action::Accept) fs->raw.push_back(std::move(ack[i]));
    fs->frames = frames_of(fs->raw, 2.0);
    std::vector<Verdict> out2(fs->frames.size());
    run(*fs->pipe, fs->frames, out2);   // the first packet after the handshake fills the cache
    std::fprintf(stderr, "# established flows: %zu requested, %zu accepted and replayed\n", flows, fs->frames.size());
    return *(sets[flows] = std::move(fs));
}

void label_hits(benchmark::State& state, const Pipeline& p, size_t flows) {
    const auto& k = p.counters();
    char label[128];
    std::snprintf(label, sizeof label, "flows=%zu flow_cache hits=%llu misses=%llu", flows,
                  static_cast<unsigned long long>(k.flow_cache_hits), static_cast<unsigned long long>(k.flow_cache_misses));
    state.SetLabel(label);
}

void bm_established_flows(benchmark::State& state, size_t flows) {
    FlowSet& fs = flow_set(flows);
    uint64_t cycles = 0, acc = 0;
    double pkts = 0;
    for (auto _ : state) {
        cycles += run_established(*fs.pipe, fs.frames, acc);
        pkts += static_cast<double>(fs.frames.size());
    }
    set_counters(state, pkts, cycles, pkts > 0 ? static_cast<double>(acc) / pkts : 0);
    label_hits(state, *fs.pipe, fs.frames.size());
}

// The burst loop of a worker over rings of mbufs: RX dequeue, frames from the mbufs,
// process, TX enqueue of the accepted ones (`with_pipeline` false: every packet forwarded,
// the raw baseline). Outside the timed region a feeder copies the next 64 frames into the
// mbufs and enqueues them on RX, and drains TX.
void ring_loop(benchmark::State& state, size_t flows, bool with_pipeline) {
    FlowSet& fs = flow_set(flows);
    static rte_mempool* pool = nullptr;
    static rte_ring *rx = nullptr, *tx = nullptr;
    if (!pool) {
        pool = rte_pktmbuf_pool_create("bench-pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        rx = rte_ring_create("bench-rx", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        tx = rte_ring_create("bench-tx", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!pool || !rx || !tx) {
            std::fprintf(stderr, "mempool/ring create failed\n");
            std::exit(3);
        }
    }
    rte_mbuf* feed[kMaxBurst];
    if (rte_pktmbuf_alloc_bulk(pool, feed, kMaxBurst) != 0) std::exit(3);
    uint64_t cycles = 0, acc = 0;
    double pkts = 0;
    Frame frames[kMaxBurst];
    rte_mbuf* in[kMaxBurst];
    rte_mbuf* send[kMaxBurst];
#ifdef VPCFW_PIPELINE_VERDICT_REFS
    const Verdict* out[kMaxBurst];
#else
    Verdict out[kMaxBurst];
#endif
    for (auto _ : state) {
        for (size_t i = 0; i < fs.raw.size(); i += kMaxBurst) {
            unsigned m = static_cast<unsigned>(std::min<size_t>(kMaxBurst, fs.raw.size() - i));
            for (unsigned j = 0; j < m; ++j) {   // the "NIC": untimed
                std::memcpy(rte_pktmbuf_mtod(feed[j], uint8_t*), fs.raw[i + j].data(), cb::kFrameLen);
                feed[j]->data_len = feed[j]->pkt_len = cb::kFrameLen;
            }
            rte_ring_enqueue_burst(rx, reinterpret_cast<void**>(feed), m, nullptr);
            uint64_t t0 = rte_rdtsc();
            unsigned got = rte_ring_dequeue_burst(rx, reinterpret_cast<void**>(in), kMaxBurst, nullptr);
            unsigned nsend = 0;
            if (with_pipeline) {
                for (unsigned j = 0; j < got; ++j) {
                    frames[j].data = rte_pktmbuf_mtod(in[j], const uint8_t*);
                    frames[j].caplen = frames[j].wirelen = rte_pktmbuf_data_len(in[j]);
                    frames[j].link = LinkType::Ethernet;
                    frames[j].ts = 2.0;
                }
#ifdef VPCFW_PIPELINE_VERDICT_REFS
                fs.pipe->process_refs(std::span<const Frame>(frames, got), std::span<const Verdict*>(out, got));
                for (unsigned j = 0; j < got; ++j)
                    if (out[j]->action == Action::Accept) send[nsend++] = in[j];
#else
                fs.pipe->process(std::span<const Frame>(frames, got), std::span<Verdict>(out, got));
                for (unsigned j = 0; j < got; ++j)
                    if (out[j].action == Action::Accept) send[nsend++] = in[j];
#endif
            } else {
                for (unsigned j = 0; j < got; ++j) send[nsend++] = in[j];
            }
            rte_ring_enqueue_burst(tx, reinterpret_cast<void**>(send), nsend, nullptr);
            cycles += rte_rdtsc() - t0;
            acc += nsend;
            pkts += got;
            rte_mbuf* back[kMaxBurst];   // drain TX: untimed
            rte_ring_dequeue_burst(tx, reinterpret_cast<void**>(back), kMaxBurst, nullptr);
        }
    }
    rte_pktmbuf_free_bulk(feed, kMaxBurst);
    set_counters(state, pkts, cycles, pkts > 0 ? static_cast<double>(acc) / pkts : 0);
    if (with_pipeline) label_hits(state, *fs.pipe, fs.raw.size());
}
void bm_established_ring(benchmark::State& state, size_t flows) { ring_loop(state, flows, true); }
void bm_forward_ring(benchmark::State& state, size_t flows) { ring_loop(state, flows, false); }

// ---- raw rte_acl with the pipeline's classify method ----------------------------------------

// `batch` headers per rte_acl_classify call: 1 is what the walk does per SG/NACL question.
void raw_acl(benchmark::State& state, size_t count, size_t batch) {
    const BenchNet& n = bench_net(count, cb::Form::Both);
    static std::map<size_t, std::unique_ptr<RawAcl>> built;
    auto& raw = built[count];
    if (!raw) raw = build_raw_acl(n.work.rules, bench_rte_alg());
    std::vector<Raw5Tuple> keys;
    for (const auto& f : n.built.flows) keys.push_back(raw_key(f.h));
    std::vector<const uint8_t*> ptrs(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) ptrs[i] = reinterpret_cast<const uint8_t*>(&keys[i]);
    std::vector<uint32_t> res(keys.size());
    uint64_t cycles = 0;
    double total = 0;
    for (auto _ : state) {
        uint64_t t0 = rte_rdtsc();
        for (size_t i = 0; i < keys.size(); i += batch) {
            uint32_t m = static_cast<uint32_t>(std::min(batch, keys.size() - i));
            rte_acl_classify(raw->ctx, ptrs.data() + i, res.data() + i, m, 1);
        }
        cycles += rte_rdtsc() - t0;
        total += static_cast<double>(keys.size());
    }
    set_counters(state, total, cycles, 1);
    state.SetLabel(std::string("method=") + rte_alg_name(raw->alg) + " batch=" + std::to_string(batch));
}
void bm_raw_acl_single(benchmark::State& state, size_t count) { raw_acl(state, count, 1); }
void bm_raw_acl_burst(benchmark::State& state, size_t count) { raw_acl(state, count, kMaxBurst); }

// The reference evaluator on (a sample of) the same opening packets.
void bm_reference(benchmark::State& state, size_t count) {
    const BenchNet& n = bench_net(count, cb::Form::Both);
    const Compiled& c = compiled(count);
    const size_t sample = std::min<size_t>(c.syn.size(), 200);
    std::vector<Packet> pkts;
    for (size_t i = 0; i < sample; ++i) {
        ParseResult r = parse_frame(c.syn[i].data(), cb::kFrameLen, cb::kFrameLen, LinkType::Ethernet);
        pkts.push_back(to_packet(r));
    }
    uint64_t cycles = 0;
    double total = 0, accepted = 0;
    for (auto _ : state) {
        state.PauseTiming();
        ReferenceEvaluator ref(n.net, Settings{});
        state.ResumeTiming();
        uint64_t t0 = rte_rdtsc();
        for (const auto& p : pkts) {
            Decision d = ref.evaluate(p, "auto", 1.0);
            accepted += d.action == Action::Accept;
        }
        cycles += rte_rdtsc() - t0;
        total += static_cast<double>(pkts.size());
    }
    set_counters(state, total, cycles, total > 0 ? accepted / total : 0);
}

// ---- conntrack baselines: a bare flow table keyed by the 5-tuple --------------------------

struct Key5 {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint32_t proto;
    bool operator==(const Key5&) const = default;
};
struct Key5Hash {
    size_t operator()(const Key5& k) const noexcept { return rte_jhash(&k, sizeof k, 0); }
};

std::vector<Key5> keys_of(size_t count) {
    const BenchNet& n = bench_net(count, cb::Form::Both);
    std::vector<Key5> out;
    for (const auto& f : n.built.flows) out.push_back(Key5{f.h.src, f.h.dst, f.h.sport, f.h.dport, f.h.proto});
    return out;
}

rte_hash* make_hash(size_t entries) {
    static int serial = 0;
    char name[32];
    std::snprintf(name, sizeof name, "bench-ct-%d", serial++);
    rte_hash_parameters prm{};
    prm.name = name;
    prm.entries = static_cast<uint32_t>(entries);
    prm.key_len = sizeof(Key5);
    prm.hash_func = rte_jhash;
    prm.socket_id = SOCKET_ID_ANY;
    rte_hash* h = rte_hash_create(&prm);
    if (!h) {
        std::fprintf(stderr, "rte_hash_create failed\n");
        std::exit(3);
    }
    return h;
}

void bm_rte_hash_insert(benchmark::State& state, size_t count) {
    std::vector<Key5> keys = keys_of(count);
    uint64_t cycles = 0;
    double total = 0;
    for (auto _ : state) {
        state.PauseTiming();
        rte_hash* h = make_hash(2 * keys.size() + 64);
        state.ResumeTiming();
        uint64_t t0 = rte_rdtsc();
        for (size_t i = 0; i < keys.size(); ++i) rte_hash_add_key_data(h, &keys[i], reinterpret_cast<void*>(i + 1));
        cycles += rte_rdtsc() - t0;
        total += static_cast<double>(keys.size());
        state.PauseTiming();
        rte_hash_free(h);
        state.ResumeTiming();
    }
    set_counters(state, total, cycles, 1);
}

void bm_rte_hash_lookup(benchmark::State& state, size_t count) {
    std::vector<Key5> keys = keys_of(count);
    rte_hash* h = make_hash(2 * keys.size() + 64);
    for (size_t i = 0; i < keys.size(); ++i) rte_hash_add_key_data(h, &keys[i], reinterpret_cast<void*>(i + 1));
    std::vector<const void*> ptrs(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) ptrs[i] = &keys[i];
    std::vector<void*> data(kMaxBurst);
    uint64_t cycles = 0, hits = 0;
    double total = 0;
    for (auto _ : state) {
        uint64_t t0 = rte_rdtsc();
        for (size_t i = 0; i < keys.size(); i += kMaxBurst) {
            uint32_t m = static_cast<uint32_t>(std::min<size_t>(kMaxBurst, keys.size() - i));
            uint64_t mask = 0;
            hits += rte_hash_lookup_bulk_data(h, ptrs.data() + i, m, &mask, data.data());
        }
        cycles += rte_rdtsc() - t0;
        total += static_cast<double>(keys.size());
    }
    set_counters(state, total, cycles, total > 0 ? static_cast<double>(hits) / total : 0);
    rte_hash_free(h);
}

void bm_unordered_map(benchmark::State& state, size_t count) {
    std::vector<Key5> keys = keys_of(count);
    std::unordered_map<Key5, uint32_t, Key5Hash> m;
    m.reserve(2 * keys.size());
    for (size_t i = 0; i < keys.size(); ++i) m.emplace(keys[i], static_cast<uint32_t>(i));
    uint64_t cycles = 0, hits = 0;
    double total = 0;
    for (auto _ : state) {
        uint64_t t0 = rte_rdtsc();
        for (const auto& k : keys) hits += m.count(k);
        cycles += rte_rdtsc() - t0;
        total += static_cast<double>(keys.size());
    }
    set_counters(state, total, cycles, total > 0 ? static_cast<double>(hits) / total : 0);
}

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    if (!start_eal(argv[0])) return 3;
    std::fprintf(stderr, "# ClassBench family %s, TSC %.2f GHz\n", cb_set().c_str(), rte_get_tsc_hz() / 1e9);
    for (size_t n : kSizes) {
        std::string sz = std::to_string(n);
        auto reg = [&](const std::string& name, auto fn) {
            benchmark::RegisterBenchmark((name + "/" + sz).c_str(), fn, n)->Unit(benchmark::kMicrosecond);
        };
        reg("pipeline_new", bm_pipeline_new);
        reg("pipeline_established", bm_pipeline_established);
        reg("raw_acl_single", bm_raw_acl_single);
        reg("raw_acl_burst", bm_raw_acl_burst);
        if (n <= 10000) reg("reference", bm_reference);
        reg("conntrack_rte_hash_insert", bm_rte_hash_insert);
        reg("conntrack_rte_hash_lookup", bm_rte_hash_lookup);
        reg("conntrack_unordered_map_lookup", bm_unordered_map);
    }
    for (size_t f : {size_t{10000}, size_t{100000}, size_t{1000000}}) {
        std::string sz = std::to_string(f);
        using Fn = void (*)(benchmark::State&, size_t);
        for (auto [name, fn] : {std::pair<const char*, Fn>{"established_flows", bm_established_flows},
                                std::pair<const char*, Fn>{"established_ring", bm_established_ring},
                                std::pair<const char*, Fn>{"forward_ring", bm_forward_ring}})
            benchmark::RegisterBenchmark((std::string(name) + "/" + sz).c_str(), fn, f)->Unit(benchmark::kMicrosecond);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
