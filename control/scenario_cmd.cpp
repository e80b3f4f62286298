// `vpcfw scenario` (control/commands.hpp): runs scenario files (control/scenario.hpp) and
// prints each step's result, as text (control characters escaped) or JSON lines (invalid
// UTF-8 replaced; ruleset/output_text.hpp); exit 1 on any mismatch.
#include "control/commands.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "control/cli_options.hpp"
#include "control/scenario.hpp"
#include "ruleset/output_text.hpp"

namespace po = boost::program_options;

namespace vpcfw {

int cmd_scenario(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw scenario [--json] FILE...\n\n"
        "Runs scenario files (docs/interface.md \"Scenario files\"): each step's packet is evaluated\n"
        "at its time, `apply` steps change the live network, and every decision is compared\n"
        "with the step's `expect`. Prints one line per failing step and a summary; exits 1 if\n"
        "any step failed, 2 if a file is malformed.\n\noptions");
    std::vector<std::string> files;
    desc.add_options()
        ("help,h", "this help")
        ("json", "one JSON object per step: {file, step, pass, expect, got}")
        ("verbose,v", "also print passing steps")
        ("file", po::value<std::vector<std::string>>(&files), "scenario files");
    Parsed p;
    if (!parse(args, desc, "file", p, err, "scenario")) return kExitUsage;
    if (p.help) {
        out << desc << "\n";
        return kExitOk;
    }
    if (files.empty()) {
        err << "vpcfw scenario: give at least one scenario FILE\n";
        return kExitUsage;
    }
    bool json = p.vm.count("json") > 0, verbose = p.vm.count("verbose") > 0;
    size_t passed = 0, failed = 0;
    int code = kExitOk;
    for (const auto& f : files) {
        auto r = run_scenario_file(f);
        if (!r) {
            err << "vpcfw scenario: " << printable_text(r.error().str()) << "\n";
            code = kExitUsage;
            continue;
        }
        for (const auto& s : r->steps) {
            if (json) {
                out << json_text({{"file", f}, {"step", s.step}, {"pass", s.pass}, {"expect", s.expect}, {"got", s.got}}) << "\n";
            } else if (!s.pass) {
                out << printable_text("FAIL " + f + " step " + std::to_string(s.step) + ": " + s.message) << "\n";
                if (s.got.is_object() && s.got.contains("flow"))
                    out << "     got " << json_text(s.got) << "\n";
            } else if (verbose) {
                out << printable_text("ok   " + f + " step " + std::to_string(s.step)) << "\n";
            }
        }
        passed += r->passed();
        failed += r->failed();
    }
    if (!json) out << files.size() << " files: " << passed << " passed, " << failed << " failed\n";
    if (failed && code == kExitOk) code = kExitFail;
    return code;
}

} // namespace vpcfw
