// gen_trace: writes a realistic capture (pcap, Ethernet) for a network, for demos, tests
// and benchmarks: TCP sessions between ENIs along their security-group rules, internet
// clients to Elastic/public IPs, NAT'd outbound (captured at the instance), S3 endpoint
// traffic, DNS to the VPC resolver, denied probes and port scans, pings, IPv6. Frames carry
// the ENIs' MACs. Deterministic for a seed (own RNG, no std distributions). Cold.
#pragma once

#include <cstdint>
#include <string>

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

// Errors: a network without any usable ENI (nothing to generate), an unwritable file.
Result<GenTraceResult> gen_trace(const Network& net, const GenTraceOptions& opt, const std::string& out_path);

} // namespace vpcfw
