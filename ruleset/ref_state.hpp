// The reference evaluator's insides, shared by its parts (internal to ruleset/; include it
// only from the ref_*.cpp files and reference.cpp). `ref::State` owns the model, the settings
// and every table kept between packets (per-ENI connection tracking, NAT gateway mappings,
// egress-only gateway flows, appliance-mode AZs, fragments); `ref::Ctx` is one packet's walk,
// with the trace it writes and the state changes it will commit if the packet is accepted.
// Each member is defined in the file of the docs/semantics.md section it transcribes (listed
// below). Cold path; single-threaded.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ruleset/app_payload.hpp"
#include "ruleset/decision.hpp"
#include "ruleset/model.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/settings.hpp"

namespace vpcfw::ref {

// ---------------------------------------------------------------------------------------
// State kept between packets

// A connection-tracking key at one ENI, oriented from the ENI's side (§4: tracking is per
// ENI), so both directions of a flow find the same entry.
struct CtKey {
    Idx eni = kNone;
    uint8_t proto = 0;
    IpAddr local, remote;
    uint16_t lport = 0, rport = 0;  // TCP/UDP ports; ICMP: (identifier, query type)
    auto operator<=>(const CtKey&) const = default;
};

struct CtEntry {
    double last_seen = 0;
    bool opened_by_local = true;     // the first packet left the ENI (egress)
    uint32_t pkts_out = 0, pkts_in = 0;
    bool seen_reply = false;         // TCP: a packet from the other side has been seen
    bool established = false;        // TCP: handshake complete
    bool fin_local = false, fin_remote = false, rst = false;
};

// A NAT gateway mapping (§7): inside flow <-> (NAT address, port).
struct NatKey {                      // the outside view: what replies are addressed to
    std::string nat_id;
    uint8_t proto = 0;
    IpAddr nat_ip, remote;
    uint16_t nat_port = 0, rport = 0;
    auto operator<=>(const NatKey&) const = default;
};
struct NatInside {
    IpAddr inside_ip;
    uint16_t inside_port = 0;
};
struct NatEntry {
    NatInside inside;
    double last_seen = 0;
};
struct NatInsideKey {                // the inside view: how an outbound packet finds its mapping
    std::string nat_id;
    uint8_t proto = 0;
    IpAddr inside_ip, remote;
    uint16_t inside_port = 0, rport = 0;
    auto operator<=>(const NatInsideKey&) const = default;
};

// A flow through a TGW attachment in appliance mode: both directions share one key.
struct ApplianceKey {
    std::string attachment;
    uint8_t proto = 0;
    IpAddr a, b;            // the lower and the higher endpoint address
    uint16_t pa = 0, pb = 0;
    auto operator<=>(const ApplianceKey&) const = default;
};

struct FragKey {
    IpAddr src, dst;
    uint8_t proto = 0;
    uint32_t id = 0;
    auto operator<=>(const FragKey&) const = default;
};
struct FragEntry {
    double first_seen = 0;
    Decision decision;
};

// Egress-only internet gateway state (§7): outbound IPv6 flows whose replies may enter.
struct EigwKey {
    std::string eigw_id;
    uint8_t proto = 0;
    IpAddr inside, outside;
    uint16_t iport = 0, oport = 0;
    auto operator<=>(const EigwKey&) const = default;
};

// The egress-only gateway key of a packet, oriented inside -> outside; `outbound` when the
// packet leaves the VPC.
inline EigwKey eigw_key(const std::string& gw, const Packet& p, bool outbound) {
    uint16_t sp = p.has_ports() ? p.sport : p.icmp_id;
    uint16_t dp = p.has_ports() ? p.dport : static_cast<uint16_t>(icmp_request_type(p.proto, p.icmp_type));
    if (outbound) return EigwKey{gw, p.proto, p.src, p.dst, sp, dp};
    uint16_t rsp = p.has_ports() ? p.dport : p.icmp_id;
    uint16_t rdp = p.has_ports() ? p.sport : static_cast<uint16_t>(icmp_request_type(p.proto, p.icmp_type));
    return EigwKey{gw, p.proto, p.dst, p.src, rsp, rdp};
}

// "addr:port" ("[v6]:port"), or the address alone when the protocol has no ports.
inline std::string endpoint(const IpAddr& a, bool ports, uint16_t port) {
    std::string s = a.is_v4() ? a.str() : "[" + a.str() + "]";
    return ports ? s + ":" + std::to_string(port) : s;
}

// A flow at a Network Firewall endpoint (docs/inspection.md §4.1, C1): keyed by endpoint
// and the 5-tuple in canonical order.
struct NfwFlowKey {
    std::string endpoint;
    uint8_t proto = 0;
    IpAddr a, b;
    uint16_t pa = 0, pb = 0;
    auto operator<=>(const NfwFlowKey&) const = default;
};
enum class NfwVerdict : uint8_t { None, Pass, Drop, Reject };
struct NfwFlow {
    IpAddr client;
    uint16_t client_port = 0;
    double last_seen = 0;
    bool synack = false, established = false, midstream = false;
    uint32_t pkts_to_server = 0, pkts_to_client = 0;
    AppProto app = AppProto::None;
    NfwVerdict verdict = NfwVerdict::None;
    std::string verdict_rule, verdict_reason;
    std::set<std::pair<std::string, bool>> alerted;   // C17: (rule, to_server)
};

// ---------------------------------------------------------------------------------------
// One packet's walk

struct PendingCt {
    CtKey key;
    bool egress;                // the packet left the ENI
    bool create;                // no entry yet: create one if the flow is tracked
    bool tracked_by_rules;      // SG predicate says tracked (before auto-tracking)
    uint8_t tcp_flags;
    uint8_t icmp_type;
};
struct PendingNat {
    NatKey out;
    NatInsideKey in;
    NatInside inside;
};
struct Ctx {
    Decision* d = nullptr;
    double now = 0;
    int depth = 0;                      // appliance / hairpin hops, loop guard
    bool arrived_via_peering = false;   // §8: never forwarded out of this VPC again
    bool arrived_from_edge = false;     // from a VGW (VPN/DX): no IGW, NAT, peering, endpoints (§8)
    bool arrived_from_tgw = false;      // through a TGW: no gateway endpoints (§8)
    bool arrived_via_tgw_peering = false; // §8: crossed a TGW peering (never a second one)
    bool auto_tracked = false;          // §4: EIGW, NAT GW, TGW, interface endpoint
    std::string arrival_az;             // TGW: AZ the packet entered the TGW in
    std::vector<PendingCt> ct;
    std::vector<PendingNat> nat;
    std::vector<EigwKey> eigw;
    std::vector<std::pair<ApplianceKey, std::string>> appliance;
    bool last_sg_tracked = false;       // decision's `tracked` (decisions.md)
    bool last_sg_seen = false;
    Idx last_sg_eni = kNone;
};

// The route a VPC route table chose (§6).
struct RouteMatch {
    const Route* route = nullptr;
    int len = -1;
    int rank = 99;       // 0 static CIDR / local, 1 prefix list, 2 propagated
    std::string pl;      // prefix-list id when matched through a list
};

// The route a TGW route table chose (§8).
struct TgwMatch {
    const TgwRoute* route = nullptr;
    TgwRoute synthesized;   // for propagated VPC routes derived here
    bool synth = false;
    bool bgp_any = false;   // §8 CHOICE tgw_bgp_any_destination: the synthesized BGP default
    int len = -1;
    int rank = 99;
};

// ---------------------------------------------------------------------------------------

struct State {
    Network net;
    Settings cfg;
    std::map<CtKey, CtEntry> conntrack;
    std::map<Idx, size_t> ct_count;               // live entries per ENI
    std::map<NatKey, NatEntry> nat_out;
    std::map<NatInsideKey, NatKey> nat_in;
    std::map<FragKey, FragEntry> frags;
    double clock = -1e300;   // the replay clock: the latest packet time seen (evaluate)
    std::map<EigwKey, double> eigw;
    std::set<NatInsideKey> nat_idle_tcp;          // TCP mappings that timed out (for RST)
    std::map<ApplianceKey, std::string> appliance_az;  // §8 appliance mode: flow -> AZ
    std::map<NfwFlowKey, NfwFlow> nfw_flows;           // docs/inspection.md §4.1

    // ---- the trace and the verdict ----------------------------------------------------
    void step(Ctx& c, std::string hop, std::string layer, std::string verdict, std::string rule = {},
              std::string detail = {}) {
        c.d->trace.push_back(TraceStep{std::move(hop), std::move(layer), std::move(verdict),
                                       std::move(rule), std::move(detail)});
    }
    void path(Ctx& c, std::string s) { c.d->path.push_back(std::move(s)); }
    void choice(Ctx& c, const std::string& name) {
        auto& v = c.d->choices;
        if (std::find(v.begin(), v.end(), name) == v.end()) v.push_back(name);
    }
    bool drop(Ctx& c, Layer layer, std::string reason, std::string rule = {}) {
        c.d->action = Action::Drop;
        c.d->layer = layer;
        c.d->reason = std::move(reason);
        c.d->rule = std::move(rule);
        c.d->to.clear();
        return false;
    }
    bool accept(Ctx& c, std::string to) {
        c.d->action = Action::Accept;
        c.d->layer = Layer::None;
        c.d->to = std::move(to);
        return true;
    }
    bool drop_step(Ctx& c, Layer l, const std::string& reason, const std::string& rule, const std::string& detail,
                   const std::string& hop = {}) {
        step(c, hop.empty() ? "" : hop, layer_name(l), "drop", rule, detail);
        return drop(c, l, reason, l == Layer::Route || l == Layer::Tgw ? rule : std::string());
    }

    // §1, §9, §10: finding objects and addresses, ENI usability, traffic AWS never filters (ref_objects.cpp)
    static bool eni_has_address(const Eni& e, const IpAddr& a);
    Idx eni_by_private(Idx vpc, const IpAddr& a) const;
    Idx eni_by_any_private(const IpAddr& a) const;
    std::pair<Idx, const PrivateIp*> eni_by_public(const IpAddr& a) const;
    const PrivateIp* private_ip_record(Idx vpc, const IpAddr& a) const;
    bool in_vpc(Idx vpc, const IpAddr& a) const;
    Idx vpc_containing(const IpAddr& a) const;
    std::string destination_name(Idx e) const;
    bool is_interface_endpoint_eni(Idx e) const;
    const NatGateway* nat_of_eni(Idx e) const;
    bool eni_usable(Idx e, std::string& reason) const;
    std::string aws_service(Idx vpc, Idx subnet, const Packet& p, const IpAddr& a) const;

    // §4 security groups and connection tracking (ref_security_groups.cpp)
    bool prefix_list_contains(const std::string& id, const IpAddr& a) const;
    bool peered_active(Idx a, Idx b) const;
    bool group_matches(const SecurityGroup& owner, const SgRule& r, const IpAddr& a) const;
    std::string sg_rule_mismatch(const SecurityGroup& g, const SgRule& r, const Packet& p,
                                 const IpAddr& remote) const;
    static std::string sg_rule_name(const SecurityGroup& g, const SgRule& r);
    bool admitted_by_any_peer(const Eni& e, bool egress, const Packet& p) const;
    bool all_ports_to_any(const Eni& e, bool egress, const Packet& p) const;
    bool untracked_by_rules(const Eni& e, bool egress, const Packet& p) const;
    CtKey ct_key(Idx eni, bool egress, const Packet& p) const;
    double ct_timeout(const Eni& e, const CtKey& k, const CtEntry& ce) const;
    void ct_sweep(Idx eni, double now);
    void ct_sweep_all(double now);
    void ct_admission(double now);
    bool ct_emergency = false;   // CHOICE conntrack_emergency: the table is in emergency mode
    uint64_t ct_emergencies = 0; // times it entered it
    // No entry expires before this time (less 1 ms for rounding): a sweep before it has
    // nothing to remove. Lowered by every entry's new expiry, recomputed by a whole sweep,
    // forgotten when timeouts may get shorter.
    static constexpr double kNoExpiry = 1e300;
    double ct_expiry_bound = -kNoExpiry;
    void note_expiry(double expiry) { ct_expiry_bound = std::min(ct_expiry_bound, expiry - 1e-3); }
    CtEntry* ct_find(const CtKey& k, double now);
    bool sg_check(Ctx& c, Idx eniIdx, bool egress, const Packet& p);
    void commit_ct(Ctx& c);

    // §5 network ACLs (ref_network_acls.cpp)
    static std::string nacl_entry_mismatch(const NaclEntry& n, const Packet& p, const IpAddr& remote);
    bool nacl_check(Ctx& c, Idx subnet, bool egress, const Packet& p);

    // §3, §6 from an ENI, route lookup, route targets, delivery to an ENI (ref_routing.cpp)
    static bool is_reserved_range(const IpAddr& a);
    RouteMatch lookup_route(Ctx& c, const RouteTable& rt, const IpAddr& dst);
    bool deliver_to_eni(Ctx& c, Idx eni, const Packet& p, Idx from_subnet, bool apply_nacl_in = true);
    bool from_eni(Ctx& c, Idx eni, Packet p);
    bool from_eni_forward(Ctx& c, Idx eni, const Packet& p);
    bool route_from_subnet(Ctx& c, Idx subnet, Idx src_eni, const Packet& p);
    bool leave_subnet(Ctx& c, Idx subnet, const Packet& p);
    bool via_target(Ctx& c, Idx subnet, Idx src_eni, const RouteTable& rt, const Route& r,
                    const std::string& rule, Packet p);
    bool edge_check(Ctx& c, const std::string& rule, const std::string& what);

    // §7 internet, egress-only and NAT gateways (ref_gateways.cpp)
    bool bpa_blocks(Idx vpc, Idx subnet, bool inbound) const;
    bool via_igw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p);
    bool owns_public(const IpAddr& a) const;
    bool via_eigw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p);
    const NatAddress* nat_primary(const NatGateway& g) const;
    void nat_expire(double now);
    bool via_nat(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p);
    bool nat_inbound(Ctx& c, const NatGateway& g, Idx natEni, Packet p);

    // §8 peering, Transit Gateway, VGW, endpoints (ref_peering_tgw_vgw_endpoints.cpp)
    bool via_peering(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p);
    bool arrive_over_peering(Ctx& c, Idx vpc, const std::string& pcxId, const Packet& p);
    const TgwAttachment* vpc_attachment(const std::string& tgw, const std::string& vpcId) const;
    Idx attachment_subnet_in_az(const TgwAttachment& a, const std::string& az) const;
    static int tgw_rank(const TgwRoute& r, bool viaPrefixList);
    TgwMatch tgw_lookup(const TgwRouteTable& t, const IpAddr& dst) const;
    bool learns_by_bgp(const TgwAttachment& a) const;
    static bool has_propagated_routes(const TgwRouteTable& t, const std::string& attId);
    bool via_tgw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p);
    bool tgw_route(Ctx& c, const TgwAttachment& arrival, const Packet& p, bool peerSide = false);
    bool via_tgw_peering(Ctx& c, const TgwAttachment& out, const std::string& here, const std::string& rule,
                         const std::string& table, const Packet& p);
    bool via_vgw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p);
    bool via_endpoint(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p);

    // docs/inspection.md: the Network Firewall hop and its engines (ref_inspection.cpp)
    bool via_firewall(Ctx& c, Idx from_subnet, const std::string& vpce, const std::string& rule, const Packet& p);
    bool inspect(Ctx& c, const NfwFirewall& fw, const NfwEndpoint& ep, const Packet& p);

    // §2 origins and arrivals from outside (ref_origins.cpp)
    bool walk_from_origin(Ctx& c, const std::string& fromSpec, Packet p);
    std::string outside_origin(const IpAddr& src) const;
    bool dispatch_outside(Ctx& c, const std::string& from, const Packet& p);
    bool seen_at_instance(Ctx& c, Idx eni, Packet p);
    const VpcEndpoint* gateway_endpoint_of_reply(Ctx& c, Idx eni, const IpAddr& src);
    bool from_gateway_endpoint(Ctx& c, const VpcEndpoint& ep, Idx eni, const Packet& p);
    bool from_internet(Ctx& c, Packet p);
    bool enter_vpc_from_gateway(Ctx& c, Idx vpc, const std::string& gw, const Packet& p);
    bool from_vgw(Ctx& c, const VpnGateway& g, const Packet& p);
    bool from_pcx(Ctx& c, const PeeringConnection& pcx, const Packet& p);
    bool from_tgw_attachment(Ctx& c, const TgwAttachment& a, const Packet& p);

    // the walk: fragments (§11), origin, commit (reference.cpp)
    Decision evaluate(const Packet& pkt, const std::string& fromSpec, double now);
};

} // namespace vpcfw::ref
