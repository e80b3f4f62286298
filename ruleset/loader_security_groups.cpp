// Loading security groups and prefix lists from AWS JSON (describe-security-groups,
// describe-security-group-rules, describe-(managed-)prefix-lists and their entries): one
// SgRule per permission and peer, merged by rule across files. Part of the Loader
// (loader_state.hpp). Cold path.
#include "ruleset/loader_state.hpp"

namespace vpcfw::load {

namespace {

std::string sg_rule_key(const SgRule& r) {
    return std::to_string(r.egress) + "|" + std::to_string(r.proto) + "|" + std::to_string(r.from_port) +
           "|" + std::to_string(r.to_port) + "|" + std::to_string(int(r.peer)) + "|" + r.peer_str();
}

// FromPort/ToPort as the model keeps them: -1/-1 wherever AWS ignores the ports.
void set_ports(SgRule& r, const Node& from, const Node& to) {
    r.from_port = from.integer(-1, 65535, -1);
    r.to_port = to.integer(-1, 65535, -1);
    if (r.ports_apply()) {
        if (r.from_port > r.to_port && r.to_port != -1) from.fail("FromPort is greater than ToPort");
    } else if (r.icmp()) {
        if (r.from_port > 255) from.fail("ICMP type out of range (-1 to 255)");
        if (r.to_port > 255) to.fail("ICMP code out of range (-1 to 255)");
    } else {
        r.from_port = r.to_port = -1;
    }
}

// One IpPermission: one SgRule per peer.
void permission(const Node& p, bool egress, std::vector<SgRule>& out) {
    SgRule base;
    base.egress = egress;
    base.proto = parse_protocol(p["IpProtocol"]);
    set_ports(base, p["FromPort"], p["ToPort"]);
    for (const Node& x : p["IpRanges"].objects()) {
        SgRule r = base;
        r.cidr = x["CidrIp"].cidr();
        if (!r.cidr.base.is_v4()) x["CidrIp"].fail("IpRanges holds an IPv6 CIDR");
        r.description = x["Description"].str();
        out.push_back(r);
    }
    for (const Node& x : p["Ipv6Ranges"].objects()) {
        SgRule r = base;
        r.cidr = x["CidrIpv6"].cidr();
        if (r.cidr.base.is_v4()) x["CidrIpv6"].fail("Ipv6Ranges holds an IPv4 CIDR");
        r.description = x["Description"].str();
        out.push_back(r);
    }
    for (const Node& x : p["PrefixListIds"].objects()) {
        SgRule r = base;
        r.peer = PeerKind::PrefixList;
        r.prefix_list = x["PrefixListId"].need_str();
        r.description = x["Description"].str();
        out.push_back(r);
    }
    for (const Node& x : p["UserIdGroupPairs"].objects()) {
        SgRule r = base;
        r.peer = PeerKind::Group;
        r.group_id = x["GroupId"].need_str();
        r.group_vpc = x["VpcId"].str();
        r.peering_id = x["VpcPeeringConnectionId"].str();
        r.description = x["Description"].str();
        out.push_back(r);
    }
}

void merge_rules(std::vector<SgRule>& a, const std::vector<SgRule>& b) {
    add_unique_by(a, b, sg_rule_key, [](SgRule& kept, const SgRule& dup) {
        fill(kept.rule_id, dup.rule_id);
        fill(kept.description, dup.description);
        fill(kept.group_vpc, dup.group_vpc);
        fill(kept.peering_id, dup.peering_id);
    });
}

void merge_group(SecurityGroup& a, const SecurityGroup& b) {
    fill(a.name, b.name);
    fill(a.description, b.description);
    fill(a.owner, b.owner);
    merge_rules(a.ingress, b.ingress);
    merge_rules(a.egress, b.egress);
}

} // namespace

void Loader::security_group(const Node& n) {
    SecurityGroup g;
    g.id = n["GroupId"].need_str();
    g.name = n["GroupName"].str();
    g.description = n["Description"].str();
    g.owner = n["OwnerId"].str();
    Ref vpc = ref_of(n["VpcId"]);
    std::vector<SgRule> in, out;
    for (const Node& p : n["IpPermissions"].objects()) permission(p, false, in);
    for (const Node& p : n["IpPermissionsEgress"].objects()) permission(p, true, out);
    merge_rules(g.ingress, in); // also drops duplicates within one group
    merge_rules(g.egress, out);
    put(security_groups_, std::move(g), vpc, {}, merge_group);
}

// describe-security-group-rules: one flat record per rule, merged into its group.
void Loader::security_group_rule(const Node& n) {
    SgRule r;
    std::string gid = n["GroupId"].need_str();
    r.egress = n["IsEgress"].boolean(false);
    r.proto = parse_protocol(n["IpProtocol"]);
    set_ports(r, n["FromPort"], n["ToPort"]);
    r.rule_id = n["SecurityGroupRuleId"].str();
    r.description = n["Description"].str();
    Node ref = n["ReferencedGroupInfo"];
    if (n["CidrIpv4"].present()) {
        r.cidr = n["CidrIpv4"].cidr();
        if (!r.cidr.base.is_v4()) n["CidrIpv4"].fail("CidrIpv4 holds an IPv6 CIDR");
    } else if (n["CidrIpv6"].present()) {
        r.cidr = n["CidrIpv6"].cidr();
        if (r.cidr.base.is_v4()) n["CidrIpv6"].fail("CidrIpv6 holds an IPv4 CIDR");
    } else if (n["PrefixListId"].present()) {
        r.peer = PeerKind::PrefixList;
        r.prefix_list = n["PrefixListId"].need_str();
    } else if (ref.present()) {
        r.peer = PeerKind::Group;
        r.group_id = ref["GroupId"].need_str();
        r.group_vpc = ref["VpcId"].str();
        r.peering_id = ref["VpcPeeringConnectionId"].str();
    } else {
        n.fail("rule has none of CidrIpv4, CidrIpv6, PrefixListId, ReferencedGroupInfo");
    }
    SecurityGroup g;
    g.id = gid;
    g.owner = n["GroupOwnerId"].str();
    (r.egress ? g.egress : g.ingress).push_back(r);
    put(security_groups_, std::move(g), {}, {}, merge_group);
}

// --- Prefix lists --------------------------------------------------------------------

namespace {

void merge_prefix_list(PrefixList& a, const PrefixList& b) {
    fill(a.name, b.name);
    fill(a.family, b.family);
    fill(a.owner, b.owner);
    if (a.max_entries == 0) a.max_entries = b.max_entries;
    add_unique(a.entries, b.entries);
    a.entries_known = a.entries_known || b.entries_known;
}

} // namespace

// describe-prefix-lists (`Cidrs`) and describe-managed-prefix-lists (no entries).
void Loader::prefix_list(const Node& n) {
    PrefixList p;
    p.id = n["PrefixListId"].need_str();
    p.name = n["PrefixListName"].str();
    p.family = n["AddressFamily"].str();
    p.owner = n["OwnerId"].str();
    p.max_entries = n["MaxEntries"].integer(0, 1 << 30, 0);
    if (n["Cidrs"].present()) {
        for (const Node& c : n["Cidrs"].items()) add_unique(p.entries, {c.cidr()});
        p.entries_known = true;
        if (p.owner.empty() && starts_with(p.name, "com.amazonaws.")) p.owner = "AWS";
    }
    put(prefix_lists_, std::move(p), {}, {}, merge_prefix_list);
}

// VpcfwPrefixListEntries: {"pl-...": [get-managed-prefix-list-entries Entries]}.
void Loader::prefix_list_entries(const Node& n) {
    if (!n.present()) return;
    for (const std::string& id : n.keys()) {
        Node list = n[id];
        // The entries, or the whole get-managed-prefix-list-entries output.
        if (list.present() && !list.is_array()) list = list["Entries"];
        if (id.empty()) n.fail("empty prefix list id");
        PrefixList p;
        p.id = id;
        for (const Node& e : list.objects()) add_unique(p.entries, {e["Cidr"].cidr()});
        p.entries_known = true;
        put(prefix_lists_, std::move(p), {}, {}, merge_prefix_list);
    }
}

} // namespace vpcfw::load
