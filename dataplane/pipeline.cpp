// The compiled pipeline (dataplane/pipeline.hpp): the burst stages and the public API.
// A burst goes through (1) flow-cache keys and hashes, slots prefetched; (2) entries found,
// the connection state they rest on prefetched; (3) in input order, a flow-cache hit
// (flow_cache.hpp, inlined here: the established path stays in this translation unit) or
// the walk over the compiled tables (walk.cpp and walk_*.cpp, which follow docs/semantics.md in
// the same order as the reference evaluator, so a difference found by the differential
// tests points at one function of each). Pipeline::Impl and the per-packet context:
// pipeline_impl.hpp; the per-worker state: state_tables.hpp. Nothing here allocates after
// construction (a new ruleset version may grow the per-ENI counters once, between bursts).
#include "dataplane/pipeline.hpp"

#include <algorithm>
#include <cstring>

#include "dataplane/pipeline_impl.hpp"

namespace vpcfw {

ParsedPacket parsed_from_packet(const Packet& p, OriginSpec origin, double ts) {
    ParsedPacket out;
    FlowKey& k = out.key;
    k.proto = p.proto;
    k.version = p.src.is_v4() ? 4 : 6;
    unsigned n = p.src.is_v4() ? 4 : 16;
    std::memcpy(k.src, p.src.bytes.data(), n);
    std::memcpy(k.dst, p.dst.bytes.data(), n);
    switch (p.frag) {
    case Frag::None: k.frag = FragState::None; break;
    case Frag::First: k.frag = FragState::First; break;
    case Frag::More: k.frag = FragState::MoreLater; break;
    case Frag::Last: k.frag = FragState::LastLater; break;
    }
    k.frag_id = Be32::from_host(p.frag == Frag::None ? 0 : p.frag_id);
    k.ttl = p.ttl;
    if (p.has_l4()) {
        if (p.is_tcp()) k.tcp_flags = p.tcp_flags;
        bool icmp = (p.proto == 1 && p.src.is_v4()) || (p.proto == 58 && !p.src.is_v4());
        if (p.is_tcp() || p.is_udp()) {
            k.sport = Be16::from_host(p.sport);
            k.dport = Be16::from_host(p.dport);
        } else if (icmp) {
            k.sport = Be16::from_host(p.icmp_type);
            k.dport = Be16::from_host(p.icmp_code);
            k.icmp_id = Be16::from_host(p.icmp_id);
            if (is_icmp_error(p.proto, p.icmp_type)) k.flags |= kKeyIcmpError;
        }
    }
    k.l3_len = Be32::from_host(p.ip_bytes());
    out.reason = ParseReason::Ok;
    out.has_src_mac = p.has_src_mac;
    std::memcpy(out.src_mac, p.src_mac.data(), 6);
    out.origin = origin;
    out.ts = ts;
    return out;
}

void Pipeline::Impl::set_ruleset(const CompiledRuleset* r) {
    // Per-ENI timeouts (ConnectionTrackingConfiguration) that got longer: what expired
    // under the old ones is gone first, so that none comes back (the reference's apply
    // does the same). Shorter: every timer re-filed at its entry's new expiry. Unchanged
    // (the usual rule change): nothing to do, whatever the table's size.
    bool longer = false, shorter = false;
    if (r) {
        const auto& enis = r->impl().enis;
        // Another ENI list: an index may name another ENI now; both, to be safe.
        if (enis.size() != eni_timeouts_in_use.size()) longer = shorter = true;
        for (size_t i = 0; i < enis.size() && i < eni_timeouts_in_use.size(); ++i) {
            const ConntrackTimeouts &a = eni_timeouts_in_use[i], &b = enis[i].timeouts;
            longer |= b.tcp_established > a.tcp_established || b.udp_stream > a.udp_stream || b.udp > a.udp;
            shorter |= b.tcp_established < a.tcp_established || b.udp_stream < a.udp_stream || b.udp < a.udp;
        }
    }
    if (longer && t && conntrack.size()) ct_reclaim_due(clock);
    rs = r;
    t = r ? &r->impl() : nullptr;
    counters.ruleset_version = r ? r->version() : 0;
    if (!r) return;
    if (ct_count.size() < t->enis.size()) ct_count.resize(t->enis.size(), 0);
    eni_timeouts_in_use.resize(t->enis.size());
    for (size_t i = 0; i < t->enis.size(); ++i) eni_timeouts_in_use[i] = t->enis[i].timeouts;
    if (shorter && conntrack.size()) ct_rebuild_timers();
}

// ---------------------------------------------------------------------------------------

Pipeline::Pipeline(const Settings& settings, size_t capacity) : impl_(std::make_unique<Impl>(settings, capacity)) {}
Pipeline::~Pipeline() = default;

void Pipeline::set_ruleset(const CompiledRuleset* rs) { impl_->set_ruleset(rs); }
const CompiledRuleset* Pipeline::ruleset() const { return impl_->rs; }

void Pipeline::Impl::run_burst(const ParsedPacket* burst, size_t n, const Verdict** out) {
    reserve_for_burst(n);
    // Stage 1: flow-cache keys and hashes for the burst, slots prefetched.
    FlowEntry keys[kMaxBurst];
    uint64_t hashes[kMaxBurst];
    bool lookup[kMaxBurst];
    for (size_t i = 0; i < n; ++i) {
        const ParsedPacket& pp = burst[i];
        lookup[i] = rs && pp.reason == ParseReason::Ok && pp.key.frag == FragState::None &&
                    !(pp.key.flags & kKeyIcmpError);
        if (!lookup[i]) continue;
        flow_entry_key(pp, keys[i]);
        hashes[i] = flow_entry_hash(keys[i]);
        cache.prefetch(hashes[i]);
    }
    // Stage 2: find the entries (their lines are arriving) and prefetch the connection
    // entries they rest on, by slot.
    FlowEntry* entries[kMaxBurst];
    for (size_t i = 0; i < n; ++i) {
        FlowEntry* e = entries[i] = lookup[i] ? cache.find(keys[i], hashes[i]) : nullptr;
        if (e && !(e->meta & kFlowRare))
            for (unsigned j = 0; j < (e->meta & 3u); ++j) conntrack.prefetch_slot(get24(e->refs + 6 * j));
    }
    // Stage 2b: the SG/NACL questions of every packet that missed, one classify per side.
    if (rs) {
        bool miss[kMaxBurst];
        for (size_t i = 0; i < n; ++i) miss[i] = lookup[i] && !entries[i];
        pre.classify(*rs, burst, miss, n);
    }
    // Stage 3: in input order (state flows from one packet to the next): a cache hit, or
    // the walk over the compiled tables. An entry found in stage 2 may have been replaced
    // by an earlier packet's walk in this burst: look it up again after a miss.
    PipelineCounters& k = counters;
    bool lookup_fresh = true;
    for (size_t i = 0; i < n; ++i) {
        if (i > 0 && lookup[i] && !lookup_fresh) entries[i] = cache.find(keys[i], hashes[i]);
        advance_clock(burst[i].ts);
        const Verdict* v = lookup[i] ? cache.hit(entries[i], burst[i], *this) : nullptr;
        if (v) {
            ++k.flow_cache_hits;
        } else {
            pre.use(i);
            evaluate(burst[i], walked[i], ctx);
            pre.use_none();
            v = &walked[i];
            ++k.flow_cache_misses;
            lookup_fresh = false;   // the walk may have inserted or moved cache entries
        }
        out[i] = v;
        ++k.packets;
        k.bytes += burst[i].key.l3_len.host();
        if (v->action == Action::Accept) ++k.accepted;
        else ++k.dropped[static_cast<unsigned>(v->layer)];
        if (burst[i].reason != ParseReason::Ok) ++k.parse_errors[static_cast<unsigned>(burst[i].reason)];
    }
    // Expired connection entries go a little after every burst, whatever the table's fill
    // (at most a few timers per packet; ct_reclaim_due catches up where a count matters).
    if (rs) ct_reclaim_some(4 * n + 16);
    counters.conntrack_entries = conntrack.size();
    counters.conntrack_reclaimed = reclaimed;
    counters.conntrack_emergencies = emergencies;
    counters.conntrack_emergency = ct_emergency;
    counters.nat_mappings = nat_out.size();
}

void Pipeline::process_parsed_refs(std::span<const ParsedPacket> burst, std::span<const Verdict*> out) {
    size_t n = std::min({burst.size(), out.size(), static_cast<size_t>(kMaxBurst)});
    impl_->run_burst(burst.data(), n, out.data());
}

void Pipeline::process_parsed(std::span<const ParsedPacket> burst, std::span<Verdict> out) {
    size_t n = std::min({burst.size(), out.size(), static_cast<size_t>(kMaxBurst)});
    const Verdict* refs[kMaxBurst];
    impl_->run_burst(burst.data(), n, refs);
    for (size_t i = 0; i < n; ++i) out[i] = *refs[i];
}

// The parse stage into the pipeline's own scratch (no per-burst construction).
static size_t parse_burst(std::span<const Frame> burst, ParsedPacket* pp, std::span<ParseResult> parsed) {
    size_t n = std::min<size_t>(burst.size(), kMaxBurst);
    for (size_t i = 0; i < n; ++i) {
        const Frame& f = burst[i];
        ParseResult r = parse_frame(f.data, f.caplen, f.wirelen, f.link);
        pp[i].key = r.key;
        pp[i].reason = r.reason;
        pp[i].has_src_mac = r.has_src_mac;
        std::memcpy(pp[i].src_mac, r.src_mac, 6);
        pp[i].origin = f.origin;
        pp[i].ts = f.ts;
        if (i < parsed.size()) parsed[i] = r;
    }
    return n;
}

void Pipeline::process_refs(std::span<const Frame> burst, std::span<const Verdict*> out, std::span<ParseResult> parsed) {
    size_t n = parse_burst(burst.first(std::min(burst.size(), out.size())), impl_->parsed, parsed);
    impl_->run_burst(impl_->parsed, n, out.data());
}

void Pipeline::process(std::span<const Frame> burst, std::span<Verdict> out, std::span<ParseResult> parsed) {
    size_t n = parse_burst(burst.first(std::min(burst.size(), out.size())), impl_->parsed, parsed);
    const Verdict* refs[kMaxBurst];
    impl_->run_burst(impl_->parsed, n, refs);
    for (size_t i = 0; i < n; ++i) out[i] = *refs[i];
}

void Pipeline::reserve(size_t flows) {
    Impl& m = *impl_;
    m.cache.reserve(flows);
    m.conntrack.reserve(2 * flows);
}

const PipelineCounters& Pipeline::counters() const { return impl_->counters; }

void Pipeline::connections(std::vector<ConnectionInfo>& out, size_t max, double now) const {
    const Impl& m = *impl_;
    out.clear();
    if (!m.rs) return;
    m.conntrack.for_each([&](const CtKey& k, const CtEntry& e) {
        double timeout = m.ct_timeout(k, e);
        if (out.size() >= max || now - e.last_seen > timeout) return;
        ConnectionInfo c;
        c.eni = k.eni;
        c.proto = k.proto;
        c.local = k.local;
        c.remote = k.remote;
        c.lport = k.lport;
        c.rport = k.rport;
        c.opened_by_local = e.opened_by_local;
        c.established = e.established;
        c.pkts_out = e.pkts_out;
        c.pkts_in = e.pkts_in;
        c.last_seen = e.last_seen;
        c.expires = e.last_seen + timeout;
        out.push_back(c);
    });
}

void Pipeline::nat_mappings(std::vector<NatMappingInfo>& out, size_t max, double now) const {
    const Impl& m = *impl_;
    out.clear();
    m.nat_out.for_each([&](const NatKey& k, const NatEntry& e) {
        if (out.size() >= max || !m.nat_live(e, now)) return;
        NatMappingInfo n;
        n.nat = k.nat;
        n.proto = k.proto;
        n.inside = e.inside.ip;
        n.inside_port = e.inside.port;
        n.nat_ip = k.nat_ip;
        n.nat_port = k.nat_port;
        n.remote = k.remote;
        n.rport = k.rport;
        n.last_seen = e.last_seen;
        out.push_back(n);
    });
}
size_t Pipeline::tracked_entries() const { return impl_->conntrack.size(); }

} // namespace vpcfw
