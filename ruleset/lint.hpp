// `vpcfw check` findings: validation beyond what the loader refuses, and lint about
// configurations that cost money or break traffic. Cold path; reads the model only. Also
// the id prefix that marks the default NACL the loader adds where the export has none
// (docs/semantics.md §5 CHOICE missing_nacl_default), which `check` reports as `nacl-missing`.
#pragma once

#include <string>
#include <vector>

#include "ruleset/model.hpp"

namespace vpcfw {

// `acl-default(VPC-ID)`: AWS's default NACL of a VPC whose NACLs the export left out, added
// by the loader (ruleset/loader.cpp); never the id of a real NACL.
inline constexpr const char* kMissingNaclPrefix = "acl-default(";
inline bool is_missing_nacl_default(const NetworkAcl& a) { return a.id.rfind(kMissingNaclPrefix, 0) == 0; }

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

// The AWS Network Firewall findings (docs/inspection.md §1, §2), appended to `out`
// (ruleset/lint_firewalls.cpp; lint_network calls it).
void lint_firewalls(const Network& net, std::vector<Finding>& out);

} // namespace vpcfw
