// Loading network ACLs from AWS JSON (describe-network-acls): entries with protocol, port
// range or ICMP type/code, and subnet associations. Part of the Loader (loader_state.hpp).
// Cold path.
#include "ruleset/loader_state.hpp"

namespace vpcfw::load {

void Loader::network_acl(const Node& n) {
    NetworkAcl a;
    a.id = n["NetworkAclId"].need_str();
    Ref vpc = ref_of(n["VpcId"]);
    if (vpc.id.empty()) n["VpcId"].need_str();
    a.is_default = n["IsDefault"].boolean(false);
    a.name = name_tag(n["Tags"]);
    for (const Node& e : n["Entries"].objects()) {
        NaclEntry x;
        x.rule_number = e["RuleNumber"].need_integer(1, 65535);
        x.egress = e["Egress"].boolean(false);
        x.proto = parse_protocol(e["Protocol"]);
        std::string action = e["RuleAction"].need_str();
        if (action != "allow" && action != "deny") e["RuleAction"].fail("RuleAction must be allow or deny");
        x.allow = action == "allow";
        if (e["CidrBlock"].present()) {
            x.cidr = e["CidrBlock"].cidr();
            if (!x.cidr.base.is_v4()) e["CidrBlock"].fail("CidrBlock holds an IPv6 CIDR");
        } else if (e["Ipv6CidrBlock"].present()) {
            x.cidr = e["Ipv6CidrBlock"].cidr();
            if (x.cidr.base.is_v4()) e["Ipv6CidrBlock"].fail("Ipv6CidrBlock holds an IPv4 CIDR");
        } else {
            e.fail("entry has neither CidrBlock nor Ipv6CidrBlock");
        }
        x.port_from = e["PortRange"]["From"].integer(-1, 65535, -1);
        x.port_to = e["PortRange"]["To"].integer(-1, 65535, -1);
        x.icmp_type = e["IcmpTypeCode"]["Type"].integer(-1, 255, -1);
        x.icmp_code = e["IcmpTypeCode"]["Code"].integer(-1, 255, -1);
        a.entries.push_back(x);
    }
    std::vector<Ref> subnets;
    for (const Node& s : n["Associations"].objects()) {
        NaclAssociation as;
        as.id = s["NetworkAclAssociationId"].str();
        as.subnet_id = s["SubnetId"].need_str();
        a.associations.push_back(as);
        need_subnet_.push_back(ref_of(s["SubnetId"]));
    }
    put(network_acls_, std::move(a), vpc, {}, [](NetworkAcl& x, const NetworkAcl& y) {
        fill(x.name, y.name);
        x.is_default = x.is_default || y.is_default;
        add_unique_by(x.entries, y.entries, [](const NaclEntry& e) {
            return std::to_string(e.egress) + "|" + std::to_string(e.rule_number);
        });
        add_unique_by(x.associations, y.associations,
                      [](const NaclAssociation& s) { return s.id + "|" + s.subnet_id; });
    });
}

} // namespace vpcfw::load
