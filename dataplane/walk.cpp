// The compiled walk (dataplane/pipeline_impl.hpp) of one packet that the flow cache did not
// serve: a non-first fragment follows its first (§11); otherwise the origin (given, or for
// "auto" the MAC, the addresses, an AWS service, the outside side) and the path from it; then
// the commit of the pending state once the packet is accepted, the flow-cache store and the
// first fragment's record. Mirrors ruleset/reference.cpp; the sections live beside it in
// walk_*.cpp, one file each.
#include "dataplane/pipeline_impl.hpp"

#include <cstring>

namespace vpcfw {

namespace {

// Drop reasons decided by the ruleset and the packet alone (and, for a security group, the
// connection keys the walk records): a cached drop may stand for them. Left out: reasons
// that read state the pending arrays do not record (egress-only flows, NAT mappings, their
// idle set and counts, the table's fill level, fragments) and every NAT-layer reason.
constexpr Reason kPureDrops[] = {
    Reason::NoMatchingRule, Reason::DenyRule, Reason::DefaultDeny, Reason::NoRoute, Reason::Blackhole,
    Reason::EniNotAttached, Reason::InstanceNotRunning, Reason::Loop, Reason::ReservedRange, Reason::NoPublicIp,
    Reason::UnassociatedPublicIp, Reason::PrivateDestination, Reason::BlockPublicAccess, Reason::PeeringNotActive,
    Reason::PeeringNotTransitive, Reason::EdgeToEdge, Reason::NoVpnRoute, Reason::NoDestination,
    Reason::SourceDestCheck, Reason::TargetNotAvailable, Reason::UnsupportedTarget, Reason::NoIgw,
    Reason::UnknownOrigin, Reason::OriginNotAvailable,
};

} // namespace

bool Pipeline::Impl::pure_drop(uint32_t reason) const {
    if (!reason) return false;
    for (Reason r : kPureDrops)
        if (R(r) == reason) return true;
    return false;
}

void Pipeline::Impl::evaluate(const ParsedPacket& in, Verdict& v, Ctx& c) {
    v = Verdict{};
    c.reset();
    c.v = &v;
    c.now = clock;   // advanced to in.ts unless time went backwards (process_parsed)
    if (in.reason != ParseReason::Ok) {
        // Nothing to infer an origin from; an explicit origin is reported as given.
        drop(c, Layer::Parse, t->sym_parse[static_cast<unsigned>(in.reason) & 15]);
        v.from = in.origin.kind == OriginSpec::Kind::Auto ? 0 : origin_sym(in.origin);
        v.origin_how = v.from ? OriginHow::Given : OriginHow::None;
        return;
    }
    Packet p = to_packet(in.key);
    if (in.has_src_mac) {
        p.has_src_mac = true;
        std::memcpy(p.src_mac.data(), in.src_mac, 6);
    }
    const IpAddr origSrc = p.src, origDst = p.dst;

    // §11 non-first fragments follow their first fragment.
    if (p.frag == Frag::More || p.frag == Frag::Last) {
        FragKey k = zeroed<FragKey>();
        k.src = p.src;
        k.dst = p.dst;
        k.proto = p.proto;
        k.id = p.frag_id;
        FragEntry* fe = frags.find(k);
        choice(c, kChoiceFragmentWindow);
        if (!fe || c.now - fe->first_seen > cfg.fragment_window) {
            if (fe) frags.erase(k);
            if (in.origin.kind == OriginSpec::Kind::Auto) {
                uint32_t e = eni_by_any_private(p.src);
                if (e != kNone) {
                    v.from = t->enis[e].id;
                    v.origin_how = OriginHow::Ip;
                } else {
                    v.from = origin_sym(outside_origin(p.src));
                    v.origin_how = OriginHow::Outside;
                }
            } else {
                v.from = origin_sym(in.origin);
                v.origin_how = OriginHow::Given;
            }
            drop(c, Layer::Parse, R(Reason::FragmentWithoutFirst));
            return;
        }
        uint16_t ch = v.choices;
        v = fe->v;
        v.choices = ch;
        return;
    }

    bool ok = false;
    if (in.origin.kind == OriginSpec::Kind::Auto) {
        uint32_t e = kNone;
        if (p.has_src_mac) e = eni_by_mac(p.src_mac.data());
        if (e != kNone) {
            v.from = t->enis[e].id;
            v.origin_how = OriginHow::Mac;
            ok = from_eni(c, e, p);
        } else if ((e = eni_by_any_private(p.src)) != kNone) {
            v.from = t->enis[e].id;
            v.origin_how = OriginHow::Ip;
            ok = from_eni(c, e, p);
        } else if (PublicOwner po = p.src.is_v4() ? eni_by_public(p.src) : PublicOwner{}; po.eni != kNone) {
            v.from = t->enis[po.eni].id;
            v.origin_how = OriginHow::Ip;
            note(c, private_ip(po.eni, po.pip).public_source);
            p.src = private_ip(po.eni, po.pip).addr;
            ok = from_eni(c, po.eni, p);
        } else {
            Service svc = aws_service(kNone, kNone, p, p.src);
            uint32_t dstEni = eni_by_any_private(p.dst);
            if (svc == Service::None && dstEni != kNone) {
                uint32_t dv = t->enis[dstEni].vpc;
                if (t->vpcs[dv].has_dns4 && p.src == t->vpcs[dv].dns4) svc = Service::AmazonDns;
                else svc = aws_service(dv, t->enis[dstEni].subnet, p, p.src);
            }
            if (svc != Service::None) {
                v.from = svc_sym(svc);
                v.origin_how = OriginHow::Ip;
                if (dstEni != kNone) {
                    path(c, svc_sym(svc));
                    ok = accept(c, t->enis[dstEni].id, p, dstEni);
                } else {
                    ok = drop(c, Layer::Route, R(Reason::NoDestination));
                }
            } else {
                OriginSpec outside = outside_origin(p.src);
                v.from = origin_sym(outside);
                v.origin_how = OriginHow::Outside;
                uint32_t ep = outside.kind == OriginSpec::Kind::Internet && dstEni != kNone && cfg.capture_at_instance
                                  ? gateway_endpoint_of_reply(c, dstEni, p.src)
                                  : kNone;
                if (ep != kNone)
                    ok = from_gateway_endpoint(c, ep, dstEni, p);
                else if (outside.kind == OriginSpec::Kind::Internet && dstEni != kNone &&
                    p.dst.is_v4() && cfg.capture_at_instance)
                    ok = seen_at_instance(c, dstEni, p);
                else
                    ok = dispatch_outside(c, outside, p);
            }
        }
    } else {
        v.from = origin_sym(in.origin);
        v.origin_how = OriginHow::Given;
        if (in.origin.kind == OriginSpec::Kind::Eni) ok = from_eni(c, in.origin.index, p);
        else ok = dispatch_outside(c, in.origin, p);
    }

    if (ok) {
        commit_ct(c);
        for (unsigned i = 0; i < c.nnat; ++i) {
            const PendingNat& pn = c.nat[i];
            bool fresh = false;
            NatEntry* e = nat_out.insert(pn.out, NatEntry{pn.inside, c.now}, &fresh);
            if (!e) continue;
            e->inside = pn.inside;
            e->last_seen = c.now;
            nat_in.put(pn.in, pn.out);
            if (fresh) {
                nat_seen.put(seen_key(pn.out.proto, pn.inside.ip, pn.out.remote, pn.inside.port, pn.out.rport), pn.out);
                bool f2 = false;
                uint32_t* n = nat_dest.insert(dest_key(pn.out.nat, pn.out.proto, pn.out.remote, pn.out.rport), 0, &f2);
                if (n) ++*n;
            }
        }
        for (unsigned i = 0; i < c.neigw; ++i) eigw.put(c.eigw[i], c.now);
        for (unsigned i = 0; i < c.napp; ++i) appliance_az.put(c.app_key[i], c.app_az[i]);
    }
    v.tracked = ok && c.last_sg_seen && c.last_sg_tracked;
    // Drops for a reason that reads no state may be cached too (flow_cache.hpp says when).
    const bool cacheableDrop = !ok && pure_drop(v.reason);
    if ((ok || cacheableDrop) && c.cacheable && !c.overflow && p.frag == Frag::None &&
        !(p.is_icmp() && is_icmp_error(p.proto, p.icmp_type))) {
        cache.store(in, *this, c, v);
    }
    if (p.frag == Frag::First) {
        FragKey k = zeroed<FragKey>();
        k.src = origSrc;
        k.dst = origDst;
        k.proto = p.proto;
        k.id = p.frag_id;
        // The stored decision is the one of the packet as it arrived (before any rewrite).
        frags.put(k, FragEntry{c.now, v});
    }
    if (v.action == Action::Drop && v.layer == Layer::None) v.layer = Layer::Route;
}

} // namespace vpcfw
