// The per-worker state of the compiled pipeline (dataplane/pipeline_impl.hpp): the keys and
// entries of connection tracking (per ENI, §4), NAT gateway mappings (outside view, inside
// view, by inside end, count per destination, idle TCP; §7), egress-only IGW flows, TGW
// appliance-mode AZs (§8) and first fragments (§11); their key builders; the changes a walk
// makes pending until its packet is accepted (PendingState); and StateTables, the
// fixed-capacity FlatMaps that hold them with their expiry rules (liveness checked on every
// use; connection entries also reclaimed by their timers, a little after every burst and
// exactly where a count must be a count of live entries; emergency mode at capacity);
// and the replay clock. Internal to the pipeline's translation units; the types live in
// vpcfw::pipeline_detail (the reference evaluator has its own of the same names).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/compiled_impl.hpp"
#include "dataplane/expiry_wheel.hpp"
#include "dataplane/flat_map.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/settings.hpp"

namespace vpcfw::pipeline_detail {

template <typename K>
K zeroed() {
    K k;
    std::memset(static_cast<void*>(&k), 0, sizeof(K));
    return k;
}

// ---- state keys (all zero-initialised with zeroed<>() so padding compares equal) --------

struct CtKey {
    uint32_t eni;
    uint8_t proto;
    uint8_t pad;
    uint16_t lport, rport;
    IpAddr local, remote;
};
struct CtEntry {
    double last_seen;
    uint32_t pkts_out, pkts_in;
    bool opened_by_local, seen_reply, established, fin_local, fin_remote, rst;
    uint32_t timer;   // its timer in StateTables::ct_timers (0: none yet)
    // The flow cache reaches this entry by its slot and checks this tag (flow_cache.hpp):
    // 0 until a cache entry refers to it, then unique among live entries (24 bits).
    uint32_t cache_tag;
};
struct NatKey {
    uint32_t nat;
    uint8_t proto;
    uint8_t pad;
    uint16_t nat_port, rport;
    IpAddr nat_ip, remote;
};
struct NatInside {
    IpAddr ip;
    uint16_t port;
};
struct NatEntry {
    NatInside inside;
    double last_seen;
};
struct NatInsideKey {
    uint32_t nat;
    uint8_t proto;
    uint8_t pad;
    uint16_t inside_port, rport;
    IpAddr inside_ip, remote;
};
// seen_at_instance looks a mapping up by its inside end without knowing the gateway.
struct NatSeenKey {
    uint8_t proto;
    uint8_t pad;
    uint16_t inside_port, rport;
    IpAddr inside_ip, remote;
};
struct NatDestKey {   // mappings per destination (the 55,000 limit)
    uint32_t nat;
    uint8_t proto;
    uint8_t pad;
    uint16_t rport;
    IpAddr remote;
};
struct ApplianceKey {
    uint32_t att;
    uint8_t proto;
    uint8_t pad;
    uint16_t pa, pb;
    IpAddr a, b;
};
struct FragKey {
    IpAddr src, dst;
    uint8_t proto;
    uint8_t pad[3];
    uint32_t id;
};
struct FragEntry {
    double first_seen;
    Verdict v;
};
struct EigwKey {
    uint32_t eigw;
    uint8_t proto;
    uint8_t pad;
    uint16_t iport, oport;
    IpAddr inside, outside;
};

// Oriented inside -> outside, as the reference's eigw_key: ports, or the ICMP identifier
// and the request type.
inline EigwKey eigw_key(uint32_t gw, const Packet& p, bool outbound) {
    EigwKey k = zeroed<EigwKey>();
    k.eigw = gw;
    k.proto = p.proto;
    uint16_t req = icmp_request_type(p.proto, p.icmp_type);
    if (outbound) {
        k.inside = p.src;
        k.outside = p.dst;
        k.iport = p.has_ports() ? p.sport : p.icmp_id;
        k.oport = p.has_ports() ? p.dport : req;
    } else {
        k.inside = p.dst;
        k.outside = p.src;
        k.iport = p.has_ports() ? p.dport : p.icmp_id;
        k.oport = p.has_ports() ? p.sport : req;
    }
    return k;
}

inline NatSeenKey seen_key(uint8_t proto, const IpAddr& inside, const IpAddr& remote, uint16_t iport, uint16_t rport) {
    NatSeenKey k = zeroed<NatSeenKey>();
    k.proto = proto;
    k.inside_ip = inside;
    k.remote = remote;
    k.inside_port = iport;
    k.rport = rport;
    return k;
}
inline NatDestKey dest_key(uint32_t nat, uint8_t proto, const IpAddr& remote, uint16_t rport) {
    NatDestKey k = zeroed<NatDestKey>();
    k.nat = nat;
    k.proto = proto;
    k.remote = remote;
    k.rport = rport;
    return k;
}
inline NatKey nat_key(uint32_t nat, uint8_t proto, const IpAddr& natIp, const IpAddr& remote, uint16_t port,
                      uint16_t rport) {
    NatKey k = zeroed<NatKey>();
    k.nat = nat;
    k.proto = proto;
    k.nat_ip = natIp;
    k.remote = remote;
    k.nat_port = port;
    k.rport = rport;
    return k;
}

// ---- changes pending until the packet is accepted (fixed arrays; nothing allocates) -------

constexpr unsigned kMaxPendingCt = 40;
constexpr unsigned kMaxPendingNat = 8;
constexpr unsigned kMaxPendingSmall = 8;

struct PendingCt {
    CtKey key;
    bool egress, create, tracked_by_rules;
    uint8_t tcp_flags, icmp_type;
};
struct PendingNat {
    NatKey out;
    NatInsideKey in;
    NatInside inside;
};
struct PendingState {
    PendingCt ct[kMaxPendingCt];
    unsigned nct = 0;
    PendingNat nat[kMaxPendingNat];
    unsigned nnat = 0;
    EigwKey eigw[kMaxPendingSmall];
    unsigned neigw = 0;
    ApplianceKey app_key[kMaxPendingSmall];
    uint32_t app_az[kMaxPendingSmall];
    unsigned napp = 0;
    bool auto_tracked = false;   // a hop tracks the flow whatever the rules say (NAT, TGW, ...)
};

// ---- the tables -----------------------------------------------------------------------------

struct StateTables {
    Settings cfg;
    const CompiledRuleset::Impl* t = nullptr;    // the version in use (per-ENI timeouts)

    FlatMap<CtKey, CtEntry> conntrack;
    std::vector<uint32_t> ct_count;              // entries per ENI (live after ct_reclaim_due)
    FlatMap<NatKey, NatEntry> nat_out;
    FlatMap<NatInsideKey, NatKey> nat_in;
    FlatMap<NatSeenKey, NatKey> nat_seen;
    FlatMap<NatDestKey, uint32_t> nat_dest;      // mappings per destination (incl. expired, swept on demand)
    FlatMap<NatInsideKey, uint8_t> nat_idle_tcp; // TCP mappings that timed out (for RST)
    FlatMap<FragKey, FragEntry> frags;
    FlatMap<EigwKey, double> eigw;
    FlatMap<ApplianceKey, uint32_t> appliance_az;
    double last_nat_sweep = -1e300;               // time of the latest mapping creation attempt
    // The replay clock (docs/replay.md, "Time"): the latest packet time this worker has
    // seen. Every packet is judged at it, so time never runs backwards for any state: an
    // older timestamp neither expires an entry nor moves its last-seen time back. The
    // reference evaluator keeps the same clock (ref::State::clock).
    double clock = -1e300;
    double advance_clock(double ts) {
        if (ts > clock) clock = ts;
        return clock;
    }

    // Tables start small and grow (between bursts, reserve_for_burst) up to their limits,
    // so a worker's memory follows the flows it has seen.
    static constexpr size_t kInitial = 4096;
    // `capacity`: the connection table's (0: the settings'); the other tables are sized
    // from it, never below 4096 entries.
    StateTables(const Settings& s, size_t table) : cfg(s) {
        if (table) cfg.conntrack_table_capacity = table;
        conntrack.reset(cfg.conntrack_table_capacity, kInitial);
        size_t capacity = std::max<size_t>(cfg.conntrack_table_capacity, 4096);
        nat_out.reset(capacity / 4 + 16, kInitial);
        nat_in.reset(capacity / 4 + 16, kInitial);
        nat_seen.reset(capacity / 4 + 16, kInitial);
        nat_dest.reset(capacity / 4 + 16, kInitial);
        nat_idle_tcp.reset(capacity / 4 + 16, kInitial);
        frags.reset(capacity / 16 + 16, kInitial);
        eigw.reset(capacity / 4 + 16, kInitial);
        appliance_az.reset(capacity / 16 + 16, kInitial);
        ct_timers.reserve(kInitial);
    }
    // Room for every insert a burst of n packets can make (per packet at most the pending
    // arrays' sizes), so that nothing inside the burst allocates. Tables at their limit
    // stay there: inserts then fail as the walk expects (conntrack: table_full).
    void reserve_for_burst(size_t n) {
        conntrack.reserve(n * kMaxPendingCt);
        // A timer per entry that may be created or shortened in the burst (a rebuild
        // reuses the entries' own).
        ct_timers.reserve(2 * n * kMaxPendingCt);
        nat_out.reserve(n * kMaxPendingNat);
        nat_in.reserve(n * kMaxPendingNat);
        nat_seen.reserve(n * kMaxPendingNat);
        nat_dest.reserve(n * kMaxPendingNat);
        nat_idle_tcp.reserve(n * kMaxPendingNat);
        frags.reserve(n);
        eigw.reserve(n * kMaxPendingSmall);
        appliance_az.reserve(n * kMaxPendingSmall);
    }

    // ---- §4 connection tracking: timeouts, capacity, expiry ---------------------------------
    // Emergency mode (CHOICE conntrack_emergency): entries other than established TCP
    // connections and UDP streams expire after conntrack_emergency_timeout while the table
    // is in it.
    static bool emergency_eligible(const CtKey& k, const CtEntry& ce, const Settings& cfg) {
        if (k.proto == 6) return ce.rst || (ce.fin_local && ce.fin_remote) || !ce.established;
        if (k.proto == 17) {
            uint32_t n = static_cast<uint32_t>(cfg.udp_stream_packets_each_way);
            return !(ce.pkts_out >= n && ce.pkts_in >= n);
        }
        return true;
    }
    double ct_timeout(const CtKey& k, const CtEntry& ce) const { return ct_timeout(k, ce, ct_emergency); }
    double ct_timeout(const CtKey& k, const CtEntry& ce, bool emergency) const {
        double t;
        if (k.proto == 6) {
            if (ce.rst || (ce.fin_local && ce.fin_remote) || !ce.established) t = cfg.tcp_transitory_timeout;
            else t = eni_timeouts(k.eni).tcp_established;
        } else if (k.proto == 17) {
            uint32_t n = static_cast<uint32_t>(cfg.udp_stream_packets_each_way);
            t = (ce.pkts_out >= n && ce.pkts_in >= n) ? eni_timeouts(k.eni).udp_stream : eni_timeouts(k.eni).udp;
        } else if (k.proto == 1 || k.proto == 58) {
            t = cfg.icmp_timeout;
        } else {
            t = cfg.other_timeout;
        }
        if (emergency && emergency_eligible(k, ce, cfg)) t = std::min<double>(t, cfg.conntrack_emergency_timeout);
        return t;
    }
    std::vector<ConntrackTimeouts> eni_timeouts_in_use;   // of `t`, by ENI (set_ruleset compares)
    ConntrackTimeouts eni_timeouts(uint32_t eni) const {
        return eni < t->enis.size() ? t->enis[eni].timeouts : ConntrackTimeouts{};
    }
    uint32_t& count_of(uint32_t eni) {
        if (eni >= ct_count.size()) ct_count.resize(eni + 1, 0);   // only after a new version grew the ENI list
        return ct_count[eni];
    }

    // The timers (dataplane/expiry_wheel.hpp): every entry has one, at a time no later than
    // its expiry less 1 ms (so that rounding in last_seen + timeout never makes it later
    // than the expiry test, now - last_seen > timeout, says).
    static constexpr double kBoundMargin = 1e-3;
    ExpiryWheel<CtKey> ct_timers;
    double expiry_bound(const CtKey& k, const CtEntry& e) const { return e.last_seen + ct_timeout(k, e) - kBoundMargin; }
    // After an entry was created or refreshed: a refresh moves its expiry later, and its
    // timer then fires early and is re-filed; only a timeout that got shorter (FIN, RST)
    // needs a timer of its own. `before`: the entry's timeout before the packet (0: it
    // cannot have got shorter; a new entry has no timer yet and gets one).
    void ct_timer(const CtKey& k, CtEntry& e, double before) {
        if (e.timer && (before == 0 || ct_timeout(k, e) >= before)) return;
        if (uint32_t id = ct_timers.file(k, expiry_bound(k, e), clock)) e.timer = id;
    }
    // ExpiryWheel's owner hook: the entry of a timer whose time has come.
    bool process(const CtKey& k, uint32_t id, double now, double& at) {
        CtEntry* e = conntrack.find(k);
        if (!e || e->timer != id) return false;   // gone, or a newer timer stands for it
        if (now - e->last_seen > ct_timeout(k, *e)) {
            conntrack.erase(k);
            if (count_of(k.eni) > 0) --count_of(k.eni);
            ++reclaimed;
            return false;
        }
        at = expiry_bound(k, *e);
        return true;
    }
    // Every entry expired at `now` removed: the counts are then counts of live entries.
    void ct_reclaim_due(double now) { ct_timers.due(*this, now); }
    // Bounded work after each burst: the entries that expired in the ticks before the clock.
    void ct_reclaim_some(size_t budget) { ct_timers.advance(*this, clock, budget); }
    // Every entry's timer re-filed at its expiry under the timeouts in force now.
    void ct_rebuild_timers() {
        ct_timers.begin_rebuild();
        conntrack.sweep([&](const CtKey& k, CtEntry& e) {
            ct_timers.keep_timer(e.timer, expiry_bound(k, e));
            return false;
        });
        ct_timers.end_rebuild();
    }

    // Table capacity and emergency mode (docs/run.md, "Connection tracking at capacity";
    // the reference's State::ct_admission): before an entry may be created, the live count
    // of the table decides whether the table enters emergency mode (at 7/8 of its capacity)
    // or leaves it (below 1/2). Entering re-files every timer under the shorter timeouts;
    // leaving first removes what expired under them, so no expired entry comes back.
    bool ct_emergency = false;
    uint64_t emergencies = 0;   // times the table entered emergency mode
    void ct_admission(double now) {
        size_t cap = conntrack.limit();
        size_t high = cap - cap / 8, low = cap / 2;
        if (conntrack.size() >= high || ct_emergency) ct_reclaim_due(now);
        if (!cfg.conntrack_emergency) return;
        if (!ct_emergency && conntrack.size() >= high) {
            ct_emergency = true;
            ++emergencies;
            ct_rebuild_timers();
            ct_reclaim_due(now);
        } else if (ct_emergency && conntrack.size() < low) {
            ct_emergency = false;
            ct_rebuild_timers();
        }
    }
    uint64_t reclaimed = 0;   // expired entries removed (PipelineCounters::conntrack_reclaimed)
    // The next CtEntry::cache_tag. When 24 bits run out every tag is reset to 0 and the
    // flow cache forgets every entry (tag_wrapped), so a tag never names two entries.
    static constexpr uint32_t kTagLimit = 1u << 24;
    uint32_t ct_tag_next = 1;
    bool tag_wrapped = false;
    uint32_t ct_tag(CtEntry& e) {
        if (e.cache_tag) return e.cache_tag;
        if (ct_tag_next >= kTagLimit) {
            conntrack.sweep([](const CtKey&, CtEntry& x) {
                x.cache_tag = 0;
                return false;
            });
            ct_tag_next = 1;
            tag_wrapped = true;
        }
        return e.cache_tag = ct_tag_next++;
    }
    CtEntry* ct_find(const CtKey& k, double now) { return ct_find(k, decltype(conntrack)::hash(k), now); }
    CtEntry* ct_find(const CtKey& k, uint64_t h, double now) {
        CtEntry* e = conntrack.find(k, h);
        if (!e) return nullptr;
        if (now - e->last_seen > ct_timeout(k, *e)) {
            conntrack.erase(k);
            if (count_of(k.eni) > 0) --count_of(k.eni);
            ++reclaimed;
            return nullptr;
        }
        return e;
    }

    // ---- §7 NAT gateway mappings: idle expiry -----------------------------------------------
    bool nat_live(const NatEntry& e, double now) const { return now - e.last_seen <= cfg.nat_idle_tcp; }
    // The reference removes every idle mapping whenever it creates one (nat_expire); here
    // idle mappings are removed lazily, and this sweep runs when a destination's count
    // reaches the limit, so the count of live mappings is the same.
    void nat_sweep(double now) {
        nat_out.sweep([&](const NatKey& k, const NatEntry& e) {
            if (nat_live(e, now)) return false;
            forget_mapping(k, e, true);
            return true;
        });
    }
    void forget_mapping(const NatKey& k, const NatEntry& e, bool idle) {
        NatInsideKey in = zeroed<NatInsideKey>();
        in.nat = k.nat;
        in.proto = k.proto;
        in.inside_ip = e.inside.ip;
        in.remote = k.remote;
        in.inside_port = e.inside.port;
        in.rport = k.rport;
        nat_in.erase(in);
        NatSeenKey sk = seen_key(k.proto, e.inside.ip, k.remote, e.inside.port, k.rport);
        if (const NatKey* s = nat_seen.find(sk); s && std::memcmp(s, &k, sizeof k) == 0) nat_seen.erase(sk);
        NatDestKey dk = dest_key(k.nat, k.proto, k.remote, k.rport);
        if (uint32_t* n = nat_dest.find(dk)) {
            if (*n > 1) --*n; else nat_dest.erase(dk);
        }
        if (idle && in.proto == 6) nat_idle_tcp.put(in, 1);
    }
};

} // namespace vpcfw::pipeline_detail
