// The compiled pipeline (dataplane/pipeline.hpp). The path walk follows SEMANTICS.md in
// the same order as ruleset/reference.cpp (so a difference found by the differential
// tests points at one function of each), but every scan is a lookup in the
// CompiledRuleset (rte_acl for SG and NACL rules, rte_fib for routes, flat maps for
// addresses), every name is a pre-interned symbol, and the state lives in this worker's
// fixed-capacity flat tables. Nothing here allocates after construction (a new ruleset
// version may grow the per-ENI counters once, between bursts).
#include "dataplane/pipeline.hpp"

#include <algorithm>
#include <cstring>

#include <rte_fib.h>
#include <rte_fib6.h>

#include "dataplane/compiled_impl.hpp"

namespace vpcfw {

namespace {

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

// Oriented inside -> outside, as the reference's eigw_key: ports, or the ICMP identifier
// and the request type.
EigwKey eigw_key(uint32_t gw, const Packet& p, bool outbound) {
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

constexpr unsigned kMaxPendingCt = 40;
constexpr unsigned kMaxPendingNat = 8;
constexpr unsigned kMaxPendingSmall = 8;

} // namespace

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

// ---------------------------------------------------------------------------------------

struct Pipeline::Impl {
    Settings cfg;
    const CompiledRuleset* rs = nullptr;
    const CompiledRuleset::Impl* t = nullptr;
    PipelineCounters counters;

    FlatMap<CtKey, CtEntry> conntrack;
    std::vector<uint32_t> ct_count;              // live entries per ENI
    FlatMap<NatKey, NatEntry> nat_out;
    FlatMap<NatInsideKey, NatKey> nat_in;
    FlatMap<NatSeenKey, NatKey> nat_seen;
    FlatMap<NatDestKey, uint32_t> nat_dest;      // mappings per destination (incl. expired, swept on demand)
    FlatMap<NatInsideKey, uint8_t> nat_idle_tcp; // TCP mappings that timed out (for RST)
    FlatMap<FragKey, FragEntry> frags;
    FlatMap<EigwKey, double> eigw;
    FlatMap<ApplianceKey, uint32_t> appliance_az;
    double last_nat_sweep = -1e300;               // time of the latest mapping creation attempt

    struct CacheEntry {
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
    using CacheMap = FlatMap<CacheKey, CacheEntry>;
    CacheMap cache;

    // Tables start small and grow (between bursts, reserve_for_burst) up to their limits,
    // so a worker's memory follows the flows it has seen.
    static constexpr size_t kInitial = 4096;
    Impl(const Settings& s, size_t capacity) : cfg(s) {
        cache.reset(capacity / 2 + 16, kInitial);
        conntrack.reset(capacity, kInitial);
        nat_out.reset(capacity / 4 + 16, kInitial);
        nat_in.reset(capacity / 4 + 16, kInitial);
        nat_seen.reset(capacity / 4 + 16, kInitial);
        nat_dest.reset(capacity / 4 + 16, kInitial);
        nat_idle_tcp.reset(capacity / 4 + 16, kInitial);
        frags.reset(capacity / 16 + 16, kInitial);
        eigw.reset(capacity / 4 + 16, kInitial);
        appliance_az.reset(capacity / 16 + 16, kInitial);
    }
    // Room for every insert a burst of n packets can make (per packet at most the pending
    // arrays' sizes), so that nothing inside the burst allocates. Tables at their limit
    // stay there: inserts then fail as the walk expects (conntrack: table_full).
    void reserve_for_burst(size_t n) {
        cache.reserve(n);
        conntrack.reserve(n * kMaxPendingCt);
        nat_out.reserve(n * kMaxPendingNat);
        nat_in.reserve(n * kMaxPendingNat);
        nat_seen.reserve(n * kMaxPendingNat);
        nat_dest.reserve(n * kMaxPendingNat);
        nat_idle_tcp.reserve(n * kMaxPendingNat);
        frags.reserve(n);
        eigw.reserve(n * kMaxPendingSmall);
        appliance_az.reserve(n * kMaxPendingSmall);
    }

    // ---- per-packet context (fixed arrays; nothing allocates) ----------------------------
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
    struct Ctx {
        Verdict* v = nullptr;
        double now = 0;
        int depth = 0;
        bool arrived_via_peering = false, arrived_from_edge = false, arrived_from_tgw = false, auto_tracked = false;
        uint32_t arrival_az = 0;
        PendingCt ct[kMaxPendingCt];
        unsigned nct = 0;
        PendingNat nat[kMaxPendingNat];
        unsigned nnat = 0;
        EigwKey eigw[kMaxPendingSmall];
        unsigned neigw = 0;
        ApplianceKey app_key[kMaxPendingSmall];
        uint32_t app_az[kMaxPendingSmall];
        unsigned napp = 0;
        bool last_sg_tracked = false, last_sg_seen = false;
        bool overflow = false;
        bool cacheable = true;   // the verdict may be served from the flow cache (see CacheKey)
        void reset() {
            depth = 0;
            arrived_via_peering = arrived_from_edge = arrived_from_tgw = auto_tracked = false;
            arrival_az = 0;
            nct = nnat = neigw = napp = 0;
            last_sg_tracked = last_sg_seen = overflow = false;
            cacheable = true;
        }
    };

    uint32_t R(Reason r) const { return t->sym_reason[static_cast<int>(r)]; }
    void path(Ctx& c, uint32_t sym) {
        if (c.v->path_len < kVerdictMaxPath) c.v->path[c.v->path_len++] = sym;
    }
    void note(Ctx& c, uint32_t sym) {
        if (c.v->note_count < kVerdictMaxNotes) c.v->notes[c.v->note_count++] = sym;
    }
    static void choice(Ctx& c, uint16_t bit) { c.v->choices |= bit; }
    bool drop(Ctx& c, Layer layer, uint32_t reason, uint32_t rule = 0) {
        c.v->action = Action::Drop;
        c.v->layer = layer;
        c.v->reason = reason;
        c.v->rule = rule;
        c.v->to = 0;
        return false;
    }
    bool drop_step(Ctx& c, Layer l, Reason reason, uint32_t rule) {
        return drop(c, l, R(reason), l == Layer::Route || l == Layer::Tgw ? rule : 0);
    }
    bool accept(Ctx& c, uint32_t to, const Packet& p, uint32_t toEni = Verdict::kNoEni) {
        Verdict& v = *c.v;
        v.action = Action::Accept;
        v.layer = Layer::None;
        v.to = to;
        v.to_eni = toEni;
        v.out_family = p.src.is_v4() ? 4 : 6;
        std::memcpy(v.out_src, p.src.bytes.data(), 16);
        std::memcpy(v.out_dst, p.dst.bytes.data(), 16);
        v.out_sport = Be16::from_host(p.sport);
        v.out_dport = Be16::from_host(p.dport);
        v.out_icmp_id = Be16::from_host(p.icmp_id);
        return true;
    }
    void set_nat(Ctx& c, const IpAddr& a, bool ports, uint16_t port) {
        c.v->nat_family = a.is_v4() ? 4 : 6;
        std::memcpy(c.v->nat_addr, a.bytes.data(), 16);
        c.v->nat_has_port = ports;
        c.v->nat_port = Be16::from_host(ports ? port : 0);
    }

    // ---- address lookups (the reference's scans, as maps) --------------------------------
    uint32_t prefix_owner(uint32_t vpc, const IpAddr& a) const {
        for (const auto& p : t->prefixes)
            if ((vpc == kNone || t->enis[p.eni].vpc == vpc) && p.cidr.contains(a)) return p.eni;
        return kNone;
    }
    uint32_t eni_by_private(uint32_t vpc, const IpAddr& a) const {
        const uint32_t* e = t->private_in_vpc.find(ScopedAddr::make(vpc, a));
        uint32_t best = e ? *e : kNone;
        if (!t->prefixes.empty()) best = std::min(best, prefix_owner(vpc, a));
        return best;
    }
    uint32_t eni_by_any_private(const IpAddr& a) const {
        const uint32_t* e = t->private_any.find(ScopedAddr::make(kNone, a));
        uint32_t best = e ? *e : kNone;
        if (!t->prefixes.empty()) best = std::min(best, prefix_owner(kNone, a));
        return best;
    }
    bool eni_has_address(uint32_t eni, const IpAddr& a) const {
        if (t->eni_address.find(ScopedAddr::make(eni, a))) return true;
        if (!t->enis[eni].has_prefixes) return false;
        for (const auto& p : t->prefixes)
            if (p.eni == eni && p.cidr.contains(a)) return true;
        return false;
    }
    PublicOwner eni_by_public(const IpAddr& a) const {
        const PublicOwner* o = t->public_owner.find(ScopedAddr::make(kNone, a));
        return o ? *o : PublicOwner{};
    }
    const CompiledPrivateIp& private_ip(uint32_t eni, uint32_t pip) const {
        return t->private_ips[t->enis[eni].pip_begin + pip];
    }
    const CompiledPrivateIp* private_ip_record(uint32_t vpc, const IpAddr& a) const {
        const PublicOwner* o = t->private_record.find(ScopedAddr::make(vpc, a));
        return o ? &private_ip(o->eni, o->pip) : nullptr;
    }
    bool in_vpc(uint32_t vpc, const IpAddr& a) const {
        const CompiledVpc& v = t->vpcs[vpc];
        for (uint32_t i = v.cidr_begin; i < v.cidr_end; ++i)
            if (t->vpc_cidrs[i].contains(a)) return true;
        return false;
    }
    uint32_t vpc_containing(const IpAddr& a) const {
        for (uint32_t i = 0; i < t->vpcs.size(); ++i)
            if (in_vpc(i, a)) return i;
        return kNone;
    }
    bool owns_public(const IpAddr& a) const {
        if (a.is_v4()) return eni_by_public(a).eni != kNone;
        return vpc_containing(a) != kNone;
    }

    // §9 (reference: aws_service).
    Service aws_service(uint32_t vpc, uint32_t subnet, const Packet& p, const IpAddr& a) const {
        if (a.is_v4()) {
            uint32_t h = a.v4_host();
            if (h == 0xA9FEA9FD) return Service::AmazonDns;
            if (h == 0xA9FEA9FE) return Service::Metadata;
            if (h == 0xA9FEA97B) return Service::TimeSync;
            if (vpc != kNone && t->vpcs[vpc].has_dns4 && a == t->vpcs[vpc].dns4) return Service::AmazonDns;
            if (subnet != kNone && t->subnets[subnet].has_router4 && a == t->subnets[subnet].router4)
                return p.is_udp() && (p.dport == 67 || p.sport == 67) ? Service::Dhcp : Service::VpcRouter;
            if (h == 0xFFFFFFFF && p.is_udp() && (p.dport == 67 || p.dport == 68)) return Service::Dhcp;
        } else {
            static const IpAddr dns6 = *IpAddr::parse("fd00:ec2::253");
            static const IpAddr imds6 = *IpAddr::parse("fd00:ec2::254");
            static const IpAddr ntp6 = *IpAddr::parse("fd00:ec2::123");
            static const IpAddr dhcp6 = *IpAddr::parse("ff02::1:2");
            if (a == dns6) return Service::AmazonDns;
            if (a == imds6) return Service::Metadata;
            if (a == ntp6) return Service::TimeSync;
            if (a == dhcp6 && p.is_udp()) return Service::Dhcp;
            if (subnet != kNone)
                for (uint32_t i = t->subnets[subnet].router6_begin; i < t->subnets[subnet].router6_end; ++i)
                    if (a == t->subnet_routers6[i]) return Service::VpcRouter;
        }
        return Service::None;
    }
    uint32_t svc_sym(Service s) const { return t->sym_service[static_cast<int>(s)]; }

    // ---- §4 security groups ------------------------------------------------------------
    bool any_rule_admits(const CompiledEni& e, int dir, const Packet& p) const {
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
    bool all_ports_to_any(const CompiledEni& e, int dir, const Packet& p) const {
        return t->any_sets[e.any_set].all_ports_any[dir][p.src.is_v4() ? 0 : 1][p.is_tcp() ? 0 : 1];
    }
    bool untracked_by_rules(const CompiledEni& e, bool egress, const Packet& p) const {
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

    CtKey ct_key(uint32_t eni, bool egress, const Packet& p) const {
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
    double ct_timeout(const CtKey& k, const CtEntry& ce) const {
        if (k.proto == 6) {
            if (ce.rst || (ce.fin_local && ce.fin_remote) || !ce.established) return cfg.tcp_transitory_timeout;
            return eni_timeouts(k.eni).tcp_established;
        }
        if (k.proto == 17) {
            uint32_t n = static_cast<uint32_t>(cfg.udp_stream_packets_each_way);
            return (ce.pkts_out >= n && ce.pkts_in >= n) ? eni_timeouts(k.eni).udp_stream : eni_timeouts(k.eni).udp;
        }
        if (k.proto == 1 || k.proto == 58) return cfg.icmp_timeout;
        return cfg.other_timeout;
    }
    ConntrackTimeouts eni_timeouts(uint32_t eni) const {
        return eni < t->enis.size() ? t->enis[eni].timeouts : ConntrackTimeouts{};
    }
    uint32_t& count_of(uint32_t eni) {
        if (eni >= ct_count.size()) ct_count.resize(eni + 1, 0);  // only after a new version grew the ENI list
        return ct_count[eni];
    }
    void ct_sweep(uint32_t eni, double now) {
        conntrack.sweep([&](const CtKey& k, const CtEntry& e) {
            if (k.eni != eni || now - e.last_seen <= ct_timeout(k, e)) return false;
            if (count_of(eni) > 0) --count_of(eni);
            return true;
        });
    }
    CtEntry* ct_find(const CtKey& k, double now) { return ct_find(k, decltype(conntrack)::hash(k), now); }
    CtEntry* ct_find(const CtKey& k, uint64_t h, double now) {
        CtEntry* e = conntrack.find(k, h);
        if (!e) return nullptr;
        if (now - e->last_seen > ct_timeout(k, *e)) {
            conntrack.erase(k);
            if (count_of(k.eni) > 0) --count_of(k.eni);
            return nullptr;
        }
        return e;
    }

    void push_ct(Ctx& c, const PendingCt& pc) {
        if (c.nct < kMaxPendingCt) c.ct[c.nct++] = pc;
        else c.overflow = true;
    }

    bool sg_check(Ctx& c, uint32_t eniIdx, bool egress, const Packet& p) {
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
        if (remote.is_v4()) {
            Be32 r;
            std::memcpy(&r.raw, remote.bytes.data(), 4);
            AclKey4 k = make_acl_key4(p.proto, gs, dir, r, acl.remote_set(remote), l4);
            acl.classify_sg(std::span<const AclKey4>(&k, 1), std::span<SgVerdict>(&sv, 1));
        } else {
            Be32 r[4];
            std::memcpy(r, remote.bytes.data(), 16);
            AclKey6 k = make_acl_key6(p.proto, gs, dir, r, acl.remote_set(remote), l4);
            acl.classify_sg(std::span<const AclKey6>(&k, 1), std::span<SgVerdict>(&sv, 1));
        }
        ++counters.classifications;
        if (!sv.admit) return drop(c, layer, R(Reason::NoMatchingRule), e.groups);
        bool tracked = !untracked_by_rules(e, egress, p);
        if (!tracked) choice(c, kChoiceUntrackedFlows);
        // Judged by rules. A tracked flow meets state from its next packet on, so this walk
        // is not what the next one does; an untracked flow is judged by the same rules
        // every time, as long as no state appears for it (the cache checks that).
        if (tracked || errorAboutFlow) c.cacheable = false;
        bool mayCreate = !errorAboutFlow &&
                         !(p.is_icmp() && is_icmp_query(p.proto, p.icmp_type) && !is_icmp_request(p.proto, p.icmp_type));
        if (tracked && mayCreate && count_of(eniIdx) >= cfg.conntrack_capacity_per_eni) ct_sweep(eniIdx, c.now);
        if (tracked && mayCreate && (count_of(eniIdx) >= cfg.conntrack_capacity_per_eni || conntrack.at_limit())) {
            ++counters.conntrack_full;
            return drop(c, Layer::Conntrack, R(Reason::TableFull));
        }
        path(c, t->sym_sg_pass[egress][sv.rule.table()]);
        push_ct(c, PendingCt{key, egress, mayCreate, tracked, p.tcp_flags, p.icmp_type});
        c.last_sg_seen = true;
        c.last_sg_tracked = tracked;
        return true;
    }

    void commit_ct(Ctx& c) {
        for (unsigned i = 0; i < c.nct; ++i) {
            const PendingCt& pc = c.ct[i];
            CtEntry* ce = ct_find(pc.key, c.now);
            if (!ce) {
                if (!pc.create) continue;
                bool tracked = pc.tracked_by_rules || c.auto_tracked;
                if (!tracked) continue;
                if (count_of(pc.key.eni) >= cfg.conntrack_capacity_per_eni) continue;
                CtEntry n = zeroed<CtEntry>();
                n.opened_by_local = pc.egress;
                ce = conntrack.insert(pc.key, n);
                if (!ce) continue;
                ++count_of(pc.key.eni);
            }
            ce->last_seen = c.now;
            bool fromOpener = pc.egress == ce->opened_by_local;
            if (pc.egress) ++ce->pkts_out; else ++ce->pkts_in;
            if (pc.key.proto == 6) {
                if (!fromOpener) ce->seen_reply = true;
                else if (ce->seen_reply && (pc.tcp_flags & kTcpAck)) ce->established = true;
                if (pc.tcp_flags & kTcpRst) ce->rst = true;
                if (pc.tcp_flags & kTcpFin) (pc.egress ? ce->fin_local : ce->fin_remote) = true;
            }
        }
        if (c.last_sg_seen && c.auto_tracked) c.last_sg_tracked = true;
    }

    // ---- §5 network ACLs --------------------------------------------------------------
    bool nacl_check(Ctx& c, uint32_t subnet, bool egress, const Packet& p) {
        Layer layer = egress ? Layer::NaclEgress : Layer::NaclIngress;
        uint32_t acl_idx = t->subnets[subnet].nacl;
        if (acl_idx == kNone) return drop(c, layer, R(Reason::DefaultDeny), t->sym_nacl_none[egress]);
        const AclTables& acl = rs->acl();
        const IpAddr& remote = egress ? p.dst : p.src;
        uint16_t l4 = acl_l4_word(p.proto, p.dport, p.icmp_type, p.icmp_code);
        uint16_t dir = egress ? kAclEgress : kAclIngress;
        NaclVerdict nv;
        if (remote.is_v4()) {
            Be32 r;
            std::memcpy(&r.raw, remote.bytes.data(), 4);
            AclKey4 k = make_acl_key4(p.proto, static_cast<uint16_t>(acl_idx), dir, r, 0, l4);
            acl.classify_nacl(std::span<const AclKey4>(&k, 1), std::span<NaclVerdict>(&nv, 1));
        } else {
            Be32 r[4];
            std::memcpy(r, remote.bytes.data(), 16);
            AclKey6 k = make_acl_key6(p.proto, static_cast<uint16_t>(acl_idx), dir, r, 0, l4);
            acl.classify_nacl(std::span<const AclKey6>(&k, 1), std::span<NaclVerdict>(&nv, 1));
        }
        ++counters.classifications;
        if (nv.rule.is_star() || !nv.rule.valid()) return drop(c, layer, R(Reason::DefaultDeny), t->sym_nacl_star[egress][acl_idx]);
        const uint32_t* rs_sym = t->rule_sym.find(nv.rule.raw);
        uint32_t rule = rs_sym ? *rs_sym : 0;
        if (nv.allow) {
            path(c, rule);
            return true;
        }
        bool dflt = t->nacl_default_deny[t->nacl_entry_base[acl_idx] + nv.rule.index()];
        return drop(c, layer, R(dflt ? Reason::DefaultDeny : Reason::DenyRule), rule);
    }

    // ---- §6 routing -------------------------------------------------------------------
    static bool is_reserved_range(const IpAddr& a) {
        if (a.is_v4()) return (a.v4_host() & 0xFFFFFC00u) == 0xA9FEA800u;  // 169.254.168.0/22
        return a.bytes[0] == 0xfd && a.bytes[1] == 0x00 && a.bytes[2] == 0x0e && a.bytes[3] == 0xc2;  // fd00:ec2::/32
    }
    template <typename Nh>
    static const Nh* fib_lookup(const CompiledFib<Nh>& f, const IpAddr& dst) {
        uint64_t nh = 0;
        if (dst.is_v4()) {
            if (!f.fib4) return nullptr;
            uint32_t ip = dst.v4_host();
            rte_fib_lookup_bulk(f.fib4, &ip, &nh, 1);
        } else {
            if (!f.fib6) return nullptr;
            uint8_t ip[1][16];
            std::memcpy(ip[0], dst.bytes.data(), 16);
            rte_fib6_lookup_bulk(f.fib6, ip, &nh, 1);
        }
        return nh == 0 || nh > f.nh.size() ? nullptr : &f.nh[nh - 1];
    }
    const RouteNh* lookup_route(Ctx& c, uint32_t rtb, const IpAddr& dst) {
        const RouteNh* nh = fib_lookup(t->route_tables[rtb], dst);
        if (nh && nh->tie_choice) choice(c, kChoicePrefixListTie);
        return nh;
    }

    bool eni_usable(uint32_t e, uint32_t& reason) const {
        reason = t->enis[e].usable_reason;
        return reason == 0;
    }

    bool deliver_to_eni(Ctx& c, uint32_t eni, const Packet& p, uint32_t from_subnet, bool apply_nacl_in = true) {
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

    bool from_eni(Ctx& c, uint32_t eni, const Packet& p) {
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

    bool from_eni_forward(Ctx& c, uint32_t eni, const Packet& p) {
        if (++c.depth > 8) return drop(c, Layer::Route, R(Reason::Loop));
        if (!sg_check(c, eni, true, p)) return false;
        return route_from_subnet(c, t->enis[eni].subnet, eni, p);
    }

    bool route_from_subnet(Ctx& c, uint32_t subnet, uint32_t src_eni, const Packet& p) {
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

    bool leave_subnet(Ctx& c, uint32_t subnet, const Packet& p) { return nacl_check(c, subnet, true, p); }

    bool via_target(Ctx& c, uint32_t subnet, uint32_t src_eni, const RouteNh& r, const Packet& p) {
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

    bool edge_check(Ctx& c, uint32_t rule, bool peering) {
        if (c.arrived_via_peering)
            return drop_step(c, Layer::Route, peering ? Reason::PeeringNotTransitive : Reason::EdgeToEdge, rule);
        if (c.arrived_from_edge) return drop_step(c, Layer::Route, Reason::EdgeToEdge, rule);
        return true;
    }

    // ---- §7 internet gateway ------------------------------------------------------------
    bool bpa_blocks(uint32_t vpc, uint32_t subnet, bool inbound) const {
        const CompiledVpc& v = t->vpcs[vpc];
        if (inbound ? v.bpa_in : v.bpa_out) return true;
        return subnet != kNone && (inbound ? t->subnets[subnet].bpa_in : t->subnets[subnet].bpa_out);
    }

    bool via_igw(Ctx& c, uint32_t subnet, const RouteNh& r, Packet p) {
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

    bool via_eigw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
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

    // ---- §7 NAT gateway -----------------------------------------------------------------
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
    static NatSeenKey seen_key(uint8_t proto, const IpAddr& inside, const IpAddr& remote, uint16_t iport, uint16_t rport) {
        NatSeenKey k = zeroed<NatSeenKey>();
        k.proto = proto;
        k.inside_ip = inside;
        k.remote = remote;
        k.inside_port = iport;
        k.rport = rport;
        return k;
    }
    static NatDestKey dest_key(uint32_t nat, uint8_t proto, const IpAddr& remote, uint16_t rport) {
        NatDestKey k = zeroed<NatDestKey>();
        k.nat = nat;
        k.proto = proto;
        k.remote = remote;
        k.rport = rport;
        return k;
    }
    static NatKey nat_key(uint32_t nat, uint8_t proto, const IpAddr& natIp, const IpAddr& remote, uint16_t port,
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
    // Whether the outside view (nat, proto, ip, remote, port, rport) is in use by a live
    // mapping (an idle one is taken over, as the reference's sweep would have freed it).
    bool nat_taken(Ctx& c, const NatKey& k) {
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

    bool via_nat(Ctx& c, uint32_t subnet, const RouteNh& r, Packet p) {
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

    bool nat_inbound(Ctx& c, uint32_t gi, uint32_t natEni, Packet p) {
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

    // ---- §8 peering ----------------------------------------------------------------------
    bool via_peering(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
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

    bool arrive_over_peering(Ctx& c, uint32_t vpc, uint32_t pcx, const Packet& p) {
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

    // ---- §8 Transit Gateway ---------------------------------------------------------------
    uint32_t attachment_subnet_in_az(const CompiledAttachment& a, uint32_t azSym) const {
        for (uint32_t i = a.subnet_begin; i < a.subnet_end; ++i)
            if (t->subnets[t->attachment_subnets[i]].az == azSym) return t->attachment_subnets[i];
        return kNone;
    }

    bool via_tgw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
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

    bool tgw_route(Ctx& c, uint32_t arrivalIdx, const Packet& p) {
        const CompiledAttachment& arrival = t->attachments[arrivalIdx];
        if (++c.depth > 8) return drop(c, Layer::Tgw, R(Reason::Loop));
        if (arrival.rtb == kNone) return drop_step(c, Layer::Tgw, Reason::NoRoute, t->sym_att_unassoc[arrivalIdx]);
        uint32_t ti = arrival.rtb;
        const TgwNh* r = fib_lookup(t->tgw_tables[ti], p.dst);
        if (!r) return drop_step(c, Layer::Tgw, Reason::NoRoute, t->sym_tgw_none[ti]);
        if (r->blackhole) return drop_step(c, Layer::Tgw, Reason::Blackhole, r->rule);
        path(c, r->rule);
        const CompiledAttachment* out = r->attachment == kNone ? nullptr : &t->attachments[r->attachment];
        if (!out || !out->available) return drop_step(c, Layer::Tgw, Reason::AttachmentNotAvailable, r->rule);
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

    // ---- §8 VGW ---------------------------------------------------------------------------
    bool via_vgw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
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

    // ---- §8 gateway endpoints ---------------------------------------------------------------
    bool via_endpoint(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p) {
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

    // ---- from outside ---------------------------------------------------------------------
    static bool rfc1918(const IpAddr& a) {
        uint32_t h = a.v4_host();
        return (h & 0xFF000000u) == 0x0A000000u || (h & 0xFFF00000u) == 0xAC100000u || (h & 0xFFFF0000u) == 0xC0A80000u;
    }

    bool from_internet(Ctx& c, Packet p) {
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
        }
        path(c, t->sym_igw[igwIdx]);
        return enter_vpc_from_gateway(c, vpc, GwKind::Igw, igwIdx, p);
    }

    enum class GwKind : uint8_t { Igw, Eigw, Vgw };

    bool enter_vpc_from_gateway(Ctx& c, uint32_t vpc, GwKind kind, uint32_t gw, const Packet& p) {
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

    bool from_vgw(Ctx& c, uint32_t gi, const Packet& p) {
        uint32_t vpc = t->vgws[gi].attached_vpc;
        if (vpc == kNone) return drop(c, Layer::Origin, R(Reason::OriginNotAvailable));
        c.arrived_from_edge = true;
        path(c, t->sym_vgw[gi]);
        if (!in_vpc(vpc, p.dst)) return drop(c, Layer::Route, R(Reason::EdgeToEdge));
        return enter_vpc_from_gateway(c, vpc, GwKind::Vgw, gi, p);
    }

    bool from_pcx(Ctx& c, uint32_t pi, const Packet& p) {
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

    bool from_tgw_attachment(Ctx& c, uint32_t ai, const Packet& p) {
        const CompiledAttachment& a = t->attachments[ai];
        path(c, t->sym_att[ai]);
        if (!a.available) return drop(c, Layer::Origin, R(Reason::OriginNotAvailable));
        c.arrived_from_tgw = true;
        c.auto_tracked = true;
        if (a.has_arrival_az) c.arrival_az = a.arrival_az;
        return tgw_route(c, ai, p);
    }

    // Outside sources: the VPN/DX side whose routes cover the source, else the internet.
    OriginSpec outside_origin(const IpAddr& src) const {
        for (const auto& r : t->outside_routes)
            if (r.cidr.contains(src)) return r.origin;
        return OriginSpec{OriginSpec::Kind::Internet, 0};
    }

    uint32_t origin_sym(const OriginSpec& o) const {
        switch (o.kind) {
        case OriginSpec::Kind::Eni: return t->enis[o.index].id;
        case OriginSpec::Kind::Internet: return t->sym_internet;
        case OriginSpec::Kind::Vgw: return o.index == kNone ? 0 : t->sym_vgw[o.index];
        case OriginSpec::Kind::Pcx: return t->sym_pcx[o.index];
        case OriginSpec::Kind::TgwAttachment: return t->sym_att[o.index];
        default: return 0;
        }
    }

    bool dispatch_outside(Ctx& c, const OriginSpec& o, const Packet& p) {
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

    bool seen_at_instance(Ctx& c, uint32_t eni, Packet p) {
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

    // ---- the flow cache ----------------------------------------------------------------------
    static CacheKey cache_key(const ParsedPacket& in) {
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
    bool cache_hit(const ParsedPacket& in, CacheEntry* e, Verdict& v) {
        if (!e || e->version != rs->version()) return false;
        double now = in.ts;
        CtEntry* ce[kCacheCt];
        for (unsigned i = 0; i < e->nct; ++i) {
            if ((e->ct_absent >> i) & 1) {
                // Untracked hop: any entry (even an expired one the walk would erase)
                // sends the packet down the walk.
                if (conntrack.find(e->ct[i], e->ct_hash[i])) return false;
                ce[i] = nullptr;
            } else if (!(ce[i] = ct_find(e->ct[i], e->ct_hash[i], now))) {
                return false;
            }
        }
        for (unsigned i = 0; i < e->nnat; ++i) {
            const NatEntry* n = nat_out.find(e->nat_out[i]);
            if (!n || !nat_live(*n, now)) return false;
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
            NatEntry* n = nat_out.find(e->nat_out[i]);
            n->inside = e->nat_inside[i];
            n->last_seen = now;
            nat_in.put(e->nat_in[i], e->nat_out[i]);
        }
        for (unsigned i = 0; i < e->neigw; ++i) eigw.put(e->eigw[i], now);
        for (unsigned i = 0; i < e->napp; ++i) appliance_az.put(e->app[i], e->app_az[i]);
        v = e->v;
        return true;
    }
    void cache_store(const CacheKey& key, uint64_t h, const Ctx& c, const Verdict& v) {
        if (c.nct > kCacheCt || c.nnat > kCacheNat || c.neigw > kCacheSmall || c.napp > kCacheSmall) return;
        if (cache.at_limit()) cache.clear();   // a new generation; live flows come back on their next packet
        if (cache.full()) return;
        (void)h;
        CacheEntry e;
        e.version = rs->version();
        e.nct = static_cast<uint8_t>(c.nct);
        e.nnat = static_cast<uint8_t>(c.nnat);
        e.neigw = static_cast<uint8_t>(c.neigw);
        e.napp = static_cast<uint8_t>(c.napp);
        e.ct_egress = 0;
        e.ct_absent = 0;
        for (unsigned i = 0; i < c.nct; ++i) {
            if (c.ct[i].create) {
                // Judged by rules, untracked: the commit created nothing unless a hop was
                // tracked automatically, which makes the next packet meet state instead.
                if (c.auto_tracked || c.ct[i].tracked_by_rules) return;
                e.ct_absent |= static_cast<uint8_t>(1u << i);
            }
            e.ct[i] = c.ct[i].key;
            e.ct_hash[i] = decltype(conntrack)::hash(c.ct[i].key);
            if (c.ct[i].egress) e.ct_egress |= static_cast<uint8_t>(1u << i);
        }
        for (unsigned i = 0; i < c.nnat; ++i) {
            e.nat_out[i] = c.nat[i].out;
            e.nat_in[i] = c.nat[i].in;
            e.nat_inside[i] = c.nat[i].inside;
        }
        for (unsigned i = 0; i < c.neigw; ++i) e.eigw[i] = c.eigw[i];
        for (unsigned i = 0; i < c.napp; ++i) {
            e.app[i] = c.app_key[i];
            e.app_az[i] = c.app_az[i];
        }
        e.v = v;
        cache.put(key, e);
    }

    // ---- one packet ------------------------------------------------------------------------
    void evaluate(const ParsedPacket& in, Verdict& v, Ctx& c) {
        v = Verdict{};
        c.reset();
        c.v = &v;
        c.now = in.ts;
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
                    if (outside.kind == OriginSpec::Kind::Internet && dstEni != kNone &&
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
        if (ok && c.cacheable && !c.overflow && p.frag == Frag::None &&
            !(p.is_icmp() && is_icmp_error(p.proto, p.icmp_type))) {
            CacheKey key = cache_key(in);
            cache_store(key, CacheMap::hash(key), c, v);
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

    uint32_t eni_by_mac(const uint8_t* mac) const {
        MacKey k = zeroed<MacKey>();
        std::memcpy(k.mac, mac, 6);
        const uint32_t* e = t->mac_owner.find(k);
        return e ? *e : kNone;
    }

    void set_ruleset(const CompiledRuleset* r) {
        rs = r;
        t = r ? &r->impl() : nullptr;
        counters.ruleset_version = r ? r->version() : 0;
        if (!r) return;
        if (ct_count.size() < t->enis.size()) ct_count.resize(t->enis.size(), 0);
    }

    Ctx ctx;   // reused; large (fixed arrays), kept off the stack
};

// ---------------------------------------------------------------------------------------

Pipeline::Pipeline(const Settings& settings, size_t capacity) : impl_(std::make_unique<Impl>(settings, capacity)) {}
Pipeline::~Pipeline() = default;

void Pipeline::set_ruleset(const CompiledRuleset* rs) { impl_->set_ruleset(rs); }
const CompiledRuleset* Pipeline::ruleset() const { return impl_->rs; }

void Pipeline::process_parsed(std::span<const ParsedPacket> burst, std::span<Verdict> out) {
    Impl& m = *impl_;
    size_t n = std::min({burst.size(), out.size(), static_cast<size_t>(kMaxBurst)});
    m.reserve_for_burst(n);
    // Stage 1: flow-cache keys and hashes for the burst, slots prefetched.
    CacheKey keys[kMaxBurst];
    uint64_t hashes[kMaxBurst];
    bool lookup[kMaxBurst];
    for (size_t i = 0; i < n; ++i) {
        const ParsedPacket& pp = burst[i];
        lookup[i] = pp.reason == ParseReason::Ok && pp.key.frag == FragState::None && !(pp.key.flags & kKeyIcmpError);
        if (!lookup[i]) continue;
        keys[i] = Impl::cache_key(pp);
        hashes[i] = Impl::CacheMap::hash(keys[i]);
        m.cache.prefetch_value(hashes[i]);
    }
    // Stage 2: find the entries (their slots are arriving) and prefetch the connection
    // state they rest on.
    Impl::CacheEntry* entries[kMaxBurst];
    for (size_t i = 0; i < n; ++i) {
        entries[i] = lookup[i] ? m.cache.find(keys[i], hashes[i]) : nullptr;
        if (Impl::CacheEntry* e = entries[i])
            for (unsigned j = 0; j < e->nct; ++j) m.conntrack.prefetch(e->ct_hash[j]);
    }
    // Stage 3: in input order (state flows from one packet to the next): a cache hit, or
    // the walk over the compiled tables. An entry found in stage 2 may have been replaced
    // by an earlier packet's walk in this burst: look it up again after a miss.
    PipelineCounters& k = m.counters;
    bool lookup_fresh = true;
    for (size_t i = 0; i < n; ++i) {
        if (i > 0 && lookup[i] && !lookup_fresh) entries[i] = m.cache.find(keys[i], hashes[i]);
        if (lookup[i] && m.rs && m.cache_hit(burst[i], entries[i], out[i])) {
            ++k.flow_cache_hits;
        } else {
            m.evaluate(burst[i], out[i], m.ctx);
            ++k.flow_cache_misses;
            lookup_fresh = false;   // the walk may have inserted or moved cache entries
        }
        ++k.packets;
        k.bytes += burst[i].key.l3_len.host();
        if (out[i].action == Action::Accept) ++k.accepted;
        else ++k.dropped[static_cast<unsigned>(out[i].layer)];
        if (burst[i].reason != ParseReason::Ok) ++k.parse_errors[static_cast<unsigned>(burst[i].reason)];
    }
    m.counters.conntrack_entries = m.conntrack.size();
    m.counters.nat_mappings = m.nat_out.size();
}

void Pipeline::process(std::span<const Frame> burst, std::span<Verdict> out, std::span<ParseResult> parsed) {
    ParsedPacket pp[kMaxBurst];
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
    process_parsed(std::span<const ParsedPacket>(pp, n), out);
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
