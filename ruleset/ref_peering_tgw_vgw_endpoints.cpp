// The reference evaluator (ref_state.hpp): peering, Transit Gateway, virtual private
// gateways and VPC endpoints (docs/semantics.md §8). Peering (non-transitive, delivery only in
// the peer VPC), the TGW (attachments, route tables with propagations, appliance mode),
// the VGW towards VPN/Direct Connect, and gateway / GWLB endpoints.
#include "ruleset/ref_state.hpp"

#include <algorithm>
#include <tuple>

namespace vpcfw::ref {

// ---- §8 peering ----------------------------------------------------------------------
bool State::via_peering(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p) {
    Idx vpc = net.subnets[subnet].vpc;
    if (!edge_check(c, rule, "peering")) return false;
    const PeeringConnection* pcx = net.peering(r.target);
    if (!pcx) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Route, "blackhole", rule, r.target + " not in the export");
    }
    if (!leave_subnet(c, subnet, p)) return false;
    if (pcx->status != "active")
        return drop_step(c, Layer::Route, "peering-not-active", rule, pcx->id + " is " + pcx->status, pcx->id);
    const std::string& me = net.vpcs[vpc].id;
    const PeeringSide& other = pcx->requester.vpc_id == me ? pcx->accepter : pcx->requester;
    if (pcx->requester.vpc_id != me && pcx->accepter.vpc_id != me)
        return drop_step(c, Layer::Route, "blackhole", rule, pcx->id + " does not join " + me, pcx->id);
    step(c, pcx->id, "peering", "forward", {}, "to " + other.vpc_id);
    path(c, pcx->id);
    const Vpc* peer = net.vpc(other.vpc_id);
    if (!peer) {
        c.d->notes.push_back("the peer VPC " + other.vpc_id + " is not in the export");
        return accept(c, pcx->id);
    }
    return arrive_over_peering(c, net.index.vpc.at(peer->id), pcx->id, p);
}

bool State::arrive_over_peering(Ctx& c, Idx vpc, const std::string& pcxId, const Packet& p) {
    c.arrived_via_peering = true;
    if (!in_vpc(vpc, p.dst)) {
        // Where would this VPC send it? Never on (§8).
        Idx main = net.main_route_table(vpc);
        std::string reason = "edge-to-edge";
        if (main != kNone) {
            RouteMatch m = lookup_route(c, net.route_tables[main], p.dst);
            if (m.route && m.route->kind == TargetKind::Peering) reason = "peering-not-transitive";
        }
        return drop_step(c, Layer::Route, reason, pcxId,
                         "a packet that arrived over " + pcxId + " may only be delivered inside " + net.vpcs[vpc].id, pcxId);
    }
    Idx dst = eni_by_private(vpc, p.dst);
    if (dst == kNone)
        return drop_step(c, Layer::Route, "no-destination", pcxId, "no network interface has " + p.dst.str(), net.vpcs[vpc].id);
    return deliver_to_eni(c, dst, p, kNone);
}

// ---- §8 Transit Gateway ---------------------------------------------------------------
const TgwAttachment* State::vpc_attachment(const std::string& tgw, const std::string& vpcId) const {
    for (const auto& a : net.tgw_attachments)
        if (a.tgw_id == tgw && a.resource_type == "vpc" && a.resource_id == vpcId) return &a;
    return nullptr;
}

Idx State::attachment_subnet_in_az(const TgwAttachment& a, const std::string& az) const {
    for (const auto& sid : a.subnet_ids) {
        const Subnet* s = net.subnet(sid);
        if (s && s->az == az) return net.index.subnet.at(sid);
    }
    return kNone;
}

int State::tgw_rank(const TgwRoute& r, bool viaPrefixList) {
    if (r.type != "propagated") return viaPrefixList ? 1 : 0;
    if (r.propagated_from == "vpc" || r.propagated_from.empty()) return 2;
    if (r.propagated_from == "direct-connect-gateway") return 3;
    if (r.propagated_from == "connect") return 4;
    if (r.propagated_from == "vpn") return 5;
    return 6;
}

// §8 a Direct Connect gateway attachment, or a VPN attachment whose connection is not
// StaticRoutesOnly (a connection not in the export counts as dynamic): routes learned by BGP.
bool State::learns_by_bgp(const TgwAttachment& a) const {
    if (a.resource_type == "direct-connect-gateway") return true;
    if (a.resource_type != "vpn") return false;
    for (const auto& vc : net.vpn_connections)
        if (vc.id == a.resource_id) return !vc.static_routes_only;
    return true;
}

// The export gives propagated routes of this attachment in the table (used as given).
bool State::has_propagated_routes(const TgwRouteTable& t, const std::string& attId) {
    for (const auto& r : t.routes)
        if (r.type == "propagated" && std::find(r.attachments.begin(), r.attachments.end(), attId) != r.attachments.end())
            return true;
    return false;
}

TgwMatch State::tgw_lookup(const TgwRouteTable& t, const IpAddr& dst) const {
    TgwMatch best;
    auto consider = [&](const TgwRoute& r, int len, bool viaPl, bool synth, bool bgp = false) {
        int rank = tgw_rank(r, viaPl);
        if (len > best.len || (len == best.len && rank < best.rank)) {
            best.len = len;
            best.rank = rank;
            best.synth = synth;
            best.bgp_any = bgp;
            if (synth) {
                best.synthesized = r;
                best.route = nullptr;
            } else {
                best.route = &r;
            }
        }
    };
    for (const auto& r : t.routes) {
        if (r.dest) {
            if (r.dest->contains(dst)) consider(r, r.dest->len, false, false);
        } else if (const PrefixList* pl = net.prefix_list(r.dest_prefix_list)) {
            for (const auto& e : pl->entries)
                if (e.contains(dst)) consider(r, e.len, true, false);
        }
    }
    // Propagations: attached VPCs' CIDRs (docs/semantics.md §8); VPN/DX routes come from the export,
    // or (CHOICE tgw_bgp_any_destination) a learned default route of their kind.
    for (const auto& attId : t.propagations) {
        const TgwAttachment* a = net.tgw_attachment(attId);
        if (a && cfg.tgw_bgp_any_destination && learns_by_bgp(*a) && !has_propagated_routes(t, a->id)) {
            TgwRoute r;
            r.dest = *Cidr::parse(dst.is_v4() ? "0.0.0.0/0" : "::/0");
            r.attachments = {a->id};
            r.type = "propagated";
            r.propagated_from = a->resource_type;
            consider(r, 0, false, true, true);
            continue;
        }
        if (!a || a->resource_type != "vpc") continue;
        const Vpc* v = net.vpc(a->resource_id);
        if (!v) continue;
        for (const auto* list : {&v->cidrs4, &v->cidrs6})
            for (const auto& cidr : *list)
                if (cidr.contains(dst)) {
                    TgwRoute r;
                    r.dest = cidr;
                    r.attachments = {a->id};
                    r.type = "propagated";
                    r.propagated_from = "vpc";
                    consider(r, cidr.len, false, true);
                }
    }
    return best;
}

bool State::via_tgw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p) {
    const Subnet& s = net.subnets[subnet];
    Idx vpc = s.vpc;
    if (!edge_check(c, rule, "a transit gateway")) return false;
    const TgwAttachment* att = vpc_attachment(r.target, net.vpcs[vpc].id);
    if (!att || att->state != "available") {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Tgw, "attachment-not-available", rule,
                         net.vpcs[vpc].id + " has no available attachment to " + r.target);
    }
    Idx attSubnet = attachment_subnet_in_az(*att, s.az);
    if (attSubnet == kNone) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Tgw, "no-attachment-in-az", rule,
                         att->id + " has no subnet in " + s.az + ": the packet cannot reach the transit gateway", att->id);
    }
    // NACLs around the attachment (docs/aws-facts.md §10): different subnets: source out, then
    // attachment subnet in; same subnet: that NACL's outbound and inbound.
    if (!nacl_check(c, subnet, true, p)) return false;
    if (!nacl_check(c, attSubnet, false, p)) return false;
    c.auto_tracked = true;
    step(c, att->id, "tgw", "enter", {}, "enters " + r.target + " in " + s.az);
    path(c, att->id);
    c.arrival_az = s.az;
    return tgw_route(c, *att, p);
}

// Route inside the TGW by the table associated with the arrival attachment (`peerSide`: with
// the peer TGW's side of a peering attachment).
bool State::tgw_route(Ctx& c, const TgwAttachment& arrival, const Packet& p, bool peerSide) {
    if (++c.depth > 8) return drop_step(c, Layer::Tgw, "loop", {}, "routing loop");
    const std::string& here = peerSide ? arrival.peer_tgw_id : arrival.tgw_id;
    const TgwRouteTable* t = net.tgw_route_table(peerSide ? arrival.peer_association_rtb : arrival.association_rtb);
    if (!t)
        return drop_step(c, Layer::Tgw, "no-route", arrival.id + ":unassociated",
                         arrival.id + " is not associated with a route table" + (peerSide ? " on " + here + "'s side" : ""), here);
    TgwMatch m = tgw_lookup(*t, p.dst);
    const TgwRoute* r = m.synth ? &m.synthesized : m.route;
    if (!r) return drop_step(c, Layer::Tgw, "no-route", t->id + ":none", "no route for " + p.dst.str(), t->id);
    std::string rule = t->id + ":" + (r->dest ? r->dest->str() : r->dest_prefix_list);
    if (m.bgp_any) choice(c, "tgw_bgp_any_destination");
    if (r->state == "blackhole" || r->attachments.empty())
        return drop_step(c, Layer::Tgw, "blackhole", rule, "blackhole route", t->id);
    const TgwAttachment* out = net.tgw_attachment(r->attachments.front());
    step(c, t->id, "tgw-route", "route", rule, "-> " + r->attachments.front() + (r->type == "propagated" ? " (propagated)" : ""));
    path(c, rule);
    if (!out || out->state != "available")
        return drop_step(c, Layer::Tgw, "attachment-not-available", rule, r->attachments.front() + " is not available", t->id);
    if (out->resource_type == "peering") return via_tgw_peering(c, *out, here, rule, t->id, p);
    if (out->resource_type != "vpc") {
        // VPN, Direct Connect, Connect: the packet leaves AWS's view here.
        return accept(c, out->id);
    }
    const Vpc* v = net.vpc(out->resource_id);
    if (!v) return accept(c, out->id);
    std::string az = c.arrival_az;
    if (out->appliance_mode) {
        // §8 appliance mode: both directions of a flow use one AZ (the first one seen).
        ApplianceKey k;
        k.attachment = out->id;
        k.proto = p.proto;
        uint16_t sp = p.has_ports() ? p.sport : p.icmp_id, dp = p.has_ports() ? p.dport : p.icmp_id;
        bool srcLow = std::tie(p.src, sp) < std::tie(p.dst, dp);
        k.a = srcLow ? p.src : p.dst;
        k.b = srcLow ? p.dst : p.src;
        k.pa = srcLow ? sp : dp;
        k.pb = srcLow ? dp : sp;
        auto it = appliance_az.find(k);
        if (it != appliance_az.end()) az = it->second;
        c.appliance.push_back({k, az});
    }
    Idx outSubnet = attachment_subnet_in_az(*out, az);
    if (outSubnet == kNone)
        for (const auto& sid : out->subnet_ids)
            if (net.subnet(sid)) {
                outSubnet = net.index.subnet.at(sid);
                break;
            }
    if (outSubnet == kNone) return drop_step(c, Layer::Tgw, "attachment-not-available", rule, out->id + " has no subnets", t->id);
    step(c, out->id, "tgw", "leave", {}, "into " + v->id + " through " + net.subnets[outSubnet].id);
    path(c, out->id);
    c.arrived_from_tgw = true;
    c.auto_tracked = true;
    // Routed by the attachment subnet's route table (§8), NACLs as for any subnet.
    return route_from_subnet(c, outSubnet, kNone, p);
}

// §8 TGW peering: the peer TGW, when the export holds it (its side's association, or the
// TGW itself), routes the packet by the table its side of the attachment is associated
// with; otherwise the packet leaves (ACCEPT, to = the attachment). A packet that crossed a
// peering is never sent over another (no transit across two peerings).
bool State::via_tgw_peering(Ctx& c, const TgwAttachment& out, const std::string& here, const std::string& rule,
                            const std::string& table, const Packet& p) {
    if (c.arrived_via_tgw_peering)
        return drop_step(c, Layer::Tgw, "peering-not-transitive", rule,
                         "arrived over a transit gateway peering: never sent over another", table);
    bool peerSide = out.tgw_id == here;   // the far side of the attachment is the peer's
    const std::string& far = peerSide ? out.peer_tgw_id : out.tgw_id;
    const std::string& farRtb = peerSide ? out.peer_association_rtb : out.association_rtb;
    if (far.empty() || (farRtb.empty() && !net.transit_gateway(far))) {
        step(c, out.id, "tgw", "leave", {}, "to the peer transit gateway " + (far.empty() ? "(unknown)" : far) + ", not in the export");
        return accept(c, out.id);
    }
    step(c, out.id, "tgw", "cross", {}, "over the peering to " + far);
    path(c, out.id);
    c.arrived_via_tgw_peering = true;
    return tgw_route(c, out, p, peerSide);
}

// ---- §8 VGW ---------------------------------------------------------------------------
bool State::via_vgw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p) {
    Idx vpc = net.subnets[subnet].vpc;
    if (!edge_check(c, rule, "a virtual private gateway")) return false;
    const VpnGateway* g = net.vpn_gateway(r.target);
    if (!leave_subnet(c, subnet, p)) return false;
    if (!g || net.vgw_of_vpc(vpc) == kNone || net.vpn_gateways[net.vgw_of_vpc(vpc)].id != g->id)
        return drop_step(c, Layer::Route, "target-not-available", rule, r.target + " is not attached to " + net.vpcs[vpc].id);
    bool anyConn = false, anyBgp = false, covered = false;
    for (const auto& vc : net.vpn_connections) {
        if (vc.vgw_id != g->id || vc.state == "deleted" || vc.state == "deleting") continue;
        anyConn = true;
        if (!vc.static_routes_only) anyBgp = true;
        for (const auto& cidr : vc.routes)
            if (cidr.contains(p.dst)) covered = true;
    }
    choice(c, "vpn_ignore_tunnel_status");
    if (!covered) {
        if (anyBgp || !anyConn) {
            choice(c, "vpn_bgp_any_destination");
        } else {
            return drop_step(c, Layer::Route, "no-vpn-route", rule,
                             "no VPN connection of " + g->id + " has a static route covering " + p.dst.str(), g->id);
        }
    }
    step(c, g->id, "vgw", "forward", {}, "to the VPN/Direct Connect side");
    path(c, g->id);
    return accept(c, g->id);
}

// ---- §8 gateway endpoints ---------------------------------------------------------------
bool State::via_endpoint(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p) {
    if (!edge_check(c, rule, "a gateway endpoint")) return false;
    if (c.arrived_from_edge || c.arrived_from_tgw)
        return drop_step(c, Layer::Route, "edge-to-edge", rule, "a gateway endpoint is not usable from VPN, Direct Connect or TGW");
    const VpcEndpoint* ep = net.endpoint(r.target);
    if (!leave_subnet(c, subnet, p)) return false;
    if (!ep) return drop_step(c, Layer::Endpoint, "not-available", rule, r.target + " not in the export");
    std::string st = ep->state;
    std::transform(st.begin(), st.end(), st.begin(), ::tolower);
    if (st != "available") return drop_step(c, Layer::Endpoint, "not-available", rule, ep->id + " is " + ep->state, ep->id);
    if (ep->type == "GatewayLoadBalancer") {
        c.auto_tracked = true;
        c.d->notes.push_back("Gateway Load Balancer endpoint: the appliance behind it is not modelled");
    } else {
        c.d->notes.push_back("policy-not-evaluated");
        c.d->reason = "policy-not-evaluated";
    }
    step(c, ep->id, "endpoint", "deliver", {}, ep->service_name + " (endpoint policy not evaluated)");
    path(c, ep->id);
    return accept(c, ep->id);
}

} // namespace vpcfw::ref
