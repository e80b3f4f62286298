// PipelineCounters: the counters of one worker's pipeline, defined once. The scalar
// counters are one X-macro table (name, kind, help) and the drops are indexed by the layer
// table of ruleset/decision.hpp (VPCFW_LAYERS) and the parse-reason table of
// dataplane/parse.hpp; the struct, the sum over workers and every rendering (stats JSON,
// Prometheus, the stats line, the replay summary) iterate these tables, so a new counter
// or a new drop layer is one row. Every packet is counted once in `packets` and once in
// exactly one of `accepted` / `dropped[layer]`. Plain data, written only by the owning
// worker; readers copy it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/parse.hpp"
#include "ruleset/decision.hpp"

namespace vpcfw {

// kind: Counter (monotonic, summed over workers), Gauge (a level, summed over workers),
// Version (the ruleset version in use; the newest over workers).
#define VPCFW_PIPELINE_COUNTERS(X)                                                         \
    X(packets, Counter, "packets evaluated")                                               \
    X(bytes, Counter, "bytes evaluated")                                                   \
    X(accepted, Counter, "packets accepted")                                               \
    X(flow_cache_hits, Counter, "packets served from the flow cache (established or cached drop)")  \
    X(flow_cache_misses, Counter, "packets that walked the path (new flow, new version, state change)") \
    X(classifications, Counter, "rte_acl lookups done")                                    \
    X(conntrack_full, Counter, "new flows refused because the connection table was full")  \
    X(conntrack_reclaimed, Counter, "expired connection-tracking entries removed")          \
    X(conntrack_emergencies, Counter, "times the connection table entered emergency mode")  \
    X(conntrack_emergency, Gauge, "workers whose connection table is in emergency mode")        \
    X(conntrack_entries, Gauge, "live connection-tracking entries")                        \
    X(nat_mappings, Gauge, "live NAT gateway mappings")                                    \
    X(ruleset_version, Version, "ruleset version in use")

enum class CounterKind : uint8_t { Counter, Gauge, Version };

struct PipelineCounters {
#define VPCFW_X(name, kind, help) uint64_t name = 0;
    VPCFW_PIPELINE_COUNTERS(VPCFW_X)
#undef VPCFW_X
    uint64_t dropped[kLayerCount] = {};          // by Layer
    uint64_t parse_errors[kParseReasonCount] = {};// by ParseReason (also in dropped[Parse])

    uint64_t dropped_total() const {
        uint64_t n = 0;
        for (uint64_t d : dropped) n += d;
        return n;
    }

    // Adds another worker's counters (Version: the newer one).
    void add(const PipelineCounters& o) {
#define VPCFW_X(name, kind, help)                                                          \
        if constexpr (CounterKind::kind == CounterKind::Version) name = name > o.name ? name : o.name; \
        else name += o.name;
        VPCFW_PIPELINE_COUNTERS(VPCFW_X)
#undef VPCFW_X
        for (size_t l = 0; l < kLayerCount; ++l) dropped[l] += o.dropped[l];
        for (size_t r = 0; r < kParseReasonCount; ++r) parse_errors[r] += o.parse_errors[r];
    }
};

// The table as data, for renderings: name, kind, help, and the member it names.
struct PipelineCounterField {
    const char* name;
    CounterKind kind;
    const char* help;
    uint64_t PipelineCounters::*member;
};
inline constexpr PipelineCounterField kPipelineCounterFields[] = {
#define VPCFW_X(name, kind, help) {#name, CounterKind::kind, help, &PipelineCounters::name},
    VPCFW_PIPELINE_COUNTERS(VPCFW_X)
#undef VPCFW_X
};

} // namespace vpcfw
