// Pipeline: the compiled fast path of one worker. Bursts of frames (or already-parsed
// packets) in, one Verdict per packet out, over the whole AWS path of docs/semantics.md, with
// this worker's own connection tracking, NAT, egress-only, appliance and fragment state.
// A Pipeline belongs to one thread; it reads the current CompiledRuleset (immutable,
// shared by all workers) and picks up a newer version between bursts. Hot path: no
// allocation after construction, no locks, no exceptions, no virtual calls per packet.
// Design and the stages of a burst: dataplane/DESIGN-pipeline.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/compiled.hpp"
#include "dataplane/counters.hpp"
#include "dataplane/flow_key.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/verdict.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/settings.hpp"

namespace vpcfw {

// One captured frame of a burst.
struct Frame {
    const uint8_t* data = nullptr;
    uint32_t caplen = 0;
    uint32_t wirelen = 0;
    LinkType link = LinkType::Ethernet;
    double ts = 0;                 // seconds; the packet clock
    OriginSpec origin;             // Auto, or explicit (--from)
};

// One packet after the parse stage (or built from the packet language by tests).
struct alignas(64) ParsedPacket {
    FlowKey key;
    ParseReason reason = ParseReason::Ok;
    bool has_src_mac = false;
    uint8_t src_mac[6] = {};
    OriginSpec origin;
    double ts = 0;
};

// A packet of the packet language as the pipeline's input (tests, scenarios, explain).
ParsedPacket parsed_from_packet(const Packet& p, OriginSpec origin, double ts);

inline constexpr uint32_t kMaxBurst = 64;

// Pipeline has process_refs() / reserve() (for code built against older trees).
#define VPCFW_PIPELINE_VERDICT_REFS 1

// One connection-tracking entry as `vpcfw ctl flows` shows it (cold copies).
struct ConnectionInfo {
    uint32_t eni = 0;              // dense ENI index (the entry is per ENI, §4)
    uint8_t proto = 0;
    IpAddr local, remote;
    uint16_t lport = 0, rport = 0; // TCP/UDP ports; ICMP: identifier and request type
    bool opened_by_local = false;  // the first packet left the ENI
    bool established = false;      // TCP handshake complete
    uint32_t pkts_out = 0, pkts_in = 0;
    double last_seen = 0;
    double expires = 0;            // last_seen + the timeout that applies now
};

// One NAT gateway mapping (cold copies).
struct NatMappingInfo {
    uint32_t nat = 0;              // dense NAT gateway index
    uint8_t proto = 0;
    IpAddr inside, nat_ip, remote;
    uint16_t inside_port = 0, nat_port = 0, rport = 0;
    double last_seen = 0;
}; 

class Pipeline {
public:
    // `capacity`: this worker's connection table (entries; 0 = settings'
    // conntrack_table_capacity, which it replaces); the other state tables are sized from it.
    explicit Pipeline(const Settings& settings, size_t capacity = 0);
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // The version to use from the next burst on. The caller guarantees it outlives its use
    // (RulesetSlot and RCU QSBR do this for live workers). Connection state survives.
    void set_ruleset(const CompiledRuleset* rs);
    const CompiledRuleset* ruleset() const;

    // Parses and evaluates up to kMaxBurst frames; out[i] is frame i's verdict. When
    // `parsed` is not empty it receives each frame's parse result (for output writers).
    void process(std::span<const Frame> burst, std::span<Verdict> out, std::span<ParseResult> parsed = {});
    // Evaluates up to kMaxBurst parsed packets, in order (state flows from one to the next).
    void process_parsed(std::span<const ParsedPacket> burst, std::span<Verdict> out);
    // The same without copying verdicts: out[i] points at packet i's verdict (the flow
    // cache's own for an established flow), valid until the next process*() or
    // set_ruleset() call on this Pipeline. The hot path of a worker.
    void process_refs(std::span<const Frame> burst, std::span<const Verdict*> out, std::span<ParseResult> parsed = {});
    void process_parsed_refs(std::span<const ParsedPacket> burst, std::span<const Verdict*> out);

    // Sizes the flow cache and connection tracking for `flows` flows now, so that no table
    // grows while they arrive (cold: allocates; call between bursts).
    void reserve(size_t flows);

    const PipelineCounters& counters() const;
    size_t tracked_entries() const;

    // The live connection-tracking entries and NAT mappings at time `now` (at most `max`
    // each), for `vpcfw ctl flows`. Cold: the owning thread calls it between bursts.
    void connections(std::vector<ConnectionInfo>& out, size_t max, double now) const;
    void nat_mappings(std::vector<NatMappingInfo>& out, size_t max, double now) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vpcfw
