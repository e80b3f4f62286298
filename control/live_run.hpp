// The live run of `vpcfw run`: its lifecycle — setup (EAL, packet pool, ports, topology,
// the first ruleset, workers, outputs, control socket, metrics endpoint, telemetry),
// launching the workers, the main loop (draining the workers' log records, the periodic
// stats line, stop on SIGINT/SIGTERM or --duration), publishing new ruleset versions, and
// teardown (which removes the EAL runtime directory when vpcfw chose its prefix). The control-socket protocol is control/control_socket.hpp, the counters'
// renderings control/live_stats.hpp, the decision outputs control/live_log.hpp, the
// per-packet work dataplane/worker.hpp. Cold; runs on the main thread. Design: docs/run.md.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "control/control_socket.hpp"
#include "control/live_log.hpp"
#include "control/run_log.hpp"
#include "dataplane/topology.hpp"
#include "ruleset/model.hpp"

namespace vpcfw {

struct RunOptions {
    std::string network;
    std::vector<PortSpec> specs;
    unsigned workers = 1;
    LiveLogOptions log;
    std::string control;
    ControlLimits control_limits;   // --control-max-request
    double stats_interval = 0;
    double duration = 0;
    int metrics_port = 0;
    size_t capacity = 1u << 18;
    bool busy_poll = false;
    LogFormat log_format = LogFormat::Text;   // --log-format: operational messages as text or JSON lines
};

// Runs `net` live between the ports of `opt` until stopped; `eal` are the EAL arguments
// given after `--` (empty: control/eal.hpp run_eal_args). Returns the exit code; the
// final counters go to `out`, progress and errors to `err`.
int run_live(RunOptions opt, Network net, const std::vector<std::string>& eal, std::ostream& out, std::ostream& err);

} // namespace vpcfw
