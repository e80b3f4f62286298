// The compiled pipeline's mechanisms on the bundled example network: the flow cache
// (hits only for established flows, never across a version that changes the answer),
// counters (every packet once), bursts equal to one-by-one, and RulesetSlot publication
// under concurrent workers (RCU QSBR: old versions freed only after every worker moved on).
// Decision equality with the reference on every scenario is tested by test_control and
// the differential suite (tests/diff).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/ruleset_slot.hpp"
#include "ruleset/actions.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;

namespace {

const char* kApp = "eni-0a1b2c3d4e5f60201";   // 10.0.10.20
const char* kDb = "eni-0a1b2c3d4e5f60301";    // 10.0.20.30

struct Fixture : ::testing::Test {
    Network net;
    std::shared_ptr<const CompiledRuleset> rs;
    uint64_t version = 1;

    void SetUp() override {
        ASSERT_TRUE(ensure_eal()) << "EAL";
        auto n = load_network(std::string(VPCFW_SOURCE_DIR) + "/examples/network.json");
        ASSERT_TRUE(n) << n.error().str();
        net = std::move(*n);
        rs = compile();
    }
    std::shared_ptr<const CompiledRuleset> compile() {
        CompileOptions o;
        o.version = version++;
        auto r = compile_ruleset(net, Settings{}, o);
        EXPECT_TRUE(r) << (r ? "" : r.error().str());
        return r ? *r : nullptr;
    }
    ParsedPacket pkt(const std::string& text, const std::string& from, double ts, const CompiledRuleset& c) {
        auto p = parse_packet(text);
        EXPECT_TRUE(p) << text;
        auto o = c.origin(from);
        EXPECT_TRUE(o) << from;
        return parsed_from_packet(*p, *o, ts);
    }
    Verdict run(Pipeline& pipe, const ParsedPacket& p) {
        Verdict v;
        pipe.process_parsed(std::span<const ParsedPacket>(&p, 1), std::span<Verdict>(&v, 1));
        return v;
    }
    std::string to(const Verdict& v, const CompiledRuleset& c) { return c.names().name(v.to); }
};

} // namespace

TEST_F(Fixture, EstablishedFlowIsServedFromTheCacheWithTheWalksVerdict) {
    Pipeline pipe(Settings{}, 1 << 12);
    pipe.set_ruleset(rs.get());
    Verdict syn = run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=S", kApp, 0, *rs));
    ASSERT_EQ(syn.action, Action::Accept);
    EXPECT_EQ(to(syn, *rs), kDb);
    EXPECT_EQ(pipe.counters().flow_cache_hits, 0u);
    Verdict synack = run(pipe, pkt("tcp 10.0.20.30:5432 -> 10.0.10.20:40000 flags=SA", kDb, 0.1, *rs));
    ASSERT_EQ(synack.action, Action::Accept);
    // The reply met state at both ENIs: cacheable. The next ones of that direction hit.
    Verdict walked = run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=A", kApp, 0.2, *rs));
    uint64_t hitsBefore = pipe.counters().flow_cache_hits;
    Verdict cached = run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=PA", kApp, 0.3, *rs));
    EXPECT_EQ(pipe.counters().flow_cache_hits, hitsBefore + 1);
    Decision a = to_decision(walked, rs->names(), "f"), b = to_decision(cached, rs->names(), "f");
    EXPECT_TRUE(decision_differences(a, b).empty());
    EXPECT_EQ(b.path.size(), a.path.size());
    EXPECT_TRUE(b.tracked);
}

TEST_F(Fixture, CacheEntryExpiresWithItsConnectionState) {
    Settings s;
    Pipeline pipe(s, 1 << 12);
    pipe.set_ruleset(rs.get());
    // A handshake that never completes: the entries keep the transitory timeout (120 s).
    run(pipe, pkt("tcp 10.0.10.20:5000 -> 10.0.20.30:5432 flags=S", kApp, 0, *rs));
    run(pipe, pkt("tcp 10.0.20.30:5432 -> 10.0.10.20:5000 flags=SA", kDb, 1, *rs));
    run(pipe, pkt("tcp 10.0.10.20:5000 -> 10.0.20.30:5432 flags=S", kApp, 2, *rs));
    uint64_t hits = pipe.counters().flow_cache_hits;
    EXPECT_EQ(run(pipe, pkt("tcp 10.0.10.20:5000 -> 10.0.20.30:5432 flags=S", kApp, 3, *rs)).action, Action::Accept);
    EXPECT_EQ(pipe.counters().flow_cache_hits, hits + 1);
    hits = pipe.counters().flow_cache_hits;
    // Long after the timeout: the cached entry must not answer; the walk judges again.
    Verdict late = run(pipe, pkt("tcp 10.0.10.20:5000 -> 10.0.20.30:5432 flags=S", kApp, 10000, *rs));
    EXPECT_EQ(pipe.counters().flow_cache_hits, hits);
    EXPECT_EQ(late.action, Action::Accept);   // the rules still admit it, as a new flow
}

TEST_F(Fixture, NaclDenyCutsAnEstablishedCachedFlowAtOnce) {
    Pipeline pipe(Settings{}, 1 << 12);
    pipe.set_ruleset(rs.get());
    for (double t : {0.0, 0.1, 0.2, 0.3}) {
        bool out = t == 0.0 || t == 0.2 || t == 0.3;
        std::string p = out ? "tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=A" : "tcp 10.0.20.30:5432 -> 10.0.10.20:40000 flags=SA";
        if (t == 0.0) p = "tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=S";
        ASSERT_EQ(run(pipe, pkt(p, out ? kApp : kDb, t, *rs)).action, Action::Accept) << t;
    }
    ASSERT_GT(pipe.counters().flow_cache_hits, 0u);
    auto eff = apply_action(net, "CreateNetworkAclEntry",
                            {{"NetworkAclId", "acl-0a1b2c3d4e5f60103"}, {"RuleNumber", 1}, {"Protocol", "-1"},
                             {"RuleAction", "deny"}, {"Egress", false}, {"CidrBlock", "10.0.10.0/24"}});
    ASSERT_TRUE(eff) << eff.error().str();
    auto next = compile();
    pipe.set_ruleset(next.get());
    Verdict v = run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=A", kApp, 0.4, *next));
    EXPECT_EQ(v.action, Action::Drop);
    EXPECT_EQ(v.layer, Layer::NaclIngress);
    EXPECT_EQ(next->names().name(v.rule), "acl-0a1b2c3d4e5f60103:ingress:1");
}

TEST_F(Fixture, RevokedSgRuleKeepsTrackedFlowButStopsNewOnes) {
    Pipeline pipe(Settings{}, 1 << 12);
    pipe.set_ruleset(rs.get());
    ASSERT_EQ(run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=S", kApp, 0, *rs)).action, Action::Accept);
    const SecurityGroup* db = net.security_group("sg-0a1b2c3d4e5f60103");
    ASSERT_NE(db, nullptr);
    ASSERT_FALSE(db->ingress.empty());
    // Revoke every ingress rule of the db group.
    for (const auto& r : std::vector<SgRule>(db->ingress)) {
        nlohmann::json perm = {{"IpProtocol", r.proto == -1 ? "-1" : std::to_string(r.proto)}};
        if (r.from_port != -1 || r.proto == 6 || r.proto == 17) {
            perm["FromPort"] = r.from_port;
            perm["ToPort"] = r.to_port;
        }
        if (r.peer == PeerKind::Group) perm["UserIdGroupPairs"] = {{{"GroupId", r.group_id}}};
        else if (r.peer == PeerKind::PrefixList) perm["PrefixListIds"] = {{{"PrefixListId", r.prefix_list}}};
        else if (r.cidr.family() == Family::V4) perm["IpRanges"] = {{{"CidrIp", r.cidr.str()}}};
        else perm["Ipv6Ranges"] = {{{"CidrIpv6", r.cidr.str()}}};
        auto eff = apply_action(net, "RevokeSecurityGroupIngress",
                                {{"GroupId", db->id}, {"IpPermissions", nlohmann::json::array({perm})}});
        ASSERT_TRUE(eff) << eff.error().str();
    }
    auto next = compile();
    pipe.set_ruleset(next.get());
    Verdict est = run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=A", kApp, 1, *next));
    EXPECT_EQ(est.action, Action::Accept);
    Verdict fresh = run(pipe, pkt("tcp 10.0.10.20:40001 -> 10.0.20.30:5432 flags=S", kApp, 2, *next));
    EXPECT_EQ(fresh.action, Action::Drop);
    EXPECT_EQ(fresh.layer, Layer::SgIngress);
}

TEST_F(Fixture, BurstEqualsOneByOneAndCountsEveryPacketOnce) {
    std::vector<ParsedPacket> burst;
    double t = 0;
    for (int i = 0; i < 20; ++i) {
        burst.push_back(pkt("tcp 10.0.10.20:" + std::to_string(41000 + i % 5) + " -> 10.0.20.30:5432 flags=S", kApp, t += 0.01, *rs));
        burst.push_back(pkt("tcp 10.0.20.30:5432 -> 10.0.10.20:" + std::to_string(41000 + i % 5) + " flags=SA", kDb, t += 0.01, *rs));
        burst.push_back(pkt("tcp 198.51.100.7:5555 -> 203.0.113.10:" + std::to_string(i % 2 ? 443 : 22), "internet", t += 0.01, *rs));
    }
    burst.resize(kMaxBurst);   // 60 real packets + 4 copies of the first (state makes them differ)
    for (size_t i = 60; i < burst.size(); ++i) burst[i] = burst[i - 60], burst[i].ts = t += 0.01;
    Pipeline a(Settings{}, 1 << 12), b(Settings{}, 1 << 12);
    a.set_ruleset(rs.get());
    b.set_ruleset(rs.get());
    std::vector<Verdict> va(burst.size()), vb(burst.size());
    a.process_parsed(burst, va);
    for (size_t i = 0; i < burst.size(); ++i) vb[i] = run(b, burst[i]);
    size_t accepted = 0, dropped = 0;
    for (size_t i = 0; i < burst.size(); ++i) {
        auto da = to_decision(va[i], rs->names(), ""), db = to_decision(vb[i], rs->names(), "");
        EXPECT_TRUE(decision_differences(da, db).empty()) << i;
        (va[i].action == Action::Accept ? accepted : dropped)++;
    }
    const auto& c = a.counters();
    EXPECT_EQ(c.packets, burst.size());
    uint64_t droppedByLayer = 0;
    for (auto d : c.dropped) droppedByLayer += d;
    EXPECT_EQ(c.accepted, accepted);
    EXPECT_EQ(droppedByLayer, dropped);
    EXPECT_EQ(c.flow_cache_hits + c.flow_cache_misses, burst.size());
    EXPECT_GT(dropped, 0u);   // port 22 from the internet
    EXPECT_GT(accepted, 0u);
}

TEST_F(Fixture, UnparsedFramesAreDroppedAtLayerParseWithTheirReason) {
    Pipeline pipe(Settings{}, 1 << 10);
    pipe.set_ruleset(rs.get());
    uint8_t junk[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3};
    Frame f{junk, sizeof junk, sizeof junk, LinkType::Ethernet, 1.0, {}};
    Verdict v;
    ParseResult pr;
    pipe.process(std::span<const Frame>(&f, 1), std::span<Verdict>(&v, 1), std::span<ParseResult>(&pr, 1));
    EXPECT_EQ(v.action, Action::Drop);
    EXPECT_EQ(v.layer, Layer::Parse);
    EXPECT_EQ(rs->names().name(v.reason), parse_reason_name(pr.reason));
    EXPECT_EQ(pipe.counters().dropped[static_cast<int>(Layer::Parse)], 1u);
}

TEST_F(Fixture, SlotPublishesVersionsToRunningWorkersAndFreesOldOnesAfterQuiescence) {
    RulesetSlot slot(2);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> seen[2] = {0, 0};
    slot.publish(rs);
    ParsedPacket p = pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=S", kApp, 0, *rs);
    auto worker = [&](unsigned id) {
        Pipeline pipe(Settings{}, 1 << 10);
        slot.register_worker(id);
        while (!stop.load()) {
            const CompiledRuleset* cur = slot.current();
            if (cur != pipe.ruleset()) pipe.set_ruleset(cur);
            Verdict v;
            ParsedPacket q = p;
            pipe.process_parsed(std::span<const ParsedPacket>(&q, 1), std::span<Verdict>(&v, 1));
            seen[id].store(cur->version());
            slot.quiescent(id);
        }
        slot.unregister_worker(id);
    };
    std::thread w0(worker, 0), w1(worker, 1);
    std::weak_ptr<const CompiledRuleset> previous = rs;
    rs.reset();
    for (int i = 0; i < 5; ++i) {
        auto next = compile();
        uint64_t v = next->version();
        slot.publish(std::move(next));
        // publish() returns after every worker passed a quiescent state: the version before
        // is gone, and no worker reads it any more.
        EXPECT_TRUE(previous.expired()) << i;
        previous = slot.current_shared();
        while (seen[0].load() < v || seen[1].load() < v) std::this_thread::yield();
    }
    stop = true;
    w0.join();
    w1.join();
    EXPECT_EQ(seen[0].load(), slot.current()->version());
}
