// Unit tests for `vpcfw check` findings (ruleset/lint.cpp): each code on hand-built
// networks, the cases that must stay quiet, and the real AWS snapshots (no errors).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ruleset/lint.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;

namespace {

Cidr cidr(const char* s) { return *Cidr::parse(s); }
IpAddr ip(const char* s) { return *IpAddr::parse(s); }

NaclEntry entry(int number, bool egress, int proto, bool allow, const char* c, int from = -1, int to = -1) {
    NaclEntry e;
    e.rule_number = number;
    e.egress = egress;
    e.proto = proto;
    e.allow = allow;
    e.cidr = cidr(c);
    e.port_from = from;
    e.port_to = to;
    return e;
}

NaclEntry icmp_entry(int number, bool egress, bool allow, const char* c, int type, int code) {
    NaclEntry e = entry(number, egress, kProtoIcmp, allow, c);
    e.icmp_type = type;
    e.icmp_code = code;
    return e;
}

void add_default_denies(NetworkAcl& acl) {
    for (bool egress : {false, true}) {
        acl.entries.push_back(entry(32767, egress, kProtoAll, false, "0.0.0.0/0"));
        acl.entries.push_back(entry(32768, egress, kProtoAll, false, "::/0"));
    }
}

SgRule sg_rule(int proto, int from, int to, const char* peer) {
    SgRule r;
    r.proto = proto;
    r.from_port = from;
    r.to_port = to;
    r.peer = PeerKind::Cidr;
    r.cidr = cidr(peer);
    return r;
}

// One VPC (10.0.0.0/16), one subnet, a main route table with the local route, the default
// NACL (allow all both ways, both families) and one SG: a network with nothing to report.
Network clean_network() {
    Network n;
    Vpc v;
    v.id = "vpc-1";
    v.cidrs4 = {cidr("10.0.0.0/16")};
    n.vpcs.push_back(v);

    Subnet s;
    s.id = "subnet-1";
    s.vpc = 0;
    s.cidr4 = cidr("10.0.1.0/24");
    n.subnets.push_back(s);

    RouteTable t;
    t.id = "rtb-main";
    t.vpc = 0;
    t.associations.push_back(RouteTableAssociation{"rtbassoc-1", true, "", "", "associated"});
    Route local;
    local.dest = cidr("10.0.0.0/16");
    local.kind = TargetKind::Local;
    local.target = "local";
    local.origin = "CreateRouteTable";
    t.routes.push_back(local);
    n.route_tables.push_back(t);

    NetworkAcl acl;
    acl.id = "acl-default";
    acl.vpc = 0;
    acl.is_default = true;
    for (bool egress : {false, true}) {
        acl.entries.push_back(entry(100, egress, kProtoAll, true, "0.0.0.0/0"));
        acl.entries.push_back(entry(101, egress, kProtoAll, true, "::/0"));
    }
    add_default_denies(acl);
    n.network_acls.push_back(acl);

    SecurityGroup g;
    g.id = "sg-1";
    g.vpc = 0;
    SgRule self;
    self.peer = PeerKind::Group;
    self.group_id = "sg-1";
    g.ingress.push_back(self);
    SgRule out = sg_rule(kProtoAll, -1, -1, "0.0.0.0/0");
    out.egress = true;
    g.egress.push_back(out);
    n.security_groups.push_back(g);

    Eni e;
    e.id = "eni-1";
    e.subnet = 0;
    e.vpc = 0;
    e.private_ips.push_back(PrivateIp{ip("10.0.1.10"), true, {}, {}, {}});
    e.groups = {"sg-1"};
    n.enis.push_back(e);

    n.reindex();
    return n;
}

std::vector<Finding> with_code(const std::vector<Finding>& all, const std::string& code) {
    std::vector<Finding> out;
    for (const auto& f : all)
        if (f.code == code) out.push_back(f);
    return out;
}

size_t count_severity(const std::vector<Finding>& all, Severity s) {
    return static_cast<size_t>(std::count_if(all.begin(), all.end(), [s](const Finding& f) { return f.severity == s; }));
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// A custom NACL on subnet-1 replacing the default one's role.
NetworkAcl& custom_nacl(Network& n) {
    NetworkAcl acl;
    acl.id = "acl-web";
    acl.vpc = 0;
    acl.associations.push_back(NaclAssociation{"aclassoc-1", "subnet-1"});
    n.network_acls.push_back(acl);
    n.reindex();
    return n.network_acls.back();
}

} // namespace

TEST(Lint, SeverityNames) {
    EXPECT_STREQ(severity_name(Severity::Error), "error");
    EXPECT_STREQ(severity_name(Severity::Warning), "warning");
    EXPECT_STREQ(severity_name(Severity::Info), "info");
}

TEST(Lint, CleanNetworkAndEmptyNetworkHaveNoFindings) {
    EXPECT_TRUE(lint_network(clean_network()).empty());
    EXPECT_TRUE(lint_network(Network{}).empty());
}

// ---- eip-unassociated --------------------------------------------------------------------

TEST(Lint, UnassociatedElasticIpIsReportedWithItsPrice) {
    Network n = clean_network();
    ElasticIp idle;
    idle.public_ip = ip("198.51.100.7");
    idle.allocation_id = "eipalloc-idle";
    n.elastic_ips.push_back(idle);
    ElasticIp used;
    used.public_ip = ip("198.51.100.8");
    used.allocation_id = "eipalloc-used";
    used.association_id = "eipassoc-1";
    used.eni_id = "eni-1";
    n.elastic_ips.push_back(used);
    n.reindex();

    auto f = with_code(lint_network(n), "eip-unassociated");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].object, "eipalloc-idle");
    EXPECT_EQ(f[0].severity, Severity::Warning);
    EXPECT_TRUE(contains(f[0].message, "198.51.100.7"));
    EXPECT_TRUE(contains(f[0].message, "$0.005 per hour"));
    EXPECT_TRUE(contains(f[0].message, "2024-02-01"));
}

// ---- nacl-blocks-return ------------------------------------------------------------------

// docs/aws-facts.md §2 "EX (stateless return)": the web server's SYN-ACKs are denied outbound.
TEST(Lint, NaclBlocksReturnCanonicalExample) {
    Network n = clean_network();
    NetworkAcl& acl = custom_nacl(n);
    acl.entries = {
        entry(100, false, kProtoTcp, true, "0.0.0.0/0", 80, 80),
        entry(110, false, kProtoTcp, true, "0.0.0.0/0", 443, 443),
        entry(140, false, kProtoTcp, true, "0.0.0.0/0", 32768, 65535),
        entry(100, true, kProtoTcp, true, "0.0.0.0/0", 80, 80),
        entry(110, true, kProtoTcp, true, "0.0.0.0/0", 443, 443),
    };
    add_default_denies(acl);

    auto f = with_code(lint_network(n), "nacl-blocks-return");
    // Inbound 80 and 443 lose their replies. Inbound 140 is a return-traffic range, not a
    // service; outbound 80/443 get their replies through inbound 140 (32768-65535).
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].object, "acl-web");
    EXPECT_TRUE(contains(f[0].message, "inbound rule 100"));
    EXPECT_TRUE(contains(f[1].message, "inbound rule 110"));
    EXPECT_TRUE(contains(f[1].message, "to 0.0.0.0/0"));
    EXPECT_TRUE(contains(f[1].message, "decided by *"));

    // The fix the docs give: allow the ephemeral ports outbound.
    acl.entries.push_back(entry(120, true, kProtoTcp, true, "0.0.0.0/0", 1024, 65535));
    EXPECT_TRUE(with_code(lint_network(n), "nacl-blocks-return").empty());
}

TEST(Lint, NaclBlocksReturnQuietForDefaultAndPartialEphemeralRanges) {
    Network n = clean_network();
    EXPECT_TRUE(with_code(lint_network(n), "nacl-blocks-return").empty());

    // Outbound allows only the Linux ephemeral range: some return ports pass, no finding.
    NetworkAcl& acl = custom_nacl(n);
    acl.entries = {
        entry(100, false, kProtoTcp, true, "0.0.0.0/0", 443, 443),
        entry(100, true, kProtoTcp, true, "0.0.0.0/0", 32768, 60999),
    };
    add_default_denies(acl);
    EXPECT_TRUE(with_code(lint_network(n), "nacl-blocks-return").empty());

    // Outbound protocol -1 allow: returns pass.
    acl.entries = {
        entry(100, false, kProtoUdp, true, "10.0.0.0/8", 53, 53),
        entry(100, true, kProtoAll, true, "10.0.0.0/8"),
    };
    add_default_denies(acl);
    EXPECT_TRUE(with_code(lint_network(n), "nacl-blocks-return").empty());
}

TEST(Lint, NaclBlocksReturnForPartOfThePeerRange) {
    Network n = clean_network();
    NetworkAcl& acl = custom_nacl(n);
    acl.entries = {
        entry(100, false, kProtoTcp, true, "0.0.0.0/0", 443, 443),
        entry(100, true, kProtoTcp, true, "10.0.0.0/8", 1024, 65535),
    };
    add_default_denies(acl);
    auto f = with_code(lint_network(n), "nacl-blocks-return");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_TRUE(contains(f[0].message, "part of 0.0.0.0/0"));
}

TEST(Lint, NaclBlocksReturnIgnoresPeersDeniedBeforeTheRule) {
    // Sources in 198.51.100.0/24 never reach rule 110, so their denied returns do not matter.
    Network n = clean_network();
    NetworkAcl& acl = custom_nacl(n);
    acl.entries = {
        entry(90, false, kProtoAll, false, "198.51.100.0/24"),
        entry(110, false, kProtoTcp, true, "0.0.0.0/0", 443, 443),
        entry(100, true, kProtoAll, false, "198.51.100.0/24"),
        entry(200, true, kProtoTcp, true, "0.0.0.0/0", 1024, 65535),
    };
    add_default_denies(acl);
    EXPECT_TRUE(with_code(lint_network(n), "nacl-blocks-return").empty());

    // Without the inbound deny, those sources reach 110 and their replies die at outbound 100.
    acl.entries.erase(acl.entries.begin());
    auto f = with_code(lint_network(n), "nacl-blocks-return");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_TRUE(contains(f[0].message, "e.g. 198.51.100.0"));
    EXPECT_TRUE(contains(f[0].message, "decided by 100"));
}

TEST(Lint, NaclBlocksReturnOutboundRuleAndIpv6) {
    Network n = clean_network();
    NetworkAcl& acl = custom_nacl(n);
    acl.entries = {
        // Instances call out on udp/123 (IPv4, returns allowed) and tcp/443 over IPv6
        // (only IPv4 returns allowed inbound).
        entry(100, true, kProtoUdp, true, "0.0.0.0/0", 123, 123),
        entry(110, true, kProtoTcp, true, "::/0", 443, 443),
        entry(100, false, kProtoAll, true, "0.0.0.0/0"),
    };
    add_default_denies(acl);
    auto f = with_code(lint_network(n), "nacl-blocks-return");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_TRUE(contains(f[0].message, "outbound rule 110"));
    EXPECT_TRUE(contains(f[0].message, "from ::/0"));
}

// ---- sg-open-admin-port ------------------------------------------------------------------

TEST(Lint, OpenAdminPorts) {
    Network n = clean_network();
    SecurityGroup& g = n.security_groups[0];
    g.ingress.push_back(sg_rule(kProtoTcp, 22, 22, "0.0.0.0/0"));        // SSH: yes
    g.ingress.push_back(sg_rule(kProtoTcp, 80, 80, "0.0.0.0/0"));        // web: no
    g.ingress.push_back(sg_rule(kProtoTcp, 22, 22, "10.0.0.0/8"));       // private source: no
    g.ingress.push_back(sg_rule(kProtoTcp, 3000, 4000, "0.0.0.0/0"));    // covers RDP: yes
    g.ingress.push_back(sg_rule(kProtoAll, -1, -1, "::/0"));             // everything: yes
    g.ingress.push_back(sg_rule(kProtoUdp, 22, 22, "0.0.0.0/0"));        // udp: no
    g.ingress.push_back(sg_rule(kProtoIcmp, -1, -1, "0.0.0.0/0"));       // icmp: no
    SgRule out = sg_rule(kProtoTcp, 22, 22, "0.0.0.0/0");
    out.egress = true;
    g.egress.push_back(out);                                             // egress: no

    auto f = with_code(lint_network(n), "sg-open-admin-port");
    ASSERT_EQ(f.size(), 3u);
    for (const auto& x : f) EXPECT_EQ(x.object, "sg-1");
    EXPECT_TRUE(contains(f[0].message, "SSH (22)"));
    EXPECT_TRUE(contains(f[1].message, "RDP (3389)"));
    EXPECT_FALSE(contains(f[1].message, "SSH"));
    EXPECT_TRUE(contains(f[2].message, "::/0"));
    EXPECT_TRUE(contains(f[2].message, "Telnet (23)"));
    EXPECT_TRUE(contains(f[2].message, "WinRM over HTTPS (5986)"));
}

// ---- endpoint-unused ---------------------------------------------------------------------

TEST(Lint, GatewayEndpointWithoutRouteIsUnused) {
    Network n = clean_network();
    VpcEndpoint used;
    used.id = "vpce-used";
    used.type = "Gateway";
    used.vpc = 0;
    used.service_name = "com.amazonaws.us-east-2.s3";
    VpcEndpoint unused = used;
    unused.id = "vpce-unused";
    unused.route_table_ids = {"rtb-main"}; // claimed, but the route is gone
    VpcEndpoint iface = used;
    iface.id = "vpce-iface";
    iface.type = "Interface";
    n.endpoints = {used, unused, iface};
    Route r;
    r.dest_prefix_list = "pl-s3";
    r.kind = TargetKind::VpcEndpoint;
    r.target = "vpce-used";
    n.route_tables[0].routes.push_back(r);
    n.reindex();

    auto f = with_code(lint_network(n), "endpoint-unused");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].object, "vpce-unused");
    EXPECT_TRUE(contains(f[0].message, "com.amazonaws.us-east-2.s3"));
}

// ---- sg-missing-group --------------------------------------------------------------------

TEST(Lint, RulesNamingAbsentGroupsAreStale) {
    Network n = clean_network();
    SgRule stale;
    stale.proto = kProtoTcp;
    stale.from_port = stale.to_port = 5432;
    stale.peer = PeerKind::Group;
    stale.group_id = "sg-gone";
    n.security_groups[0].ingress.push_back(stale);
    SgRule peer = stale;
    peer.group_id = "sg-peer";
    peer.group_vpc = "vpc-other";
    peer.peering_id = "pcx-1";
    peer.egress = true;
    n.security_groups[0].egress.push_back(peer);

    auto f = with_code(lint_network(n), "sg-missing-group");
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].object, "sg-1");
    EXPECT_TRUE(contains(f[0].message, "ingress rule tcp/5432 from sg-gone"));
    EXPECT_TRUE(contains(f[1].message, "egress rule tcp/5432 to sg-peer (in vpc-other over pcx-1)"));
}

// ---- nacl-shadowed-entry -----------------------------------------------------------------

TEST(Lint, ShadowedNaclEntries) {
    Network n = clean_network();
    NetworkAcl& acl = custom_nacl(n);
    acl.entries = {
        entry(100, false, kProtoTcp, true, "10.0.0.0/8", 0, 65535),
        entry(110, false, kProtoTcp, false, "10.1.0.0/16", 22, 22),      // covered by 100
        entry(120, false, kProtoUdp, false, "10.1.0.0/16", 22, 22),      // other protocol
        entry(130, false, kProtoTcp, false, "0.0.0.0/0", 22, 22),        // wider CIDR
        icmp_entry(140, false, true, "0.0.0.0/0", 3, -1),
        icmp_entry(150, false, false, "10.0.0.0/8", 3, 4),               // covered by 140
        icmp_entry(160, false, false, "10.0.0.0/8", 8, 0),               // other type
        entry(170, false, kProtoTcp, true, "2001:db8::/32", 22, 22),      // other family
        entry(100, true, kProtoAll, true, "0.0.0.0/0"),
        entry(110, true, kProtoUdp, true, "10.0.0.0/8", 53, 53),         // covered by all
    };
    add_default_denies(acl);

    auto f = with_code(lint_network(n), "nacl-shadowed-entry");
    ASSERT_EQ(f.size(), 3u);
    EXPECT_TRUE(contains(f[0].message, "inbound rule 110"));
    EXPECT_TRUE(contains(f[0].message, "rule 100"));
    EXPECT_TRUE(contains(f[1].message, "inbound rule 150"));
    EXPECT_TRUE(contains(f[1].message, "rule 140"));
    EXPECT_TRUE(contains(f[2].message, "outbound rule 110"));
    for (const auto& x : f) EXPECT_FALSE(contains(x.message, "rule * "));

    // The default NACL's `*` entries are covered by rules 100/101, which is normal.
    Network d = clean_network();
    EXPECT_TRUE(with_code(lint_network(d), "nacl-shadowed-entry").empty());
}

// ---- route-prefix-list-overlap -----------------------------------------------------------

TEST(Lint, OverlappingPrefixListRoutes) {
    Network n = clean_network();
    PrefixList a;
    a.id = "pl-aaa";
    a.family = "IPv4";
    a.entries = {cidr("52.1.0.0/16"), cidr("52.2.0.0/16")};
    a.entries_known = true;
    PrefixList b = a;
    b.id = "pl-bbb";
    b.entries = {cidr("52.2.0.0/16")};
    PrefixList c = a;
    c.id = "pl-ccc";
    c.entries = {cidr("52.2.0.0/24")}; // overlaps, but a longer prefix: LPM decides
    n.prefix_lists = {a, b, c};
    auto pl_route = [](const char* pl, const char* target) {
        Route r;
        r.dest_prefix_list = pl;
        r.kind = TargetKind::VpcEndpoint;
        r.target = target;
        return r;
    };
    n.route_tables[0].routes.push_back(pl_route("pl-bbb", "vpce-2"));
    n.route_tables[0].routes.push_back(pl_route("pl-aaa", "vpce-1"));
    n.route_tables[0].routes.push_back(pl_route("pl-ccc", "vpce-3"));
    n.reindex();

    auto f = with_code(lint_network(n), "route-prefix-list-overlap");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].object, "rtb-main");
    EXPECT_TRUE(contains(f[0].message, "52.2.0.0/16"));
    EXPECT_TRUE(contains(f[0].message, "vpcfw uses pl-aaa"));

    // Same target: no ambiguity.
    ASSERT_EQ(n.route_tables[0].routes[1].dest_prefix_list, "pl-bbb");
    n.route_tables[0].routes[1].target = "vpce-1";
    EXPECT_TRUE(with_code(lint_network(n), "route-prefix-list-overlap").empty());
}

// ---- route-blackhole, route-target-missing, route-target-not-exported ---------------------

TEST(Lint, RouteTargets) {
    Network n = clean_network();
    InternetGateway igw;
    igw.id = "igw-live";
    igw.attachments.push_back(GatewayAttachment{"vpc-1", "available"});
    n.internet_gateways.push_back(igw);
    auto route = [](const char* dest, TargetKind k, const char* target, const char* state) {
        Route r;
        r.dest = cidr(dest);
        r.kind = k;
        r.target = target;
        r.state = state;
        return r;
    };
    auto& routes = n.route_tables[0].routes;
    routes.push_back(route("0.0.0.0/0", TargetKind::InternetGateway, "igw-live", "active"));
    routes.push_back(route("1.0.0.0/8", TargetKind::InternetGateway, "igw-gone", "blackhole"));
    routes.push_back(route("2.0.0.0/8", TargetKind::InternetGateway, "igw-other", "active"));
    routes.push_back(route("3.0.0.0/8", TargetKind::Peering, "pcx-1", "active"));
    routes.push_back(route("4.0.0.0/8", TargetKind::NetworkInterface, "eni-1", "active"));
    routes.push_back(route("5.0.0.0/8", TargetKind::LocalGateway, "lgw-1", "active"));
    n.reindex();

    auto all = lint_network(n);
    auto bh = with_code(all, "route-blackhole");
    ASSERT_EQ(bh.size(), 1u);
    EXPECT_EQ(bh[0].severity, Severity::Info);
    EXPECT_TRUE(contains(bh[0].message, "1.0.0.0/8 -> igw-gone"));

    auto missing = with_code(all, "route-target-missing");
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_EQ(missing[0].severity, Severity::Error);
    EXPECT_EQ(missing[0].object, "rtb-main");
    EXPECT_TRUE(contains(missing[0].message, "igw-other"));

    auto partial = with_code(all, "route-target-not-exported");
    ASSERT_EQ(partial.size(), 1u);
    EXPECT_EQ(partial[0].severity, Severity::Warning);
    EXPECT_TRUE(contains(partial[0].message, "pcx-1"));
    EXPECT_EQ(count_severity(all, Severity::Error), 1u);
}

// ---- subnet-no-route-table, subnet-no-nacl -----------------------------------------------

TEST(Lint, SubnetsWithoutRouteTableOrNacl) {
    Network n = clean_network();
    n.route_tables[0].associations[0].main = false; // no main table any more
    n.network_acls[0].is_default = false;           // and no default NACL
    Subnet s2 = n.subnets[0];
    s2.id = "subnet-2";
    n.subnets.push_back(s2);
    RouteTableAssociation explicit_assoc{"rtbassoc-2", false, "subnet-2", "", "associated"};
    n.route_tables[0].associations.push_back(explicit_assoc);
    n.network_acls[0].associations.push_back(NaclAssociation{"aclassoc-2", "subnet-2"});
    n.reindex();

    auto all = lint_network(n);
    auto rt = with_code(all, "subnet-no-route-table");
    ASSERT_EQ(rt.size(), 1u);
    EXPECT_EQ(rt[0].object, "subnet-1");
    EXPECT_EQ(rt[0].severity, Severity::Error);
    auto acl = with_code(all, "subnet-no-nacl");
    ASSERT_EQ(acl.size(), 1u);
    EXPECT_EQ(acl[0].object, "subnet-1");
    EXPECT_EQ(acl[0].severity, Severity::Error);
}

// ---- duplicate-address -------------------------------------------------------------------

TEST(Lint, DuplicateAddressesInOneVpc) {
    Network n = clean_network();
    Eni dup = n.enis[0];
    dup.id = "eni-2";
    n.enis.push_back(dup);
    Eni other_vpc = n.enis[0];
    other_vpc.id = "eni-3";
    other_vpc.vpc = 1;
    n.enis.push_back(other_vpc);
    Vpc v2 = n.vpcs[0];
    v2.id = "vpc-2";
    n.vpcs.push_back(v2);
    Eni v6a = n.enis[0];
    v6a.id = "eni-4";
    v6a.private_ips = {PrivateIp{ip("10.0.1.20"), true, {}, {}, {}}};
    v6a.ipv6 = {ip("2001:db8::5"), ip("2001:db8::5")}; // listed twice on one ENI: no clash
    Eni v6b = v6a;
    v6b.id = "eni-5";
    v6b.private_ips = {PrivateIp{ip("10.0.1.21"), true, {}, {}, {}}};
    n.enis.push_back(v6a);
    n.enis.push_back(v6b);
    n.reindex();

    auto f = with_code(lint_network(n), "duplicate-address");
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].object, "eni-2");
    EXPECT_TRUE(contains(f[0].message, "10.0.1.10 is also a private address of eni-1"));
    EXPECT_EQ(f[1].object, "eni-5");
    EXPECT_TRUE(contains(f[1].message, "2001:db8::5"));
}

// ---- quotas ------------------------------------------------------------------------------

TEST(Lint, QuotasAreWarningsAboveTheLimitOnly) {
    Network n = clean_network();
    SecurityGroup big;
    big.id = "sg-big";
    big.vpc = 0;
    for (int i = 0; i < 61; ++i) big.ingress.push_back(sg_rule(kProtoTcp, 1000 + i, 1000 + i, "10.0.0.0/8"));
    for (int i = 0; i < 60; ++i) big.egress.push_back(sg_rule(kProtoTcp, 1000 + i, 1000 + i, "10.0.0.0/8"));
    for (int i = 0; i < 61; ++i) big.egress.push_back(sg_rule(kProtoTcp, 1000 + i, 1000 + i, "2001:db8::/32"));
    n.security_groups.push_back(big);

    n.enis[0].groups = {"sg-1", "sg-1a", "sg-1b", "sg-1c", "sg-1d", "sg-1e"};

    NetworkAcl& acl = n.network_acls[0];
    for (int i = 0; i < 18; ++i) acl.entries.push_back(entry(200 + i, false, kProtoTcp, true, "10.0.0.0/8", 2000 + i, 2000 + i));
    // Inbound IPv4 now has 100 + 18 numbered + `*` = 20: at the quota, not above.
    for (int i = 0; i < 19; ++i) acl.entries.push_back(entry(200 + i, true, kProtoTcp, true, "10.0.0.0/8", 2000 + i, 2000 + i));
    // Outbound IPv4: 100 + 19 + `*` = 21.

    for (int i = 0; i < 50; ++i) {
        Route r;
        r.dest = Cidr{IpAddr::v4(0x0b000000u + (static_cast<uint32_t>(i) << 8)), 24};
        r.kind = TargetKind::NetworkInterface;
        r.target = "eni-1";
        n.route_tables[0].routes.push_back(r);
    }
    Route propagated = n.route_tables[0].routes.back();
    propagated.dest = cidr("12.0.0.0/8");
    propagated.origin = "EnableVgwRoutePropagation";
    n.route_tables[0].routes.push_back(propagated); // does not count
    // local + 50 = 51 non-propagated IPv4 routes.

    for (int i = 0; i < 21; ++i) {
        TgwRouteTable t;
        t.id = "tgw-rtb-" + std::to_string(i);
        t.tgw_id = "tgw-1";
        n.tgw_route_tables.push_back(t);
    }
    n.reindex();

    auto all = lint_network(n);
    auto sg = with_code(all, "quota-sg-rules");
    ASSERT_EQ(sg.size(), 2u);
    EXPECT_TRUE(contains(sg[0].message, "61 inbound IPv4"));
    EXPECT_TRUE(contains(sg[1].message, "61 outbound IPv6"));
    auto eni = with_code(all, "quota-sgs-per-eni");
    ASSERT_EQ(eni.size(), 1u);
    EXPECT_EQ(eni[0].object, "eni-1");
    auto nacl = with_code(all, "quota-nacl-entries");
    ASSERT_EQ(nacl.size(), 1u);
    EXPECT_TRUE(contains(nacl[0].message, "21 outbound IPv4"));
    auto routes = with_code(all, "quota-routes");
    ASSERT_EQ(routes.size(), 1u);
    EXPECT_TRUE(contains(routes[0].message, "51 non-propagated IPv4"));
    auto tgw = with_code(all, "quota-tgw-route-tables");
    ASSERT_EQ(tgw.size(), 1u);
    EXPECT_EQ(tgw[0].object, "tgw-1");
    for (const auto& f : all) {
        if (f.code.rfind("quota-", 0) == 0) {
            EXPECT_EQ(f.severity, Severity::Warning);
        }
    }
}

// ---- order and robustness ----------------------------------------------------------------

TEST(Lint, FindingsAreSortedByCodeThenObject) {
    Network n = clean_network();
    for (const char* id : {"eipalloc-b", "eipalloc-a"}) {
        ElasticIp e;
        e.public_ip = ip("198.51.100.9");
        e.allocation_id = id;
        n.elastic_ips.push_back(e);
    }
    SecurityGroup g;
    g.id = "sg-0";
    g.vpc = 0;
    g.ingress.push_back(sg_rule(kProtoTcp, 22, 22, "0.0.0.0/0"));
    n.security_groups.push_back(g);
    Eni dup = n.enis[0];
    dup.id = "eni-2";
    n.enis.push_back(dup);
    n.reindex();

    auto all = lint_network(n);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].code, "duplicate-address");
    EXPECT_EQ(all[1].object, "eipalloc-a");
    EXPECT_EQ(all[2].object, "eipalloc-b");
    EXPECT_EQ(all[3].code, "sg-open-admin-port");
}

TEST(Lint, DanglingIndicesAndOddValuesDoNotCrash) {
    Network n = clean_network();
    n.subnets[0].vpc = kNone;
    n.enis[0].vpc = kNone;
    n.route_tables[0].vpc = 42;
    Route r;
    r.dest_prefix_list = "pl-unknown";
    r.target = "";
    n.route_tables[0].routes.push_back(r);
    NetworkAcl& acl = custom_nacl(n);
    acl.entries = {entry(100, false, kProtoTcp, true, "0.0.0.0/0", 443, -1),
                   entry(100, false, kProtoTcp, true, "0.0.0.0/0", 443, 443),
                   entry(50, true, 99, true, "0.0.0.0/0", 5, 1)};
    ElasticIp e; // no allocation id at all
    n.elastic_ips.push_back(e);
    n.reindex();
    auto all = lint_network(n);
    EXPECT_FALSE(all.empty());
    for (const auto& f : all) {
        EXPECT_FALSE(f.code.empty());
        EXPECT_FALSE(f.object.empty());
        EXPECT_FALSE(f.message.empty());
    }
}

// ---- the real snapshots ------------------------------------------------------------------

#ifdef VPCFW_SHARED_DATA
TEST(Lint, RealSnapshotsHaveNoErrors) {
    struct Expect {
        const char* dir;
        std::vector<std::string> warnings; // "code object", in output order
        size_t infos;
    };
    const Expect cases[] = {
        {"test-nat-gateway",
         {"sg-open-admin-port sg-0253af84ae6485905", "sg-open-admin-port sg-0b647281e3f8f7c18"},
         0},
        {"test-public-private-subnet",
         {"sg-open-admin-port sg-063f2bb51713c3236", "sg-open-admin-port sg-0662342465612f419"},
         0},
        {"test-vpc-peering",
         {"sg-open-admin-port sg-065c26b39e45ae384", "sg-open-admin-port sg-09606ce9642cac154",
          "sg-open-admin-port sg-0b3df494998412a48"},
         1},
    };
    for (const Expect& c : cases) {
        SCOPED_TRACE(c.dir);
        auto net = load_network(std::string(VPCFW_SHARED_DATA "/aws-snapshots/") + c.dir);
        ASSERT_TRUE(net.ok()) << net.error().str();
        auto all = lint_network(*net);
        EXPECT_EQ(count_severity(all, Severity::Error), 0u);
        std::vector<std::string> warnings;
        for (const auto& f : all) {
            if (f.severity == Severity::Error) ADD_FAILURE() << f.code << " " << f.object << ": " << f.message;
            if (f.severity == Severity::Warning) warnings.push_back(f.code + " " + f.object);
        }
        EXPECT_EQ(warnings, c.warnings);
        EXPECT_EQ(count_severity(all, Severity::Info), c.infos);
    }
}
#endif
