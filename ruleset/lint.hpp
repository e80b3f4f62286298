// `vpcfw check` findings: validation beyond what the loader refuses, and lint about
// configurations that cost money or break traffic. Cold path; reads the model only.
#pragma once

#include <string>
#include <vector>

#include "ruleset/model.hpp"

namespace vpcfw {

enum class Severity : uint8_t { Error, Warning, Info };

struct Finding {
    Severity severity = Severity::Warning;
    std::string code;      // stable kebab-case id: "eip-unassociated", "sg-open-admin-port", ...
    std::string object;    // the AWS id the finding is about
    std::string message;   // one line for a person
};

const char* severity_name(Severity s);  // "error" | "warning" | "info"

// All findings for a network, in a stable order (by code, then object).
std::vector<Finding> lint_network(const Network& net);

} // namespace vpcfw
