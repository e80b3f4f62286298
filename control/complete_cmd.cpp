// `vpcfw complete` (hidden; for the shell completion scripts in packaging/completion/):
//   complete commands        the commands, one a line, read from `vpcfw --help`
//   complete options CMD     CMD's long options, one a line, read from `vpcfw CMD --help`
//                            (its option table; ctl, which has none, every --word)
//   complete enis NET        the ENIs of a network: ids, then Name tags (one a line)
// The words come from the same texts as --help and the man page, so completion cannot
// drift from the options. Errors (unknown command, a network that does not load) print
// nothing and exit 2: a completion shows no candidates rather than an error. Cold path.
#include <regex>
#include <set>
#include <sstream>

#include "control/cli.hpp"
#include "control/commands.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

namespace {

// The command words of the usage text: its lines "  NAME  ..." between "commands:" and the
// first empty line.
std::vector<std::string> commands_of_usage(const std::string& usage) {
    std::vector<std::string> cmds;
    std::istringstream in(usage);
    bool inside = false;
    static const std::regex cmd_line(R"(^  ([a-z][a-z0-9-]*)(\s|$).*)");
    for (std::string line; std::getline(in, line);) {
        if (line == "commands:") { inside = true; continue; }
        if (!inside) continue;
        if (line.empty()) break;
        std::smatch m;
        if (std::regex_match(line, m, cmd_line)) cmds.push_back(m[1]);
    }
    return cmds;
}

} // namespace

int cmd_complete(const std::vector<std::string>& args, std::ostream& out, std::ostream&) {
    if (args.size() == 1 && args[0] == "commands") {
        std::ostringstream usage, none;
        run_cli({"--help"}, usage, none);
        for (const auto& c : commands_of_usage(usage.str())) out << c << "\n";
        return kExitOk;
    }
    if (args.size() == 2 && args[0] == "options") {
        std::ostringstream help, none;
        if (args[1] == "complete" || run_cli({args[1], "--help"}, help, none) != kExitOk) return kExitUsage;
        // The option lines of a Boost.Program_options table ("  -n [ --network ] arg", "  --json");
        // a help without one (ctl's) offers every --word of its text.
        static const std::regex table_opt(R"(^  (?:-\w \[ )?(--[a-z][a-z0-9-]*))");
        static const std::regex any_opt(R"((^|[\s\[,])(--[a-z][a-z0-9-]*))");
        std::vector<std::string> found;
        std::istringstream lines(help.str());
        std::smatch m;
        for (std::string line; std::getline(lines, line);)
            if (std::regex_search(line, m, table_opt)) found.push_back(m[1]);
        if (found.empty()) {
            const std::string text = help.str();
            for (auto it = std::sregex_iterator(text.begin(), text.end(), any_opt); it != std::sregex_iterator(); ++it)
                found.push_back((*it)[2]);
        }
        std::set<std::string> seen;
        for (const auto& o : found)
            if (seen.insert(o).second) out << o << "\n";
        return kExitOk;
    }
    if (args.size() == 2 && args[0] == "enis") {
        auto net = load_network(args[1]);
        if (!net) return kExitUsage;
        for (const auto& e : net->enis) out << e.id << "\n";
        for (const auto& e : net->enis)
            if (!e.name.empty()) out << e.name << "\n";
        return kExitOk;
    }
    return kExitUsage;
}

} // namespace vpcfw
