// The counters of `vpcfw run` rendered from one snapshot (control/live_stats.hpp): the
// stats JSON, Prometheus text, the periodic stats line and the stop summary carry every
// counter of the tables (kPipelineCounterFields, kLayerNames, kWorkerCounterNames), so a
// row added to a table shows up everywhere. No root, no DPDK.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "control/live_stats.hpp"

using namespace vpcfw;
using nlohmann::json;

namespace {

// A snapshot where every counter has its own value (100 + position in its table).
LiveCounters every_counter() {
    LiveCounters c;
    uint64_t v = 100;
    for (const auto& f : kPipelineCounterFields) c.pipeline.*f.member = v++;
    for (size_t l = 1; l < kLayerCount; ++l) c.pipeline.dropped[l] = 1000 + l;
    for (const auto& f : kWorkerCounterNames) c.worker.*f.member = v++;
    c.ruleset_version = 3;
    c.publishes = 2;
    c.workers = 2;
    c.ports.push_back({"net_af_packet0,iface=veth0@subnet-0a1", 11, 12, 1, 0, 0, 0});
    c.ports.push_back({"odd\"label\\", 21, 22, 0, 0, 0, 3});
    return c;
}

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

} // namespace

TEST(LiveStats, JsonCarriesEveryCounterAndLayer) {
    LiveCounters c = every_counter();
    json j = stats_json(c);
    for (const auto& f : kPipelineCounterFields) {
        ASSERT_TRUE(j.contains(f.name)) << f.name;
        // The published version overrides the workers' newest one.
        uint64_t want = std::string(f.name) == "ruleset_version" ? 3 : c.pipeline.*f.member;
        EXPECT_EQ(j[f.name], want) << f.name;
    }
    for (const auto& f : kWorkerCounterNames) EXPECT_EQ(j[f.name], c.worker.*f.member) << f.name;
    for (size_t l = 1; l < kLayerCount; ++l) EXPECT_EQ(j["dropped_by_layer"][kLayerNames[l]], 1000 + l) << kLayerNames[l];
    EXPECT_EQ(j["dropped_by_layer"].size(), kLayerCount - 1);
    EXPECT_EQ(j["dropped"], c.pipeline.dropped_total());
    EXPECT_EQ(j["publishes"], 2);
    EXPECT_EQ(j["workers"], 2);
    ASSERT_EQ(j["ports"].size(), 2u);
    EXPECT_EQ(j["ports"][0], (json{{"port", "net_af_packet0,iface=veth0@subnet-0a1"}, {"ipackets", 11}, {"opackets", 12},
                                   {"imissed", 1}, {"ierrors", 0}, {"oerrors", 0}, {"learned_macs", 0}}));
    // Layers without drops are left out of dropped_by_layer.
    LiveCounters quiet;
    quiet.pipeline.dropped[static_cast<size_t>(Layer::Route)] = 4;
    EXPECT_EQ(stats_json(quiet)["dropped_by_layer"], (json{{"route", 4}}));
}

TEST(LiveStats, PrometheusCarriesEveryCounterAndLayer) {
    LiveCounters c = every_counter();
    std::string text = prometheus_text(c);
    for (const auto& f : kPipelineCounterFields) {
        bool counter = f.kind == CounterKind::Counter;
        std::string name = std::string("vpcfw_") + f.name + (counter ? "_total" : "");
        uint64_t want = std::string(f.name) == "ruleset_version" ? 3 : c.pipeline.*f.member;
        EXPECT_TRUE(has_line(text, "# HELP " + name + " " + f.help)) << name;
        EXPECT_TRUE(has_line(text, "# TYPE " + name + (counter ? " counter" : " gauge"))) << name;
        EXPECT_TRUE(has_line(text, name + " " + std::to_string(want))) << name;
    }
    for (size_t l = 1; l < kLayerCount; ++l)
        EXPECT_TRUE(has_line(text, std::string("vpcfw_dropped_total{layer=\"") + kLayerNames[l] + "\"} " + std::to_string(1000 + l)))
            << kLayerNames[l];
    for (const auto& f : kWorkerCounterNames) {
        std::string name = std::string("vpcfw_") + f.name + "_total";
        EXPECT_TRUE(has_line(text, "# HELP " + name + " " + f.help)) << name;
        EXPECT_TRUE(has_line(text, name + " " + std::to_string(c.worker.*f.member))) << name;
    }
    EXPECT_TRUE(has_line(text, "vpcfw_port_packets_total{port=\"net_af_packet0,iface=veth0@subnet-0a1\",direction=\"rx\"} 11"));
    EXPECT_TRUE(has_line(text, "vpcfw_port_packets_total{port=\"odd\\\"label\\\\\",direction=\"tx\"} 22")) << text;
    // Every layer has a sample even without drops (a steady set of series).
    std::string zero = prometheus_text(LiveCounters{});
    for (size_t l = 1; l < kLayerCount; ++l)
        EXPECT_TRUE(has_line(zero, std::string("vpcfw_dropped_total{layer=\"") + kLayerNames[l] + "\"} 0")) << kLayerNames[l];
}

TEST(LiveStats, StatsLineAndStopSummary) {
    LiveCounters c = every_counter();
    json j = stats_json(c);
    std::string line = stats_line(c, 5);
    EXPECT_EQ(line.rfind("[5.0s] packets " + j["packets"].dump() + " accepted " + j["accepted"].dump() + " dropped " +
                             j["dropped"].dump() + " ", 0), 0u) << line;
    for (size_t l = 1; l < kLayerCount; ++l)
        EXPECT_NE(line.find(std::string(" ") + kLayerNames[l] + "=" + std::to_string(1000 + l) + " "), std::string::npos)
            << kLayerNames[l];
    EXPECT_NE(line.find(" forwarded " + j["forwarded"].dump() + " arp " + j["arp_replies"].dump() + " nd " +
                        j["nd_replies"].dump() + " conntrack " + j["conntrack_entries"].dump() + " version 3\n"),
              std::string::npos) << line;

    std::string sum = stop_summary(c, 12.34);
    EXPECT_EQ(sum.rfind("vpcfw run: stopped after 12.3 s\n", 0), 0u) << sum;
    for (size_t l = 1; l < kLayerCount; ++l)
        EXPECT_TRUE(has_line(sum, std::string("    dropped at ") + kLayerNames[l] + ": " + std::to_string(1000 + l)))
            << kLayerNames[l];
    for (const auto& f : kWorkerCounterNames)
        EXPECT_TRUE(has_line(sum, std::string("  ") + f.name + " " + std::to_string(c.worker.*f.member))) << f.name;
    EXPECT_TRUE(has_line(sum, "  port net_af_packet0,iface=veth0@subnet-0a1: rx 11 tx 12 missed 1"));
    EXPECT_TRUE(has_line(sum, "  ruleset version 3 (2 live updates)"));
    // Worker counters that stayed zero are not printed.
    std::string quiet = stop_summary(LiveCounters{}, 1);
    for (const auto& f : kWorkerCounterNames) EXPECT_EQ(quiet.find(std::string("  ") + f.name + " "), std::string::npos);
}

TEST(LiveStats, PrometheusLabelValuesAreEscaped) {
    EXPECT_EQ(prometheus_label("plain-1"), "plain-1");
    EXPECT_EQ(prometheus_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    LiveCounters c;
    c.ports.push_back({"we\"ird\\port\nname", 1, 2, 0, 0, 0, 0});
    std::string text = prometheus_text(c);
    EXPECT_NE(text.find("vpcfw_port_packets_total{port=\"we\\\"ird\\\\port\\nname\",direction=\"rx\"} 1\n"), std::string::npos) << text;
    // Every sample is one line: the newline of the label did not split one.
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line[0] != '#') EXPECT_EQ(line.rfind("vpcfw_", 0), 0u) << line;
}

TEST(LiveStats, MetricsEndpointServesOnlySlashMetrics) {
    auto body = [] { return std::string("vpcfw_packets_total 7\n"); };
    auto status = [](const std::string& resp) { return resp.substr(0, resp.find("\r\n")); };
    std::string ok = metrics_http_response("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body);
    EXPECT_EQ(status(ok), "HTTP/1.0 200 OK");
    EXPECT_NE(ok.find("Content-Type: text/plain; version=0.0.4\r\n"), std::string::npos);
    EXPECT_NE(ok.find("Content-Length: 22\r\n"), std::string::npos);
    EXPECT_EQ(ok.substr(ok.size() - 22), "vpcfw_packets_total 7\n");
    EXPECT_EQ(status(metrics_http_response("GET /metrics?name[]=x HTTP/1.0\r\n\r\n", body)), "HTTP/1.0 200 OK");
    std::string head = metrics_http_response("HEAD /metrics HTTP/1.1\r\n\r\n", body);
    EXPECT_EQ(status(head), "HTTP/1.0 200 OK");
    EXPECT_EQ(head.find("vpcfw_packets_total"), std::string::npos);
    for (const char* path : {"/", "/metricsx", "/favicon.ico", "/metrics/", "/stats"}) {
        std::string r = metrics_http_response(std::string("GET ") + path + " HTTP/1.1\r\n\r\n", body);
        EXPECT_EQ(status(r), "HTTP/1.0 404 Not Found") << path;
        EXPECT_EQ(r.find("vpcfw_packets_total"), std::string::npos) << path;
    }
    EXPECT_EQ(status(metrics_http_response("POST /metrics HTTP/1.1\r\n\r\n", body)), "HTTP/1.0 405 Method Not Allowed");
    EXPECT_EQ(status(metrics_http_response("", body)), "HTTP/1.0 400 Bad Request");
    EXPECT_EQ(status(metrics_http_response("GET /metrics\r\n", body)), "HTTP/1.0 400 Bad Request");
    EXPECT_EQ(status(metrics_http_response("garbage", body)), "HTTP/1.0 400 Bad Request");
}
