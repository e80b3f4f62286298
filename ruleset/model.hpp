// The network model: every AWS object vpcfw evaluates, as plain data.
// Built by the loader (ruleset/loader.hpp), changed only by apply actions
// (ruleset/actions.hpp) on the control thread; readers take it by const reference.
// Cold: nothing here is used per packet by the compiled path (control/ compiles it).
//
// Ids are interned: every object lives in a vector of its kind, and `index` maps its AWS
// id to its dense position (`net.index.subnet.at("subnet-0a1")`). Cross-references that
// AWS exports by id are kept as the id string *and*, where the target must exist, as the
// dense index (kNone when absent). Vectors never shrink while a Network is alive, so an
// index stays valid across actions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ruleset/firewall.hpp"
#include "ruleset/ip.hpp"

namespace vpcfw {

using Idx = uint32_t;
inline constexpr Idx kNone = 0xffffffffu;

// IP protocol numbers the rules give meaning to.
inline constexpr int kProtoAll = -1;
inline constexpr int kProtoIcmp = 1;
inline constexpr int kProtoTcp = 6;
inline constexpr int kProtoUdp = 17;
inline constexpr int kProtoIcmpv6 = 58;

// ---------------------------------------------------------------------------------------
// VPCs and subnets

struct Vpc {
    std::string id;
    std::string state = "available";
    std::string owner;
    std::string name;                  // Name tag, for display
    std::vector<Cidr> cidrs4;          // associated IPv4 CIDRs; [0] is the primary
    std::vector<Cidr> cidrs6;          // associated IPv6 CIDRs
    std::string bpa_mode = "off";      // BlockPublicAccessStates.InternetGatewayBlockMode
    bool is_default = false;
    std::string region;                // from the directory layout or ARNs, may be empty
};

struct Subnet {
    std::string id;
    Idx vpc = kNone;
    std::string az;
    std::string az_id;
    std::string state = "available";
    std::string name;
    std::optional<Cidr> cidr4;         // absent for IPv6-only subnets
    std::vector<Cidr> cidrs6;
    bool map_public_ip_on_launch = false;
    std::string bpa_mode = "off";
};

// ---------------------------------------------------------------------------------------
// Route tables

enum class TargetKind : uint8_t {
    Local,            // GatewayId "local"
    InternetGateway,  // igw-
    EgressOnlyIgw,    // eigw-
    NatGateway,       // nat-
    NetworkInterface, // eni- (appliance) or InstanceId resolved to its primary ENI
    Peering,          // pcx-
    TransitGateway,   // tgw-
    VpnGateway,       // vgw-
    VpcEndpoint,      // vpce- (gateway endpoint, or GWLB endpoint)
    LocalGateway,     // lgw-  (Outposts: not modelled, drops)
    CarrierGateway,   // cagw- (Wavelength: not modelled, drops)
    CoreNetwork,      // Cloud WAN ARN (not modelled, drops)
    Unknown,
};

const char* target_kind_name(TargetKind k);

struct Route {
    std::optional<Cidr> dest;          // DestinationCidrBlock / DestinationIpv6CidrBlock
    std::string dest_prefix_list;      // DestinationPrefixListId (then dest is empty)
    TargetKind kind = TargetKind::Unknown;
    std::string target;                // the id as exported: "local", "igw-..", "eni-..", ...
    std::string instance_id;           // InstanceId, when the route names an instance
    std::string state = "active";      // active | blackhole | filtered
    std::string origin = "CreateRoute";// CreateRouteTable | CreateRoute | EnableVgwRoutePropagation | Advertisement
    bool propagated() const { return origin == "EnableVgwRoutePropagation" || origin == "Advertisement"; }
    std::string dest_str() const { return dest ? dest->str() : dest_prefix_list; }
};

struct RouteTableAssociation {
    std::string id;                    // rtbassoc-...
    bool main = false;
    std::string subnet_id;             // explicit subnet association
    std::string gateway_id;            // edge association (igw- / vgw-)
    std::string state = "associated";
};

struct RouteTable {
    std::string id;
    Idx vpc = kNone;
    std::string name;
    std::vector<RouteTableAssociation> associations;
    std::vector<Route> routes;
    std::vector<std::string> propagating_vgws;
};

// ---------------------------------------------------------------------------------------
// Security groups

enum class PeerKind : uint8_t { Cidr, PrefixList, Group };

// One rule = one permission x one peer (AWS describes several peers per permission; each
// element is its own rule for matching and for revocation).
struct SgRule {
    bool egress = false;
    int proto = kProtoAll;             // -1 or an IP protocol number ("tcp" -> 6)
    int from_port = -1;                // tcp/udp: port range; icmp: type; -1 = all
    int to_port = -1;                  // tcp/udp: port range; icmp: code; -1 = all
    PeerKind peer = PeerKind::Cidr;
    Cidr cidr;                         // PeerKind::Cidr (v4 or v6)
    std::string prefix_list;           // PeerKind::PrefixList
    std::string group_id;              // PeerKind::Group
    std::string group_vpc;             // UserIdGroupPairs[].VpcId (peer VPC), may be empty
    std::string peering_id;            // UserIdGroupPairs[].VpcPeeringConnectionId
    std::string rule_id;               // sgr-... when known
    std::string description;

    bool ports_apply() const { return proto == kProtoTcp || proto == kProtoUdp; }
    bool icmp() const { return proto == kProtoIcmp || proto == kProtoIcmpv6; }
    std::string peer_str() const;      // "0.0.0.0/0", "pl-..", "sg-.."
    std::string proto_ports_str() const; // "tcp/22", "tcp/1024-65535", "icmp/8:-1", "all"
};

struct SecurityGroup {
    std::string id;
    std::string name;                  // GroupName
    std::string description;
    std::string owner;
    Idx vpc = kNone;
    std::vector<SgRule> ingress;
    std::vector<SgRule> egress;
};

// ---------------------------------------------------------------------------------------
// Network ACLs

struct NaclEntry {
    int rule_number = 0;               // 1..32766; 32767 (IPv4 *) and 32768 (IPv6 *)
    bool egress = false;
    int proto = kProtoAll;
    bool allow = false;                // RuleAction allow | deny
    Cidr cidr;                         // CidrBlock or Ipv6CidrBlock
    int port_from = -1, port_to = -1;  // PortRange; -1 when absent
    int icmp_type = -1, icmp_code = -1;// IcmpTypeCode; -1 = all
    bool is_default_deny() const { return rule_number >= 32767; }
};

struct NaclAssociation {
    std::string id;                    // aclassoc-...
    std::string subnet_id;
};

struct NetworkAcl {
    std::string id;
    Idx vpc = kNone;
    bool is_default = false;
    std::string name;
    std::vector<NaclEntry> entries;    // both directions, sorted by (egress, rule_number)
    std::vector<NaclAssociation> associations;
};

// ---------------------------------------------------------------------------------------
// Network interfaces, instances, addresses

struct PrivateIp {
    IpAddr addr;
    bool primary = false;
    std::optional<IpAddr> public_ip;   // Association.PublicIp (auto-assigned or Elastic)
    std::string allocation_id;         // set when the public IP is an Elastic IP
    std::string association_id;
};

struct ConntrackTimeouts {             // ConnectionTrackingConfiguration, seconds
    int tcp_established = 432000;
    int udp_stream = 180;
    int udp = 30;
};

struct Eni {
    std::string id;
    Idx subnet = kNone;
    Idx vpc = kNone;
    std::string az;
    std::string interface_type = "interface"; // interface | nat_gateway | vpc_endpoint | transit_gateway | ...
    std::string status = "in-use";     // available | in-use | ...
    std::string mac;                   // lower case "0a:1b:..."
    std::vector<PrivateIp> private_ips;// [0] is the primary private IPv4 (when any)
    std::vector<IpAddr> ipv6;
    std::vector<Cidr> prefixes4;       // delegated prefixes (Ipv4Prefixes)
    std::vector<Cidr> prefixes6;
    std::vector<std::string> groups;   // security group ids, in export order
    bool source_dest_check = true;
    bool requester_managed = false;
    bool deny_all_igw = false;
    std::string description;
    std::string name;
    // Attachment (empty attachment_id = not attached)
    std::string attachment_id;
    std::string instance_id;
    int device_index = -1;
    std::string attachment_status;     // attaching | attached | detaching | detached
    ConntrackTimeouts timeouts;

    const PrivateIp* primary_ip() const { return private_ips.empty() ? nullptr : &private_ips[0]; }
};

struct Instance {
    std::string id;
    std::string state = "running";     // State.Name
    std::string subnet_id;
    std::string az;
    std::string name;
    std::vector<std::string> enis;     // its ENI ids, from Reservations
};

struct ElasticIp {
    IpAddr public_ip;
    std::string allocation_id;
    std::string association_id;        // empty when not associated
    std::string eni_id;
    std::string instance_id;
    std::optional<IpAddr> private_ip;
    std::string service_managed;       // alb | nlb | rnat | rds, when AWS owns it
};

// ---------------------------------------------------------------------------------------
// Gateways

struct GatewayAttachment {
    std::string vpc_id;
    std::string state = "available";   // available | attached | attaching | detaching | detached
};

struct InternetGateway {               // also used for egress-only internet gateways
    std::string id;
    std::string name;
    std::vector<GatewayAttachment> attachments;
};

struct NatAddress {
    std::string allocation_id;
    std::string eni_id;
    std::optional<IpAddr> private_ip;
    std::optional<IpAddr> public_ip;
    bool primary = false;
};

struct NatGateway {
    std::string id;
    Idx vpc = kNone;
    Idx subnet = kNone;
    std::string state = "available";   // pending | failed | available | deleting | deleted
    bool is_private = false;           // ConnectivityType private
    std::string name;
    std::vector<NatAddress> addresses; // [primary first]
};

struct PeeringSide {
    std::string vpc_id;
    std::string owner;
    std::string region;
    std::vector<Cidr> cidrs4;
    std::vector<Cidr> cidrs6;
};

struct PeeringConnection {
    std::string id;
    std::string status = "active";     // Status.Code
    PeeringSide requester, accepter;
    std::string name;
};

// ---------------------------------------------------------------------------------------
// Transit Gateways

struct TransitGateway {
    std::string id;
    std::string state = "available";
    std::string owner;
    std::string default_association_rtb;   // Options.AssociationDefaultRouteTableId
    std::string default_propagation_rtb;   // Options.PropagationDefaultRouteTableId
    bool sg_referencing = false;
    std::string name;
};

struct TgwAttachment {
    std::string id;                    // tgw-attach-...
    std::string tgw_id;
    std::string resource_type;         // vpc | vpn | direct-connect-gateway | connect | peering | ...
    std::string resource_id;           // vpc-..., vpn-..., ...
    std::string state = "available";
    std::string association_rtb;       // Association.TransitGatewayRouteTableId (associated)
    std::vector<std::string> subnet_ids;// VPC attachments: one subnet per AZ
    bool appliance_mode = false;
    // §8 TGW peering (resource "peering"): both TGWs list the attachment under one id; this
    // side is tgw_id / association_rtb, the other the peer's (when the export holds it).
    std::string peer_tgw_id;
    std::string peer_association_rtb;
    std::string name;
};

struct TgwRoute {
    std::optional<Cidr> dest;
    std::string dest_prefix_list;
    std::vector<std::string> attachments; // target attachment ids (empty for blackhole)
    std::string type = "static";       // static | propagated
    std::string state = "active";      // active | blackhole
    std::string propagated_from;       // resource type for propagated routes (vpc, vpn, direct-connect-gateway, connect)
};

struct TgwRouteTable {
    std::string id;
    std::string tgw_id;
    std::string state = "available";
    std::vector<TgwRoute> routes;      // static, blackhole and exported propagated routes
    std::vector<std::string> propagations; // attachment ids propagating into this table
    std::string name;
};

// ---------------------------------------------------------------------------------------
// VPN, endpoints, prefix lists

struct VpnGateway {
    std::string id;
    std::string state = "available";
    std::vector<GatewayAttachment> attachments;
    std::string name;
};

struct VpnConnection {
    std::string id;
    std::string state = "available";
    std::string vgw_id;                // VpnGatewayId (may be empty for TGW VPNs)
    std::string tgw_id;                // TransitGatewayId
    std::string customer_gateway_id;
    bool static_routes_only = false;
    std::vector<Cidr> routes;          // Routes[].DestinationCidrBlock (state available)
};

struct VpcEndpoint {
    std::string id;
    std::string type;                  // Interface | Gateway | GatewayLoadBalancer | ...
    Idx vpc = kNone;
    std::string service_name;
    std::string state = "available";
    std::vector<std::string> route_table_ids;
    std::vector<std::string> subnet_ids;
    std::vector<std::string> group_ids;
    std::vector<std::string> eni_ids;
    std::string policy;                // PolicyDocument as text
};

struct PrefixList {
    std::string id;
    std::string name;
    std::string family;                // IPv4 | IPv6 (may be empty for legacy lists)
    std::string owner;                 // "AWS" for AWS-managed
    int max_entries = 0;
    std::vector<Cidr> entries;
    bool entries_known = false;        // false when only describe-managed-prefix-lists was seen
};

// ---------------------------------------------------------------------------------------
// The whole network

struct Warning {
    std::string file;
    std::string where;
    std::string message;
    bool no_network_data = false;      // a file skipped for holding no AWS key (`-q` hides these)
};

struct Network {
    std::vector<Vpc> vpcs;
    std::vector<Subnet> subnets;
    std::vector<RouteTable> route_tables;
    std::vector<SecurityGroup> security_groups;
    std::vector<NetworkAcl> network_acls;
    std::vector<Eni> enis;
    std::vector<Instance> instances;
    std::vector<ElasticIp> elastic_ips;
    std::vector<InternetGateway> internet_gateways;
    std::vector<InternetGateway> egress_only_gateways;
    std::vector<NatGateway> nat_gateways;
    std::vector<PeeringConnection> peerings;
    std::vector<TransitGateway> transit_gateways;
    std::vector<TgwAttachment> tgw_attachments;
    std::vector<TgwRouteTable> tgw_route_tables;
    std::vector<VpnGateway> vpn_gateways;
    std::vector<VpnConnection> vpn_connections;
    std::vector<VpcEndpoint> endpoints;
    std::vector<PrefixList> prefix_lists;
    // AWS Network Firewall (docs/inspection.md §1; ruleset/firewall.hpp)
    std::vector<NfwFirewall> firewalls;
    std::vector<NfwPolicy> firewall_policies;
    std::vector<NfwRuleGroup> rule_groups;

    // id -> dense index, one map per kind.
    struct Index {
        std::unordered_map<std::string, Idx> vpc, subnet, route_table, security_group,
            network_acl, eni, instance, elastic_ip /* by AllocationId */, internet_gateway,
            egress_only_gateway, nat_gateway, peering, transit_gateway, tgw_attachment,
            tgw_route_table, vpn_gateway, vpn_connection, endpoint, prefix_list;
    } index;

    std::vector<Warning> warnings;     // loader warnings (skipped files, capped outputs)
    std::vector<std::string> sources;  // files the network was read from

    // Lookups by id; nullptr when absent.
    const Vpc* vpc(const std::string& id) const;
    const Subnet* subnet(const std::string& id) const;
    const SecurityGroup* security_group(const std::string& id) const;
    const NetworkAcl* network_acl(const std::string& id) const;
    const RouteTable* route_table(const std::string& id) const;
    const Eni* eni(const std::string& id) const;
    const Instance* instance(const std::string& id) const;
    const NatGateway* nat_gateway(const std::string& id) const;
    const PeeringConnection* peering(const std::string& id) const;
    const PrefixList* prefix_list(const std::string& id) const;
    const VpcEndpoint* endpoint(const std::string& id) const;
    const TgwAttachment* tgw_attachment(const std::string& id) const;
    const TgwRouteTable* tgw_route_table(const std::string& id) const;
    const TransitGateway* transit_gateway(const std::string& id) const;
    const VpnGateway* vpn_gateway(const std::string& id) const;
    const InternetGateway* internet_gateway(const std::string& id) const;
    const InternetGateway* egress_only_gateway(const std::string& id) const;

    // Derived relations (plain scans; the reference evaluator and lint use them).
    Idx route_table_of_subnet(Idx subnet) const;     // explicit association, else main; kNone if neither
    Idx main_route_table(Idx vpc) const;
    Idx edge_route_table(const std::string& gateway_id) const; // gateway association, kNone if none
    Idx nacl_of_subnet(Idx subnet) const;            // explicit association, else the VPC default
    Idx default_nacl(Idx vpc) const;
    Idx igw_of_vpc(Idx vpc) const;                   // attached internet gateway
    Idx eigw_of_vpc(Idx vpc) const;
    Idx vgw_of_vpc(Idx vpc) const;

    // AWS Network Firewall lookups (plain scans; cold). The firewall and endpoint a vpce id
    // names ({kNoFw, 0} when none); a policy or rule group by ARN.
    std::pair<uint32_t, uint32_t> firewall_endpoint(const std::string& vpce) const;
    const NfwPolicy* firewall_policy(const std::string& arn) const;
    const NfwRuleGroup* rule_group(const std::string& arn) const;

    // Rebuild `index` from the vectors (after the loader fills them).
    void reindex();
};

// A NAT gateway's addresses live on its ENI too: where the export gives them only in
// NatGatewayAddresses, copy the private/public pair onto the ENI's PrivateIp.
void fill_nat_public_ips(Network& net);

} // namespace vpcfw
