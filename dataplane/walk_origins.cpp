// The compiled walk (dataplane/pipeline_impl.hpp): origins (docs/semantics.md §2) and packets
// arriving from outside. Which ENI or outside side sent a packet (its MAC, the compiled
// outside routes, else the internet), captures read as seen at an instance (back through
// the IGW, a NAT gateway or a gateway endpoint), and the arrivals through an IGW / EIGW, a
// VGW, a peering connection or a TGW attachment.
// Mirrors ruleset/ref_origins.cpp.
#include "dataplane/pipeline_impl.hpp"

#include <cstring>

namespace vpcfw {

uint32_t Pipeline::Impl::eni_by_mac(const uint8_t* mac) const {
    MacKey k = zeroed<MacKey>();
    std::memcpy(k.mac, mac, 6);
    const uint32_t* e = t->mac_owner.find(k);
    return e ? *e : kNone;
}

// Outside sources: the VPN/DX side whose routes cover the source, else the internet.
OriginSpec Pipeline::Impl::outside_origin(const IpAddr& src) const {
    for (const auto& r : t->outside_routes)
        if (r.cidr.contains(src)) return r.origin;
    return OriginSpec{OriginSpec::Kind::Internet, 0};
}

uint32_t Pipeline::Impl::origin_sym(const OriginSpec& o) const {
    switch (o.kind) {
    case OriginSpec::Kind::Eni: return t->enis[o.index].id;
    case OriginSpec::Kind::Internet: return t->sym_internet;
    case OriginSpec::Kind::Vgw: return o.index == kNone ? 0 : t->sym_vgw[o.index];
    case OriginSpec::Kind::Pcx: return t->sym_pcx[o.index];
    case OriginSpec::Kind::TgwAttachment: return t->sym_att[o.index];
    default: return 0;
    }
}

bool Pipeline::Impl::dispatch_outside(Ctx& c, const OriginSpec& o, const Packet& p) {
    switch (o.kind) {
    case OriginSpec::Kind::Internet: return from_internet(c, p);
    case OriginSpec::Kind::Vgw:
        if (o.index == kNone) return drop(c, Layer::Origin, R(Reason::UnknownOrigin));
        return from_vgw(c, o.index, p);
    case OriginSpec::Kind::Pcx: return from_pcx(c, o.index, p);
    case OriginSpec::Kind::TgwAttachment: return from_tgw_attachment(c, o.index, p);
    default: return drop(c, Layer::Origin, R(Reason::UnknownOrigin));
    }
}

bool Pipeline::Impl::rfc1918(const IpAddr& a) {
    uint32_t h = a.v4_host();
    return (h & 0xFF000000u) == 0x0A000000u || (h & 0xFFF00000u) == 0xAC100000u || (h & 0xFFFF0000u) == 0xC0A80000u;
}

bool Pipeline::Impl::from_internet(Ctx& c, Packet p) {
    if (p.dst.is_v4()) {
        PublicOwner po = eni_by_public(p.dst);
        if (po.eni == kNone) {
            bool priv = vpc_containing(p.dst) != kNone || eni_by_any_private(p.dst) != kNone || rfc1918(p.dst);
            return drop(c, Layer::Route, R(priv ? Reason::PrivateDestination : Reason::UnassociatedPublicIp));
        }
        const CompiledEni& e = t->enis[po.eni];
        uint32_t vpc = e.vpc;
        uint32_t igwIdx = t->vpcs[vpc].igw;
        if (igwIdx == kNone) return drop(c, Layer::Route, R(Reason::NoIgw));
        if (bpa_blocks(vpc, e.subnet, true) || e.deny_all_igw) return drop(c, Layer::Route, R(Reason::BlockPublicAccess));
        p.dst = private_ip(po.eni, po.pip).addr;
        set_nat(c, p.dst, p.has_ports(), p.dport);
        path(c, t->sym_igw[igwIdx]);
        return enter_vpc_from_gateway(c, vpc, GwKind::Igw, igwIdx, p);
    }
    uint32_t vpc = vpc_containing(p.dst);
    if (vpc == kNone) return drop(c, Layer::Route, R(Reason::UnassociatedPublicIp));
    uint32_t igwIdx = t->vpcs[vpc].igw;
    if (igwIdx == kNone) {
        uint32_t e = t->vpcs[vpc].eigw;
        if (e != kNone) {
            EigwKey k = eigw_key(e, p, false);
            if (!eigw.find(k)) return drop(c, Layer::Route, R(Reason::EgressOnly));
            c.auto_tracked = true;
            if (c.neigw < kMaxPendingSmall) c.eigw[c.neigw++] = k;
            path(c, t->sym_eigw[e]);
            return enter_vpc_from_gateway(c, vpc, GwKind::Eigw, e, p);
        }
        return drop(c, Layer::Route, R(Reason::NoIgw));
    }
    uint32_t dstEni = eni_by_private(vpc, p.dst);
    if (bpa_blocks(vpc, dstEni == kNone ? kNone : t->enis[dstEni].subnet, true))
        return drop(c, Layer::Route, R(Reason::BlockPublicAccess));
    uint32_t e = t->vpcs[vpc].eigw;
    if (e != kNone) {
        EigwKey k = eigw_key(e, p, false);
        if (eigw.find(k)) {
            c.auto_tracked = true;
            if (c.neigw < kMaxPendingSmall) c.eigw[c.neigw++] = k;
            path(c, t->sym_eigw[e]);
            return enter_vpc_from_gateway(c, vpc, GwKind::Eigw, e, p);
        }
        // Through the IGW because the EIGW holds no state for the flow (yet): an outbound
        // packet may create it, so this verdict is not a function of live state alone.
        c.cacheable = false;
    }
    path(c, t->sym_igw[igwIdx]);
    return enter_vpc_from_gateway(c, vpc, GwKind::Igw, igwIdx, p);
}

bool Pipeline::Impl::enter_vpc_from_gateway(Ctx& c, uint32_t vpc, GwKind kind, uint32_t gw, const Packet& p) {
    uint32_t edge = kind == GwKind::Igw ? t->edge_rtb_igw[gw] : kind == GwKind::Eigw ? t->edge_rtb_eigw[gw] : t->edge_rtb_vgw[gw];
    if (edge != kNone) {
        const RouteNh* m = lookup_route(c, edge, p.dst);
        if (m) {
            if (!m->active) return drop_step(c, Layer::Route, Reason::Blackhole, m->rule);
            path(c, m->rule);
            if (m->kind == TargetKind::NetworkInterface) {
                if (m->target == kNone) return drop_step(c, Layer::Route, Reason::Blackhole, m->rule);
                uint32_t ai = m->target;
                if (t->enis[ai].source_dest_check && !eni_has_address(ai, p.dst))
                    return drop_step(c, Layer::Route, Reason::SourceDestCheck, m->rule);
                if (++c.depth > 8) return drop_step(c, Layer::Route, Reason::Loop, m->rule);
                return deliver_to_eni(c, ai, p, kNone);
            }
            if (m->kind != TargetKind::Local && m->kind != TargetKind::VpcEndpoint)
                return drop_step(c, Layer::Route, Reason::UnsupportedTarget, m->rule);
            if (m->kind == TargetKind::VpcEndpoint) {
                c.auto_tracked = true;
                note(c, t->sym_gwlb_note);
                return accept(c, m->target_sym, p);
            }
        }
    }
    uint32_t dst = eni_by_private(vpc, p.dst);
    if (dst == kNone) return drop(c, Layer::Route, R(Reason::NoDestination));
    return deliver_to_eni(c, dst, p, kNone);
}

bool Pipeline::Impl::from_vgw(Ctx& c, uint32_t gi, const Packet& p) {
    uint32_t vpc = t->vgws[gi].attached_vpc;
    if (vpc == kNone) return drop(c, Layer::Origin, R(Reason::OriginNotAvailable));
    c.arrived_from_edge = true;
    path(c, t->sym_vgw[gi]);
    if (!in_vpc(vpc, p.dst)) return drop(c, Layer::Route, R(Reason::EdgeToEdge));
    return enter_vpc_from_gateway(c, vpc, GwKind::Vgw, gi, p);
}

bool Pipeline::Impl::from_pcx(Ctx& c, uint32_t pi, const Packet& p) {
    const CompiledPeering& pcx = t->peerings[pi];
    path(c, t->sym_pcx[pi]);
    if (!pcx.active) return drop_step(c, Layer::Route, Reason::PeeringNotActive, t->sym_pcx[pi]);
    for (int side = 0; side < 2; ++side)
        if (pcx.vpc[side] != kNone && in_vpc(pcx.vpc[side], p.dst)) return arrive_over_peering(c, pcx.vpc[side], pi, p);
    for (int side = 0; side < 2; ++side) {
        uint32_t v = pcx.vpc[side], o = pcx.vpc[1 - side];
        if (v != kNone && o != kNone && in_vpc(o, p.src)) return arrive_over_peering(c, v, pi, p);
    }
    c.arrived_via_peering = true;
    return drop_step(c, Layer::Route, Reason::PeeringNotTransitive, t->sym_pcx[pi]);
}

bool Pipeline::Impl::from_tgw_attachment(Ctx& c, uint32_t ai, const Packet& p) {
    const CompiledAttachment& a = t->attachments[ai];
    path(c, t->sym_att[ai]);
    if (!a.available) return drop(c, Layer::Origin, R(Reason::OriginNotAvailable));
    c.arrived_from_tgw = true;
    c.auto_tracked = true;
    if (a.has_arrival_az) c.arrival_az = a.arrival_az;
    return tgw_route(c, ai, p);
}

bool Pipeline::Impl::seen_at_instance(Ctx& c, uint32_t eni, Packet p) {
    c.cacheable = false;
    choice(c, kChoiceCaptureAtInstance);
    c.v->origin_how = OriginHow::SeenAt;
    c.v->origin_eni = t->enis[eni].id;
    // A NAT gateway mapping whose inside end is this address?
    NatSeenKey sk = seen_key(p.proto, p.dst, p.src, p.is_icmp() ? p.icmp_id : p.dport, p.is_icmp() ? 0 : p.sport);
    if (const NatKey* k = nat_seen.find(sk)) {
        const NatEntry* e = nat_out.find(*k);
        // Present in the reference's table unless a sweep since it went idle removed it.
        if (e && last_nat_sweep - e->last_seen <= cfg.nat_idle_tcp) {
            const CompiledNat& g = t->nats[k->nat];
            if (g.has_public_ip && !g.is_private) {
                Packet q = p;
                q.dst = g.public_ip;
                if (p.is_icmp()) q.icmp_id = k->nat_port; else q.dport = k->nat_port;
                return from_internet(c, q);
            }
        }
    }
    for (uint32_t i = t->enis[eni].pip_begin; i < t->enis[eni].pip_end; ++i) {
        const CompiledPrivateIp& pip = t->private_ips[i];
        if (pip.addr == p.dst && pip.has_public) {
            Packet q = p;
            q.dst = pip.public_ip;
            return from_internet(c, q);
        }
    }
    return from_internet(c, p);
}

// §2 CHOICE capture_at_instance, replies of a gateway endpoint's service: the endpoint a
// source came back through, when the destination ENI's subnet routes that source to an
// available gateway endpoint by an active route; kNone otherwise (no trace in the verdict).
uint32_t Pipeline::Impl::gateway_endpoint_of_reply(Ctx& c, uint32_t eni, const IpAddr& src) {
    uint32_t subnet = t->enis[eni].subnet;
    if (subnet == kNone || t->subnets[subnet].rtb == kNone) return kNone;
    const RouteNh* m = fib_lookup(t->route_tables[t->subnets[subnet].rtb], src);
    if (!m || m->kind != TargetKind::VpcEndpoint || !m->active || m->target == kNone) return kNone;
    const CompiledEndpoint& ep = t->endpoints[m->target];
    if (!ep.available || ep.gwlb) return kNone;
    if (m->tie_choice) choice(c, kChoicePrefixListTie);
    return m->target;
}

// The reply came back through the gateway endpoint: origin the endpoint, then the
// destination subnet's NACL inbound and the ENI's SG (its state of the request).
bool Pipeline::Impl::from_gateway_endpoint(Ctx& c, uint32_t ep, uint32_t eni, const Packet& p) {
    c.cacheable = false;   // a capture-at-instance reading (flow_cache.hpp)
    choice(c, kChoiceCaptureAtInstance);
    c.v->from = t->sym_endpoint[ep];
    c.v->origin_how = OriginHow::SeenAt;
    c.v->origin_eni = t->enis[eni].id;
    path(c, t->sym_endpoint[ep]);
    return deliver_to_eni(c, eni, p, kNone);
}

} // namespace vpcfw
