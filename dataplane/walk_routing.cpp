// The compiled walk (dataplane/pipeline_impl.hpp): the path inside a VPC (docs/semantics.md §3)
// and routing (§6). A packet leaving an ENI (SG egress), the subnet's route table (one
// rte_fib lookup: ranks were settled at compile time), the route's target (local, an ENI,
// or one of the gateways of §7/§8), and delivery to an ENI (NACL in, SG in, appliances).
// Mirrors ruleset/ref_routing.cpp.
#include "dataplane/pipeline_impl.hpp"

#include <cstring>

namespace vpcfw {

bool Pipeline::Impl::is_reserved_range(const IpAddr& a) {
    if (a.is_v4()) return (a.v4_host() & 0xFFFFFC00u) == 0xA9FEA800u;  // 169.254.168.0/22
    return a.bytes[0] == 0xfd && a.bytes[1] == 0x00 && a.bytes[2] == 0x0e && a.bytes[3] == 0xc2;  // fd00:ec2::/32
}

const RouteNh* Pipeline::Impl::lookup_route(Ctx& c, uint32_t rtb, const IpAddr& dst) {
    const RouteNh* nh = fib_lookup(t->route_tables[rtb], dst);
    if (nh && nh->tie_choice) choice(c, kChoicePrefixListTie);
    return nh;
}

bool Pipeline::Impl::deliver_to_eni(Ctx& c, uint32_t eni, const Packet& p, uint32_t from_subnet, bool apply_nacl_in) {
    const CompiledEni& e = t->enis[eni];
    uint32_t reason;
    if (!eni_usable(eni, reason)) return drop(c, Layer::Route, reason);
    if (apply_nacl_in && e.subnet != from_subnet)
        if (!nacl_check(c, e.subnet, false, p)) return false;
    if (e.nat != kNone) return nat_inbound(c, e.nat, eni, p);
    if (e.source_dest_check && !eni_has_address(eni, p.dst)) return drop(c, Layer::Route, R(Reason::SourceDestCheck));
    if (e.endpoint != kNone) {
        if (!t->endpoints[e.endpoint].available) return drop(c, Layer::Endpoint, R(Reason::NotAvailable));
        c.auto_tracked = true;
    }
    if (!sg_check(c, eni, false, p)) return false;
    path(c, e.id);
    if (!eni_has_address(eni, p.dst)) return from_eni_forward(c, eni, p);
    return accept(c, e.dest_name, p, eni);
}

bool Pipeline::Impl::from_eni(Ctx& c, uint32_t eni, const Packet& p) {
    const CompiledEni& e = t->enis[eni];
    uint32_t reason;
    if (!eni_usable(eni, reason)) return drop(c, Layer::Origin, reason);
    if (e.source_dest_check && !eni_has_address(eni, p.src)) return drop(c, Layer::Origin, R(Reason::SourceDestCheck));
    path(c, e.id);
    Service svc = aws_service(e.vpc, e.subnet, p, p.dst);
    if (svc != Service::None) {
        path(c, svc_sym(svc));
        return accept(c, svc_sym(svc), p);
    }
    if (!sg_check(c, eni, true, p)) return false;
    return route_from_subnet(c, e.subnet, eni, p);
}

bool Pipeline::Impl::from_eni_forward(Ctx& c, uint32_t eni, const Packet& p) {
    if (++c.depth > 8) return drop(c, Layer::Route, R(Reason::Loop));
    if (!sg_check(c, eni, true, p)) return false;
    return route_from_subnet(c, t->enis[eni].subnet, eni, p);
}

bool Pipeline::Impl::route_from_subnet(Ctx& c, uint32_t subnet, uint32_t src_eni, const Packet& p) {
    const CompiledSubnet& s = t->subnets[subnet];
    uint32_t dstEni = eni_by_private(s.vpc, p.dst);
    if (dstEni != kNone && t->enis[dstEni].subnet == subnet && dstEni != src_eni)
        return deliver_to_eni(c, dstEni, p, subnet, false);
    uint32_t rtIdx = s.rtb;
    if (rtIdx == kNone) return drop(c, Layer::Route, R(Reason::NoRoute));
    if (is_reserved_range(p.dst)) return drop(c, Layer::Route, R(Reason::ReservedRange));
    const RouteNh* m = lookup_route(c, rtIdx, p.dst);
    if (!m) return drop(c, Layer::Route, R(Reason::NoRoute), t->sym_rtb_none[rtIdx]);
    if (!m->active) return drop(c, Layer::Route, R(Reason::Blackhole), m->rule);
    path(c, m->rule);
    return via_target(c, subnet, src_eni, *m, p);
}

bool Pipeline::Impl::via_target(Ctx& c, uint32_t subnet, uint32_t src_eni, const RouteNh& r, const Packet& p) {
    uint32_t vpc = t->subnets[subnet].vpc;
    uint32_t rule = r.rule;
    switch (r.kind) {
    case TargetKind::Local: {
        uint32_t dstEni = eni_by_private(vpc, p.dst);
        if (!leave_subnet(c, subnet, p)) return false;
        if (dstEni == kNone) return drop(c, Layer::Route, R(Reason::NoDestination), rule);
        return deliver_to_eni(c, dstEni, p, subnet);
    }
    case TargetKind::NetworkInterface: {
        uint32_t ai = r.target;
        if (ai == kNone) return drop_step(c, Layer::Route, Reason::Blackhole, rule);
        const CompiledEni& a = t->enis[ai];
        if (ai == src_eni) {
            if (c.depth > 0 && !a.source_dest_check) return accept(c, a.dest_name, p, ai);
            return drop_step(c, Layer::Route, Reason::Loop, rule);
        }
        if (a.source_dest_check && !eni_has_address(ai, p.dst)) {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Route, Reason::SourceDestCheck, rule);
        }
        if (++c.depth > 8) return drop_step(c, Layer::Route, Reason::Loop, rule);
        if (a.subnet != subnet && !leave_subnet(c, subnet, p)) return false;
        return deliver_to_eni(c, ai, p, subnet);
    }
    case TargetKind::InternetGateway: return via_igw(c, subnet, r, p);
    case TargetKind::EgressOnlyIgw: return via_eigw(c, subnet, r, p);
    case TargetKind::NatGateway: return via_nat(c, subnet, r, p);
    case TargetKind::Peering: return via_peering(c, subnet, r, p);
    case TargetKind::TransitGateway: return via_tgw(c, subnet, r, p);
    case TargetKind::VpnGateway: return via_vgw(c, subnet, r, p);
    case TargetKind::VpcEndpoint: return via_endpoint(c, subnet, r, p);
    default: return drop_step(c, Layer::Route, Reason::UnsupportedTarget, rule);
    }
}

bool Pipeline::Impl::edge_check(Ctx& c, uint32_t rule, bool peering) {
    if (c.arrived_via_peering)
        return drop_step(c, Layer::Route, peering ? Reason::PeeringNotTransitive : Reason::EdgeToEdge, rule);
    if (c.arrived_from_edge) return drop_step(c, Layer::Route, Reason::EdgeToEdge, rule);
    return true;
}

} // namespace vpcfw
