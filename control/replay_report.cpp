// The replay report (control/replay_report.hpp). One pass over the decisions JSONL gathers
// what the summary does not keep: each packet's time and outcome (bucketed into at most
// kBuckets intervals), per-flow counts (at most kMaxFlows flows tracked), and the hops of
// every decision's path for the layers diagram. Charts come from gnuplot (diagram/chart.hpp),
// the diagram from Graphviz (diagram/diagram.hpp); this file only escapes text and places
// the SVG documents they wrote, each with its own id prefix, inside the page.
#include "control/replay_report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "diagram/chart.hpp"
#include "diagram/diagram.hpp"
#include "ruleset/decision.hpp"

namespace vpcfw {

namespace {

constexpr size_t kBuckets = 60;
constexpr size_t kMaxFlows = 1u << 20;
constexpr size_t kTopFlows = 15;
constexpr size_t kTopRules = 12;
constexpr size_t kMaxLine = 1u << 20;

Error runtime(const std::string& file, const std::string& message) { return Error{message, {}, file, {}, ErrorKind::Runtime}; }

std::string html(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        default: o += c;
        }
    }
    return o;
}

// An SVG document as an element of the page: without its XML prolog and doctype, and with
// its ids (and the references to them) prefixed so that several documents do not collide.
std::string inline_svg(const std::string& svg, const std::string& prefix) {
    size_t at = svg.find("<svg");
    std::string body = at == std::string::npos ? std::string() : svg.substr(at);
    std::string out;
    out.reserve(body.size() + 64);
    const std::string keys[] = {"id=\"", "id='", "url(#", "href=\"#", "href='#"};
    for (size_t i = 0; i < body.size();) {
        bool hit = false;
        bool wordStart = i > 0 && (body[i - 1] == ' ' || body[i - 1] == '\n' || body[i - 1] == '\t');
        for (const auto& k : keys)
            if (body.compare(i, k.size(), k) == 0 && (k[0] != 'i' || wordStart)) {
                out += k + prefix;
                i += k.size();
                hit = true;
                break;
            }
        if (!hit) out += body[i++];
    }
    return out;
}

struct FlowStat {
    std::string flow;
    uint64_t packets = 0, accepted = 0, dropped = 0;
    std::string last;  // the last decision, in short
};

bool is_hop(const std::string& id) {
    for (const char* p : {"eni-", "rtb-", "nat-", "igw-", "eigw-", "pcx-", "tgw-", "vgw-", "vpce-", "subnet-"})
        if (id.rfind(p, 0) == 0) return true;
    return id == "internet";
}

} // namespace

Status write_replay_report(const Network& net, const ReplaySummary& s, const std::string& decisions_jsonl,
                           const std::string& out_path) {
    // ---- one pass over the decisions --------------------------------------------------
    std::ifstream in(decisions_jsonl);
    if (!in) return runtime(decisions_jsonl, "cannot read the decisions for the report");
    std::vector<std::pair<double, bool>> times;  // (ts, accepted)
    std::unordered_map<std::string, FlowStat> flows;
    bool flowsCapped = false;
    PathCounts counts;
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > kMaxLine) return runtime(decisions_jsonl, "a decision line is longer than 1 MiB");
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return runtime(decisions_jsonl, "a line is not a decision object");
        bool accepted = j.value("action", "") == "ACCEPT";
        times.emplace_back(j.value("ts", 0.0), accepted);
        std::string key = j.contains("flow_id") && j["flow_id"].is_string() ? j["flow_id"].get<std::string>() : "";
        std::string flowText = j.value("flow", "");
        std::string shortText = accepted ? "ACCEPT to " + j.value("to", "") : "DROP at " + j.value("layer", "") + " " + j.value("rule", "");
        if (!key.empty()) {
            auto it = flows.find(key);
            if (it == flows.end() && flows.size() >= kMaxFlows) {
                flowsCapped = true;
            } else {
                FlowStat& f = flows[key];
                if (f.flow.empty()) f.flow = flowText;
                ++f.packets;
                (accepted ? f.accepted : f.dropped)++;
                f.last = shortText;
            }
        }
        // The hops of the path, for the diagram.
        std::vector<std::string> hops;
        if (j.value("from", "") == "internet") hops.push_back("internet");
        if (j.contains("path") && j["path"].is_array())
            for (const auto& e : j["path"]) {
                if (!e.is_string()) continue;
                std::string id = e.get<std::string>();
                id = id.substr(0, id.find(':'));
                if (is_hop(id) && (hops.empty() || hops.back() != id)) hops.push_back(id);
            }
        if (accepted && j.value("to", "") == "internet" && (hops.empty() || hops.back() != "internet")) hops.push_back("internet");
        for (size_t i = 0; i < hops.size(); ++i) {
            ++counts.hops[hops[i]];
            if (i) ++counts.steps[{hops[i - 1], hops[i]}];
        }
    }

    // ---- charts -------------------------------------------------------------------------
    BarChart byLayer{"Dropped packets by layer", "layer", "packets", {}};
    for (const auto& [layer, n] : s.dropped_by_layer) byLayer.bars.emplace_back(layer, static_cast<double>(n));
    std::vector<std::pair<std::string, uint64_t>> rules(s.drop_rules.begin(), s.drop_rules.end());
    std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    BarChart byRule{"Dropped packets by deciding rule (top " + std::to_string(kTopRules) + ")", "layer and rule", "packets", {}};
    for (size_t i = 0; i < rules.size() && i < kTopRules; ++i) byRule.bars.emplace_back(rules[i].first, static_cast<double>(rules[i].second));

    LineChart overTime{"Decisions over packet time", "seconds since the first packet", "packets per interval", {}, {}};
    double t0 = 0, t1 = 0;
    if (!times.empty()) {
        t0 = t1 = times.front().first;
        for (const auto& [t, a] : times) {
            t0 = std::min(t0, t); t1 = std::max(t1, t);
        }
    }
    size_t buckets = times.empty() ? 0 : std::min<size_t>(kBuckets, std::max<size_t>(1, times.size() / 10));
    double width = buckets ? std::max(1e-9, (t1 - t0) / static_cast<double>(buckets)) : 1;
    std::vector<double> acc(buckets, 0), drop(buckets, 0);
    for (const auto& [t, a] : times) {
        size_t b = std::min(buckets - 1, static_cast<size_t>((t - t0) / width));
        (a ? acc : drop)[b] += 1;
    }
    for (size_t b = 0; b < buckets; ++b) overTime.x.push_back((static_cast<double>(b) + 0.5) * width);
    overTime.series = {{"ACCEPT", acc}, {"DROP", drop}};
    overTime.title += " (" + std::to_string(buckets) + " intervals of " + std::to_string(width).substr(0, 6) + " s)";

    auto layerSvg = render_bar_chart(byLayer);
    if (!layerSvg) return layerSvg.error();
    auto ruleSvg = render_bar_chart(byRule);
    if (!ruleSvg) return ruleSvg.error();
    auto timeSvg = render_line_chart(overTime);
    if (!timeSvg) return timeSvg.error();

    DiagramRequest req;
    req.view = DiagramView::Layers;
    req.counts = &counts;
    auto graph = build_diagram(net, req);
    if (!graph) return graph.error();
    auto diagramSvg = graph->render(DiagramFormat::Svg);
    if (!diagramSvg) return diagramSvg.error();

    // ---- top flows ----------------------------------------------------------------------
    std::vector<const FlowStat*> top;
    for (const auto& [k, f] : flows) top.push_back(&f);
    std::sort(top.begin(), top.end(), [](const FlowStat* a, const FlowStat* b) {
        return a->packets != b->packets ? a->packets > b->packets : a->flow < b->flow;
    });
    if (top.size() > kTopFlows) top.resize(kTopFlows);

    // ---- the page -------------------------------------------------------------------------
    std::ostringstream p;
    auto pct = [&](uint64_t n) {
        char b[32];
        std::snprintf(b, sizeof b, "%.1f%%", s.packets ? 100.0 * static_cast<double>(n) / static_cast<double>(s.packets) : 0.0);
        return std::string(b);
    };
    p << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>vpcfw replay report: " << html(s.pcap) << "</title>\n"
      << "<style>body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#222}"
         "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left}"
         "td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1em 0;overflow-x:auto}"
         "figure svg{max-width:100%;height:auto}.drop{color:#c0392b}.accept{color:#27ae60}</style>\n"
      << "</head>\n<body>\n"
      << "<h1>Replay of " << html(s.pcap) << "</h1>\n"
      << "<p>Every packet of the capture through the network with vpcfw (engine " << html(s.engine) << ", " << s.workers
      << " worker" << (s.workers == 1 ? "" : "s") << "); the capture's clock, not the wall clock.</p>\n"
      << "<h2>Summary</h2>\n<table id=\"summary\">\n"
      << "<tr><th>packets</th><td class=\"n\" id=\"packets\">" << s.packets << "</td><td></td></tr>\n"
      << "<tr><th>accepted</th><td class=\"n accept\" id=\"accepted\">" << s.accepted << "</td><td>" << pct(s.accepted) << "</td></tr>\n"
      << "<tr><th>dropped</th><td class=\"n drop\" id=\"dropped\">" << s.dropped << "</td><td>" << pct(s.dropped) << "</td></tr>\n"
      << "<tr><th>flows</th><td class=\"n\" id=\"flows\">" << s.flows << "</td><td></td></tr>\n"
      << "<tr><th>bytes</th><td class=\"n\">" << s.bytes << "</td><td>on the wire</td></tr>\n";
    if (s.truncated) p << "<tr><th>truncated</th><td class=\"n\">" << s.truncated << "</td><td>cut by the snap length</td></tr>\n";
    p << "</table>\n";
    if (!s.dropped_by_layer.empty()) {
        p << "<table id=\"dropped-by-layer\"><tr><th>layer</th><th>dropped</th></tr>\n";
        for (const auto& [layer, n] : s.dropped_by_layer) p << "<tr><td>" << html(layer) << "</td><td class=\"n\">" << n << "</td></tr>\n";
        p << "</table>\n";
    }
    p << "<h2>Drops by layer</h2>\n<figure id=\"drops-by-layer\">" << inline_svg(*layerSvg, "layer-") << "</figure>\n"
      << "<h2>Drops by deciding rule</h2>\n<figure id=\"drops-by-rule\">" << inline_svg(*ruleSvg, "rule-") << "</figure>\n"
      << "<h2>Decisions over packet time</h2>\n<figure id=\"over-time\">" << inline_svg(*timeSvg, "time-") << "</figure>\n"
      << "<h2>Top flows</h2>\n<table id=\"top-flows\">\n<tr><th>flow</th><th>packets</th><th>accepted</th><th>dropped</th><th>last decision</th></tr>\n";
    for (const FlowStat* f : top)
        p << "<tr><td>" << html(f->flow) << "</td><td class=\"n\">" << f->packets << "</td><td class=\"n accept\">" << f->accepted
          << "</td><td class=\"n drop\">" << f->dropped << "</td><td>" << html(f->last) << "</td></tr>\n";
    p << "</table>\n";
    if (flowsCapped) p << "<p>More than " << kMaxFlows << " flows: the later ones are not counted here.</p>\n";
    p << "<h2>The network, with packet counts on the paths taken</h2>\n"
      << "<p>Green edges join consecutive hops of the decisions' paths; a node's count is the packets that passed it.</p>\n"
      << "<figure id=\"layers\">" << inline_svg(*diagramSvg, "layers-") << "</figure>\n"
      << "<p>Written by vpcfw replay --report.</p>\n</body>\n</html>\n";

    std::ofstream f(out_path, std::ios::binary);
    f << p.str();
    f.close();
    if (!f) return runtime(out_path, "cannot write the report");
    return Status::Ok();
}

} // namespace vpcfw
