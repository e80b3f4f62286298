// AWS API actions on routes and route tables: Create/Replace/DeleteRoute (destination: a
// CIDR or a prefix list; target: one of AWS's target keys, checked against the VPC's
// gateways and local routes) and ReplaceRouteTableAssociation. Cold path; control thread.
#include "ruleset/action_request.hpp"

#include <algorithm>

namespace vpcfw::action {

namespace {

bool gateway_attached(const std::vector<GatewayAttachment>& atts, const std::string& vpc_id) {
    for (const auto& a : atts)
        if (a.vpc_id == vpc_id && a.state != "detached" && a.state != "detaching") return true;
    return false;
}

std::string vpc_id_of(const Network& net, Idx vpc) { return vpc < net.vpcs.size() ? net.vpcs[vpc].id : std::string(); }

Result<Idx> resolve_route_table(const Network& net, Reader& r) {
    std::string id = r.str("RouteTableId", true);
    if (r.failed()) return r.error();
    Idx t = find_in(net.index.route_table, id);
    if (t == kNone)
        return refusal("InvalidRouteTableID.NotFound", "The routeTable ID '" + id + "' does not exist",
                       r.at("RouteTableId"));
    return t;
}

// The destination of a route request: exactly one of the three destination keys.
struct RouteDest {
    std::optional<Cidr> cidr;
    std::string prefix_list;
    std::string str() const { return cidr ? cidr->str() : prefix_list; }
    bool matches(const Route& x) const {
        return cidr ? (x.dest && *x.dest == *cidr) : (!x.dest && x.dest_prefix_list == prefix_list);
    }
};

RouteDest read_dest(const Network& net, Reader& r) {
    RouteDest d;
    int n = int(r.has("DestinationCidrBlock")) + int(r.has("DestinationIpv6CidrBlock")) +
            int(r.has("DestinationPrefixListId"));
    if (n == 0) {
        r.fail("MissingParameter",
               "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock or "
               "destinationPrefixListId");
        return d;
    }
    if (n > 1) {
        r.fail("InvalidParameterCombination",
               "Specify only one of DestinationCidrBlock, DestinationIpv6CidrBlock, DestinationPrefixListId.");
        return d;
    }
    if (r.has("DestinationPrefixListId")) {
        d.prefix_list = r.str("DestinationPrefixListId");
        if (!r.failed() && !net.prefix_list(d.prefix_list))
            r.fail("InvalidPrefixListId.NotFound", "The prefix list '" + d.prefix_list + "' does not exist",
                   "DestinationPrefixListId");
        return d;
    }
    bool v4 = r.has("DestinationCidrBlock");
    const char* key = v4 ? "DestinationCidrBlock" : "DestinationIpv6CidrBlock";
    std::string text = r.str(key);
    if (r.failed()) return d;
    std::optional<Cidr> c = Cidr::parse(text);
    if (!c || c->base.is_v4() != v4) {
        r.fail("InvalidParameterValue",
               "Value (" + text + ") for parameter " + key + " is invalid. This is not a valid CIDR block.", key);
        return d;
    }
    d.cidr = *c;
    return d;
}

bool is_local(const Route& x) { return x.kind == TargetKind::Local || x.origin == "CreateRouteTable"; }

// The target of a route request: exactly one target key. Fills kind/target/instance_id.
void read_target(const Network& net, Reader& r, const RouteTable& table, Route& out, bool allow_local) {
    static const char* const kKeys[] = {"GatewayId", "NatGatewayId", "NetworkInterfaceId", "InstanceId",
                                        "VpcPeeringConnectionId", "TransitGatewayId", "EgressOnlyInternetGatewayId",
                                        "VpcEndpointId", "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn"};
    int n = 0;
    std::string key;
    for (const char* k : kKeys)
        if (r.has(k)) {
            ++n;
            key = k;
        }
    std::optional<bool> local_target = r.boolean("LocalTarget");
    if (r.failed()) return;
    if (local_target.value_or(false)) {
        ++n;
        key = "LocalTarget";
    }
    if (n == 0) {
        r.fail("MissingParameter",
               "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, instanceId, "
               "vpcPeeringConnectionId, transitGatewayId, egressOnlyInternetGatewayId, vpcEndpointId, "
               "localGatewayId, carrierGatewayId or coreNetworkArn");
        return;
    }
    if (n > 1) {
        r.fail("InvalidParameterCombination", "The request must contain exactly one route target.");
        return;
    }
    const std::string vpc = vpc_id_of(net, table.vpc);
    std::string id = key == "LocalTarget" ? std::string("local") : r.str(key);
    if (r.failed()) return;
    out.target = id;
    out.instance_id.clear();

    auto not_found = [&](const std::string& code, const std::string& what) {
        r.fail(code, "The " + what + " ID '" + id + "' does not exist", key);
    };
    auto same_vpc = [&](Idx other_vpc) {
        if (other_vpc != kNone && table.vpc != kNone && other_vpc != table.vpc)
            r.fail("InvalidParameterValue", "route table " + table.id + " and network gateway " + id +
                                                " belong to different networks", key);
    };
    auto attached_elsewhere = [&](const std::vector<GatewayAttachment>& atts) {
        if (!atts.empty() && !vpc.empty() && !gateway_attached(atts, vpc))
            r.fail("InvalidParameterValue", "route table " + table.id + " and network gateway " + id +
                                                " belong to different networks", key);
    };

    if (key == "GatewayId" || key == "LocalTarget") {
        if (id == "local") {
            out.kind = TargetKind::Local;
            if (!allow_local)
                r.fail("InvalidParameterValue", "The target 'local' can only restore a local route.", key);
        } else if (const InternetGateway* g = net.internet_gateway(id)) {
            out.kind = TargetKind::InternetGateway;
            attached_elsewhere(g->attachments);
        } else if (const VpnGateway* v = net.vpn_gateway(id)) {
            out.kind = TargetKind::VpnGateway;
            attached_elsewhere(v->attachments);
        } else if (const InternetGateway* e = net.egress_only_gateway(id)) {
            out.kind = TargetKind::EgressOnlyIgw;
            attached_elsewhere(e->attachments);
        } else if (const VpcEndpoint* ep = net.endpoint(id)) {
            out.kind = TargetKind::VpcEndpoint;
            same_vpc(ep->vpc);
        } else {
            r.fail("InvalidGatewayID.NotFound", "The gateway ID '" + id + "' does not exist", key);
        }
    } else if (key == "EgressOnlyInternetGatewayId") {
        out.kind = TargetKind::EgressOnlyIgw;
        if (const InternetGateway* e = net.egress_only_gateway(id)) attached_elsewhere(e->attachments);
        else not_found("InvalidGatewayID.NotFound", "gateway");
    } else if (key == "NatGatewayId") {
        out.kind = TargetKind::NatGateway;
        if (const NatGateway* g = net.nat_gateway(id)) same_vpc(g->vpc);
        else not_found("InvalidNatGatewayID.NotFound", "natGateway");
    } else if (key == "NetworkInterfaceId") {
        out.kind = TargetKind::NetworkInterface;
        if (const Eni* e = net.eni(id)) same_vpc(e->vpc);
        else not_found("InvalidNetworkInterfaceID.NotFound", "networkInterface");
    } else if (key == "InstanceId") {
        out.kind = TargetKind::NetworkInterface;
        out.instance_id = id;
        const Instance* in = net.instance(id);
        if (!in) {
            r.fail("InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist", key);
            return;
        }
        std::vector<Idx> enis = enis_of_instance(net, *in);
        if (enis.size() > 1) {
            r.fail("InvalidInstanceID", "There are multiple interfaces attached to instance '" + id +
                                            "'. Please specify an interface ID for the operation instead.", key);
            return;
        }
        Idx p = primary_eni(net, *in);
        if (p == kNone) {
            r.fail("InvalidInstanceID", "The instance '" + id + "' has no network interface.", key);
            return;
        }
        out.target = net.enis[p].id;
        same_vpc(net.enis[p].vpc);
    } else if (key == "VpcPeeringConnectionId") {
        out.kind = TargetKind::Peering;
        const PeeringConnection* p = net.peering(id);
        if (!p) not_found("InvalidVpcPeeringConnectionID.NotFound", "vpcPeeringConnection");
        else if (!vpc.empty() && !p->requester.vpc_id.empty() && !p->accepter.vpc_id.empty() &&
                 p->requester.vpc_id != vpc && p->accepter.vpc_id != vpc)
            r.fail("InvalidParameterValue", "route table " + table.id + " and VPC peering connection " + id +
                                                " belong to different networks", key);
    } else if (key == "TransitGatewayId") {
        out.kind = TargetKind::TransitGateway;
        if (!net.transit_gateway(id)) not_found("InvalidTransitGatewayID.NotFound", "transitGateway");
    } else if (key == "VpcEndpointId") {
        out.kind = TargetKind::VpcEndpoint;
        if (const VpcEndpoint* ep = net.endpoint(id)) same_vpc(ep->vpc);
        else r.fail("InvalidVpcEndpointId.NotFound", "The VpcEndpoint ID '" + id + "' does not exist", key);
    } else if (key == "LocalGatewayId") {
        out.kind = TargetKind::LocalGateway; // Outposts: not in the model, not checked
    } else if (key == "CarrierGatewayId") {
        out.kind = TargetKind::CarrierGateway;
    } else {
        out.kind = TargetKind::CoreNetwork;
    }
}

// AWS lets a route be more specific than a local route only when it names a whole subnet
// CIDR and targets a NAT gateway, an ENI (or instance) or a Gateway Load Balancer endpoint.
std::optional<Error> check_against_local(const Network& net, const RouteTable& table, const Route& route) {
    if (!route.dest) return std::nullopt;
    const Cidr& d = *route.dest;
    bool inside_local = false;
    for (const Route& x : table.routes)
        if (is_local(x) && x.dest && x.dest->family() == d.family() && x.dest->contains(d) && *x.dest != d)
            inside_local = true;
    if (!inside_local) return std::nullopt;
    bool whole_subnet = false;
    for (const Subnet& s : net.subnets) {
        if (s.vpc != table.vpc) continue;
        if (s.cidr4 && *s.cidr4 == d) whole_subnet = true;
        for (const Cidr& c : s.cidrs6)
            if (c == d) whole_subnet = true;
    }
    bool middlebox = route.kind == TargetKind::NatGateway || route.kind == TargetKind::NetworkInterface ||
                     route.kind == TargetKind::VpcEndpoint;
    if (whole_subnet && middlebox) return std::nullopt;
    return refusal("InvalidParameterValue",
                   "The destination CIDR block " + d.str() +
                       " is equal to or more specific than one of this VPC's CIDR blocks. This route can target "
                       "only an interface, an instance, a NAT gateway or a Gateway Load Balancer endpoint for a whole "
                       "subnet CIDR.");
}

// Index of the non-propagated route with this destination, or -1.
long find_route(const RouteTable& t, const RouteDest& d) {
    for (size_t i = 0; i < t.routes.size(); ++i)
        if (!t.routes[i].propagated() && d.matches(t.routes[i])) return long(i);
    return -1;
}

// The route table and destination a route action names, and where that route sits in
// the table (-1 when absent). Shared by CreateRoute, ReplaceRoute and DeleteRoute.
struct RouteSite {
    RouteTable* table = nullptr;
    RouteDest dest;
    long at = -1;
};

Result<RouteSite> locate_route(Network& net, Reader& r, std::optional<Error>& err) {
    Result<Idx> t = resolve_route_table(net, r);
    if (err) return *err;
    if (!t) return t.error();
    RouteSite site;
    site.table = &net.route_tables[*t];
    site.dest = read_dest(net, r);
    if (err) return *err;
    site.at = find_route(*site.table, site.dest);
    return site;
}

} // namespace

Result<ActionEffect> create_route(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<RouteSite> site = locate_route(net, r, err);
    if (!site) return site.error();
    RouteTable& table = *site->table;
    const RouteDest& d = site->dest;
    Route route;
    route.dest = d.cidr;
    route.dest_prefix_list = d.prefix_list;
    route.origin = "CreateRoute";
    route.state = "active";
    read_target(net, r, table, route, false);
    if (err) return *err;
    if (site->at >= 0)
        return refusal("RouteAlreadyExists", "The route identified by " + d.str() + " already exists.");
    if (auto e = check_against_local(net, table, route)) return *e;
    table.routes.push_back(route);
    return ActionEffect{"CreateRoute", {}};
}

Result<ActionEffect> replace_route(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<RouteSite> site = locate_route(net, r, err);
    if (!site) return site.error();
    RouteTable& table = *site->table;
    const RouteDest& d = site->dest;
    long at = site->at;
    // AWS answers a ReplaceRoute of a missing route with InvalidParameterValue (as moto
    // mirrors it), not InvalidRoute.NotFound.
    if (at < 0)
        return refusal("InvalidParameterValue",
                       "There is no route defined for '" + d.str() + "' in the route table. Use CreateRoute instead.");
    Route route = table.routes[size_t(at)];
    bool local = is_local(route);
    read_target(net, r, table, route, local);
    if (err) return *err;
    if (local && route.kind != TargetKind::Local && route.kind != TargetKind::NetworkInterface &&
        route.kind != TargetKind::VpcEndpoint)
        return refusal("InvalidParameterValue", "The local route " + d.str() +
                                                    " can only target local, a network interface or a Gateway Load "
                                                    "Balancer endpoint.");
    if (!local)
        if (auto e = check_against_local(net, table, route)) return *e;
    route.state = "active";
    table.routes[size_t(at)] = route;
    return ActionEffect{"ReplaceRoute", {}};
}

Result<ActionEffect> delete_route(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<RouteSite> site = locate_route(net, r, err);
    if (!site) return site.error();
    RouteTable& table = *site->table;
    const RouteDest& d = site->dest;
    long at = site->at;
    if (at < 0)
        return refusal("InvalidRoute.NotFound",
                       "no route with destination " + d.str() + " in route table " + table.id);
    // AWS refuses this with InvalidParameterValue ("cannot remove local route").
    if (is_local(table.routes[size_t(at)]))
        return refusal("InvalidParameterValue",
                       "cannot remove local route " + d.str() + " in route table " + table.id);
    table.routes.erase(table.routes.begin() + at);
    return ActionEffect{"DeleteRoute", {}};
}

Result<ActionEffect> replace_route_table_association(Network& net, const json& params) {
    Result<AssociationSite> site = locate_association(net, net.route_tables, params, resolve_route_table);
    if (!site) return site.error();
    const std::string& assoc = site->id;
    Idx from = site->from;
    size_t pos = site->pos;
    RouteTable& to = net.route_tables[site->to];
    if (net.route_tables[from].vpc != to.vpc)
        return different_networks(to.id, net.route_tables[from].id);

    RouteTableAssociation moved = net.route_tables[from].associations[pos];
    moved.id = make_id("rtbassoc-", assoc + "|" + to.id, [&net](const std::string& id) { return assoc_id_taken(net, id); });
    moved.state = "associated";
    net.route_tables[from].associations.erase(net.route_tables[from].associations.begin() + long(pos));
    to.associations.push_back(moved);
    return ActionEffect{"ReplaceRouteTableAssociation", {}};
}

} // namespace vpcfw::action
