// The figures of one `vpcfw bench` run as plain data: compile (time, peak memory, tables),
// each traffic case, the baselines of the same run and the ratios computed from them.
// Filled by bench/runner.hpp and the command; rendered by bench/report.hpp (table, JSON;
// every field documented in docs/bench.md and docs/schema/bench.schema.json).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vpcfw::bench {

struct WorkerFigure {
    unsigned worker = 0;
    uint64_t packets = 0;
    double mpps = 0;
    double cycles_per_packet = 0;
};

struct CaseFigure {
    std::string name;              // mixed, established, new, denied
    double seconds = 0;
    uint64_t packets = 0, bytes = 0, accepted = 0, dropped = 0;
    uint64_t flow_cache_hits = 0, flow_cache_misses = 0, conntrack_full = 0;
    std::map<std::string, uint64_t> drops_by_layer;
    double mpps = 0, gbps = 0;
    double cycles_per_packet = 0;  // TSC cycles in the worker's burst processing / packets
    uint64_t bursts = 0;
    double burst_p50_us = 0, burst_p99_us = 0, burst_p999_us = 0;
    std::vector<WorkerFigure> workers;
};

struct UpdateFigure {
    std::string what;              // "apply AuthorizeSecurityGroupIngress" or "reload"
    unsigned samples = 0;
    double compile_ms_median = 0;
    double to_all_workers_ms_median = 0, to_all_workers_ms_max = 0;   // apply -> every worker on it
    std::string error;             // why a sample failed (the action refused, the compile failed)
};

// The connection table driven to its limit (a SYN flood of new accepted flows from the
// network's own sessions, with established flows mixed in), then established flows alone
// while the table is still full.
struct LimitFigure {
    bool measured = false;         // off in sweeps
    uint64_t capacity_per_worker = 0;
    bool reached = false;          // a new flow was refused (conntrack_full) within the bound
    double seconds_to_refusal = 0; // flood start -> first refusal (or the bound)
    double bound_seconds = 0;
    uint64_t rss_at_limit_bytes = 0, rss_after_bytes = 0;   // VmRSS at the first refusal, after both cases
};

struct RunFigures {
    double tsc_hz = 0;
    std::string acl_method;
    unsigned acl_batch = 0;
    uint64_t flows = 0;            // distinct flows of the warm set
    uint32_t variants = 0;
    std::vector<CaseFigure> cases;
    CaseFigure forward;            // baseline: plain forwarding loop, same ports, same stream as mixed
    uint64_t raw_acl_lookups = 0;
    double raw_acl_cycles_per_lookup = 0, raw_acl_mlookups = 0;
    std::vector<UpdateFigure> updates;
    LimitFigure limit;             // with cases "flood" and "established-at-limit" when reached
    double cycles_established = 0, cycles_new = 0, cycles_drop = 0;
};

struct CompileFigure {
    double load_ms = 0, compile_ms = 0, acl_build_ms = 0, route_build_ms = 0;
    uint64_t peak_rss_delta_bytes = 0;   // VmHWM after compile minus before
    std::map<std::string, uint64_t> tables;
    std::map<std::string, uint64_t> memory_bytes;
    uint64_t nacl_entries = 0, sg_rules = 0;
};

} // namespace vpcfw::bench
