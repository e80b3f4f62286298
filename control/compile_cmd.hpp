// `vpcfw compile --network NET [--stats] [--json] [--algorithm ALG]`: builds the compiled
// ruleset of a network as `replay` and `run` do, and reports compile time, memory and
// table sizes per layer. Cold path.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace vpcfw {

int cmd_compile(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace vpcfw
