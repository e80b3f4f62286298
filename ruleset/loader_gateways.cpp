// Loading gateways and the links between networks from AWS JSON: internet and egress-only
// gateways, NAT gateways, peering connections, transit gateways (attachments, route tables,
// static routes, propagations), virtual private gateways and VPN connections, and VPC
// endpoints. Part of the Loader (loader_state.hpp). Cold path.
#include "ruleset/loader_state.hpp"

namespace vpcfw::load {

namespace {

std::vector<GatewayAttachment> attachments(const Node& list) {
    std::vector<GatewayAttachment> out;
    for (const Node& a : list.objects()) {
        GatewayAttachment g;
        g.vpc_id = a["VpcId"].need_str();
        if (a["State"].present()) g.state = a["State"].str();
        out.push_back(g);
    }
    return out;
}

std::string attachment_key(const GatewayAttachment& g) { return g.vpc_id; }

PeeringSide peering_side(const Node& n) {
    PeeringSide s;
    s.vpc_id = n["VpcId"].str();
    s.owner = n["OwnerId"].str();
    s.region = n["Region"].str();
    if (auto c = n["CidrBlock"].opt_cidr()) s.cidrs4.push_back(*c);
    for (const Node& x : n["CidrBlockSet"].objects()) add_unique(s.cidrs4, {x["CidrBlock"].cidr()});
    for (const Node& x : n["Ipv6CidrBlockSet"].objects()) add_unique(s.cidrs6, {x["Ipv6CidrBlock"].cidr()});
    return s;
}

void merge_tgw_rtb(TgwRouteTable& a, const TgwRouteTable& b) {
    fill(a.tgw_id, b.tgw_id);
    fill(a.name, b.name);
    add_unique_by(a.routes, b.routes, [](const TgwRoute& r) {
        std::string k = r.type + "|" + (r.dest ? r.dest->str() : r.dest_prefix_list);
        for (const auto& x : r.attachments) k += "|" + x;
        return k;
    });
    add_unique(a.propagations, b.propagations);
}

} // namespace

void Loader::internet_gateway(const Node& n, const char* id_key, const char* att_key, Table<InternetGateway>& t) {
    InternetGateway g;
    g.id = n[id_key].need_str();
    g.name = name_tag(n["Tags"]);
    g.attachments = attachments(n[att_key]);
    put(t, std::move(g), {}, {}, [](InternetGateway& a, const InternetGateway& b) {
        fill(a.name, b.name);
        add_unique_by(a.attachments, b.attachments, attachment_key);
    });
}

void Loader::nat_gateway(const Node& n) {
    NatGateway g;
    g.id = n["NatGatewayId"].need_str();
    Ref vpc = ref_of(n["VpcId"]);
    Ref subnet = ref_of(n["SubnetId"]);
    if (subnet.id.empty()) n["SubnetId"].need_str();
    if (n["State"].present()) g.state = n["State"].str();
    g.is_private = n["ConnectivityType"].str() == "private";
    g.name = name_tag(n["Tags"]);
    for (const Node& a : n["NatGatewayAddresses"].objects()) {
        NatAddress x;
        x.allocation_id = a["AllocationId"].str();
        x.eni_id = a["NetworkInterfaceId"].str();
        x.private_ip = a["PrivateIp"].opt_ip();
        x.public_ip = a["PublicIp"].opt_ip();
        x.primary = a["IsPrimary"].boolean(false);
        g.addresses.push_back(x);
    }
    // Older output has no IsPrimary: the first address is the primary one.
    if (!g.addresses.empty() &&
        std::none_of(g.addresses.begin(), g.addresses.end(), [](const NatAddress& a) { return a.primary; }))
        g.addresses[0].primary = true;
    std::stable_partition(g.addresses.begin(), g.addresses.end(), [](const NatAddress& a) { return a.primary; });
    put(nat_gateways_, std::move(g), vpc, subnet, [](NatGateway& a, const NatGateway& b) {
        fill(a.name, b.name);
        add_unique_by(a.addresses, b.addresses, [](const NatAddress& x) {
            return x.eni_id + "|" + (x.private_ip ? x.private_ip->str() : "") + "|" +
                   (x.public_ip ? x.public_ip->str() : "");
        });
    });
}

void Loader::peering(const Node& n) {
    PeeringConnection p;
    p.id = n["VpcPeeringConnectionId"].need_str();
    if (n["Status"]["Code"].present()) p.status = n["Status"]["Code"].str();
    p.requester = peering_side(n["RequesterVpcInfo"]);
    p.accepter = peering_side(n["AccepterVpcInfo"]);
    p.name = name_tag(n["Tags"]);
    put(peerings_, std::move(p), {}, {}, [](PeeringConnection& a, const PeeringConnection& b) {
        fill(a.name, b.name);
        for (auto [x, y] : {std::pair{&a.requester, &b.requester}, std::pair{&a.accepter, &b.accepter}}) {
            fill(x->vpc_id, y->vpc_id);
            fill(x->owner, y->owner);
            fill(x->region, y->region);
            add_unique(x->cidrs4, y->cidrs4);
            add_unique(x->cidrs6, y->cidrs6);
        }
    });
}

// --- Transit gateways --------------------------------------------------------------

void Loader::transit_gateway(const Node& n) {
    TransitGateway t;
    t.id = n["TransitGatewayId"].need_str();
    if (n["State"].present()) t.state = n["State"].str();
    t.owner = n["OwnerId"].str();
    Node o = n["Options"];
    t.default_association_rtb = o["AssociationDefaultRouteTableId"].str();
    t.default_propagation_rtb = o["PropagationDefaultRouteTableId"].str();
    t.sg_referencing = o["SecurityGroupReferencingSupport"].str() == "enable";
    t.name = name_tag(n["Tags"]);
    put(tgws_, std::move(t), {}, {}, [](TransitGateway& a, const TransitGateway& b) {
        fill(a.owner, b.owner);
        fill(a.default_association_rtb, b.default_association_rtb);
        fill(a.default_propagation_rtb, b.default_propagation_rtb);
        a.sg_referencing = a.sg_referencing || b.sg_referencing;
        fill(a.name, b.name);
    });
}

namespace {

// One attachment seen twice. A TGW peering attachment is listed by both TGWs' accounts
// under one id, each with its own TransitGatewayId and association: a listing from the
// other TGW fills the peer side (§8).
void merge_tgw_attachment(TgwAttachment& x, const TgwAttachment& y) {
    bool peering = x.resource_type == "peering" || y.resource_type == "peering";
    if (peering && !x.tgw_id.empty() && !y.tgw_id.empty() && x.tgw_id != y.tgw_id) {
        fill(x.resource_type, y.resource_type);
        fill(x.peer_tgw_id, y.tgw_id);
        fill(x.peer_association_rtb, y.association_rtb);
        fill(x.name, y.name);
        return;
    }
    fill(x.tgw_id, y.tgw_id);
    fill(x.resource_type, y.resource_type);
    fill(x.resource_id, y.resource_id);
    fill(x.association_rtb, y.association_rtb);
    fill(x.peer_tgw_id, y.peer_tgw_id);
    fill(x.peer_association_rtb, y.peer_association_rtb);
    add_unique(x.subnet_ids, y.subnet_ids);
    x.appliance_mode = x.appliance_mode || y.appliance_mode;
    fill(x.name, y.name);
}

} // namespace

// describe-transit-gateway-attachments, or (`vpc_form`) describe-transit-gateway-vpc-attachments.
void Loader::tgw_attachment(const Node& n, bool vpc_form) {
    TgwAttachment a;
    a.id = n["TransitGatewayAttachmentId"].need_str();
    a.tgw_id = n["TransitGatewayId"].str();
    if (n["State"].present()) a.state = n["State"].str();
    a.name = name_tag(n["Tags"]);
    if (vpc_form) {
        a.resource_type = "vpc";
        a.resource_id = n["VpcId"].str();
        a.subnet_ids = n["SubnetIds"].strings();
        a.appliance_mode = n["Options"]["ApplianceModeSupport"].str() == "enable";
    } else {
        a.resource_type = n["ResourceType"].str();
        a.resource_id = n["ResourceId"].str();
        Node as = n["Association"];
        std::string state = as["State"].str();
        if (state.empty() || state == "associated") a.association_rtb = as["TransitGatewayRouteTableId"].str();
        if (a.resource_type == "peering") a.peer_tgw_id = a.resource_id;   // the peer TGW
    }
    put(tgw_attachments_, std::move(a), {}, {}, merge_tgw_attachment);
}

// describe-transit-gateway-peering-attachments: the two TGWs of a peering (§8).
void Loader::tgw_peering_attachment(const Node& n) {
    TgwAttachment a;
    a.id = n["TransitGatewayAttachmentId"].need_str();
    a.resource_type = "peering";
    a.tgw_id = n["RequesterTgwInfo"]["TransitGatewayId"].str();
    a.peer_tgw_id = n["AccepterTgwInfo"]["TransitGatewayId"].str();
    a.resource_id = a.peer_tgw_id;
    if (n["State"].present()) a.state = n["State"].str();
    a.name = name_tag(n["Tags"]);
    put(tgw_attachments_, std::move(a), {}, {}, merge_tgw_attachment);
}

void Loader::tgw_route_table(const Node& n) {
    TgwRouteTable t;
    t.id = n["TransitGatewayRouteTableId"].need_str();
    t.tgw_id = n["TransitGatewayId"].str();
    if (n["State"].present()) t.state = n["State"].str();
    t.name = name_tag(n["Tags"]);
    put(tgw_rtbs_, std::move(t), {}, {}, merge_tgw_rtb);
}

// {"TransitGatewayRouteTableId", "Routes": [search-transit-gateway-routes output]}
void Loader::tgw_static_routes(const Node& n) {
    TgwRouteTable t;
    t.id = n["TransitGatewayRouteTableId"].need_str();
    for (const Node& r : n["Routes"].objects()) {
        TgwRoute x;
        x.dest = r["DestinationCidrBlock"].opt_cidr();
        x.dest_prefix_list = r["PrefixListId"].str();
        if (!x.dest && x.dest_prefix_list.empty()) r.fail("route has neither DestinationCidrBlock nor PrefixListId");
        for (const Node& a : r["TransitGatewayAttachments"].objects()) {
            x.attachments.push_back(a["TransitGatewayAttachmentId"].need_str());
            if (x.propagated_from.empty()) x.propagated_from = a["ResourceType"].str();
        }
        if (r["Type"].present()) x.type = r["Type"].str();
        if (r["State"].present()) x.state = r["State"].str();
        if (x.type != "propagated") x.propagated_from.clear();
        t.routes.push_back(x);
    }
    if (n["AdditionalRoutesAvailable"].boolean(false))
        warn(n.file(), n["AdditionalRoutesAvailable"].where(),
             "routes of " + t.id + " are capped (AdditionalRoutesAvailable): some routes are missing");
    put(tgw_rtbs_, std::move(t), {}, {}, merge_tgw_rtb);
}

// {"TransitGatewayRouteTableId", "TransitGatewayRouteTablePropagations": [...]}
void Loader::tgw_propagations(const Node& n) {
    TgwRouteTable t;
    t.id = n["TransitGatewayRouteTableId"].need_str();
    for (const Node& p : n["TransitGatewayRouteTablePropagations"].objects()) {
        std::string id = p["TransitGatewayAttachmentId"].need_str();
        std::string state = p["State"].str();
        if (state.empty() || state == "enabled") add_unique(t.propagations, {id});
    }
    put(tgw_rtbs_, std::move(t), {}, {}, merge_tgw_rtb);
}

// --- VPN and endpoints -----------------------------------------------------------------

void Loader::vpn_gateway(const Node& n) {
    VpnGateway g;
    g.id = n["VpnGatewayId"].need_str();
    if (n["State"].present()) g.state = n["State"].str();
    g.attachments = attachments(n["VpcAttachments"]);
    g.name = name_tag(n["Tags"]);
    put(vgws_, std::move(g), {}, {}, [](VpnGateway& a, const VpnGateway& b) {
        fill(a.name, b.name);
        add_unique_by(a.attachments, b.attachments, attachment_key);
    });
}

void Loader::vpn_connection(const Node& n) {
    VpnConnection v;
    v.id = n["VpnConnectionId"].need_str();
    if (n["State"].present()) v.state = n["State"].str();
    v.vgw_id = n["VpnGatewayId"].str();
    v.tgw_id = n["TransitGatewayId"].str();
    v.customer_gateway_id = n["CustomerGatewayId"].str();
    v.static_routes_only = n["Options"]["StaticRoutesOnly"].boolean(false);
    for (const Node& r : n["Routes"].objects()) {
        Cidr c = r["DestinationCidrBlock"].cidr();
        std::string state = r["State"].str();
        if (state.empty() || state == "available") add_unique(v.routes, {c});
    }
    put(vpn_connections_, std::move(v), {}, {}, [](VpnConnection& a, const VpnConnection& b) {
        fill(a.vgw_id, b.vgw_id);
        fill(a.tgw_id, b.tgw_id);
        fill(a.customer_gateway_id, b.customer_gateway_id);
        add_unique(a.routes, b.routes);
    });
}

void Loader::endpoint(const Node& n) {
    VpcEndpoint e;
    e.id = n["VpcEndpointId"].need_str();
    e.type = n["VpcEndpointType"].str();
    Ref vpc = ref_of(n["VpcId"]);
    e.service_name = n["ServiceName"].str();
    // The CLI prints "available", the API model "Available": keep one spelling.
    if (n["State"].present()) e.state = lower(n["State"].str());
    e.route_table_ids = n["RouteTableIds"].strings();
    e.subnet_ids = n["SubnetIds"].strings();
    for (const Node& g : n["Groups"].objects()) e.group_ids.push_back(g["GroupId"].need_str());
    e.eni_ids = n["NetworkInterfaceIds"].strings();
    e.policy = n["PolicyDocument"].str();
    put(endpoints_, std::move(e), vpc, {}, [](VpcEndpoint& a, const VpcEndpoint& b) {
        fill(a.type, b.type);
        fill(a.service_name, b.service_name);
        add_unique(a.route_table_ids, b.route_table_ids);
        add_unique(a.subnet_ids, b.subnet_ids);
        add_unique(a.group_ids, b.group_ids);
        add_unique(a.eni_ids, b.eni_ids);
        fill(a.policy, b.policy);
    });
}

} // namespace vpcfw::load
