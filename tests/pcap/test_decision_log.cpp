// One writer of decisions (pcap/decision_log.hpp): replay and the live run write the same
// decision line and the same capture comment for the same packet. The bundled capture is
// replayed (compiled engine, one worker), and the same frames go through the live run's
// output path (a Pipeline as a worker runs it, LogRecords into control/live_log.hpp's
// LiveLog, as `vpcfw run` drains its workers); the lines must carry the same fields with
// the same values, the live run adding only version, port and out_port
// (docs/decisions.md). No root, no ports: EAL with --no-huge --no-pci.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include <unistd.h>

#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "control/live_log.hpp"
#include "dataplane/pipeline.hpp"
#include "pcap/decision_log.hpp"
#include "pcap/reader.hpp"
#include "pcap/replay.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string src(const std::string& rel) { return std::string(VPCFW_SOURCE_DIR) + "/" + rel; }
std::string tmp(const std::string& name) {
    return (fs::temp_directory_path() / ("vpcfw-declog-" + std::to_string(::getpid()) + "-" + name)).string();
}
std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}
std::vector<json> jsonl(const std::string& path) {
    std::vector<json> out;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) out.push_back(json::parse(l));
    return out;
}
// "vpcfw seq N: ..." comments found in a pcapng file, by seq.
std::map<uint64_t, std::string> comments(const std::string& pcapng) {
    std::map<uint64_t, std::string> out;
    std::string bytes = slurp(pcapng);
    static const std::regex re("vpcfw seq ([0-9]+): [^\\x00]*");
    for (auto it = std::sregex_iterator(bytes.begin(), bytes.end(), re); it != std::sregex_iterator(); ++it)
        out[std::stoull((*it)[1])] = it->str();
    return out;
}

} // namespace

TEST(DecisionLog, LiveFieldsAreAddedOnlyWhenGiven) {
    Decision d;
    d.action = Action::Accept;
    d.to = "eni-0b2";
    d.from = "internet";
    d.flow = "tcp 1.2.3.4:5 -> 6.7.8.9:80";
    DecisionLineHead head{3, 1718000000000123000, 0xabcdefull, nullptr};
    std::string replay = decision_line(head, d);
    EXPECT_EQ(replay.rfind(R"({"seq":3,"ts":1718000000.000123,"flow_id":"0000000000abcdef",)", 0), 0u) << replay;
    LiveDecisionFields live{7, "net_af_packet0,iface=v0@subnet-1", std::string("p\"2")};
    head.live = &live;
    std::string run = decision_line(head, d);
    EXPECT_EQ(run.rfind(R"({"seq":3,"ts":1718000000.000123,"flow_id":"0000000000abcdef","version":7,)"
                        R"("port":"net_af_packet0,iface=v0@subnet-1","out_port":"p\"2",)", 0), 0u) << run;
    json a = json::parse(replay), b = json::parse(run);
    b.erase("version");
    b.erase("port");
    b.erase("out_port");
    EXPECT_EQ(a, b);
    // Not forwarded: no out_port; not parsed: no flow_id.
    live.out_port.reset();
    head.flow_id.reset();
    json c = json::parse(decision_line(head, d));
    EXPECT_FALSE(c.contains("out_port"));
    EXPECT_FALSE(c.contains("flow_id"));
    EXPECT_EQ(c["version"], 7);
    EXPECT_EQ(decision_comment(3, d), "vpcfw seq 3: ACCEPT to eni-0b2 from internet; tcp 1.2.3.4:5 -> 6.7.8.9:80");
}

TEST(DecisionLog, ReplayAndLiveRunWriteTheSameDecisions) {
    ASSERT_TRUE(ensure_eal());
    auto net = load_network(src("examples/network.json"));
    ASSERT_TRUE(net) << net.error().str();
    Settings settings;
    auto rs = compile_ruleset(*net, settings, {.version = 1});
    ASSERT_TRUE(rs) << rs.error().str();
    std::string capture = src("examples/capture.pcap");

    // Replay.
    ReplayOptions o;
    o.pcap = capture;
    o.engine = EngineKind::Compiled;
    o.compiled = *rs;
    o.decisions = tmp("replay.jsonl");
    o.accepted = tmp("replay-acc.pcapng");
    o.dropped = tmp("replay-drop.pcapng");
    std::ostringstream err;
    auto sum = run_replay(*net, o, err);
    ASSERT_TRUE(sum) << sum.error().str();

    // The live run's path: a worker's pipeline fills LogRecords, LiveLog writes them.
    std::vector<std::string> ports = {"net_af_packet0,iface=veth0@subnet-a", "net_af_packet1,iface=veth1@internet"};
    LiveLogOptions lo;
    lo.decisions = tmp("run.jsonl");
    lo.capture = tmp("run.pcapng");
    {
        LiveLog log;
        auto shared = std::make_shared<const Network>(*net);
        ASSERT_TRUE(log.open(lo, shared, ports));
        log.keep_version(1, *rs, shared);
        Pipeline pipe(settings);
        pipe.set_ruleset(rs->get());
        auto reader = CaptureReader::open(capture);
        ASSERT_TRUE(reader) << reader.error().str();
        CapturePacket cp;
        auto rec = std::make_unique<LogRecord>();
        while ((*reader)->next(cp)) {
            ASSERT_EQ(cp.link, LinkType::Ethernet);
            Frame f{cp.data, cp.caplen, cp.wirelen, cp.link, static_cast<double>(cp.ts_ns) / 1e9, {}};
            Verdict v;
            ParseResult pr;
            pipe.process(std::span<const Frame>(&f, 1), std::span<Verdict>(&v, 1), std::span<ParseResult>(&pr, 1));
            rec->version = 1;
            rec->ts = f.ts;
            rec->caplen = std::min<uint32_t>(cp.caplen, kLogSnap);
            rec->wirelen = cp.wirelen;
            rec->in_port = 0;
            rec->out_port = v.action == Action::Accept ? 1 : -1;
            rec->reason = pr.reason;
            rec->key = pr.key;
            rec->verdict = v;
            std::memcpy(rec->frame, cp.data, rec->caplen);
            log.write(*rec);
        }
        log.flush();
    }

    std::vector<json> replay = jsonl(o.decisions), run = jsonl(lo.decisions);
    ASSERT_EQ(replay.size(), sum->packets);
    ASSERT_EQ(run.size(), replay.size());
    ASSERT_GT(sum->accepted, 0u);
    ASSERT_GT(sum->dropped, 0u);
    const std::set<std::string> live_only = {"version", "port", "out_port"};
    for (size_t i = 0; i < replay.size(); ++i) {
        const json& a = replay[i];
        const json& b = run[i];
        for (const auto& [k, v] : a.items()) {
            ASSERT_TRUE(b.contains(k)) << "seq " << i << ": run lacks " << k;
            if (k == "ts") {   // the live clock is a double: the same instant to the microsecond
                EXPECT_NEAR(b[k].get<double>(), v.get<double>(), 1e-6) << "seq " << i;
            } else {
                EXPECT_EQ(b[k], v) << "seq " << i << " field " << k;
            }
        }
        for (const auto& [k, v] : b.items()) {
            if (!a.contains(k)) {
                EXPECT_TRUE(live_only.count(k)) << "seq " << i << ": run adds " << k;
            }
        }
        EXPECT_EQ(b["version"], 1);
        EXPECT_EQ(b["port"], ports[0]);
        EXPECT_EQ(b.contains("out_port"), a["action"] == "ACCEPT");
    }

    // The capture comments are the same text, packet by packet.
    std::map<uint64_t, std::string> want = comments(o.accepted), dropped = comments(o.dropped);
    want.insert(dropped.begin(), dropped.end());
    std::map<uint64_t, std::string> got = comments(lo.capture);
    EXPECT_EQ(want.size(), replay.size());
    EXPECT_EQ(got, want);

    for (const auto& p : {o.decisions, o.accepted, o.dropped, lo.decisions, lo.capture}) fs::remove(p);
}
