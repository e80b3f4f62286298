// Scenario files (docs/interface.md "Scenario files"): a network and timed steps with expected
// decisions or `apply` actions. Runs each step through the reference evaluator and the
// compiled pipeline, compares the two, and compares with the expectations.
// Cold path; used by `vpcfw scenario` and the test suite.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ruleset/status.hpp"

namespace vpcfw {

struct StepResult {
    size_t step = 0;
    bool pass = true;
    nlohmann::json expect;   // what the step expected (null when it expected nothing)
    nlohmann::json got;      // the decision (packet steps) or the error code / null (apply)
    std::string message;     // why it failed, for a person
};

struct ScenarioResult {
    std::string file;
    std::string name;
    std::vector<StepResult> steps;
    size_t passed() const;
    size_t failed() const;
};

struct ScenarioOptions {
    // Also run every step through the compiled pipeline and fail a step whose two
    // decisions differ (docs/interface.md: scenarios run through both evaluators).
    bool compiled = true;
};

// Runs one scenario file. A file that cannot be read or is malformed is an Error (exit 2);
// failing expectations are reported in the result.
Result<ScenarioResult> run_scenario_file(const std::string& path, const ScenarioOptions& options = {});

// Compares a decision (as JSON) with an `expect` object: only the keys it names.
// Returns the list of mismatching keys ("layer: expected nacl-egress, got sg-egress").
std::vector<std::string> compare_expect(const nlohmann::json& expect, const nlohmann::json& got);

} // namespace vpcfw
