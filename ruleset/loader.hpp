// The AWS JSON loader: a bundle file, a directory of describe-* outputs (recursively,
// including `accounts/ACCOUNT/REGION/`), or an already-parsed bundle object, into a
// Network. Errors name the file, the JSON pointer and the problem; nothing crashes it.
// Cold path; not thread-safe per call (each call builds its own Network).
#pragma once

#include <string>

#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

// Loads NET as the CLI's --network takes it: a file (one bundle) or a directory.
Result<Network> load_network(const std::string& path);

// Loads a bundle from JSON text; `origin` names it in errors (a file name or "<inline>").
Result<Network> load_network_text(const std::string& json_text, const std::string& origin);

} // namespace vpcfw
