// The tables inside a CompiledRuleset (dataplane/compiled.hpp): dense per-object facts
// indexed like the model (ENIs and their private IPs, subnets, VPCs, NAT gateways,
// peerings, TGW attachments, VPN gateways, endpoints), address maps, route FIBs with
// their next-hop arrays, and the symbol ids every decision needs. Every fact the walk
// asks of the model is decided here at compile time: states are booleans, ids are
// indices, so the pipeline holds no Network and compares no strings. Written by
// control/compiler.cpp, read by the pipeline (dataplane/pipeline.cpp, walk*.cpp).
// Immutable once published.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/addr_intervals.hpp"
#include "dataplane/compiled.hpp"
#include "dataplane/flat_map.hpp"
#include "ruleset/model.hpp"

struct rte_fib;
struct rte_fib6;

namespace vpcfw {

// An address in a fixed, zero-padded form usable as a FlatMap key, with a scope (a VPC
// index, an ENI index or kNone).
struct ScopedAddr {
    uint32_t scope = 0;
    uint8_t family = 0;
    uint8_t pad[3] = {};
    uint8_t bytes[16] = {};

    static ScopedAddr make(uint32_t scope, const IpAddr& a) {
        ScopedAddr k;
        k.scope = scope;
        k.family = static_cast<uint8_t>(a.family);
        for (int i = 0; i < 16; ++i) k.bytes[i] = a.bytes[i];
        return k;
    }
};
static_assert(sizeof(ScopedAddr) == 24);

struct PublicOwner {
    uint32_t eni = kNone;
    uint32_t pip = 0;          // index into Eni::private_ips
};

// What a route lookup found: the route that wins for the matched prefix (§6 ranks and the
// prefix-list CHOICE already applied at compile time).
struct RouteNh {
    uint32_t route = kNone;    // index into RouteTable::routes
    uint32_t rule = 0;         // symbol "rtb-ID:DEST"
    uint32_t target = kNone;   // dense index of the target object (by kind)
    uint32_t target_sym = 0;   // symbol of the target id as exported
    TargetKind kind = TargetKind::Unknown;
    bool active = true;
    bool tie_choice = false;   // the prefix-list tie CHOICE was consulted
};

struct TgwNh {
    uint32_t rule = 0;         // symbol "tgw-rtb-ID:DEST"
    uint32_t attachment = kNone; // first target attachment
    bool blackhole = false;
    bool propagated = false;
    bool bgp_any = false;      // §8 CHOICE tgw_bgp_any_destination: a learned default route
};

// A route table (VPC or TGW) compiled: one FIB per family whose next hop is index + 1
// into `nh` (0 = no route).
template <typename Nh>
struct CompiledFib {
    rte_fib* fib4 = nullptr;
    rte_fib6* fib6 = nullptr;
    std::vector<Nh> nh;
};

struct CompiledEni {
    uint32_t id = 0;           // symbol
    uint32_t pip_begin = 0, pip_end = 0;  // its private IPs: Impl::private_ips[begin, end)
    uint32_t dest_name = 0;    // symbol: the endpoint id for an interface endpoint's ENI
    uint32_t groups = 0;       // symbol "sg-a,sg-b" (SG drop rule)
    uint32_t subnet = kNone, vpc = kNone;
    uint32_t usable_reason = 0;// symbol of eni-not-attached / instance-not-running; 0 = usable
    uint32_t nat = kNone;      // NAT gateway whose ENI this is
    uint32_t endpoint = kNone; // interface endpoint whose ENI this is
    bool source_dest_check = true;
    bool deny_all_igw = false;
    bool has_prefixes = false;
    ConntrackTimeouts timeouts;
    uint32_t any_set = 0;      // index into Impl::any_sets (§4 untracked predicate)
};

// §4 untracked predicate inputs of one ordered group list (shared by every ENI with that
// list): the rules whose peer is 0.0.0.0/0 or ::/0, per direction (0 ingress, 1 egress),
// and whether such a rule covers every port of TCP / UDP.
struct AnyPeerRules {
    struct Rule {
        int proto;
        int from, to;
        uint8_t family;
    };
    std::vector<Rule> rules[2];
    bool all_ports_any[2][2][2] = {};  // [dir][family v4=0/v6=1][tcp=0/udp=1]
};

// One entry of Eni::private_ips (the ENI's private_ip_record and its public address).
struct CompiledPrivateIp {
    IpAddr addr;
    IpAddr public_ip;          // valid when has_public
    bool has_public = false;
    uint32_t public_source = 0;// note "source P is the public address of eni-X" (0 without public IP)
};

struct CompiledSubnet {
    uint32_t id = 0;
    uint32_t vpc = kNone;
    uint32_t nacl = kNone;
    bool nacl_missing = false; // §5 CHOICE missing_nacl_default: the export has no NACL for it
    uint32_t rtb = kNone;
    uint32_t az = 0;           // symbol of the AZ name
    bool bpa_in = false, bpa_out = false;
    bool has_router4 = false;  // §9 the VPC router: IPv4 CIDR base + 1
    IpAddr router4;
    uint32_t router6_begin = 0, router6_end = 0;  // Impl::subnet_routers6[begin, end): each IPv6 CIDR base + 1
};

struct CompiledVpc {
    uint32_t id = 0;
    uint32_t igw = kNone, eigw = kNone, vgw = kNone, main_rtb = kNone;
    bool bpa_in = false, bpa_out = false;
    bool has_dns4 = false;     // §9 Amazon DNS: first IPv4 CIDR base + 2
    IpAddr dns4;
    uint32_t cidr_begin = 0, cidr_end = 0;  // Impl::vpc_cidrs[begin, end): IPv4 then IPv6 CIDRs
};

// A NAT gateway as via_nat / nat_inbound / seen_at_instance need it: its primary address
// (the one marked primary, else the first) resolved.
struct CompiledNat {
    uint32_t subnet = kNone;
    uint32_t eni = kNone;      // ENI of the primary address (kNone: no address or not exported)
    bool available = false;    // state "available"
    bool is_private = false;
    bool has_private_ip = false, has_public_ip = false;  // of the primary address
    IpAddr private_ip, public_ip;
};

// A peering connection: status "active", and each side's VPC (kNone: not in the export).
struct CompiledPeering {
    bool active = false;
    uint32_t vpc[2] = {kNone, kNone};  // [0] requester, [1] accepter
};

// A TGW attachment.
struct CompiledAttachment {
    bool available = false;    // state "available"
    bool appliance_mode = false;
    bool to_exported_vpc = false;  // resource "vpc" and that VPC is in the export
    bool has_arrival_az = false;   // resource "vpc" and its first subnet is in the export:
    uint32_t arrival_az = 0;       //   that subnet's AZ symbol (from_tgw_attachment)
    uint32_t rtb = kNone;          // associated TGW route table
    // §8 TGW peering: its TGW and the peer's (symbols), the peer side's table, and whether
    // each side's TGW is in the export ([0] this side, [1] the peer's).
    bool peering = false;
    uint32_t tgw = 0, peer_tgw = 0;
    uint32_t peer_rtb = kNone;
    bool side_known[2] = {false, false};
    uint32_t subnet_begin = 0, subnet_end = 0;  // Impl::attachment_subnets[begin, end): its subnets in the export, in order
};

// A virtual private gateway: the VPC it is attached to (the last attachment "attached" or
// "available" whose VPC is exported) and the VPN connections that use it (not deleted).
struct CompiledVgw {
    uint32_t attached_vpc = kNone;
    bool any_connection = false;   // a VPN connection (not deleted / deleting) uses it
    bool any_bgp = false;          // one of them is not static-routes-only
    uint32_t route_begin = 0, route_end = 0;  // Impl::vgw_routes[begin, end): their static routes
};

struct CompiledEndpoint {
    bool available = false;    // state "available" (any case)
    bool gwlb = false;         // type GatewayLoadBalancer
};

// outside_origin: a source covered by `cidr` comes from `origin` (first match in order:
// VPN connection routes, then TGW routes to non-VPC, non-peering attachments).
struct OutsideRoute {
    Cidr cidr;
    OriginSpec origin;
};

// A source MAC address, zero-padded, as a FlatMap key.
struct MacKey {
    uint8_t mac[8];
};

// Reasons a decision can name (docs/decisions.md), interned once per version.
#define VPCFW_REASONS(X)                                                                   \
    X(NoMatchingRule, "no-matching-rule") X(DenyRule, "deny-rule")                         \
    X(DefaultDeny, "default-deny") X(NoRoute, "no-route") X(Blackhole, "blackhole")        \
    X(EniNotAttached, "eni-not-attached") X(InstanceNotRunning, "instance-not-running")    \
    X(Loop, "loop") X(ReservedRange, "reserved-range") X(NoPublicIp, "no-public-ip")       \
    X(UnassociatedPublicIp, "unassociated-public-ip")                                      \
    X(PrivateDestination, "private-destination") X(EgressOnly, "egress-only")              \
    X(BlockPublicAccess, "block-public-access") X(PeeringNotActive, "peering-not-active")  \
    X(PeeringNotTransitive, "peering-not-transitive") X(EdgeToEdge, "edge-to-edge")        \
    X(NoVpnRoute, "no-vpn-route") X(NoDestination, "no-destination")                       \
    X(SourceDestCheck, "source-dest-check") X(TargetNotAvailable, "target-not-available")  \
    X(UnsupportedTarget, "unsupported-target") X(NoIgw, "no-igw")                          \
    X(NotAvailable, "not-available") X(Protocol, "protocol") X(NoMapping, "no-mapping")    \
    X(PortAllocation, "port-allocation") X(IdleTimeout, "idle-timeout")                    \
    X(PrivateNatToIgw, "private-nat-to-igw") X(NoAttachmentInAz, "no-attachment-in-az")    \
    X(AttachmentNotAvailable, "attachment-not-available") X(TableFull, "table_full")       \
    X(UnknownOrigin, "unknown-origin") X(OriginNotAvailable, "origin-not-available")       \
    X(FragmentWithoutFirst, "fragment-without-first")                                      \
    X(PolicyNotEvaluated, "policy-not-evaluated")

enum class Reason : uint8_t {
#define VPCFW_X(id, name) id,
    VPCFW_REASONS(VPCFW_X)
#undef VPCFW_X
    Count
};
inline constexpr const char* kReasonNames[] = {
#define VPCFW_X(id, name) name,
    VPCFW_REASONS(VPCFW_X)
#undef VPCFW_X
};


struct CompiledRuleset::Impl {
    std::vector<CompiledEni> enis;
    std::vector<AnyPeerRules> any_sets;
    std::vector<CompiledPrivateIp> private_ips;    // every ENI's, ENI order (CompiledEni::pip_begin)
    std::vector<CompiledSubnet> subnets;
    std::vector<IpAddr> subnet_routers6;
    std::vector<CompiledVpc> vpcs;
    std::vector<Cidr> vpc_cidrs;
    AddrIntervals vpc_by_addr;   // address -> first VPC (model order) whose CIDRs contain it
    std::vector<CompiledNat> nats;
    std::vector<CompiledPeering> peerings;
    std::vector<CompiledAttachment> attachments;
    std::vector<uint32_t> attachment_subnets;
    std::vector<CompiledVgw> vgws;
    std::vector<Cidr> vgw_routes;
    std::vector<CompiledEndpoint> endpoints;
    std::vector<OutsideRoute> outside_routes;
    std::vector<CompiledFib<RouteNh>> route_tables;
    std::vector<CompiledFib<TgwNh>> tgw_tables;

    // Address maps (first owner in model order, as the reference's scans).
    FlatMap<ScopedAddr, uint32_t> private_in_vpc;   // (vpc, addr) -> ENI
    FlatMap<ScopedAddr, uint32_t> private_any;      // (kNone, addr) -> ENI
    FlatMap<ScopedAddr, uint8_t> eni_address;       // (eni, addr) present
    FlatMap<ScopedAddr, PublicOwner> public_owner;  // (kNone, public IPv4) -> ENI + private IP
    FlatMap<ScopedAddr, PublicOwner> private_record;// (vpc, addr) -> ENI + PrivateIp (private_ips only)
    FlatMap<MacKey, uint32_t> mac_owner;            // ENI MAC -> ENI (first in model order)
    // Addresses of the model's public side (CompiledRuleset::is_public_address).
    FlatMap<ScopedAddr, uint8_t> public_address;
    struct PrefixOwner {
        Cidr cidr;
        uint32_t eni;
    };
    std::vector<PrefixOwner> prefixes;              // delegated prefixes, ENI order

    // Symbols.
    uint32_t sym_sg_state[2] = {};                  // "sg-ingress:state", "sg-egress:state"
    std::vector<uint32_t> sym_sg_pass[2];           // per group: "sg-ingress:sg-X" / "sg-egress:sg-X"
    std::vector<uint32_t> sym_nacl_star[2];         // per NACL: "acl-X:ingress:*"
    uint32_t sym_nacl_none[2] = {};                 // "none:ingress:*"
    std::vector<uint32_t> sym_rtb_none;             // per route table: "rtb-X:none"
    std::vector<uint32_t> sym_tgw_none;             // per TGW table: "tgw-rtb-X:none"
    std::vector<uint32_t> sym_att_unassoc;          // per attachment: "tgw-attach-X:unassociated"
    std::vector<uint32_t> sym_nat_rst;              // per NAT gateway: the RST note
    std::vector<uint32_t> sym_pcx_missing_peer;     // 2 per peering: far side accepter, requester
    uint32_t sym_gwlb_note = 0, sym_policy = 0;
    uint32_t sym_internet = 0;
    uint32_t sym_reason[static_cast<int>(Reason::Count)] = {};
    uint32_t sym_parse[16] = {};                    // by ParseReason
    uint32_t sym_service[6] = {};                   // by Service

    // Objects by id symbol for rule refs: NACL / SG rule names, interned by RuleRef.
    FlatMap<uint32_t, uint32_t> rule_sym;            // RuleRef.raw -> symbol
    std::vector<uint32_t> sym_igw, sym_eigw, sym_nat, sym_pcx, sym_att, sym_vgw, sym_endpoint;
    std::vector<uint32_t> edge_rtb_igw, edge_rtb_eigw, edge_rtb_vgw;  // gateway -> edge route table
};

} // namespace vpcfw
