// The reference evaluator (ref_state.hpp): network ACLs (docs/semantics.md §5). Stateless;
// entries in rule-number order, the first match decides, the default entry denies.
#include "ruleset/ref_state.hpp"

#include "ruleset/lint.hpp"

namespace vpcfw::ref {

// ---- §5 network ACLs --------------------------------------------------------------
std::string State::nacl_entry_mismatch(const NaclEntry& n, const Packet& p, const IpAddr& remote) {
    if (n.cidr.family() != remote.family) return "address family differs";
    if (n.proto != kProtoAll) {
        if (n.proto == kProtoIcmpv6 && n.cidr.family() == Family::V4) {
            if (p.proto != kProtoIcmp) return "protocol differs";   // 58 + IPv4 CIDR = all ICMP
        } else if (n.proto != p.proto) {
            return "protocol differs";
        } else if (n.proto == kProtoTcp || n.proto == kProtoUdp) {
            if (n.port_from != -1 && (p.dport < n.port_from || p.dport > n.port_to))
                return "port " + std::to_string(p.dport) + " outside " + std::to_string(n.port_from) + "-" + std::to_string(n.port_to);
        } else if (n.proto == kProtoIcmp || n.proto == kProtoIcmpv6) {
            if (n.icmp_type != -1 && p.icmp_type != n.icmp_type) return "ICMP type differs";
            if (n.icmp_type != -1 && n.icmp_code != -1 && p.icmp_code != n.icmp_code) return "ICMP code differs";
        }
    }
    if (!n.cidr.contains(remote)) return remote.str() + " not in " + n.cidr.str();
    return {};
}

bool State::nacl_check(Ctx& c, Idx subnet, bool egress, const Packet& p) {
    Layer layer = egress ? Layer::NaclEgress : Layer::NaclIngress;
    std::string lname = layer_name(layer);
    std::string dir = egress ? "egress" : "ingress";
    Idx acl = net.nacl_of_subnet(subnet);
    const std::string& sid = net.subnets[subnet].id;
    // §5 CHOICE missing_nacl_default: the default NACL the loader added where the export
    // has none, or (setting off) no NACL at all.
    if (acl != kNone && is_missing_nacl_default(net.network_acls[acl])) {
        choice(c, "missing_nacl_default");
        if (!cfg.missing_nacl_default) acl = kNone;
    }
    if (acl == kNone) {
        step(c, sid, lname, "deny", {}, "the subnet has no network ACL in the export");
        return drop(c, layer, "default-deny", "none:" + dir + ":*");
    }
    const NetworkAcl& n = net.network_acls[acl];
    const IpAddr& remote = egress ? p.dst : p.src;
    std::string detail;
    for (const auto& en : n.entries) {
        if (en.egress != egress) continue;
        if (en.cidr.family() != remote.family) continue;  // never matches the other family
        std::string m = nacl_entry_mismatch(en, p, remote);
        std::string num = en.is_default_deny() ? "*" : std::to_string(en.rule_number);
        if (!m.empty()) {
            detail += (detail.empty() ? "" : "\n") + std::string("rule ") + num + ": " + m;
            continue;
        }
        std::string rule = n.id + ":" + dir + ":" + num;
        if (en.allow) {
            step(c, sid, lname, "allow", rule, detail.empty() ? "" : "earlier rules did not match:\n" + detail);
            path(c, rule);
            return true;
        }
        step(c, sid, lname, "deny", rule, detail.empty() ? "" : "earlier rules did not match:\n" + detail);
        return drop(c, layer, en.is_default_deny() ? "default-deny" : "deny-rule", rule);
    }
    std::string rule = n.id + ":" + dir + ":*";
    step(c, sid, lname, "deny", rule, "no entry matches:\n" + detail);
    return drop(c, layer, "default-deny", rule);
}

} // namespace vpcfw::ref
