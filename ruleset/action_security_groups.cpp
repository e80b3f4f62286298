// AWS API actions on security groups: AuthorizeSecurityGroupIngress/Egress and
// RevokeSecurityGroupIngress/Egress. Reads IpPermissions (and the legacy top-level form),
// resolves the group by id or name, refuses duplicates and unknown rules with AWS's codes,
// refuses a group past vpcfw's rule limit (ruleset/limits.hpp), and names new rules with
// deterministic sgr- ids. Cold path; control thread.
#include "ruleset/action_request.hpp"

#include <algorithm>
#include <set>

#include "ruleset/limits.hpp"

namespace vpcfw::action {

namespace {

// Two rules are the same rule for AWS when protocol, ports and peer agree (the description
// does not count).
bool same_rule(const SgRule& a, const SgRule& b) {
    return a.egress == b.egress && a.proto == b.proto && a.from_port == b.from_port && a.to_port == b.to_port &&
           a.peer == b.peer && a.peer_str() == b.peer_str();
}

std::string rule_text(const SgRule& r) {
    return "peer: " + r.peer_str() + ", " + r.proto_ports_str() + ", ALLOW";
}

// GroupId, or GroupName (a group of the default VPC, else a unique name).
Result<Idx> resolve_group(const Network& net, Reader& r) {
    if (r.has("GroupId")) {
        std::string id = r.str("GroupId");
        if (r.failed()) return r.error();
        if (!well_formed_group_id(id))
            return refusal("InvalidGroupId.Malformed", "Invalid id: \"" + id + "\" (expecting \"sg-...\")",
                           r.at("GroupId"));
        Idx g = find_in(net.index.security_group, id);
        if (g == kNone)
            return refusal("InvalidGroup.NotFound", "The security group '" + id + "' does not exist", r.at("GroupId"));
        return g;
    }
    if (r.has("GroupName")) {
        std::string name = r.str("GroupName");
        std::vector<Idx> all, in_default;
        for (Idx i = 0; i < net.security_groups.size(); ++i) {
            const SecurityGroup& g = net.security_groups[i];
            if (g.name != name) continue;
            all.push_back(i);
            if (g.vpc < net.vpcs.size() && net.vpcs[g.vpc].is_default) in_default.push_back(i);
        }
        if (in_default.size() == 1) return in_default[0];
        if (all.size() == 1) return all[0];
        return refusal("InvalidGroup.NotFound",
                       "The security group '" + name + "' does not exist in default VPC", r.at("GroupName"));
    }
    r.missing("GroupId");
    return r.error();
}

// FromPort/ToPort of one permission as the model keeps them (-1/-1 where AWS ignores ports).
void read_ports(Reader& p, SgRule& base) {
    std::optional<int64_t> from = p.integer("FromPort"), to = p.integer("ToPort");
    if (p.failed()) return;
    if (base.ports_apply()) {
        if (!from || !to) {
            p.fail("InvalidParameterValue",
                   "Invalid value 'null' for portRange. Must specify both from and to ports with TCP/UDP.",
                   from ? "ToPort" : "FromPort");
            return;
        }
        if (*from < 0 || *from > 65535 || *to < 0 || *to > 65535) {
            p.fail("InvalidParameterValue", "Invalid value for portRange: ports must be 0 to 65535.", "FromPort");
            return;
        }
        if (*from > *to) {
            p.fail("InvalidParameterValue",
                   "Invalid value for portRange: FromPort " + std::to_string(*from) + " is greater than ToPort " +
                       std::to_string(*to) + ".",
                   "FromPort");
            return;
        }
        base.from_port = int(*from);
        base.to_port = int(*to);
    } else if (base.icmp()) {
        int64_t type = from.value_or(-1), code = to.value_or(-1);
        if (type < -1 || type > 255) {
            p.fail("InvalidParameterValue", "Invalid value for ICMP type: " + std::to_string(type), "FromPort");
            return;
        }
        if (code < -1 || code > 255) {
            p.fail("InvalidParameterValue", "Invalid value for ICMP code: " + std::to_string(code), "ToPort");
            return;
        }
        if (type == -1 && code != -1) {
            p.fail("InvalidParameterValue",
                   "Invalid value for portRange: ICMP code must be -1 when the ICMP type (FromPort) is -1.", "ToPort");
            return;
        }
        base.from_port = int(type);
        base.to_port = int(code);
    } else {
        base.from_port = base.to_port = -1; // all ports, whatever was given
    }
}

// One IpPermission: one SgRule per peer element.
void read_permission(const Network& net, Reader& p, bool egress, Idx group_vpc, std::vector<SgRule>& out) {
    SgRule base;
    base.egress = egress;
    std::string proto_text = p.str("IpProtocol", true);
    if (p.failed()) return;
    std::optional<int> proto = parse_protocol(proto_text);
    if (!proto) {
        p.fail("InvalidParameterValue", "Invalid value '" + proto_text + "' for IP protocol. Unknown protocol.",
               "IpProtocol");
        return;
    }
    base.proto = *proto;
    read_ports(p, base);
    if (p.failed()) return;

    size_t before = out.size();
    std::vector<Reader> ranges = p.objects("IpRanges");
    if (p.has("CidrIp")) ranges.push_back(p); // the legacy top-level form of ingress
    // One rule per CIDR of IpRanges (key CidrIp, IPv4) or Ipv6Ranges (CidrIpv6); false after a refusal.
    auto add_cidrs = [&](std::vector<Reader>& list, const char* key, bool v4) {
        for (Reader& x : list) {
            SgRule r = base;
            std::string text = x.str(key, true);
            if (x.failed()) return false;
            std::optional<Cidr> c = Cidr::parse(text);
            if (!c || c->base.is_v4() != v4) {
                x.fail("InvalidParameterValue", "CIDR block " + text + " is malformed", key);
                return false;
            }
            r.cidr = *c;
            r.description = x.str("Description");
            out.push_back(r);
        }
        return true;
    };
    if (!add_cidrs(ranges, "CidrIp", true)) return;
    std::vector<Reader> ranges6 = p.objects("Ipv6Ranges");
    if (!add_cidrs(ranges6, "CidrIpv6", false)) return;
    for (Reader& x : p.objects("PrefixListIds")) {
        SgRule r = base;
        r.peer = PeerKind::PrefixList;
        r.prefix_list = x.str("PrefixListId", true);
        if (x.failed()) return;
        if (!net.prefix_list(r.prefix_list)) {
            x.fail("InvalidPrefixListId.NotFound", "The prefix list '" + r.prefix_list + "' does not exist",
                   "PrefixListId");
            return;
        }
        r.description = x.str("Description");
        out.push_back(r);
    }
    for (Reader& x : p.objects("UserIdGroupPairs")) {
        SgRule r = base;
        r.peer = PeerKind::Group;
        r.group_id = x.str("GroupId");
        r.group_vpc = x.str("VpcId");
        r.peering_id = x.str("VpcPeeringConnectionId");
        r.description = x.str("Description");
        if (x.failed()) return;
        if (r.group_id.empty()) {
            // GroupName names a group of the same VPC.
            std::string name = x.str("GroupName");
            for (const auto& g : net.security_groups)
                if (!name.empty() && g.name == name && g.vpc == group_vpc) r.group_id = g.id;
            if (r.group_id.empty()) {
                if (name.empty()) x.missing("GroupId");
                else x.fail("InvalidGroup.NotFound", "The security group '" + name + "' does not exist", "GroupName");
                return;
            }
        } else if (!well_formed_group_id(r.group_id)) {
            x.fail("InvalidGroupId.Malformed", "Invalid id: \"" + r.group_id + "\" (expecting \"sg-...\")", "GroupId");
            return;
        } else if (!net.security_group(r.group_id) && r.peering_id.empty()) {
            // A group across a peering connection may belong to an account outside the export.
            x.fail("InvalidGroup.NotFound", "The security group '" + r.group_id + "' does not exist", "GroupId");
            return;
        }
        out.push_back(r);
    }
    if (out.size() == before && !p.failed())
        p.fail("InvalidParameterValue",
               "The permission must name at least one of IpRanges, Ipv6Ranges, PrefixListIds, UserIdGroupPairs");
}

// IpPermissions, or for ingress the legacy top-level IpProtocol/FromPort/ToPort/CidrIp.
std::vector<SgRule> read_permissions(const Network& net, Reader& r, bool egress, Idx group_vpc) {
    std::vector<SgRule> rules;
    if (r.has("IpPermissions")) {
        for (Reader& p : r.objects("IpPermissions")) {
            read_permission(net, p, egress, group_vpc, rules);
            if (p.failed()) break;
        }
    } else if (!egress && r.has("CidrIp")) {
        read_permission(net, r, egress, group_vpc, rules);
    } else if (!r.has("SecurityGroupRuleIds")) {
        r.missing("IpPermissions");
    }
    return rules;
}

std::string sg_rule_id(const SecurityGroup& g, const SgRule& r) {
    auto taken = [&g](const std::string& id) {
        for (const auto* list : {&g.ingress, &g.egress})
            for (const auto& x : *list)
                if (x.rule_id == id) return true;
        return false;
    };
    std::string seed = g.id + "|" + (r.egress ? "egress" : "ingress") + "|" + r.proto_ports_str() + "|" + r.peer_str();
    return make_id("sgr-", seed, taken);
}

} // namespace

Result<ActionEffect> authorize(Network& net, const json& params, bool egress, const std::string& action) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<Idx> g = resolve_group(net, r);
    if (err) return *err;
    if (!g) return g.error();
    SecurityGroup& group = net.security_groups[*g];
    std::vector<SgRule> rules = read_permissions(net, r, egress, group.vpc);
    if (err) return *err;

    const std::vector<SgRule>& have = egress ? group.egress : group.ingress;
    for (size_t i = 0; i < rules.size(); ++i) {
        bool dup = std::any_of(have.begin(), have.end(), [&](const SgRule& x) { return same_rule(x, rules[i]); }) ||
                   std::any_of(rules.begin(), rules.begin() + i, [&](const SgRule& x) { return same_rule(x, rules[i]); });
        if (dup)
            return refusal("InvalidPermission.Duplicate",
                           "the specified rule \"" + rule_text(rules[i]) + "\" already exists");
    }

    // vpcfw's own limit (ruleset/limits.hpp), refused with AWS's code for a rule quota.
    if (have.size() + rules.size() > kMaxSgRulesPerDirection)
        return refusal("RulesPerSecurityGroupLimitExceeded",
                       group.id + " would hold " + std::to_string(have.size() + rules.size()) + " " +
                           (egress ? "outbound" : "inbound") + " rules, over vpcfw's limit of " +
                           std::to_string(kMaxSgRulesPerDirection) + " (ruleset/limits.hpp)");

    std::vector<SgRule>& list = egress ? group.egress : group.ingress;
    for (SgRule& x : rules) {
        x.rule_id = sg_rule_id(group, x);
        list.push_back(x);
    }
    return ActionEffect{action, {}};
}

Result<ActionEffect> revoke(Network& net, const json& params, bool egress, const std::string& action) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<Idx> g = resolve_group(net, r);
    if (err) return *err;
    if (!g) return g.error();
    SecurityGroup& group = net.security_groups[*g];
    const std::vector<SgRule>& have = egress ? group.egress : group.ingress;

    std::set<size_t> remove;
    for (const std::string& id : r.strings("SecurityGroupRuleIds")) {
        auto it = std::find_if(have.begin(), have.end(), [&](const SgRule& x) { return x.rule_id == id; });
        if (it == have.end())
            return refusal("InvalidSecurityGroupRuleId.NotFound",
                           "The security group rule ID '" + id + "' does not exist in " + group.id,
                           "/SecurityGroupRuleIds");
        remove.insert(size_t(it - have.begin()));
    }
    if (err) return *err;
    std::vector<SgRule> rules = read_permissions(net, r, egress, group.vpc);
    if (err) return *err;
    for (const SgRule& x : rules) {
        auto it = std::find_if(have.begin(), have.end(), [&](const SgRule& y) { return same_rule(x, y); });
        if (it == have.end())
            return refusal("InvalidPermission.NotFound",
                           "The specified rule \"" + rule_text(x) + "\" does not exist in this security group");
        remove.insert(size_t(it - have.begin()));
    }

    std::vector<SgRule>& list = egress ? group.egress : group.ingress;
    for (auto it = remove.rbegin(); it != remove.rend(); ++it) list.erase(list.begin() + long(*it));
    return ActionEffect{action, {}};
}

} // namespace vpcfw::action
