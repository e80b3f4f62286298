// The one writer of decisions: a decision rendered as its decisions-JSONL line and as the
// comment of its pcapng record, for replay (pcap/replay.cpp) and the live run
// (control/live_log.cpp) alike, so the two cannot drift. A line is
// {seq, ts, flow_id, [version, port, out_port,] ...decision_json(decision), [names]}: the
// live-only fields are written only when given; names (id -> Name tag, ruleset/name_lookup.hpp)
// when a network is given and an id of the decision has a Name tag. Field list: docs/decisions.md. Cold (output side);
// pure functions, any thread may call them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ruleset/decision.hpp"

namespace vpcfw { struct Network; }

namespace vpcfw {

// "1718000000.000123" from nanoseconds: the shortest exact decimal (at least one digit).
std::string ts_text(int64_t ts_ns);

// Where and by which ruleset a live run judged the packet (absent in replay).
struct LiveDecisionFields {
    uint64_t version = 0;                  // ruleset version of the verdict
    std::string port;                      // the --port it arrived on
    std::optional<std::string> out_port;   // the --port it left by, when forwarded
};

// What a decision line carries besides the decision itself.
struct DecisionLineHead {
    uint64_t seq = 0;                      // the packet's number (input order)
    int64_t ts_ns = 0;                     // its time
    std::optional<uint64_t> flow_id;       // pcap/shard.hpp flow_id(); absent when it did not parse
    const LiveDecisionFields* live = nullptr;
    const Network* names = nullptr;        // the network whose Name tags the line shows
};

// The decisions-JSONL line, without the newline.
std::string decision_line(const DecisionLineHead& head, const Decision& d);

// The pcapng comment: "vpcfw seq 12: DROP at nacl-ingress (default-deny) rule acl-…:ingress:*
// from eni-…; tcp 1.2.3.4:5 -> 6.7.8.9:80", or "vpcfw seq 3: ACCEPT to eni-… from …; flow".
std::string decision_comment(uint64_t seq, const Decision& d);

} // namespace vpcfw
