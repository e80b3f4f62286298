// WorkerCounters: the counters of one live-run worker's own work around its pipeline
// (frames in and out, ARP/ND, hand-over between workers, forwarding, log records), defined
// once as an X-macro table (name, help): the struct, the sum over workers and every
// rendering (stats JSON, Prometheus, the stop summary: control/live_stats.hpp) come from
// it, so a new counter is one row. Plain data, written only by the owning worker; the
// control thread reads it with plain 64-bit loads (as DPDK's own statistics do).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vpcfw {

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

    // Adds another worker's counters.
    void add(const WorkerCounters& o) {
#define VPCFW_X(name, help) name += o.name;
        VPCFW_WORKER_COUNTERS(VPCFW_X)
#undef VPCFW_X
    }
};

// The table as data, for renderings: name, help, and the member it names.
struct WorkerCounterField {
    const char* name;
    const char* help;
    uint64_t WorkerCounters::*member;
};
inline constexpr WorkerCounterField kWorkerCounterNames[] = {
#define VPCFW_X(name, help) {#name, help, &WorkerCounters::name},
    VPCFW_WORKER_COUNTERS(VPCFW_X)
#undef VPCFW_X
};

} // namespace vpcfw
