// The measuring run of `vpcfw bench`: the real live worker (dataplane/worker.hpp) over DPDK
// ring ports that need no NIC (rte_eth_from_rings: one port per VPC and one for the
// internet, one RX and one TX ring per worker queue), fed by a feeder thread that copies
// traffic templates (bench/traffic.hpp) into mbufs and frees what the workers send. Cases
// run back to back on the same warm workers: `mixed` (at --new-flow-ratio), `established`,
// `new`, `denied`, `denied-repeat`; the connection table driven to its limit by a SYN flood (`flood`, then
// `established-at-limit`); then update latency (one `apply` and a full reload published while
// traffic flows, as `vpcfw run` publishes them) and the baselines of the same run: a plain
// forwarding loop over the same ports and feeder, and raw rte_acl classification of the same
// compiled rules with their method and batch. Cold set-up, needs the EAL (control/eal.hpp);
// figures are plain data (bench/result.hpp).
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string_view>

#include "bench/result.hpp"
#include "bench/traffic.hpp"
#include "dataplane/compiled.hpp"
#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw::bench {

struct RunnerOptions {
    unsigned workers = 1;
    double seconds = 2;            // per case
    uint64_t flows = 10000;
    double new_flow_ratio = 0.1;   // share of sessions of the mixed case that are new flows
    size_t capacity = 1u << 18;    // connection-table entries per worker
    bool progress = false;         // a progress line on `err` (a TTY)
    bool updates = true;           // measure update latency (sweeps leave it out)
    bool flood = true;             // drive the connection table to its limit (sweeps leave it out)
    // The compiler (control/compiler.hpp compile_ruleset as `apply` and reload use it): a
    // successor of `previous` for the update-latency measurement.
    std::function<Result<std::shared_ptr<const CompiledRuleset>>(const Network&, const CompiledRuleset* previous)> compile;
};

// Runs every case over `net` compiled as `rs`. Errors: DPDK set-up failures (exit 3),
// --flows beyond what the templates can make (exit 2).
Result<RunFigures> run_cases(const Network& net, std::shared_ptr<const CompiledRuleset> rs, const Traffic& traffic,
                             const RunnerOptions& opt, std::ostream& err);

// A "kB" field of /proc/self/status ("VmRSS", "VmHWM") in bytes; 0 when absent.
uint64_t proc_status_bytes(std::string_view field);

} // namespace vpcfw::bench
