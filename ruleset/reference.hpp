// The reference evaluator: a direct, readable transcription of docs/semantics.md. Linear scans,
// every step recorded in the decision's trace. It answers `vpcfw explain`, runs scenarios
// and is the oracle for the compiled pipeline. Cold path; single-threaded; owns its model
// and its state (per-ENI connection tracking, NAT gateway mappings, fragments).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ruleset/actions.hpp"
#include "ruleset/decision.hpp"
#include "ruleset/model.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/settings.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

class ReferenceEvaluator {
public:
    explicit ReferenceEvaluator(Network net, Settings settings = {});
    ~ReferenceEvaluator();
    ReferenceEvaluator(ReferenceEvaluator&&) noexcept;
    ReferenceEvaluator& operator=(ReferenceEvaluator&&) noexcept;

    const Network& network() const;
    const Settings& settings() const;

    // Evaluates one packet entering at `from` ("auto", an ENI id, "internet", a
    // tgw-attach-/vgw-/pcx- id) at time `now` (seconds; the packet clock). Updates state.
    Decision evaluate(const Packet& packet, const std::string& from, double now);

    // Applies an AWS API action to the live network (refusals change nothing), with AWS's
    // effect on existing flows.
    Result<ActionEffect> apply(const std::string& action, const nlohmann::json& params, double now);

    // Replaces the network (reload); connection state survives, as in AWS.
    void replace_network(Network net);

    // Number of live tracked entries (all ENIs), for tests and stats.
    size_t tracked_entries() const;
    // Times the connection table entered emergency mode (CHOICE conntrack_emergency).
    uint64_t conntrack_emergencies() const;

private:
    struct State;
    std::unique_ptr<State> st_;
};

// Decision as the JSON object of docs/interface.md (without seq/ts, which replay adds).
nlohmann::json decision_json(const Decision& d);
// Decision as text for a person: one line per hop, then the verdict.
std::string decision_text(const Decision& d);

} // namespace vpcfw
