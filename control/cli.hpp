// The vpcfw command line: subcommands of docs/interface.md ("Commands"). Cold path; `main`
// calls run_cli and exits with its code (0 ok, 1 expectation/check failure, 2 bad input,
// 3 runtime failure). Output goes to the given streams so tests can capture it.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vpcfw {

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace vpcfw
