// Decisions as JSONL lines and pcapng comments (pcap/decision_log.hpp).
#include "pcap/decision_log.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "ruleset/name_lookup.hpp"
#include "ruleset/reference.hpp"
#include "ruleset/output_text.hpp"

namespace vpcfw {

std::string ts_text(int64_t ts_ns) {
    int64_t sec = ts_ns / 1000000000, frac = ts_ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        --sec;
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "%09lld", static_cast<long long>(frac));
    std::string f(buf);
    while (f.size() > 1 && f.back() == '0') f.pop_back();
    return std::to_string(sec) + "." + f;
}

std::string decision_line(const DecisionLineHead& head, const Decision& d) {
    std::string body = json_text(decision_json(d));
    std::string line = "{\"seq\":" + std::to_string(head.seq) + ",\"ts\":" + ts_text(head.ts_ns);
    if (head.flow_id) {
        char hex[20];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(*head.flow_id));
        line += ",\"flow_id\":\"" + std::string(hex) + "\"";
    }
    if (const LiveDecisionFields* live = head.live) {
        line += ",\"version\":" + std::to_string(live->version) + ",\"port\":" + json_text(live->port);
        if (live->out_port) line += ",\"out_port\":" + json_text(*live->out_port);
    }
    line += "," + body.substr(1);
    if (head.names)
        if (auto n = names_in(*head.names, d); !n.empty()) {
            line.pop_back();   // the decision's closing brace
            line += ",\"names\":" + json_text(nlohmann::json(n)) + "}";
        }
    return line;
}

std::string decision_comment(uint64_t seq, const Decision& d) {
    std::string c = "vpcfw seq " + std::to_string(seq) + ": " + action_name(d.action);
    if (d.action == Action::Accept) {
        c += " to " + d.to;
    } else {
        c += std::string(" at ") + layer_name(d.layer);
        if (!d.reason.empty()) c += " (" + d.reason + ")";
        if (!d.rule.empty()) c += " rule " + d.rule;
    }
    if (!d.from.empty()) c += " from " + d.from;
    if (!d.flow.empty()) c += "; " + d.flow;
    return c;
}

} // namespace vpcfw
