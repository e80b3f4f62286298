// The flow cache of the compiled pipeline (DESIGN-pipeline.md "The flow cache"): its key
// (origin, 5-tuple, TCP opener bit, source MAC), its entry (the verdict of a walk that met
// only live state, with the state keys it rests on, stamped with the ruleset version), the
// hit that re-checks that state and applies the walk's updates, and the store after a walk.
// The key and the hit are inline so that the burst stages (pipeline.cpp) inline the whole
// established path; the store runs after a walk (flow_cache.cpp). Internal to the
// pipeline's translation units.
#pragma once

#include <cstdint>
#include <cstring>

#include "dataplane/pipeline.hpp"
#include "dataplane/state_tables.hpp"

namespace vpcfw::pipeline_detail {

// The flow cache (ARCHITECTURE.md "Where the cycles go"): a packet whose walk met only
// connection state at every security group (an established flow) and no stateful choice
// (no new NAT mapping, no capture-at-instance reading, no fragment, no ICMP error) has a
// verdict that is a pure function of (origin, 5-tuple, ruleset version) as long as the
// state it met is still live. The entry keeps that verdict and the state it touched; a
// hit re-checks the state's liveness and applies the same state updates the walk would.
struct CacheKey {
    IpAddr src, dst;
    uint8_t proto;
    uint8_t origin_kind;
    uint8_t has_mac;
    uint8_t icmp_type, icmp_code;
    uint8_t opener;            // TCP SYN without ACK: the untracked predicate asks it
    uint8_t pad[2];
    uint16_t sport, dport, icmp_id;
    uint8_t mac[6];
    uint32_t origin_index;
};
constexpr unsigned kCacheCt = 4, kCacheNat = 2, kCacheSmall = 2;

struct FlowCacheEntry {
    uint64_t version;
    uint8_t nct, nnat, neigw, napp;
    uint8_t ct_egress;                        // bit i: ct[i] was met leaving the ENI
    uint8_t ct_absent;                        // bit i: ct[i] must not exist (untracked hop)
    uint64_t ct_hash[kCacheCt];               // hashes of ct[], for prefetch and probe
    CtKey ct[kCacheCt];
    NatKey nat_out[kCacheNat];
    NatInsideKey nat_in[kCacheNat];
    NatInside nat_inside[kCacheNat];
    EigwKey eigw[kCacheSmall];
    ApplianceKey app[kCacheSmall];
    uint32_t app_az[kCacheSmall];
    Verdict v;
};
using FlowCacheMap = FlatMap<CacheKey, FlowCacheEntry>;

inline CacheKey flow_cache_key(const ParsedPacket& in) {
    CacheKey k = zeroed<CacheKey>();
    const FlowKey& f = in.key;
    k.src.family = k.dst.family = f.version == 6 ? Family::V6 : Family::V4;
    std::memcpy(k.src.bytes.data(), f.src, 16);
    std::memcpy(k.dst.bytes.data(), f.dst, 16);
    k.proto = f.proto;
    k.sport = f.sport.raw;
    k.dport = f.dport.raw;
    k.icmp_id = f.icmp_id.raw;
    k.opener = f.proto == 6 && (f.tcp_flags & kTcpSyn) && !(f.tcp_flags & kTcpAck);
    k.origin_kind = static_cast<uint8_t>(in.origin.kind);
    k.origin_index = in.origin.index;
    if (in.has_src_mac && in.origin.kind == OriginSpec::Kind::Auto) {
        k.has_mac = 1;
        std::memcpy(k.mac, in.src_mac, 6);
    }
    return k;
}
// Serves a packet from the cache when its entry is current and every piece of state it
// rests on is still live; applies the walk's state updates. False: walk the path.
inline bool flow_cache_hit(const ParsedPacket& in, FlowCacheEntry* e, Verdict& v, StateTables& s, uint64_t version) {
    if (!e || e->version != version) return false;
    double now = in.ts;
    CtEntry* ce[kCacheCt];
    for (unsigned i = 0; i < e->nct; ++i) {
        if ((e->ct_absent >> i) & 1) {
            // Untracked hop: any entry (even an expired one the walk would erase)
            // sends the packet down the walk.
            if (s.conntrack.find(e->ct[i], e->ct_hash[i])) return false;
            ce[i] = nullptr;
        } else if (!(ce[i] = s.ct_find(e->ct[i], e->ct_hash[i], now))) {
            return false;
        }
    }
    for (unsigned i = 0; i < e->nnat; ++i) {
        const NatEntry* n = s.nat_out.find(e->nat_out[i]);
        if (!n || !s.nat_live(*n, now)) return false;
    }
    uint8_t flags = in.key.proto == 6 ? in.key.tcp_flags : 0;
    for (unsigned i = 0; i < e->nct; ++i) {
        CtEntry* x = ce[i];
        if (!x) continue;   // untracked hop: the walk's commit changes nothing there
        bool egress = (e->ct_egress >> i) & 1;
        x->last_seen = now;
        bool fromOpener = egress == x->opened_by_local;
        if (egress) ++x->pkts_out; else ++x->pkts_in;
        if (e->ct[i].proto == 6) {
            if (!fromOpener) x->seen_reply = true;
            else if (x->seen_reply && (flags & kTcpAck)) x->established = true;
            if (flags & kTcpRst) x->rst = true;
            if (flags & kTcpFin) (egress ? x->fin_local : x->fin_remote) = true;
        }
    }
    for (unsigned i = 0; i < e->nnat; ++i) {
        NatEntry* n = s.nat_out.find(e->nat_out[i]);
        n->inside = e->nat_inside[i];
        n->last_seen = now;
        s.nat_in.put(e->nat_in[i], e->nat_out[i]);
    }
    for (unsigned i = 0; i < e->neigw; ++i) s.eigw.put(e->eigw[i], now);
    for (unsigned i = 0; i < e->napp; ++i) s.appliance_az.put(e->app[i], e->app_az[i]);
    v = e->v;
    return true;
}

// After a walk whose verdict may be served from the cache (accepted, cacheable, no
// overflow): keeps it with the state it touched. Does nothing when the walk touched more
// state than an entry holds, or created connection state (the next packet meets it).
void flow_cache_store(FlowCacheMap& cache, const CacheKey& key, const PendingState& c, const Verdict& v,
                      uint64_t version);

} // namespace vpcfw::pipeline_detail
