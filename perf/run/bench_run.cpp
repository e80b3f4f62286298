// bench_run: the live dataplane of `vpcfw run` (dataplane/worker.hpp: RX, dispatch,
// Pipeline, rewrite, TX) between net_ring ports fed by a generator thread, in Mpps per
// worker, at 1k and 10k ClassBench-derived rules (perf/bench_env.hpp, form "both": NACL
// and SG rules on both sides), for established flows (the accepted flows' packets again)
// and new flows (every packet opens a flow: the source port rolls), beside a plain
// forwarding loop (rx_burst -> swap MACs -> tx_burst, no rules) on the same ports in the
// same run. The generator recycles forwarded mbufs (rewrites the frame, enqueues it again)
// on its own core, so the figure is the worker's.
//   usage: bench_run [--seconds S] [--sizes 1000,10000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/compiler.hpp"
#include "dataplane/ruleset_slot.hpp"
#include "dataplane/worker.hpp"
#include "perf/bench_env.hpp"

using namespace vpcfw;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct RingPort {
    rte_ring* rx = nullptr;   // the generator fills it; the port receives from it
    rte_ring* tx = nullptr;   // the port sends into it; the generator drains it
    uint16_t id = 0;
};

RingPort make_port(const std::string& name) {
    RingPort p;
    p.rx = rte_ring_create((name + "_rx").c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx = rte_ring_create((name + "_tx").c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!p.rx || !p.tx) {
        std::fprintf(stderr, "cannot create rings\n");
        std::exit(3);
    }
    int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, 0);
    if (id < 0) {
        std::fprintf(stderr, "rte_eth_from_rings failed\n");
        std::exit(3);
    }
    p.id = static_cast<uint16_t>(id);
    return p;
}

// Keeps the port's RX ring full of frames: drained mbufs are rewritten and enqueued again,
// fresh ones are allocated for what the worker dropped. `roll` makes every frame a new
// flow (source port counter).
struct Generator {
    RingPort port;
    rte_mempool* pool;
    const std::vector<std::vector<uint8_t>>* frames;
    bool roll = false;
    std::atomic<bool> stop{false};

    void run() {
        pin_thread(0);   // the worker gets CPU 1 to itself
        size_t next = 0;
        uint16_t sport = 1024;
        rte_mbuf* m[64];
        while (!stop.load(std::memory_order_relaxed)) {
            unsigned got = rte_ring_dequeue_burst(port.tx, reinterpret_cast<void**>(m), 64, nullptr);
            unsigned room = rte_ring_free_count(port.rx);
            unsigned want = std::min(64u, room);
            if (got > want) {
                rte_pktmbuf_free_bulk(m + want, got - want);
                got = want;
            }
            if (got < want && rte_pktmbuf_alloc_bulk(pool, m + got, want - got) == 0) got = want;
            for (unsigned i = 0; i < got; ++i) {
                const auto& f = (*frames)[next];
                next = next + 1 == frames->size() ? 0 : next + 1;
                uint8_t* d = rte_pktmbuf_mtod(m[i], uint8_t*);
                std::memcpy(d, f.data(), f.size());
                m[i]->data_len = m[i]->pkt_len = static_cast<uint32_t>(f.size());
                if (roll) {   // TCP/UDP source port at 14 + 20
                    uint16_t be = rte_cpu_to_be_16(sport);
                    sport = sport == 65535 ? 1024 : sport + 1;
                    if (d[23] == 6 || d[23] == 17) std::memcpy(d + 34, &be, 2);
                }
            }
            unsigned put = rte_ring_enqueue_burst(port.rx, reinterpret_cast<void**>(m), got, nullptr);
            if (put < got) rte_pktmbuf_free_bulk(m + put, got - put);
        }
    }
};

// The baseline: what a plain DPDK forwarding loop does on the same port.
uint64_t plain_forward(uint16_t port, std::atomic<bool>& stop) {
    uint64_t n = 0;
    rte_mbuf* m[kMaxBurst];
    while (!stop.load(std::memory_order_relaxed)) {
        uint16_t got = rte_eth_rx_burst(port, 0, m, kMaxBurst);
        for (uint16_t i = 0; i < got; ++i) {
            auto* eth = rte_pktmbuf_mtod(m[i], rte_ether_hdr*);
            rte_ether_addr t = eth->src_addr;
            eth->src_addr = eth->dst_addr;
            eth->dst_addr = t;
        }
        uint16_t sent = rte_eth_tx_burst(port, 0, m, got);
        if (sent < got) rte_pktmbuf_free_bulk(m + sent, got - sent);
        n += got;
    }
    return n;
}

struct Measure {
    double mpps = 0;
    double accepted = 0;   // share of evaluated packets
};

template <typename Counter>
Measure measure(double seconds, Counter count, std::atomic<bool>& stop, std::thread& t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));   // warm up
    auto [p0, a0] = count();
    double t0 = now_s();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    auto [p1, a1] = count();
    double t1 = now_s();
    stop.store(true);
    t.join();
    Measure m;
    m.mpps = static_cast<double>(p1 - p0) / (t1 - t0) / 1e6;
    m.accepted = p1 > p0 ? static_cast<double>(a1 - a0) / static_cast<double>(p1 - p0) : 0;
    return m;
}

void drain(const RingPort& p) {
    rte_mbuf* m[64];
    for (rte_ring* r : {p.rx, p.tx})
        while (unsigned n = rte_ring_dequeue_burst(r, reinterpret_cast<void**>(m), 64, nullptr)) rte_pktmbuf_free_bulk(m, n);
}

} // namespace

int main(int argc, char** argv) {
    double seconds = 1.0;
    std::vector<size_t> sizes = {1000, 10000};
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (a == "--sizes" && i + 1 < argc) {
            sizes.clear();
            std::stringstream ss(argv[++i]);
            for (std::string s; std::getline(ss, s, ',');) sizes.push_back(std::stoul(s));
        } else {
            std::fprintf(stderr, "usage: bench_run [--seconds S] [--sizes 1000,10000]\n");
            return 2;
        }
    }
    if (!perf::start_eal(argv[0])) return 3;
    rte_mempool* pool = rte_pktmbuf_pool_create("bench_run", 32768, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (!pool) {
        std::fprintf(stderr, "cannot create the mbuf pool\n");
        return 3;
    }
    RingPort port = make_port("bench_ring0");
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(port.id, 1, 1, &conf) != 0 || rte_eth_rx_queue_setup(port.id, 0, 1024, 0, nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(port.id, 0, 1024, 0, nullptr) != 0 || rte_eth_dev_start(port.id) != 0) {
        std::fprintf(stderr, "cannot start the ring port\n");
        return 3;
    }
    std::printf("# bench_run: one worker, net_ring port, 60-byte frames, %.1f s per figure, CPU cores: %u\n", seconds,
                std::thread::hardware_concurrency());
    std::printf("%-8s %-26s %10s %10s\n", "rules", "case", "Mpps", "accepted");

    for (size_t count : sizes) {
        const perf::BenchNet& n = perf::bench_net(count, cb::Form::Both);
        auto rs = compile_ruleset(n.net, Settings{}, {.algorithm = perf::bench_algorithm(), .version = 1});
        if (!rs) {
            std::fprintf(stderr, "compile_ruleset: %s\n", rs.error().str().c_str());
            return 3;
        }
        std::vector<std::vector<uint8_t>> syn, ack;
        for (const auto& f : n.built.flows) {
            std::vector<uint8_t> a(cb::kFrameLen);
            cb::build_frame(n.built, f, false, 0x02, a.data());
            syn.push_back(std::move(a));
        }
        {
            // Established: the next packet (ACK) of the flows whose opening packet is accepted
            // (a dropped flow has no state to hit), found with an offline Pipeline.
            Pipeline probe(Settings{}, 4 * syn.size() + 1024);
            probe.set_ruleset(rs->get());
            std::vector<Frame> fr(syn.size());
            std::vector<Verdict> out(syn.size());
            for (size_t i = 0; i < syn.size(); ++i) fr[i] = Frame{syn[i].data(), cb::kFrameLen, cb::kFrameLen, LinkType::Ethernet, 1.0, {}};
            for (size_t i = 0; i < fr.size(); i += kMaxBurst) {
                size_t m = std::min<size_t>(kMaxBurst, fr.size() - i);
                probe.process(std::span<const Frame>(fr.data() + i, m), std::span<Verdict>(out.data() + i, m));
            }
            for (size_t i = 0; i < syn.size(); ++i)
                if (out[i].action == Action::Accept) {
                    std::vector<uint8_t> b(cb::kFrameLen);
                    cb::build_frame(n.built, n.built.flows[i], false, 0x10, b.data());
                    ack.push_back(std::move(b));
                }
        }
        // One port with the whole VPC behind it: accepted packets leave by the port they came in.
        Topology topo;
        LivePort lp;
        lp.port_id = port.id;
        lp.label = "net_ring@" + n.net.vpcs[0].id;
        topo.ports.push_back(lp);
        topo.eni_port.assign(n.net.enis.size(), 0);
        topo.eni_mac.assign(n.net.enis.size(), {});

        struct Case {
            const char* name;
            bool established;
        };
        for (Case c : {Case{"established flows", true}, Case{"new flows (sport rolls)", false}}) {
            RulesetSlot slot(1);
            slot.publish(*rs);
            WorkerShared shared;
            shared.topology = &topo;
            shared.slot = &slot;
            shared.pool = pool;
            shared.workers = 1;
            shared.capacity = 1u << 21;
            shared.busy_poll = true;
            shared.inbound.push_back(rte_ring_create(("bin" + std::to_string(count) + (c.established ? "e" : "n")).c_str(), 1024, 0, RING_F_SC_DEQ));
            shared.learned.push_back(std::make_unique<MacTable>());
            Worker worker(0, shared);
            // Established: open every flow first (SYN), then send the flows' next packets.
            std::vector<std::vector<uint8_t>> frames = c.established ? ack : syn;
            Generator gen{port, pool, &frames, !c.established};
            if (c.established) {
                Generator opener{port, pool, &syn, false};
                std::thread ot([&] { opener.run(); });
                std::thread wt([&] {
                    rte_thread_register();
                    worker.run();
                });
                while (worker.pipeline_counters().packets < syn.size()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                opener.stop.store(true);
                ot.join();
                shared.stop.store(true);
                wt.join();
                shared.stop.store(false);
                drain(port);
            }
            std::thread gt([&] { gen.run(); });
            std::thread wt([&] {
                pin_thread(1);
                rte_thread_register();
                worker.run();
            });
            Measure m = measure(
                seconds,
                [&] {
                    const PipelineCounters& pc = worker.pipeline_counters();
                    return std::pair<uint64_t, uint64_t>(pc.packets, pc.accepted);
                },
                shared.stop, wt);
            gen.stop.store(true);
            gt.join();
            drain(port);
            rte_ring_free(shared.inbound[0]);
            std::printf("%-8zu %-26s %10.2f %9.0f%%\n", count, c.name, m.mpps, 100 * m.accepted);
            std::fflush(stdout);
        }
    }

    // The plain forwarding loop on the same port, in the same run.
    std::vector<std::vector<uint8_t>> frames;
    {
        const perf::BenchNet& n = perf::bench_net(sizes.empty() ? 1000 : sizes[0], cb::Form::Both);
        for (size_t i = 0; i < std::min<size_t>(n.built.flows.size(), 4096); ++i) {
            std::vector<uint8_t> a(cb::kFrameLen);
            cb::build_frame(n.built, n.built.flows[i], false, 0x10, a.data());
            frames.push_back(std::move(a));
        }
    }
    Generator gen{port, pool, &frames, false};
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> forwarded{0};
    std::thread gt([&] { gen.run(); });
    std::thread ft([&] {
        pin_thread(1);
        rte_thread_register();
        forwarded = plain_forward(port.id, stop);
    });
    // The loop counts privately; measure through the port's RX statistics instead.
    Measure m = measure(
        seconds,
        [&] {
            rte_eth_stats st{};
            rte_eth_stats_get(port.id, &st);
            return std::pair<uint64_t, uint64_t>(st.ipackets, st.ipackets);
        },
        stop, ft);
    gen.stop.store(true);
    gt.join();
    drain(port);
    std::printf("%-8s %-26s %10.2f %10s\n", "-", "plain forwarding (no rules)", m.mpps, "-");
    rte_eth_dev_stop(port.id);
    return 0;
}
