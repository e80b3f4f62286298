// Tests of control/acl_compiler + dataplane/acl_tables: hand-written cases, a randomised
// differential test against a linear model transcribed from the reference evaluator (every
// rte_acl algorithm this CPU runs), and ClassBench rule sets compiled as NACLs.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <rte_eal.h>

#include "control/acl_compiler.hpp"
#include "bench/classbench.hpp"
#include "ruleset/packet.hpp"

using namespace vpcfw;

namespace {

// ---- EAL, once per test binary ---------------------------------------------------------

bool g_eal_ready = false;

class EalEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        static std::vector<std::string> args = {
            "test_acl", "--no-huge", "--no-pci", "-m", "512", "--no-shconf", "--log-level=error",
            "--lcores=0", "--no-telemetry", "--force-max-simd-bitwidth=512"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        g_eal_ready = rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0;
    }
    void TearDown() override {
        if (g_eal_ready) rte_eal_cleanup();
    }
};

[[maybe_unused]] const auto* g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

#define REQUIRE_EAL() ASSERT_TRUE(g_eal_ready) << "rte_eal_init failed"

std::vector<AclAlgorithm> supported_algorithms() {
    std::vector<AclAlgorithm> out;
    for (AclAlgorithm a : kAllAclAlgorithms)
        if (AclCompiler::algorithm_supported(a)) out.push_back(a);
    return out;
}

// ---- the linear model: ruleset/ref_security_groups.cpp and ref_network_acls.cpp, transcribed

bool eni_has_address(const Eni& e, const IpAddr& a) {
    for (const auto& p : e.private_ips)
        if (p.addr == a) return true;
    for (const auto& v6 : e.ipv6)
        if (v6 == a) return true;
    for (const auto& c : e.prefixes4)
        if (c.contains(a)) return true;
    for (const auto& c : e.prefixes6)
        if (c.contains(a)) return true;
    return false;
}

bool peered_active(const Network& net, Idx a, Idx b) {
    if (a == b) return true;
    if (a == kNone || b == kNone) return false;
    for (const auto& p : net.peerings) {
        if (p.status != "active") continue;
        const std::string &x = net.vpcs[a].id, &y = net.vpcs[b].id;
        if ((p.requester.vpc_id == x && p.accepter.vpc_id == y) ||
            (p.requester.vpc_id == y && p.accepter.vpc_id == x))
            return true;
    }
    return false;
}

bool group_matches(const Network& net, const SecurityGroup& owner, const SgRule& r, const IpAddr& a) {
    if (!net.security_group(r.group_id)) return false;
    for (const Eni& e : net.enis) {
        if (std::find(e.groups.begin(), e.groups.end(), r.group_id) == e.groups.end()) continue;
        if (!eni_has_address(e, a)) continue;
        if (peered_active(net, owner.vpc, e.vpc)) return true;
    }
    return false;
}

bool sg_rule_matches(const Network& net, const SecurityGroup& g, const SgRule& r, const Packet& p,
                     const IpAddr& remote) {
    if (r.proto != kProtoAll && r.proto != p.proto) return false;
    if (r.ports_apply()) {
        if (r.from_port != -1 && (p.dport < r.from_port || p.dport > r.to_port)) return false;
    } else if (r.icmp() && r.from_port != -1) {
        if (p.icmp_type != r.from_port) return false;
        if (r.to_port != -1 && p.icmp_code != r.to_port) return false;
    }
    switch (r.peer) {
    case PeerKind::Cidr: return r.cidr.family() == remote.family && r.cidr.contains(remote);
    case PeerKind::PrefixList: {
        const PrefixList* pl = net.prefix_list(r.prefix_list);
        if (!pl) return false;
        for (const auto& c : pl->entries)
            if (c.contains(remote)) return true;
        return false;
    }
    case PeerKind::Group: return group_matches(net, g, r, remote);
    }
    return false;
}

// The first admitting rule of the ENI's groups (group order, then rule order), as sg_check.
RuleRef linear_sg(const Network& net, Idx eni, bool egress, const Packet& p) {
    const Eni& e = net.enis[eni];
    const IpAddr& remote = egress ? p.dst : p.src;
    for (const auto& gid : e.groups) {
        const SecurityGroup* g = net.security_group(gid);
        if (!g) continue;
        Idx gi = net.index.security_group.at(gid);
        const auto& rules = egress ? g->egress : g->ingress;
        for (uint32_t i = 0; i < rules.size(); ++i)
            if (sg_rule_matches(net, *g, rules[i], p, remote))
                return RuleRef::make(egress ? RuleLayer::SgEgress : RuleLayer::SgIngress, gi, i);
    }
    return {};
}

bool nacl_entry_matches(const NaclEntry& n, const Packet& p, const IpAddr& remote) {
    if (n.cidr.family() != remote.family) return false;
    if (n.proto != kProtoAll) {
        if (n.proto == kProtoIcmpv6 && n.cidr.family() == Family::V4) {
            if (p.proto != kProtoIcmp) return false;
        } else if (n.proto != p.proto) {
            return false;
        } else if (n.proto == kProtoTcp || n.proto == kProtoUdp) {
            if (n.port_from != -1 && (p.dport < n.port_from || p.dport > n.port_to)) return false;
        } else if (n.proto == kProtoIcmp || n.proto == kProtoIcmpv6) {
            if (n.icmp_type != -1 && p.icmp_type != n.icmp_type) return false;
            if (n.icmp_type != -1 && n.icmp_code != -1 && p.icmp_code != n.icmp_code) return false;
        }
    }
    return n.cidr.contains(remote);
}

// The NACL side-table layout of rule_ref.hpp, written out independently of AclTables: each
// NACL's entries in order, then its ingress and egress `*`.
uint32_t nacl_base(const Network& net, Idx acl) {
    uint32_t b = 0;
    for (Idx a = 0; a < acl; ++a) b += static_cast<uint32_t>(net.network_acls[a].entries.size() + 2);
    return b;
}
RuleRef nacl_star_ref(const Network& net, Idx acl, bool egress) {
    return RuleRef::nacl(egress ? RuleLayer::NaclEgress : RuleLayer::NaclIngress,
                         nacl_base(net, acl) + static_cast<uint32_t>(net.network_acls[acl].entries.size()) + (egress ? 1 : 0));
}
// The NACL and the position in it of a slot (a position past the entries is a `*`).
std::pair<Idx, uint32_t> nacl_of_slot(const Network& net, uint32_t slot) {
    for (Idx a = 0; a < net.network_acls.size(); ++a) {
        uint32_t n = static_cast<uint32_t>(net.network_acls[a].entries.size() + 2);
        if (slot < n) return {a, slot};
        slot -= n;
    }
    return {kNone, 0};
}
bool is_star(const Network& net, RuleRef ref) {
    auto [a, i] = nacl_of_slot(net, ref.slot());
    return a != kNone && i >= net.network_acls[a].entries.size();
}

NaclVerdict linear_nacl(const Network& net, Idx acl, bool egress, const Packet& p) {
    const NetworkAcl& n = net.network_acls[acl];
    const IpAddr& remote = egress ? p.dst : p.src;
    RuleLayer layer = egress ? RuleLayer::NaclEgress : RuleLayer::NaclIngress;
    for (uint32_t i = 0; i < n.entries.size(); ++i) {
        const NaclEntry& en = n.entries[i];
        if (en.egress != egress) continue;
        if (nacl_entry_matches(en, p, remote)) return {RuleRef::nacl(layer, nacl_base(net, acl) + i), en.allow};
    }
    return {nacl_star_ref(net, acl, egress), false};
}

// The deciding rule's name as the reference evaluator prints it.
std::string reference_rule_name(const Network& net, RuleRef ref) {
    bool egress = rule_layer_is_egress(ref.layer());
    std::string dir = egress ? ":egress:" : ":ingress:";
    if (rule_layer_is_nacl(ref.layer())) {
        auto [a, i] = nacl_of_slot(net, ref.slot());
        const NetworkAcl& n = net.network_acls[a];
        if (i >= n.entries.size()) return n.id + dir + "*";
        const NaclEntry& en = n.entries[i];
        return n.id + dir + (en.is_default_deny() ? "*" : std::to_string(en.rule_number));
    }
    const SecurityGroup& g = net.security_groups[ref.table()];
    const SgRule& r = egress ? g.egress[ref.index()] : g.ingress[ref.index()];
    return g.id + dir + r.proto_ports_str() + ":" + r.peer_str();
}

// ---- keys from packets ----------------------------------------------------------------

uint16_t l4_of(const Packet& p) { return acl_l4_word(p.proto, p.dport, p.icmp_type, p.icmp_code); }

void words_of(const IpAddr& a, Be32 w[4]) { std::memcpy(w, a.bytes.data(), 16); }

AclKey4 key4(uint16_t table, bool egress, const Packet& p, uint16_t remote_set) {
    Be32 w[4];
    words_of(egress ? p.dst : p.src, w);
    return make_acl_key4(p.proto, table, egress ? kAclEgress : kAclIngress, w[0], remote_set, l4_of(p));
}
AclKey6 key6(uint16_t table, bool egress, const Packet& p, uint16_t remote_set) {
    Be32 w[4];
    words_of(egress ? p.dst : p.src, w);
    return make_acl_key6(p.proto, table, egress ? kAclEgress : kAclIngress, w, remote_set, l4_of(p));
}

// ---- building blocks for networks --------------------------------------------------------

IpAddr v4(uint32_t host) { return IpAddr::v4(host); }
IpAddr ip(const char* text) { return *IpAddr::parse(text); }
Cidr cidr(const char* text) { return *Cidr::parse(text); }

IpAddr masked(IpAddr a, int len) {
    int bits = a.bits();
    for (int b = len; b < bits; ++b) a.bytes[b / 8] &= static_cast<uint8_t>(~(0x80u >> (b % 8)));
    return a;
}

// a + delta (delta = +1 / -1), wrapping within the family.
IpAddr step(IpAddr a, int delta) {
    int n = a.is_v4() ? 4 : 16;
    for (int i = n - 1; i >= 0; --i) {
        uint8_t before = a.bytes[i];
        a.bytes[i] = static_cast<uint8_t>(before + delta);
        if ((delta > 0 && before != 0xff) || (delta < 0 && before != 0x00)) break;
    }
    return a;
}

SgRule sg_rule(int proto, int from, int to, const char* peer) {
    SgRule r;
    r.proto = proto;
    r.from_port = from;
    r.to_port = to;
    std::string s = peer;
    if (s.rfind("sg-", 0) == 0) {
        r.peer = PeerKind::Group;
        r.group_id = s;
    } else if (s.rfind("pl-", 0) == 0) {
        r.peer = PeerKind::PrefixList;
        r.prefix_list = s;
    } else {
        r.cidr = cidr(peer);
    }
    return r;
}

NaclEntry nacl_entry(int number, bool egress, int proto, bool allow, const char* c, int pfrom = -1,
                     int pto = -1, int type = -1, int code = -1) {
    NaclEntry e;
    e.rule_number = number;
    e.egress = egress;
    e.proto = proto;
    e.allow = allow;
    e.cidr = cidr(c);
    e.port_from = pfrom;
    e.port_to = pto;
    e.icmp_type = type;
    e.icmp_code = code;
    return e;
}

Packet packet(uint8_t proto, const char* src, const char* dst, uint16_t dport = 0, uint8_t type = 0,
              uint8_t code = 0) {
    Packet p;
    p.proto = proto;
    p.src = ip(src);
    p.dst = ip(dst);
    p.dport = dport;
    p.icmp_type = type;
    p.icmp_code = code;
    return p;
}

// Classifies one packet for an ENI's SGs with the compiled tables.
SgVerdict compiled_sg(const AclTables& t, Idx eni, bool egress, const Packet& p) {
    uint16_t set = t.group_set_of_eni(eni);
    uint16_t rset = t.remote_set(egress ? p.dst : p.src);
    SgVerdict v;
    if (p.family() == Family::V4) {
        AclKey4 k = key4(set, egress, p, rset);
        t.classify_sg(std::span<const AclKey4>(&k, 1), std::span<SgVerdict>(&v, 1));
    } else {
        AclKey6 k = key6(set, egress, p, rset);
        t.classify_sg(std::span<const AclKey6>(&k, 1), std::span<SgVerdict>(&v, 1));
    }
    return v;
}

NaclVerdict compiled_nacl(const AclTables& t, Idx acl, bool egress, const Packet& p) {
    NaclVerdict v;
    if (p.family() == Family::V4) {
        AclKey4 k = key4(static_cast<uint16_t>(acl), egress, p, 0);
        t.classify_nacl(std::span<const AclKey4>(&k, 1), std::span<NaclVerdict>(&v, 1));
    } else {
        AclKey6 k = key6(static_cast<uint16_t>(acl), egress, p, 0);
        t.classify_nacl(std::span<const AclKey6>(&k, 1), std::span<NaclVerdict>(&v, 1));
    }
    return v;
}

// A hand-made network: two peered VPCs, a third unpeered, groups referencing each other.
Network small_network() {
    Network net;
    for (const char* id : {"vpc-a", "vpc-b", "vpc-c"}) {
        Vpc v;
        v.id = id;
        net.vpcs.push_back(v);
    }
    PeeringConnection pcx;
    pcx.id = "pcx-ab";
    pcx.requester.vpc_id = "vpc-a";
    pcx.accepter.vpc_id = "vpc-b";
    net.peerings.push_back(pcx);
    PeeringConnection dead = pcx;
    dead.id = "pcx-ac";
    dead.accepter.vpc_id = "vpc-c";
    dead.status = "deleted";
    net.peerings.push_back(dead);

    PrefixList pl;
    pl.id = "pl-office";
    pl.entries = {cidr("198.51.100.0/24"), cidr("2001:db8:ff::/48")};
    net.prefix_lists.push_back(pl);

    SecurityGroup web;
    web.id = "sg-web";
    web.vpc = 0;
    web.ingress = {sg_rule(6, 443, 443, "0.0.0.0/0"), sg_rule(6, 22, 22, "pl-office"),
                   sg_rule(-1, -1, -1, "sg-app"), sg_rule(1, 8, -1, "10.0.0.0/8"),
                   sg_rule(58, -1, -1, "::/0"), sg_rule(6, 5000, 4000, "0.0.0.0/0") /* empty */};
    web.egress = {sg_rule(-1, -1, -1, "0.0.0.0/0")};
    SecurityGroup app;
    app.id = "sg-app";
    app.vpc = 1;
    app.ingress = {sg_rule(6, 8080, 8080, "sg-web"), sg_rule(17, 53, 53, "sg-gone")};
    SecurityGroup other;
    other.id = "sg-other";
    other.vpc = 2;
    other.ingress = {sg_rule(6, 0, 65535, "sg-web"), sg_rule(47, -1, -1, "192.0.2.0/24")};
    net.security_groups = {web, app, other};

    Eni e0;  // web server in vpc-a
    e0.id = "eni-web";
    e0.vpc = 0;
    e0.private_ips = {PrivateIp{ip("10.0.1.10"), true, ip("54.0.0.10"), {}, {}}};
    e0.ipv6 = {ip("2001:db8:a::10")};
    e0.groups = {"sg-web"};
    Eni e1;  // app server in vpc-b, with a delegated prefix
    e1.id = "eni-app";
    e1.vpc = 1;
    e1.private_ips = {PrivateIp{ip("10.1.1.20"), true, {}, {}, {}}};
    e1.prefixes4 = {cidr("10.1.2.0/28")};
    e1.groups = {"sg-app", "sg-missing", "sg-app"};
    Eni e2;  // web-group ENI in unpeered vpc-c, same address as e0
    e2.id = "eni-c";
    e2.vpc = 2;
    e2.private_ips = {PrivateIp{ip("10.0.1.10"), true, {}, {}, {}}};
    e2.groups = {"sg-web", "sg-other"};
    Eni e3;  // same groups as e0: shares its group set
    e3.id = "eni-web2";
    e3.vpc = 0;
    e3.private_ips = {PrivateIp{ip("10.0.1.11"), true, {}, {}, {}}};
    e3.groups = {"sg-web"};
    net.enis = {e0, e1, e2, e3};

    NetworkAcl acl;
    acl.id = "acl-1";
    acl.vpc = 0;
    acl.entries = {
        nacl_entry(90, false, 6, false, "203.0.113.0/24", 0, 65535),
        nacl_entry(100, false, 6, true, "0.0.0.0/0", 443, 443),
        nacl_entry(110, false, 58, true, "10.0.0.0/8"),   // 58 + IPv4 = all ICMP
        nacl_entry(120, false, 1, true, "0.0.0.0/0", -1, -1, 3, 4),
        nacl_entry(130, false, 47, true, "192.0.2.0/24", 1000, 1000),  // ports ignored
        nacl_entry(140, false, 58, true, "::/0", -1, -1, 128, -1),
        nacl_entry(32767, false, -1, false, "0.0.0.0/0"),
        nacl_entry(32768, false, -1, false, "::/0"),
        nacl_entry(100, true, -1, true, "0.0.0.0/0"),
    };
    NetworkAcl acl2;
    acl2.id = "acl-2";
    acl2.vpc = 1;
    acl2.entries = {nacl_entry(10, false, 17, true, "10.0.0.0/16", 53, 53)};
    net.network_acls = {acl, acl2};
    net.reindex();
    return net;
}

} // namespace

// ---- unit tests -----------------------------------------------------------------------------

TEST(RuleRef, PacksLayerTableIndex) {
    RuleRef r = RuleRef::nacl(RuleLayer::NaclEgress, 123456789);
    EXPECT_EQ(r.layer(), RuleLayer::NaclEgress);
    EXPECT_EQ(r.slot(), 123456789u);
    EXPECT_TRUE(r.valid());
    EXPECT_FALSE(RuleRef{}.valid());
    EXPECT_TRUE(RuleRef::nacl(RuleLayer::NaclIngress, 0).valid());
    // The last slot keeps its layer.
    RuleRef last = RuleRef::nacl(RuleLayer::NaclIngress, RuleRef::kMaxNaclSlot);
    EXPECT_EQ(last.slot(), RuleRef::kMaxNaclSlot);
    EXPECT_EQ(last.layer(), RuleLayer::NaclIngress);
    // A group keeps its 15-bit table number.
    RuleRef sg = RuleRef::make(RuleLayer::SgEgress, RuleRef::kMaxSgTable, RuleRef::kMaxSgIndex);
    EXPECT_EQ(sg.table(), RuleRef::kMaxSgTable);
    EXPECT_EQ(sg.index(), RuleRef::kMaxSgIndex);
    EXPECT_EQ(sg.layer(), RuleLayer::SgEgress);
}

TEST(AclKey, NetworkByteOrderAndL4Word) {
    AclKey4 k = make_acl_key4(6, 0x0102, kAclEgress, Be32::from_host(0x0a000001), 7, 443);
    const uint8_t* b = reinterpret_cast<const uint8_t*>(&k);
    EXPECT_EQ(b[0], 6);
    EXPECT_EQ(b[4], 0x01);
    EXPECT_EQ(b[5], 0x02);
    EXPECT_EQ(b[7], 1);
    EXPECT_EQ(b[8], 10);
    EXPECT_EQ(b[11], 1);
    EXPECT_EQ(b[13], 7);
    EXPECT_EQ((b[14] << 8) | b[15], 443);
    EXPECT_EQ(acl_l4_word(1, 999, 8, 0), 0x0800);
    EXPECT_EQ(acl_l4_word(58, 999, 128, 3), (128 << 8) | 3);
    EXPECT_EQ(acl_l4_word(17, 53, 1, 1), 53);
    EXPECT_EQ(acl_l4_word(47, 53, 1, 1), 0);
    FlowKey fk{};
    fk.proto = 1;
    fk.sport = Be16::from_host(3);   // type
    fk.dport = Be16::from_host(13);  // code
    EXPECT_EQ(acl_l4_word(fk), (3 << 8) | 13);
}

TEST(AclAlgorithmNames, RoundTrip) {
    for (AclAlgorithm a : kAllAclAlgorithms) EXPECT_EQ(parse_acl_algorithm(acl_algorithm_name(a)), a);
    EXPECT_FALSE(parse_acl_algorithm("avx9000").has_value());
}

TEST(AclCompiler, EmptyNetworkCompilesAndEverythingMisses) {
    REQUIRE_EAL();
    Network net;
    net.reindex();
    auto t = AclCompiler::compile(net);
    ASSERT_TRUE(t.ok()) << t.error().str();
    Packet p = packet(6, "10.0.0.1", "10.0.0.2", 80);
    NaclVerdict nv = compiled_nacl(**t, 0, false, p);
    EXPECT_FALSE(nv.allow);
    EXPECT_FALSE(nv.rule.valid());   // no NACL 0 in this version: no slot at all
    EXPECT_FALSE(compiled_sg(**t, 0, true, p).admit);
    EXPECT_EQ((*t)->remote_set(ip("10.0.0.1")), 0);
    EXPECT_EQ((*t)->rule_source(nv.rule), nullptr);  // no NACL 0 in this version
}

TEST(AclCompiler, SmallNetworkNacl) {
    REQUIRE_EAL();
    Network net = small_network();
    auto t = AclCompiler::compile(net);
    ASSERT_TRUE(t.ok()) << t.error().str();
    const AclTables& tb = **t;
    struct Case {
        Packet p;
        bool allow;
        std::string rule;
    };
    std::vector<Case> cases = {
        {packet(6, "203.0.113.5", "10.0.1.10", 443), false, "acl-1:ingress:90"},
        {packet(6, "203.0.114.5", "10.0.1.10", 443), true, "acl-1:ingress:100"},
        {packet(6, "203.0.114.5", "10.0.1.10", 444), false, "acl-1:ingress:*"},
        {packet(1, "10.9.9.9", "10.0.1.10", 0, 8, 0), true, "acl-1:ingress:110"},
        {packet(1, "11.9.9.9", "10.0.1.10", 0, 3, 4), true, "acl-1:ingress:120"},
        {packet(1, "11.9.9.9", "10.0.1.10", 0, 3, 5), false, "acl-1:ingress:*"},
        {packet(47, "192.0.2.1", "10.0.1.10", 0), true, "acl-1:ingress:130"},
        {packet(58, "2001:db8::1", "2001:db8:a::10", 0, 128, 9), true, "acl-1:ingress:140"},
        {packet(58, "2001:db8::1", "2001:db8:a::10", 0, 129, 0), false, "acl-1:ingress:*"},
        {packet(6, "2001:db8::1", "2001:db8:a::10", 443), false, "acl-1:ingress:*"},
    };
    for (const auto& c : cases) {
        NaclVerdict v = compiled_nacl(tb, 0, false, c.p);
        EXPECT_EQ(v.allow, c.allow) << c.p.str();
        const RuleSource* src = tb.rule_source(v.rule);
        ASSERT_NE(src, nullptr) << c.p.str();
        EXPECT_EQ(src->str(), c.rule) << c.p.str();
        NaclVerdict lin = linear_nacl(net, 0, false, c.p);
        EXPECT_EQ(v.rule, lin.rule) << c.p.str();
    }
    // Egress list of acl-1 and NACL 2 are separate tables in the same context.
    EXPECT_EQ(tb.rule_source(compiled_nacl(tb, 0, true, packet(6, "10.0.1.10", "1.1.1.1", 1)).rule)->str(),
              "acl-1:egress:100");
    NaclVerdict v2 = compiled_nacl(tb, 1, false, packet(17, "10.0.3.3", "10.1.1.20", 53));
    EXPECT_TRUE(v2.allow);
    EXPECT_EQ(tb.rule_source(v2.rule)->str(), "acl-2:ingress:10");
    EXPECT_FALSE(compiled_nacl(tb, 1, false, packet(6, "10.0.3.3", "10.1.1.20", 53)).allow);
}

TEST(AclCompiler, SmallNetworkSecurityGroups) {
    REQUIRE_EAL();
    Network net = small_network();
    auto t = AclCompiler::compile(net);
    ASSERT_TRUE(t.ok()) << t.error().str();
    const AclTables& tb = **t;
    // eni-web and eni-web2 share a group set; eni-c's differs.
    EXPECT_NE(tb.group_set_of_eni(0), 0);
    EXPECT_EQ(tb.group_set_of_eni(0), tb.group_set_of_eni(3));
    EXPECT_NE(tb.group_set_of_eni(0), tb.group_set_of_eni(2));
    EXPECT_EQ(tb.stats().group_sets, 3u);
    // 10.0.1.10 is owned by eni-web (vpc-a, sg-web) and eni-c (vpc-c, sg-web + sg-other).
    EXPECT_NE(tb.remote_set(ip("10.0.1.10")), 0);
    EXPECT_NE(tb.remote_set(ip("10.0.1.10")), tb.remote_set(ip("10.0.1.11")));
    EXPECT_EQ(tb.remote_set(ip("10.1.2.7")), tb.remote_set(ip("10.1.1.20")));  // delegated prefix
    EXPECT_EQ(tb.remote_set(ip("10.1.2.16")), 0);
    EXPECT_EQ(tb.remote_set(ip("10.0.1.12")), 0);

    struct Case {
        Idx eni;
        bool egress;
        Packet p;
        std::string rule;  // empty = not admitted
    };
    std::vector<Case> cases = {
        {0, false, packet(6, "8.8.8.8", "10.0.1.10", 443), "sg-web:ingress:tcp/443:0.0.0.0/0"},
        {0, false, packet(6, "198.51.100.7", "10.0.1.10", 22), "sg-web:ingress:tcp/22:pl-office"},
        {0, false, packet(6, "2001:db8:ff::1", "2001:db8:a::10", 22), "sg-web:ingress:tcp/22:pl-office"},
        {0, false, packet(6, "198.51.101.7", "10.0.1.10", 22), ""},
        // sg-app ENIs (vpc-b, peered with vpc-a) match the reference, incl. delegated prefix.
        {0, false, packet(17, "10.1.1.20", "10.0.1.10", 9), "sg-web:ingress:all:sg-app"},
        {0, false, packet(17, "10.1.2.3", "10.0.1.10", 9), "sg-web:ingress:all:sg-app"},
        {0, false, packet(1, "10.2.0.1", "10.0.1.10", 0, 8, 0), "sg-web:ingress:icmp/8:-1:10.0.0.0/8"},
        {0, false, packet(1, "10.2.0.1", "10.0.1.10", 0, 0, 0), ""},
        {0, false, packet(58, "2001:db8:1::1", "2001:db8:a::10", 0, 135, 0), "sg-web:ingress:icmpv6/all:::/0"},
        {0, false, packet(6, "8.8.8.8", "10.0.1.10", 4500), ""},  // the 5000-4000 rule is empty
        // sg-app: peer sg-web matches eni-web's 10.0.1.10 (vpc-a is peered with vpc-b)...
        {1, false, packet(6, "10.0.1.10", "10.1.1.20", 8080), "sg-app:ingress:tcp/8080:sg-web"},
        {1, false, packet(6, "2001:db8:a::10", "2001:db8:b::20", 8080), "sg-app:ingress:tcp/8080:sg-web"},
        {1, false, packet(6, "2001:db8:a::11", "2001:db8:b::20", 8080), ""},
        {1, false, packet(6, "10.0.1.11", "10.1.1.20", 8080), "sg-app:ingress:tcp/8080:sg-web"},
        {1, false, packet(17, "10.0.1.10", "10.1.1.20", 53), ""},       // stale sg-gone
        {1, false, packet(6, "54.0.0.10", "10.1.1.20", 8080), ""},      // public IPs never match
        // sg-other (vpc-c, peering deleted): sg-web peer only matches eni-c itself.
        {2, false, packet(6, "10.0.1.10", "10.0.1.10", 1), "sg-other:ingress:tcp/all:sg-web"},
        {2, false, packet(6, "10.0.1.11", "10.0.1.10", 1), ""},
        {2, false, packet(47, "192.0.2.9", "10.0.1.10", 0), "sg-other:ingress:47:192.0.2.0/24"},
        {0, true, packet(6, "10.0.1.10", "9.9.9.9", 1), "sg-web:egress:all:0.0.0.0/0"},
        {1, true, packet(6, "10.1.1.20", "9.9.9.9", 1), ""},
    };
    for (const auto& c : cases) {
        SgVerdict v = compiled_sg(tb, c.eni, c.egress, c.p);
        RuleRef lin = linear_sg(net, c.eni, c.egress, c.p);
        EXPECT_EQ(v.rule, lin) << c.p.str();
        EXPECT_EQ(v.admit, !c.rule.empty()) << c.p.str();
        if (v.admit) {
            const RuleSource* src = tb.rule_source(v.rule);
            ASSERT_NE(src, nullptr);
            EXPECT_EQ(src->str(), c.rule) << c.p.str();
            EXPECT_EQ(src->str(), reference_rule_name(net, v.rule));
        }
    }
}

TEST(AclCompiler, UnsupportedAlgorithmIsAnError) {
    REQUIRE_EAL();
    Network net = small_network();
    for (AclAlgorithm a : kAllAclAlgorithms) {
        AclCompileOptions opt;
        opt.algorithm = a;
        auto t = AclCompiler::compile(net, opt);
        EXPECT_EQ(t.ok(), AclCompiler::algorithm_supported(a)) << acl_algorithm_name(a);
        if (t.ok()) {
            EXPECT_EQ((*t)->algorithm(), a);
        }
    }
    EXPECT_TRUE(AclCompiler::algorithm_supported(AclAlgorithm::Scalar));
}

// ---- randomised differential test ------------------------------------------------------------

namespace {

class RandomNetwork {
public:
    explicit RandomNetwork(uint64_t seed) : rng_(seed) {}

    int uni(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
    template <typename T>
    const T& pick(const std::vector<T>& v) { return v[static_cast<size_t>(uni(0, static_cast<int>(v.size()) - 1))]; }

    // Addresses crowd into a few small ranges so that rules, ENIs and packets overlap.
    IpAddr hot_v4() {
        if (chance(0.1)) return v4(static_cast<uint32_t>(rng_()));
        return v4((10u << 24) | (static_cast<uint32_t>(uni(0, 2)) << 16) | (static_cast<uint32_t>(uni(0, 1)) << 8) |
                  static_cast<uint32_t>(uni(0, 40)));
    }
    IpAddr hot_v6() {
        IpAddr a = ip("2001:db8::");
        if (chance(0.1)) {
            for (int i = 0; i < 16; ++i) a.bytes[i] = static_cast<uint8_t>(rng_());
            return a;
        }
        a.bytes[5] = static_cast<uint8_t>(uni(0, 1));
        a.bytes[7] = static_cast<uint8_t>(uni(0, 2));
        a.bytes[15] = static_cast<uint8_t>(uni(0, 40));
        if (chance(0.2)) a.bytes[11] = static_cast<uint8_t>(uni(0, 3));
        return a;
    }
    IpAddr hot(Family f) { return f == Family::V4 ? hot_v4() : hot_v6(); }
    Family family() { return chance(0.6) ? Family::V4 : Family::V6; }

    Cidr random_cidr(Family f) {
        IpAddr a = hot(f);
        int bits = a.bits();
        int len;
        int r = uni(0, 9);
        if (r == 0) len = uni(0, 2);
        else if (r == 1) len = uni(0, bits);
        else if (f == Family::V4) len = uni(22, 32);
        else len = chance(0.5) ? uni(40, 64) : uni(96, 128);
        return Cidr{masked(a, len), static_cast<uint8_t>(len)};
    }

    int random_proto() {
        static const std::vector<int> protos = {-1, -1, 6, 6, 6, 17, 17, 1, 1, 58, 58, 47, 0, 132, 255};
        return pick(protos);
    }
    int random_port() {
        static const std::vector<int> ports = {0, 1, 22, 53, 80, 443, 1024, 8080, 65534, 65535};
        return chance(0.5) ? pick(ports) : uni(0, 65535);
    }
    void random_ports(int& from, int& to) {
        int r = uni(0, 9);
        if (r == 0) { from = -1; to = -1; return; }
        if (r == 1) { from = 0; to = 65535; return; }
        from = random_port();
        to = chance(0.4) ? from : std::min(65535, from + uni(0, chance(0.5) ? 10 : 5000));
        if (chance(0.03)) std::swap(from, to);      // empty range: matches nothing
        if (chance(0.02)) to = -1;                  // FromPort set, ToPort -1: matches nothing
    }
    void random_icmp(int& type, int& code) {
        type = chance(0.3) ? -1 : uni(0, 12);
        code = chance(0.5) ? -1 : uni(0, 3);
        if (chance(0.02)) type = 300;
    }

    Network make(int rule_budget) {
        Network net;
        int nvpc = uni(1, 4);
        for (int i = 0; i < nvpc; ++i) {
            Vpc v;
            v.id = "vpc-" + std::to_string(i);
            net.vpcs.push_back(v);
        }
        for (int i = 0; i < nvpc; ++i)
            for (int j = i + 1; j < nvpc; ++j)
                if (chance(0.4)) {
                    PeeringConnection p;
                    p.id = "pcx-" + std::to_string(i) + std::to_string(j);
                    p.status = chance(0.8) ? "active" : "pending-acceptance";
                    p.requester.vpc_id = net.vpcs[i].id;
                    p.accepter.vpc_id = net.vpcs[j].id;
                    net.peerings.push_back(p);
                }
        int npl = uni(0, 3);
        for (int i = 0; i < npl; ++i) {
            PrefixList pl;
            pl.id = "pl-" + std::to_string(i);
            int n = uni(0, 4);
            for (int k = 0; k < n; ++k) pl.entries.push_back(random_cidr(family()));
            net.prefix_lists.push_back(pl);
        }
        int nsg = uni(1, 8);
        std::vector<std::string> group_ids;
        for (int i = 0; i < nsg; ++i) {
            SecurityGroup g;
            g.id = "sg-" + std::to_string(i);
            g.vpc = chance(0.05) ? kNone : static_cast<Idx>(uni(0, nvpc - 1));
            net.security_groups.push_back(g);
            group_ids.push_back(g.id);
        }
        int neni = uni(1, 10);
        for (int i = 0; i < neni; ++i) {
            Eni e;
            e.id = "eni-" + std::to_string(i);
            e.vpc = static_cast<Idx>(uni(0, nvpc - 1));
            int n4 = uni(0, 3), n6 = uni(0, 2);
            for (int k = 0; k < n4; ++k) e.private_ips.push_back(PrivateIp{hot_v4(), k == 0, {}, {}, {}});
            for (int k = 0; k < n6; ++k) e.ipv6.push_back(hot_v6());
            if (chance(0.2)) { Cidr c = random_cidr(Family::V4); if (c.len >= 24) e.prefixes4.push_back(c); }
            if (chance(0.2)) { Cidr c = random_cidr(Family::V6); if (c.len >= 96) e.prefixes6.push_back(c); }
            int ng = uni(0, 3);
            for (int k = 0; k < ng; ++k) e.groups.push_back(pick(group_ids));
            if (chance(0.1)) e.groups.push_back("sg-missing");
            net.enis.push_back(e);
        }
        int nacl = uni(1, 4);
        for (int i = 0; i < nacl; ++i) {
            NetworkAcl a;
            a.id = "acl-" + std::to_string(i);
            net.network_acls.push_back(a);
        }
        // Spend the rule budget over SG rules and NACL entries.
        int sg_rules = uni(0, rule_budget), nacl_rules = rule_budget - sg_rules;
        for (int i = 0; i < sg_rules; ++i) {
            SecurityGroup& g = net.security_groups[static_cast<size_t>(uni(0, nsg - 1))];
            SgRule r;
            r.egress = chance(0.5);
            r.proto = random_proto();
            if (r.ports_apply()) random_ports(r.from_port, r.to_port);
            else if (r.icmp()) random_icmp(r.from_port, r.to_port);
            int k = uni(0, 19);
            if (k < 12) {
                r.peer = PeerKind::Cidr;
                r.cidr = random_cidr(family());
            } else if (k < 15) {
                r.peer = PeerKind::PrefixList;
                r.prefix_list = npl > 0 && chance(0.9) ? "pl-" + std::to_string(uni(0, npl - 1)) : "pl-missing";
            } else {
                r.peer = PeerKind::Group;
                r.group_id = chance(0.9) ? pick(group_ids) : "sg-stale";
            }
            (r.egress ? g.egress : g.ingress).push_back(r);
        }
        for (int i = 0; i < nacl_rules; ++i) {
            NetworkAcl& a = net.network_acls[static_cast<size_t>(uni(0, nacl - 1))];
            NaclEntry e;
            e.egress = chance(0.5);
            e.proto = random_proto();
            e.allow = chance(0.6);
            e.cidr = random_cidr(family());
            if (e.proto == 6 || e.proto == 17) random_ports(e.port_from, e.port_to);
            else if (e.proto == 1 || e.proto == 58) random_icmp(e.icmp_type, e.icmp_code);
            if (chance(0.1)) random_ports(e.port_from, e.port_to);  // ports on any protocol: ignored
            a.entries.push_back(e);
        }
        for (auto& a : net.network_acls) {
            // Rule numbers ascending per direction, sometimes with the `*` entries exported.
            std::stable_sort(a.entries.begin(), a.entries.end(),
                             [](const NaclEntry& x, const NaclEntry& y) { return x.egress < y.egress; });
            int number[2] = {0, 0};
            for (auto& e : a.entries) e.rule_number = (number[e.egress] += uni(1, 50));
            if (chance(0.3))
                for (bool eg : {false, true}) {
                    NaclEntry s;
                    s.egress = eg;
                    s.rule_number = 32767;
                    s.cidr = cidr("0.0.0.0/0");
                    a.entries.push_back(s);
                    s.rule_number = 32768;
                    s.cidr = cidr("::/0");
                    a.entries.push_back(s);
                }
            std::stable_sort(a.entries.begin(), a.entries.end(),
                             [](const NaclEntry& x, const NaclEntry& y) { return x.egress < y.egress; });
        }
        net.reindex();
        return net;
    }

    // Collects what packets should aim at: ENI addresses, rule boundaries (prefix edges
    // and one step outside them), port and ICMP type/code range ends.
    void learn(const Network& net) {
        for (auto& v : eni_addrs_) v.clear();
        for (auto& v : boundaries_) v.clear();
        ports_.clear();
        types_.clear();
        codes_.clear();
        auto fam = [](const IpAddr& a) { return a.is_v4() ? 0 : 1; };
        auto eni_addr = [&](const IpAddr& a) { eni_addrs_[fam(a)].push_back(a); };
        for (const auto& e : net.enis) {
            for (const auto& p : e.private_ips) eni_addr(p.addr);
            for (const auto& a : e.ipv6) eni_addr(a);
            for (const auto* cs : {&e.prefixes4, &e.prefixes6})
                for (const auto& c : *cs) {
                    eni_addr(c.base);
                    eni_addr(c.last());
                }
        }
        auto boundary = [&](const Cidr& c) {
            for (const IpAddr& a : {c.base, c.last(), step(c.base, -1), step(c.last(), +1)})
                boundaries_[fam(a)].push_back(a);
        };
        auto note = [&](int from, int to) {
            for (int v : {from - 1, from, to, to + 1})
                if (v >= 0 && v <= 65535) ports_.push_back(v);
        };
        auto note_icmp = [&](int t, int c) {
            for (int v : {t - 1, t, t + 1})
                if (v >= 0 && v <= 255) types_.push_back(v);
            for (int v : {c - 1, c, c + 1})
                if (v >= 0 && v <= 255) codes_.push_back(v);
        };
        for (const auto& a : net.network_acls)
            for (const auto& e : a.entries) {
                boundary(e.cidr);
                note(e.port_from, e.port_to);
                note_icmp(e.icmp_type, e.icmp_code);
            }
        for (const auto& g : net.security_groups)
            for (const auto* rules : {&g.ingress, &g.egress})
                for (const auto& r : *rules) {
                    if (r.peer == PeerKind::Cidr) boundary(r.cidr);
                    note(r.from_port, r.to_port);
                    note_icmp(r.from_port, r.to_port);
                }
        for (const auto& pl : net.prefix_lists)
            for (const auto& c : pl.entries) boundary(c);
    }

    // An address near something the network knows: an ENI's, a rule boundary, or random.
    IpAddr interesting_address(Family f) {
        int r = uni(0, 9), k = f == Family::V4 ? 0 : 1;
        if (r < 4 && !eni_addrs_[k].empty()) return pick(eni_addrs_[k]);
        if (r < 8 && !boundaries_[k].empty()) return pick(boundaries_[k]);
        return hot(f);
    }

    // A packet biased to the network's rule boundaries (call learn() first).
    Packet interesting_packet(Family f) {
        Packet p;
        static const std::vector<int> protos = {6, 6, 6, 17, 17, 1, 1, 58, 58, 47, 0, 132};
        p.proto = static_cast<uint8_t>(pick(protos));
        p.src = interesting_address(f);
        p.dst = interesting_address(f);
        p.dport = static_cast<uint16_t>(!ports_.empty() && chance(0.8) ? pick(ports_) : random_port());
        p.icmp_type = static_cast<uint8_t>(!types_.empty() && chance(0.8) ? pick(types_) : uni(0, 255));
        p.icmp_code = static_cast<uint8_t>(!codes_.empty() && chance(0.8) ? pick(codes_) : uni(0, 255));
        return p;
    }

    std::vector<IpAddr> eni_addrs_[2], boundaries_[2];
    std::vector<int> ports_, types_, codes_;
    std::mt19937_64 rng_;
};

struct Question {
    bool nacl = false;
    Idx table = 0;   // NACL index or ENI index
    bool egress = false;
    Packet p;
    NaclVerdict want_nacl;
    RuleRef want_sg;
};

// Classifies all questions with the compiled tables in batches of random sizes (0..64,
// one family per batch) and compares every verdict with the linear model.
int check_questions(const Network& net, const AclTables& t, const std::vector<Question>& qs, std::mt19937_64& rng,
                    const std::string& what) {
    int failures = 0;
    size_t i = 0;
    while (i < qs.size()) {
        size_t n = std::min<size_t>(qs.size() - i, std::uniform_int_distribution<size_t>(0, kAclMaxBatch)(rng));
        // Group by kind and family, keeping the positions.
        std::vector<AclKey4> n4, s4;
        std::vector<AclKey6> n6, s6;
        std::vector<size_t> pn4, ps4, pn6, ps6;
        for (size_t j = i; j < i + n; ++j) {
            const Question& q = qs[j];
            bool v4 = q.p.family() == Family::V4;
            if (q.nacl) {
                if (v4) { n4.push_back(key4(static_cast<uint16_t>(q.table), q.egress, q.p, 0)); pn4.push_back(j); }
                else { n6.push_back(key6(static_cast<uint16_t>(q.table), q.egress, q.p, 0)); pn6.push_back(j); }
            } else {
                uint16_t set = t.group_set_of_eni(q.table);
                uint16_t rset = t.remote_set(q.egress ? q.p.dst : q.p.src);
                if (v4) { s4.push_back(key4(set, q.egress, q.p, rset)); ps4.push_back(j); }
                else { s6.push_back(key6(set, q.egress, q.p, rset)); ps6.push_back(j); }
            }
        }
        std::vector<NaclVerdict> rn4(n4.size()), rn6(n6.size());
        std::vector<SgVerdict> rs4(s4.size()), rs6(s6.size());
        t.classify_nacl(std::span<const AclKey4>(n4), std::span<NaclVerdict>(rn4));
        t.classify_nacl(std::span<const AclKey6>(n6), std::span<NaclVerdict>(rn6));
        t.classify_sg(std::span<const AclKey4>(s4), std::span<SgVerdict>(rs4));
        t.classify_sg(std::span<const AclKey6>(s6), std::span<SgVerdict>(rs6));
        auto report = [&](const Question& q, const std::string& got, const std::string& want) {
            if (++failures <= 5)
                ADD_FAILURE() << what << ": " << (q.nacl ? "nacl " + net.network_acls[q.table].id : "sg " + net.enis[q.table].id)
                              << (q.egress ? " egress " : " ingress ") << q.p.str() << "\n  compiled: " << got
                              << "\n  linear:   " << want;
        };
        auto name = [&](RuleRef r) { return r.valid() ? reference_rule_name(net, r) : std::string("(none)"); };
        auto check_nacl = [&](const std::vector<NaclVerdict>& got, const std::vector<size_t>& pos) {
            for (size_t k = 0; k < got.size(); ++k) {
                const Question& q = qs[pos[k]];
                if (got[k].rule != q.want_nacl.rule || got[k].allow != q.want_nacl.allow)
                    report(q, name(got[k].rule) + (got[k].allow ? " allow" : " deny"),
                           name(q.want_nacl.rule) + (q.want_nacl.allow ? " allow" : " deny"));
            }
        };
        auto check_sg = [&](const std::vector<SgVerdict>& got, const std::vector<size_t>& pos) {
            for (size_t k = 0; k < got.size(); ++k) {
                const Question& q = qs[pos[k]];
                if (got[k].rule != q.want_sg || got[k].admit != q.want_sg.valid())
                    report(q, name(got[k].rule), name(q.want_sg));
            }
        };
        check_nacl(rn4, pn4);
        check_nacl(rn6, pn6);
        check_sg(rs4, ps4);
        check_sg(rs6, ps6);
        i += n;
    }
    return failures;
}

} // namespace

TEST(AclDifferential, RandomNetworksEveryAlgorithm) {
    REQUIRE_EAL();
    const int kNetworks = 200, kPackets = 2000;
    std::vector<AclAlgorithm> algs = supported_algorithms();
    ASSERT_FALSE(algs.empty());
    std::mt19937_64 batch_rng(7);
    int total_failures = 0;
    double build_ms = 0;
    uint64_t compiled_rules = 0, nacl_q = 0, sg_admit = 0, nacl_allow = 0, nacl_star = 0;
    for (int n = 0; n < kNetworks && total_failures == 0; ++n) {
        uint64_t seed = 1000 + static_cast<uint64_t>(n);
        RandomNetwork gen(seed);
        int budget = n < 20 ? gen.uni(1, 20) : gen.uni(1, 500);
        Network net = gen.make(budget);
        auto t = AclCompiler::compile(net);
        ASSERT_TRUE(t.ok()) << "seed " << seed << ": " << t.error().str();
        const AclTables& tb = **t;
        gen.learn(net);
        build_ms += tb.stats().build_ms;
        compiled_rules += tb.stats().nacl_rules4 + tb.stats().nacl_rules6 + tb.stats().sg_rules4 + tb.stats().sg_rules6;

        std::vector<Question> qs(kPackets);
        for (auto& q : qs) {
            q.nacl = gen.chance(0.5);
            q.egress = gen.chance(0.5);
            q.p = gen.interesting_packet(gen.family());
            if (q.nacl) {
                q.table = static_cast<Idx>(gen.uni(0, static_cast<int>(net.network_acls.size()) - 1));
                q.want_nacl = linear_nacl(net, q.table, q.egress, q.p);
                ++nacl_q;
                nacl_allow += q.want_nacl.allow;
                nacl_star += is_star(net, q.want_nacl.rule);
            } else {
                q.table = static_cast<Idx>(gen.uni(0, static_cast<int>(net.enis.size()) - 1));
                q.want_sg = linear_sg(net, q.table, q.egress, q.p);
                sg_admit += q.want_sg.valid();
            }
        }
        for (AclAlgorithm a : algs) {
            Status st = AclCompiler::select_algorithm(**t, a);
            ASSERT_TRUE(st.ok()) << st.error().str();
            total_failures += check_questions(net, tb, qs, batch_rng,
                                              "seed " + std::to_string(seed) + " alg " + acl_algorithm_name(a));
        }
        // The side table names every deciding rule as the reference does.
        for (const auto& q : qs) {
            RuleRef r = q.nacl ? q.want_nacl.rule : q.want_sg;
            if (!r.valid()) continue;
            const RuleSource* src = tb.rule_source(r);
            ASSERT_NE(src, nullptr);
            ASSERT_EQ(src->str(), reference_rule_name(net, r));
        }
    }
    EXPECT_EQ(total_failures, 0);
    // The generator must exercise both outcomes of both classifiers, not just misses.
    uint64_t sg_q = static_cast<uint64_t>(kNetworks) * kPackets - nacl_q;
    EXPECT_GT(sg_admit, sg_q / 20);
    EXPECT_LT(sg_admit, sg_q - sg_q / 20);
    EXPECT_GT(nacl_allow, nacl_q / 20);
    EXPECT_GT(nacl_q - nacl_allow - nacl_star, nacl_q / 50);  // explicit deny entries decide too
    std::printf("[ acl ] %d networks, %zu algorithms, %llu compiled rules, rte_acl_build %.0f ms, "
                "sg admit %.1f%%, nacl allow %.1f%%\n",
                kNetworks, algs.size(), static_cast<unsigned long long>(compiled_rules), build_ms,
                100.0 * static_cast<double>(sg_admit) / static_cast<double>(sg_q),
                100.0 * static_cast<double>(nacl_allow) / static_cast<double>(nacl_q));
}

// Many ENIs share few group sets: the compiled rule count follows the sets, not the ENIs.
TEST(AclCompiler, RulesScaleWithGroupSetsNotEnis) {
    REQUIRE_EAL();
    Network net = small_network();
    auto base = AclCompiler::compile(net);
    ASSERT_TRUE(base.ok());
    for (int i = 0; i < 500; ++i) {
        Eni e = net.enis[3];
        e.id = "eni-clone-" + std::to_string(i);
        e.private_ips = {PrivateIp{v4(0x0a000000u + 0x100u * 7 + static_cast<uint32_t>(i)), true, {}, {}, {}}};
        net.enis.push_back(e);
    }
    net.reindex();
    auto more = AclCompiler::compile(net);
    ASSERT_TRUE(more.ok());
    EXPECT_EQ((*more)->stats().group_sets, (*base)->stats().group_sets);
    EXPECT_EQ((*more)->stats().sg_rules4, (*base)->stats().sg_rules4);
    // The clones joined sg-web's remote set: sg-app's peer rule admits them with no new rules.
    Packet p = packet(6, "10.0.7.42", "10.1.1.20", 8080);
    EXPECT_TRUE(compiled_sg(**more, 1, false, p).admit);
    EXPECT_FALSE(compiled_sg(**base, 1, false, p).admit);
}

// ---- ClassBench rule sets as NACLs ---------------------------------------------------------

namespace {

// A ClassBench prefix (host order, as bench/classbench reads it) as a Cidr.
Cidr cb_cidr(uint32_t addr, uint8_t len) {
    uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    return Cidr{IpAddr::v4(addr & mask), len};
}

} // namespace

TEST(AclClassBench, RuleSetsAsNaclsMatchLinearModel) {
    REQUIRE_EAL();
    const std::string dir = std::string(VPCFW_SHARED_DATA) + "/classbench/";
    const char* sets[] = {"acl1_1k", "acl2_1k", "acl3_1k", "acl4_1k", "acl5_1k", "fw1_1k",
                          "fw2_1k",  "fw3_1k",  "fw4_1k",  "fw5_1k",  "ipc1_1k", "ipc2_1k"};
    std::vector<AclAlgorithm> algs = supported_algorithms();
    std::mt19937_64 rng(11);
    int checked_files = 0;
    for (const char* name : sets) {
        auto read = cb::read_rules(dir + name, 1000);
        if (!read) continue;  // file not present
        const std::vector<cb::Rule>& rules = *read;
        // One NACL per file: ingress entries on the source prefix, egress on the destination,
        // rule number = line order, actions alternating so both outcomes occur.
        Network net;
        NetworkAcl acl;
        acl.id = std::string("acl-") + name;
        for (bool egress : {false, true})
            for (size_t i = 0; i < rules.size(); ++i) {
                NaclEntry e;
                e.rule_number = static_cast<int>(i) + 1;
                e.egress = egress;
                e.proto = rules[i].any_proto() ? -1 : rules[i].proto;
                e.allow = (i % 3) != 1;
                e.cidr = egress ? cb_cidr(rules[i].dst, rules[i].dst_len) : cb_cidr(rules[i].src, rules[i].src_len);
                e.port_from = rules[i].dport_lo;
                e.port_to = rules[i].dport_hi;
                acl.entries.push_back(e);
            }
        net.network_acls.push_back(acl);
        net.reindex();
        auto t = AclCompiler::compile(net);
        ASSERT_TRUE(t.ok()) << name << ": " << t.error().str();

        // A sample of the trace (every 4th header), both directions.
        std::vector<Question> qs;
        auto trace = cb::read_trace(dir + name + "_trace");
        ASSERT_TRUE(trace.ok()) << trace.error().str();
        for (size_t ln = 0; ln < trace->size(); ++ln) {
            if (ln % 4 != 0) continue;
            const cb::Header& h = (*trace)[ln];
            for (bool egress : {false, true}) {
                Question q;
                q.nacl = true;
                q.egress = egress;
                q.p.proto = h.proto;
                q.p.src = v4(h.src);
                q.p.dst = v4(h.dst);
                q.p.sport = h.sport;
                q.p.dport = h.dport;
                q.p.icmp_type = static_cast<uint8_t>(h.dport >> 8);
                q.p.icmp_code = static_cast<uint8_t>(h.dport);
                q.want_nacl = linear_nacl(net, 0, egress, q.p);
                qs.push_back(q);
            }
        }
        ASSERT_GT(qs.size(), 1000u) << name;
        size_t hits = 0;
        for (const auto& q : qs) hits += !is_star(net, q.want_nacl.rule);
        EXPECT_GT(hits, qs.size() / 4) << name << ": the trace should hit rules";
        for (AclAlgorithm a : algs) {
            ASSERT_TRUE(AclCompiler::select_algorithm(**t, a).ok());
            EXPECT_EQ(check_questions(net, **t, qs, rng, std::string(name) + " " + acl_algorithm_name(a)), 0);
        }
        ++checked_files;
    }
    EXPECT_GE(checked_files, 10);
}
