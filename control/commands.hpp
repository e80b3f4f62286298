// The subcommands of `vpcfw` that live in a file of their own, each `control/NAME_cmd.cpp`
// (compile, run and ctl declare theirs in control/compile_cmd.hpp, run.hpp and ctl.hpp).
// Each takes the words after the command name, writes to the given streams and returns an
// exit code (ruleset/status.hpp). Cold path; run_cli (control/cli.cpp) dispatches to them.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vpcfw {

int cmd_explain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_scenario(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_check(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_replay(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_diagram(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_rules(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_gen_trace(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// Hidden: the words shell completion offers (control/complete_cmd.cpp).
int cmd_complete(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int cmd_bench(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace vpcfw
