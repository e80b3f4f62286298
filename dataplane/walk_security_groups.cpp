// The compiled walk (dataplane/pipeline_impl.hpp): security groups and connection tracking
// (docs/semantics.md §4). The untracked-flow predicate from the compiled any-peer rules, the
// per-ENI connection key, the SG check at an ENI (connection state first, then the burst's
// classification of the question, or one rte_acl classification) and the commit of its pending entries once a packet is accepted.
// Mirrors ruleset/ref_security_groups.cpp.
#include "dataplane/pipeline_impl.hpp"

#include <cstring>

namespace vpcfw {

bool Pipeline::Impl::any_rule_admits(const CompiledEni& e, int dir, const Packet& p) const {
    for (const auto& r : t->any_sets[e.any_set].rules[dir]) {
        if (r.family != static_cast<uint8_t>(p.family())) continue;
        if (r.proto != kProtoAll && r.proto != p.proto) continue;
        if (r.proto == kProtoTcp || r.proto == kProtoUdp) {
            if (r.from != -1 && (p.dport < r.from || p.dport > r.to)) continue;
        } else if ((r.proto == kProtoIcmp || r.proto == kProtoIcmpv6) && r.from != -1) {
            if (p.icmp_type != r.from) continue;
            if (r.to != -1 && p.icmp_code != r.to) continue;
        }
        return true;
    }
    return false;
}

bool Pipeline::Impl::all_ports_to_any(const CompiledEni& e, int dir, const Packet& p) const {
    return t->any_sets[e.any_set].all_ports_any[dir][p.src.is_v4() ? 0 : 1][p.is_tcp() ? 0 : 1];
}

bool Pipeline::Impl::untracked_by_rules(const CompiledEni& e, bool egress, const Packet& p) const {
    if (!cfg.untracked_flows) return false;
    if (!p.is_tcp() && !p.is_udp()) return false;
    // The flag lookups first: they are cheap and usually false.
    if (all_ports_to_any(e, !egress, p) && any_rule_admits(e, egress, p)) return true;
    bool opener = p.is_udp() || ((p.tcp_flags & kTcpSyn) && !(p.tcp_flags & kTcpAck));
    if (opener) return false;
    if (!all_ports_to_any(e, egress, p)) return false;
    Packet rev = reply_of(p, p.tcp_flags);
    return any_rule_admits(e, !egress, rev);
}

CtKey Pipeline::Impl::ct_key(uint32_t eni, bool egress, const Packet& p) const {
    CtKey k = zeroed<CtKey>();
    k.eni = eni;
    k.proto = p.proto;
    k.local = egress ? p.src : p.dst;
    k.remote = egress ? p.dst : p.src;
    if (p.is_tcp() || p.is_udp()) {
        k.lport = egress ? p.sport : p.dport;
        k.rport = egress ? p.dport : p.sport;
    } else if (p.is_icmp()) {
        if (is_icmp_query(p.proto, p.icmp_type)) {
            k.lport = p.icmp_id;
            k.rport = icmp_request_type(p.proto, p.icmp_type);
        } else {
            k.lport = 0;
            k.rport = static_cast<uint16_t>(0x100 | p.icmp_type);
        }
    }
    return k;
}

bool Pipeline::Impl::sg_check(Ctx& c, uint32_t eniIdx, bool egress, const Packet& p) {
    const CompiledEni& e = t->enis[eniIdx];
    Layer layer = egress ? Layer::SgEgress : Layer::SgIngress;
    CtKey key = ct_key(eniIdx, egress, p);
    bool errorAboutFlow = p.is_icmp() && is_icmp_error(p.proto, p.icmp_type);
    if (!errorAboutFlow) {
        if (ct_find(key, c.now)) {
            path(c, t->sym_sg_state[egress]);
            push_ct(c, PendingCt{key, egress, false, true, p.tcp_flags, p.icmp_type});
            c.last_sg_seen = true;
            c.last_sg_tracked = true;
            return true;
        }
    } else if (cfg.icmp_errors_need_rule) {
        choice(c, kChoiceIcmpErrorsNeedRule);
    }
    const AclTables& acl = rs->acl();
    const IpAddr& remote = egress ? p.dst : p.src;
    uint16_t l4 = acl_l4_word(p.proto, p.dport, p.icmp_type, p.icmp_code);
    SgVerdict sv;
    uint16_t gs = acl.group_set_of_eni(eniIdx);
    uint16_t dir = egress ? kAclEgress : kAclIngress;
    // The burst's answer when it asked this question (burst_classify.hpp), else one key.
    if (remote.is_v4()) {
        Be32 r;
        std::memcpy(&r.raw, remote.bytes.data(), 4);
        AclKey4 k = make_acl_key4(p.proto, gs, dir, r, 0, l4);
        if (!pre.sg(acl, k, sv)) {
            k.remote_set = Be16::from_host(acl.remote_set(remote));
            acl.classify_sg(std::span<const AclKey4>(&k, 1), std::span<SgVerdict>(&sv, 1));
        }
    } else {
        Be32 r[4];
        std::memcpy(r, remote.bytes.data(), 16);
        AclKey6 k = make_acl_key6(p.proto, gs, dir, r, 0, l4);
        if (!pre.sg(acl, k, sv)) {
            k.remote_set = Be16::from_host(acl.remote_set(remote));
            acl.classify_sg(std::span<const AclKey6>(&k, 1), std::span<SgVerdict>(&sv, 1));
        }
    }
    ++counters.classifications;
    if (!sv.admit) {
        // Judged by rules without state: a cached drop needs the key to stay absent.
        if (!errorAboutFlow) push_ct(c, PendingCt{key, egress, true, false, p.tcp_flags, p.icmp_type});
        return drop(c, layer, R(Reason::NoMatchingRule), e.groups);
    }
    bool tracked = !untracked_by_rules(e, egress, p);
    if (!tracked) choice(c, kChoiceUntrackedFlows);
    // Judged by rules. A tracked flow meets state from its next packet on, so this walk
    // is not what the next one does; an untracked flow is judged by the same rules
    // every time, as long as no state appears for it (the cache checks that).
    if (tracked || errorAboutFlow) c.cacheable = false;
    bool mayCreate = !errorAboutFlow &&
                     !(p.is_icmp() && is_icmp_query(p.proto, p.icmp_type) && !is_icmp_request(p.proto, p.icmp_type));
    if (tracked && mayCreate) {
        ct_admission(c.now);
        if (count_of(eniIdx) >= cfg.conntrack_capacity_per_eni) ct_reclaim_due(c.now);
        if (count_of(eniIdx) >= cfg.conntrack_capacity_per_eni || conntrack.at_limit()) {
            ++counters.conntrack_full;
            return drop(c, Layer::Conntrack, R(Reason::TableFull));
        }
    }
    path(c, t->sym_sg_pass[egress][sv.rule.table()]);
    if (const uint32_t* rs = t->rule_sym.find(sv.rule.raw)) sg_rule(c, *rs);
    push_ct(c, PendingCt{key, egress, mayCreate, tracked, p.tcp_flags, p.icmp_type});
    c.last_sg_seen = true;
    c.last_sg_tracked = tracked;
    return true;
}

void Pipeline::Impl::commit_ct(Ctx& c) {
    for (unsigned i = 0; i < c.nct; ++i) {
        const PendingCt& pc = c.ct[i];
        CtEntry* ce = ct_find(pc.key, c.now);
        if (!ce) {
            if (!pc.create) continue;
            bool tracked = pc.tracked_by_rules || c.auto_tracked;
            if (!tracked) continue;
            // At capacity, what has expired makes room first (as before a refusal).
            if (count_of(pc.key.eni) >= cfg.conntrack_capacity_per_eni || conntrack.at_limit()) ct_reclaim_due(c.now);
            if (count_of(pc.key.eni) >= cfg.conntrack_capacity_per_eni || conntrack.at_limit()) continue;
            CtEntry n = zeroed<CtEntry>();
            n.opened_by_local = pc.egress;
            ce = conntrack.insert(pc.key, n);
            if (!ce) continue;
            ++count_of(pc.key.eni);
        }
        double before = ce->timer ? ct_timeout(pc.key, *ce) : 0;
        ce->last_seen = c.now;
        bool fromOpener = pc.egress == ce->opened_by_local;
        if (pc.egress) ++ce->pkts_out; else ++ce->pkts_in;
        if (pc.key.proto == 6) {
            if (!fromOpener) ce->seen_reply = true;
            else if (ce->seen_reply && (pc.tcp_flags & kTcpAck)) ce->established = true;
            if (pc.tcp_flags & kTcpRst) ce->rst = true;
            if (pc.tcp_flags & kTcpFin) (pc.egress ? ce->fin_local : ce->fin_remote) = true;
        }
        ct_timer(pc.key, *ce, before);
    }
    if (c.last_sg_seen && c.auto_tracked) c.last_sg_tracked = true;
}

} // namespace vpcfw
