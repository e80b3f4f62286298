// Rule hit counts: how many packets each rule decided, allow rules included — the SG rule
// that admitted a packet (or `sg-ingress:state` when tracked state did), each NACL entry
// passed or that denied, each route used or that dropped. A worker counts by symbol id
// (RuleHitCounts::add: array increments, no strings, so the replay loop stays cheap); the
// names are rendered once at the end (render_rule_hits). Both engines produce the same
// verdicts, so the same counts. Hot: add(), on the worker that owns the counts; the rest cold.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/verdict.hpp"

namespace vpcfw {

struct RuleHitCounts {
    std::vector<uint64_t> by_sym;   // symbol id (of the worker's Names) -> packets

    void bump(uint32_t sym) {
        if (sym >= by_sym.size()) by_sym.resize(sym + 1024);
        ++by_sym[sym];
    }
    // The path's entries (hops too: names are filtered when rendered) and the SG rules.
    void add(const Verdict& v) {
        for (unsigned i = 0; i < v.path_len && i < kVerdictMaxPath; ++i) bump(v.path[i]);
        for (unsigned i = 0; i < v.sg_rule_count && i < kVerdictMaxSgRules; ++i) bump(v.sg_rules[i]);
    }
};

// True for the name of a rule as decisions print it: `acl-…:ingress:100`, `acl-…:egress:*`,
// `rtb-…:10.0.0.0/16`, `tgw-rtb-…:…`, `sg-…:ingress:tcp/443:0.0.0.0/0`, `sg-ingress:state`
// — not a hop (`eni-…`, `igw-…`) nor a group passed (`sg-egress:sg-…`, counted by its rule).
bool is_rule_name(std::string_view name);

// Adds one worker's counts, by rule name, into `hits`.
void render_rule_hits(const RuleHitCounts& counts, const Names& names, std::map<std::string, uint64_t>& hits);

// The name a drop's deciding rule is counted under: a NACL entry or route as it is, a
// security-group drop (no rule of the groups matched) as `sg-A,sg-B:ingress:*`; "" when
// the drop names no rule (a parse drop, a peering's edge-to-edge refusal).
std::string drop_rule_hit_name(Layer layer, const std::string& rule);

} // namespace vpcfw
