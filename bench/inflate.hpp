// Inflating a network's rule sets for `vpcfw bench --sweep rules=N`: N ClassBench-derived
// rules added to the network, half as NACL entries (spread over its NACLs, both directions,
// numbered after the entries already there, so the existing entries still decide first),
// half as security-group ingress/egress rules (spread over its groups). Rules come from a
// ClassBench file (--classbench FILE, synthesised past its end by bench/classbench.hpp
// make_rule_set) or, without one, from the bundled generator: ClassBench-like rules from a
// seed (prefix lengths 8..32, single ports, ranges or any, TCP/UDP/any). What AWS cannot
// express is dropped (source ports; ports of protocol-any rules). Cold.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw::bench {

struct InflateOptions {
    uint64_t rules = 0;            // added in total
    std::string classbench;        // a ClassBench filter file; empty: the bundled generator
    uint64_t seed = 1;
};

struct InflateResult {
    uint64_t nacl_entries = 0, sg_rules = 0;
    std::string source;            // "acl1_10k (+ synthesised)" or "bundled generator (seed 1)"
};

// Errors (exit 2): a network without NACLs or security groups to grow; more NACL entries
// than its NACLs can number (32766 per direction, kMaxNaclEntriesPerDirection each); an
// unreadable ClassBench file.
Result<InflateResult> inflate(Network& net, const InflateOptions& opt);

// "1k" -> 1000, "10k", "2.5k", "1M", "100000"; nullopt on anything else or beyond 1e9.
std::optional<uint64_t> parse_count(const std::string& text);

} // namespace vpcfw::bench
