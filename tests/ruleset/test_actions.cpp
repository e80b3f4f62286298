// Unit tests for the AWS API actions (ruleset/actions.cpp): every action's effect on a
// hand-built network, every refusal code, and that a refused action changes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "ruleset/actions.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;
using nlohmann::json;

namespace {

Cidr cidr(const char* s) { return *Cidr::parse(s); }
IpAddr ip(const char* s) { return *IpAddr::parse(s); }

Route route(const char* dest, TargetKind kind, const char* target, const char* origin = "CreateRoute") {
    Route r;
    r.dest = cidr(dest);
    r.kind = kind;
    r.target = target;
    r.origin = origin;
    return r;
}

SgRule rule(bool egress, int proto, int from, int to, const char* peer, const char* id = "") {
    SgRule r;
    r.egress = egress;
    r.proto = proto;
    r.from_port = from;
    r.to_port = to;
    r.cidr = cidr(peer);
    r.rule_id = id;
    return r;
}

NaclEntry entry(int number, bool egress, bool allow, const char* c) {
    NaclEntry e;
    e.rule_number = number;
    e.egress = egress;
    e.allow = allow;
    e.cidr = cidr(c);
    return e;
}

Eni eni(const char* id, Idx subnet, const char* az, const char* addr, const char* instance, int device,
        const char* mac) {
    Eni e;
    e.id = id;
    e.subnet = subnet;
    e.vpc = 0;
    e.az = az;
    e.mac = mac;
    e.private_ips.push_back(PrivateIp{ip(addr), true, {}, {}, {}});
    e.groups = {"sg-web"};
    if (instance[0]) {
        e.instance_id = instance;
        e.device_index = device;
        e.attachment_id = std::string("eni-attach-") + (id + 4);
        e.attachment_status = "attached";
    } else {
        e.status = "available";
    }
    return e;
}

// Two VPCs. vpc-1 (10.0.0.0/16, 2001:db8::/56): subnet-a (us-east-1a), subnet-b (us-east-1b),
// a main and a private route table, an IGW, a NAT gateway, a VGW, an EIGW, a gateway
// endpoint, two SGs, a default and a custom NACL, three instances and their ENIs, and three
// Elastic IPs. vpc-2 (172.16.0.0/16) has its own subnet, table, IGW, SG and NACL.
Network fixture() {
    Network n;
    Vpc v1;
    v1.id = "vpc-1";
    v1.cidrs4 = {cidr("10.0.0.0/16")};
    v1.cidrs6 = {cidr("2001:db8::/56")};
    Vpc v2;
    v2.id = "vpc-2";
    v2.cidrs4 = {cidr("172.16.0.0/16")};
    n.vpcs = {v1, v2};

    Subnet a;
    a.id = "subnet-a";
    a.vpc = 0;
    a.az = "us-east-1a";
    a.cidr4 = cidr("10.0.1.0/24");
    a.cidrs6 = {cidr("2001:db8:0:1::/64")};
    Subnet b = a;
    b.id = "subnet-b";
    b.az = "us-east-1b";
    b.cidr4 = cidr("10.0.2.0/24");
    b.cidrs6 = {};
    Subnet c = a;
    c.id = "subnet-c";
    c.vpc = 1;
    c.cidr4 = cidr("172.16.1.0/24");
    c.cidrs6 = {};
    n.subnets = {a, b, c};

    RouteTable main;
    main.id = "rtb-main";
    main.vpc = 0;
    main.associations.push_back(RouteTableAssociation{"rtbassoc-main", true, "", "", "associated"});
    main.routes.push_back(route("10.0.0.0/16", TargetKind::Local, "local", "CreateRouteTable"));
    main.routes.push_back(route("2001:db8::/56", TargetKind::Local, "local", "CreateRouteTable"));
    main.routes.push_back(route("0.0.0.0/0", TargetKind::InternetGateway, "igw-1"));
    main.routes.push_back(route("192.168.0.0/16", TargetKind::VpnGateway, "vgw-1", "EnableVgwRoutePropagation"));
    RouteTable priv;
    priv.id = "rtb-priv";
    priv.vpc = 0;
    priv.associations.push_back(RouteTableAssociation{"rtbassoc-a", false, "subnet-a", "", "associated"});
    priv.routes.push_back(route("10.0.0.0/16", TargetKind::Local, "local", "CreateRouteTable"));
    priv.routes.push_back(route("0.0.0.0/0", TargetKind::NatGateway, "nat-1"));
    RouteTable other;
    other.id = "rtb-other";
    other.vpc = 1;
    other.associations.push_back(RouteTableAssociation{"rtbassoc-other", true, "", "", "associated"});
    other.routes.push_back(route("172.16.0.0/16", TargetKind::Local, "local", "CreateRouteTable"));
    n.route_tables = {main, priv, other};

    SecurityGroup web;
    web.id = "sg-web";
    web.name = "web";
    web.vpc = 0;
    web.ingress.push_back(rule(false, kProtoTcp, 443, 443, "0.0.0.0/0", "sgr-web443"));
    web.egress.push_back(rule(true, kProtoAll, -1, -1, "0.0.0.0/0", "sgr-webout"));
    SecurityGroup db;
    db.id = "sg-db";
    db.name = "db";
    db.vpc = 0;
    SgRule from_web;
    from_web.proto = kProtoTcp;
    from_web.from_port = from_web.to_port = 5432;
    from_web.peer = PeerKind::Group;
    from_web.group_id = "sg-web";
    db.ingress.push_back(from_web);
    SecurityGroup far;
    far.id = "sg-far";
    far.name = "far";
    far.vpc = 1;
    n.security_groups = {web, db, far};

    NetworkAcl def;
    def.id = "acl-def";
    def.vpc = 0;
    def.is_default = true;
    def.entries = {entry(100, false, true, "0.0.0.0/0"), entry(32767, false, false, "0.0.0.0/0"),
                   entry(100, true, true, "0.0.0.0/0"), entry(32767, true, false, "0.0.0.0/0")};
    def.associations = {NaclAssociation{"aclassoc-a", "subnet-a"}, NaclAssociation{"aclassoc-b", "subnet-b"}};
    NetworkAcl custom;
    custom.id = "acl-custom";
    custom.vpc = 0;
    custom.entries = {entry(32767, false, false, "0.0.0.0/0"), entry(32767, true, false, "0.0.0.0/0")};
    NetworkAcl acl2;
    acl2.id = "acl-far";
    acl2.vpc = 1;
    acl2.is_default = true;
    acl2.associations = {NaclAssociation{"aclassoc-c", "subnet-c"}};
    n.network_acls = {def, custom, acl2};

    n.enis.push_back(eni("eni-web0", 0, "us-east-1a", "10.0.1.10", "i-web", 0, "0a:00:00:00:00:10"));
    n.enis[0].private_ips.push_back(PrivateIp{ip("10.0.1.11"), false, ip("198.51.100.50"), {}, {}});
    n.enis[0].private_ips[0].public_ip = ip("203.0.113.10");
    n.enis[0].private_ips[0].allocation_id = "eipalloc-1";
    n.enis[0].private_ips[0].association_id = "eipassoc-1";
    n.enis.push_back(eni("eni-web1", 0, "us-east-1a", "10.0.1.20", "i-web", 1, "0a:00:00:00:00:20"));
    n.enis[1].private_ips[0].public_ip = ip("203.0.113.30");
    n.enis[1].private_ips[0].allocation_id = "eipalloc-3";
    n.enis[1].private_ips[0].association_id = "eipassoc-3";
    n.enis.push_back(eni("eni-spare0", 0, "us-east-1a", "10.0.1.30", "i-spare", 0, "0a:00:00:00:00:30"));
    n.enis.push_back(eni("eni-free", 0, "us-east-1a", "10.0.1.40", "", -1, "0a:00:00:00:00:40"));
    n.enis.push_back(eni("eni-far0", 1, "us-east-1b", "10.0.2.10", "i-far", 0, "0a:00:00:00:00:50"));
    n.enis.push_back(eni("eni-nat", 0, "us-east-1a", "10.0.1.5", "", -1, "0a:00:00:00:00:05"));
    n.enis.back().requester_managed = true;
    n.enis.back().interface_type = "nat_gateway";
    n.enis.back().groups.clear();

    Instance iw;
    iw.id = "i-web";
    iw.az = "us-east-1a";
    iw.subnet_id = "subnet-a";
    iw.enis = {"eni-web0", "eni-web1"};
    Instance is;
    is.id = "i-spare";
    is.az = "us-east-1a";
    is.subnet_id = "subnet-a";
    is.enis = {"eni-spare0"};
    Instance ifar;
    ifar.id = "i-far";
    ifar.az = "us-east-1b";
    ifar.subnet_id = "subnet-b";
    ifar.enis = {"eni-far0"};
    n.instances = {iw, is, ifar};

    ElasticIp e1{ip("203.0.113.10"), "eipalloc-1", "eipassoc-1", "eni-web0", "i-web", ip("10.0.1.10"), ""};
    ElasticIp e2{ip("203.0.113.20"), "eipalloc-2", "", "", "", std::nullopt, ""};
    ElasticIp e3{ip("203.0.113.30"), "eipalloc-3", "eipassoc-3", "eni-web1", "i-web", ip("10.0.1.20"), ""};
    n.elastic_ips = {e1, e2, e3};

    InternetGateway igw1;
    igw1.id = "igw-1";
    igw1.attachments = {GatewayAttachment{"vpc-1", "available"}};
    InternetGateway igw2;
    igw2.id = "igw-2";
    igw2.attachments = {GatewayAttachment{"vpc-2", "available"}};
    n.internet_gateways = {igw1, igw2};
    InternetGateway eigw;
    eigw.id = "eigw-1";
    eigw.attachments = {GatewayAttachment{"vpc-1", "attached"}};
    n.egress_only_gateways = {eigw};

    NatGateway nat;
    nat.id = "nat-1";
    nat.vpc = 0;
    nat.subnet = 0;
    n.nat_gateways = {nat};

    VpnGateway vgw;
    vgw.id = "vgw-1";
    vgw.attachments = {GatewayAttachment{"vpc-1", "attached"}};
    n.vpn_gateways = {vgw};

    PeeringConnection pcx;
    pcx.id = "pcx-1";
    pcx.requester.vpc_id = "vpc-1";
    pcx.accepter.vpc_id = "vpc-2";
    n.peerings = {pcx};

    TransitGateway tgw;
    tgw.id = "tgw-1";
    n.transit_gateways = {tgw};

    VpcEndpoint ep;
    ep.id = "vpce-1";
    ep.type = "GatewayLoadBalancer";
    ep.vpc = 0;
    n.endpoints = {ep};

    PrefixList pl;
    pl.id = "pl-1";
    pl.family = "IPv4";
    pl.entries = {cidr("54.231.0.0/16")};
    pl.entries_known = true;
    n.prefix_lists = {pl};

    n.reindex();
    return n;
}

// Every field the actions may change, as text: equal dumps = unchanged model.
std::string dump(const Network& n) {
    std::ostringstream o;
    for (const auto& g : n.security_groups) {
        o << "sg " << g.id << "\n";
        for (const auto* list : {&g.ingress, &g.egress})
            for (const auto& r : *list)
                o << " " << r.egress << " " << r.proto << " " << r.from_port << " " << r.to_port << " "
                  << int(r.peer) << " " << r.peer_str() << " " << r.group_vpc << " " << r.peering_id << " "
                  << r.rule_id << " " << r.description << "\n";
    }
    for (const auto& a : n.network_acls) {
        o << "acl " << a.id << "\n";
        for (const auto& e : a.entries)
            o << " " << e.rule_number << " " << e.egress << " " << e.proto << " " << e.allow << " " << e.cidr.str()
              << " " << e.port_from << " " << e.port_to << " " << e.icmp_type << " " << e.icmp_code << "\n";
        for (const auto& s : a.associations) o << " assoc " << s.id << " " << s.subnet_id << "\n";
    }
    for (const auto& t : n.route_tables) {
        o << "rtb " << t.id << "\n";
        for (const auto& r : t.routes)
            o << " " << r.dest_str() << " " << int(r.kind) << " " << r.target << " " << r.instance_id << " "
              << r.state << " " << r.origin << "\n";
        for (const auto& s : t.associations)
            o << " assoc " << s.id << " " << s.main << " " << s.subnet_id << " " << s.gateway_id << " " << s.state
              << "\n";
    }
    for (const auto& e : n.enis) {
        o << "eni " << e.id << " " << e.status << " " << e.mac << " " << e.attachment_id << " " << e.instance_id
          << " " << e.device_index << " " << e.attachment_status << " " << e.source_dest_check << " "
          << e.description << " " << e.timeouts.tcp_established << " " << e.timeouts.udp_stream << " "
          << e.timeouts.udp << "\n";
        for (const auto& g : e.groups) o << " group " << g << "\n";
        for (const auto& p : e.private_ips)
            o << " ip " << p.addr.str() << " " << p.primary << " " << (p.public_ip ? p.public_ip->str() : "-") << " "
              << p.allocation_id << " " << p.association_id << "\n";
    }
    for (const auto& i : n.instances) {
        o << "instance " << i.id;
        for (const auto& e : i.enis) o << " " << e;
        o << "\n";
    }
    for (const auto& e : n.elastic_ips)
        o << "eip " << e.public_ip.str() << " " << e.allocation_id << " " << e.association_id << " " << e.eni_id
          << " " << e.instance_id << " " << (e.private_ip ? e.private_ip->str() : "-") << "\n";
    return o.str();
}

Result<ActionEffect> apply(Network& n, const std::string& action, const char* params) {
    return apply_action(n, action, json::parse(params));
}

// Applies an action that must succeed.
ActionEffect ok(Network& n, const std::string& action, const char* params) {
    Result<ActionEffect> r = apply(n, action, params);
    EXPECT_TRUE(r.ok()) << action << " " << params << ": " << (r.ok() ? "" : r.error().str());
    return r.ok() ? *r : ActionEffect{};
}

// Applies an action that must be refused with `code`, and checks nothing changed.
void refused(Network& n, const std::string& action, const char* params, const std::string& code) {
    std::string before = dump(n);
    Result<ActionEffect> r = apply(n, action, params);
    ASSERT_FALSE(r.ok()) << action << " " << params << " was accepted";
    EXPECT_EQ(r.error().code, code) << action << " " << params << ": " << r.error().str();
    EXPECT_FALSE(r.error().message.empty());
    EXPECT_EQ(dump(n), before) << action << " " << params << " changed the model";
}

const SecurityGroup& group(const Network& n, const char* id) { return *n.security_group(id); }
const Eni& eni_of(const Network& n, const char* id) { return *n.eni(id); }
const ElasticIp& eip(const Network& n, const char* alloc) { return n.elastic_ips[n.index.elastic_ip.at(alloc)]; }

const Route* find_route(const Network& n, const char* table, const char* dest) {
    for (const auto& r : n.route_tables[n.index.route_table.at(table)].routes)
        if (r.dest_str() == dest && !r.propagated()) return &r;
    return nullptr;
}

} // namespace

// ---------------------------------------------------------------------------------------
// General

TEST(Actions, SupportedListHasEveryRequiredAction) {
    const char* required[] = {"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                              "RevokeSecurityGroupIngress",    "RevokeSecurityGroupEgress",
                              "CreateNetworkAclEntry",         "ReplaceNetworkAclEntry",
                              "DeleteNetworkAclEntry",         "ReplaceNetworkAclAssociation",
                              "CreateRoute",                   "ReplaceRoute",
                              "DeleteRoute",                   "ReplaceRouteTableAssociation",
                              "AssociateAddress",              "DisassociateAddress",
                              "AttachNetworkInterface",        "DetachNetworkInterface",
                              "ModifyNetworkInterfaceAttribute"};
    const auto& list = supported_actions();
    for (const char* a : required) EXPECT_NE(std::find(list.begin(), list.end(), a), list.end()) << a;
}

TEST(Actions, UnknownActionIsRefused) {
    Network n = fixture();
    refused(n, "DeleteVpc", R"({"VpcId":"vpc-1"})", "InvalidAction");
}

TEST(Actions, NonObjectParamsAreRefused) {
    Network n = fixture();
    refused(n, "CreateRoute", R"([1,2])", "InvalidParameterValue");
    refused(n, "CreateRoute", R"("rtb-main")", "InvalidParameterValue");
}

// Every action with empty, missing or wrongly typed parameters: a refusal, never a crash
// and never a change.
TEST(Actions, GarbageParamsNeverCrashOrChange) {
    const char* garbage[] = {
        R"({})",
        R"(null)",
        R"({"GroupId":5,"IpPermissions":"x","NetworkAclId":[],"RouteTableId":{},"AllocationId":true})",
        R"({"GroupId":"sg-web","IpPermissions":[5,"x",null],"SecurityGroupRuleIds":[1]})",
        R"({"NetworkAclId":"acl-def","RuleNumber":"x","Egress":"maybe","Protocol":[],"PortRange":5})",
        R"({"RouteTableId":"rtb-main","DestinationCidrBlock":12,"GatewayId":{"a":1}})",
        R"({"NetworkInterfaceId":"eni-web0","InstanceId":7,"DeviceIndex":"z","AttachmentId":[]})",
        R"({"NetworkInterfaceId":"eni-web0","ConnectionTrackingSpecification":"x"})",
        R"({"NetworkInterfaceId":"eni-web0","Groups":"sg-web"})",
        R"({"AssociationId":{},"PublicIp":3})",
        R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp","FromPort":99999999999999999999}]})",
    };
    for (const std::string& action : supported_actions())
        for (const char* g : garbage) {
            Network n = fixture();
            std::string before = dump(n);
            Result<ActionEffect> r = apply(n, action, g);
            EXPECT_FALSE(r.ok()) << action << " " << g;
            if (!r.ok()) {
                EXPECT_NE(r.error().code, "InvalidAction") << action;
                EXPECT_FALSE(r.error().code.empty()) << action << " " << g;
            }
            EXPECT_EQ(dump(n), before) << action << " " << g;
        }
}

// ---------------------------------------------------------------------------------------
// Security groups

TEST(Actions, AuthorizeIngressAddsOneRulePerPeer) {
    Network n = fixture();
    ok(n, "AuthorizeSecurityGroupIngress", R"({"GroupId":"sg-db","IpPermissions":[{
        "IpProtocol":"tcp","FromPort":22,"ToPort":22,
        "IpRanges":[{"CidrIp":"203.0.113.0/24","Description":"office"}],
        "Ipv6Ranges":[{"CidrIpv6":"2001:db8:1234:1a00::/64"}],
        "PrefixListIds":[{"PrefixListId":"pl-1"}],
        "UserIdGroupPairs":[{"GroupId":"sg-db"}]}]})");
    const auto& in = group(n, "sg-db").ingress;
    ASSERT_EQ(in.size(), 5u);
    EXPECT_EQ(in[1].peer_str(), "203.0.113.0/24");
    EXPECT_EQ(in[1].description, "office");
    EXPECT_EQ(in[1].proto, kProtoTcp);
    EXPECT_EQ(in[1].from_port, 22);
    EXPECT_EQ(in[1].to_port, 22);
    EXPECT_FALSE(in[1].egress);
    EXPECT_EQ(in[2].peer_str(), "2001:db8:1234:1a00::/64");
    EXPECT_EQ(in[3].peer, PeerKind::PrefixList);
    EXPECT_EQ(in[3].prefix_list, "pl-1");
    EXPECT_EQ(in[4].peer, PeerKind::Group);
    EXPECT_EQ(in[4].group_id, "sg-db");
    for (size_t i = 1; i < in.size(); ++i) {
        EXPECT_EQ(in[i].rule_id.rfind("sgr-", 0), 0u);
        EXPECT_EQ(in[i].rule_id.size(), 21u);
        for (size_t j = 1; j < i; ++j) EXPECT_NE(in[i].rule_id, in[j].rule_id);
    }
    // Deterministic: the same action on a fresh copy gives the same rule ids.
    Network m = fixture();
    ok(m, "AuthorizeSecurityGroupIngress", R"({"GroupId":"sg-db","IpPermissions":[{
        "IpProtocol":"tcp","FromPort":22,"ToPort":22,
        "IpRanges":[{"CidrIp":"203.0.113.0/24","Description":"office"}],
        "Ipv6Ranges":[{"CidrIpv6":"2001:db8:1234:1a00::/64"}],
        "PrefixListIds":[{"PrefixListId":"pl-1"}],
        "UserIdGroupPairs":[{"GroupId":"sg-db"}]}]})");
    EXPECT_EQ(dump(m), dump(n));
}

TEST(Actions, AuthorizeNormalisesProtocolsAndPorts) {
    Network n = fixture();
    ok(n, "AuthorizeSecurityGroupIngress", R"({"GroupId":"sg-db","IpPermissions":[
        {"IpProtocol":"-1","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"10.1.0.0/16"}]},
        {"IpProtocol":"50","IpRanges":[{"CidrIp":"10.2.0.0/16"}]},
        {"IpProtocol":"icmp","FromPort":8,"ToPort":-1,"IpRanges":[{"CidrIp":"10.3.0.0/16"}]},
        {"IpProtocol":"icmpv6","Ipv6Ranges":[{"CidrIpv6":"::/0"}]},
        {"IpProtocol":"17","FromPort":53,"ToPort":53,"IpRanges":[{"CidrIp":"10.4.0.5/16"}]}]})");
    const auto& in = group(n, "sg-db").ingress;
    ASSERT_EQ(in.size(), 6u);
    EXPECT_EQ(in[1].proto, kProtoAll);
    EXPECT_EQ(in[1].from_port, -1); // ports ignored for -1
    EXPECT_EQ(in[2].proto, 50);
    EXPECT_EQ(in[2].to_port, -1);
    EXPECT_EQ(in[3].proto, kProtoIcmp);
    EXPECT_EQ(in[3].from_port, 8);
    EXPECT_EQ(in[3].to_port, -1);
    EXPECT_EQ(in[4].proto, kProtoIcmpv6);
    EXPECT_EQ(in[4].from_port, -1);
    EXPECT_EQ(in[5].proto, kProtoUdp);
    EXPECT_EQ(in[5].cidr.str(), "10.4.0.0/16"); // canonicalised
}

TEST(Actions, AuthorizeEgressAndRevokeEgress) {
    Network n = fixture();
    ok(n, "AuthorizeSecurityGroupEgress", R"({"GroupId":"sg-db","IpPermissions":[
        {"IpProtocol":"tcp","FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]})");
    ASSERT_EQ(group(n, "sg-db").egress.size(), 1u);
    EXPECT_TRUE(group(n, "sg-db").egress[0].egress);
    EXPECT_TRUE(group(n, "sg-db").ingress.size() == 1u);
    ok(n, "RevokeSecurityGroupEgress", R"({"GroupId":"sg-db","IpPermissions":[
        {"IpProtocol":"6","FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]})");
    EXPECT_TRUE(group(n, "sg-db").egress.empty());
}

TEST(Actions, AuthorizeDuplicateIsRefused) {
    Network n = fixture();
    // Same rule as the existing tcp/443 0.0.0.0/0, spelt "6" and with another description.
    refused(n, "AuthorizeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"6",
        "FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0","Description":"other"}]}]})",
            "InvalidPermission.Duplicate");
    refused(n, "AuthorizeSecurityGroupEgress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"-1",
        "IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]})", "InvalidPermission.Duplicate");
    // A new rule and a duplicate in one request: nothing is added.
    refused(n, "AuthorizeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp",
        "FromPort":80,"ToPort":80,"IpRanges":[{"CidrIp":"0.0.0.0/0"}, {"CidrIp":"0.0.0.0/0"}]}]})",
            "InvalidPermission.Duplicate");
    refused(n, "AuthorizeSecurityGroupIngress", R"({"GroupId":"sg-db","IpPermissions":[{"IpProtocol":"tcp",
        "FromPort":5432,"ToPort":5432,"UserIdGroupPairs":[{"GroupId":"sg-web","Description":"x"}]}]})",
            "InvalidPermission.Duplicate");
}

TEST(Actions, AuthorizeRefusals) {
    Network n = fixture();
    const char* sg = "AuthorizeSecurityGroupIngress";
    refused(n, sg, R"({"GroupId":"sg-nothere1","IpPermissions":[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,
        "IpRanges":[{"CidrIp":"10.0.0.0/8"}]}]})", "InvalidGroup.NotFound");
    refused(n, sg, R"({"GroupId":"bogus","IpPermissions":[]})", "InvalidGroupId.Malformed");
    refused(n, sg, R"({"GroupId":"sg-","IpPermissions":[]})", "InvalidGroupId.Malformed");
    refused(n, sg, R"({"GroupId":"sg-a/b","IpPermissions":[]})", "InvalidGroupId.Malformed");
    refused(n, sg, R"({"IpPermissions":[]})", "MissingParameter");
    refused(n, sg, R"({"GroupId":"sg-web"})", "MissingParameter");
    // Referenced group, prefix list.
    refused(n, sg, R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,
        "UserIdGroupPairs":[{"GroupId":"sg-gone"}]}]})", "InvalidGroup.NotFound");
    refused(n, sg, R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,
        "PrefixListIds":[{"PrefixListId":"pl-gone"}]}]})", "InvalidPrefixListId.NotFound");
    // Bad ports, protocols, CIDRs.
    const char* bad[] = {
        R"({"IpProtocol":"tcp","FromPort":23,"ToPort":22,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"tcp","FromPort":0,"ToPort":70000,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"udp","FromPort":-1,"ToPort":-1,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"tcp","IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"tcp","FromPort":22,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"foo","IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"256","IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"10.0.0.0/33"}]})",
        R"({"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"2001:db8::/32"}]})",
        R"({"IpProtocol":"tcp","FromPort":22,"ToPort":22,"Ipv6Ranges":[{"CidrIpv6":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"icmp","FromPort":-1,"ToPort":0,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"icmp","FromPort":256,"ToPort":-1,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]})",
        R"({"IpProtocol":"icmpv6","FromPort":1,"ToPort":300,"Ipv6Ranges":[{"CidrIpv6":"::/0"}]})",
        R"({"IpProtocol":"tcp","FromPort":22,"ToPort":22})",
    };
    for (const char* p : bad) {
        std::string params = std::string(R"({"GroupId":"sg-web","IpPermissions":[)") + p + "]}";
        refused(n, sg, params.c_str(), "InvalidParameterValue");
    }
    // A valid permission followed by an invalid one: nothing is added.
    refused(n, sg, R"({"GroupId":"sg-web","IpPermissions":[
        {"IpProtocol":"tcp","FromPort":80,"ToPort":80,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]},
        {"IpProtocol":"tcp","FromPort":90,"ToPort":80,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]})",
            "InvalidParameterValue");
}

TEST(Actions, AuthorizeByGroupNameAndLegacyTopLevelFields) {
    Network n = fixture();
    ok(n, "AuthorizeSecurityGroupIngress",
       R"({"GroupName":"db","IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIp":"10.9.0.0/16"})");
    ASSERT_EQ(group(n, "sg-db").ingress.size(), 2u);
    EXPECT_EQ(group(n, "sg-db").ingress[1].peer_str(), "10.9.0.0/16");
    refused(n, "AuthorizeSecurityGroupIngress", R"({"GroupName":"nosuch","IpPermissions":[]})",
            "InvalidGroup.NotFound");
}

TEST(Actions, RevokeIngressByPermissionAndByRuleId) {
    Network n = fixture();
    ok(n, "RevokeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp",
        "FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]})");
    EXPECT_TRUE(group(n, "sg-web").ingress.empty());
    refused(n, "RevokeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp",
        "FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]})", "InvalidPermission.NotFound");

    Network m = fixture();
    ok(m, "RevokeSecurityGroupEgress", R"({"GroupId":"sg-web","SecurityGroupRuleIds":["sgr-webout"]})");
    EXPECT_TRUE(group(m, "sg-web").egress.empty());
    EXPECT_EQ(group(m, "sg-web").ingress.size(), 1u);
    refused(m, "RevokeSecurityGroupIngress", R"({"GroupId":"sg-web","SecurityGroupRuleIds":["sgr-nope"]})",
            "InvalidSecurityGroupRuleId.NotFound");
    // An ingress rule id is not an egress rule.
    refused(m, "RevokeSecurityGroupEgress", R"({"GroupId":"sg-web","SecurityGroupRuleIds":["sgr-web443"]})",
            "InvalidSecurityGroupRuleId.NotFound");
    // The rule a new authorize created can be revoked by its id.
    ok(m, "AuthorizeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"udp",
        "FromPort":53,"ToPort":53,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]}]})");
    std::string id = group(m, "sg-web").ingress.back().rule_id;
    std::string params = R"({"GroupId":"sg-web","SecurityGroupRuleIds":[")" + id + R"("]})";
    ok(m, "RevokeSecurityGroupIngress", params.c_str());
    EXPECT_EQ(group(m, "sg-web").ingress.size(), 1u);
}

TEST(Actions, RevokeRefusals) {
    Network n = fixture();
    // One existing and one missing rule: refused, nothing removed.
    refused(n, "RevokeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp",
        "FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0"},{"CidrIp":"10.0.0.0/8"}]}]})",
            "InvalidPermission.NotFound");
    // Ports must agree exactly.
    refused(n, "RevokeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp",
        "FromPort":443,"ToPort":444,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]})", "InvalidPermission.NotFound");
    refused(n, "RevokeSecurityGroupEgress", R"({"GroupId":"sg-nothere1","IpPermissions":[{"IpProtocol":"-1",
        "IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]})", "InvalidGroup.NotFound");
    refused(n, "RevokeSecurityGroupEgress", R"({"GroupId":"xx-1","IpPermissions":[]})", "InvalidGroupId.Malformed");
    refused(n, "RevokeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"tcp",
        "FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/99"}]}]})", "InvalidParameterValue");
    refused(n, "RevokeSecurityGroupIngress", R"({"GroupId":"sg-web"})", "MissingParameter");
}

TEST(Actions, EmptyPermissionListChangesNothing) {
    Network n = fixture();
    std::string before = dump(n);
    ok(n, "RevokeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[]})");
    ok(n, "AuthorizeSecurityGroupIngress", R"({"GroupId":"sg-web","IpPermissions":[]})");
    EXPECT_EQ(dump(n), before);
}

// ---------------------------------------------------------------------------------------
// Network ACLs

TEST(Actions, CreateNetworkAclEntryKeepsOrder) {
    Network n = fixture();
    ok(n, "CreateNetworkAclEntry", R"({"NetworkAclId":"acl-custom","RuleNumber":100,"Protocol":"6",
        "RuleAction":"allow","Egress":false,"CidrBlock":"0.0.0.0/0","PortRange":{"From":443,"To":443}})");
    ok(n, "CreateNetworkAclEntry", R"({"NetworkAclId":"acl-custom","RuleNumber":90,"Protocol":"tcp",
        "RuleAction":"deny","Egress":false,"CidrBlock":"198.51.100.7/24","PortRange":{"From":443,"To":443}})");
    ok(n, "CreateNetworkAclEntry", R"({"NetworkAclId":"acl-custom","RuleNumber":100,"Protocol":"-1",
        "RuleAction":"allow","Egress":true,"Ipv6CidrBlock":"::/0"})");
    ok(n, "CreateNetworkAclEntry", R"({"NetworkAclId":"acl-custom","RuleNumber":110,"Protocol":"1",
        "RuleAction":"allow","Egress":true,"CidrBlock":"0.0.0.0/0","IcmpTypeCode":{"Type":3,"Code":4}})");
    const auto& e = n.network_acl("acl-custom")->entries;
    ASSERT_EQ(e.size(), 6u);
    EXPECT_EQ(e[0].rule_number, 90);
    EXPECT_FALSE(e[0].allow);
    EXPECT_EQ(e[0].cidr.str(), "198.51.100.0/24");
    EXPECT_EQ(e[0].proto, kProtoTcp);
    EXPECT_EQ(e[1].rule_number, 100);
    EXPECT_EQ(e[1].port_from, 443);
    EXPECT_EQ(e[1].port_to, 443);
    EXPECT_EQ(e[2].rule_number, 32767);
    EXPECT_FALSE(e[2].egress);
    EXPECT_TRUE(e[3].egress);
    EXPECT_EQ(e[3].rule_number, 100);
    EXPECT_EQ(e[3].cidr.str(), "::/0");
    EXPECT_EQ(e[4].rule_number, 110);
    EXPECT_EQ(e[4].icmp_type, 3);
    EXPECT_EQ(e[4].icmp_code, 4);
    EXPECT_EQ(e[5].rule_number, 32767);
}

TEST(Actions, NetworkAclEntryRefusals) {
    Network n = fixture();
    const char* c = "CreateNetworkAclEntry";
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":100,"Protocol":"-1","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0"})", "NetworkAclEntryAlreadyExists");
    refused(n, c, R"({"NetworkAclId":"acl-nope","RuleNumber":100,"Protocol":"-1","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0"})", "InvalidNetworkAclID.NotFound");
    for (const char* number : {"0", "32767", "32768", "-5", "70000"}) {
        std::string p = std::string(R"({"NetworkAclId":"acl-def","RuleNumber":)") + number +
                        R"(,"Protocol":"-1","RuleAction":"deny","Egress":false,"CidrBlock":"0.0.0.0/0"})";
        refused(n, c, p.c_str(), "InvalidParameterValue");
    }
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"6","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0"})", "MissingParameter");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"6","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0","PortRange":{"From":80,"To":79}})", "InvalidParameterValue");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"17","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0","PortRange":{"From":80,"To":65536}})", "InvalidParameterValue");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"1","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0"})", "MissingParameter");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"1","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0","IcmpTypeCode":{"Type":300,"Code":0}})", "InvalidParameterValue");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"gre","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0"})", "InvalidParameterValue");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"-1","RuleAction":"block",
        "Egress":false,"CidrBlock":"0.0.0.0/0"})", "InvalidParameterValue");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"-1","RuleAction":"deny",
        "Egress":false,"CidrBlock":"10.0.0.0/40"})", "InvalidParameterValue");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"-1","RuleAction":"deny",
        "Egress":false,"CidrBlock":"::/0"})", "InvalidParameterValue");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"-1","RuleAction":"deny",
        "Egress":false,"CidrBlock":"0.0.0.0/0","Ipv6CidrBlock":"::/0"})", "InvalidParameterCombination");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"-1","RuleAction":"deny",
        "Egress":false})", "MissingParameter");
    refused(n, c, R"({"NetworkAclId":"acl-def","RuleNumber":1,"Protocol":"-1","RuleAction":"deny",
        "CidrBlock":"0.0.0.0/0"})", "MissingParameter");
}

TEST(Actions, ReplaceAndDeleteNetworkAclEntry) {
    Network n = fixture();
    ok(n, "ReplaceNetworkAclEntry", R"({"NetworkAclId":"acl-def","RuleNumber":100,"Protocol":"tcp",
        "RuleAction":"deny","Egress":true,"CidrBlock":"10.0.0.0/8","PortRange":{"From":22,"To":22}})");
    const auto& e = n.network_acl("acl-def")->entries;
    ASSERT_EQ(e.size(), 4u);
    EXPECT_TRUE(e[2].egress);
    EXPECT_EQ(e[2].rule_number, 100);
    EXPECT_FALSE(e[2].allow);
    EXPECT_EQ(e[2].proto, kProtoTcp);
    EXPECT_EQ(e[2].cidr.str(), "10.0.0.0/8");
    EXPECT_TRUE(e[0].allow); // the ingress entry 100 is another entry
    refused(n, "ReplaceNetworkAclEntry", R"({"NetworkAclId":"acl-def","RuleNumber":101,"Protocol":"-1",
        "RuleAction":"deny","Egress":true,"CidrBlock":"0.0.0.0/0"})", "InvalidNetworkAclEntry.NotFound");
    refused(n, "ReplaceNetworkAclEntry", R"({"NetworkAclId":"acl-x","RuleNumber":100,"Protocol":"-1",
        "RuleAction":"deny","Egress":true,"CidrBlock":"0.0.0.0/0"})", "InvalidNetworkAclID.NotFound");

    ok(n, "DeleteNetworkAclEntry", R"({"NetworkAclId":"acl-def","RuleNumber":100,"Egress":false})");
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].rule_number, 32767);
    refused(n, "DeleteNetworkAclEntry", R"({"NetworkAclId":"acl-def","RuleNumber":100,"Egress":false})",
            "InvalidNetworkAclEntry.NotFound");
    refused(n, "DeleteNetworkAclEntry", R"({"NetworkAclId":"acl-def","RuleNumber":32767,"Egress":true})",
            "InvalidParameterValue");
    refused(n, "DeleteNetworkAclEntry", R"({"NetworkAclId":"acl-nope","RuleNumber":100,"Egress":true})",
            "InvalidNetworkAclID.NotFound");
    refused(n, "DeleteNetworkAclEntry", R"({"NetworkAclId":"acl-def","RuleNumber":100})", "MissingParameter");
}

TEST(Actions, ReplaceNetworkAclAssociationGivesANewId) {
    Network n = fixture();
    Idx sa = n.index.subnet.at("subnet-a");
    EXPECT_EQ(n.network_acls[n.nacl_of_subnet(sa)].id, "acl-def");
    ok(n, "ReplaceNetworkAclAssociation", R"({"AssociationId":"aclassoc-a","NetworkAclId":"acl-custom"})");
    EXPECT_EQ(n.network_acls[n.nacl_of_subnet(sa)].id, "acl-custom");
    const auto& as = n.network_acl("acl-custom")->associations;
    ASSERT_EQ(as.size(), 1u);
    EXPECT_EQ(as[0].subnet_id, "subnet-a");
    EXPECT_EQ(as[0].id.rfind("aclassoc-", 0), 0u);
    EXPECT_EQ(as[0].id.size(), std::string("aclassoc-").size() + 17);
    EXPECT_NE(as[0].id, "aclassoc-a");
    EXPECT_EQ(n.network_acl("acl-def")->associations.size(), 1u);
    // The old id is gone.
    refused(n, "ReplaceNetworkAclAssociation", R"({"AssociationId":"aclassoc-a","NetworkAclId":"acl-def"})",
            "InvalidAssociationID.NotFound");
    // Deterministic.
    Network m = fixture();
    ok(m, "ReplaceNetworkAclAssociation", R"({"AssociationId":"aclassoc-a","NetworkAclId":"acl-custom"})");
    EXPECT_EQ(dump(m), dump(n));
    // And back, with the new id.
    std::string p = R"({"AssociationId":")" + as[0].id + R"(","NetworkAclId":"acl-def"})";
    ok(n, "ReplaceNetworkAclAssociation", p.c_str());
    EXPECT_EQ(n.network_acls[n.nacl_of_subnet(sa)].id, "acl-def");

    refused(n, "ReplaceNetworkAclAssociation", R"({"AssociationId":"aclassoc-b","NetworkAclId":"acl-zz"})",
            "InvalidNetworkAclID.NotFound");
    refused(n, "ReplaceNetworkAclAssociation", R"({"AssociationId":"aclassoc-b","NetworkAclId":"acl-far"})",
            "InvalidParameterValue");
    refused(n, "ReplaceNetworkAclAssociation", R"({"NetworkAclId":"acl-def"})", "MissingParameter");
}

// ---------------------------------------------------------------------------------------
// Routes

TEST(Actions, CreateRouteToEveryTargetKind) {
    Network n = fixture();
    struct Case {
        const char* params;
        const char* dest;
        TargetKind kind;
        const char* target;
    } cases[] = {
        {R"("DestinationCidrBlock":"10.1.0.0/16","NatGatewayId":"nat-1")", "10.1.0.0/16", TargetKind::NatGateway,
         "nat-1"},
        {R"("DestinationCidrBlock":"10.2.0.0/16","GatewayId":"igw-1")", "10.2.0.0/16", TargetKind::InternetGateway,
         "igw-1"},
        {R"("DestinationCidrBlock":"10.3.0.0/16","GatewayId":"vgw-1")", "10.3.0.0/16", TargetKind::VpnGateway,
         "vgw-1"},
        {R"("DestinationCidrBlock":"10.4.0.0/16","VpcEndpointId":"vpce-1")", "10.4.0.0/16", TargetKind::VpcEndpoint,
         "vpce-1"},
        {R"("DestinationCidrBlock":"10.5.0.0/16","NetworkInterfaceId":"eni-free")", "10.5.0.0/16",
         TargetKind::NetworkInterface, "eni-free"},
        {R"("DestinationCidrBlock":"10.6.0.0/16","InstanceId":"i-spare")", "10.6.0.0/16",
         TargetKind::NetworkInterface, "eni-spare0"},
        {R"("DestinationCidrBlock":"172.16.0.0/16","VpcPeeringConnectionId":"pcx-1")", "172.16.0.0/16",
         TargetKind::Peering, "pcx-1"},
        {R"("DestinationCidrBlock":"10.8.0.0/16","TransitGatewayId":"tgw-1")", "10.8.0.0/16",
         TargetKind::TransitGateway, "tgw-1"},
        {R"("DestinationIpv6CidrBlock":"::/0","EgressOnlyInternetGatewayId":"eigw-1")", "::/0",
         TargetKind::EgressOnlyIgw, "eigw-1"},
        {R"("DestinationPrefixListId":"pl-1","GatewayId":"igw-1")", "pl-1", TargetKind::InternetGateway, "igw-1"},
        {R"("DestinationCidrBlock":"10.9.0.0/16","CarrierGatewayId":"cagw-1")", "10.9.0.0/16",
         TargetKind::CarrierGateway, "cagw-1"},
    };
    for (const Case& c : cases) {
        std::string p = std::string(R"({"RouteTableId":"rtb-priv",)") + c.params + "}";
        ok(n, "CreateRoute", p.c_str());
        const Route* r = find_route(n, "rtb-priv", c.dest);
        ASSERT_NE(r, nullptr) << c.dest;
        EXPECT_EQ(r->kind, c.kind) << c.dest;
        EXPECT_EQ(r->target, c.target) << c.dest;
        EXPECT_EQ(r->origin, "CreateRoute");
        EXPECT_EQ(r->state, "active");
    }
    EXPECT_EQ(find_route(n, "rtb-priv", "10.6.0.0/16")->instance_id, "i-spare");
    EXPECT_FALSE(find_route(n, "rtb-priv", "pl-1")->dest.has_value());
}

TEST(Actions, CreateRouteRefusals) {
    Network n = fixture();
    const char* c = "CreateRoute";
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0","GatewayId":"igw-1"})",
            "RouteAlreadyExists");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.0.0/16","GatewayId":"igw-1"})",
            "RouteAlreadyExists"); // the local route
    refused(n, c, R"({"RouteTableId":"rtb-nope","DestinationCidrBlock":"10.1.0.0/16","GatewayId":"igw-1"})",
            "InvalidRouteTableID.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","GatewayId":"igw-1"})", "MissingParameter");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16"})", "MissingParameter");
    refused(n, c, R"({"DestinationCidrBlock":"10.1.0.0/16","GatewayId":"igw-1"})", "MissingParameter");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16",
        "DestinationPrefixListId":"pl-1","GatewayId":"igw-1"})", "InvalidParameterCombination");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16","GatewayId":"igw-1",
        "NatGatewayId":"nat-1"})", "InvalidParameterCombination");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16","GatewayId":"igw-nope"})",
            "InvalidGatewayID.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16",
        "EgressOnlyInternetGatewayId":"eigw-nope"})", "InvalidGatewayID.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16","NatGatewayId":"nat-nope"})",
            "InvalidNatGatewayID.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16",
        "NetworkInterfaceId":"eni-nope"})", "InvalidNetworkInterfaceID.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16","InstanceId":"i-nope"})",
            "InvalidInstanceID.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16","InstanceId":"i-web"})",
            "InvalidInstanceID"); // two ENIs: AWS asks for the interface
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16",
        "VpcPeeringConnectionId":"pcx-nope"})", "InvalidVpcPeeringConnectionID.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16",
        "TransitGatewayId":"tgw-nope"})", "InvalidTransitGatewayID.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16","VpcEndpointId":"vpce-no"})",
            "InvalidVpcEndpointId.NotFound");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationPrefixListId":"pl-nope","GatewayId":"igw-1"})",
            "InvalidPrefixListId.NotFound");
    // Wrong network: a gateway of another VPC, a table of another VPC.
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16","GatewayId":"igw-2"})",
            "InvalidParameterValue");
    refused(n, c, R"({"RouteTableId":"rtb-other","DestinationCidrBlock":"10.1.0.0/16","NatGatewayId":"nat-1"})",
            "InvalidParameterValue");
    // Bad CIDRs.
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/33","GatewayId":"igw-1"})",
            "InvalidParameterValue");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"::/0","GatewayId":"igw-1"})",
            "InvalidParameterValue");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationIpv6CidrBlock":"0.0.0.0/0","GatewayId":"igw-1"})",
            "InvalidParameterValue");
    // "local" cannot be created.
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.1.0.0/16","GatewayId":"local"})",
            "InvalidParameterValue");
    // More specific than local: only a whole subnet CIDR to a middlebox.
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.1.0/24","GatewayId":"igw-1"})",
            "InvalidParameterValue");
    refused(n, c, R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.1.0/25","NetworkInterfaceId":"eni-free"})",
            "InvalidParameterValue");
}

TEST(Actions, CreateRouteMoreSpecificThanLocalForAWholeSubnet) {
    Network n = fixture();
    ok(n, "CreateRoute", R"({"RouteTableId":"rtb-main","DestinationCidrBlock":"10.0.1.0/24",
        "NetworkInterfaceId":"eni-free"})");
    ok(n, "CreateRoute", R"({"RouteTableId":"rtb-main","DestinationIpv6CidrBlock":"2001:db8:0:1::/64",
        "VpcEndpointId":"vpce-1"})");
    ok(n, "CreateRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.2.0/24",
        "NatGatewayId":"nat-1"})");
    EXPECT_EQ(find_route(n, "rtb-main", "10.0.1.0/24")->target, "eni-free");
}

TEST(Actions, CreateRouteBesideAPropagatedRoute) {
    Network n = fixture();
    ok(n, "CreateRoute", R"({"RouteTableId":"rtb-main","DestinationCidrBlock":"192.168.0.0/16",
        "GatewayId":"vgw-1"})");
    int count = 0;
    for (const auto& r : n.route_table("rtb-main")->routes) count += r.dest_str() == "192.168.0.0/16";
    EXPECT_EQ(count, 2);
    ok(n, "DeleteRoute", R"({"RouteTableId":"rtb-main","DestinationCidrBlock":"192.168.0.0/16"})");
    // The propagated route stays and cannot be deleted.
    refused(n, "DeleteRoute", R"({"RouteTableId":"rtb-main","DestinationCidrBlock":"192.168.0.0/16"})",
            "InvalidRoute.NotFound");
}

TEST(Actions, ReplaceRoute) {
    Network n = fixture();
    ok(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0","GatewayId":"igw-1"})");
    const Route* r = find_route(n, "rtb-priv", "0.0.0.0/0");
    EXPECT_EQ(r->kind, TargetKind::InternetGateway);
    EXPECT_EQ(r->target, "igw-1");
    EXPECT_EQ(r->origin, "CreateRoute");
    ok(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0","InstanceId":"i-far"})");
    EXPECT_EQ(find_route(n, "rtb-priv", "0.0.0.0/0")->target, "eni-far0");
    EXPECT_EQ(find_route(n, "rtb-priv", "0.0.0.0/0")->instance_id, "i-far");
    ok(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0","NatGatewayId":"nat-1"})");
    EXPECT_EQ(find_route(n, "rtb-priv", "0.0.0.0/0")->instance_id, "");
    EXPECT_EQ(n.route_table("rtb-priv")->routes.size(), 2u);

    // The local route may point at an appliance and be restored.
    ok(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.0.0/16",
        "NetworkInterfaceId":"eni-free"})");
    EXPECT_EQ(find_route(n, "rtb-priv", "10.0.0.0/16")->kind, TargetKind::NetworkInterface);
    EXPECT_EQ(find_route(n, "rtb-priv", "10.0.0.0/16")->origin, "CreateRouteTable");
    ok(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.0.0/16","LocalTarget":true})");
    EXPECT_EQ(find_route(n, "rtb-priv", "10.0.0.0/16")->kind, TargetKind::Local);
    EXPECT_EQ(find_route(n, "rtb-priv", "10.0.0.0/16")->target, "local");
    ok(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.0.0/16","VpcEndpointId":"vpce-1"})");
    ok(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.0.0/16","GatewayId":"local"})");
    EXPECT_EQ(find_route(n, "rtb-priv", "10.0.0.0/16")->kind, TargetKind::Local);
}

TEST(Actions, ReplaceRouteRefusals) {
    Network n = fixture();
    // AWS: InvalidParameterValue "There is no route defined for ... Use CreateRoute instead".
    refused(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.7.0.0/16","GatewayId":"igw-1"})",
            "InvalidParameterValue");
    refused(n, "ReplaceRoute", R"({"RouteTableId":"rtb-main","DestinationCidrBlock":"192.168.0.0/16",
        "GatewayId":"igw-1"})", "InvalidParameterValue"); // propagated only
    refused(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.0.0/16","GatewayId":"igw-1"})",
            "InvalidParameterValue"); // local to an IGW
    refused(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0","GatewayId":"local"})",
            "InvalidParameterValue");
    refused(n, "ReplaceRoute", R"({"RouteTableId":"rtb-nope","DestinationCidrBlock":"0.0.0.0/0","GatewayId":"igw-1"})",
            "InvalidRouteTableID.NotFound");
    refused(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0","NatGatewayId":"nat-x"})",
            "InvalidNatGatewayID.NotFound");
    refused(n, "ReplaceRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0"})", "MissingParameter");
}

TEST(Actions, DeleteRoute) {
    Network n = fixture();
    ok(n, "DeleteRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0"})");
    EXPECT_EQ(find_route(n, "rtb-priv", "0.0.0.0/0"), nullptr);
    EXPECT_EQ(n.route_table("rtb-priv")->routes.size(), 1u);
    refused(n, "DeleteRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"0.0.0.0/0"})",
            "InvalidRoute.NotFound");
    // AWS refuses deleting a local route with InvalidParameterValue ("cannot remove local route").
    refused(n, "DeleteRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"10.0.0.0/16"})",
            "InvalidParameterValue");
    refused(n, "DeleteRoute", R"({"RouteTableId":"rtb-main","DestinationIpv6CidrBlock":"2001:db8::/56"})",
            "InvalidParameterValue");
    refused(n, "DeleteRoute", R"({"RouteTableId":"rtb-x","DestinationCidrBlock":"0.0.0.0/0"})",
            "InvalidRouteTableID.NotFound");
    refused(n, "DeleteRoute", R"({"RouteTableId":"rtb-priv","DestinationCidrBlock":"banana"})",
            "InvalidParameterValue");
    ok(n, "CreateRoute", R"({"RouteTableId":"rtb-priv","DestinationPrefixListId":"pl-1","GatewayId":"igw-1"})");
    ok(n, "DeleteRoute", R"({"RouteTableId":"rtb-priv","DestinationPrefixListId":"pl-1"})");
    EXPECT_EQ(find_route(n, "rtb-priv", "pl-1"), nullptr);
}

TEST(Actions, ReplaceRouteTableAssociationOfASubnet) {
    Network n = fixture();
    Idx sa = n.index.subnet.at("subnet-a");
    EXPECT_EQ(n.route_tables[n.route_table_of_subnet(sa)].id, "rtb-priv");
    ok(n, "ReplaceRouteTableAssociation", R"({"AssociationId":"rtbassoc-a","RouteTableId":"rtb-main"})");
    EXPECT_EQ(n.route_tables[n.route_table_of_subnet(sa)].id, "rtb-main");
    EXPECT_TRUE(n.route_table("rtb-priv")->associations.empty());
    const auto& as = n.route_table("rtb-main")->associations;
    ASSERT_EQ(as.size(), 2u);
    EXPECT_EQ(as[1].subnet_id, "subnet-a");
    EXPECT_FALSE(as[1].main);
    EXPECT_EQ(as[1].id.rfind("rtbassoc-", 0), 0u);
    EXPECT_EQ(as[1].id.size(), std::string("rtbassoc-").size() + 17);
    refused(n, "ReplaceRouteTableAssociation", R"({"AssociationId":"rtbassoc-a","RouteTableId":"rtb-priv"})",
            "InvalidAssociationID.NotFound");
    Network m = fixture();
    ok(m, "ReplaceRouteTableAssociation", R"({"AssociationId":"rtbassoc-a","RouteTableId":"rtb-main"})");
    EXPECT_EQ(dump(m), dump(n));
}

TEST(Actions, ReplaceMainRouteTableAssociation) {
    Network n = fixture();
    Idx sb = n.index.subnet.at("subnet-b"); // no explicit association: follows the main table
    EXPECT_EQ(n.route_tables[n.route_table_of_subnet(sb)].id, "rtb-main");
    ok(n, "ReplaceRouteTableAssociation", R"({"AssociationId":"rtbassoc-main","RouteTableId":"rtb-priv"})");
    EXPECT_EQ(n.route_tables[n.main_route_table(0)].id, "rtb-priv");
    EXPECT_EQ(n.route_tables[n.route_table_of_subnet(sb)].id, "rtb-priv");
    EXPECT_TRUE(n.route_table("rtb-main")->associations.empty());
    refused(n, "ReplaceRouteTableAssociation", R"({"AssociationId":"rtbassoc-a","RouteTableId":"rtb-other"})",
            "InvalidParameterValue");
    refused(n, "ReplaceRouteTableAssociation", R"({"AssociationId":"rtbassoc-a","RouteTableId":"rtb-zz"})",
            "InvalidRouteTableID.NotFound");
    refused(n, "ReplaceRouteTableAssociation", R"({"RouteTableId":"rtb-main"})", "MissingParameter");
}

// ---------------------------------------------------------------------------------------
// Elastic IPs

TEST(Actions, AssociateAddressToAnUnattachedEni) {
    Network n = fixture();
    ActionEffect fx = ok(n, "AssociateAddress", R"({"AllocationId":"eipalloc-2","NetworkInterfaceId":"eni-free"})");
    EXPECT_EQ(fx.action, "AssociateAddress");
    EXPECT_EQ(fx.remapped_public_ips, std::vector<std::string>{"eni-free"});
    const PrivateIp& p = eni_of(n, "eni-free").private_ips[0];
    ASSERT_TRUE(p.public_ip.has_value());
    EXPECT_EQ(p.public_ip->str(), "203.0.113.20");
    EXPECT_EQ(p.allocation_id, "eipalloc-2");
    EXPECT_EQ(p.association_id.rfind("eipassoc-", 0), 0u);
    const ElasticIp& e = eip(n, "eipalloc-2");
    EXPECT_EQ(e.association_id, p.association_id);
    EXPECT_EQ(e.eni_id, "eni-free");
    EXPECT_EQ(e.instance_id, "");
    EXPECT_EQ(e.private_ip->str(), "10.0.1.40");
    // Disassociate clears both sides.
    std::string params = R"({"AssociationId":")" + e.association_id + R"("})";
    fx = ok(n, "DisassociateAddress", params.c_str());
    EXPECT_EQ(fx.remapped_public_ips, std::vector<std::string>{"eni-free"});
    EXPECT_FALSE(eni_of(n, "eni-free").private_ips[0].public_ip.has_value());
    EXPECT_EQ(eni_of(n, "eni-free").private_ips[0].allocation_id, "");
    EXPECT_EQ(eip(n, "eipalloc-2").association_id, "");
    EXPECT_EQ(eip(n, "eipalloc-2").eni_id, "");
    EXPECT_FALSE(eip(n, "eipalloc-2").private_ip.has_value());
    refused(n, "DisassociateAddress", params.c_str(), "InvalidAssociationID.NotFound");
}

TEST(Actions, ReassociationMovesTheAddress) {
    Network n = fixture();
    refused(n, "AssociateAddress", R"({"AllocationId":"eipalloc-1","NetworkInterfaceId":"eni-spare0"})",
            "Resource.AlreadyAssociated");
    refused(n, "AssociateAddress", R"({"AllocationId":"eipalloc-1","InstanceId":"i-spare",
        "AllowReassociation":false})", "Resource.AlreadyAssociated");
    ActionEffect fx = ok(n, "AssociateAddress", R"({"AllocationId":"eipalloc-1","InstanceId":"i-spare",
        "AllowReassociation":true})");
    EXPECT_EQ(fx.remapped_public_ips, (std::vector<std::string>{"eni-web0", "eni-spare0"}));
    // The old holder lost it (and gets no auto-assigned IP back).
    const PrivateIp& old = eni_of(n, "eni-web0").private_ips[0];
    EXPECT_FALSE(old.public_ip.has_value());
    EXPECT_EQ(old.allocation_id, "");
    EXPECT_EQ(old.association_id, "");
    // The new holder: the instance's primary ENI, primary private IP.
    const PrivateIp& now = eni_of(n, "eni-spare0").private_ips[0];
    EXPECT_EQ(now.public_ip->str(), "203.0.113.10");
    EXPECT_NE(now.association_id, "eipassoc-1");
    const ElasticIp& e = eip(n, "eipalloc-1");
    EXPECT_EQ(e.eni_id, "eni-spare0");
    EXPECT_EQ(e.instance_id, "i-spare");
    EXPECT_EQ(e.association_id, now.association_id);
    // The old association ended.
    refused(n, "DisassociateAddress", R"({"AssociationId":"eipassoc-1"})", "InvalidAssociationID.NotFound");
    // Deterministic.
    Network m = fixture();
    ok(m, "AssociateAddress", R"({"AllocationId":"eipalloc-1","InstanceId":"i-spare","AllowReassociation":true})");
    EXPECT_EQ(dump(m), dump(n));
    // Back to where it was: a new id again, different from the one just used.
    std::string used = e.association_id;
    ok(n, "AssociateAddress", R"({"AllocationId":"eipalloc-1","NetworkInterfaceId":"eni-web0",
        "AllowReassociation":true})");
    EXPECT_EQ(eni_of(n, "eni-web0").private_ips[0].public_ip->str(), "203.0.113.10");
    EXPECT_NE(eip(n, "eipalloc-1").association_id, used);
    EXPECT_FALSE(eni_of(n, "eni-spare0").private_ips[0].public_ip.has_value());
}

TEST(Actions, AssociateAddressReplacesWhatThePrivateIpHad) {
    Network n = fixture();
    // An auto-assigned public IP on a secondary private IP is replaced.
    ok(n, "AssociateAddress", R"({"AllocationId":"eipalloc-2","NetworkInterfaceId":"eni-web0",
        "PrivateIpAddress":"10.0.1.11"})");
    const PrivateIp& sec = eni_of(n, "eni-web0").private_ips[1];
    EXPECT_EQ(sec.public_ip->str(), "203.0.113.20");
    EXPECT_EQ(sec.allocation_id, "eipalloc-2");
    EXPECT_EQ(eip(n, "eipalloc-2").instance_id, "i-web");
    EXPECT_EQ(eni_of(n, "eni-web0").private_ips[0].public_ip->str(), "203.0.113.10"); // untouched
    // Another Elastic IP on the target private IP becomes unassociated; the instance's
    // other ENI is found by its private IP.
    ActionEffect fx = ok(n, "AssociateAddress", R"({"AllocationId":"eipalloc-2","InstanceId":"i-web",
        "PrivateIpAddress":"10.0.1.20","AllowReassociation":true})");
    EXPECT_EQ(fx.remapped_public_ips, (std::vector<std::string>{"eni-web0", "eni-web1"}));
    EXPECT_EQ(eni_of(n, "eni-web1").private_ips[0].public_ip->str(), "203.0.113.20");
    EXPECT_FALSE(eni_of(n, "eni-web0").private_ips[1].public_ip.has_value());
    EXPECT_EQ(eip(n, "eipalloc-3").association_id, "");
    EXPECT_EQ(eip(n, "eipalloc-3").eni_id, "");
    EXPECT_FALSE(eip(n, "eipalloc-3").private_ip.has_value());
}

TEST(Actions, AssociateAddressToTheSameTargetIsANoOp) {
    Network n = fixture();
    std::string before = dump(n);
    ActionEffect fx = ok(n, "AssociateAddress", R"({"AllocationId":"eipalloc-1","NetworkInterfaceId":"eni-web0"})");
    EXPECT_TRUE(fx.remapped_public_ips.empty());
    EXPECT_EQ(dump(n), before);
}

TEST(Actions, AssociateAddressByPublicIp) {
    Network n = fixture();
    ok(n, "AssociateAddress", R"({"PublicIp":"203.0.113.20","NetworkInterfaceId":"eni-free"})");
    EXPECT_EQ(eip(n, "eipalloc-2").eni_id, "eni-free");
    ok(n, "DisassociateAddress", R"({"PublicIp":"203.0.113.20"})");
    EXPECT_EQ(eip(n, "eipalloc-2").eni_id, "");
    refused(n, "DisassociateAddress", R"({"PublicIp":"203.0.113.20"})", "InvalidAssociationID.NotFound");
    refused(n, "AssociateAddress", R"({"PublicIp":"192.0.2.99","NetworkInterfaceId":"eni-free"})",
            "InvalidAddress.NotFound");
}

TEST(Actions, AssociateAddressRefusals) {
    Network n = fixture();
    const char* a = "AssociateAddress";
    refused(n, a, R"({"AllocationId":"eipalloc-nope","NetworkInterfaceId":"eni-free"})",
            "InvalidAllocationID.NotFound");
    refused(n, a, R"({"AllocationId":"eipalloc-2","NetworkInterfaceId":"eni-nope"})",
            "InvalidNetworkInterfaceID.NotFound");
    refused(n, a, R"({"AllocationId":"eipalloc-2","InstanceId":"i-nope"})", "InvalidInstanceID.NotFound");
    refused(n, a, R"({"AllocationId":"eipalloc-2","NetworkInterfaceId":"eni-free","PrivateIpAddress":"10.0.1.99"})",
            "InvalidParameterValue");
    refused(n, a, R"({"AllocationId":"eipalloc-2","NetworkInterfaceId":"eni-free","PrivateIpAddress":"nope"})",
            "InvalidParameterValue");
    refused(n, a, R"({"AllocationId":"eipalloc-2"})", "MissingParameter");
    refused(n, a, R"({"NetworkInterfaceId":"eni-free"})", "MissingParameter");
    refused(n, a, R"({"AllocationId":"eipalloc-2","NetworkInterfaceId":"eni-free","InstanceId":"i-spare"})",
            "InvalidParameterCombination");
    refused(n, "DisassociateAddress", R"({"AssociationId":"eipassoc-nope"})", "InvalidAssociationID.NotFound");
    refused(n, "DisassociateAddress", R"({})", "MissingParameter");
}

// ---------------------------------------------------------------------------------------
// Network interfaces

TEST(Actions, DetachAndAttachKeepTheEnisAddresses) {
    Network n = fixture();
    Eni before = eni_of(n, "eni-web1");
    ok(n, "DetachNetworkInterface", R"({"AttachmentId":"eni-attach-web1"})");
    const Eni& d = eni_of(n, "eni-web1");
    EXPECT_EQ(d.status, "available");
    EXPECT_EQ(d.attachment_id, "");
    EXPECT_EQ(d.instance_id, "");
    EXPECT_EQ(d.device_index, -1);
    EXPECT_EQ(d.attachment_status, "detached");
    EXPECT_EQ(n.instance("i-web")->enis, std::vector<std::string>{"eni-web0"});
    EXPECT_EQ(eip(n, "eipalloc-3").eni_id, "eni-web1");
    EXPECT_EQ(eip(n, "eipalloc-3").instance_id, "");
    refused(n, "DetachNetworkInterface", R"({"AttachmentId":"eni-attach-web1"})", "InvalidAttachmentID.NotFound");

    ok(n, "AttachNetworkInterface", R"({"NetworkInterfaceId":"eni-web1","InstanceId":"i-spare","DeviceIndex":1})");
    const Eni& a = eni_of(n, "eni-web1");
    EXPECT_EQ(a.status, "in-use");
    EXPECT_EQ(a.instance_id, "i-spare");
    EXPECT_EQ(a.device_index, 1);
    EXPECT_EQ(a.attachment_status, "attached");
    EXPECT_EQ(a.attachment_id.rfind("eni-attach-", 0), 0u);
    EXPECT_NE(a.attachment_id, "eni-attach-web1");
    EXPECT_EQ(n.instance("i-spare")->enis, (std::vector<std::string>{"eni-spare0", "eni-web1"}));
    // It kept its IPs, Elastic IP, MAC and groups.
    EXPECT_EQ(a.mac, before.mac);
    EXPECT_EQ(a.groups, before.groups);
    ASSERT_EQ(a.private_ips.size(), before.private_ips.size());
    EXPECT_EQ(a.private_ips[0].addr, before.private_ips[0].addr);
    EXPECT_EQ(a.private_ips[0].public_ip, before.private_ips[0].public_ip);
    EXPECT_EQ(a.private_ips[0].association_id, before.private_ips[0].association_id);
    EXPECT_EQ(eip(n, "eipalloc-3").instance_id, "i-spare");
    // The new attachment can be detached by its id.
    std::string p = R"({"AttachmentId":")" + a.attachment_id + R"("})";
    ok(n, "DetachNetworkInterface", p.c_str());
    EXPECT_EQ(n.instance("i-spare")->enis, std::vector<std::string>{"eni-spare0"});
}

TEST(Actions, AttachAndDetachRefusals) {
    Network n = fixture();
    refused(n, "DetachNetworkInterface", R"({"AttachmentId":"eni-attach-web0"})", "OperationNotPermitted");
    refused(n, "DetachNetworkInterface", R"({"AttachmentId":"eni-attach-nope"})", "InvalidAttachmentID.NotFound");
    refused(n, "DetachNetworkInterface", R"({})", "MissingParameter");
    const char* a = "AttachNetworkInterface";
    refused(n, a, R"({"NetworkInterfaceId":"eni-free","InstanceId":"i-far","DeviceIndex":1})",
            "InvalidParameterCombination"); // another AZ
    refused(n, a, R"({"NetworkInterfaceId":"eni-web1","InstanceId":"i-spare","DeviceIndex":1})",
            "InvalidNetworkInterface.InUse");
    refused(n, a, R"({"NetworkInterfaceId":"eni-free","InstanceId":"i-spare","DeviceIndex":0})",
            "InvalidParameterValue"); // device index taken
    refused(n, a, R"({"NetworkInterfaceId":"eni-free","InstanceId":"i-spare","DeviceIndex":-1})",
            "InvalidParameterValue");
    refused(n, a, R"({"NetworkInterfaceId":"eni-nope","InstanceId":"i-spare","DeviceIndex":1})",
            "InvalidNetworkInterfaceID.NotFound");
    refused(n, a, R"({"NetworkInterfaceId":"eni-free","InstanceId":"i-nope","DeviceIndex":1})",
            "InvalidInstanceID.NotFound");
    refused(n, a, R"({"NetworkInterfaceId":"eni-free","InstanceId":"i-spare"})", "MissingParameter");
    n.instances[n.index.instance.at("i-spare")].state = "terminated";
    refused(n, a, R"({"NetworkInterfaceId":"eni-free","InstanceId":"i-spare","DeviceIndex":1})",
            "IncorrectInstanceState");
}

TEST(Actions, ModifySourceDestCheck) {
    Network n = fixture();
    ok(n, "ModifyNetworkInterfaceAttribute", R"({"NetworkInterfaceId":"eni-web0","SourceDestCheck":{"Value":false}})");
    EXPECT_FALSE(eni_of(n, "eni-web0").source_dest_check);
    ok(n, "ModifyNetworkInterfaceAttribute", R"({"NetworkInterfaceId":"eni-web0","SourceDestCheck":true})");
    EXPECT_TRUE(eni_of(n, "eni-web0").source_dest_check);
    refused(n, "ModifyNetworkInterfaceAttribute", R"({"NetworkInterfaceId":"eni-web0","SourceDestCheck":{"Value":3}})",
            "InvalidParameterValue");
}

TEST(Actions, ModifyGroups) {
    Network n = fixture();
    ok(n, "ModifyNetworkInterfaceAttribute", R"({"NetworkInterfaceId":"eni-web0","Groups":["sg-db","sg-web","sg-db"]})");
    EXPECT_EQ(eni_of(n, "eni-web0").groups, (std::vector<std::string>{"sg-db", "sg-web"}));
    const char* m = "ModifyNetworkInterfaceAttribute";
    refused(n, m, R"({"NetworkInterfaceId":"eni-web0","Groups":["sg-db","sg-gone"]})", "InvalidGroup.NotFound");
    refused(n, m, R"({"NetworkInterfaceId":"eni-web0","Groups":["sg-far"]})", "InvalidParameterValue");
    refused(n, m, R"({"NetworkInterfaceId":"eni-web0","Groups":["web"]})", "InvalidGroupId.Malformed");
    refused(n, m, R"({"NetworkInterfaceId":"eni-web0","Groups":[]})", "MissingParameter");
}

TEST(Actions, ModifyConnectionTrackingWithinAwsBounds) {
    Network n = fixture();
    const char* m = "ModifyNetworkInterfaceAttribute";
    ok(n, m, R"({"NetworkInterfaceId":"eni-web0","ConnectionTrackingSpecification":{"TcpEstablishedTimeout":60,
        "UdpStreamTimeout":60,"UdpTimeout":30}})");
    EXPECT_EQ(eni_of(n, "eni-web0").timeouts.tcp_established, 60);
    EXPECT_EQ(eni_of(n, "eni-web0").timeouts.udp_stream, 60);
    EXPECT_EQ(eni_of(n, "eni-web0").timeouts.udp, 30);
    ok(n, m, R"({"NetworkInterfaceId":"eni-web0","ConnectionTrackingSpecification":{"TcpEstablishedTimeout":432000,
        "UdpStreamTimeout":180,"UdpTimeout":60}})");
    EXPECT_EQ(eni_of(n, "eni-web0").timeouts.tcp_established, 432000);
    EXPECT_EQ(eni_of(n, "eni-web0").timeouts.udp_stream, 180);
    EXPECT_EQ(eni_of(n, "eni-web0").timeouts.udp, 60);
    // Only the fields given change.
    ok(n, m, R"({"NetworkInterfaceId":"eni-web0","ConnectionTrackingSpecification":{"UdpTimeout":45}})");
    EXPECT_EQ(eni_of(n, "eni-web0").timeouts.udp, 45);
    EXPECT_EQ(eni_of(n, "eni-web0").timeouts.tcp_established, 432000);
    const char* bad[] = {R"({"TcpEstablishedTimeout":59})", R"({"TcpEstablishedTimeout":432001})",
                         R"({"UdpStreamTimeout":59})",      R"({"UdpStreamTimeout":181})",
                         R"({"UdpTimeout":29})",            R"({"UdpTimeout":61})",
                         R"({"UdpTimeout":40,"UdpStreamTimeout":200})"};
    for (const char* b : bad) {
        std::string p = std::string(R"({"NetworkInterfaceId":"eni-web0","ConnectionTrackingSpecification":)") + b + "}";
        refused(n, m, p.c_str(), "InvalidParameterValue");
    }
}

TEST(Actions, ModifyRefusals) {
    Network n = fixture();
    const char* m = "ModifyNetworkInterfaceAttribute";
    refused(n, m, R"({"NetworkInterfaceId":"eni-nope","SourceDestCheck":{"Value":false}})",
            "InvalidNetworkInterfaceID.NotFound");
    refused(n, m, R"({"NetworkInterfaceId":"eni-web0"})", "MissingParameter");
    refused(n, m, R"({"NetworkInterfaceId":"eni-web0","SourceDestCheck":{"Value":false},"Groups":["sg-web"]})",
            "InvalidParameterCombination");
    refused(n, m, R"({"NetworkInterfaceId":"eni-nat","SourceDestCheck":{"Value":false}})", "OperationNotPermitted");
    ok(n, m, R"({"NetworkInterfaceId":"eni-web0","Description":{"Value":"web server"}})");
    EXPECT_EQ(eni_of(n, "eni-web0").description, "web server");
}

// The scenario sequence of tests/scenarios/eni-elastic-ip.json and eni-attach-detach.json on
// the hand-built network: same order, same codes.
TEST(Actions, ScenarioLikeSequence) {
    Network n = fixture();
    ok(n, "AssociateAddress", R"({"AllocationId":"eipalloc-1","NetworkInterfaceId":"eni-spare0",
        "PrivateIpAddress":"10.0.1.30","AllowReassociation":true})");
    refused(n, "DisassociateAddress", R"({"AssociationId":"eipassoc-1"})", "InvalidAssociationID.NotFound");
    refused(n, "AssociateAddress", R"({"AllocationId":"eipalloc-3","NetworkInterfaceId":"eni-spare0"})",
            "Resource.AlreadyAssociated");
    ok(n, "AssociateAddress", R"({"AllocationId":"eipalloc-1","NetworkInterfaceId":"eni-web0",
        "AllowReassociation":true})");
    ok(n, "DisassociateAddress", R"({"AssociationId":"eipassoc-3"})");
    EXPECT_FALSE(eni_of(n, "eni-web1").private_ips[0].public_ip.has_value());
    ok(n, "DetachNetworkInterface", R"({"AttachmentId":"eni-attach-web1"})");
    ok(n, "AttachNetworkInterface", R"({"NetworkInterfaceId":"eni-web1","InstanceId":"i-spare","DeviceIndex":1})");
    refused(n, "DetachNetworkInterface", R"({"AttachmentId":"eni-attach-web0"})", "OperationNotPermitted");
}

// ---------------------------------------------------------------------------------------
// Real AWS exports: every rule, entry and route the loader read is, for the actions, the
// same object AWS would find (duplicates refused, revoke and re-authorize round-trip).

#ifdef VPCFW_SHARED_DATA
namespace {

json permission_of(const SgRule& r) {
    json p = {{"IpProtocol", std::to_string(r.proto)}};
    if (r.ports_apply() || r.icmp()) {
        p["FromPort"] = r.from_port;
        p["ToPort"] = r.to_port;
    }
    switch (r.peer) {
    case PeerKind::Cidr:
        if (r.cidr.base.is_v4()) p["IpRanges"] = json::array({{{"CidrIp", r.cidr.str()}}});
        else p["Ipv6Ranges"] = json::array({{{"CidrIpv6", r.cidr.str()}}});
        break;
    case PeerKind::PrefixList: p["PrefixListIds"] = json::array({{{"PrefixListId", r.prefix_list}}}); break;
    case PeerKind::Group:
        p["UserIdGroupPairs"] = json::array({{{"GroupId", r.group_id}}});
        if (!r.peering_id.empty()) p["UserIdGroupPairs"][0]["VpcPeeringConnectionId"] = r.peering_id;
        break;
    }
    return p;
}

} // namespace

TEST(Actions, RealSnapshotsRoundTrip) {
    for (const char* dir : {"test-nat-gateway", "test-public-private-subnet", "test-vpc-peering"}) {
        auto loaded = load_network(std::string(VPCFW_SHARED_DATA "/aws-snapshots/") + dir);
        ASSERT_TRUE(loaded.ok()) << dir << ": " << loaded.error().str();
        Network& n = *loaded;
        int checked = 0;
        for (size_t g = 0; g < n.security_groups.size(); ++g)
            for (bool egress : {false, true}) {
                std::string sfx = egress ? "Egress" : "Ingress";
                std::vector<SgRule> rules = egress ? n.security_groups[g].egress : n.security_groups[g].ingress;
                for (const SgRule& r : rules) {
                    if (r.peer == PeerKind::PrefixList && !n.prefix_list(r.prefix_list)) continue;
                    if (r.peer == PeerKind::Group && !n.security_group(r.group_id) && r.peering_id.empty()) continue;
                    json params = {{"GroupId", n.security_groups[g].id},
                                   {"IpPermissions", json::array({permission_of(r)})}};
                    std::string before = dump(n);
                    auto dup = apply_action(n, "AuthorizeSecurityGroup" + sfx, params);
                    ASSERT_FALSE(dup.ok()) << dir << " " << params.dump();
                    EXPECT_EQ(dup.error().code, "InvalidPermission.Duplicate") << params.dump();
                    EXPECT_EQ(dump(n), before);
                    auto rev = apply_action(n, "RevokeSecurityGroup" + sfx, params);
                    ASSERT_TRUE(rev.ok()) << dir << " " << params.dump() << ": " << rev.error().str();
                    auto again = apply_action(n, "AuthorizeSecurityGroup" + sfx, params);
                    ASSERT_TRUE(again.ok()) << dir << " " << params.dump() << ": " << again.error().str();
                    ++checked;
                }
            }
        for (const auto& a : n.network_acls)
            for (const auto& e : a.entries) {
                if (e.is_default_deny()) continue;
                json params = {{"NetworkAclId", a.id}, {"RuleNumber", e.rule_number}, {"Protocol", "-1"},
                               {"RuleAction", "deny"}, {"Egress", e.egress}, {"CidrBlock", "0.0.0.0/0"}};
                auto r = apply_action(n, "CreateNetworkAclEntry", params);
                ASSERT_FALSE(r.ok()) << params.dump();
                EXPECT_EQ(r.error().code, "NetworkAclEntryAlreadyExists");
                ++checked;
            }
        for (const auto& t : n.route_tables)
            for (const auto& r : t.routes) {
                if (r.propagated() || !r.dest) continue;
                // The route's own target, where the export has it.
                json params = {{"RouteTableId", t.id}};
                if (r.kind == TargetKind::InternetGateway && n.internet_gateway(r.target)) params["GatewayId"] = r.target;
                else if (r.kind == TargetKind::NatGateway && n.nat_gateway(r.target)) params["NatGatewayId"] = r.target;
                else if (r.kind == TargetKind::Peering && n.peering(r.target)) params["VpcPeeringConnectionId"] = r.target;
                else if (r.kind == TargetKind::NetworkInterface && n.eni(r.target)) params["NetworkInterfaceId"] = r.target;
                else continue;
                params[r.dest->base.is_v4() ? "DestinationCidrBlock" : "DestinationIpv6CidrBlock"] = r.dest->str();
                auto res = apply_action(n, "CreateRoute", params);
                ASSERT_FALSE(res.ok()) << params.dump();
                EXPECT_EQ(res.error().code, "RouteAlreadyExists") << params.dump();
                ++checked;
            }
        EXPECT_GT(checked, 3) << dir;
    }
}
#endif
