// Worker: one live-dataplane lcore of `vpcfw run`. It polls its own RX queue of every
// port, answers ARP and IPv6 neighbour discovery for the VPC router and the model's
// addresses, hands each IP packet to the worker that owns its flow (software symmetric
// dispatch over rte_rings, so both directions of a flow, NAT'd replies included, meet one
// connection table), evaluates its bursts with its own Pipeline, rewrites the accepted
// packets (translations, checksums, Ethernet addresses) and sends them out of the port
// where their destination lives, on its own TX queue. Between bursts it picks up a new
// ruleset version from the RulesetSlot and reports a quiescent state.
// Hot path: no allocation, no locks, no exceptions, no virtual calls per packet. A Worker
// belongs to one thread; the control thread only reads its counters (plain 64-bit loads,
// as DPDK's own statistics do), drains its log queue, and asks for flow-table snapshots.
// What it forwards on: dataplane/topology.hpp; MACs it learns: dataplane/mac_table.hpp;
// its decision records: dataplane/log_queue.hpp; its counters: dataplane/worker_counters.hpp.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/burst_probe.hpp"
#include "dataplane/compiled.hpp"
#include "dataplane/flow_key.hpp"
#include "dataplane/log_queue.hpp"
#include "dataplane/mac_table.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/ruleset_slot.hpp"
#include "dataplane/topology.hpp"
#include "dataplane/verdict.hpp"
#include "dataplane/worker_counters.hpp"
#include "ruleset/ip.hpp"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace vpcfw {

// Which worker owns a parsed flow (both directions alike). A plain function pointer:
// the sharder lives above dataplane/ (pcap/shard.hpp) and is one out-of-line call either way.
using ShardFn = unsigned (*)(const void* ctx, const FlowKey& key, unsigned workers);

// ---- recent flows (the `flows` command) ------------------------------------------------

struct FlowEntry {
    uint64_t id = 0;               // 0 = empty
    FlowKey key;                   // as first seen (the direction that opened it)
    uint64_t packets = 0, bytes = 0;
    double first = 0, last = 0;
    Action action = Action::Drop;  // of the latest packet
    int16_t in_port = -1, out_port = -1;
    uint32_t to_eni = Verdict::kNoEni;
};

// ---- the worker ------------------------------------------------------------------------

// What all workers share; owned by the control side, outlives the workers.
struct WorkerShared {
    const Topology* topology = nullptr;
    RulesetSlot* slot = nullptr;
    rte_mempool* pool = nullptr;   // for ARP/ND requests the workers originate
    unsigned workers = 1;
    std::vector<rte_ring*> inbound;            // per worker: packets other workers hand over
    std::vector<std::unique_ptr<MacTable>> learned;   // per port
    ShardFn shard = nullptr;
    const void* shard_ctx = nullptr;
    Settings settings;
    size_t capacity = 1u << 20;    // state entries per worker
    bool log = false;              // fill the log queues
    bool busy_poll = false;        // never sleep when idle
    BurstProbe* probes = nullptr;  // `vpcfw bench`: one per worker, burst cycles (null: off)
    std::atomic<bool> stop{false};
};

class Worker {
public:
    static constexpr uint32_t kFlowSlots = 16384;

    Worker(unsigned id, WorkerShared& shared);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // The poll loop; returns when shared.stop is set (after flushing its TX buffers).
    void run();

    unsigned id() const { return id_; }
    const WorkerCounters& counters() const { return counters_; }
    const PipelineCounters& pipeline_counters() const { return pipeline_.counters(); }
    LogQueue* log() { return log_.get(); }

    // Control thread: a copy of the recent-flow table, taken by the worker between bursts.
    // Waits up to `timeout_ms`; false when the worker did not answer (stopped).
    bool snapshot_flows(std::vector<FlowEntry>& out, int timeout_ms = 1000);
    // The connection-tracking entries and NAT mappings of the same snapshot (valid after
    // snapshot_flows returned true, until the next one).
    const std::vector<ConnectionInfo>& snapshot_connections() const { return conns_copy_; }
    const std::vector<NatMappingInfo>& snapshot_nat() const { return nat_copy_; }
    static constexpr size_t kMaxSnapshotEntries = 100000;

private:
    void poll_once(double now);
    void process_local(double now);
    void handle_arp(uint16_t pi, rte_mbuf* m);
    void handle_nd(uint16_t pi, rte_mbuf* m, uint32_t l3);
    bool answers(uint16_t pi, const IpAddr& target, const uint8_t* requester_mac) const;
    void forward(rte_mbuf* m, const Verdict& v, const ParseResult& pr, int16_t& out_port);
    void resolve(uint16_t pi, const IpAddr& target, const IpAddr& sender);
    void send(uint16_t pi, rte_mbuf* m);
    void flush();
    void flush_port(size_t pi);
    void refresh_symbols();
    void note_flow(const ParseResult& pr, const Verdict& v, uint16_t in_port, int16_t out_port, uint32_t bytes,
                   double now);
    void serve_snapshot();

    unsigned id_;
    WorkerShared& shared_;
    const Topology& topo_;
    Pipeline pipeline_;
    const CompiledRuleset* rs_ = nullptr;
    WorkerCounters counters_;
    std::unique_ptr<LogQueue> log_;

    // symbol of the current version -> port index (internet, attachment ids)
    struct SymPort {
        uint32_t sym;
        int16_t port;
    };
    std::vector<SymPort> sym_ports_;

    // scratch of one burst
    std::array<rte_mbuf*, kMaxBurst> local_{};
    uint32_t n_local_ = 0;
    std::array<Frame, kMaxBurst> frames_{};
    std::array<Verdict, kMaxBurst> verdicts_{};
    std::array<ParseResult, kMaxBurst> parsed_{};
    struct TxBuffer {
        std::array<rte_mbuf*, kMaxBurst> m{};
        uint32_t n = 0;
    };
    std::vector<TxBuffer> tx_;                     // per port
    std::vector<double> last_resolve_;             // per port: rate limit of ARP/ND requests

    std::unique_ptr<FlowEntry[]> flows_;
    std::unique_ptr<FlowEntry[]> flows_copy_;
    std::vector<ConnectionInfo> conns_copy_;
    std::vector<NatMappingInfo> nat_copy_;
    alignas(64) std::atomic<uint64_t> snap_request_{0};
    std::atomic<uint64_t> snap_done_{0};
    uint32_t idle_loops_ = 0;
};

// Wall-clock seconds (the live packet clock).
double wall_seconds();

// Pins the calling thread to `cpu`, or lets it run on every online CPU when cpu < 0.
// Threads that are not EAL lcores need it: the EAL pins the main thread, and threads
// inherit its single-CPU affinity.
void pin_thread(int cpu);

} // namespace vpcfw
