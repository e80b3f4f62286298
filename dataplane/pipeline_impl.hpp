// Pipeline::Impl, internal to the pipeline's translation units: one worker's compiled
// pipeline state (the StateTables it inherits, the flow cache, counters, the ruleset version
// in use), the per-packet context of a walk (Ctx: the verdict being written, the walk's
// flags and the changes pending until the packet is accepted), the small helpers every
// stage of the walk uses, and the walk's functions, which follow the reference evaluator
// function by function (same names). Definitions: the burst stages and the public API in
// pipeline.cpp (with the flow-cache hit inlined from flow_cache.hpp), the walk of one packet
// in walk.cpp and its sections in walk_*.cpp (one per docs/semantics.md section, mirroring
// ruleset/ref_*.cpp). Every name is a pre-interned symbol and every model fact a compiled
// array (compiled_impl.hpp); nothing here allocates after construction.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_fib.h>
#include <rte_fib6.h>

#include "dataplane/burst_classify.hpp"
#include "dataplane/compiled_impl.hpp"
#include "dataplane/flow_cache.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/state_tables.hpp"

namespace vpcfw {

// The state and flow-cache types (state_tables.hpp, flow_cache.hpp), by their short names.
using namespace pipeline_detail;

struct Pipeline::Impl : StateTables {
    const CompiledRuleset* rs = nullptr;
    PipelineCounters counters;
    FlowCache cache;
    BurstClassify pre;   // the burst's first-hop SG/NACL answers (burst_classify.hpp)
    // Burst scratch, constructed once: the parse stage's output and the verdicts of the
    // packets that walked (a hit's verdict is the cache's own).
    ParsedPacket parsed[kMaxBurst];
    Verdict walked[kMaxBurst];

    Impl(const Settings& s, size_t capacity) : StateTables(s, capacity) { cache.reset(cfg.conntrack_table_capacity / 2 + 16); }
    // Room for every insert a burst of n packets can make (the cache's and the state's).
    void reserve_for_burst(size_t n) {
        if (rs) cache.begin_burst(n, rs->version());
        StateTables::reserve_for_burst(n);
    }
    void set_ruleset(const CompiledRuleset* r);
    // The burst stages: verdict references out (the cache's, or walked[i]).
    void run_burst(const ParsedPacket* burst, size_t n, const Verdict** out);

    // ---- per-packet context (fixed arrays; nothing allocates) ----------------------------
    struct Ctx : PendingState {
        Verdict* v = nullptr;
        double now = 0;
        int depth = 0;
        bool arrived_via_peering = false, arrived_from_edge = false, arrived_from_tgw = false;
        bool arrived_via_tgw_peering = false;
        uint32_t arrival_az = 0;
        bool last_sg_tracked = false, last_sg_seen = false;
        bool overflow = false;
        bool cacheable = true;   // the verdict may be served from the flow cache (see FlowEntry)
        void reset() {
            depth = 0;
            arrived_via_peering = arrived_from_edge = arrived_from_tgw = arrived_via_tgw_peering = auto_tracked = false;
            arrival_az = 0;
            nct = nnat = neigw = napp = 0;
            last_sg_tracked = last_sg_seen = overflow = false;
            cacheable = true;
        }
    };
    Ctx ctx;   // reused; large (fixed arrays), kept off the stack

    // A drop whose reason reads no state (walk.cpp): its verdict may be cached.
    bool pure_drop(uint32_t reason) const;

    // ---- writing the verdict -------------------------------------------------------------
    uint32_t R(Reason r) const { return t->sym_reason[static_cast<int>(r)]; }
    void path(Ctx& c, uint32_t sym) {
        if (c.v->path_len < kVerdictMaxPath) c.v->path[c.v->path_len++] = sym;
    }
    void note(Ctx& c, uint32_t sym) {
        if (c.v->note_count < kVerdictMaxNotes) c.v->notes[c.v->note_count++] = sym;
    }
    void sg_rule(Ctx& c, uint32_t sym) {
        if (c.v->sg_rule_count < kVerdictMaxSgRules) c.v->sg_rules[c.v->sg_rule_count++] = sym;
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
    uint32_t svc_sym(Service s) const { return t->sym_service[static_cast<int>(s)]; }
    void push_ct(Ctx& c, const PendingCt& pc) {
        if (c.nct < kMaxPendingCt) c.ct[c.nct++] = pc;
        else c.overflow = true;
    }
    const CompiledPrivateIp& private_ip(uint32_t eni, uint32_t pip) const {
        return t->private_ips[t->enis[eni].pip_begin + pip];
    }
    bool eni_usable(uint32_t e, uint32_t& reason) const {
        reason = t->enis[e].usable_reason;
        return reason == 0;
    }
    bool leave_subnet(Ctx& c, uint32_t subnet, const Packet& p) { return nacl_check(c, subnet, true, p); }
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

    enum class GwKind : uint8_t { Igw, Eigw, Vgw };

    // ---- one packet: fragments, origin, path, commit (walk.cpp) --------------------------
    void evaluate(const ParsedPacket& in, Verdict& v, Ctx& c);

    // ---- §2 origins and arrivals from outside (walk_origins.cpp) -------------------------
    uint32_t eni_by_mac(const uint8_t* mac) const;
    OriginSpec outside_origin(const IpAddr& src) const;
    uint32_t origin_sym(const OriginSpec& o) const;
    bool dispatch_outside(Ctx& c, const OriginSpec& o, const Packet& p);
    static bool rfc1918(const IpAddr& a);
    bool from_internet(Ctx& c, Packet p);
    bool enter_vpc_from_gateway(Ctx& c, uint32_t vpc, GwKind kind, uint32_t gw, const Packet& p);
    bool from_vgw(Ctx& c, uint32_t gi, const Packet& p);
    bool from_pcx(Ctx& c, uint32_t pi, const Packet& p);
    bool from_tgw_attachment(Ctx& c, uint32_t ai, const Packet& p);
    bool seen_at_instance(Ctx& c, uint32_t eni, Packet p);
    uint32_t gateway_endpoint_of_reply(Ctx& c, uint32_t eni, const IpAddr& src);
    bool from_gateway_endpoint(Ctx& c, uint32_t ep, uint32_t eni, const Packet& p);

    // ---- §1 / §9 objects by address, AWS services (walk_objects.cpp) ---------------------
    uint32_t prefix_owner(uint32_t vpc, const IpAddr& a) const;
    uint32_t eni_by_private(uint32_t vpc, const IpAddr& a) const;
    uint32_t eni_by_any_private(const IpAddr& a) const;
    bool eni_has_address(uint32_t eni, const IpAddr& a) const;
    PublicOwner eni_by_public(const IpAddr& a) const;
    const CompiledPrivateIp* private_ip_record(uint32_t vpc, const IpAddr& a) const;
    bool in_vpc(uint32_t vpc, const IpAddr& a) const;
    uint32_t vpc_containing(const IpAddr& a) const;
    bool owns_public(const IpAddr& a) const;
    Service aws_service(uint32_t vpc, uint32_t subnet, const Packet& p, const IpAddr& a) const;

    // ---- §4 security groups and connection tracking (walk_security_groups.cpp) -----------
    bool any_rule_admits(const CompiledEni& e, int dir, const Packet& p) const;
    bool all_ports_to_any(const CompiledEni& e, int dir, const Packet& p) const;
    bool untracked_by_rules(const CompiledEni& e, bool egress, const Packet& p) const;
    CtKey ct_key(uint32_t eni, bool egress, const Packet& p) const;
    bool sg_check(Ctx& c, uint32_t eniIdx, bool egress, const Packet& p);
    void commit_ct(Ctx& c);

    // ---- §5 network ACLs (walk_network_acls.cpp) -----------------------------------------
    bool nacl_check(Ctx& c, uint32_t subnet, bool egress, const Packet& p);

    // ---- §3 / §6 the path in a VPC and routing (walk_routing.cpp) ------------------------
    static bool is_reserved_range(const IpAddr& a);
    const RouteNh* lookup_route(Ctx& c, uint32_t rtb, const IpAddr& dst);
    bool deliver_to_eni(Ctx& c, uint32_t eni, const Packet& p, uint32_t from_subnet, bool apply_nacl_in = true);
    bool from_eni(Ctx& c, uint32_t eni, const Packet& p);
    bool from_eni_forward(Ctx& c, uint32_t eni, const Packet& p);
    bool route_from_subnet(Ctx& c, uint32_t subnet, uint32_t src_eni, const Packet& p);
    bool via_target(Ctx& c, uint32_t subnet, uint32_t src_eni, const RouteNh& r, const Packet& p);
    bool edge_check(Ctx& c, uint32_t rule, bool peering);

    // ---- §7 internet, egress-only and NAT gateways (walk_gateways.cpp) -------------------
    bool bpa_blocks(uint32_t vpc, uint32_t subnet, bool inbound) const;
    bool via_igw(Ctx& c, uint32_t subnet, const RouteNh& r, Packet p);
    bool via_eigw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p);
    bool nat_taken(Ctx& c, const NatKey& k);
    bool via_nat(Ctx& c, uint32_t subnet, const RouteNh& r, Packet p);
    bool nat_inbound(Ctx& c, uint32_t gi, uint32_t natEni, Packet p);

    // ---- §8 peering, TGW, VGW, endpoints (walk_peering_tgw_vgw_endpoints.cpp) ------------
    bool via_peering(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p);
    bool arrive_over_peering(Ctx& c, uint32_t vpc, uint32_t pcx, const Packet& p);
    uint32_t attachment_subnet_in_az(const CompiledAttachment& a, uint32_t azSym) const;
    bool via_tgw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p);
    bool tgw_route(Ctx& c, uint32_t arrivalIdx, const Packet& p, bool peerSide = false);
    bool via_tgw_peering(Ctx& c, uint32_t outIdx, uint32_t here, uint32_t rule, const Packet& p);
    bool via_vgw(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p);
    bool via_endpoint(Ctx& c, uint32_t subnet, const RouteNh& r, const Packet& p);
};

} // namespace vpcfw
