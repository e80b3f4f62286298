// The measuring run of `vpcfw bench` (bench/runner.hpp).
#include "bench/runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <ostream>
#include <thread>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/acl_key.hpp"
#include "dataplane/acl_tables.hpp"
#include "dataplane/burst_probe.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/ruleset_slot.hpp"
#include "dataplane/worker.hpp"
#include "pcap/shard.hpp"
#include "ruleset/actions.hpp"

namespace vpcfw::bench {

namespace {

constexpr unsigned kRing = 1024;
constexpr unsigned kFeedBurst = 32;

unsigned shard_by_sharder(const void* ctx, const FlowKey& key, unsigned n) {
    return static_cast<const FlowSharder*>(ctx)->worker_of(key, n);
}

uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

// What the feeder sends, pass after pass over the templates.
struct Stream {
    // Flood: every accepted session's opening SYN as a new flow (a fresh variant each pass),
    // the rest of the accepted templates as established flows of the warm set.
    // DeniedRepeat: the denied templates as the same flows pass after pass (retransmissions,
    // repeated attempts): served from the flow cache's negative entries where cacheable.
    enum class Kind { Off, Warm, Mixed, Denied, DeniedRepeat, Flood } kind = Kind::Off;
    double new_ratio = 0;
    uint64_t generation = 0;       // bumped on every change; the feeder restarts its pass
};

class Bench {
public:
    Bench(const Network& net, std::shared_ptr<const CompiledRuleset> rs, const Traffic& tr, const RunnerOptions& opt,
          std::ostream& err)
        : net_(net), rs_(std::move(rs)), tr_(tr), opt_(opt), err_(err) {}
    ~Bench() { teardown(); }

    Result<RunFigures> run();

private:
    Status setup();
    void teardown();
    void feeder();
    void forwarder();
    void drain_tx();
    bool rx_empty() const;
    void set_stream(Stream::Kind k, double ratio);
    void quiesce();
    CaseFigure measure(const std::string& name, Stream::Kind k, double ratio, bool workers);
    void label_templates();
    void raw_acl(RunFigures& f);
    void updates(RunFigures& f);
    void flood(RunFigures& f);
    uint64_t refused() const;
    void progress(const std::string& what);

    const Network& net_;
    std::shared_ptr<const CompiledRuleset> rs_;
    const Traffic& tr_;
    RunnerOptions opt_;
    std::ostream& err_;

    rte_mempool* pool_ = nullptr;
    std::vector<uint16_t> port_ids_;
    std::vector<std::vector<rte_ring*>> rx_, tx_;   // [port][queue]
    Topology topo_;
    std::vector<int> tpl_port_;                     // template -> port index
    std::vector<bool> tpl_denied_;
    std::unique_ptr<FlowSharder> sharder_;
    std::unique_ptr<RulesetSlot> slot_;
    WorkerShared shared_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<BurstProbe> probes_;
    std::vector<std::thread> worker_threads_;
    uint32_t variants_ = 1;

    std::atomic<bool> quit_{false}, fwd_quit_{false};
    std::atomic<int> kind_{0};
    std::atomic<double> ratio_{0};
    std::atomic<uint64_t> generation_{0}, fed_generation_{0};
    std::atomic<uint64_t> fwd_packets_{0};
    std::atomic<uint64_t> sunk_{0};
    std::thread feeder_;
};

Status Bench::setup() {
    unsigned q = opt_.workers;
    // DPDK object names are global to the process: one serial per run (sweeps run many).
    static std::atomic<unsigned> serial{0};
    // Short: the ring PMD prefixes port names and keeps them under RTE_RING_NAMESIZE.
    const std::string tag = std::to_string(serial.fetch_add(1));
    // One port per VPC and one for the internet: every ENI sits behind its VPC's port.
    std::vector<PortSpec> specs;
    for (const auto& v : net_.vpcs) specs.push_back(PortSpec{.text = v.id, .devargs = "", .name = "", .attach = {v.id}});
    specs.push_back(PortSpec{.text = "internet", .devargs = "", .name = "", .attach = {"internet"}});
    auto topo = build_topology(net_, specs);
    if (!topo) return topo.error();
    topo_ = std::move(*topo);

    unsigned nports = static_cast<unsigned>(specs.size());
    unsigned mbufs = nports * q * 2 * kRing + q * (1024 + 4 * kMaxBurst * nports) + 8192;
    pool_ = rte_pktmbuf_pool_create(("vb_pool_" + tag).c_str(), mbufs, 256, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (!pool_) return Error{"cannot allocate " + std::to_string(mbufs) + " packet buffers: " + rte_strerror(rte_errno), {}, {}, {}, ErrorKind::Runtime};
    for (unsigned p = 0; p < nports; ++p) {
        std::vector<rte_ring*> rx, tx;
        for (unsigned i = 0; i < q; ++i) {
            std::string base = "vb" + tag + "_" + std::to_string(p) + "_" + std::to_string(i);
            rx.push_back(rte_ring_create((base + "r").c_str(), kRing, static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ));
            tx.push_back(rte_ring_create((base + "t").c_str(), kRing, static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ));
            if (!rx.back() || !tx.back()) return Error{std::string("cannot create a port ring: ") + rte_strerror(rte_errno), {}, {}, {}, ErrorKind::Runtime};
        }
        std::string name = "vb" + tag + "_" + std::to_string(p);
        int id = rte_eth_from_rings(name.c_str(), rx.data(), q, tx.data(), q, rte_socket_id());
        if (id < 0) return Error{"cannot create ring port " + name + ": " + rte_strerror(rte_errno), {}, {}, {}, ErrorKind::Runtime};
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(id, q, q, &conf) != 0) return Error{"cannot configure " + name, {}, {}, {}, ErrorKind::Runtime};
        for (unsigned i = 0; i < q; ++i) {
            if (rte_eth_rx_queue_setup(id, i, kRing, rte_socket_id(), nullptr, pool_) != 0 ||
                rte_eth_tx_queue_setup(id, i, kRing, rte_socket_id(), nullptr) != 0)
                return Error{"cannot set up the queues of " + name, {}, {}, {}, ErrorKind::Runtime};
        }
        if (rte_eth_dev_start(id) != 0) return Error{"cannot start " + name, {}, {}, {}, ErrorKind::Runtime};
        rte_ether_addr mac{};
        rte_eth_macaddr_get(id, &mac);
        topo_.ports[p].port_id = static_cast<uint16_t>(id);
        std::memcpy(topo_.ports[p].mac, mac.addr_bytes, 6);
        port_ids_.push_back(static_cast<uint16_t>(id));
        rx_.push_back(rx);
        tx_.push_back(tx);
    }
    // Entry port of each template: the VPC port whose ENI sends it, else the internet.
    tpl_port_.resize(tr_.templates.size(), topo_.internet_port);
    for (size_t t = 0; t < tr_.templates.size(); ++t) {
        const auto& f = tr_.templates[t].frame;
        ParseResult pr = parse_frame(f.data(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size()), LinkType::Ethernet);
        IpAddr src = addr_of(pr.key.src, pr.key.version);
        for (size_t p = 0; p < topo_.ports.size(); ++p)
            if (topo_.ports[p].private_addrs.count(src)) tpl_port_[t] = static_cast<int>(p);
    }

    slot_ = std::make_unique<RulesetSlot>(q);
    slot_->publish(rs_);
    sharder_ = std::make_unique<FlowSharder>(net_);
    shared_.topology = &topo_;
    shared_.slot = slot_.get();
    shared_.pool = pool_;
    shared_.workers = q;
    shared_.shard = shard_by_sharder;
    shared_.shard_ctx = sharder_.get();
    shared_.settings = rs_->settings();
    shared_.capacity = opt_.capacity;
    shared_.busy_poll = true;
    probes_.resize(q);
    shared_.probes = probes_.data();
    for (size_t p = 0; p < topo_.ports.size(); ++p) shared_.learned.push_back(std::make_unique<MacTable>());
    for (unsigned w = 0; w < q; ++w) {
        std::string name = "vb_in_" + tag + "_" + std::to_string(w);
        rte_ring* r = rte_ring_create(name.c_str(), 1024, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
        if (!r) return Error{"cannot create a hand-over ring", {}, {}, {}, ErrorKind::Runtime};
        shared_.inbound.push_back(r);
    }
    for (unsigned w = 0; w < q; ++w) workers_.push_back(std::make_unique<Worker>(w, shared_));
    return {};
}

void Bench::teardown() {
    quit_.store(true);
    if (feeder_.joinable()) feeder_.join();
    shared_.stop.store(true);
    for (auto& t : worker_threads_) t.join();
    worker_threads_.clear();
    for (uint16_t id : port_ids_) {
        rte_eth_dev_stop(id);
        rte_eth_dev_close(id);
    }
    port_ids_.clear();
    for (auto* v : {&rx_, &tx_}) {
        for (auto& per : *v)
            for (rte_ring* r : per) {
                void* m;
                while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
                rte_ring_free(r);
            }
        v->clear();
    }
    workers_.clear();
    for (rte_ring* r : shared_.inbound) rte_ring_free(r);
    shared_.inbound.clear();
    slot_.reset();
    if (pool_) rte_mempool_free(pool_);
    pool_ = nullptr;
}

// ---- the feeder -------------------------------------------------------------------------

void Bench::drain_tx() {
    rte_mbuf* m[kMaxBurst];
    for (auto& per : tx_)
        for (rte_ring* r : per)
            while (unsigned n = rte_ring_dequeue_burst(r, reinterpret_cast<void**>(m), kMaxBurst, nullptr)) {
                rte_pktmbuf_free_bulk(m, n);
                sunk_.fetch_add(n, std::memory_order_relaxed);
            }
}

bool Bench::rx_empty() const {
    for (const auto& per : rx_)
        for (rte_ring* r : per)
            if (rte_ring_count(r)) return false;
    return true;
}

void Bench::feeder() {
    // Per port: mbufs waiting for room in its RX ring (queues taken in turn).
    size_t nports = rx_.size();
    std::vector<std::vector<rte_mbuf*>> staged(nports);
    std::vector<unsigned> next_q(nports, 0);
    size_t t = 0;                  // position in the pass
    uint64_t pass = 0, gen = ~uint64_t{0};
    uint64_t passes = 0;           // never reset: the flood's fresh flows stay fresh across cases
    while (!quit_.load(std::memory_order_relaxed)) {
        drain_tx();
        auto kind = static_cast<Stream::Kind>(kind_.load(std::memory_order_acquire));
        uint64_t g = generation_.load(std::memory_order_acquire);
        if (g != gen) {            // a new stream: drop what was staged for the old one
            for (auto& s : staged) {
                if (!s.empty()) rte_pktmbuf_free_bulk(s.data(), static_cast<unsigned>(s.size()));
                s.clear();
            }
            gen = g;
            t = 0;
            pass = 0;
            fed_generation_.store(g, std::memory_order_release);
        }
        // Flush what waits.
        bool full = false;
        for (size_t p = 0; p < nports; ++p) {
            auto& s = staged[p];
            if (s.empty()) continue;
            unsigned qi = next_q[p];
            unsigned n = rte_ring_enqueue_burst(rx_[p][qi], reinterpret_cast<void**>(s.data()), static_cast<unsigned>(s.size()), nullptr);
            s.erase(s.begin(), s.begin() + n);
            next_q[p] = (qi + 1) % static_cast<unsigned>(rx_[p].size());
            if (s.size() >= kFeedBurst) full = true;
        }
        if (kind == Stream::Kind::Off || full) continue;
        double ratio = ratio_.load(std::memory_order_relaxed);
        rte_mbuf* m[kFeedBurst];
        if (rte_pktmbuf_alloc_bulk(pool_, m, kFeedBurst) != 0) continue;
        unsigned used = 0;
        for (unsigned guard = 0; used < kFeedBurst && guard < 4 * kFeedBurst; ++guard) {
            if (t == tr_.templates.size()) {
                t = 0;
                ++pass;
                ++passes;
            }
            size_t ti = t++;
            const Template& tp = tr_.templates[ti];
            uint32_t v;
            if (kind == Stream::Kind::Warm) {
                v = static_cast<uint32_t>(pass % variants_);
            } else if (kind == Stream::Kind::Flood) {
                if (tpl_denied_[ti]) continue;
                v = tp.opens ? variants_ + static_cast<uint32_t>(passes % (Traffic::kVariants - variants_))
                             : static_cast<uint32_t>(mix(pass * 31 + tp.session) % variants_);
            } else if (kind == Stream::Kind::DeniedRepeat) {
                if (!tpl_denied_[ti]) continue;
                v = static_cast<uint32_t>(pass % variants_);
            } else if (kind == Stream::Kind::Denied) {
                if (!tpl_denied_[ti]) continue;
                v = variants_ + static_cast<uint32_t>(pass % (Traffic::kVariants - variants_));
            } else {
                bool fresh = ratio >= 1 || (ratio > 0 && static_cast<double>(mix(tp.session * 1000003ULL + pass) >> 11) * 0x1.0p-53 < ratio);
                if (!fresh && tp.opens) continue;
                v = fresh ? variants_ + static_cast<uint32_t>(pass % (Traffic::kVariants - variants_))
                          : static_cast<uint32_t>(mix(pass * 31 + tp.session) % variants_);
            }
            rte_mbuf* b = m[used++];
            uint32_t len = static_cast<uint32_t>(tp.frame.size());
            Traffic::write(tp, v, rte_pktmbuf_mtod(b, uint8_t*));
            b->data_len = static_cast<uint16_t>(len);
            b->pkt_len = len;
            staged[tpl_port_[ti]].push_back(b);
        }
        if (used < kFeedBurst) rte_pktmbuf_free_bulk(m + used, kFeedBurst - used);
    }
    for (auto& s : staged)
        if (!s.empty()) rte_pktmbuf_free_bulk(s.data(), static_cast<unsigned>(s.size()));
}

// Baseline: what the same ports carry with no evaluation at all (RX -> TX of the next port).
void Bench::forwarder() {
    rte_mbuf* m[kMaxBurst];
    uint64_t n_total = 0;
    size_t np = port_ids_.size();
    while (!fwd_quit_.load(std::memory_order_relaxed)) {
        for (size_t p = 0; p < np; ++p)
            for (uint16_t q = 0; q < opt_.workers; ++q) {
                uint16_t n = rte_eth_rx_burst(port_ids_[p], q, m, kMaxBurst);
                if (!n) continue;
                uint16_t s = rte_eth_tx_burst(port_ids_[(p + 1) % np], q, m, n);
                if (s < n) rte_pktmbuf_free_bulk(m + s, n - s);
                n_total += n;
            }
        fwd_packets_.store(n_total, std::memory_order_relaxed);
    }
}

void Bench::set_stream(Stream::Kind k, double ratio) {
    ratio_.store(ratio);
    kind_.store(static_cast<int>(k), std::memory_order_release);
    uint64_t g = generation_.fetch_add(1) + 1;
    while (fed_generation_.load(std::memory_order_acquire) < g) std::this_thread::sleep_for(std::chrono::microseconds(100));
}

// Stops feeding and waits until the RX rings are empty and the workers had time to finish.
void Bench::quiesce() {
    set_stream(Stream::Kind::Off, 0);
    for (int i = 0; i < 2000 && !rx_empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void Bench::progress(const std::string& what) {
    if (opt_.progress) err_ << "\r\033[Kvpcfw bench: " << what << std::flush;
}

CaseFigure Bench::measure(const std::string& name, Stream::Kind k, double ratio, bool workers) {
    progress(name + " (" + std::to_string(opt_.seconds) + " s)");
    CaseFigure c;
    c.name = name;
    std::vector<PipelineCounters> before(workers_.size());
    std::vector<BurstProbe> pb(probes_);
    for (size_t w = 0; w < workers_.size(); ++w) before[w] = workers_[w]->pipeline_counters();
    uint64_t fwd0 = fwd_packets_.load();
    auto t0 = std::chrono::steady_clock::now();
    set_stream(k, ratio);
    std::this_thread::sleep_for(std::chrono::duration<double>(opt_.seconds));
    quiesce();
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double hz = static_cast<double>(rte_get_tsc_hz());
    if (!workers) {
        c.packets = fwd_packets_.load() - fwd0;
        c.mpps = c.packets / c.seconds / 1e6;
        c.gbps = c.mpps * (static_cast<double>(tr_.bytes) / tr_.templates.size()) * 8 / 1e3;
        return c;
    }
    PipelineCounters sum;
    std::vector<uint64_t> hist(BurstProbe::kBuckets, 0);
    uint64_t cycles = 0, ppk = 0;
    for (size_t w = 0; w < workers_.size(); ++w) {
        const PipelineCounters& a = workers_[w]->pipeline_counters();
        const PipelineCounters& b = before[w];
        PipelineCounters d;
        d.packets = a.packets - b.packets;
        d.bytes = a.bytes - b.bytes;
        d.accepted = a.accepted - b.accepted;
        d.flow_cache_hits = a.flow_cache_hits - b.flow_cache_hits;
        d.flow_cache_misses = a.flow_cache_misses - b.flow_cache_misses;
        d.conntrack_full = a.conntrack_full - b.conntrack_full;
        for (size_t l = 0; l < kLayerCount; ++l) d.dropped[l] = a.dropped[l] - b.dropped[l];
        sum.add(d);
        const BurstProbe& pa = probes_[w];
        uint64_t wc = pa.cycles - pb[w].cycles, wp = pa.packets - pb[w].packets;
        for (unsigned i = 0; i < BurstProbe::kBuckets; ++i) hist[i] += pa.hist[i] - pb[w].hist[i];
        cycles += wc;
        ppk += wp;
        c.bursts += pa.bursts - pb[w].bursts;
        c.workers.push_back({static_cast<unsigned>(w), d.packets, d.packets / c.seconds / 1e6, wp ? double(wc) / wp : 0});
    }
    c.packets = sum.packets;
    c.bytes = sum.bytes;
    c.accepted = sum.accepted;
    c.dropped = sum.dropped_total();
    c.flow_cache_hits = sum.flow_cache_hits;
    c.flow_cache_misses = sum.flow_cache_misses;
    c.conntrack_full = sum.conntrack_full;
    for (size_t l = 0; l < kLayerCount; ++l)
        if (sum.dropped[l]) c.drops_by_layer[std::string(layer_name(static_cast<Layer>(l)))] = sum.dropped[l];
    c.mpps = c.packets / c.seconds / 1e6;
    c.gbps = c.bytes * 8 / c.seconds / 1e9;
    c.cycles_per_packet = ppk ? double(cycles) / ppk : 0;
    auto pct = [&](double q) {
        uint64_t total = 0;
        for (uint64_t h : hist) total += h;
        if (!total) return 0.0;
        uint64_t want = static_cast<uint64_t>(std::ceil(q * total)), run = 0;
        for (unsigned i = 0; i < BurstProbe::kBuckets; ++i) {
            run += hist[i];
            if (run >= want) return static_cast<double>(BurstProbe::bucket_low(i + 1 < BurstProbe::kBuckets ? i + 1 : i)) / hz * 1e6;
        }
        return 0.0;
    };
    c.burst_p50_us = pct(0.5);
    c.burst_p99_us = pct(0.99);
    c.burst_p999_us = pct(0.999);
    return c;
}

// Which templates the rules drop (a private pipeline, fresh state, origins as the ports give them).
void Bench::label_templates() {
    tpl_denied_.assign(tr_.templates.size(), false);
    Pipeline pl(rs_->settings(), 1u << 16);
    pl.set_ruleset(rs_.get());
    std::vector<Frame> fr(kMaxBurst);
    std::vector<Verdict> v(kMaxBurst);
    for (size_t i = 0; i < tr_.templates.size(); i += kMaxBurst) {
        size_t n = std::min<size_t>(kMaxBurst, tr_.templates.size() - i);
        for (size_t j = 0; j < n; ++j) {
            const auto& f = tr_.templates[i + j].frame;
            fr[j] = Frame{f.data(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size()), LinkType::Ethernet,
                          wall_seconds(), topo_.ports[tpl_port_[i + j]].origin};
        }
        pl.process(std::span<const Frame>(fr.data(), n), std::span<Verdict>(v.data(), n));
        for (size_t j = 0; j < n; ++j) tpl_denied_[i + j] = v[j].action != Action::Accept;
    }
}

// Baseline: rte_acl_classify on the compiled NACL (else SG) context of this ruleset, the
// templates' IPv4 keys, batches of kMaxBurst, as the pipeline calls it.
void Bench::raw_acl(RunFigures& f) {
    const AclTables& acl = rs_->acl();
    std::vector<AclKey4> keys;
    for (const auto& t : tr_.templates) {
        ParseResult pr = parse_frame(t.frame.data(), static_cast<uint32_t>(t.frame.size()), static_cast<uint32_t>(t.frame.size()), LinkType::Ethernet);
        if (!pr.ok() || !pr.key.is_v4()) continue;
        uint16_t l4 = acl_l4_word(pr.key.proto, pr.key.dport.host(), static_cast<uint8_t>(pr.key.icmp_id.host() >> 8), 0);
        keys.push_back(make_acl_key4(pr.key.proto, 0, kAclIngress, pr.key.src[0], 0, l4));
    }
    f.acl_method = acl_algorithm_name(acl.algorithm());
    f.acl_batch = kMaxBurst;
    if (keys.empty()) return;
    bool nacl = rs_->stats().nacl_rules4 > 0;
    std::vector<NaclVerdict> nv(kMaxBurst);
    std::vector<SgVerdict> sv(kMaxBurst);
    uint64_t lookups = 0, t0 = rte_rdtsc();
    double limit = std::min(opt_.seconds, 1.0) * static_cast<double>(rte_get_tsc_hz());
    while (static_cast<double>(rte_rdtsc() - t0) < limit) {
        for (size_t i = 0; i < keys.size(); i += kMaxBurst) {
            size_t n = std::min<size_t>(kMaxBurst, keys.size() - i);
            std::span<const AclKey4> k(keys.data() + i, n);
            if (nacl) acl.classify_nacl(k, std::span<NaclVerdict>(nv.data(), n));
            else acl.classify_sg(k, std::span<SgVerdict>(sv.data(), n));
            lookups += n;
        }
    }
    uint64_t cyc = rte_rdtsc() - t0;
    f.raw_acl_lookups = lookups;
    f.raw_acl_cycles_per_lookup = double(cyc) / lookups;
    f.raw_acl_mlookups = lookups / (cyc / static_cast<double>(rte_get_tsc_hz())) / 1e6;
}

uint64_t Bench::refused() const {
    uint64_t n = 0;
    for (const auto& w : workers_) n += w->pipeline_counters().conntrack_full;
    return n;
}

// The connection table at its limit: flood until a new flow is refused (bounded in time),
// then measure the flood and, with the table still full, established flows alone.
void Bench::flood(RunFigures& f) {
    LimitFigure& l = f.limit;
    l.measured = true;
    l.capacity_per_worker = opt_.capacity;
    l.bound_seconds = std::clamp(10 * opt_.seconds, 5.0, 60.0);
    progress("SYN flood to the connection-table limit (at most " + std::to_string(int(l.bound_seconds)) + " s)");
    const uint64_t r0 = refused();
    auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    set_stream(Stream::Kind::Flood, 0);
    while (refused() == r0 && elapsed() < l.bound_seconds) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    l.seconds_to_refusal = elapsed();
    l.reached = refused() > r0;
    l.rss_at_limit_bytes = proc_status_bytes("VmRSS");
    quiesce();
    if (!l.reached) return;
    f.cases.push_back(measure("flood", Stream::Kind::Flood, 0, true));
    f.cases.push_back(measure("established-at-limit", Stream::Kind::Mixed, 0, true));
    l.rss_after_bytes = proc_status_bytes("VmRSS");
}

// Update latency while established traffic flows: one SG rule added with `apply`'s action
// (compiled as a successor, published), and the whole network recompiled (a reload).
void Bench::updates(RunFigures& f) {
    set_stream(Stream::Kind::Mixed, 0);
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : v[v.size() / 2];
    };
    if (!opt_.compile) return;
    Network model = net_;
    std::shared_ptr<const CompiledRuleset> prev = rs_;
    for (int kind = 0; kind < 2; ++kind) {
        if (kind == 0 && model.security_groups.empty()) continue;
        UpdateFigure u;
        u.what = kind == 0 ? "apply AuthorizeSecurityGroupIngress" : "reload";
        std::vector<double> comp, total;
        for (int i = 0; i < 5; ++i) {
            progress(u.what + " " + std::to_string(i + 1) + "/5");
            auto t0 = std::chrono::steady_clock::now();
            if (kind == 0) {
                nlohmann::json p = {{"GroupId", model.security_groups[0].id},
                                    {"IpPermissions", {{{"IpProtocol", "tcp"}, {"FromPort", 40000 + i}, {"ToPort", 40000 + i},
                                                        {"IpRanges", {{{"CidrIp", "198.51.100.7/32"}}}}}}}};
                if (auto a = apply_action(model, "AuthorizeSecurityGroupIngress", p); !a) {
                    u.error = a.error().message;
                    break;
                }
            }
            auto c0 = std::chrono::steady_clock::now();
            auto rs = opt_.compile(model, prev.get());
            if (!rs) {
                u.error = rs.error().message;
                break;
            }
            comp.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count());
            prev = *rs;
            slot_->publish(std::move(*rs));
            total.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        u.samples = static_cast<unsigned>(total.size());
        u.compile_ms_median = median(comp);
        u.to_all_workers_ms_median = median(total);
        u.to_all_workers_ms_max = total.empty() ? 0 : *std::max_element(total.begin(), total.end());
        f.updates.push_back(u);
    }
    quiesce();
}

Result<RunFigures> Bench::run() {
    RunFigures f;
    f.tsc_hz = static_cast<double>(rte_get_tsc_hz());
    uint64_t v = (opt_.flows + tr_.sessions - 1) / tr_.sessions;
    if (v > Traffic::kVariants / 2)
        return Error{"--flows " + std::to_string(opt_.flows) + " is more than the traffic can make: " +
                         std::to_string(tr_.sessions) + " sessions x " + std::to_string(Traffic::kVariants / 2) +
                         " ephemeral-port variants = " + std::to_string(uint64_t{tr_.sessions} * (Traffic::kVariants / 2)) + " flows",
                     {}, {}, {}, ErrorKind::Input};
    variants_ = static_cast<uint32_t>(std::max<uint64_t>(1, v));
    f.variants = variants_;
    f.flows = uint64_t{variants_} * tr_.sessions;
    if (Status s = setup(); !s) return s.error();
    label_templates();
    raw_acl(f);
    feeder_ = std::thread([this] {
        pin_thread(-1);
        rte_thread_register();
        feeder();
        rte_thread_unregister();
    });
    // Baseline first, on the same ports and stream: a plain forwarding loop.
    {
        std::thread fwd([this] {
            pin_thread(-1);
            rte_thread_register();
            forwarder();
            rte_thread_unregister();
        });
        f.forward = measure("forward", Stream::Kind::Mixed, opt_.new_flow_ratio, false);
        fwd_quit_.store(true);
        fwd.join();
    }
    f.forward.name = "forward";
    for (unsigned w = 0; w < opt_.workers; ++w)
        worker_threads_.emplace_back([this, w] {
            pin_thread(-1);
            rte_thread_register();
            workers_[w]->run();
            rte_thread_unregister();
        });
    // Warm-up: every flow of the warm set once (untimed), then the cases.
    progress("warm-up (" + std::to_string(f.flows) + " flows)");
    set_stream(Stream::Kind::Warm, 0);
    uint64_t want = uint64_t{variants_} * tr_.templates.size();
    auto total_packets = [&] {
        uint64_t n = 0;
        for (const auto& w : workers_) n += w->pipeline_counters().packets;
        return n;
    };
    auto w0 = std::chrono::steady_clock::now();
    while (total_packets() < want && std::chrono::steady_clock::now() - w0 < std::chrono::seconds(60))
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    quiesce();
    f.cases.push_back(measure("mixed", Stream::Kind::Mixed, opt_.new_flow_ratio, true));
    f.cases.push_back(measure("established", Stream::Kind::Mixed, 0, true));
    f.cases.push_back(measure("new", Stream::Kind::Mixed, 1, true));
    bool any_denied = std::find(tpl_denied_.begin(), tpl_denied_.end(), true) != tpl_denied_.end();
    if (any_denied) {
        f.cases.push_back(measure("denied", Stream::Kind::Denied, 0, true));
        f.cases.push_back(measure("denied-repeat", Stream::Kind::DeniedRepeat, 0, true));
    }
    const size_t denied_case = any_denied ? 3 : 0;
    if (opt_.flood) flood(f);
    if (opt_.updates) updates(f);
    if (opt_.progress) err_ << "\r\033[K" << std::flush;
    // Per-class cycles: established from its case; new flows from the new case, its
    // flow-cache hits charged at the established figure; drops from the denied case.
    const CaseFigure& est = f.cases[1];
    const CaseFigure& nw = f.cases[2];
    f.cycles_established = est.cycles_per_packet;
    if (nw.flow_cache_misses && nw.packets) {
        double total = nw.cycles_per_packet * nw.packets;
        f.cycles_new = std::max(0.0, (total - double(nw.flow_cache_hits) * est.cycles_per_packet) / nw.flow_cache_misses);
    }
    if (any_denied) f.cycles_drop = f.cases[denied_case].cycles_per_packet;
    return f;
}

} // namespace

uint64_t proc_status_bytes(std::string_view field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 && line[field.size()] == ':')
            return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
    return 0;
}

Result<RunFigures> run_cases(const Network& net, std::shared_ptr<const CompiledRuleset> rs, const Traffic& traffic,
                             const RunnerOptions& opt, std::ostream& err) {
    Bench b(net, std::move(rs), traffic, opt, err);
    return b.run();
}

} // namespace vpcfw::bench
