// Lookups and derived relations of the network model: plain scans, cold path.
#include "ruleset/model.hpp"

namespace vpcfw {

const char* target_kind_name(TargetKind k) {
    switch (k) {
    case TargetKind::Local: return "local";
    case TargetKind::InternetGateway: return "internet-gateway";
    case TargetKind::EgressOnlyIgw: return "egress-only-internet-gateway";
    case TargetKind::NatGateway: return "nat-gateway";
    case TargetKind::NetworkInterface: return "network-interface";
    case TargetKind::Peering: return "vpc-peering-connection";
    case TargetKind::TransitGateway: return "transit-gateway";
    case TargetKind::VpnGateway: return "vpn-gateway";
    case TargetKind::VpcEndpoint: return "vpc-endpoint";
    case TargetKind::LocalGateway: return "local-gateway";
    case TargetKind::CarrierGateway: return "carrier-gateway";
    case TargetKind::CoreNetwork: return "core-network";
    case TargetKind::Unknown: break;
    }
    return "unknown";
}

static std::string proto_name(int p) {
    switch (p) {
    case kProtoAll: return "all";
    case kProtoTcp: return "tcp";
    case kProtoUdp: return "udp";
    case kProtoIcmp: return "icmp";
    case kProtoIcmpv6: return "icmpv6";
    default: return std::to_string(p);
    }
}

std::string SgRule::peer_str() const {
    switch (peer) {
    case PeerKind::Cidr: return cidr.str();
    case PeerKind::PrefixList: return prefix_list;
    case PeerKind::Group: return group_id;
    }
    return "?";
}

std::string SgRule::proto_ports_str() const {
    std::string s = proto_name(proto);
    if (ports_apply()) {
        if (from_port == -1 || (from_port == 0 && to_port == 65535)) return s + "/all";
        if (from_port == to_port) return s + "/" + std::to_string(from_port);
        return s + "/" + std::to_string(from_port) + "-" + std::to_string(to_port);
    }
    if (icmp()) {
        if (from_port == -1) return s + "/all";
        return s + "/" + std::to_string(from_port) + ":" + std::to_string(to_port);
    }
    return s;
}

template <typename T>
static const T* find(const std::vector<T>& v, const std::unordered_map<std::string, Idx>& m,
                     const std::string& id) {
    auto it = m.find(id);
    return it == m.end() ? nullptr : &v[it->second];
}

const Vpc* Network::vpc(const std::string& id) const { return find(vpcs, index.vpc, id); }
const Subnet* Network::subnet(const std::string& id) const { return find(subnets, index.subnet, id); }
const SecurityGroup* Network::security_group(const std::string& id) const {
    return find(security_groups, index.security_group, id);
}
const NetworkAcl* Network::network_acl(const std::string& id) const {
    return find(network_acls, index.network_acl, id);
}
const RouteTable* Network::route_table(const std::string& id) const {
    return find(route_tables, index.route_table, id);
}
const Eni* Network::eni(const std::string& id) const { return find(enis, index.eni, id); }
const Instance* Network::instance(const std::string& id) const {
    return find(instances, index.instance, id);
}
const NatGateway* Network::nat_gateway(const std::string& id) const {
    return find(nat_gateways, index.nat_gateway, id);
}
const PeeringConnection* Network::peering(const std::string& id) const {
    return find(peerings, index.peering, id);
}
const PrefixList* Network::prefix_list(const std::string& id) const {
    return find(prefix_lists, index.prefix_list, id);
}
std::pair<uint32_t, uint32_t> Network::firewall_endpoint(const std::string& vpce) const {
    for (uint32_t f = 0; f < firewalls.size(); ++f)
        for (uint32_t e = 0; e < firewalls[f].endpoints.size(); ++e)
            if (firewalls[f].endpoints[e].endpoint_id == vpce) return {f, e};
    return {kNoFw, 0};
}
const NfwPolicy* Network::firewall_policy(const std::string& arn) const {
    for (const auto& p : firewall_policies)
        if (p.arn == arn) return &p;
    return nullptr;
}
const NfwRuleGroup* Network::rule_group(const std::string& arn) const {
    for (const auto& g : rule_groups)
        if (g.arn == arn) return &g;
    return nullptr;
}

const VpcEndpoint* Network::endpoint(const std::string& id) const {
    return find(endpoints, index.endpoint, id);
}
const TgwAttachment* Network::tgw_attachment(const std::string& id) const {
    return find(tgw_attachments, index.tgw_attachment, id);
}
const TgwRouteTable* Network::tgw_route_table(const std::string& id) const {
    return find(tgw_route_tables, index.tgw_route_table, id);
}
const TransitGateway* Network::transit_gateway(const std::string& id) const {
    return find(transit_gateways, index.transit_gateway, id);
}
const VpnGateway* Network::vpn_gateway(const std::string& id) const {
    return find(vpn_gateways, index.vpn_gateway, id);
}
const InternetGateway* Network::internet_gateway(const std::string& id) const {
    return find(internet_gateways, index.internet_gateway, id);
}
const InternetGateway* Network::egress_only_gateway(const std::string& id) const {
    return find(egress_only_gateways, index.egress_only_gateway, id);
}

Idx Network::main_route_table(Idx v) const {
    for (Idx i = 0; i < route_tables.size(); ++i) {
        if (route_tables[i].vpc != v) continue;
        for (const auto& a : route_tables[i].associations)
            if (a.main) return i;
    }
    return kNone;
}

Idx Network::route_table_of_subnet(Idx s) const {
    if (s >= subnets.size()) return kNone;
    const std::string& sid = subnets[s].id;
    for (Idx i = 0; i < route_tables.size(); ++i)
        for (const auto& a : route_tables[i].associations)
            if (!a.main && a.subnet_id == sid) return i;
    return main_route_table(subnets[s].vpc);
}

Idx Network::edge_route_table(const std::string& gw) const {
    for (Idx i = 0; i < route_tables.size(); ++i)
        for (const auto& a : route_tables[i].associations)
            if (a.gateway_id == gw) return i;
    return kNone;
}

Idx Network::default_nacl(Idx v) const {
    for (Idx i = 0; i < network_acls.size(); ++i)
        if (network_acls[i].vpc == v && network_acls[i].is_default) return i;
    return kNone;
}

Idx Network::nacl_of_subnet(Idx s) const {
    if (s >= subnets.size()) return kNone;
    const std::string& sid = subnets[s].id;
    for (Idx i = 0; i < network_acls.size(); ++i)
        for (const auto& a : network_acls[i].associations)
            if (a.subnet_id == sid) return i;
    return default_nacl(subnets[s].vpc);
}

static bool attached_to(const std::vector<GatewayAttachment>& atts, const std::string& vpc_id) {
    for (const auto& a : atts)
        if (a.vpc_id == vpc_id && (a.state == "available" || a.state == "attached")) return true;
    return false;
}

Idx Network::igw_of_vpc(Idx v) const {
    if (v >= vpcs.size()) return kNone;
    for (Idx i = 0; i < internet_gateways.size(); ++i)
        if (attached_to(internet_gateways[i].attachments, vpcs[v].id)) return i;
    return kNone;
}

Idx Network::eigw_of_vpc(Idx v) const {
    if (v >= vpcs.size()) return kNone;
    for (Idx i = 0; i < egress_only_gateways.size(); ++i)
        if (attached_to(egress_only_gateways[i].attachments, vpcs[v].id)) return i;
    return kNone;
}

Idx Network::vgw_of_vpc(Idx v) const {
    if (v >= vpcs.size()) return kNone;
    for (Idx i = 0; i < vpn_gateways.size(); ++i)
        if (attached_to(vpn_gateways[i].attachments, vpcs[v].id)) return i;
    return kNone;
}

template <typename T, typename F>
static void build(std::unordered_map<std::string, Idx>& m, const std::vector<T>& v, F key) {
    m.clear();
    for (Idx i = 0; i < v.size(); ++i) m.emplace(key(v[i]), i);
}

void Network::reindex() {
    auto byId = [](const auto& o) { return o.id; };
    build(index.vpc, vpcs, byId);
    build(index.subnet, subnets, byId);
    build(index.route_table, route_tables, byId);
    build(index.security_group, security_groups, byId);
    build(index.network_acl, network_acls, byId);
    build(index.eni, enis, byId);
    build(index.instance, instances, byId);
    build(index.elastic_ip, elastic_ips, [](const ElasticIp& e) { return e.allocation_id; });
    build(index.internet_gateway, internet_gateways, byId);
    build(index.egress_only_gateway, egress_only_gateways, byId);
    build(index.nat_gateway, nat_gateways, byId);
    build(index.peering, peerings, byId);
    build(index.transit_gateway, transit_gateways, byId);
    build(index.tgw_attachment, tgw_attachments, byId);
    build(index.tgw_route_table, tgw_route_tables, byId);
    build(index.vpn_gateway, vpn_gateways, byId);
    build(index.vpn_connection, vpn_connections, byId);
    build(index.endpoint, endpoints, byId);
    build(index.prefix_list, prefix_lists, byId);
}

void fill_nat_public_ips(Network& net) {
    for (const auto& g : net.nat_gateways)
        for (const auto& a : g.addresses) {
            auto it = net.index.eni.find(a.eni_id);
            if (it == net.index.eni.end() || !a.private_ip) continue;
            Eni& e = net.enis[it->second];
            PrivateIp* rec = nullptr;
            for (auto& p : e.private_ips)
                if (p.addr == *a.private_ip) rec = &p;
            if (!rec) {
                e.private_ips.push_back(PrivateIp{*a.private_ip, e.private_ips.empty(), {}, {}, {}});
                rec = &e.private_ips.back();
            }
            if (!rec->public_ip && a.public_ip && !g.is_private) {
                rec->public_ip = a.public_ip;
                rec->allocation_id = a.allocation_id;
            }
        }
}

} // namespace vpcfw
