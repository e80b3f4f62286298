// Replay end to end: every shared capture replays with one decision per packet of its
// MANIFEST count; outputs identical over workers and chunk sizes; accepted + dropped
// captures hold every input packet; flow-log records in AWS's format; the FlowSharder's
// symmetry; gen-trace determinism; the replay CLI on the bundled example.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "control/cli.hpp"
#include "pcap/flow_logs.hpp"
#include "pcap/gen_trace.hpp"
#include "pcap/reader.hpp"
#include "pcap/replay.hpp"
#include "pcap/shard.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;
namespace fs = std::filesystem;

namespace {

std::string src(const std::string& rel) { return std::string(VPCFW_SOURCE_DIR) + "/" + rel; }
std::string pcaps() { return std::string(VPCFW_SHARED_DATA) + "/pcaps/"; }
std::string tmp(const std::string& name) {
    return (fs::temp_directory_path() / ("vpcfw-replay-" + std::to_string(::getpid()) + "-" + name)).string();
}
std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}
std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

const Network& example_net() {
    static Network net = [] {
        auto n = load_network(src("examples/network.json"));
        EXPECT_TRUE(n) << n.error().str();
        return *n;
    }();
    return net;
}

// The bundled capture, or a generated one if it is missing.
std::string example_capture() {
    std::string p = src("examples/capture.pcap");
    if (fs::exists(p)) return p;
    static std::string gen = [] {
        std::string g = tmp("example.pcap");
        EXPECT_TRUE(gen_trace(example_net(), GenTraceOptions{}, g));
        return g;
    }();
    return gen;
}

struct Outputs {
    ReplaySummary summary;
    std::string decisions, flow_logs, accepted, dropped;
};

Outputs replay(const std::string& pcap, unsigned workers, size_t chunk = 65536, const std::string& format = {},
               bool captures = true, int interval = 600) {
    ReplayOptions o;
    o.pcap = pcap;
    o.workers = workers;
    o.chunk_frames = chunk;
    std::string tag = std::to_string(workers) + "-" + std::to_string(chunk);
    o.decisions = tmp("d" + tag + ".jsonl");
    o.flow_logs = tmp("f" + tag + ".txt");
    o.flow_log_format = format;
    o.flow_log_interval = interval;
    if (captures) {
        o.accepted = tmp("a" + tag + ".pcapng");
        o.dropped = tmp("x" + tag + ".pcapng");
    }
    std::ostringstream err;
    auto r = run_replay(example_net(), o, err);
    EXPECT_TRUE(r) << pcap << ": " << r.error().str();
    Outputs out;
    if (!r) return out;
    out.summary = *r;
    out.decisions = slurp(o.decisions);
    out.flow_logs = slurp(o.flow_logs);
    fs::remove(o.decisions);
    fs::remove(o.flow_logs);
    if (captures) {
        out.accepted = slurp(o.accepted);
        out.dropped = slurp(o.dropped);
        fs::remove(o.accepted);
        fs::remove(o.dropped);
    }
    return out;
}

// File name -> packets, from the MANIFEST's table.
std::map<std::string, uint64_t> manifest() {
    std::map<std::string, uint64_t> m;
    for (const auto& l : lines(slurp(pcaps() + "MANIFEST.md"))) {
        if (l.rfind("| ", 0) != 0 || l.find(".pcap") == std::string::npos) continue;
        std::vector<std::string> cells;
        std::string cell;
        std::istringstream in(l.substr(1));
        while (std::getline(in, cell, '|')) {
            cell.erase(0, cell.find_first_not_of(' '));
            cell.erase(cell.find_last_not_of(' ') + 1);
            cells.push_back(cell);
        }
        if (cells.size() < 7) continue;
        std::string count = cells[5];
        count.erase(std::remove(count.begin(), count.end(), ','), count.end());
        m[cells[0]] = std::stoull(count);
    }
    return m;
}

// Packets of a capture file, as (timestamp, bytes), in file order.
std::vector<std::pair<int64_t, std::string>> packets_of(const std::string& path) {
    std::vector<std::pair<int64_t, std::string>> out;
    auto r = CaptureReader::open(path);
    EXPECT_TRUE(r) << r.error().str();
    if (!r) return out;
    CapturePacket p;
    while ((*r)->next(p)) out.emplace_back(p.ts_ns, std::string(reinterpret_cast<const char*>(p.data), p.caplen));
    return out;
}

} // namespace

TEST(Replay, EverySharedCaptureGetsOneDecisionPerPacket) {
    auto m = manifest();
    ASSERT_GE(m.size(), 70u);
    for (const auto& [name, count] : m) {
        ReplayOptions o;
        o.pcap = pcaps() + name;
        o.decisions = tmp("all.jsonl");
        std::ostringstream err;
        auto r = run_replay(example_net(), o, err);
        ASSERT_TRUE(r) << name << ": " << r.error().str();
        EXPECT_EQ(r->packets, count) << name << " " << err.str();
        EXPECT_EQ(r->accepted + r->dropped, r->packets) << name;
        uint64_t byLayer = 0;
        for (const auto& [l, c] : r->dropped_by_layer) byLayer += c;
        EXPECT_EQ(byLayer, r->dropped) << name;
        auto ls = lines(slurp(o.decisions));
        ASSERT_EQ(ls.size(), count) << name;
        for (size_t i = 0; i < ls.size(); i += std::max<size_t>(1, ls.size() / 50)) {
            auto j = nlohmann::json::parse(ls[i]);
            EXPECT_EQ(j["seq"], i) << name;
            EXPECT_TRUE(j["action"] == "ACCEPT" || j["action"] == "DROP") << ls[i];
            EXPECT_FALSE(j.contains("trace"));
        }
        fs::remove(o.decisions);
    }
}

TEST(Replay, SameOutputForAnyWorkerCountAndChunkSize) {
    std::vector<std::string> files = {example_capture(), pcaps() + "pcapplusplus-example.pcap",
                                      pcaps() + "pcapplusplus-pcapng-example.pcapng", pcaps() + "pcapplusplus-ip4_fragments.pcap"};
    for (const auto& f : files) {
        Outputs one = replay(f, 1);
        ASSERT_FALSE(one.decisions.empty()) << f;
        for (auto [w, chunk] : {std::pair<unsigned, size_t>{2, 65536}, {3, 100}, {2, 7}}) {
            Outputs other = replay(f, w, chunk);
            EXPECT_EQ(other.decisions, one.decisions) << f << " workers " << w << " chunk " << chunk;
            EXPECT_EQ(other.flow_logs, one.flow_logs) << f << " workers " << w;
            EXPECT_EQ(other.accepted, one.accepted) << f << " workers " << w;
            EXPECT_EQ(other.dropped, one.dropped) << f << " workers " << w;
            EXPECT_EQ(other.summary.flows, one.summary.flows);
        }
    }
}

TEST(Replay, AcceptedAndDroppedCapturesTogetherHoldEveryPacket) {
    for (const auto& f : {example_capture(), pcaps() + "pcapplusplus-pcapng-example.pcapng", pcaps() + "libtrace-vlan.pcap"}) {
        ReplayOptions o;
        o.pcap = f;
        o.accepted = tmp("acc.pcapng");
        o.dropped = tmp("drop.pcapng");
        std::ostringstream err;
        auto r = run_replay(example_net(), o, err);
        ASSERT_TRUE(r) << r.error().str();
        auto in = packets_of(f);
        auto acc = packets_of(o.accepted);
        auto drop = packets_of(o.dropped);
        EXPECT_EQ(acc.size(), r->accepted) << f;
        EXPECT_EQ(drop.size(), r->dropped) << f;
        std::multiset<std::pair<int64_t, std::string>> a(in.begin(), in.end()), b(acc.begin(), acc.end());
        b.insert(drop.begin(), drop.end());
        EXPECT_TRUE(a == b) << f << ": the split captures differ from the input";
        // Every packet carries a comment naming its decision.
        std::string bytes = slurp(o.dropped);
        if (!drop.empty()) {
            EXPECT_NE(bytes.find("vpcfw seq "), std::string::npos);
        }
        fs::remove(o.accepted);
        fs::remove(o.dropped);
    }
}

TEST(Replay, FlowLogRecordsFollowAwsFormat) {
    Outputs out = replay(example_capture(), 1, 65536, {}, false);
    auto ls = lines(out.flow_logs);
    ASSERT_GT(ls.size(), 10u);
    EXPECT_EQ(ls[0], "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status");
    std::regex record(R"(2 (\d{12}|-) eni-[0-9a-f]+ [0-9a-f.:]+ [0-9a-f.:]+ \d+ \d+ \d+ \d+ \d+ \d+ \d+ (ACCEPT|REJECT) OK)");
    std::set<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string, std::string>> keys;
    uint64_t packets = 0, rejects = 0;
    for (size_t i = 1; i < ls.size(); ++i) {
        EXPECT_TRUE(std::regex_match(ls[i], record)) << ls[i];
        std::istringstream in(ls[i]);
        std::vector<std::string> f;
        for (std::string w; in >> w;) f.push_back(w);
        ASSERT_EQ(f.size(), 14u) << ls[i];
        EXPECT_LE(std::stoll(f[10]), std::stoll(f[11])) << ls[i];
        // Aggregated: one record per ENI, flow, action and window (one window here).
        EXPECT_TRUE(keys.insert({f[2], f[3], f[4], f[5], f[6], f[7], f[12], f[10].substr(0, 7)}).second ||
                    std::stoll(f[10]) / 600 != std::stoll(f[11]) / 600)
            << "duplicate record " << ls[i];
        packets += std::stoull(f[8]);
        rejects += f[12] == "REJECT";
    }
    EXPECT_GT(rejects, 0u);
    EXPECT_GT(packets, out.summary.packets / 2);
    // No records for the VPC resolver (§9).
    EXPECT_EQ(out.flow_logs.find(" 53 17 "), std::string::npos);

    // A custom format: the version is the highest among the fields; `-` where a field does
    // not apply (traffic-path of ingress records, instance-id of the NAT gateway's ENI).
    Outputs custom = replay(example_capture(), 1, 65536,
                            "${version} ${interface-id} ${instance-id} ${flow-direction} ${traffic-path} ${tcp-flags} "
                            "${pkt-srcaddr} ${pkt-dstaddr} ${action} ${region} ${pkt-dst-aws-service}",
                            false, 60);
    auto cl = lines(custom.flow_logs);
    ASSERT_GT(cl.size(), 10u);
    EXPECT_EQ(cl[0].substr(0, 28), "version interface-id instanc");
    bool natEni = false, ingressDash = true, s3 = false, synAck = false;
    for (size_t i = 1; i < cl.size(); ++i) {
        std::istringstream in(cl[i]);
        std::vector<std::string> f;
        for (std::string w; in >> w;) f.push_back(w);
        ASSERT_EQ(f.size(), 11u) << cl[i];
        EXPECT_EQ(f[0], "5");
        if (f[1] == "eni-0a1b2c3d4e5f60109") {
            natEni = true;
            EXPECT_EQ(f[2], "-") << cl[i];
        }
        if (f[3] == "ingress" && f[4] != "-") ingressDash = false;
        EXPECT_TRUE(f[3] == "ingress" || f[3] == "egress");
        EXPECT_EQ(f[9], "us-east-1");
        if (f[10] == "S3") s3 = true;
        if (std::stoi(f[5]) & 16) synAck = true;
    }
    EXPECT_TRUE(natEni);
    EXPECT_TRUE(ingressDash);
    EXPECT_TRUE(s3);
    EXPECT_TRUE(synAck);
    EXPECT_FALSE(parse_flow_log_format("${version} ${nonsense}"));
    EXPECT_FALSE(parse_flow_log_format("version"));
    EXPECT_EQ(parse_flow_log_format("${srcaddr} ${reject-reason}")->version, 8);
}

TEST(Replay, FlowLogsOfOneFlowFromBothEnds) {
    // web-1 -> app-1 on 8080 accepted: an egress record at web-1 and an ingress record at
    // app-1, both ACCEPT, with the primary private addresses.
    std::string cap = tmp("one.pcap");
    GenTraceOptions g;
    g.packets = 400;
    g.seed = 9;
    ASSERT_TRUE(gen_trace(example_net(), g, cap));
    Outputs out = replay(cap, 1, 65536, "${interface-id} ${flow-direction} ${srcaddr} ${dstaddr} ${dstport} ${action}", false);
    std::map<std::string, int> seen;
    for (const auto& l : lines(out.flow_logs)) {
        if (l.find(" 8080 ") == std::string::npos) continue;
        if (l.find("eni-0a1b2c3d4e5f60101 egress 10.0.0.10 10.0.10.20 8080 ACCEPT") == 0) seen["web-egress"]++;
        if (l.find("eni-0a1b2c3d4e5f60201 ingress 10.0.0.10 10.0.10.20 8080 ACCEPT") == 0) seen["app-ingress"]++;
    }
    if (out.decisions.find("10.0.0.10:") != std::string::npos && out.decisions.find("-> 10.0.10.20:8080") != std::string::npos) {
        EXPECT_EQ(seen["web-egress"], seen["app-ingress"]) << out.flow_logs;
    }
    fs::remove(cap);
}

TEST(Shard, SymmetricAndNatRepliesMeetTheirFlow) {
    FlowSharder s(example_net());
    auto key = [](const char* pkt) {
        Packet p = *parse_packet(pkt);
        FlowKey k;
        k.version = p.src.is_v4() ? 4 : 6;
        k.proto = p.proto;
        std::memcpy(k.src, p.src.bytes.data(), 16);
        std::memcpy(k.dst, p.dst.bytes.data(), 16);
        k.sport = Be16::from_host(p.sport);
        k.dport = Be16::from_host(p.dport);
        return k;
    };
    for (unsigned n : {2u, 3u, 8u}) {
        // A flow and its reply.
        EXPECT_EQ(s.worker_of(key("tcp 10.0.0.10:41000 -> 10.0.10.20:8080"), n),
                  s.worker_of(key("tcp 10.0.10.20:8080 -> 10.0.0.10:41000"), n));
        // NAT gateway: inside flow and the reply to the NAT's Elastic IP.
        EXPECT_EQ(s.worker_of(key("tcp 10.0.10.20:40000 -> 198.51.100.7:443"), n),
                  s.worker_of(key("tcp 198.51.100.7:443 -> 203.0.113.20:40000"), n));
        // IGW 1:1: to the Elastic IP and the reply from the private address.
        EXPECT_EQ(s.worker_of(key("tcp 198.51.100.7:50000 -> 203.0.113.10:443"), n),
                  s.worker_of(key("tcp 10.0.0.10:443 -> 198.51.100.7:50000"), n));
        // Both ends owned, one through its Elastic IP.
        EXPECT_EQ(s.worker_of(key("tcp 10.0.0.10:1000 -> 203.0.113.11:80"), n),
                  s.worker_of(key("tcp 10.0.1.10:80 -> 10.0.0.10:1000"), n));
    }
    // Spreads: many outside clients do not all land on one worker.
    std::set<unsigned> used;
    for (int i = 1; i < 64; ++i) {
        std::string p = "tcp 198.51.100." + std::to_string(i) + ":5000 -> 203.0.113.10:443";
        used.insert(s.worker_of(key(p.c_str()), 4));
    }
    EXPECT_EQ(used.size(), 4u);
    // flow_id is direction-free.
    EXPECT_EQ(flow_id(key("udp 10.0.0.10:5000 -> 8.8.8.8:53")), flow_id(key("udp 8.8.8.8:53 -> 10.0.0.10:5000")));
    EXPECT_NE(flow_id(key("udp 10.0.0.10:5000 -> 8.8.8.8:53")), flow_id(key("udp 10.0.0.10:5001 -> 8.8.8.8:53")));
}

TEST(GenTrace, DeterministicForASeedAndRealistic) {
    std::string a = tmp("g1.pcap"), b = tmp("g2.pcap"), c = tmp("g3.pcap");
    GenTraceOptions o;
    o.packets = 1500;
    ASSERT_TRUE(gen_trace(example_net(), o, a));
    ASSERT_TRUE(gen_trace(example_net(), o, b));
    o.seed = 2;
    ASSERT_TRUE(gen_trace(example_net(), o, c));
    EXPECT_EQ(slurp(a), slurp(b));
    EXPECT_NE(slurp(a), slurp(c));
    auto pk = packets_of(a);
    ASSERT_EQ(pk.size(), 1500u);
    EXPECT_TRUE(std::is_sorted(pk.begin(), pk.end(), [](const auto& x, const auto& y) { return x.first < y.first; }));
    Outputs out = replay(a, 1, 65536, {}, false);
    const auto& s = out.summary;
    EXPECT_EQ(s.dropped_by_layer.count("parse"), 0u);   // every frame is well formed
    EXPECT_GT(s.accepted, s.packets / 2);
    EXPECT_GT(s.dropped, 0u);
    EXPECT_TRUE(s.to.count("internet") && s.to.count("amazon-dns") && s.to.count("vpce-0a1b2c3d4e5f60001"));
    EXPECT_NE(out.decisions.find("\"origin\":\"mac\""), std::string::npos);
    EXPECT_NE(out.decisions.find("seen-at:"), std::string::npos);
    EXPECT_NE(out.decisions.find("tcp [2600:1f18"), std::string::npos);
    for (const auto& f : {a, b, c}) fs::remove(f);
}

TEST(ReplayCli, BundledExampleEndToEnd) {
    std::string dec = tmp("cli.jsonl"), sum = tmp("cli.json"), fl = tmp("cli.flow");
    std::ostringstream out, err;
    int rc = run_cli({"replay", "--network", src("examples/network.json"), "--pcap", example_capture(), "--engine",
                      "reference", "--workers", "2", "--decisions", dec, "--flow-logs", fl, "--summary-json", sum,
                      "--no-progress"},
                     out, err);
    ASSERT_EQ(rc, 0) << err.str();
    EXPECT_NE(out.str().find("accepted"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("Mpps"), std::string::npos);
    auto j = nlohmann::json::parse(slurp(sum));
    for (const char* k : {"packets", "bytes", "accepted", "dropped", "dropped_by_layer", "flows", "workers", "engine",
                          "load_s", "compile_s", "elapsed_s", "mpps"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j["workers"], 2);
    EXPECT_EQ(j["engine"], "reference");
    EXPECT_EQ(lines(slurp(dec)).size(), j["packets"].get<size_t>());
    EXPECT_EQ(j["packets"].get<uint64_t>(), j["accepted"].get<uint64_t>() + j["dropped"].get<uint64_t>());
    for (const auto& f : {dec, sum, fl}) fs::remove(f);

    // Bad input: exit 2 naming the problem.
    std::ostringstream o2, e2;
    EXPECT_EQ(run_cli({"replay", "--network", src("examples/network.json"), "--pcap", src("examples/network.json")}, o2, e2), 2);
    EXPECT_NE(e2.str().find("not a pcap or pcapng"), std::string::npos) << e2.str();
    std::ostringstream o3, e3;
    EXPECT_EQ(run_cli({"replay", "--network", src("examples/network.json"), "--pcap", example_capture(), "--from", "eni-nope"}, o3, e3), 2);
    EXPECT_NE(e3.str().find("eni-nope"), std::string::npos) << e3.str();
    std::ostringstream o4, e4;
    EXPECT_EQ(run_cli({"replay", "--network", src("examples/network.json"), "--pcap", example_capture(), "--flow-logs", fl,
                       "--flow-log-format", "${version} ${bogus}"},
                      o4, e4),
              2);
    EXPECT_NE(e4.str().find("bogus"), std::string::npos) << e4.str();
    std::ostringstream o5, e5;
    EXPECT_EQ(run_cli({"replay", "--network", src("examples/network.json"), "--pcap", example_capture(), "--decisions",
                       "/nonexistent-dir/x.jsonl"},
                      o5, e5),
              3);
    fs::remove(fl);
}

TEST(ReplayCli, GivenOriginOverridesInference) {
    ReplayOptions o;
    o.pcap = example_capture();
    o.from = "internet";
    o.decisions = tmp("from.jsonl");
    std::ostringstream err;
    auto r = run_replay(example_net(), o, err);
    ASSERT_TRUE(r) << r.error().str();
    for (const auto& l : lines(slurp(o.decisions))) {
        auto j = nlohmann::json::parse(l);
        EXPECT_EQ(j["from"], "internet") << l;
        EXPECT_EQ(j["origin"], "given") << l;
    }
    fs::remove(o.decisions);
}
