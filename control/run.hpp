// `vpcfw run` (the live dataplane on DPDK ports, with its control socket, telemetry,
// Prometheus endpoint and logs) and `vpcfw ctl` (the client of that control socket).
// Cold: option parsing, setup and the control thread; the per-packet work is in
// dataplane/worker.hpp. Called by run_cli (control/cli.cpp); returns an exit code.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vpcfw {

// `args` are the words after `run`; EAL arguments follow a `--`.
int cmd_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// `vpcfw ctl --control PATH apply ACTION JSON | reload NET | stats | flows | explain PACKET`.
int cmd_ctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// One request / one reply of the control socket: a JSON object on one line each way.
// Sends `request` to the socket at `path` and returns the reply line (error: why not).
struct CtlReply {
    bool connected = false;
    std::string line;              // the reply, or the connection error
};
CtlReply ctl_request(const std::string& path, const std::string& request, int timeout_ms = 30000);

} // namespace vpcfw
