// `vpcfw ctl`: the client of a running `vpcfw run --control PATH` (the protocol:
// control/control_socket.hpp). Cold. Called by run_cli (control/cli.cpp); returns an exit
// code.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vpcfw {

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
