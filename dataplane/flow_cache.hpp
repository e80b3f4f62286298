// The flow cache of the compiled pipeline (DESIGN-pipeline.md "The flow cache"): one
// 64-byte entry per flow (the key, the ruleset epoch, a handle into this worker's table of
// verdicts, and the connection entries it rests on reached by slot and tag), the hit that
// re-checks that state and applies the walk's updates, and the store after a walk. Entries
// that rest on more state (NAT mappings, egress-only or appliance keys, connection keys that
// must stay absent, more than two connection entries) keep it in a side record and are
// re-checked by keyed probes, as before. The find and the hit are inline so that the burst
// stages (pipeline.cpp) inline the whole established path; the store runs after a walk
// (flow_cache.cpp). One owner thread; internal to the pipeline's translation units.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "dataplane/pipeline.hpp"
#include "dataplane/state_tables.hpp"

namespace vpcfw::pipeline_detail {

// A packet whose walk met only connection state at every security group (an established
// flow), or rules that leave the flow untracked, and no stateful choice (no new NAT
// mapping, no capture-at-instance reading, no fragment, no ICMP error) has a verdict that is
// a pure function of (origin, 5-tuple, TCP opener bit, ruleset version) as long as the state
// it met is still live and no state appeared where it met none. So has a packet dropped
// after such a walk for a reason that reads no state (walk.cpp; a negative entry, always a side record: the
// keys it met must stay live, the keys it judged by rules must stay absent, and a hit
// changes no state) — as long as no hop before the drop would have created tracked state,
// since creating needs room that the table may lack next time.
struct alignas(64) FlowEntry {
    // ---- the key: the first kFlowKeyBytes bytes ------------------------------------------
    uint8_t src[16], dst[16];      // FlowKey's addresses (IPv4 in the first word)
    uint16_t sport, dport, icmp_id; // FlowKey's, network order (ICMP: type, code, id)
    uint8_t proto;
    uint8_t kind;                  // kFlowUsed | kFlowV6 | kFlowOpener | kFlowMac | origin kind << 4
    uint8_t who[6];                // the source MAC (origin auto, frame with one) or the origin index
    // ---- the rest ------------------------------------------------------------------------
    uint8_t epoch;                 // FlowCache::epoch() when stored
    uint8_t meta;                  // bits 0-1: connection refs; bit 2+i: ref i met leaving the ENI; kFlowRare
    uint32_t verdict;              // handle: FlowCache::verdict()
    uint8_t refs[12];              // 2 x (conntrack slot, CtEntry::cache_tag), 24 bits each; rare: record index
};
static_assert(sizeof(FlowEntry) == 64 && alignof(FlowEntry) == 64);
static_assert(offsetof(FlowEntry, epoch) == 46 && offsetof(FlowEntry, verdict) == 48 && offsetof(FlowEntry, refs) == 52);
inline constexpr size_t kFlowKeyBytes = 46;
inline constexpr uint8_t kFlowUsed = 1, kFlowV6 = 2, kFlowOpener = 4, kFlowMac = 8;
inline constexpr uint8_t kFlowRare = 0x10;
inline constexpr unsigned kFlowRefs = 2;
inline constexpr uint32_t kRef24 = 1u << 24;

// The key of a packet (the rest of the entry is left as it is).
inline void flow_entry_key(const ParsedPacket& in, FlowEntry& k) {
    const FlowKey& f = in.key;
    std::memcpy(k.src, f.src, 16);
    std::memcpy(k.dst, f.dst, 16);
    k.sport = f.sport.raw;
    k.dport = f.dport.raw;
    k.icmp_id = f.icmp_id.raw;
    k.proto = f.proto;
    uint8_t kind = kFlowUsed | static_cast<uint8_t>(static_cast<uint8_t>(in.origin.kind) << 4);
    if (f.version == 6) kind |= kFlowV6;
    if (f.proto == 6 && (f.tcp_flags & kTcpSyn) && !(f.tcp_flags & kTcpAck)) kind |= kFlowOpener;
    if (in.has_src_mac && in.origin.kind == OriginSpec::Kind::Auto) {
        kind |= kFlowMac;
        std::memcpy(k.who, in.src_mac, 6);
    } else {
        // Origin auto without a MAC: the walk reads neither the MAC nor the index.
        uint32_t idx = in.origin.kind == OriginSpec::Kind::Auto ? 0 : in.origin.index;
        std::memcpy(k.who, &idx, 4);
        k.who[4] = k.who[5] = 0;
    }
    k.kind = kind;
}
inline uint64_t flow_entry_hash(const FlowEntry& k) { return hash_bytes(&k, kFlowKeyBytes); }
inline bool flow_key_equal(const FlowEntry& a, const FlowEntry& b) {
    uint64_t x = 0;
    for (size_t i = 0; i < 40; i += 8) {
        uint64_t p, q;
        std::memcpy(&p, reinterpret_cast<const uint8_t*>(&a) + i, 8);
        std::memcpy(&q, reinterpret_cast<const uint8_t*>(&b) + i, 8);
        x |= p ^ q;
    }
    uint32_t p4, q4;
    uint16_t p2, q2;
    std::memcpy(&p4, a.who, 4);
    std::memcpy(&q4, b.who, 4);
    std::memcpy(&p2, a.who + 4, 2);
    std::memcpy(&q2, b.who + 4, 2);
    return (x | (p4 ^ q4) | static_cast<uint32_t>(p2 ^ q2)) == 0;
}

inline void put24(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v >> 16);
}
inline uint32_t get24(const uint8_t* p) { return p[0] | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16); }

// What an entry rests on beyond two plain connection entries (the keyed re-check).
constexpr unsigned kCacheCt = 4, kCacheNat = 2, kCacheSmall = 2;
struct RareState {
    uint8_t nct, nnat, neigw, napp;
    uint8_t ct_egress;                        // bit i: ct[i] was met leaving the ENI
    uint8_t ct_absent;                        // bit i: ct[i] must not exist (untracked hop, or judged by rules before a drop)
    uint8_t drop;                             // a negative entry: check only, touch nothing
    uint64_t ct_hash[kCacheCt];
    CtKey ct[kCacheCt];
    NatKey nat_out[kCacheNat];
    NatInsideKey nat_in[kCacheNat];
    NatInside nat_inside[kCacheNat];
    EigwKey eigw[kCacheSmall];
    ApplianceKey app[kCacheSmall];
    uint32_t app_az[kCacheSmall];
};

// Anonymous zero pages (mmap, no reserve), huge pages advised when big; used in order, so
// memory follows use. Allocates; cold.
struct PageArray {
    void* p = nullptr;
    size_t bytes = 0;
    void allocate(size_t n);
    PageArray() = default;
    PageArray(const PageArray&) = delete;
    PageArray& operator=(const PageArray&) = delete;
    ~PageArray();
};

class FlowCache {
public:
    // Up to `limit` entries; the table starts small and grows between bursts.
    void reset(size_t limit);
    // Room for `entries` entries now (cold; allocates).
    void reserve(size_t entries);
    // Before a burst of `n` packets, with the ruleset version in use: a new version makes
    // every entry stale (epoch); a table or verdict pool that could fill inside the burst
    // grows or is emptied. Verdict handles of the previous burst become invalid.
    void begin_burst(size_t n, uint64_t version);

    void prefetch(uint64_t h) const { __builtin_prefetch(&slots_[h & mask_]); }
    FlowEntry* find(const FlowEntry& k, uint64_t h) {
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            FlowEntry& s = slots_[i];
            if (!(s.kind & kFlowUsed)) return nullptr;
            if (flow_key_equal(s, k)) return &s;
        }
    }
    const Verdict* verdict(uint32_t h) const { return &verdicts_[h]; }
    uint8_t epoch() const { return epoch_; }
    size_t bytes() const;

    // Serves a packet from its entry when the entry is current and every piece of state
    // it rests on is still live; applies the walk's state updates. nullptr: walk the path.
    const Verdict* hit(const FlowEntry* e, const ParsedPacket& in, StateTables& s) {
        if (!e || e->epoch != epoch_) return nullptr;
        if (e->meta & kFlowRare) {
            uint32_t r;
            std::memcpy(&r, e->refs, 4);
            if (!rare_hit(rares_[r], in, s)) return nullptr;
            return &verdicts_[e->verdict];
        }
        double now = s.clock;   // the replay clock, advanced to in.ts by the caller
        unsigned n = e->meta & 3;
        CtEntry* ce[kFlowRefs];
        size_t slot[kFlowRefs];
        for (unsigned i = 0; i < n; ++i) {
            slot[i] = get24(e->refs + 6 * i);
            if (!s.conntrack.used_at(slot[i])) return nullptr;
            CtEntry& x = s.conntrack.value_at(slot[i]);
            // Another entry there (this one moved or went): the walk finds it by key.
            // Expired: the walk removes it, as its own probe would.
            if (x.cache_tag != get24(e->refs + 6 * i + 3)) return nullptr;
            if (s.clock - x.last_seen > s.ct_timeout(s.conntrack.key_at(slot[i]), x)) return nullptr;
            ce[i] = &x;
        }
        uint8_t flags = in.key.proto == 6 ? in.key.tcp_flags : 0;
        for (unsigned i = 0; i < n; ++i)
            touch(s, s.conntrack.key_at(slot[i]), *ce[i], (e->meta >> (2 + i)) & 1, flags, now);
        return &verdicts_[e->verdict];
    }

    // After a walk whose verdict may be served from the cache (accepted, or dropped for a
    // reason that reads no state; cacheable, no overflow): keeps it with the state it touched.
    // Does nothing when the walk touched more state than an entry holds, or created (or,
    // for a drop, would have created) tracked connection state, or a drop rests on NAT,
    // egress-only or appliance state, or the table or a pool is full until the next burst.
    void store(const ParsedPacket& in, StateTables& s, const PendingState& c, const Verdict& v);

    // The commit of one connection entry a hit applies (the walk's commit_ct).
    static void touch(StateTables& s, const CtKey& k, CtEntry& x, bool egress, uint8_t flags, double now) {
        // Only RST or a second FIN can shorten the timeout (a new timer); read it only then.
        double before = (k.proto == 6 && (flags & (kTcpRst | kTcpFin))) ? s.ct_timeout(k, x) : 0;
        x.last_seen = now;
        bool fromOpener = egress == x.opened_by_local;
        if (egress) ++x.pkts_out; else ++x.pkts_in;
        if (k.proto == 6) {
            if (!fromOpener) x.seen_reply = true;
            else if (x.seen_reply && (flags & kTcpAck)) x.established = true;
            if (flags & kTcpRst) x.rst = true;
            if (flags & kTcpFin) (egress ? x.fin_local : x.fin_remote) = true;
        }
        s.ct_timer(k, x, before);
    }

private:
    static bool rare_hit(const RareState& e, const ParsedPacket& in, StateTables& s);
    void allocate(size_t slots);
    void invalidate();   // a new epoch: every entry stale, pools empty

    PageArray slot_pages_;
    FlowEntry* slots_ = nullptr;
    size_t cap_ = 0, mask_ = 0, used_ = 0, limit_ = 0;   // used_: slots ever filled since the last clear
    PageArray verdict_pages_, rare_pages_;
    Verdict* verdicts_ = nullptr;
    RareState* rares_ = nullptr;
    size_t verdict_cap_ = 0, verdict_used_ = 0, rare_cap_ = 0, rare_used_ = 0;
    uint64_t version_ = 0;
    bool have_version_ = false;
    bool invalidate_next_ = false;
    uint8_t epoch_ = 1;
};

} // namespace vpcfw::pipeline_detail
