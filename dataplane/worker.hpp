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
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/compiled.hpp"
#include "dataplane/flow_key.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/ruleset_slot.hpp"
#include "dataplane/verdict.hpp"
#include "ruleset/ip.hpp"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace vpcfw {

// ---- what lives behind each port (immutable while workers run) -------------------------

struct LivePort {
    enum class Kind : uint8_t { Subnet, Internet, Attachment };
    uint16_t port_id = 0;          // DPDK port
    uint8_t mac[6] = {};           // the port's own MAC: the router's, on the wire
    Kind kind = Kind::Subnet;
    OriginSpec origin;             // Auto on subnet ports; Internet / attachment given
    std::string label;             // SPEC as given, for stats
    std::vector<std::string> attachment_ids;   // tgw-attach-/vgw-/vpn- ids behind it
    std::vector<IpAddr> routers;   // base + 1 of every subnet CIDR behind it (ARP/ND)
    // Private addresses answered here (ENIs of the VPCs behind the port) -> ENI index; a
    // host is never answered for its own address.
    std::unordered_map<IpAddr, uint32_t, IpAddrHash> private_addrs;
};

struct Topology {
    std::vector<LivePort> ports;
    std::vector<int16_t> eni_port;                  // dense ENI index -> port index, -1: none
    std::vector<std::array<uint8_t, 6>> eni_mac;    // dense ENI index -> its MAC (model)
    int internet_port = -1;
};

// The MACs hosts behind a port sent from, by IP address (for destinations the model has
// no MAC for: internet hosts, attachment peers). Shared by all workers without locks: a
// direct-mapped table of (address hash, MAC) words; a racing writer can at worst leave a
// slot stale until the host's next packet relearns it.
class MacTable {
public:
    MacTable();
    bool lookup(const IpAddr& ip, uint8_t mac[6]) const;
    void learn(const IpAddr& ip, const uint8_t mac[6]);
    size_t size() const;           // learned entries (cold)

private:
    static constexpr unsigned kSlots = 4096;
    struct Slot {
        std::atomic<uint64_t> key{0};
        std::atomic<uint64_t> mac{0};
    };
    std::unique_ptr<Slot[]> slots_;
};

// Which worker owns a parsed flow (both directions alike). A plain function pointer:
// the sharder lives above dataplane/ (pcap/shard.hpp) and is one out-of-line call either way.
using ShardFn = unsigned (*)(const void* ctx, const FlowKey& key, unsigned workers);

// ---- counters --------------------------------------------------------------------------

#define VPCFW_WORKER_COUNTERS(X)                                                                       \
    X(rx_packets, "frames received")                                                                   \
    X(rx_bytes, "bytes received")                                                                      \
    X(tx_packets, "frames sent")                                                                       \
    X(tx_bytes, "bytes sent")                                                                          \
    X(tx_dropped, "frames the TX queue did not take")                                                 \
    X(arp_replies, "ARP requests answered")                                                            \
    X(nd_replies, "IPv6 neighbour solicitations answered")                                            \
    X(resolve_requests, "ARP/ND requests sent for unknown next-hop MACs")                             \
    X(l2_other, "non-IP frames ignored (other ARP/ND, LLDP, ...)")                                   \
    X(redirected, "packets handed to the worker owning their flow")                                   \
    X(redirect_dropped, "packets lost because the owning worker's ring was full")                     \
    X(forwarded, "accepted packets sent on")                                                           \
    X(delivered_local, "accepted packets for AWS services (DNS, metadata, router...)")               \
    X(no_port, "accepted packets whose destination has no port")                                       \
    X(translate_unsupported, "accepted packets needing a translation the wire path lacks (NAT64)")  \
    X(log_dropped, "decision records lost because the log queue was full")

struct WorkerCounters {
#define VPCFW_X(name, help) uint64_t name = 0;
    VPCFW_WORKER_COUNTERS(VPCFW_X)
#undef VPCFW_X
};

struct CounterName {
    const char* name;
    const char* help;
};
inline constexpr CounterName kWorkerCounterNames[] = {
#define VPCFW_X(name, help) {#name, help},
    VPCFW_WORKER_COUNTERS(VPCFW_X)
#undef VPCFW_X
};

// ---- decision records for the control thread (decisions, flow logs, captures) ----------

inline constexpr uint32_t kLogSnap = 1600;   // frame bytes kept per record

struct LogRecord {
    uint64_t version = 0;          // ruleset version of the verdict (its Names)
    double ts = 0;
    uint32_t caplen = 0;           // bytes in frame[]
    uint32_t wirelen = 0;
    uint16_t in_port = 0;          // port index
    int16_t out_port = -1;
    ParseReason reason = ParseReason::Ok;
    FlowKey key;
    Verdict verdict;
    uint8_t frame[kLogSnap];
};

// Single producer (the worker), single consumer (the control thread).
class LogQueue {
public:
    explicit LogQueue(uint32_t capacity_pow2);
    LogRecord* reserve();          // worker: a slot to fill, nullptr when full
    void commit();                 // worker: publishes the reserved slot
    const LogRecord* front();      // control: the oldest record, nullptr when empty
    void pop();                    // control: releases front()

private:
    std::unique_ptr<LogRecord[]> slots_;
    uint32_t mask_;
    alignas(64) std::atomic<uint64_t> head_{0};   // next to write
    alignas(64) std::atomic<uint64_t> tail_{0};   // next to read
};

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
