// `vpcfw run`: the live dataplane on DPDK ports, with its control socket, telemetry,
// Prometheus endpoint and logs. This is the command (options, port specs, checks before
// setup); the run itself is control/live_run.hpp, the per-packet work dataplane/worker.hpp.
// Cold. Called by run_cli (control/cli.cpp); returns an exit code.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vpcfw {

// `args` are the words after `run`; EAL arguments follow a `--`.
int cmd_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace vpcfw
