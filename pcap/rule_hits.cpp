// Rule hit counts (pcap/rule_hits.hpp): rendering by name.
#include "pcap/rule_hits.hpp"

namespace vpcfw {

bool is_rule_name(std::string_view n) {
    auto starts = [&](std::string_view p) { return n.substr(0, p.size()) == p; };
    if (n.find(':') == std::string_view::npos) return false;
    if (starts("sg-ingress:") || starts("sg-egress:")) return n.ends_with(":state");
    return starts("acl-") || starts("rtb-") || starts("tgw-rtb-") || starts("sg-");
}

void render_rule_hits(const RuleHitCounts& counts, const Names& names, std::map<std::string, uint64_t>& hits) {
    for (size_t sym = 1; sym < counts.by_sym.size(); ++sym) {
        if (!counts.by_sym[sym]) continue;
        const std::string& n = names.name(static_cast<uint32_t>(sym));
        if (is_rule_name(n)) hits[n] += counts.by_sym[sym];
    }
}

std::string drop_rule_hit_name(Layer layer, const std::string& rule) {
    if (rule.empty()) return {};
    if (layer == Layer::SgIngress) return rule + ":ingress:*";
    if (layer == Layer::SgEgress) return rule + ":egress:*";
    return is_rule_name(rule) ? rule : std::string();
}

} // namespace vpcfw
