// The compiled walk (dataplane/pipeline_impl.hpp): peering, Transit Gateway, virtual
// private gateways and VPC endpoints (docs/semantics.md §8). Peering (non-transitive, delivery
// only in the peer VPC), the TGW (attachments, compiled route tables, appliance mode), the
// VGW towards VPN/Direct Connect, and gateway / GWLB endpoints.
// Mirrors ruleset/ref_peering_tgw_vgw_endpoints.cpp.
#include "dataplane/pipeline_impl.hpp"

#include <tuple>
#include <cstring>

namespace vpcfw {

bool Pipeline::Impl::via_peering(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
    uint32_t vpc = t->subnets[subnet].vpc;
    if (!edge_check(c, r.rule, true)) return false;
    if (r.target == kNone) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Route, Reason::Blackhole, r.rule);
    }
    if (!leave_subnet(c, subnet, p)) return false;
    const CompiledPeering& pcx = t->peerings[r.target];
    if (!pcx.active) return drop_step(c, Layer::Route, Reason::PeeringNotActive, r.rule);
    bool meRequester = pcx.vpc[0] == vpc;
    uint32_t other = meRequester ? pcx.vpc[1] : pcx.vpc[0];
    if (pcx.vpc[0] != vpc && pcx.vpc[1] != vpc) return drop_step(c, Layer::Route, Reason::Blackhole, r.rule);
    path(c, t->sym_pcx[r.target]);
    if (other == kNone) {
        note(c, t->sym_pcx_missing_peer[2 * r.target + (meRequester ? 0 : 1)]);
        return accept(c, t->sym_pcx[r.target], p);
    }
    return arrive_over_peering(c, other, r.target, p);
}

bool Pipeline::Impl::arrive_over_peering(Ctx& c, uint32_t vpc, uint32_t pcx, const Packet& p) {
    c.arrived_via_peering = true;
    uint32_t rule = t->sym_pcx[pcx];
    if (!in_vpc(vpc, p.dst)) {
        Reason reason = Reason::EdgeToEdge;
        uint32_t main = t->vpcs[vpc].main_rtb;
        if (main != kNone) {
            const RouteNh* m = lookup_route(c, main, p.dst);
            if (m && m->kind == TargetKind::Peering) reason = Reason::PeeringNotTransitive;
        }
        return drop_step(c, Layer::Route, reason, rule);
    }
    uint32_t dst = eni_by_private(vpc, p.dst);
    if (dst == kNone) return drop_step(c, Layer::Route, Reason::NoDestination, rule);
    return deliver_to_eni(c, dst, p, kNone);
}

uint32_t Pipeline::Impl::attachment_subnet_in_az(const CompiledAttachment& a, uint32_t azSym) const {
    for (uint32_t i = a.subnet_begin; i < a.subnet_end; ++i)
        if (t->subnets[t->attachment_subnets[i]].az == azSym) return t->attachment_subnets[i];
    return kNone;
}

bool Pipeline::Impl::via_tgw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
    const CompiledSubnet& s = t->subnets[subnet];
    if (!edge_check(c, r.rule, false)) return false;
    const CompiledAttachment* att = r.target == kNone ? nullptr : &t->attachments[r.target];
    if (!att || !att->available) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Tgw, Reason::AttachmentNotAvailable, r.rule);
    }
    uint32_t attSubnet = attachment_subnet_in_az(*att, s.az);
    if (attSubnet == kNone) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Tgw, Reason::NoAttachmentInAz, r.rule);
    }
    if (!nacl_check(c, subnet, true, p)) return false;
    if (!nacl_check(c, attSubnet, false, p)) return false;
    c.auto_tracked = true;
    path(c, t->sym_att[r.target]);
    c.arrival_az = s.az;
    return tgw_route(c, r.target, p);
}

bool Pipeline::Impl::tgw_route(Ctx& c, uint32_t arrivalIdx, const Packet& p, bool peerSide) {
    const CompiledAttachment& arrival = t->attachments[arrivalIdx];
    if (++c.depth > 8) return drop(c, Layer::Tgw, R(Reason::Loop));
    uint32_t ti = peerSide ? arrival.peer_rtb : arrival.rtb;
    if (ti == kNone) return drop_step(c, Layer::Tgw, Reason::NoRoute, t->sym_att_unassoc[arrivalIdx]);
    uint32_t here = peerSide ? arrival.peer_tgw : arrival.tgw;
    const TgwNh* r = fib_lookup(t->tgw_tables[ti], p.dst);
    if (!r) return drop_step(c, Layer::Tgw, Reason::NoRoute, t->sym_tgw_none[ti]);
    if (r->bgp_any) choice(c, kChoiceTgwBgpAny);   // §8 CHOICE tgw_bgp_any_destination
    if (r->blackhole) return drop_step(c, Layer::Tgw, Reason::Blackhole, r->rule);
    path(c, r->rule);
    const CompiledAttachment* out = r->attachment == kNone ? nullptr : &t->attachments[r->attachment];
    if (!out || !out->available) return drop_step(c, Layer::Tgw, Reason::AttachmentNotAvailable, r->rule);
    if (out->peering) return via_tgw_peering(c, r->attachment, here, r->rule, p);
    if (!out->to_exported_vpc) return accept(c, t->sym_att[r->attachment], p);
    uint32_t az = c.arrival_az;
    if (out->appliance_mode) {
        ApplianceKey k = zeroed<ApplianceKey>();
        k.att = r->attachment;
        k.proto = p.proto;
        uint16_t sp = p.has_ports() ? p.sport : p.icmp_id, dp = p.has_ports() ? p.dport : p.icmp_id;
        bool srcLow = std::tie(p.src, sp) < std::tie(p.dst, dp);
        k.a = srcLow ? p.src : p.dst;
        k.b = srcLow ? p.dst : p.src;
        k.pa = srcLow ? sp : dp;
        k.pb = srcLow ? dp : sp;
        if (const uint32_t* z = appliance_az.find(k)) az = *z;
        if (c.napp < kMaxPendingSmall) {
            c.app_key[c.napp] = k;
            c.app_az[c.napp++] = az;
        }
    }
    uint32_t outSubnet = attachment_subnet_in_az(*out, az);
    if (outSubnet == kNone && out->subnet_begin < out->subnet_end) outSubnet = t->attachment_subnets[out->subnet_begin];
    if (outSubnet == kNone) return drop_step(c, Layer::Tgw, Reason::AttachmentNotAvailable, r->rule);
    path(c, t->sym_att[r->attachment]);
    c.arrived_from_tgw = true;
    c.auto_tracked = true;
    return route_from_subnet(c, outSubnet, kNone, p);
}

// §8 TGW peering (ruleset/ref_peering_tgw_vgw_endpoints.cpp via_tgw_peering).
bool Pipeline::Impl::via_tgw_peering(Ctx& c, uint32_t outIdx, uint32_t here, uint32_t rule, const Packet& p) {
    const CompiledAttachment& out = t->attachments[outIdx];
    if (c.arrived_via_tgw_peering) return drop_step(c, Layer::Tgw, Reason::PeeringNotTransitive, rule);
    bool peerSide = out.tgw == here;
    if (!out.side_known[peerSide ? 1 : 0]) return accept(c, t->sym_att[outIdx], p);
    path(c, t->sym_att[outIdx]);
    c.arrived_via_tgw_peering = true;
    return tgw_route(c, outIdx, p, peerSide);
}

bool Pipeline::Impl::via_vgw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
    uint32_t vpc = t->subnets[subnet].vpc;
    if (!edge_check(c, r.rule, false)) return false;
    if (!leave_subnet(c, subnet, p)) return false;
    if (r.target == kNone || t->vpcs[vpc].vgw != r.target)
        return drop_step(c, Layer::Route, Reason::TargetNotAvailable, r.rule);
    const CompiledVgw& g = t->vgws[r.target];
    bool anyConn = g.any_connection, anyBgp = g.any_bgp, covered = false;
    for (uint32_t i = g.route_begin; i < g.route_end; ++i)
        if (t->vgw_routes[i].contains(p.dst)) covered = true;
    choice(c, kChoiceVpnTunnelStatus);
    if (!covered) {
        if (anyBgp || !anyConn) choice(c, kChoiceVpnBgpAny);
        else return drop_step(c, Layer::Route, Reason::NoVpnRoute, r.rule);
    }
    path(c, t->sym_vgw[r.target]);
    return accept(c, t->sym_vgw[r.target], p);
}

bool Pipeline::Impl::via_endpoint(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
    if (!edge_check(c, r.rule, false)) return false;
    if (c.arrived_from_edge || c.arrived_from_tgw) return drop_step(c, Layer::Route, Reason::EdgeToEdge, r.rule);
    if (!leave_subnet(c, subnet, p)) return false;
    if (r.target == kNone) return drop(c, Layer::Endpoint, R(Reason::NotAvailable));
    const CompiledEndpoint& ep = t->endpoints[r.target];
    if (!ep.available) return drop(c, Layer::Endpoint, R(Reason::NotAvailable));
    if (ep.gwlb) {
        c.auto_tracked = true;
        note(c, t->sym_gwlb_note);
    } else {
        note(c, t->sym_policy);
        c.v->reason = R(Reason::PolicyNotEvaluated);
    }
    path(c, t->sym_endpoint[r.target]);
    return accept(c, t->sym_endpoint[r.target], p);
}

} // namespace vpcfw
