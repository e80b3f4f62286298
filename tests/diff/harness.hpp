// The differential harness: runs a network and a sequence of steps through the reference
// evaluator (ruleset/reference.hpp) and through the compiled side (compile_ruleset + one
// Pipeline fed in bursts of up to kMaxBurst parsed packets), and compares every decision
// field by field. On a mismatch it prints the seed, network, step, packet and both
// decisions, and dumps the network and a scenario file (expecting the reference's
// decisions) that reproduce it. Cold test code; one Harness per thread; needs the DPDK EAL
// initialised (ensure_eal) before the first run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ruleset/decision.hpp"
#include "ruleset/model.hpp"
#include "ruleset/reference.hpp"
#include "ruleset/status.hpp"
#include "tests/diff/trafficgen.hpp"

namespace vpcfw::diff {

// Which layers the suite exercised: for DROP decisions the layer that stopped the packet,
// for ACCEPT decisions every layer the packet passed (see layers_passed in harness.cpp).
struct Coverage {
    uint64_t accept[kLayerCount] = {};
    uint64_t drop[kLayerCount] = {};
    std::map<std::string, uint64_t> drop_reasons;   // "layer:reason"
    std::map<std::string, uint64_t> cases;          // named cases the suite must reach (count_decision)
    void add(const Coverage& o);
    std::string table() const;                      // for a person
};

struct HarnessStats {
    uint64_t networks = 0;
    uint64_t packets = 0;            // packets evaluated by both engines and compared
    uint64_t applies = 0, applies_refused = 0;
    uint64_t skipped_origins = 0;    // origin specs the compiled ruleset rejects: skipped on both sides
    uint64_t mismatches = 0;         // packets whose decisions differ
    uint64_t apply_mismatches = 0;   // apply steps accepted by one side and refused by the other
    uint64_t compile_failures = 0;
    uint64_t bursts = 0;
    double ref_s = 0, compiled_s = 0, compile_s = 0;   // time in evaluate / process_parsed / compile
    Coverage coverage;
    std::map<std::string, uint64_t> intents;
    std::map<std::string, uint64_t> mismatch_kinds;   // "intent: field,field" -> packets
    void add(const HarnessStats& o);
};

struct HarnessOptions {
    bool compiled = true;            // false: reference only (generator work; no EAL needed)
    size_t max_printed = 5;          // mismatches printed in full (all are counted)
    std::string dump_dir;            // default: $VPCFW_DIFF_DUMP or /tmp/vpcfw-diff
    TrafficOptions traffic;
};

// The fields of two decisions that differ (vpcfw::decision_differences of
// dataplane/verdict.hpp: action, layer, reason, rule, from, origin, to, nat, tracked, path,
// notes, choices as a set), after cutting the reference's path and notes to what a Verdict
// carries (kVerdictMaxPath hops, kVerdictMaxNotes notes).
std::vector<std::string> compare_decisions(const Decision& ref, const Decision& got);

class Harness {
public:
    explicit Harness(HarnessOptions options = {});

    // Generated network `seed` with `steps` generated steps; `index` names it in reports.
    Status run_generated(uint64_t seed, size_t index, size_t steps, HarnessStats& stats);

    // A scenario file (docs/interface.md format): its network and steps, through both engines.
    Status run_scenario(const std::string& path, HarnessStats& stats);

    // Mismatches printed so far (the cap is shared by all runs of this harness).
    size_t printed() const { return printed_; }

private:
    struct Run;
    Status run(Run& r, HarnessStats& stats);
    HarnessOptions opt_;
    size_t printed_ = 0;
    size_t dumped_ = 0;
};

} // namespace vpcfw::diff
