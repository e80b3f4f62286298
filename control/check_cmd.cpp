// `vpcfw check` (control/commands.hpp): loads a network and prints the findings of
// ruleset/lint.hpp, as text (control characters escaped) or JSON (invalid UTF-8 replaced;
// ruleset/output_text.hpp); exit 1 when any finding is an error.
#include "control/commands.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "control/cli_options.hpp"
#include "ruleset/lint.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/output_text.hpp"

namespace po = boost::program_options;

namespace vpcfw {

int cmd_check(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw check --network NET [--json]\n\n"
        "Loads and validates a network, then reports findings: Elastic IPs that are not\n"
        "associated (billed), NACLs that drop the return traffic of their own allow rules,\n"
        "security group rules open to the internet on administrative ports, unused gateway\n"
        "endpoints, references to missing groups, shadowed NACL entries, overlapping\n"
        "prefix-list routes, AWS quotas. Exits 1 when a finding is an error, 2 when the\n"
        "network cannot be loaded. docs/check.md lists every finding.\n\noptions");
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(), "the network: a bundle file or a directory")
        ("json", "findings as JSON lines")
        ("quiet,q", "no warnings about files without network data (e.g. AvailabilityZones.json)");
    Parsed p;
    if (!parse(args, desc, nullptr, p, err, "check")) return kExitUsage;
    if (p.help) {
        out << desc << "\n";
        return kExitOk;
    }
    if (!p.vm.count("network")) {
        err << "vpcfw check: --network NET is required\n";
        return kExitUsage;
    }
    std::string path = p.vm["network"].as<std::string>();
    // docs/inspection.md §1: check reports unsupported keywords and missing rule groups as
    // findings instead of refusing the network.
    LoadOptions lo;
    lo.inert_rules = true;
    lo.missing_groups_empty = true;
    auto net = load_network(path, lo);
    if (!net) {
        err << "vpcfw check: " << printable_text(net.error().str()) << "\n";
        return kExitUsage;
    }
    bool json = p.vm.count("json") > 0;
    auto findings = lint_network(*net);
    size_t errors = 0, warnings = 0;
    for (const auto& w : net->warnings) {
        if (w.no_network_data && p.vm.count("quiet")) continue;
        ++warnings;
        if (json)
            out << json_text({{"severity", "warning"}, {"code", "load-warning"}, {"object", w.file + (w.where.empty() ? "" : ":" + w.where)},
                                  {"message", w.message}}) << "\n";
        else
            out << printable_text("warning  load-warning  " + w.file + (w.where.empty() ? "" : ":" + w.where) + "  " + w.message) << "\n";
    }
    for (const auto& f : findings) {
        if (f.severity == Severity::Error) ++errors;
        if (f.severity == Severity::Warning) ++warnings;
        if (json)
            out << json_text({{"severity", severity_name(f.severity)}, {"code", f.code}, {"object", f.object}, {"message", f.message}}) << "\n";
        else
            out << printable_text(std::string(severity_name(f.severity)) + "  " + f.code + "  " + f.object + "  " + f.message) << "\n";
    }
    if (!json) {
        const Network& n = *net;
        out << printable_text(path) << ": " << n.vpcs.size() << " VPCs, " << n.subnets.size() << " subnets, " << n.enis.size()
            << " network interfaces, " << n.security_groups.size() << " security groups, " << n.network_acls.size()
            << " network ACLs, " << n.route_tables.size() << " route tables; " << errors << " errors, " << warnings
            << " warnings\n";
    }
    return errors ? kExitFail : kExitOk;
}

} // namespace vpcfw
