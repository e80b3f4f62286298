// Mechanisms of the reference evaluator that scenarios cannot reach through settings:
// connection-table capacity, per-protocol timeouts at their exact edges, NAT port
// allocation under pressure, the fragment window, CHOICE settings switched off.
#include <gtest/gtest.h>

#include "ruleset/loader.hpp"
#include "ruleset/reference.hpp"

using namespace vpcfw;

namespace {

// Two instances in one VPC, different subnets; a NAT gateway in the public subnet.
// sg-a: egress all; ingress udp/tcp from the VPC. sg-b: ingress tcp/22 from 10.0.0.0/16,
// egress nothing (so replies of b's flows pass only by state).
const char* kNet = R"({
 "Vpcs": [{"VpcId": "vpc-1", "State": "available", "CidrBlock": "10.0.0.0/16",
           "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}}]}],
 "Subnets": [
   {"SubnetId": "subnet-a", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a", "State": "available"},
   {"SubnetId": "subnet-b", "VpcId": "vpc-1", "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-1a", "State": "available"},
   {"SubnetId": "subnet-p", "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a", "State": "available"}],
 "InternetGateways": [{"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1", "State": "available"}]}],
 "RouteTables": [
   {"RouteTableId": "rtb-main", "VpcId": "vpc-1",
    "Associations": [{"Main": true, "RouteTableAssociationId": "rtbassoc-m", "RouteTableId": "rtb-main"}],
    "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
               {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "Origin": "CreateRoute", "State": "active"}]},
   {"RouteTableId": "rtb-pub", "VpcId": "vpc-1",
    "Associations": [{"Main": false, "RouteTableAssociationId": "rtbassoc-p", "RouteTableId": "rtb-pub", "SubnetId": "subnet-p"}],
    "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
               {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "Origin": "CreateRoute", "State": "active"}]}],
 "NetworkAcls": [{"NetworkAclId": "acl-1", "VpcId": "vpc-1", "IsDefault": true, "Associations": [],
   "Entries": [
    {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0"},
    {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0"},
    {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": true, "CidrBlock": "0.0.0.0/0"},
    {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": true, "CidrBlock": "0.0.0.0/0"}]}],
 "SecurityGroups": [
   {"GroupId": "sg-a", "GroupName": "a", "VpcId": "vpc-1",
    "IpPermissions": [{"IpProtocol": "udp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
                      {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
    "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
   {"GroupId": "sg-b", "GroupName": "b", "VpcId": "vpc-1",
    "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
                      {"IpProtocol": "47", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
    "IpPermissionsEgress": []}],
 "NetworkInterfaces": [
   {"NetworkInterfaceId": "eni-a", "SubnetId": "subnet-a", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a",
    "InterfaceType": "interface", "Status": "in-use", "MacAddress": "0a:00:00:00:00:0a",
    "PrivateIpAddress": "10.0.1.10", "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": "10.0.1.10"}],
    "Groups": [{"GroupId": "sg-a", "GroupName": "a"}], "SourceDestCheck": true,
    "Attachment": {"AttachmentId": "eni-attach-a", "InstanceId": "i-a", "DeviceIndex": 0, "Status": "attached"},
    "ConnectionTrackingConfiguration": {"TcpEstablishedTimeout": 100, "UdpStreamTimeout": 90, "UdpTimeout": 40}},
   {"NetworkInterfaceId": "eni-a2", "SubnetId": "subnet-a", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a",
    "InterfaceType": "interface", "Status": "in-use", "MacAddress": "0a:00:00:00:00:0c",
    "PrivateIpAddress": "10.0.1.11", "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": "10.0.1.11"}],
    "Groups": [{"GroupId": "sg-a", "GroupName": "a"}], "SourceDestCheck": true,
    "Attachment": {"AttachmentId": "eni-attach-a2", "InstanceId": "i-a2", "DeviceIndex": 0, "Status": "attached"}},
   {"NetworkInterfaceId": "eni-b", "SubnetId": "subnet-b", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a",
    "InterfaceType": "interface", "Status": "in-use", "MacAddress": "0a:00:00:00:00:0b",
    "PrivateIpAddress": "10.0.2.20", "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": "10.0.2.20"}],
    "Groups": [{"GroupId": "sg-b", "GroupName": "b"}], "SourceDestCheck": true,
    "Attachment": {"AttachmentId": "eni-attach-b", "InstanceId": "i-b", "DeviceIndex": 0, "Status": "attached"}},
   {"NetworkInterfaceId": "eni-nat", "SubnetId": "subnet-p", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a",
    "InterfaceType": "nat_gateway", "Status": "in-use", "MacAddress": "0a:00:00:00:00:01", "RequesterManaged": true,
    "PrivateIpAddress": "10.0.0.50", "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": "10.0.0.50",
      "Association": {"PublicIp": "203.0.113.50"}}], "Groups": [], "SourceDestCheck": false}],
 "NatGateways": [{"NatGatewayId": "nat-1", "VpcId": "vpc-1", "SubnetId": "subnet-p", "State": "available",
   "ConnectivityType": "public", "NatGatewayAddresses": [{"AllocationId": "eipalloc-n", "NetworkInterfaceId": "eni-nat",
   "PrivateIp": "10.0.0.50", "PublicIp": "203.0.113.50", "IsPrimary": true}]}]
})";

ReferenceEvaluator make(Settings s = {}) {
    auto net = load_network_text(kNet, "<test>");
    EXPECT_TRUE(net) << net.error().str();
    return ReferenceEvaluator(std::move(*net), s);
}

Decision run(ReferenceEvaluator& r, const char* pkt, double at, const char* from = "auto") {
    auto p = parse_packet(pkt);
    EXPECT_TRUE(p) << pkt;
    return r.evaluate(*p, from, at);
}

} // namespace

TEST(Reference, TcpReplyPassesByStateUntilTheEniTimeout) {
    auto r = make();
    // b has no egress rules: its SYN-ACK passes only by the state a's SYN created at b.
    EXPECT_EQ(run(r, "tcp 10.0.1.10:40000 -> 10.0.2.20:22", 0).action, Action::Accept);
    EXPECT_EQ(run(r, "tcp 10.0.2.20:22 -> 10.0.1.10:40000 flags=SA", 1).action, Action::Accept);
    EXPECT_EQ(run(r, "tcp 10.0.1.10:40000 -> 10.0.2.20:22 flags=A", 2).action, Action::Accept);
    // Established at b: default 432000 s at eni-b. At a the per-ENI setting is 100 s, but a's
    // egress rules admit its packets anyway; the reply at b after 1000 s idle still passes.
    EXPECT_EQ(run(r, "tcp 10.0.2.20:22 -> 10.0.1.10:40000 flags=A", 1002).action, Action::Accept);
}

TEST(Reference, TransitoryTcpStateExpiresAfter120Seconds) {
    auto r = make();
    EXPECT_EQ(run(r, "tcp 10.0.1.10:40001 -> 10.0.2.20:22", 0).action, Action::Accept);
    // Handshake never completes: 120 s (CHOICE tcp_transitory_timeout).
    EXPECT_EQ(run(r, "tcp 10.0.2.20:22 -> 10.0.1.10:40001 flags=SA", 120).action, Action::Accept);
    EXPECT_EQ(run(r, "tcp 10.0.1.10:40002 -> 10.0.2.20:22", 200).action, Action::Accept);
    Decision late = run(r, "tcp 10.0.2.20:22 -> 10.0.1.10:40002 flags=SA", 320.5);
    EXPECT_EQ(late.action, Action::Drop);
    EXPECT_EQ(late.layer, Layer::SgEgress);
}

TEST(Reference, OtherProtocolsHaveA600SecondWindow) {
    auto r = make();
    EXPECT_EQ(run(r, "47 10.0.1.10 -> 10.0.2.20", 0).action, Action::Accept);
    EXPECT_EQ(run(r, "47 10.0.2.20 -> 10.0.1.10", 600).action, Action::Accept);
    Decision d = run(r, "47 10.0.2.20 -> 10.0.1.10", 1200.5);
    EXPECT_EQ(d.action, Action::Drop);
    EXPECT_EQ(d.layer, Layer::SgEgress);
}

TEST(Reference, ConntrackCapacityDropsOnlyNewFlows) {
    Settings s;
    s.conntrack_capacity_per_eni = 1;
    auto r = make(s);
    EXPECT_EQ(run(r, "tcp 10.0.1.10:40000 -> 10.0.2.20:22", 0).action, Action::Accept);
    Decision full = run(r, "tcp 10.0.1.10:40001 -> 10.0.2.20:22", 1);
    EXPECT_EQ(full.action, Action::Drop);
    EXPECT_EQ(full.layer, Layer::Conntrack);
    EXPECT_EQ(full.reason, "table_full");
    // The existing flow is not affected.
    EXPECT_EQ(run(r, "tcp 10.0.2.20:22 -> 10.0.1.10:40000 flags=SA", 2).action, Action::Accept);
}

TEST(Reference, NatKeepsTheSourcePortOrTakesTheLowestFree) {
    auto r = make();
    Decision a = run(r, "udp 10.0.1.10:5000 -> 198.51.100.1:53", 0);
    ASSERT_EQ(a.action, Action::Accept) << decision_text(a);
    EXPECT_EQ(a.to, "internet");
    EXPECT_EQ(a.nat, "203.0.113.50:5000");
    // Another inside host with the same source port to the same destination.
    Decision b = run(r, "udp 10.0.1.11:5000 -> 198.51.100.1:53", 1);
    EXPECT_EQ(b.nat, "203.0.113.50:1024");
    // A low source port is never kept.
    Decision c = run(r, "udp 10.0.1.11:53 -> 198.51.100.1:53", 2);
    EXPECT_EQ(c.nat, "203.0.113.50:1025");
    // Replies reach the right inside host.
    Decision ra = run(r, "udp 198.51.100.1:53 -> 203.0.113.50:1024", 3, "internet");
    ASSERT_EQ(ra.action, Action::Accept) << decision_text(ra);
    EXPECT_EQ(ra.to, "eni-a2");
    Decision none = run(r, "udp 198.51.100.1:53 -> 203.0.113.50:9999", 4, "internet");
    EXPECT_EQ(none.action, Action::Drop);
    EXPECT_EQ(none.layer, Layer::Nat);
}

TEST(Reference, NatIdleTcpAnswersWithRst) {
    auto r = make();
    ASSERT_EQ(run(r, "tcp 10.0.1.10:40000 -> 198.51.100.1:443", 0).action, Action::Accept);
    Decision late = run(r, "tcp 10.0.1.10:40000 -> 198.51.100.1:443 flags=A", 351);
    EXPECT_EQ(late.action, Action::Drop);
    EXPECT_EQ(late.layer, Layer::Nat);
    EXPECT_EQ(late.reason, "idle-timeout");
    ASSERT_FALSE(late.notes.empty());
    EXPECT_NE(late.notes[0].find("RST"), std::string::npos);
}

TEST(Reference, FragmentsFollowTheirFirstWithinTheWindow) {
    auto r = make();
    EXPECT_EQ(run(r, "tcp 10.0.1.10:40000 -> 10.0.2.20:22 frag=first id=9", 0).action, Action::Accept);
    Decision later = run(r, "6 10.0.1.10 -> 10.0.2.20 frag=last id=9", 10);
    EXPECT_EQ(later.action, Action::Accept);
    EXPECT_EQ(later.to, "eni-b");
    Decision stale = run(r, "6 10.0.1.10 -> 10.0.2.20 frag=last id=9", 40.5);
    EXPECT_EQ(stale.action, Action::Drop);
    EXPECT_EQ(stale.layer, Layer::Parse);
    EXPECT_EQ(stale.reason, "fragment-without-first");
    // A denied first fragment denies its followers.
    EXPECT_EQ(run(r, "tcp 10.0.1.10:40000 -> 10.0.2.20:23 frag=first id=10", 50).action, Action::Drop);
    EXPECT_EQ(run(r, "6 10.0.1.10 -> 10.0.2.20 frag=more id=10", 51).layer, Layer::SgIngress);
}

TEST(Reference, UntrackedChoiceCanBeSwitchedOff) {
    // With untracked flows off, every flow is tracked (Settings::untracked_flows).
    Settings s;
    s.untracked_flows = false;
    auto r = make(s);
    Decision d = run(r, "tcp 10.0.1.10:40000 -> 10.0.2.20:22", 0);
    EXPECT_TRUE(d.tracked);
    for (const auto& c : d.choices) EXPECT_NE(c, "untracked_flows");
}

TEST(Reference, ExplainTextNamesEveryLayer) {
    auto r = make();
    Decision d = run(r, "tcp 10.0.1.10:40000 -> 10.0.2.20:23", 0);
    std::string t = decision_text(d);
    EXPECT_NE(t.find("sg-egress"), std::string::npos) << t;
    EXPECT_NE(t.find("nacl-egress"), std::string::npos) << t;
    EXPECT_NE(t.find("nacl-ingress"), std::string::npos) << t;
    EXPECT_NE(t.find("sg-ingress"), std::string::npos) << t;
    // Why the other rules did not match.
    EXPECT_NE(t.find("port 23 outside tcp/22"), std::string::npos) << t;
    auto j = decision_json(d);
    EXPECT_EQ(j["action"], "DROP");
    EXPECT_EQ(j["layer"], "sg-ingress");
    EXPECT_EQ(j["rule"], "sg-b");
}

TEST(Reference, ExpiredEntriesDoNotCountTowardsCapacity) {
    Settings s;
    s.conntrack_capacity_per_eni = 2;
    auto r = make(s);
    // Two UDP flows from a to b's tcp-only group would be refused at b; use a's side: a's
    // egress admits anything and tracks it (sg-a has no all-ports 0.0.0.0/0 inbound rule).
    EXPECT_EQ(run(r, "udp 10.0.1.10:1000 -> 10.0.1.11:53", 0).action, Action::Accept);
    EXPECT_EQ(run(r, "udp 10.0.1.10:1001 -> 10.0.1.11:53", 1).action, Action::Accept);
    Decision full = run(r, "udp 10.0.1.10:1002 -> 10.0.1.11:53", 2);
    EXPECT_EQ(full.layer, Layer::Conntrack);
    // 100 s later both entries have been idle past a's UDP timeout (40 s at eni-a).
    Decision later = run(r, "udp 10.0.1.10:1003 -> 10.0.1.11:53", 100);
    EXPECT_EQ(later.action, Action::Accept) << decision_text(later);
}

TEST(Reference, SourceMacOfAnEniNamesTheOriginBeforeTheSourceIp) {
    auto r = make();
    // From eni-a's address but with eni-a2's MAC (0a:00:00:00:00:0c): the MAC decides, and
    // eni-a2's source/destination check then refuses an address that is not its own.
    Packet p = *parse_packet("tcp 10.0.1.10:40000 -> 10.0.1.11:22");
    p.has_src_mac = true;
    p.src_mac = {0x0a, 0x00, 0x00, 0x00, 0x00, 0x0c};
    Decision d = r.evaluate(p, "auto", 0);
    EXPECT_EQ(d.from, "eni-a2");
    EXPECT_EQ(d.origin, "mac");
    EXPECT_EQ(d.layer, Layer::Origin);
    EXPECT_EQ(d.reason, "source-dest-check");
    // eni-a's own MAC.
    p.src_mac = {0x0a, 0x00, 0x00, 0x00, 0x00, 0x0a};
    d = r.evaluate(p, "auto", 1);
    EXPECT_EQ(d.from, "eni-a");
    EXPECT_EQ(d.origin, "mac");
    // A MAC no ENI has: the source IP decides as before.
    p.src_mac = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
    d = r.evaluate(p, "auto", 2);
    EXPECT_EQ(d.from, "eni-a");
    EXPECT_EQ(d.origin, "ip");
    // An explicit origin overrides the MAC.
    p.src_mac = {0x0a, 0x00, 0x00, 0x00, 0x00, 0x0c};
    d = r.evaluate(p, "eni-a", 3);
    EXPECT_EQ(d.from, "eni-a");
    EXPECT_EQ(d.origin, "given");
}
