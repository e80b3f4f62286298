// gen_trace: writes a realistic capture (pcap, Ethernet) for a network, for demos, tests
// and benchmarks: TCP sessions between ENIs along their security-group rules, internet
// clients to Elastic/public IPs, NAT'd outbound (captured at the instance), S3 endpoint
// traffic, DNS to the VPC resolver, denied probes and port scans, pings, IPv6. Frames carry
// the ENIs' MACs. Deterministic for a seed (own RNG, no std distributions). Cold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

struct GenTraceOptions {
    uint64_t packets = 3000;           // packets written (the last sessions are cut to fit)
    uint64_t seed = 1;
    double duration = 60;              // seconds the sessions start over
    int64_t start_unix = 1718000000;   // timestamp of the capture's start
};

struct GenTraceResult {
    uint64_t packets = 0;
    uint64_t bytes = 0;                // file size
    uint64_t sessions = 0;
};

// One generated frame (Ethernet) and its time in seconds from the capture's start.
struct GenFrame {
    double t = 0;
    std::vector<uint8_t> frame;
};

// The frames gen_trace writes, in memory, in time order (`vpcfw bench` feeds them to
// workers); `sessions` receives the session count when not null. Errors: a network
// without any usable ENI.
Result<std::vector<GenFrame>> gen_trace_frames(const Network& net, const GenTraceOptions& opt,
                                               uint64_t* sessions = nullptr);

// Errors: a network without any usable ENI (nothing to generate), an unwritable file.
Result<GenTraceResult> gen_trace(const Network& net, const GenTraceOptions& opt, const std::string& out_path);

} // namespace vpcfw
