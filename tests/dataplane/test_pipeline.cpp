// The compiled pipeline's mechanisms on the bundled example network: the flow cache
// (hits only for established flows, never across a version that changes the answer),
// counters (every packet once), bursts equal to one-by-one, the burst classification stage
// (answers exactly the questions it asked, as single classifications do), and RulesetSlot publication
// under concurrent workers (RCU QSBR: old versions freed only after every worker moved on),
// and the CHOICE missing_nacl_default read alike by both evaluators with either value.
// Decision equality with the reference on every scenario is tested by test_control and
// the differential suite (tests/diff).
#include <cstring>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "dataplane/burst_classify.hpp"
#include "dataplane/compiled_impl.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/ruleset_slot.hpp"
#include "ruleset/actions.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/reference.hpp"

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

// Connection tracking at capacity (docs/semantics.md §4, issue 17 item 3): new flows over the
// ENI's capacity are refused at layer conntrack and counted, an established flow keeps
// flowing, and once the embryonic entries pass their timeout the next new flow reclaims
// them (conntrack_reclaimed). The same with the worker's table as the limit and emergency
// mode off; with it on (the default, CHOICE conntrack_emergency) the table enters emergency
// mode at 7/8 of its capacity, the embryonic entries expire after 10 s instead of 120 s,
// and new flows are admitted again long before the normal timeout.
TEST_F(Fixture, AtCapacityNewFlowsAreRefusedEstablishedOnesFlowAndExpiredEntriesAreReclaimed) {
    enum Case { EniCapacity, TableLimit, TableEmergency };
    for (Case cs : {EniCapacity, TableLimit, TableEmergency}) {
        SCOPED_TRACE(cs == EniCapacity ? "per-ENI capacity" : cs == TableLimit ? "worker table limit" : "emergency mode");
        Settings s;
        if (cs == EniCapacity) s.conntrack_capacity_per_eni = 8;
        s.conntrack_emergency = cs == TableEmergency;
        Pipeline pipe(s, cs == EniCapacity ? 1 << 12 : 16);
        pipe.set_ruleset(rs.get());
        // One established flow first.
        ASSERT_EQ(run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=S", kApp, 0, *rs)).action, Action::Accept);
        ASSERT_EQ(run(pipe, pkt("tcp 10.0.20.30:5432 -> 10.0.10.20:40000 flags=SA", kDb, 0.1, *rs)).action, Action::Accept);
        ASSERT_EQ(run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=A", kApp, 0.2, *rs)).action, Action::Accept);
        // A flood of SYNs that never complete, far past the capacity.
        uint64_t refused = 0;
        for (int i = 0; i < 200; ++i) {
            Verdict v = run(pipe, pkt("tcp 10.0.10.20:" + std::to_string(41000 + i) + " -> 10.0.20.30:5432 flags=S", kApp,
                                      1 + i * 0.01, *rs));
            if (v.action == Action::Drop) {
                EXPECT_EQ(v.layer, Layer::Conntrack);
                ++refused;
            }
        }
        EXPECT_GT(refused, 150u);
        EXPECT_EQ(pipe.counters().conntrack_full, refused);
        EXPECT_EQ(pipe.counters().dropped[static_cast<unsigned>(Layer::Conntrack)], refused);
        EXPECT_EQ(pipe.counters().conntrack_emergencies, cs == TableEmergency ? 1u : 0u);
        // The established flow is not affected.
        EXPECT_EQ(run(pipe, pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=PA", kApp, 5, *rs)).action, Action::Accept);
        EXPECT_EQ(run(pipe, pkt("tcp 10.0.20.30:5432 -> 10.0.10.20:40000 flags=A", kDb, 5.1, *rs)).action, Action::Accept);
        // Within the embryonic timeout (120 s), past the emergency one (10 s): refused,
        // nothing reclaimed, except in emergency mode.
        Verdict at60 = run(pipe, pkt("tcp 10.0.10.20:42000 -> 10.0.20.30:5432 flags=S", kApp, 60, *rs));
        if (cs == TableEmergency) {
            EXPECT_EQ(at60.action, Action::Accept);
            EXPECT_GT(pipe.counters().conntrack_reclaimed, 0u);
            // Fewer than half the capacity live: the table left emergency mode.
            EXPECT_EQ(pipe.counters().conntrack_emergency, 0u);
        } else {
            EXPECT_EQ(at60.action, Action::Drop);
            EXPECT_EQ(pipe.counters().conntrack_reclaimed, 0u);
        }
        // Past it: the next new flow reclaims the expired entries and is admitted.
        EXPECT_EQ(run(pipe, pkt("tcp 10.0.10.20:42001 -> 10.0.20.30:5432 flags=S", kApp, 200, *rs)).action, Action::Accept);
        EXPECT_GT(pipe.counters().conntrack_reclaimed, 0u);
        EXPECT_EQ(pipe.counters().packets, pipe.counters().accepted + pipe.counters().dropped_total());
    }
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

TEST_F(Fixture, BurstClassifyAnswersItsFirstHopQuestionsAsSingleClassificationsDo) {
    const auto& t = rs->impl();
    const AclTables& acl = rs->acl();
    uint32_t app = rs->origin(kApp)->index, db = rs->origin(kDb)->index;
    struct Case {
        std::string text;
        const char* from;
        uint32_t src, dst;
    };
    std::vector<Case> cases;
    for (int port : {5432, 22, 443, 80})
        cases.push_back({"tcp 10.0.10.20:41000 -> 10.0.20.30:" + std::to_string(port) + " flags=S", kApp, app, db});
    cases.push_back({"udp 10.0.20.30:5000 -> 10.0.10.20:53", kDb, db, app});
    cases.push_back({"icmp 10.0.10.20 -> 10.0.20.30 type=8 code=0", kApp, app, db});
    std::vector<ParsedPacket> burst;
    for (const auto& c : cases) burst.push_back(pkt(c.text, c.from, 1, *rs));
    bool miss[kMaxBurst];
    std::fill(miss, miss + kMaxBurst, true);
    miss[1] = false;   // a flow-cache hit: no answers
    BurstClassify bc;
    bc.classify(*rs, burst.data(), miss, burst.size());
    size_t answered = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
        bc.use(i);
        const FlowKey& k = burst[i].key;
        uint16_t l4 = acl_l4_word(k);
        for (bool egress : {true, false}) {
            uint32_t e = egress ? cases[i].src : cases[i].dst;
            Be32 remote = egress ? k.dst[0] : k.src[0];
            uint16_t dir = egress ? kAclEgress : kAclIngress;
            uint16_t nacl = static_cast<uint16_t>(t.subnets[t.enis[e].subnet].nacl);
            AclKey4 nq = make_acl_key4(k.proto, nacl, dir, remote, 0, l4);
            AclKey4 sq = make_acl_key4(k.proto, acl.group_set_of_eni(e), dir, remote, 0, l4);
            NaclVerdict nb, ns;
            SgVerdict sb, ss;
            bool hasN = bc.nacl(acl, nq, nb), hasS = bc.sg(acl, sq, sb);
            EXPECT_EQ(hasN, miss[i]) << i;
            EXPECT_EQ(hasS, miss[i]) << i;
            if (!miss[i]) continue;
            answered += 2;
            acl.classify_nacl(std::span<const AclKey4>(&nq, 1), std::span<NaclVerdict>(&ns, 1));
            sq.remote_set = Be16::from_host(acl.remote_set4(remote));
            acl.classify_sg(std::span<const AclKey4>(&sq, 1), std::span<SgVerdict>(&ss, 1));
            EXPECT_EQ(nb.rule.raw, ns.rule.raw) << i << " egress " << egress;
            EXPECT_EQ(nb.allow, ns.allow) << i;
            EXPECT_EQ(sb.rule.raw, ss.rule.raw) << i << " egress " << egress;
            EXPECT_EQ(sb.admit, ss.admit) << i;
            // Another question (another table, another port) is not the burst's to answer.
            AclKey4 other = sq;
            other.table = Be16::from_host(static_cast<uint16_t>(acl.group_set_of_eni(e) + 1));
            EXPECT_FALSE(bc.sg(acl, other, sb));
            other = nq;
            other.l4 = Be16::from_host(static_cast<uint16_t>(l4 + 1));
            EXPECT_FALSE(bc.nacl(acl, other, nb));
        }
    }
    EXPECT_EQ(answered, 4 * (cases.size() - 1));
    bc.use_none();
    NaclVerdict nv;
    AclKey4 any = make_acl_key4(6, 0, kAclEgress, burst[0].key.dst[0], 0, 5432);
    EXPECT_FALSE(bc.nacl(acl, any, nv));
}

// process_parsed_refs hands out references, never copies: the walked packets' from the
// burst scratch, an established flow's from the flow cache (the same entry, burst after
// burst), with the verdicts process_parsed copies; reserve() mid-flow changes no decision.
TEST_F(Fixture, VerdictReferencesEqualCopiesAndHitsShareTheCachedVerdict) {
    std::vector<ParsedPacket> open = {pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=S", kApp, 0, *rs),
                                      pkt("tcp 10.0.20.30:5432 -> 10.0.10.20:40000 flags=SA", kDb, 0.1, *rs),
                                      pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=A", kApp, 0.2, *rs)};
    Pipeline a(Settings{}, 1 << 12), b(Settings{}, 1 << 12);
    a.set_ruleset(rs.get());
    b.set_ruleset(rs.get());
    const Verdict* ra[kMaxBurst];
    std::vector<Verdict> vb(open.size());
    a.process_parsed_refs(open, std::span<const Verdict*>(ra, open.size()));
    b.process_parsed(open, vb);
    for (size_t i = 0; i < open.size(); ++i) {
        ASSERT_NE(ra[i], nullptr);
        EXPECT_TRUE(decision_differences(to_decision(vb[i], rs->names(), ""), to_decision(*ra[i], rs->names(), "")).empty()) << i;
    }
    const Verdict* first = nullptr;
    for (int round = 0; round < 3; ++round) {
        if (round == 2) a.reserve(100000);   // grows the tables: entries come back through a walk
        std::vector<ParsedPacket> est = {pkt("tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=PA", kApp, 1 + round, *rs),
                                         pkt("tcp 10.0.20.30:5432 -> 10.0.10.20:40000 flags=A", kDb, 1.05 + round, *rs)};
        uint64_t hits = a.counters().flow_cache_hits;
        a.process_parsed_refs(est, std::span<const Verdict*>(ra, est.size()));
        std::vector<Verdict> vb2(est.size());
        b.process_parsed(est, vb2);
        for (size_t i = 0; i < est.size(); ++i) {
            EXPECT_EQ(ra[i]->action, Action::Accept);
            EXPECT_TRUE(decision_differences(to_decision(vb2[i], rs->names(), ""), to_decision(*ra[i], rs->names(), "")).empty());
        }
        if (round == 0) first = ra[0];
        if (round == 1) {
            EXPECT_EQ(a.counters().flow_cache_hits, hits + 2);
            EXPECT_EQ(ra[0], first);   // the cache's verdict, not a copy
        }
    }
    EXPECT_EQ(a.tracked_entries(), b.tracked_entries());
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

// docs/semantics.md §5 CHOICE missing_nacl_default, both values, both evaluators: a subnet with no
// NACL in the export is judged by acl-default(VPC-ID) (on) or denied at none:DIR:* (off),
// and the decision names the CHOICE either way.
TEST(MissingNaclDefault, BothEvaluatorsFollowTheSettingAndNameTheChoice) {
    ASSERT_TRUE(ensure_eal()) << "EAL";
    auto n = load_network(std::string(VPCFW_SOURCE_DIR) + "/tests/scenarios/networks/c-no-nacl.json");
    ASSERT_TRUE(n) << n.error().str();
    for (bool on : {true, false}) {
        Settings s;
        s.missing_nacl_default = on;
        auto rs = compile_ruleset(*n, s, CompileOptions{});
        ASSERT_TRUE(rs) << rs.error().str();
        Pipeline pipe(s, 1 << 10);
        pipe.set_ruleset(rs->get());
        ReferenceEvaluator ref(*n, s);
        auto p = parse_packet("tcp 10.40.1.10:40000 -> 10.41.1.10:22 flags=S");
        ASSERT_TRUE(p);
        auto o = (*rs)->origin("eni-0nna00001");
        ASSERT_TRUE(o);
        ParsedPacket pp = parsed_from_packet(*p, *o, 1);
        Verdict v;
        pipe.process_parsed(std::span<const ParsedPacket>(&pp, 1), std::span<Verdict>(&v, 1));
        Decision got = to_decision(v, (*rs)->names(), "f");
        Decision want = ref.evaluate(*p, "eni-0nna00001", 1);
        EXPECT_TRUE(decision_differences(want, got).empty()) << (on ? "on" : "off");
        EXPECT_EQ(want.action, on ? Action::Accept : Action::Drop);
        if (!on) {
            EXPECT_EQ(want.rule, "none:egress:*");
        }
        EXPECT_NE(std::find(got.choices.begin(), got.choices.end(), "missing_nacl_default"), got.choices.end());
        EXPECT_NE(std::find(want.choices.begin(), want.choices.end(), "missing_nacl_default"), want.choices.end());
    }
}

// Every version has its own rte_fib/rte_fib6 tables, named uniquely in the process: 80
// successive versions (IPv4 and IPv6 routes) all compile while the first stays alive, as
// `vpcfw bench` keeps it, old successors freed on the way (the names once collided:
// "fib" + 63 and "fib6" + 3, and `bench`'s update cases failed to compile).
TEST_F(Fixture, ManySuccessiveVersionsCompileInOneProcess) {
    ASSERT_GT(rs->stats().routes6, 0u) << "the example needs IPv6 routes for this test";
    std::shared_ptr<const CompiledRuleset> first = rs, latest;
    for (int i = 0; i < 80; ++i) {
        latest = compile();
        ASSERT_TRUE(latest) << "version " << version - 1;
    }
}

// Drops by a security group or NACL are cached (negative entries, issue 11 item 3): a
// repeated denied packet is a flow-cache hit with the walk's verdict, and the entry stops
// serving as soon as state appears where the walk judged by rules.
TEST_F(Fixture, DeniedPacketsAreCachedUntilStateAppears) {
    const char* kWeb = "eni-0a1b2c3d4e5f60101";   // 10.0.0.10, public 203.0.113.10
    Pipeline pipe(Settings{}, 1 << 12);
    pipe.set_ruleset(rs.get());
    auto hits = [&] { return pipe.counters().flow_cache_hits; };
    // NACL ingress `*` (port 23) and SG ingress (3389: the NACL allows, no group rule).
    const std::string nacl = "tcp 198.51.100.9:5555 -> 203.0.113.10:23 flags=A";
    const std::string sg = "tcp 198.51.100.9:5555 -> 203.0.113.10:3389 flags=A";
    for (const auto& [text, layer] : {std::pair{nacl, Layer::NaclIngress}, std::pair{sg, Layer::SgIngress}}) {
        SCOPED_TRACE(text);
        Verdict first = run(pipe, pkt(text, "internet", 1, *rs));
        ASSERT_EQ(first.action, Action::Drop);
        ASSERT_EQ(first.layer, layer);
        uint64_t h = hits();
        Verdict again = run(pipe, pkt(text, "internet", 2, *rs));
        EXPECT_EQ(hits(), h + 1) << "the repeated drop is served from the cache";
        EXPECT_EQ(std::memcmp(&first, &again, sizeof(Verdict)), 0);
    }
    // The instance opens the reverse flow: the SG ingress key now exists, so the cached
    // drop no longer applies and the packet meets connection state.
    ASSERT_EQ(run(pipe, pkt("tcp 10.0.0.10:3389 -> 198.51.100.9:5555 flags=S", kWeb, 3, *rs)).action, Action::Accept);
    uint64_t h = hits();
    Verdict now = run(pipe, pkt(sg, "internet", 4, *rs));
    EXPECT_EQ(now.action, Action::Accept);
    EXPECT_EQ(hits(), h) << "walked, not served from the negative entry";
    EXPECT_EQ(pipe.counters().packets, pipe.counters().accepted + pipe.counters().dropped_total());
}
