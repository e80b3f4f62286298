// The control socket of a live run (`vpcfw run --control PATH`): the protocol — one JSON
// request line in, one JSON reply line out, for apply / reload / stats / flows / explain —
// and the Unix socket server that carries it: one poll loop serving several clients at a
// time, each within limits (request size, deadline, number of clients) so that no client,
// slow, idle, oversized or gone, can stall the loop or kill the run. The protocol talks to
// the run through the LiveControl interface, so it can be tested with a fake run (no root,
// no DPDK ports). Control thread only, cold; `vpcfw ctl` (control/ctl.hpp) is the client.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "ruleset/decision.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

// A ruleset version made live by apply or reload.
struct Published {
    std::string applied;           // the action, or "reload"
    uint64_t version = 0;
    double compile_ms = 0, publish_ms = 0;
};

// What the control socket acts on (control/live_run.cpp implements it). Each call comes
// from the control thread, one at a time.
class LiveControl {
public:
    virtual ~LiveControl() = default;
    // The counters (control/live_stats.hpp stats_json).
    virtual nlohmann::json stats() = 0;
    // Applies one AWS action (docs/interface.md) to a copy of the live model and publishes it.
    // Error: AWS's refusal (`code` set; nothing changes), or why it could not be compiled.
    virtual Result<Published> apply(const std::string& action, const nlohmann::json& params) = 0;
    // Loads the network at `path` and publishes it. Error: why not (nothing changes).
    virtual Result<Published> reload(const std::string& path) = 0;
    // {"flows": [...], "connections": [...], "nat": [...]}: the workers' tables.
    virtual nlohmann::json flows() = 0;
    // The live rules' decision for `packet` from `from` (an origin, or "auto").
    virtual Decision explain(const Packet& packet, const std::string& from) = 0;
};

// The reply line (without newline) to one request line. Requests:
//   {"cmd":"apply","action":A,"params":{...}}  -> {"ok":true,"applied":A,"version":N,"compile_ms":..,"publish_ms":..}
//   {"cmd":"reload","network":PATH}            -> the same, "applied":"reload"
//   {"cmd":"stats"}                            -> {"ok":true,"stats":{...}}
//   {"cmd":"flows"}                            -> {"ok":true,"flows":[..],"connections":[..],"nat":[..]}
//   {"cmd":"explain","packet":P,"from":O}      -> {"ok":true,"text":"...","decision":{...}}
// A failure is {"ok":false,"error":WHY} (with "code": AWS's error code for a refused action).
// A request nesting deeper than kMaxJsonDepth (ruleset/bounded_input.hpp) is refused with
// an error naming the limit; the request tree is never copied.
std::string control_reply(LiveControl& live, const std::string& request);

// The limits each client of the control socket is served under.
struct ControlLimits {
    size_t max_request = size_t{16} << 20;  // bytes in one request line (`--control-max-request`)
    int deadline_ms = 10000;                // to send a whole request; again to read the reply
    unsigned max_clients = 16;              // connected at once; more are refused at once
};

// The Unix socket server: created mode 0600; one request per connection, then its reply,
// then the server closes it. Clients are served by one poll loop, never blocking on any of
// them: a request is read into a buffer (the newline searched for in new bytes only), a
// reply written as the client takes it (MSG_NOSIGNAL: a client gone is not a SIGPIPE). A
// request over `max_request` bytes, a client past its deadline, and a client over
// `max_clients` get {"ok":false,"error":...} naming the limit, then are closed.
class ControlSocket {
public:
    ControlSocket() = default;
    ~ControlSocket() { close(); }
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    Status listen(const std::string& path, ControlLimits limits = {});
    bool is_open() const { return fd_ >= 0; }
    // Answers requests with control_reply until `stopping` is set (polls it every 200 ms).
    void serve(LiveControl& live, const std::atomic<bool>& stopping);
    // Closes the socket and removes its path.
    void close();

private:
    int fd_ = -1;
    std::string path_;
    ControlLimits limits_;
};

} // namespace vpcfw
