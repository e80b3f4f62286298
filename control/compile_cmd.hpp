// `vpcfw compile --network NET [--stats] [--json] [--algorithm ALG]`: builds the compiled
// ruleset of a network as `replay` and `run` do, and reports compile time, memory and
// table sizes per layer. Cold path.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "dataplane/acl_tables.hpp"

namespace vpcfw {

// The rte_acl method a ruleset classifies with: "avx2", or "default (avx2)" for rte_acl's own
// choice on this CPU.
std::string acl_method_name(AclAlgorithm a);

int cmd_compile(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace vpcfw
