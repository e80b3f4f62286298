// The AWS JSON loader: a bundle file, a directory of describe-* outputs (recursively,
// including `accounts/ACCOUNT/REGION/`), or an already-parsed bundle object, into a
// Network. Errors name the file, the JSON pointer and the problem; nothing crashes it.
// Cold path; not thread-safe per call (each call builds its own Network).
#pragma once

#include <string>

#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

struct LoadOptions {
    // docs/inspection.md §1: a Suricata keyword or protocol AWS accepts but vpcfw lacks is an
    // error, unless the rule is loaded inert (never matching, a warning per rule; `check`
    // and `--inert-rules`).
    bool inert_rules = false;
    // `check`: a firewall policy naming a rule group that is not in the export loads it as
    // an empty group marked missing, for lint to report (`nfw-missing-group`); elsewhere
    // that is a load error.
    bool missing_groups_empty = false;
};

// Loads NET as the CLI's --network takes it: a file (one bundle) or a directory.
Result<Network> load_network(const std::string& path, const LoadOptions& options = {});

// Loads a bundle from JSON text; `origin` names it in errors (a file name or "<inline>").
Result<Network> load_network_text(const std::string& json_text, const std::string& origin,
                                  const LoadOptions& options = {});

} // namespace vpcfw
