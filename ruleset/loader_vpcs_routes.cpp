// Loading VPCs, subnets and route tables from AWS JSON (describe-vpcs, describe-subnets,
// describe-route-tables): CIDR associations, Block Public Access modes, routes with their
// destination (CIDR or prefix list) and target kind, and subnet / gateway associations.
// Part of the Loader (loader_state.hpp). Cold path.
#include "ruleset/loader_state.hpp"

namespace vpcfw::load {

namespace {

// The CIDRs of an association set (CidrBlockAssociationSet, Ipv6CidrBlockAssociationSet)
// whose state is "associated" or not given, added to `out` once each.
void add_associated(const Node& set, const char* cidr_key, const char* state_key, std::vector<Cidr>& out) {
    for (const Node& a : set.objects()) {
        Cidr c = a[cidr_key].cidr();
        std::string state = a[state_key]["State"].str();
        if (state.empty() || state == "associated") add_unique(out, {c});
    }
}

} // namespace

// --- VPCs and subnets ------------------------------------------------------------

void Loader::vpc(const Node& n) {
    Vpc v;
    v.id = n["VpcId"].need_str();
    if (n["State"].present()) v.state = n["State"].str();
    v.owner = n["OwnerId"].str();
    v.name = name_tag(n["Tags"]);
    v.is_default = n["IsDefault"].boolean(false);
    v.region = region_;
    if (n["BlockPublicAccessStates"]["InternetGatewayBlockMode"].present())
        v.bpa_mode = n["BlockPublicAccessStates"]["InternetGatewayBlockMode"].str();
    auto primary = n["CidrBlock"].opt_cidr();
    add_associated(n["CidrBlockAssociationSet"], "CidrBlock", "CidrBlockState", v.cidrs4);
    if (primary) {
        // The primary CIDR comes first.
        auto it = std::find(v.cidrs4.begin(), v.cidrs4.end(), *primary);
        if (it != v.cidrs4.end()) v.cidrs4.erase(it);
        v.cidrs4.insert(v.cidrs4.begin(), *primary);
    }
    add_associated(n["Ipv6CidrBlockAssociationSet"], "Ipv6CidrBlock", "Ipv6CidrBlockState", v.cidrs6);
    if (v.cidrs4.empty() && v.cidrs6.empty()) n["CidrBlock"].fail("VPC " + v.id + " has no CIDR block");
    put(vpcs_, std::move(v), {}, {}, [](Vpc& a, const Vpc& b) {
        add_unique(a.cidrs4, b.cidrs4);
        add_unique(a.cidrs6, b.cidrs6);
        fill(a.owner, b.owner);
        fill(a.name, b.name);
        fill(a.region, b.region);
    });
}

void Loader::subnet(const Node& n) {
    Subnet s;
    s.id = n["SubnetId"].need_str();
    Ref vpc = ref_of(n["VpcId"]);
    if (vpc.id.empty()) n["VpcId"].need_str();
    s.az = n["AvailabilityZone"].str();
    s.az_id = n["AvailabilityZoneId"].str();
    if (n["State"].present()) s.state = n["State"].str();
    s.name = name_tag(n["Tags"]);
    s.cidr4 = n["CidrBlock"].opt_cidr();
    add_associated(n["Ipv6CidrBlockAssociationSet"], "Ipv6CidrBlock", "Ipv6CidrBlockState", s.cidrs6);
    s.map_public_ip_on_launch = n["MapPublicIpOnLaunch"].boolean(false);
    if (n["BlockPublicAccessStates"]["InternetGatewayBlockMode"].present())
        s.bpa_mode = n["BlockPublicAccessStates"]["InternetGatewayBlockMode"].str();
    put(subnets_, std::move(s), vpc, {}, [](Subnet& a, const Subnet& b) {
        if (!a.cidr4) a.cidr4 = b.cidr4;
        add_unique(a.cidrs6, b.cidrs6);
        fill(a.az, b.az);
        fill(a.az_id, b.az_id);
        fill(a.name, b.name);
    });
}

// --- Route tables ------------------------------------------------------------------

Route Loader::route(const Node& n) {
    Route r;
    r.dest = n["DestinationCidrBlock"].opt_cidr();
    if (!r.dest) r.dest = n["DestinationIpv6CidrBlock"].opt_cidr();
    r.dest_prefix_list = n["DestinationPrefixListId"].str();
    if (!r.dest && r.dest_prefix_list.empty())
        n.fail("route has no DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId");
    if (r.dest && !r.dest_prefix_list.empty()) r.dest_prefix_list.clear();

    r.instance_id = n["InstanceId"].str();
    struct Field {
        const char* key;
        TargetKind kind;
    };
    // Specific target fields first; GatewayId last (it carries several kinds).
    static const Field fields[] = {
        {"NetworkInterfaceId", TargetKind::NetworkInterface},
        {"NatGatewayId", TargetKind::NatGateway},
        {"EgressOnlyInternetGatewayId", TargetKind::EgressOnlyIgw},
        {"VpcPeeringConnectionId", TargetKind::Peering},
        {"TransitGatewayId", TargetKind::TransitGateway},
        {"LocalGatewayId", TargetKind::LocalGateway},
        {"CarrierGatewayId", TargetKind::CarrierGateway},
        {"CoreNetworkArn", TargetKind::CoreNetwork},
    };
    for (const Field& f : fields) {
        std::string id = n[f.key].str();
        if (!id.empty() && r.target.empty()) {
            r.target = id;
            r.kind = f.kind;
        }
    }
    std::string gw = n["GatewayId"].str();
    if (r.target.empty() && !gw.empty()) {
        r.target = gw;
        r.kind = kind_of_id(gw);
    }
    if (r.target.empty() && !r.instance_id.empty()) r.kind = TargetKind::NetworkInterface; // resolved in finish()
    if (r.target.empty() && r.instance_id.empty()) {
        std::string other = n["OdbNetworkArn"].str();
        if (other.empty()) other = n["IpAddress"].str();
        r.target = other;
    }
    if (n["State"].present()) r.state = n["State"].str();
    if (n["Origin"].present()) r.origin = n["Origin"].str();
    return r;
}

void Loader::route_table(const Node& n) {
    RouteTable t;
    t.id = n["RouteTableId"].need_str();
    Ref vpc = ref_of(n["VpcId"]);
    if (vpc.id.empty()) n["VpcId"].need_str();
    t.name = name_tag(n["Tags"]);
    for (const Node& a : n["Associations"].objects()) {
        RouteTableAssociation as;
        as.id = a["RouteTableAssociationId"].str();
        as.main = a["Main"].boolean(false);
        as.subnet_id = a["SubnetId"].str();
        as.gateway_id = a["GatewayId"].str();
        if (a["AssociationState"]["State"].present()) as.state = a["AssociationState"]["State"].str();
        // A finished disassociation no longer applies.
        if (as.state == "disassociated" || as.state == "failed") continue;
        t.associations.push_back(as);
    }
    for (const Node& r : n["Routes"].objects()) t.routes.push_back(route(r));
    for (const Node& p : n["PropagatingVgws"].objects()) add_unique(t.propagating_vgws, {p["GatewayId"].need_str()});
    put(route_tables_, std::move(t), vpc, {}, [](RouteTable& a, const RouteTable& b) {
        fill(a.name, b.name);
        add_unique_by(a.associations, b.associations, [](const RouteTableAssociation& x) {
            return x.id + "|" + std::to_string(x.main) + "|" + x.subnet_id + "|" + x.gateway_id;
        });
        add_unique_by(a.routes, b.routes, [](const Route& r) { return r.dest_str(); });
        add_unique(a.propagating_vgws, b.propagating_vgws);
    });
}

} // namespace vpcfw::load
