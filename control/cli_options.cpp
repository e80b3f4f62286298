// Option parsing shared by the subcommands (control/cli_options.hpp).
#include "control/cli_options.hpp"

#include <ostream>

#include "ruleset/output_text.hpp"

namespace po = boost::program_options;

namespace vpcfw {

bool parse(const std::vector<std::string>& args, const po::options_description& desc,
           const char* posName, Parsed& out, std::ostream& err, const std::string& cmd) {
    po::positional_options_description pos;
    if (posName) pos.add(posName, -1);
    try {
        po::store(po::command_line_parser(args).options(desc).positional(pos).run(), out.vm);
        po::notify(out.vm);
    } catch (const po::error& e) {
        err << "vpcfw " << cmd << ": " << e.what() << "\n(see `vpcfw " << cmd << " --help`)\n";
        return false;
    }
    out.help = out.vm.count("help") > 0;
    return true;
}

void print_load_warnings(const Network& net, bool quiet, std::ostream& err) {
    for (const auto& w : net.warnings) {
        if (quiet && w.no_network_data) continue;
        err << printable_text("warning: " + w.file + (w.where.empty() ? "" : ":" + w.where) + ": " + w.message) << "\n";
    }
}

void add_quiet_option(po::options_description& desc) {
    desc.add_options()("quiet,q", "no warnings about files without network data (e.g. AvailabilityZones.json)");
}

} // namespace vpcfw
