// The compiled walk (dataplane/pipeline_impl.hpp): internet, egress-only and NAT gateways
// (docs/semantics.md §7). Outbound through an IGW (1:1 NAT to the public IP, Block Public
// Access), through an egress-only IGW (IPv6, replies only), and through a NAT gateway (port
// choice, mappings in this worker's StateTables, idle timeout and RST) with its replies.
// Mirrors ruleset/ref_gateways.cpp.
#include "dataplane/pipeline_impl.hpp"

#include <cstring>

namespace vpcfw {

bool Pipeline::Impl::bpa_blocks(uint32_t vpc, uint32_t subnet, bool inbound) const {
    const CompiledVpc& v = t->vpcs[vpc];
    if (inbound ? v.bpa_in : v.bpa_out) return true;
    return subnet != kNone && (inbound ? t->subnets[subnet].bpa_in : t->subnets[subnet].bpa_out);
}

bool Pipeline::Impl::via_igw(Ctx& c, uint32_t subnet, const RouteNh& r, Packet p) {
    uint32_t vpc = t->subnets[subnet].vpc;
    if (!edge_check(c, r.rule, false)) return false;
    if (r.target == kNone || t->vpcs[vpc].igw != r.target) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Route, Reason::TargetNotAvailable, r.rule);
    }
    if (!leave_subnet(c, subnet, p)) return false;
    if (bpa_blocks(vpc, subnet, false)) return drop_step(c, Layer::Route, Reason::BlockPublicAccess, r.rule);
    if (p.src.is_v4()) {
        const CompiledPrivateIp* pip = private_ip_record(vpc, p.src);
        if (!pip || !pip->has_public) return drop_step(c, Layer::Route, Reason::NoPublicIp, r.rule);
        uint32_t owner = eni_by_private(vpc, p.src);
        if (owner != kNone && t->enis[owner].deny_all_igw)
            return drop_step(c, Layer::Route, Reason::BlockPublicAccess, r.rule);
        p.src = pip->public_ip;
        set_nat(c, p.src, p.has_ports(), p.sport);
    }
    path(c, t->sym_igw[r.target]);
    if (++c.depth > 8) return drop_step(c, Layer::Route, Reason::Loop, r.rule);
    if (owns_public(p.dst)) return from_internet(c, p);
    return accept(c, t->sym_internet, p);
}

bool Pipeline::Impl::via_eigw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
    uint32_t vpc = t->subnets[subnet].vpc;
    if (!edge_check(c, r.rule, false)) return false;
    if (r.target == kNone || t->vpcs[vpc].eigw != r.target) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Route, Reason::TargetNotAvailable, r.rule);
    }
    if (p.src.is_v4()) return drop_step(c, Layer::Route, Reason::EgressOnly, r.rule);
    if (!leave_subnet(c, subnet, p)) return false;
    c.auto_tracked = true;
    if (c.neigw < kMaxPendingSmall) c.eigw[c.neigw++] = eigw_key(r.target, p, true);
    path(c, t->sym_eigw[r.target]);
    if (++c.depth > 8) return drop_step(c, Layer::Route, Reason::Loop, r.rule);
    if (owns_public(p.dst)) return from_internet(c, p);
    return accept(c, t->sym_internet, p);
}

// Whether the outside view (nat, proto, ip, remote, port, rport) is in use by a live
// mapping (an idle one is taken over, as the reference's sweep would have freed it).
bool Pipeline::Impl::nat_taken(Ctx& c, const NatKey& k) {
    if (const NatEntry* e = nat_out.find(k)) {
        if (nat_live(*e, c.now)) return true;
        NatEntry copy = *e;
        forget_mapping(k, copy, true);
        nat_out.erase(k);
    }
    for (unsigned i = 0; i < c.nnat; ++i)
        if (std::memcmp(&c.nat[i].out, &k, sizeof k) == 0) return true;
    return false;
}

bool Pipeline::Impl::via_nat(Ctx& c, uint32_t subnet, const RouteNh& r, Packet p) {
    if (!edge_check(c, r.rule, false)) return false;
    if (r.target == kNone) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop_step(c, Layer::Route, Reason::Blackhole, r.rule);
    }
    const CompiledNat& g = t->nats[r.target];
    uint32_t gi = r.target;
    uint32_t natEni = g.eni;
    uint32_t natSubnet = g.subnet;
    if (!g.available) {
        if (!leave_subnet(c, subnet, p)) return false;
        return drop(c, Layer::Nat, R(Reason::NotAvailable));
    }
    if (natSubnet != subnet && !leave_subnet(c, subnet, p)) return false;
    if (natSubnet != subnet && natSubnet != kNone && !nacl_check(c, natSubnet, false, p)) return false;
    if (!p.is_tcp() && !p.is_udp() && !(p.proto == 1)) return drop(c, Layer::Nat, R(Reason::Protocol));
    if (!g.has_private_ip) return drop(c, Layer::Nat, R(Reason::NotAvailable));
    c.auto_tracked = true;
    uint16_t inPort = p.is_icmp() ? p.icmp_id : p.sport;
    uint16_t rPort = p.is_icmp() ? 0 : p.dport;
    NatInsideKey ik = zeroed<NatInsideKey>();
    ik.nat = gi;
    ik.proto = p.proto;
    ik.inside_ip = p.src;
    ik.remote = p.dst;
    ik.inside_port = inPort;
    ik.rport = rPort;
    uint16_t natPort = 0;
    bool existing = false;
    if (NatKey* ok = nat_in.find(ik)) {
        NatKey outKey = *ok;
        NatEntry* ot = nat_out.find(outKey);
        if (ot && nat_live(*ot, c.now)) {
            natPort = outKey.nat_port;
            existing = true;
        } else {
            if (ot) {
                // Had the reference's last sweep already removed it, its inside key
                // would be in the idle set (and stay there); otherwise it is not.
                NatEntry copy = *ot;
                forget_mapping(outKey, copy, last_nat_sweep - copy.last_seen > cfg.nat_idle_tcp);
                nat_out.erase(outKey);
            }
            nat_in.erase(ik);
            if (p.is_tcp() && !(p.tcp_flags & kTcpSyn)) {
                note(c, t->sym_nat_rst[gi]);
                return drop(c, Layer::Nat, R(Reason::IdleTimeout));
            }
        }
    }
    if (!existing) {
        if (p.is_tcp() && !(p.tcp_flags & kTcpSyn) && nat_idle_tcp.find(ik)) {
            note(c, t->sym_nat_rst[gi]);
            return drop(c, Layer::Nat, R(Reason::IdleTimeout));
        }
        c.cacheable = false;
        last_nat_sweep = c.now;  // the reference sweeps idle mappings here (nat_expire)
        nat_idle_tcp.erase(ik);
        choice(c, kChoiceNatPort);
        NatDestKey dk = dest_key(gi, p.proto, p.dst, rPort);
        const uint32_t* used = nat_dest.find(dk);
        if (used && *used >= static_cast<uint32_t>(cfg.nat_max_flows_per_destination)) {
            nat_sweep(c.now);
            used = nat_dest.find(dk);
        }
        if (used && *used >= static_cast<uint32_t>(cfg.nat_max_flows_per_destination))
            return drop(c, Layer::Nat, R(Reason::PortAllocation));
        if (inPort >= cfg.nat_port_min && !nat_taken(c, nat_key(gi, p.proto, g.private_ip, p.dst, inPort, rPort))) {
            natPort = inPort;
        } else {
            bool found = false;
            for (int port = cfg.nat_port_min; port <= 65535; ++port)
                if (!nat_taken(c, nat_key(gi, p.proto, g.private_ip, p.dst, static_cast<uint16_t>(port), rPort))) {
                    natPort = static_cast<uint16_t>(port);
                    found = true;
                    break;
                }
            if (!found) return drop(c, Layer::Nat, R(Reason::PortAllocation));
        }
    }
    if (c.nnat < kMaxPendingNat) {
        PendingNat& pn = c.nat[c.nnat++];
        pn.out = nat_key(gi, p.proto, g.private_ip, p.dst, natPort, rPort);
        pn.in = ik;
        pn.inside = NatInside{p.src, inPort};
    } else {
        c.overflow = true;
    }
    p.src = g.private_ip;
    if (p.is_icmp()) p.icmp_id = natPort; else p.sport = natPort;
    path(c, t->sym_nat[gi]);
    set_nat(c, p.src, !p.is_icmp(), natPort);
    if (g.is_private) {
        uint32_t rtIdx = natSubnet == kNone ? kNone : t->subnets[natSubnet].rtb;
        if (rtIdx != kNone) {
            const RouteNh* m = lookup_route(c, rtIdx, p.dst);
            if (m && m->kind == TargetKind::InternetGateway) return drop(c, Layer::Nat, R(Reason::PrivateNatToIgw));
        }
    }
    if (++c.depth > 8) return drop_step(c, Layer::Route, Reason::Loop, r.rule);
    return route_from_subnet(c, natSubnet, natEni, p);
}

bool Pipeline::Impl::nat_inbound(Ctx& c, uint32_t gi, uint32_t natEni, Packet p) {
    const CompiledNat& g = t->nats[gi];
    if (!g.available || !g.has_private_ip) return drop(c, Layer::Nat, R(Reason::NotAvailable));
    uint16_t port = p.is_icmp() ? p.icmp_id : p.dport;
    uint16_t rPort = p.is_icmp() ? 0 : p.sport;
    NatKey k = nat_key(gi, p.proto, p.dst, p.src, port, rPort);
    NatEntry* it = nat_out.find(k);
    if (!it || !nat_live(*it, c.now)) return drop(c, Layer::Nat, R(Reason::NoMapping));
    c.auto_tracked = true;
    NatInside in = it->inside;
    p.dst = in.ip;
    if (p.is_icmp()) p.icmp_id = in.port; else p.dport = in.port;
    path(c, t->sym_nat[gi]);
    set_nat(c, p.dst, !p.is_icmp(), in.port);
    if (c.nnat < kMaxPendingNat) {
        PendingNat& pn = c.nat[c.nnat++];
        pn.out = k;
        pn.in = zeroed<NatInsideKey>();
        pn.in.nat = gi;
        pn.in.proto = p.proto;
        pn.in.inside_ip = in.ip;
        pn.in.remote = p.src;
        pn.in.inside_port = in.port;
        pn.in.rport = rPort;
        pn.inside = in;
    } else {
        c.overflow = true;
    }
    if (++c.depth > 8) return drop(c, Layer::Route, R(Reason::Loop));
    return route_from_subnet(c, t->enis[natEni].subnet, natEni, p);
}

} // namespace vpcfw
