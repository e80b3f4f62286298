// AWS API actions on network ACLs: Create/Replace/DeleteNetworkAclEntry and
// ReplaceNetworkAclAssociation (moving a subnet to another ACL of its VPC). Entries are
// kept sorted by direction and rule number. Cold path; control thread.
#include "ruleset/action_request.hpp"

#include <algorithm>
#include <utility>

namespace vpcfw::action {

namespace {

Result<Idx> resolve_acl(const Network& net, Reader& r) {
    std::string id = r.str("NetworkAclId", true);
    if (r.failed()) return r.error();
    Idx a = find_in(net.index.network_acl, id);
    if (a == kNone)
        return refusal("InvalidNetworkAclID.NotFound", "The network acl ID '" + id + "' does not exist",
                       r.at("NetworkAclId"));
    return a;
}

// RuleNumber and Egress, shared by create, replace and delete.
void read_entry_key(Reader& r, NaclEntry& e) {
    std::optional<int64_t> n = r.integer("RuleNumber", true);
    std::optional<bool> egress = r.boolean("Egress", true);
    if (r.failed()) return;
    if (*n < 1 || *n > 32766) {
        r.fail("InvalidParameterValue",
               "Invalid value '" + std::to_string(*n) + "' for ruleNumber. Rule numbers must be 1 to 32766.",
               "RuleNumber");
        return;
    }
    e.rule_number = int(*n);
    e.egress = *egress;
}

void read_entry(Reader& r, NaclEntry& e) {
    read_entry_key(r, e);
    std::string proto_text = r.str("Protocol", true);
    std::string action = r.str("RuleAction", true);
    if (r.failed()) return;
    std::optional<int> proto = parse_protocol(proto_text);
    if (!proto) {
        r.fail("InvalidParameterValue", "Invalid value '" + proto_text + "' for protocol.", "Protocol");
        return;
    }
    e.proto = *proto;
    if (lower(action) != "allow" && lower(action) != "deny") {
        r.fail("InvalidParameterValue", "Invalid value '" + action + "' for ruleAction: must be allow or deny.",
               "RuleAction");
        return;
    }
    e.allow = lower(action) == "allow";

    bool v4 = r.has("CidrBlock"), v6 = r.has("Ipv6CidrBlock");
    if (v4 == v6) {
        if (v4) r.fail("InvalidParameterCombination", "Specify either CidrBlock or Ipv6CidrBlock, not both.");
        else r.missing("CidrBlock");
        return;
    }
    const char* key = v4 ? "CidrBlock" : "Ipv6CidrBlock";
    std::string text = r.str(key);
    if (r.failed()) return;
    std::optional<Cidr> c = Cidr::parse(text);
    if (!c || c->base.is_v4() != v4) {
        r.fail("InvalidParameterValue", "Value (" + text + ") for parameter " + key + " is invalid.", key);
        return;
    }
    e.cidr = *c;

    if (e.proto == kProtoTcp || e.proto == kProtoUdp) {
        if (!r.has("PortRange")) {
            r.missing("PortRange");
            return;
        }
        Reader pr = r.object("PortRange");
        std::optional<int64_t> from = pr.integer("From", true), to = pr.integer("To", true);
        if (r.failed()) return;
        if (*from < 0 || *from > 65535 || *to < 0 || *to > 65535 || *from > *to) {
            pr.fail("InvalidParameterValue",
                    "Invalid port range " + std::to_string(*from) + "-" + std::to_string(*to) + ".", "From");
            return;
        }
        e.port_from = int(*from);
        e.port_to = int(*to);
    }
    bool icmp_needed = e.proto == kProtoIcmp || (e.proto == kProtoIcmpv6 && !v4);
    if (icmp_needed || (e.proto == kProtoIcmpv6 && r.has("IcmpTypeCode"))) {
        if (!r.has("IcmpTypeCode")) {
            r.missing("IcmpTypeCode");
            return;
        }
        Reader ic = r.object("IcmpTypeCode");
        std::optional<int64_t> type = ic.integer("Type"), code = ic.integer("Code");
        if (r.failed()) return;
        int64_t t = type.value_or(-1), c2 = code.value_or(-1);
        if (t < -1 || t > 255 || c2 < -1 || c2 > 255) {
            ic.fail("InvalidParameterValue", "Invalid ICMP type or code.", "Type");
            return;
        }
        e.icmp_type = int(t);
        e.icmp_code = int(c2);
    }
}

std::vector<NaclEntry>::iterator find_entry(NetworkAcl& a, const NaclEntry& key) {
    return std::find_if(a.entries.begin(), a.entries.end(), [&](const NaclEntry& x) {
        return x.egress == key.egress && x.rule_number == key.rule_number;
    });
}

void sort_entries(NetworkAcl& a) {
    std::stable_sort(a.entries.begin(), a.entries.end(), [](const NaclEntry& x, const NaclEntry& y) {
        return std::pair(x.egress, x.rule_number) < std::pair(y.egress, y.rule_number);
    });
}

} // namespace

Result<ActionEffect> create_nacl_entry(Network& net, const json& params, bool replace, const std::string& action) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<Idx> a = resolve_acl(net, r);
    if (err) return *err;
    if (!a) return a.error();
    NaclEntry e;
    read_entry(r, e);
    if (err) return *err;
    NetworkAcl& acl = net.network_acls[*a];
    auto it = find_entry(acl, e);
    std::string id = std::to_string(e.rule_number);
    if (replace) {
        if (it == acl.entries.end())
            return refusal("InvalidNetworkAclEntry.NotFound",
                           "The network acl entry identified by " + id + " could not be found.");
        *it = e;
    } else {
        if (it != acl.entries.end())
            return refusal("NetworkAclEntryAlreadyExists",
                           "The network acl entry identified by " + id + " already exists.");
        acl.entries.push_back(e);
        sort_entries(acl);
    }
    return ActionEffect{action, {}};
}

Result<ActionEffect> delete_nacl_entry(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<Idx> a = resolve_acl(net, r);
    if (err) return *err;
    if (!a) return a.error();
    NaclEntry key;
    read_entry_key(r, key);
    if (err) return *err;
    NetworkAcl& acl = net.network_acls[*a];
    auto it = find_entry(acl, key);
    if (it == acl.entries.end())
        return refusal("InvalidNetworkAclEntry.NotFound", "The network acl entry identified by " +
                                                              std::to_string(key.rule_number) + " could not be found.");
    acl.entries.erase(it);
    return ActionEffect{"DeleteNetworkAclEntry", {}};
}

Result<ActionEffect> replace_nacl_association(Network& net, const json& params) {
    Result<AssociationSite> site = locate_association(net, net.network_acls, params, resolve_acl);
    if (!site) return site.error();
    const std::string& assoc = site->id;
    Idx from = site->from;
    size_t pos = site->pos;
    NetworkAcl& to = net.network_acls[site->to];
    if (net.network_acls[from].vpc != to.vpc)
        return different_networks(to.id, net.network_acls[from].associations[pos].subnet_id);

    NaclAssociation moved = net.network_acls[from].associations[pos];
    moved.id = make_id("aclassoc-", assoc + "|" + to.id, [&net](const std::string& id) { return assoc_id_taken(net, id); });
    net.network_acls[from].associations.erase(net.network_acls[from].associations.begin() + long(pos));
    to.associations.push_back(moved);
    return ActionEffect{"ReplaceNetworkAclAssociation", {}};
}

} // namespace vpcfw::action
