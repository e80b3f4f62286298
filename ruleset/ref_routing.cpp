// The reference evaluator (ref_state.hpp): the path inside a VPC (docs/semantics.md §3) and
// routing (§6). A packet leaving an ENI (SG egress), the subnet's route table (longest
// prefix, then static over prefix list over propagated), the route's target (local, an ENI,
// or one of the gateways of §7/§8), and delivery to an ENI (NACL in, SG in, appliances).
#include "ruleset/ref_state.hpp"

#include <algorithm>

namespace vpcfw::ref {

// ---- §6 routing -------------------------------------------------------------------
bool State::is_reserved_range(const IpAddr& a) {
    static const Cidr r4 = *Cidr::parse("169.254.168.0/22");
    static const Cidr r6 = *Cidr::parse("fd00:ec2::/32");
    return r4.contains(a) || r6.contains(a);
}

RouteMatch State::lookup_route(Ctx& c, const RouteTable& rt, const IpAddr& dst) {
    RouteMatch best;
    bool inLocal = false;
    for (const auto& r : rt.routes)
        if (r.kind == TargetKind::Local && r.dest && r.dest->contains(dst)) inLocal = true;
    for (const auto& r : rt.routes) {
        std::vector<std::pair<int, std::string>> lens;
        if (r.dest) {
            if (r.dest->contains(dst)) lens.push_back({r.dest->len, {}});
        } else if (!r.dest_prefix_list.empty()) {
            const PrefixList* pl = net.prefix_list(r.dest_prefix_list);
            if (pl)
                for (const auto& e : pl->entries)
                    if (e.contains(dst)) lens.push_back({e.len, pl->id});
        }
        for (const auto& [len, plid] : lens) {
            int rank = r.propagated() ? 2 : (plid.empty() ? 0 : 1);
            if (rank == 2 && inLocal) continue; // §6: propagated routes never beat local
            bool better = len > best.len || (len == best.len && rank < best.rank);
            if (len == best.len && rank == best.rank && rank == 1 && !best.pl.empty() && plid != best.pl &&
                best.route->target != r.target) {
                choice(c, "prefix_list_tie_lowest_id");
                better = plid < best.pl;
            }
            if (better) best = RouteMatch{&r, len, rank, plid};
        }
    }
    return best;
}

// ---- delivery to an ENI (destination side: NACL in, SG in) ----------------------------
// `from_subnet` is the subnet the packet leaves (kNone when it comes from a gateway);
// the caller has already applied that subnet's NACL egress when needed.
bool State::deliver_to_eni(Ctx& c, Idx eni, const Packet& p, Idx from_subnet, bool apply_nacl_in) {
    const Eni& e = net.enis[eni];
    std::string reason;
    if (!eni_usable(eni, reason)) {
        step(c, e.id, "route", "drop", {}, "destination " + reason);
        return drop(c, Layer::Route, reason);
    }
    if (apply_nacl_in && e.subnet != from_subnet)
        if (!nacl_check(c, e.subnet, false, p)) return false;
    // A NAT gateway ENI receiving a packet: de-NAT (§7).
    if (const NatGateway* g = nat_of_eni(eni)) return nat_inbound(c, *g, eni, p);
    if (e.source_dest_check && !eni_has_address(e, p.dst)) {
        step(c, e.id, "route", "drop", {}, "source/destination check: " + p.dst.str() + " is not an address of " + e.id);
        return drop(c, Layer::Route, "source-dest-check");
    }
    if (is_interface_endpoint_eni(eni)) {
        const VpcEndpoint* ep = net.endpoint(destination_name(eni));
        std::string st = ep ? ep->state : "";
        std::transform(st.begin(), st.end(), st.begin(), ::tolower);
        if (ep && st != "available") {
            step(c, ep->id, "endpoint", "drop", {}, ep->id + " is " + ep->state);
            return drop(c, Layer::Endpoint, "not-available");
        }
        c.auto_tracked = true;
    }
    if (!sg_check(c, eni, false, p)) return false;
    path(c, e.id);
    // An appliance that receives a packet not addressed to it forwards it on (§3).
    if (!eni_has_address(e, p.dst)) {
        step(c, e.id, "forward", "appliance", {}, "source/destination check off: the appliance forwards the packet");
        return from_eni_forward(c, eni, p);
    }
    return accept(c, destination_name(eni));
}

// ---- from an ENI -------------------------------------------------------------------
bool State::from_eni(Ctx& c, Idx eni, Packet p) {
    const Eni& e = net.enis[eni];
    std::string reason;
    if (!eni_usable(eni, reason)) {
        step(c, e.id, "origin", "drop", {}, reason);
        return drop(c, Layer::Origin, reason);
    }
    if (e.source_dest_check && !eni_has_address(e, p.src)) {
        step(c, e.id, "origin", "drop", {}, "source/destination check: " + p.src.str() + " is not an address of " + e.id);
        return drop(c, Layer::Origin, "source-dest-check");
    }
    path(c, e.id);
    std::string svc = aws_service(e.vpc, e.subnet, p, p.dst);
    if (!svc.empty()) {
        step(c, e.id, "unfiltered", "allow", {}, "traffic to " + svc + " is never filtered by security groups or NACLs (§9)");
        path(c, svc);
        return accept(c, svc);
    }
    if (!sg_check(c, eni, true, p)) return false;
    return route_from_subnet(c, e.subnet, eni, p);
}

// The appliance re-sends a packet it received (SG egress of the appliance, then routing).
bool State::from_eni_forward(Ctx& c, Idx eni, const Packet& p) {
    if (++c.depth > 8) {
        step(c, net.enis[eni].id, "route", "drop", {}, "routing loop");
        return drop(c, Layer::Route, "loop");
    }
    if (!sg_check(c, eni, true, p)) return false;
    return route_from_subnet(c, net.enis[eni].subnet, eni, p);
}

// Routing from a subnet (§3 steps 2-6). `src_eni` is the sender (kNone for gateways).
bool State::route_from_subnet(Ctx& c, Idx subnet, Idx src_eni, const Packet& p) {
    const Subnet& s = net.subnets[subnet];
    Idx vpc = s.vpc;
    // Same subnet: no route table, no NACL (§3).
    Idx dstEni = eni_by_private(vpc, p.dst);
    if (dstEni != kNone && net.enis[dstEni].subnet == subnet && dstEni != src_eni) {
        step(c, s.id, "route", "same-subnet", {}, "destination in the same subnet: no route table, no NACL");
        return deliver_to_eni(c, dstEni, p, subnet, false);
    }
    Idx rtIdx = net.route_table_of_subnet(subnet);
    if (rtIdx == kNone) {
        step(c, s.id, "route", "drop", {}, "the subnet has no route table");
        return drop(c, Layer::Route, "no-route");
    }
    const RouteTable& rt = net.route_tables[rtIdx];
    if (is_reserved_range(p.dst)) {
        step(c, rt.id, "route", "drop", {}, p.dst.str() + " is in a range AWS never routes (169.254.168.0/22, fd00:ec2::/32)");
        return drop(c, Layer::Route, "reserved-range");
    }
    RouteMatch m = lookup_route(c, rt, p.dst);
    if (!m.route) {
        step(c, rt.id, "route", "drop", {}, "no route for " + p.dst.str());
        return drop(c, Layer::Route, "no-route", rt.id + ":none");
    }
    const Route& r = *m.route;
    std::string rule = rt.id + ":" + r.dest_str();
    if (r.state != "active") {
        step(c, rt.id, "route", "drop", rule, "route state " + r.state + " (target " + r.target + ")");
        return drop(c, Layer::Route, "blackhole", rule);
    }
    step(c, rt.id, "route", "route", rule, "-> " + r.target + (m.pl.empty() ? "" : " (via prefix list " + m.pl + ")"));
    path(c, rule);
    return via_target(c, subnet, src_eni, rt, r, rule, p);
}

// NACL egress of the subnet the packet leaves, with the TGW exception handled by the caller.
bool State::leave_subnet(Ctx& c, Idx subnet, const Packet& p) { return nacl_check(c, subnet, true, p); }

bool State::via_target(Ctx& c, Idx subnet, Idx src_eni, const RouteTable& rt, const Route& r,
                const std::string& rule, Packet p) {
    const Subnet& s = net.subnets[subnet];
    Idx vpc = s.vpc;
    switch (r.kind) {
    case TargetKind::Local: {
        Idx dstEni = eni_by_private(vpc, p.dst);
        if (!leave_subnet(c, subnet, p)) return false;
        if (dstEni == kNone) {
            step(c, net.vpcs[vpc].id, "route", "drop", rule, "no network interface has " + p.dst.str());
            return drop(c, Layer::Route, "no-destination", rule);
        }
        return deliver_to_eni(c, dstEni, p, subnet);
    }
    case TargetKind::NetworkInterface: {
        const Eni* a = net.eni(r.target);
        if (!a) return drop_step(c, Layer::Route, "blackhole", rule, "target " + r.target + " not in the export");
        Idx ai = net.index.eni.at(a->id);
        if (ai == src_eni) {
            // An appliance whose own subnet routes the packet back to itself: the packet
            // stays with the instance (its OS decides what happens next).
            if (c.depth > 0 && !a->source_dest_check) {
                step(c, a->id, "route", "deliver", rule, "the route leads back to the appliance: delivered to its instance");
                return accept(c, destination_name(ai));
            }
            return drop_step(c, Layer::Route, "loop", rule, "route sends the packet back to its sender");
        }
        if (a->source_dest_check && !eni_has_address(*a, p.dst)) {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Route, "source-dest-check", rule,
                             a->id + " has source/destination check on and is not " + p.dst.str());
        }
        if (++c.depth > 8) return drop_step(c, Layer::Route, "loop", rule, "routing loop");
        if (a->subnet != subnet && !leave_subnet(c, subnet, p)) return false;
        return deliver_to_eni(c, ai, p, subnet);
    }
    case TargetKind::InternetGateway: return via_igw(c, subnet, r, rule, p);
    case TargetKind::EgressOnlyIgw: return via_eigw(c, subnet, r, rule, p);
    case TargetKind::NatGateway: return via_nat(c, subnet, r, rule, p);
    case TargetKind::Peering: return via_peering(c, subnet, r, rule, p);
    case TargetKind::TransitGateway: return via_tgw(c, subnet, r, rule, p);
    case TargetKind::VpnGateway: return via_vgw(c, subnet, r, rule, p);
    case TargetKind::VpcEndpoint:
        if (net.firewall_endpoint(r.target).first != kNoFw) return via_firewall(c, subnet, r.target, rule, p);
        return via_endpoint(c, subnet, r, rule, p);
    default:
        return drop_step(c, Layer::Route, "unsupported-target", rule,
                         std::string("target kind ") + target_kind_name(r.kind) + " is not modelled");
    }
    (void)rt;
}

// §8: a packet that arrived over peering (or from VPN/DX/TGW) may not leave via gateways.
bool State::edge_check(Ctx& c, const std::string& rule, const std::string& what) {
    if (c.arrived_via_peering)
        return drop_step(c, Layer::Route, what == "peering" ? "peering-not-transitive" : "edge-to-edge", rule,
                         "a packet that arrived over a peering connection cannot leave through " + what);
    if (c.arrived_from_edge)
        return drop_step(c, Layer::Route, "edge-to-edge", rule,
                         "a packet that arrived from VPN/Direct Connect cannot leave through " + what);
    return true;
}

} // namespace vpcfw::ref
