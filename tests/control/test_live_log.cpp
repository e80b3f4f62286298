// LiveLog (control/live_log.hpp) across ruleset versions, without ports: records of a
// version published before a change are all written (none skipped), the version and its
// network are freed once retired and drained (memory does not grow with changes), and the
// flow logs name each record's ENI from the network of the record's own version, even
// after the live model that version came from was replaced and destroyed (the data race
// of issue 13 item 7: the writer used to read the live run's Network while publish()
// reassigned it). EAL --no-huge (compile_ruleset allocates with rte_malloc).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "control/live_log.hpp"
#include "dataplane/pipeline.hpp"
#include "ruleset/actions.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;
namespace fs = std::filesystem;

namespace {

const char* kApp = "eni-0a1b2c3d4e5f60201";   // 10.0.10.20

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// One record of `text` from `from`, judged by `rs` (a fresh pipeline: a first packet).
void put(LogQueue& q, const CompiledRuleset& rs, uint64_t version, const std::string& text, const std::string& from, double ts) {
    auto p = parse_packet(text);
    ASSERT_TRUE(p) << text;
    auto o = rs.origin(from);
    ASSERT_TRUE(o) << from;
    ParsedPacket pp = parsed_from_packet(*p, *o, ts);
    Pipeline pipe(Settings{}, 1 << 10);
    pipe.set_ruleset(&rs);
    LogRecord* r = q.reserve();
    ASSERT_NE(r, nullptr);
    r->version = version;
    r->ts = ts;
    r->key = pp.key;
    r->reason = ParseReason::Ok;
    pipe.process_parsed(std::span<const ParsedPacket>(&pp, 1), std::span<Verdict>(&r->verdict, 1));
    q.commit();
}

} // namespace

TEST(LiveLog, RetiredVersionsAreWrittenThenFreedAndFlowLogsKeepTheirNetwork) {
    ASSERT_TRUE(ensure_eal()) << "EAL";
    auto loaded = load_network(std::string(VPCFW_SOURCE_DIR) + "/examples/network.json");
    ASSERT_TRUE(loaded) << loaded.error().str();
    fs::path dir = fs::temp_directory_path() / ("vpcfw-live-log-" + std::to_string(::getpid()));
    fs::create_directories(dir);

    auto net1 = std::make_shared<const Network>(*loaded);
    auto rs1 = compile_ruleset(*net1, Settings{}, {.version = 1});
    ASSERT_TRUE(rs1) << rs1.error().str();
    std::weak_ptr<const Network> net1_weak = net1;
    std::weak_ptr<const CompiledRuleset> rs1_weak = *rs1;

    LiveLog log;
    LiveLogOptions opt;
    opt.decisions = (dir / "decisions.jsonl").string();
    opt.flow_logs = (dir / "flow.log").string();
    opt.flow_log_format = "${interface-id} ${subnet-id} ${srcaddr} ${dstaddr} ${action}";
    ASSERT_TRUE(log.open(opt, net1, {"port0"}).ok());
    log.keep_version(1, *rs1, net1);
    LogQueue q(16);
    put(q, **rs1, 1, "tcp 10.0.10.20:40000 -> 10.0.20.30:5432 flags=S", kApp, 10);

    // A change: the app ENI moves to another subnet id in version 2 (the record of version 1
    // must still name the subnet it had then). The live model of version 1 is dropped.
    Network next = *net1;
    Idx app = next.index.eni.at(kApp);
    std::string subnet1 = next.subnets[next.enis[app].subnet].id;
    next.subnets[next.enis[app].subnet].id = "subnet-0renamed0001";
    next.reindex();
    auto net2 = std::make_shared<const Network>(std::move(next));
    auto rs2 = compile_ruleset(*net2, Settings{}, {.version = 2});
    ASSERT_TRUE(rs2) << rs2.error().str();
    log.keep_version(2, *rs2, net2);
    log.retire_before(2);   // as LiveRun::publish once every worker runs version 2
    net1.reset();
    rs1->reset();
    put(q, **rs2, 2, "tcp 10.0.10.20:40001 -> 10.0.20.30:5432 flags=S", kApp, 11);

    log.drain_all({&q});
    EXPECT_EQ(log.unknown_versions(), 0u);
    EXPECT_EQ(log.versions_kept(), 1u);             // version 1 freed, version 2 kept
    EXPECT_TRUE(rs1_weak.expired());                // its compiled ruleset is gone
    log.flush();
    log.finish();
    log.close();
    EXPECT_TRUE(net1_weak.expired());               // and its network, once its records were written

    std::string decisions = slurp(dir / "decisions.jsonl");
    EXPECT_NE(decisions.find("\"version\":1"), std::string::npos) << decisions;
    EXPECT_NE(decisions.find("\"version\":2"), std::string::npos) << decisions;
    std::string flow = slurp(dir / "flow.log");
    // One header line, then records naming each version's subnet.
    EXPECT_EQ(flow.rfind("interface-id subnet-id srcaddr dstaddr action\n", 0), 0u) << flow;
    EXPECT_EQ(flow.find("interface-id", 1), std::string::npos) << "header written twice:\n" << flow;
    EXPECT_NE(flow.find(std::string(kApp) + " " + subnet1 + " 10.0.10.20 10.0.20.30 ACCEPT"), std::string::npos) << flow;
    EXPECT_NE(flow.find(std::string(kApp) + " subnet-0renamed0001 10.0.10.20 10.0.20.30 ACCEPT"), std::string::npos) << flow;
    fs::remove_all(dir);
}
