// Tests of the AWS JSON loader (ruleset/loader.hpp): the real snapshots, every AWS example
// output, merging across files, and broken input (wrong types, dangling ids, bad CIDRs).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "ruleset/loader.hpp"

namespace vpcfw {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kData = VPCFW_SHARED_DATA;
const std::string kSnapshots = kData + "/aws-snapshots/";

// A fresh temporary directory, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        static int n = 0;
        path_ = fs::temp_directory_path() /
                ("vpcfw-loader-" + std::to_string(getpid()) + "-" + std::to_string(n++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    fs::path write(const std::string& rel, const std::string& text) const {
        fs::path p = path_ / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }

private:
    fs::path path_;
};

Result<Network> load_json(const json& j) { return load_network_text(j.dump(), "<test>"); }

Network must_load(const json& j) {
    auto r = load_json(j);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().str());
    return r.ok() ? std::move(*r) : Network{};
}

Network must_load_path(const std::string& path) {
    auto r = load_network(path);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().str());
    return r.ok() ? std::move(*r) : Network{};
}

// Expects an error at JSON pointer `where` whose message contains `words`.
void expect_error(const Result<Network>& r, const std::string& where, const std::string& words) {
    ASSERT_FALSE(r.ok()) << "loaded, expected an error at " << where;
    EXPECT_EQ(r.error().where, where) << r.error().str();
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().str();
}

const Route* find_route(const Network& n, const std::string& rtb, const std::string& dest) {
    const RouteTable* t = n.route_table(rtb);
    if (!t) return nullptr;
    for (const auto& r : t->routes)
        if (r.dest_str() == dest) return &r;
    return nullptr;
}

bool has_warning_for(const Network& n, const std::string& file_suffix) {
    return std::any_of(n.warnings.begin(), n.warnings.end(), [&](const Warning& w) {
        return w.file.size() >= file_suffix.size() &&
               w.file.compare(w.file.size() - file_suffix.size(), file_suffix.size(), file_suffix) == 0;
    });
}

// A small, complete bundle in AWS's shapes; tests break one field at a time.
json base_bundle() {
    return json::parse(R"({
      "Vpcs": [{"VpcId": "vpc-0a1", "State": "available", "CidrBlock": "10.0.0.0/16",
                "CidrBlockAssociationSet": [
                  {"AssociationId": "vpc-cidr-assoc-1", "CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
                  {"AssociationId": "vpc-cidr-assoc-2", "CidrBlock": "10.1.0.0/16", "CidrBlockState": {"State": "associated"}},
                  {"AssociationId": "vpc-cidr-assoc-3", "CidrBlock": "10.2.0.0/16", "CidrBlockState": {"State": "disassociated"}}],
                "Ipv6CidrBlockAssociationSet": [
                  {"Ipv6CidrBlock": "2001:db8:1::/56", "Ipv6CidrBlockState": {"State": "associated"}}],
                "Tags": [{"Key": "Name", "Value": "main"}]}],
      "Subnets": [{"SubnetId": "subnet-0a1", "VpcId": "vpc-0a1", "CidrBlock": "10.0.1.0/24",
                   "AvailabilityZone": "us-east-1a", "State": "available"}],
      "RouteTables": [{"RouteTableId": "rtb-0a1", "VpcId": "vpc-0a1",
        "Associations": [{"Main": true, "RouteTableAssociationId": "rtbassoc-1", "RouteTableId": "rtb-0a1"}],
        "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}]}],
      "NetworkAcls": [{"NetworkAclId": "acl-0a1", "VpcId": "vpc-0a1", "IsDefault": true,
        "Associations": [{"NetworkAclAssociationId": "aclassoc-1", "NetworkAclId": "acl-0a1", "SubnetId": "subnet-0a1"}],
        "Entries": [
          {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": true, "CidrBlock": "0.0.0.0/0"},
          {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": true, "CidrBlock": "0.0.0.0/0"},
          {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0"},
          {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0",
           "PortRange": {"From": 22, "To": 22}}]}],
      "SecurityGroups": [{"GroupId": "sg-0a1", "GroupName": "web", "VpcId": "vpc-0a1", "Description": "web",
        "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                           "IpRanges": [{"CidrIp": "203.0.113.0/24"}], "Ipv6Ranges": [], "PrefixListIds": [],
                           "UserIdGroupPairs": []}],
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}],
      "NetworkInterfaces": [{"NetworkInterfaceId": "eni-0a1", "SubnetId": "subnet-0a1", "VpcId": "vpc-0a1",
        "AvailabilityZone": "us-east-1a", "InterfaceType": "interface", "Status": "in-use",
        "MacAddress": "0A:1B:2C:3D:4E:5F", "PrivateIpAddress": "10.0.1.10",
        "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": "10.0.1.10"},
                               {"Primary": false, "PrivateIpAddress": "10.0.1.11"}],
        "Groups": [{"GroupId": "sg-0a1", "GroupName": "web"}], "SourceDestCheck": true,
        "Attachment": {"AttachmentId": "eni-attach-1", "InstanceId": "i-0a1", "DeviceIndex": 0, "Status": "attached"},
        "TagSet": [{"Key": "Name", "Value": "web-eni"}], "RequesterManaged": false}],
      "Reservations": [{"Instances": [{"InstanceId": "i-0a1", "State": {"Code": 16, "Name": "running"},
        "SubnetId": "subnet-0a1", "VpcId": "vpc-0a1", "Placement": {"AvailabilityZone": "us-east-1a"},
        "NetworkInterfaces": [{"NetworkInterfaceId": "eni-0a1", "SubnetId": "subnet-0a1", "VpcId": "vpc-0a1",
          "PrivateIpAddress": "10.0.1.10", "Attachment": {"DeviceIndex": 0, "Status": "attached"}}]}]}]
    })");
}

// ---------------------------------------------------------------------------------------
// The real snapshots (directory form).

TEST(LoaderSnapshots, PublicPrivateSubnet) {
    Network n = must_load_path(kSnapshots + "test-public-private-subnet");
    EXPECT_EQ(n.vpcs.size(), 1u);
    EXPECT_EQ(n.subnets.size(), 2u);
    EXPECT_EQ(n.route_tables.size(), 2u);
    EXPECT_EQ(n.security_groups.size(), 3u);
    EXPECT_EQ(n.network_acls.size(), 1u);
    EXPECT_EQ(n.enis.size(), 2u);
    EXPECT_EQ(n.instances.size(), 2u);
    EXPECT_EQ(n.internet_gateways.size(), 1u);
    EXPECT_EQ(n.vpn_gateways.size(), 1u);
    EXPECT_EQ(n.vpn_connections.size(), 1u);
    EXPECT_TRUE(n.elastic_ips.empty());
    EXPECT_TRUE(n.nat_gateways.empty());
    EXPECT_TRUE(n.endpoints.empty());
    // AvailabilityZones.json holds no network key: skipped with a warning.
    EXPECT_TRUE(has_warning_for(n, "AvailabilityZones.json"));

    Idx pub = n.index.subnet.at("subnet-0cf7a93fbd779f3a3");
    Idx priv = n.index.subnet.at("subnet-0f263105946ad1a1d");
    EXPECT_EQ(n.subnets[pub].vpc, n.index.vpc.at("vpc-0b966fdeb36d5e43f"));
    EXPECT_EQ(n.subnets[pub].cidr4->str(), "10.0.0.0/24");
    // Public subnet: explicit table with a default route to the IGW.
    Idx pubRt = n.route_table_of_subnet(pub);
    ASSERT_NE(pubRt, kNone);
    const Route* igw = find_route(n, n.route_tables[pubRt].id, "0.0.0.0/0");
    ASSERT_NE(igw, nullptr);
    EXPECT_EQ(igw->kind, TargetKind::InternetGateway);
    EXPECT_EQ(igw->target, "igw-0eac198308206c358");
    // Private subnet: the main table, default route to the VGW.
    Idx privRt = n.route_table_of_subnet(priv);
    ASSERT_NE(privRt, kNone);
    EXPECT_EQ(privRt, n.main_route_table(n.subnets[priv].vpc));
    const Route* vgw = find_route(n, n.route_tables[privRt].id, "0.0.0.0/0");
    ASSERT_NE(vgw, nullptr);
    EXPECT_EQ(vgw->kind, TargetKind::VpnGateway);
    EXPECT_EQ(vgw->target, "vgw-070087240d6fa2989");
    const Route* local = find_route(n, n.route_tables[privRt].id, "10.0.0.0/16");
    ASSERT_NE(local, nullptr);
    EXPECT_EQ(local->kind, TargetKind::Local);
    EXPECT_EQ(local->origin, "CreateRouteTable");

    // The public instance's ENI: auto-assigned public IP from the ENI association.
    const Eni* e = n.eni("eni-09da8cad43844dc1f");
    ASSERT_NE(e, nullptr);
    ASSERT_FALSE(e->private_ips.empty());
    EXPECT_EQ(e->private_ips[0].addr.str(), "10.0.0.47");
    EXPECT_TRUE(e->private_ips[0].primary);
    ASSERT_TRUE(e->private_ips[0].public_ip.has_value());
    EXPECT_EQ(e->private_ips[0].public_ip->str(), "13.58.55.60");
    EXPECT_TRUE(e->private_ips[0].allocation_id.empty());
    EXPECT_EQ(e->instance_id, "i-094a9e5b545a4fde4");
    EXPECT_EQ(e->subnet, pub);
    const Eni* p = n.eni("eni-07c1506e49d784fe0");
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(p->private_ips[0].public_ip.has_value());

    // The static VPN route.
    const VpnConnection& vpn = n.vpn_connections[0];
    EXPECT_EQ(vpn.id, "vpn-05044757278685fd3");
    EXPECT_EQ(vpn.vgw_id, "vgw-070087240d6fa2989");
    EXPECT_TRUE(vpn.static_routes_only);
    ASSERT_EQ(vpn.routes.size(), 1u);
    EXPECT_EQ(vpn.routes[0].str(), "19.168.0.0/16");
    EXPECT_EQ(n.vgw_of_vpc(n.subnets[priv].vpc), 0u);
    EXPECT_EQ(n.igw_of_vpc(n.subnets[pub].vpc), 0u);

    // The default NACL covers both subnets.
    EXPECT_EQ(n.nacl_of_subnet(pub), n.nacl_of_subnet(priv));
    EXPECT_TRUE(n.network_acls[n.nacl_of_subnet(pub)].is_default);
}

TEST(LoaderSnapshots, NatGateway) {
    Network n = must_load_path(kSnapshots + "test-nat-gateway");
    EXPECT_EQ(n.vpcs.size(), 1u);
    EXPECT_EQ(n.subnets.size(), 3u);
    EXPECT_EQ(n.route_tables.size(), 3u);
    EXPECT_EQ(n.network_acls.size(), 2u);
    EXPECT_EQ(n.enis.size(), 4u);
    EXPECT_EQ(n.instances.size(), 3u);
    ASSERT_EQ(n.nat_gateways.size(), 1u);

    const NatGateway& g = n.nat_gateways[0];
    EXPECT_EQ(g.id, "nat-07ab4846da51f4612");
    EXPECT_EQ(g.state, "available");
    EXPECT_FALSE(g.is_private);
    EXPECT_EQ(g.subnet, n.index.subnet.at("subnet-0428892a357fa1f94"));
    ASSERT_FALSE(g.addresses.empty());
    EXPECT_EQ(g.addresses[0].eni_id, "eni-017aaec115610308a");
    EXPECT_EQ(g.addresses[0].public_ip->str(), "3.135.127.225");

    // The NAT gateway's ENI as real output prints it.
    const Eni* e = n.eni("eni-017aaec115610308a");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->interface_type, "nat_gateway");
    EXPECT_TRUE(e->requester_managed);
    EXPECT_FALSE(e->source_dest_check);
    EXPECT_EQ(e->private_ips[0].addr.str(), "10.1.250.210");
    ASSERT_TRUE(e->private_ips[0].public_ip.has_value());
    EXPECT_EQ(e->private_ips[0].public_ip->str(), "3.135.127.225");
    EXPECT_EQ(e->private_ips[0].allocation_id, "eipalloc-0353e2d101e93f4a1");

    // The private subnet routes the default route to the NAT gateway.
    Idx priv = n.index.subnet.at("subnet-06f469bcee42e408e");
    const Route* r = find_route(n, n.route_tables[n.route_table_of_subnet(priv)].id, "0.0.0.0/0");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->kind, TargetKind::NatGateway);
    EXPECT_EQ(r->target, "nat-07ab4846da51f4612");

    // The public subnet's own NACL, entries sorted by (egress, rule number).
    Idx pub = n.index.subnet.at("subnet-0428892a357fa1f94");
    const NetworkAcl& acl = n.network_acls[n.nacl_of_subnet(pub)];
    EXPECT_EQ(acl.id, "acl-0792adae678b88f85");
    ASSERT_GE(acl.entries.size(), 4u);
    EXPECT_FALSE(acl.entries[0].egress);
    EXPECT_EQ(acl.entries[0].rule_number, 100);
    EXPECT_EQ(acl.entries[0].proto, kProtoIcmp);
    EXPECT_EQ(acl.entries[0].icmp_type, -1);
    EXPECT_EQ(acl.entries[0].cidr.str(), "10.1.1.0/24");
    EXPECT_TRUE(acl.entries[0].allow);
    for (size_t i = 1; i < acl.entries.size(); ++i) {
        const auto& a = acl.entries[i - 1];
        const auto& b = acl.entries[i];
        EXPECT_TRUE(std::pair(a.egress, a.rule_number) < std::pair(b.egress, b.rule_number));
    }
    EXPECT_TRUE(acl.entries.back().egress);
    EXPECT_TRUE(acl.entries.back().is_default_deny());

    // The public instance keeps its auto-assigned public IP.
    const Eni* web = n.eni("eni-068fb5a0a9a57f23c");
    ASSERT_NE(web, nullptr);
    EXPECT_EQ(web->private_ips[0].public_ip->str(), "18.216.129.140");
    EXPECT_EQ(web->mac, "06:18:ef:b9:a5:74");
}

TEST(LoaderSnapshots, VpcPeering) {
    Network n = must_load_path(kSnapshots + "test-vpc-peering");
    EXPECT_EQ(n.vpcs.size(), 3u);
    EXPECT_EQ(n.subnets.size(), 3u);
    EXPECT_EQ(n.route_tables.size(), 3u);
    EXPECT_EQ(n.security_groups.size(), 6u);
    EXPECT_EQ(n.enis.size(), 3u);
    ASSERT_EQ(n.peerings.size(), 2u);
    const PeeringConnection* ab = n.peering("pcx-0b89b559e3319d6cf");
    ASSERT_NE(ab, nullptr);
    EXPECT_EQ(ab->status, "active");
    EXPECT_EQ(n.peering("pcx-0d5b836985ac8ca8c")->status, "active");
    std::set<std::string> sides = {ab->requester.vpc_id, ab->accepter.vpc_id};
    EXPECT_EQ(sides, (std::set<std::string>{"vpc-0404e08ceddf7f650", "vpc-00a31ce9d0c06675c"}));

    // Secondary CIDRs: in this export they are `disassociated`, so only the primary counts.
    const Vpc* a = n.vpc("vpc-0404e08ceddf7f650");
    ASSERT_NE(a, nullptr);
    ASSERT_EQ(a->cidrs4.size(), 1u);
    EXPECT_EQ(a->cidrs4[0].str(), "10.10.0.0/16");
    const Vpc* b = n.vpc("vpc-00a31ce9d0c06675c");
    ASSERT_EQ(b->cidrs4.size(), 1u);
    EXPECT_EQ(b->cidrs4[0].str(), "192.168.0.0/16");

    // B's table: 0.0.0.0/0 to a deleted IGW, state blackhole (kept, not an error).
    const Route* bh = find_route(n, "rtb-017c36290c9baf017", "0.0.0.0/0");
    ASSERT_NE(bh, nullptr);
    EXPECT_EQ(bh->state, "blackhole");
    EXPECT_EQ(bh->kind, TargetKind::InternetGateway);
    EXPECT_EQ(bh->target, "igw-0a2c9ae201b441bff");
    EXPECT_EQ(n.internet_gateway("igw-0a2c9ae201b441bff"), nullptr);
    const Route* pcx = find_route(n, "rtb-0891861fffaea6d52", "192.168.2.0/24");
    ASSERT_NE(pcx, nullptr);
    EXPECT_EQ(pcx->kind, TargetKind::Peering);
    EXPECT_EQ(pcx->target, "pcx-0d5b836985ac8ca8c");
}

TEST(LoaderSnapshots, SingleFilesLoadToo) {
    // One describe output as a file: dangling-free ones load on their own.
    Network n = must_load_path(kSnapshots + "test-nat-gateway/Vpcs.json");
    EXPECT_EQ(n.vpcs.size(), 1u);
    EXPECT_EQ(n.sources.size(), 1u);
    // Subnets alone name a VPC that is not in that file: an error naming it.
    auto r = load_network(kSnapshots + "test-nat-gateway/Subnets.json");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("vpc-0008a7b45e3ddf1dd"), std::string::npos) << r.error().str();
}

// ---------------------------------------------------------------------------------------
// Every describe*/get*/search* example output from the AWS docs.

// Stub VPCs and subnets for the parents an example names but does not contain, so that
// each example loads on its own (examples use unrelated placeholder ids).
json stubs_for(const json& out) {
    std::set<std::string> vpcs, subnets, haveVpc, haveSubnet;
    auto str = [](const json& o, const char* k) -> std::string {
        return o.is_object() && o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : "";
    };
    auto list = [](const json& o, const char* k) -> json {
        return o.is_object() && o.contains(k) && o[k].is_array() ? o[k] : json::array();
    };
    for (const auto& v : list(out, "Vpcs")) haveVpc.insert(str(v, "VpcId"));
    for (const auto& s : list(out, "Subnets")) haveSubnet.insert(str(s, "SubnetId"));
    for (const char* k : {"Subnets", "RouteTables", "NetworkAcls", "SecurityGroups", "VpcEndpoints", "NatGateways",
                          "NetworkInterfaces"})
        for (const auto& o : list(out, k)) vpcs.insert(str(o, "VpcId"));
    for (const char* k : {"NetworkInterfaces", "NatGateways"})
        for (const auto& o : list(out, k)) subnets.insert(str(o, "SubnetId"));
    for (const auto& a : list(out, "NetworkAcls"))
        for (const auto& s : list(a, "Associations")) subnets.insert(str(s, "SubnetId"));
    for (const auto& r : list(out, "Reservations"))
        for (const auto& i : list(r, "Instances"))
            for (const auto& e : list(i, "NetworkInterfaces")) {
                vpcs.insert(str(e, "VpcId"));
                subnets.insert(str(e, "SubnetId"));
            }
    json stub = {{"Vpcs", json::array()}, {"Subnets", json::array()}};
    vpcs.insert("vpc-stub");
    for (const auto& v : vpcs)
        if (!v.empty() && !haveVpc.count(v)) stub["Vpcs"].push_back({{"VpcId", v}, {"CidrBlock", "10.0.0.0/8"}});
    for (const auto& s : subnets)
        if (!s.empty() && !haveSubnet.count(s)) stub["Subnets"].push_back({{"SubnetId", s}, {"VpcId", "vpc-stub"}});
    return stub;
}

using ExampleCheck = std::function<void(const Result<Network>&)>;

// A network loaded from the example, with the given check.
ExampleCheck loads(std::function<void(const Network&)> f) {
    return [f](const Result<Network>& r) {
        ASSERT_TRUE(r.ok()) << r.error().str();
        EXPECT_TRUE(has_warning_for(*r, "example.json") == false) << "example skipped";
        f(*r);
    };
}
// An example whose keys are no network data: skipped with a warning.
ExampleCheck skipped() {
    return [](const Result<Network>& r) {
        ASSERT_TRUE(r.ok()) << r.error().str();
        EXPECT_TRUE(has_warning_for(*r, "example.json"));
        EXPECT_EQ(r->sources.size(), 1u); // only the stub file
    };
}
// An example with an input error at `where` (AWS doc typos such as "10-0-0-157").
ExampleCheck refused(std::string where, std::string words) {
    return [where, words](const Result<Network>& r) { expect_error(r, where, words); };
}

std::map<std::string, ExampleCheck> example_checks() {
    std::map<std::string, ExampleCheck> c;
    c["DescribeAddresses-1.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.elastic_ips.size(), 2u);
        EXPECT_EQ(n.elastic_ips[1].allocation_id, "eipalloc-12345678");
        EXPECT_EQ(n.elastic_ips[1].eni_id, "eni-12345678");
        EXPECT_EQ(n.elastic_ips[1].private_ip->str(), "10.0.1.241");
    });
    c["DescribeAddresses-2.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.elastic_ips.size(), 1u);
        EXPECT_EQ(n.elastic_ips[0].association_id, "eipassoc-12345678");
        EXPECT_EQ(n.elastic_ips[0].public_ip.str(), "203.0.113.0");
    });
    c["DescribeAddresses-3.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.elastic_ips.size(), 1u);
        EXPECT_TRUE(n.elastic_ips[0].allocation_id.empty());
        EXPECT_EQ(n.elastic_ips[0].instance_id, "i-1234567890abcdef0");
    });
    c["DescribeAvailabilityZones.json"] = skipped();
    c["DescribeCustomerGateways.json"] = loads([](const Network& n) { EXPECT_EQ(n.sources.size(), 2u); });
    c["DescribeDhcpOptions.json"] = skipped();
    c["DescribeInternetGateways.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.internet_gateways.size(), 1u);
        EXPECT_EQ(n.internet_gateways[0].id, "igw-c0a643a9");
        ASSERT_EQ(n.internet_gateways[0].attachments.size(), 1u);
        EXPECT_EQ(n.internet_gateways[0].attachments[0].vpc_id, "vpc-a01106c2");
        EXPECT_EQ(n.internet_gateways[0].attachments[0].state, "available");
    });
    c["DescribeMovingAddresses.json"] = skipped();
    c["DescribeNatGateways.json"] =
        refused("/NatGateways/0/NatGatewayAddresses/0/PublicIp", "198.11.222.333"); // not an IP address
    c["DescribeNetworkAcls.json"] = loads([](const Network& n) {
        const NetworkAcl* a = n.network_acl("acl-5fb85d36");
        ASSERT_NE(a, nullptr);
        EXPECT_FALSE(a->is_default);
        ASSERT_EQ(a->entries.size(), 2u);
        EXPECT_FALSE(a->entries[0].egress); // sorted: ingress first
        EXPECT_TRUE(a->entries[1].egress);
        EXPECT_FALSE(a->entries[0].allow);
        ASSERT_EQ(a->associations.size(), 1u);
        EXPECT_EQ(a->associations[0].subnet_id, "subnet-65ea5f08");
    });
    for (int i = 1; i <= 4; ++i)
        c["DescribeNetworkInterfaceAttribute-" + std::to_string(i) + ".json"] = skipped();
    c["DescribeNetworkInterfaces.json"] = loads([](const Network& n) {
        const Eni* e = n.eni("eni-e5aa89a3");
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->private_ips[0].addr.str(), "10.0.1.17");
        EXPECT_EQ(e->private_ips[0].public_ip->str(), "203.0.113.12");
        EXPECT_EQ(e->private_ips[0].association_id, "eipassoc-0fbb766a");
        EXPECT_EQ(e->instance_id, "i-1234567890abcdef0");
        EXPECT_EQ(e->device_index, 1);
        EXPECT_EQ(e->groups, std::vector<std::string>{"sg-8637d3e3"});
        EXPECT_EQ(e->vpc, n.index.vpc.at("vpc-a01106c2"));
    });
    c["DescribeRouteTables.json"] = loads([](const Network& n) {
        const RouteTable* t = n.route_table("rtb-1f382e7d");
        ASSERT_NE(t, nullptr);
        ASSERT_EQ(t->associations.size(), 1u);
        EXPECT_TRUE(t->associations[0].main);
        EXPECT_EQ(t->routes.at(0).kind, TargetKind::Local);
        EXPECT_EQ(n.main_route_table(t->vpc), n.index.route_table.at("rtb-1f382e7d"));
    });
    c["DescribeSecurityGroupReferences.json"] = skipped();
    c["DescribeSubnets.json"] = loads([](const Network& n) {
        const Subnet* s = n.subnet("subnet-9d4a7b6c");
        ASSERT_NE(s, nullptr);
        EXPECT_EQ(s->cidr4->str(), "10.0.1.0/24");
        EXPECT_EQ(s->az, "us-east-1c");
        EXPECT_FALSE(s->map_public_ip_on_launch);
    });
    c["DescribeVpcAttribute-1.json"] = skipped();
    c["DescribeVpcAttribute-2.json"] = skipped();
    c["DescribeVpcs.json"] = loads([](const Network& n) {
        const Vpc* v = n.vpc("vpc-a01106c2");
        ASSERT_NE(v, nullptr);
        EXPECT_EQ(v->cidrs4.at(0).str(), "10.0.0.0/16");
        EXPECT_EQ(v->name, "MyVPC");
        EXPECT_FALSE(v->is_default);
    });
    c["describe-addresses-1.json"] = loads([](const Network& n) { EXPECT_EQ(n.elastic_ips.size(), 2u); });
    c["describe-addresses-2.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.elastic_ips.size(), 1u);
        EXPECT_EQ(n.index.elastic_ip.count("eipalloc-12345678"), 1u);
    });
    c["describe-addresses-3.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.elastic_ips.size(), 1u);
        EXPECT_EQ(n.elastic_ips[0].private_ip->str(), "10.251.50.12");
        EXPECT_EQ(n.elastic_ips[0].eni_id, "eni-1a2b3c4d");
    });
    for (const char* f : {"describe-addresses-4.json", "describe-addresses-5.json"})
        c[f] = loads([](const Network& n) {
            ASSERT_EQ(n.elastic_ips.size(), 1u);
            EXPECT_EQ(n.elastic_ips[0].public_ip.str(), "203.0.110.25");
        });
    c["describe-egress-only-internet-gateways-1.json"] = loads([](const Network& n) {
        const InternetGateway* g = n.egress_only_gateway("eigw-015e0e244e24dfe8a");
        ASSERT_NE(g, nullptr);
        EXPECT_EQ(g->attachments.at(0).state, "attached");
        EXPECT_TRUE(n.internet_gateways.empty());
    });
    c["describe-instances-1.json"] = refused(
        "/Reservations/0/Instances/0/NetworkInterfaces/0/PrivateIpAddresses/0/PrivateIpAddress", "10-0-0-157");
    c["describe-internet-gateways-1.json"] = loads([](const Network& n) {
        const InternetGateway* g = n.internet_gateway("igw-0d0fb496b3EXAMPLE");
        ASSERT_NE(g, nullptr);
        EXPECT_EQ(g->name, "my-igw");
    });
    c["describe-managed-prefix-lists-1.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.prefix_lists.size(), 2u);
        const PrefixList* p = n.prefix_list("pl-11223344556677aab");
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->family, "IPv6");
        EXPECT_EQ(p->max_entries, 25);
        EXPECT_EQ(p->owner, "123456789012");
        EXPECT_FALSE(p->entries_known);
    });
    c["describe-nat-gateways-1.json"] = loads([](const Network& n) {
        const NatGateway* g = n.nat_gateway("nat-01234567890abcdef");
        ASSERT_NE(g, nullptr);
        EXPECT_FALSE(g->is_private);
        ASSERT_EQ(g->addresses.size(), 2u);
        EXPECT_TRUE(g->addresses[0].primary);
        EXPECT_EQ(g->addresses[0].public_ip->str(), "54.85.121.213");
        EXPECT_EQ(g->name, "public-nat");
        EXPECT_EQ(g->vpc, n.index.vpc.at("vpc-098eb5ef58EXAMPLE"));
    });
    c["describe-nat-gateways-2.json"] = loads([](const Network& n) {
        const NatGateway* g = n.nat_gateway("nat-1234567890abcdef0");
        ASSERT_NE(g, nullptr);
        EXPECT_TRUE(g->is_private);
        ASSERT_EQ(g->addresses.size(), 3u);
        EXPECT_FALSE(g->addresses[0].public_ip.has_value());
    });
    c["describe-network-acls-1.json"] = loads([](const Network& n) {
        const NetworkAcl* a = n.network_acl("acl-0e2a78e4e2EXAMPLE");
        ASSERT_NE(a, nullptr);
        ASSERT_EQ(a->entries.size(), 8u);
        EXPECT_EQ(a->entries[1].rule_number, 101);
        EXPECT_FALSE(a->entries[1].cidr.base.is_v4());
        EXPECT_EQ(a->entries[3].rule_number, 32768);
        EXPECT_TRUE(a->entries[4].egress);
    });
    c["describe-network-interfaces-1.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.enis.size(), 2u);
        const Eni* e = n.eni("eni-f9ba99bf");
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->private_ips[0].public_ip->str(), "198.51.100.0");
        EXPECT_TRUE(e->private_ips[0].allocation_id.empty());
        EXPECT_EQ(e->device_index, 0);
    });
    c["describe-network-interfaces-2.json"] = loads([](const Network& n) {
        const Eni* e = n.eni("eni-b9a5ac93");
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->status, "available");
        ASSERT_EQ(e->private_ips.size(), 2u);
        EXPECT_EQ(e->private_ips[0].addr.str(), "10.0.1.55");
        EXPECT_TRUE(e->private_ips[0].primary);
        EXPECT_FALSE(e->private_ips[1].primary);
        EXPECT_TRUE(e->attachment_id.empty());
    });
    c["describe-prefix-lists-1.json"] = loads([](const Network& n) {
        const PrefixList* p = n.prefix_list("pl-63a5400a");
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(p->entries_known);
        ASSERT_EQ(p->entries.size(), 1u);
        EXPECT_EQ(p->entries[0].str(), "54.231.0.0/17");
        EXPECT_EQ(p->owner, "AWS");
        EXPECT_EQ(p->family, "IPv4");
    });
    c["describe-route-tables-1.json"] = loads([](const Network& n) {
        EXPECT_EQ(n.route_tables.size(), 3u);
        const Route* r = find_route(n, "rtb-09ba434c1bEXAMPLE", "0.0.0.0/0");
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(r->kind, TargetKind::NatGateway);
        EXPECT_EQ(r->state, "blackhole");
        const Route* i = find_route(n, "rtb-07a98f76e5EXAMPLE", "0.0.0.0/0");
        ASSERT_NE(i, nullptr);
        EXPECT_EQ(i->kind, TargetKind::InternetGateway);
        EXPECT_EQ(n.route_table("rtb-07a98f76e5EXAMPLE")->associations.at(0).subnet_id, "subnet-0d3d002af8EXAMPLE");
    });
    c["describe-security-group-rules-1.json"] = loads([](const Network& n) {
        const SecurityGroup* g = n.security_group("sg-1234567890abcdef0");
        ASSERT_NE(g, nullptr);
        ASSERT_EQ(g->ingress.size(), 1u);
        EXPECT_EQ(g->ingress[0].peer, PeerKind::Group);
        EXPECT_EQ(g->ingress[0].group_id, "sg-1234567890abcdef0");
        EXPECT_EQ(g->ingress[0].rule_id, "sgr-abcdef01234567890");
        ASSERT_EQ(g->egress.size(), 2u);
        EXPECT_EQ(g->egress[0].cidr.str(), "::/0");
        EXPECT_EQ(g->vpc, kNone); // the flat form does not name the VPC
    });
    c["describe-security-group-rules-2.json"] = loads([](const Network& n) {
        const SecurityGroup* g = n.security_group("sg-1234567890abcdef0");
        ASSERT_NE(g, nullptr);
        ASSERT_EQ(g->egress.size(), 1u);
        EXPECT_EQ(g->egress[0].proto, kProtoAll);
        EXPECT_EQ(g->egress[0].cidr.str(), "0.0.0.0/0");
    });
    c["describe-security-groups-1.json"] = loads([](const Network& n) {
        const SecurityGroup* g = n.security_group("sg-903004f8");
        ASSERT_NE(g, nullptr);
        EXPECT_EQ(g->name, "MySecurityGroup");
        ASSERT_EQ(g->ingress.size(), 2u);
        EXPECT_EQ(g->ingress[0].peer, PeerKind::Group);
        EXPECT_EQ(g->ingress[0].proto, kProtoAll);
        EXPECT_EQ(g->ingress[1].proto, kProtoTcp);
        EXPECT_EQ(g->ingress[1].from_port, 22);
        EXPECT_EQ(g->ingress[1].cidr.str(), "203.0.113.0/24");
        EXPECT_EQ(g->ingress[1].description, "Access from NY office");
        ASSERT_EQ(g->egress.size(), 1u);
        EXPECT_EQ(g->vpc, n.index.vpc.at("vpc-1a2b3c4d"));
    });
    c["describe-subnets-1.json"] = loads([](const Network& n) {
        const Subnet* s = n.subnet("subnet-8EXAMPLE");
        ASSERT_NE(s, nullptr);
        EXPECT_TRUE(s->map_public_ip_on_launch);
        EXPECT_EQ(s->az_id, "use1-az2");
        EXPECT_EQ(s->name, "MySubnet");
        EXPECT_TRUE(s->cidrs6.empty());
    });
    c["describe-transit-gateway-attachments-1.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.tgw_attachments.size(), 4u);
        const TgwAttachment* a = n.tgw_attachment("tgw-attach-01f8100bc7EXAMPLE");
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(a->resource_type, "vpc");
        EXPECT_EQ(a->resource_id, "vpc-3EXAMPLE");
        EXPECT_EQ(a->association_rtb, "tgw-rtb-002573ed1eEXAMPLE");
        EXPECT_EQ(n.tgw_attachment("tgw-attach-08e0bc912cEXAMPLE")->resource_type, "direct-connect-gateway");
    });
    c["describe-transit-gateway-route-tables-1.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.tgw_route_tables.size(), 2u);
        EXPECT_EQ(n.tgw_route_table("tgw-rtb-0ca78a549EXAMPLE")->tgw_id, "tgw-0bc994abffEXAMPLE");
    });
    c["describe-transit-gateway-vpc-attachments-1.json"] = loads([](const Network& n) {
        const TgwAttachment* a = n.tgw_attachment("tgw-attach-0a08e88308EXAMPLE");
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(a->resource_type, "vpc");
        EXPECT_EQ(a->resource_id, "vpc-0f501f7ee8EXAMPLE");
        EXPECT_EQ(a->subnet_ids.size(), 2u);
        EXPECT_FALSE(a->appliance_mode);
    });
    c["describe-transit-gateways-1.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.transit_gateways.size(), 2u);
        const TransitGateway* t = n.transit_gateway("tgw-0fb8421e2dEXAMPLE");
        ASSERT_NE(t, nullptr);
        EXPECT_EQ(t->default_association_rtb, "tgw-rtb-06a241a3d8EXAMPLE");
        EXPECT_EQ(t->name, "TGW1");
    });
    c["describe-vpc-endpoints-1.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.endpoints.size(), 3u);
        const VpcEndpoint* g = n.endpoint("vpce-032a826a");
        ASSERT_NE(g, nullptr);
        EXPECT_EQ(g->type, "Gateway");
        EXPECT_EQ(g->route_table_ids, std::vector<std::string>{"rtb-3d560345"});
        EXPECT_EQ(g->state, "available");
        EXPECT_NE(g->policy.find("2008-10-17"), std::string::npos);
        const VpcEndpoint* i = n.endpoint("vpce-0f89a33420c1931d7");
        EXPECT_EQ(i->eni_ids.size(), 2u);
        EXPECT_EQ(i->group_ids, std::vector<std::string>{"sg-54e8bf31"});
    });
    c["describe-vpc-peering-connections-1.json"] = loads([](const Network& n) {
        ASSERT_EQ(n.peerings.size(), 2u);
        const PeeringConnection* p = n.peering("pcx-11122233");
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->status, "active");
        EXPECT_EQ(p->accepter.cidrs4.at(0).str(), "10.0.1.0/28");
        EXPECT_EQ(p->name, "Peering-1");
        EXPECT_EQ(n.peering("pcx-abababab")->status, "pending-acceptance");
        EXPECT_TRUE(n.peering("pcx-abababab")->accepter.cidrs4.empty());
    });
    c["describe-vpcs-1.json"] = loads([](const Network& n) {
        EXPECT_EQ(n.vpcs.size(), 3u); // two + the stub
        EXPECT_EQ(n.vpc("vpc-06e4ab6c6cEXAMPLE")->owner, "222222222222");
        EXPECT_EQ(n.vpc("vpc-0e9801d129EXAMPLE")->name, "Not Shared");
    });
    c["describe-vpcs-2.json"] = loads([](const Network& n) {
        EXPECT_EQ(n.vpc("vpc-06e4ab6c6cEXAMPLE")->cidrs4.at(0).str(), "10.0.0.0/16");
    });
    // Raw per-table outputs: they arrive inside vpcfw's wrappers (tested below).
    c["get-managed-prefix-list-entries-1.json"] = skipped();
    c["get-transit-gateway-route-table-associations-1.json"] = skipped();
    c["get-transit-gateway-route-table-propagations-1.json"] = skipped();
    c["search-transit-gateway-routes-1.json"] = skipped();
    return c;
}

TEST(LoaderExamples, EveryExampleOutputLoadsOrIsRefusedPrecisely) {
    auto checks = example_checks();
    std::vector<fs::path> files;
    for (const auto& dir : {kData + "/ec2-examples", kData + "/ec2-examples/cli"})
        for (const auto& e : fs::directory_iterator(dir)) {
            std::string name = e.path().filename().string();
            if (e.path().extension() != ".json") continue;
            if (name.rfind("Describe", 0) == 0 || name.rfind("describe", 0) == 0 || name.rfind("get", 0) == 0 ||
                name.rfind("search", 0) == 0)
                files.push_back(e.path());
        }
    std::sort(files.begin(), files.end());
    size_t checked = 0;
    for (const auto& f : files) {
        std::string name = f.filename().string();
        SCOPED_TRACE(name);
        std::ifstream in(f);
        json doc = json::parse(in);
        const json& out = doc["output"];
        if (out.is_array()) { // the two --query projections
            EXPECT_TRUE(name == "describe-instances-2.json" || name == "describe-security-groups-3-query.json");
            continue;
        }
        auto it = checks.find(name);
        ASSERT_NE(it, checks.end()) << "no check written for " << name;
        TempDir dir;
        dir.write("example.json", out.dump(1));
        dir.write("stubs.json", stubs_for(out).dump());
        it->second(load_network(dir.path().string()));
        ++checked;
    }
    EXPECT_EQ(checked, checks.size());
    EXPECT_GE(checked, 50u);
}

// The raw per-table outputs inside the wrappers of docs/interface.md.
TEST(LoaderExamples, TransitGatewayAndPrefixListWrappers) {
    auto output = [](const std::string& f) {
        std::ifstream in(kData + "/ec2-examples/cli/" + f);
        return json::parse(in)["output"];
    };
    json search = output("search-transit-gateway-routes-1.json");
    json props = output("get-transit-gateway-route-table-propagations-1.json");
    json entries = output("get-managed-prefix-list-entries-1.json");
    json bundle = {
        {"TransitGatewayRouteTables", json::parse(R"([{"TransitGatewayRouteTableId": "tgw-rtb-1",
                                                       "TransitGatewayId": "tgw-1", "State": "available"}])")},
        {"TransitGatewayStaticRoutes",
         {{{"TransitGatewayRouteTableId", "tgw-rtb-1"}, {"Routes", search["Routes"]},
           {"AdditionalRoutesAvailable", true}}}},
        {"TransitGatewayPropagations",
         {{{"TransitGatewayRouteTableId", "tgw-rtb-1"},
           {"TransitGatewayRouteTablePropagations", props["TransitGatewayRouteTablePropagations"]}}}},
        {"PrefixLists", output("describe-managed-prefix-lists-1.json")["PrefixLists"]},
        {"VpcfwPrefixListEntries", {{"pl-0123456abcabcabc1", entries["Entries"]}}},
    };
    Network n = must_load(bundle);
    const TgwRouteTable* t = n.tgw_route_table("tgw-rtb-1");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->tgw_id, "tgw-1");
    ASSERT_EQ(t->routes.size(), 2u);
    EXPECT_EQ(t->routes[0].dest->str(), "10.0.2.0/24");
    EXPECT_EQ(t->routes[0].attachments, std::vector<std::string>{"tgw-attach-09b52ccdb5EXAMPLE"});
    EXPECT_EQ(t->routes[0].type, "static");
    EXPECT_EQ(t->propagations.size(), 3u);
    EXPECT_EQ(t->propagations[0], "tgw-attach-01f8100bc7EXAMPLE");
    // AdditionalRoutesAvailable: a warning that routes are missing.
    ASSERT_EQ(n.warnings.size(), 1u);
    EXPECT_NE(n.warnings[0].message.find("AdditionalRoutesAvailable"), std::string::npos);
    // The managed list's entries come from the Vpcfw wrapper and merge with its metadata.
    const PrefixList* p = n.prefix_list("pl-0123456abcabcabc1");
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->entries_known);
    EXPECT_EQ(p->max_entries, 10);
    EXPECT_EQ(p->name, "vpc-cidrs");
    ASSERT_EQ(p->entries.size(), 2u);
    EXPECT_EQ(p->entries[1].str(), "10.2.0.0/16");
    EXPECT_EQ(n.prefix_lists.size(), 2u);
}

// ---------------------------------------------------------------------------------------
// What the loader accepts and how it fills the model.

TEST(Loader, BaseBundle) {
    Network n = must_load(base_bundle());
    const Vpc* v = n.vpc("vpc-0a1");
    ASSERT_NE(v, nullptr);
    // Associated secondary CIDRs are kept, the primary first; disassociated ones are not.
    ASSERT_EQ(v->cidrs4.size(), 2u);
    EXPECT_EQ(v->cidrs4[0].str(), "10.0.0.0/16");
    EXPECT_EQ(v->cidrs4[1].str(), "10.1.0.0/16");
    ASSERT_EQ(v->cidrs6.size(), 1u);
    EXPECT_EQ(v->cidrs6[0].str(), "2001:db8:1::/56");
    EXPECT_EQ(v->name, "main");

    const Eni* e = n.eni("eni-0a1");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(n.enis.size(), 1u); // listed by NetworkInterfaces and by the instance: one ENI
    EXPECT_EQ(e->mac, "0a:1b:2c:3d:4e:5f");
    EXPECT_EQ(e->name, "web-eni");
    EXPECT_EQ(e->subnet, 0u);
    EXPECT_EQ(e->vpc, 0u);
    ASSERT_EQ(e->private_ips.size(), 2u);
    EXPECT_TRUE(e->private_ips[0].primary);
    EXPECT_EQ(e->private_ips[1].addr.str(), "10.0.1.11");

    const SecurityGroup* g = n.security_group("sg-0a1");
    ASSERT_NE(g, nullptr);
    ASSERT_EQ(g->egress.size(), 1u);
    EXPECT_EQ(g->egress[0].proto, kProtoAll);
    EXPECT_EQ(g->egress[0].from_port, -1); // FromPort/ToPort absent for -1
    EXPECT_EQ(g->ingress[0].proto_ports_str(), "tcp/22");

    const NetworkAcl& a = n.network_acls.at(0);
    ASSERT_EQ(a.entries.size(), 4u);
    EXPECT_EQ(std::pair(a.entries[0].egress, a.entries[0].rule_number), std::pair(false, 100));
    EXPECT_EQ(a.entries[0].proto, kProtoTcp); // "6"
    EXPECT_EQ(a.entries[0].port_from, 22);
    EXPECT_EQ(std::pair(a.entries[1].egress, a.entries[1].rule_number), std::pair(false, 32767));
    EXPECT_EQ(std::pair(a.entries[2].egress, a.entries[2].rule_number), std::pair(true, 100));
    EXPECT_EQ(n.instances.at(0).enis, std::vector<std::string>{"eni-0a1"});
    EXPECT_EQ(n.instances.at(0).state, "running");
    EXPECT_TRUE(n.warnings.empty());
}

TEST(Loader, ProtocolSpellingsAndPorts) {
    json j = base_bundle();
    j["SecurityGroups"][0]["IpPermissions"] = json::parse(R"([
      {"IpProtocol": "6", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
      {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
      {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
      {"IpProtocol": "icmpv6", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
      {"IpProtocol": "50", "FromPort": 1, "ToPort": 2, "PrefixListIds": [{"PrefixListId": "pl-1"}]},
      {"IpProtocol": "udp", "FromPort": 1024, "ToPort": 65535,
       "UserIdGroupPairs": [{"GroupId": "sg-elsewhere", "VpcId": "vpc-peer", "VpcPeeringConnectionId": "pcx-1"}]}])");
    Network n = must_load(j);
    const auto& in = n.security_group("sg-0a1")->ingress;
    ASSERT_EQ(in.size(), 5u); // "6" and "tcp" are the same rule
    EXPECT_EQ(in[0].proto, kProtoTcp);
    EXPECT_EQ(in[1].proto, kProtoIcmp);
    EXPECT_EQ(in[1].from_port, 8);
    EXPECT_EQ(in[1].to_port, -1);
    EXPECT_EQ(in[2].proto, kProtoIcmpv6);
    EXPECT_EQ(in[2].from_port, -1);
    EXPECT_EQ(in[3].proto, 50);
    EXPECT_EQ(in[3].from_port, -1); // ports mean nothing for protocol 50
    EXPECT_EQ(in[3].peer, PeerKind::PrefixList);
    EXPECT_EQ(in[4].peer, PeerKind::Group);
    EXPECT_EQ(in[4].group_id, "sg-elsewhere"); // not in the export: not an error
    EXPECT_EQ(in[4].group_vpc, "vpc-peer");
    EXPECT_EQ(in[4].peering_id, "pcx-1");
}

TEST(Loader, RouteTargetsByField) {
    json j = base_bundle();
    j["RouteTables"][0]["Routes"] = json::parse(R"([
      {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
      {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "Origin": "CreateRoute", "State": "active"},
      {"DestinationCidrBlock": "172.16.0.0/12", "GatewayId": "vgw-1", "Origin": "EnableVgwRoutePropagation", "State": "active"},
      {"DestinationPrefixListId": "pl-63a5400a", "GatewayId": "vpce-1", "Origin": "CreateRoute", "State": "active"},
      {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1", "Origin": "CreateRoute", "State": "active"},
      {"DestinationCidrBlock": "192.168.0.0/16", "VpcPeeringConnectionId": "pcx-1", "State": "blackhole"},
      {"DestinationCidrBlock": "100.64.0.0/10", "InstanceId": "i-0a1", "InstanceOwnerId": "1", "State": "active"},
      {"DestinationCidrBlock": "100.128.0.0/10", "InstanceId": "i-0a1", "NetworkInterfaceId": "eni-0a1", "State": "active"},
      {"DestinationCidrBlock": "10.9.0.0/16", "TransitGatewayId": "tgw-1", "State": "active"},
      {"DestinationCidrBlock": "10.8.0.0/16", "NatGatewayId": "nat-1", "State": "active"},
      {"DestinationCidrBlock": "10.7.0.0/16", "CoreNetworkArn": "arn:aws:networkmanager::1:core-network/x", "State": "active"}])");
    Network n = must_load(j);
    auto kind = [&](const std::string& d) { return find_route(n, "rtb-0a1", d)->kind; };
    EXPECT_EQ(kind("10.0.0.0/16"), TargetKind::Local);
    EXPECT_EQ(kind("0.0.0.0/0"), TargetKind::InternetGateway);
    EXPECT_EQ(kind("172.16.0.0/12"), TargetKind::VpnGateway);
    EXPECT_TRUE(find_route(n, "rtb-0a1", "172.16.0.0/12")->propagated());
    EXPECT_EQ(kind("pl-63a5400a"), TargetKind::VpcEndpoint);
    EXPECT_EQ(kind("::/0"), TargetKind::EgressOnlyIgw);
    EXPECT_EQ(kind("192.168.0.0/16"), TargetKind::Peering);
    EXPECT_EQ(find_route(n, "rtb-0a1", "192.168.0.0/16")->state, "blackhole");
    EXPECT_EQ(kind("10.9.0.0/16"), TargetKind::TransitGateway);
    EXPECT_EQ(kind("10.8.0.0/16"), TargetKind::NatGateway);
    EXPECT_EQ(kind("10.7.0.0/16"), TargetKind::CoreNetwork);
    // InstanceId alone resolves to the instance's primary ENI.
    const Route* inst = find_route(n, "rtb-0a1", "100.64.0.0/10");
    EXPECT_EQ(inst->kind, TargetKind::NetworkInterface);
    EXPECT_EQ(inst->target, "eni-0a1");
    EXPECT_EQ(inst->instance_id, "i-0a1");
    EXPECT_EQ(find_route(n, "rtb-0a1", "100.128.0.0/10")->target, "eni-0a1");
}

TEST(Loader, ElasticIpAssociationsReachTheEni) {
    json j = base_bundle();
    j["Addresses"] = json::parse(R"([
      {"PublicIp": "198.51.100.7", "AllocationId": "eipalloc-1", "AssociationId": "eipassoc-1", "Domain": "vpc",
       "NetworkInterfaceId": "eni-0a1", "PrivateIpAddress": "10.0.1.11"},
      {"PublicIp": "198.51.100.8", "AllocationId": "eipalloc-2", "Domain": "vpc"}])");
    Network n = must_load(j);
    const Eni* e = n.eni("eni-0a1");
    EXPECT_FALSE(e->private_ips[0].public_ip.has_value());
    ASSERT_TRUE(e->private_ips[1].public_ip.has_value());
    EXPECT_EQ(e->private_ips[1].public_ip->str(), "198.51.100.7");
    EXPECT_EQ(e->private_ips[1].allocation_id, "eipalloc-1");
    EXPECT_EQ(n.elastic_ips.size(), 2u);
    EXPECT_TRUE(n.elastic_ips[1].association_id.empty()); // not associated: fine
}

TEST(Loader, InstanceOnlyEnisBecomeEnis) {
    json j = base_bundle();
    j["Reservations"][0]["Instances"][0]["NetworkInterfaces"].push_back(json::parse(R"(
      {"NetworkInterfaceId": "eni-0a2", "SubnetId": "subnet-0a1", "VpcId": "vpc-0a1", "MacAddress": "0A:00:00:00:00:02",
       "PrivateIpAddress": "10.0.1.20", "Association": {"PublicIp": "198.51.100.20", "IpOwnerId": "amazon"},
       "PrivateIpAddresses": [{"Primary": true, "PrivateIpAddress": "10.0.1.20"}],
       "Attachment": {"AttachmentId": "eni-attach-2", "DeviceIndex": 1, "Status": "attached"},
       "Groups": [{"GroupId": "sg-0a1"}], "SourceDestCheck": false, "InterfaceType": "interface"})"));
    Network n = must_load(j);
    EXPECT_EQ(n.enis.size(), 2u);
    const Eni* e = n.eni("eni-0a2");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->instance_id, "i-0a1");
    EXPECT_EQ(e->az, "us-east-1a"); // from the instance's placement
    EXPECT_EQ(e->device_index, 1);
    EXPECT_FALSE(e->source_dest_check);
    EXPECT_EQ(e->private_ips[0].public_ip->str(), "198.51.100.20");
    EXPECT_EQ(n.instances[0].enis, (std::vector<std::string>{"eni-0a1", "eni-0a2"}));
}

TEST(Loader, EmptyListsAndAbsentKeysAreFine) {
    Network n = must_load(json::parse(R"({"Vpcs": [], "Subnets": [], "Addresses": [], "CustomerGateways": []})"));
    EXPECT_TRUE(n.vpcs.empty());
    EXPECT_TRUE(n.warnings.empty());
    // Unknown keys, at any level, are ignored.
    json j = base_bundle();
    j["NextToken"] = "abc";
    j["Vpcs"][0]["EncryptionControl"] = {{"Mode", "monitor"}, {"Future", {1, 2, 3}}};
    EXPECT_EQ(must_load(j).vpcs.size(), 1u);
}

// ---------------------------------------------------------------------------------------
// Several files: merging by id, the account/region layout, skipped files.

TEST(LoaderDirectory, MergesByIdAcrossFiles) {
    TempDir d;
    json base = base_bundle();
    d.write("a/Vpcs.json", json{{"Vpcs", base["Vpcs"]}}.dump());
    d.write("a/Vpcs-page2.json", json{{"Vpcs", base["Vpcs"]}}.dump()); // same VPC again
    d.write("b/Subnets.json", json{{"Subnets", base["Subnets"]}}.dump());
    d.write("b/Groups.json", json{{"SecurityGroups", base["SecurityGroups"]}}.dump());
    // The flat form of the same rules plus one more: merged into the group, no duplicates.
    d.write("b/Rules.json", json::parse(R"({"SecurityGroupRules": [
      {"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-0a1", "IsEgress": false, "IpProtocol": "tcp",
       "FromPort": 22, "ToPort": 22, "CidrIpv4": "203.0.113.0/24", "Description": "ssh"},
      {"SecurityGroupRuleId": "sgr-2", "GroupId": "sg-0a1", "IsEgress": true, "IpProtocol": "-1",
       "FromPort": -1, "ToPort": -1, "CidrIpv4": "0.0.0.0/0"},
      {"SecurityGroupRuleId": "sgr-3", "GroupId": "sg-0a1", "IsEgress": false, "IpProtocol": "udp",
       "FromPort": 53, "ToPort": 53, "CidrIpv6": "2001:db8::/32"}]})").dump());
    // Both prefix-list shapes for one id.
    d.write("c/pl1.json", R"({"PrefixLists": [{"PrefixListId": "pl-1", "PrefixListName": "com.amazonaws.us-east-1.s3", "Cidrs": ["52.216.0.0/15"]}]})");
    d.write("c/pl2.json", R"({"PrefixLists": [{"PrefixListId": "pl-1", "AddressFamily": "IPv4", "MaxEntries": 8, "OwnerId": "AWS", "PrefixListName": "com.amazonaws.us-east-1.s3"}]})");
    // Both TGW attachment outputs for one id.
    d.write("c/att.json", R"({"TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-1", "TransitGatewayId": "tgw-1",
        "ResourceType": "vpc", "ResourceId": "vpc-0a1", "State": "available",
        "Association": {"TransitGatewayRouteTableId": "tgw-rtb-1", "State": "associated"}}]})");
    d.write("c/vpcatt.json", R"({"TransitGatewayVpcAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-1", "TransitGatewayId": "tgw-1",
        "VpcId": "vpc-0a1", "State": "available", "SubnetIds": ["subnet-0a1"], "Options": {"ApplianceModeSupport": "enable"}}]})");
    d.write("notes.txt", "not json at all"); // not *.json: ignored
    d.write("c/other.json", R"({"Something": "else"})");

    Network n = must_load_path(d.path().string());
    EXPECT_EQ(n.vpcs.size(), 1u);
    EXPECT_EQ(n.vpcs[0].cidrs4.size(), 2u);
    const SecurityGroup* g = n.security_group("sg-0a1");
    ASSERT_NE(g, nullptr);
    ASSERT_EQ(g->ingress.size(), 2u);
    EXPECT_EQ(g->ingress[0].rule_id, "sgr-1");
    EXPECT_EQ(g->ingress[0].description, "ssh");
    EXPECT_EQ(g->ingress[1].proto, kProtoUdp);
    ASSERT_EQ(g->egress.size(), 1u);
    EXPECT_EQ(g->egress[0].rule_id, "sgr-2");
    EXPECT_EQ(g->vpc, 0u);

    ASSERT_EQ(n.prefix_lists.size(), 1u);
    EXPECT_TRUE(n.prefix_lists[0].entries_known);
    EXPECT_EQ(n.prefix_lists[0].max_entries, 8);
    EXPECT_EQ(n.prefix_lists[0].owner, "AWS");

    ASSERT_EQ(n.tgw_attachments.size(), 1u);
    const TgwAttachment& a = n.tgw_attachments[0];
    EXPECT_EQ(a.association_rtb, "tgw-rtb-1");
    EXPECT_TRUE(a.appliance_mode);
    EXPECT_EQ(a.subnet_ids, std::vector<std::string>{"subnet-0a1"});

    EXPECT_TRUE(has_warning_for(n, "other.json"));
    EXPECT_EQ(n.warnings.size(), 1u);
    EXPECT_EQ(n.sources.size(), 9u);
}

TEST(LoaderDirectory, AccountRegionLayoutSetsRegion) {
    TempDir d;
    json base = base_bundle();
    d.write("accounts/111122223333/us-west-2/vpcs.json", json{{"Vpcs", base["Vpcs"]}}.dump());
    json other = base["Vpcs"];
    other[0]["VpcId"] = "vpc-0b2";
    d.write("accounts/111122223333/eu-west-1/vpcs.json", json{{"Vpcs", other}}.dump());
    d.write("accounts/111122223333/eu-west-1/subnets.json", json{{"Subnets", base["Subnets"]}}.dump());
    Network n = must_load_path(d.path().string());
    ASSERT_EQ(n.vpcs.size(), 2u);
    EXPECT_EQ(n.vpc("vpc-0a1")->region, "us-west-2");
    EXPECT_EQ(n.vpc("vpc-0b2")->region, "eu-west-1");
    // A subnet in one region's folder may name a VPC read from another folder.
    EXPECT_EQ(n.subnets.at(0).vpc, n.index.vpc.at("vpc-0a1"));
}

TEST(LoaderDirectory, IncompatibleDuplicateIsAnError) {
    TempDir d;
    json base = base_bundle();
    json s2 = base["Subnets"];
    s2[0]["VpcId"] = "vpc-0b2";
    json v2 = base["Vpcs"];
    v2[0]["VpcId"] = "vpc-0b2";
    d.write("1.json", json{{"Vpcs", base["Vpcs"]}, {"Subnets", base["Subnets"]}}.dump());
    d.write("2.json", json{{"Vpcs", v2}, {"Subnets", s2}}.dump());
    auto r = load_network(d.path().string());
    expect_error(r, "/Subnets/0/VpcId", "appears twice");
    EXPECT_NE(r.error().file.find("2.json"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Broken input: an error naming file, JSON pointer and problem; never a crash.

TEST(LoaderErrors, WrongTypes) {
    json j = base_bundle();
    j["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] = "x";
    expect_error(load_json(j), "/SecurityGroups/0/IpPermissions/0/FromPort", "expected an integer");

    j = base_bundle();
    j["Vpcs"] = json::object();
    expect_error(load_json(j), "/Vpcs", "expected an array");

    j = base_bundle();
    j["Subnets"][0]["MapPublicIpOnLaunch"] = "true";
    expect_error(load_json(j), "/Subnets/0/MapPublicIpOnLaunch", "expected true or false");

    j = base_bundle();
    j["NetworkAcls"][0]["Entries"][1]["RuleNumber"] = 1.5;
    expect_error(load_json(j), "/NetworkAcls/0/Entries/1/RuleNumber", "non-integer");

    j = base_bundle();
    j["NetworkInterfaces"][0]["Groups"] = json::array({"sg-0a1"});
    expect_error(load_json(j), "/NetworkInterfaces/0/Groups/0", "expected an object");

    j = base_bundle();
    j["RouteTables"][0]["Routes"][0]["GatewayId"] = 7;
    expect_error(load_json(j), "/RouteTables/0/Routes/0/GatewayId", "expected a string");

    j = base_bundle();
    j["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] = 70000;
    expect_error(load_json(j), "/SecurityGroups/0/IpPermissions/0/FromPort", "out of range");

    j = base_bundle();
    j["SecurityGroups"][0]["IpPermissions"][0]["IpProtocol"] = "tcpp";
    expect_error(load_json(j), "/SecurityGroups/0/IpPermissions/0/IpProtocol", "protocol");

    j = base_bundle();
    j["NetworkAcls"][0]["Entries"][0]["RuleAction"] = "permit";
    expect_error(load_json(j), "/NetworkAcls/0/Entries/0/RuleAction", "allow or deny");

    j = base_bundle();
    j["VpcfwPrefixListEntries"] = json::array();
    expect_error(load_json(j), "/VpcfwPrefixListEntries", "expected an object");
}

TEST(LoaderErrors, MissingRequiredIds) {
    json j = base_bundle();
    j["Vpcs"][0].erase("VpcId");
    expect_error(load_json(j), "/Vpcs/0/VpcId", "missing");

    j = base_bundle();
    j["Subnets"][0].erase("VpcId");
    expect_error(load_json(j), "/Subnets/0/VpcId", "missing");

    j = base_bundle();
    j["NetworkInterfaces"][0]["NetworkInterfaceId"] = "";
    expect_error(load_json(j), "/NetworkInterfaces/0/NetworkInterfaceId", "empty");

    j = base_bundle();
    j["NetworkAcls"][0]["Entries"][0].erase("RuleNumber");
    expect_error(load_json(j), "/NetworkAcls/0/Entries/0/RuleNumber", "missing");

    j = base_bundle();
    j["RouteTables"][0]["Routes"][0].erase("DestinationCidrBlock");
    expect_error(load_json(j), "/RouteTables/0/Routes/0", "no DestinationCidrBlock");
}

TEST(LoaderErrors, DanglingReferences) {
    json j = base_bundle();
    j["Subnets"][0]["VpcId"] = "vpc-gone";
    expect_error(load_json(j), "/Subnets/0/VpcId", "vpc-gone");

    j = base_bundle();
    j["NetworkInterfaces"][0]["SubnetId"] = "subnet-gone";
    j.erase("Reservations");
    expect_error(load_json(j), "/NetworkInterfaces/0/SubnetId", "subnet-gone");

    j = base_bundle();
    j["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]["SubnetId"] = "subnet-gone";
    j.erase("NetworkInterfaces");
    expect_error(load_json(j), "/Reservations/0/Instances/0/NetworkInterfaces/0/SubnetId", "subnet-gone");

    j = base_bundle();
    j["RouteTables"][0]["VpcId"] = "vpc-gone";
    expect_error(load_json(j), "/RouteTables/0/VpcId", "not in the export");

    j = base_bundle();
    j["NetworkAcls"][0]["VpcId"] = "vpc-gone";
    expect_error(load_json(j), "/NetworkAcls/0/VpcId", "not in the export");

    j = base_bundle();
    j["NetworkAcls"][0]["Associations"][0]["SubnetId"] = "subnet-gone";
    expect_error(load_json(j), "/NetworkAcls/0/Associations/0/SubnetId", "subnet-gone");

    j = base_bundle();
    j["SecurityGroups"][0]["VpcId"] = "vpc-gone";
    expect_error(load_json(j), "/SecurityGroups/0/VpcId", "not in the export");
}

TEST(LoaderErrors, NotErrorsThatLintReports) {
    json j = base_bundle();
    j["RouteTables"][0]["Routes"].push_back(
        {{"DestinationCidrBlock", "0.0.0.0/0"}, {"GatewayId", "igw-deleted"}, {"State", "blackhole"}});
    j["RouteTables"][0]["Associations"].push_back({{"Main", false}, {"SubnetId", "subnet-elsewhere"}});
    j["SecurityGroups"][0]["IpPermissions"][0]["UserIdGroupPairs"] = {{{"GroupId", "sg-other-account"}}};
    j["Addresses"] = {{{"PublicIp", "198.51.100.9"}, {"AllocationId", "eipalloc-free"}, {"Domain", "vpc"}}};
    j["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"] = "eni-not-listed";
    j["InternetGateways"] = {{{"InternetGatewayId", "igw-1"}, {"Attachments", {{{"VpcId", "vpc-other"}, {"State", "available"}}}}}};
    Network n = must_load(j);
    EXPECT_EQ(find_route(n, "rtb-0a1", "0.0.0.0/0")->state, "blackhole");
    EXPECT_NE(n.eni("eni-not-listed"), nullptr);
}

TEST(LoaderErrors, BadCidrsAndAddresses) {
    json j = base_bundle();
    j["Vpcs"][0]["CidrBlock"] = "10.0.0.0/33";
    expect_error(load_json(j), "/Vpcs/0/CidrBlock", "malformed CIDR");

    j = base_bundle();
    j["Subnets"][0]["CidrBlock"] = "10.0.1/24";
    expect_error(load_json(j), "/Subnets/0/CidrBlock", "10.0.1/24");

    j = base_bundle();
    j["SecurityGroups"][0]["IpPermissions"][0]["IpRanges"][0]["CidrIp"] = "2001:db8::/32";
    expect_error(load_json(j), "/SecurityGroups/0/IpPermissions/0/IpRanges/0/CidrIp", "IPv6");

    j = base_bundle();
    j["SecurityGroups"][0]["IpPermissions"][0]["IpRanges"][0]["CidrIp"] = "203.0.113.5"; // no /32
    expect_error(load_json(j), "/SecurityGroups/0/IpPermissions/0/IpRanges/0/CidrIp", "malformed CIDR");

    j = base_bundle();
    j["NetworkInterfaces"][0]["PrivateIpAddresses"][1]["PrivateIpAddress"] = "10.0.1.256";
    expect_error(load_json(j), "/NetworkInterfaces/0/PrivateIpAddresses/1/PrivateIpAddress", "malformed IP");

    j = base_bundle();
    j["Vpcs"][0].erase("CidrBlock");
    j["Vpcs"][0].erase("CidrBlockAssociationSet");
    j["Vpcs"][0].erase("Ipv6CidrBlockAssociationSet");
    expect_error(load_json(j), "/Vpcs/0/CidrBlock", "no CIDR");

    // Host bits are canonicalised, as AWS does.
    j = base_bundle();
    j["SecurityGroups"][0]["IpPermissions"][0]["IpRanges"][0]["CidrIp"] = "100.68.0.18/18";
    EXPECT_EQ(must_load(j).security_groups[0].ingress[0].cidr.str(), "100.68.0.0/18");
}

TEST(LoaderErrors, SyntaxErrorsSayLineAndColumn) {
    auto r = load_network_text("{\n  \"Vpcs\": [\n    {\"VpcId\": \"vpc-1\",, }\n  ]\n}", "net.json");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().file, "net.json");
    EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("column 23"), std::string::npos) << r.error().message;

    auto t = load_network_text("{\"Vpcs\": [ {\"VpcId\": ", "trunc.json");
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("invalid JSON"), std::string::npos);

    auto x = load_network_text("hello", "x");
    ASSERT_FALSE(x.ok());
    EXPECT_NE(x.error().message.find("line 1"), std::string::npos);

    EXPECT_FALSE(load_network_text("", "empty").ok());
    EXPECT_FALSE(load_network_text("[1, 2]", "array").ok());
    EXPECT_FALSE(load_network_text("{}", "nothing").ok());
    EXPECT_FALSE(load_network_text("\"\xff\xfe\"", "bad-utf8").ok());
}

TEST(LoaderErrors, FilesAndDirectories) {
    TempDir d;
    // An empty directory is an error, as is a missing path.
    auto empty = load_network(d.path().string());
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message.find("no *.json"), std::string::npos);
    EXPECT_FALSE(load_network((d.path() / "missing.json").string()).ok());

    // A directory whose only JSON file is no AWS export: nothing to load.
    d.write("readme.json", R"({"title": "not an export"})");
    EXPECT_FALSE(load_network(d.path().string()).ok());

    // A truncated file in a directory: the error names that file.
    fs::path bad = d.write("sub/Subnets.json", R"({"Subnets": [{"SubnetId": "subnet-1", )");
    auto r = load_network(d.path().string());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().file, bad.string());
    EXPECT_NE(r.error().message.find("line 1"), std::string::npos);
}

TEST(LoaderErrors, EveryTruncationOfASnapshotFails) {
    // No prefix of a real export is valid JSON; each must fail cleanly, never crash.
    std::ifstream in(kSnapshots + "test-nat-gateway/NetworkInterfaces.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(text.size(), 1000u);
    size_t failures = 0, tries = 0;
    for (size_t len = 0; len + 2 < text.size(); len += 13, ++tries)
        failures += !load_network_text(text.substr(0, len), "t").ok();
    EXPECT_EQ(failures, tries);
}

} // namespace
} // namespace vpcfw
