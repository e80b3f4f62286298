// The counters of a live run (`vpcfw run`) and their renderings: one snapshot (the
// pipeline and worker counters summed over workers, the ruleset version, per-port ethdev
// statistics) rendered as the stats JSON (`vpcfw ctl stats`, DPDK telemetry), Prometheus
// text, the periodic stats line and the stop summary. Every rendering iterates the counter
// tables (dataplane/counters.hpp kPipelineCounterFields, ruleset/decision.hpp kLayerNames,
// dataplane/worker_counters.hpp kWorkerCounterNames), so a counter or a layer added there
// appears everywhere. Also the Prometheus HTTP endpoint. Control thread only, cold; the
// renderings are pure functions of the snapshot (no DPDK needed).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dataplane/counters.hpp"
#include "dataplane/worker_counters.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

struct PortCounters {
    std::string label;             // the --port SPEC
    uint64_t ipackets = 0, opackets = 0, imissed = 0, ierrors = 0, oerrors = 0;   // ethdev
    uint64_t learned_macs = 0;
};

// One snapshot of a live run's counters.
struct LiveCounters {
    PipelineCounters pipeline;     // summed over workers
    WorkerCounters worker;         // summed over workers
    uint64_t ruleset_version = 0;  // the published version
    uint64_t publishes = 0;        // live updates since start
    uint64_t workers = 0;
    std::vector<PortCounters> ports;
};

// {packets, ..., dropped, dropped_by_layer: {layer: n (non-zero only)}, rx_packets, ...,
// ruleset_version, publishes, workers, ports: [{port, ipackets, opackets, imissed,
// ierrors, oerrors, learned_macs}]}.
nlohmann::json stats_json(const LiveCounters& c);

// Prometheus text exposition format (vpcfw_packets_total, vpcfw_dropped_total{layer=...}
// for every layer, every worker counter, vpcfw_port_packets_total{port,direction}).
std::string prometheus_text(const LiveCounters& c);

// "[5.0s] packets N accepted N dropped N LAYER=N... forwarded N arp N nd N conntrack N
// version N\n" (--stats-interval).
std::string stats_line(const LiveCounters& c, double elapsed);

// What `vpcfw run` prints on stdout when it stops.
std::string stop_summary(const LiveCounters& c, double elapsed);

// A Prometheus label value as the text format writes it between quotes: backslash, double
// quote and newline escaped (\\, \", \n).
std::string prometheus_label(const std::string& value);

// The endpoint's answer to one HTTP request (its bytes as read): `GET /metrics` (HTTP/1.x,
// a query string allowed) gets 200 with `body()`, HEAD the same headers; another path 404,
// another method 405, a request without a request line 400. A full HTTP/1.0 response.
std::string metrics_http_response(const std::string& request, const std::function<std::string()>& body);

// The Prometheus endpoint (--metrics-port): HTTP/1.0 on 127.0.0.1:PORT; only /metrics
// (metrics_http_response). One client at a time, each given at most a second to send its request and
// a second per blocked write of the reply; a client that leaves is never a SIGPIPE.
class MetricsEndpoint {
public:
    MetricsEndpoint() = default;
    ~MetricsEndpoint() { close(); }
    MetricsEndpoint(const MetricsEndpoint&) = delete;
    MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

    Status listen(int port);
    bool is_open() const { return fd_ >= 0; }
    // Serves requests with `body()` until `stopping` is set (polls it every 200 ms).
    void serve(const std::function<std::string()>& body, const std::atomic<bool>& stopping);
    void close();

private:
    int fd_ = -1;
};

} // namespace vpcfw
