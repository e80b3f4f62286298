// `vpcfw compile` (control/compile_cmd.hpp).
#include "control/compile_cmd.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "control/acl_compiler.hpp"
#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "ruleset/limits.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/output_text.hpp"

namespace po = boost::program_options;

namespace vpcfw {

namespace {

std::string mib(size_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / 1048576.0);
    return buf;
}

std::string ms(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f ms", v);
    return buf;
}

} // namespace

// "default" is rte_acl's own choice: the widest method this CPU and EAL run.
std::string acl_method_name(AclAlgorithm a) {
    if (a != AclAlgorithm::Default) return acl_algorithm_name(a);
    for (AclAlgorithm m : {AclAlgorithm::Avx512x32, AclAlgorithm::Avx512x16, AclAlgorithm::Avx2, AclAlgorithm::Sse})
        if (AclCompiler::algorithm_supported(m)) return std::string("default (") + acl_algorithm_name(m) + ")";
    return "default (scalar)";
}

int cmd_compile(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const char* help =
        "vpcfw compile --network NET [--stats] [--json] [--algorithm ALG]\n\n"
        "Compiles a network into the lookup tables the fast path uses (security-group and\n"
        "network-ACL rules as DPDK rte_acl contexts, routes as rte_fib/rte_fib6 tables, address\n"
        "maps) and reports how long that took. With --stats: compile time per part, memory per\n"
        "layer, table sizes and vpcfw's list limits. --algorithm picks the rte_acl classify\n"
        "method (default, scalar, sse, avx2, avx512x16, avx512x32; AVX-512 needs a CPU that has\n"
        "it).\n\n"
        "Options";
    po::options_description desc(help);
    std::string network, algorithm = "default";
    desc.add_options()("help,h", "this help")("network", po::value<std::string>(&network), "the network (file or directory)")(
        "stats", "compile time, memory and table sizes per layer")("json", "one JSON object on stdout")(
        "algorithm", po::value<std::string>(&algorithm), "rte_acl classify method");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(desc).run(), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        err << "vpcfw compile: " << e.what() << "\n";
        return 2;
    }
    if (vm.count("help")) {
        out << desc << "\n";
        return 0;
    }
    if (network.empty()) {
        err << "vpcfw compile: --network is required (see vpcfw compile --help)\n";
        return 2;
    }
    auto alg = parse_acl_algorithm(algorithm);
    if (!alg) {
        err << "vpcfw compile: unknown --algorithm '" << algorithm << "'\n";
        return 2;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto net = load_network(network);
    if (!net) {
        err << "vpcfw compile: " << net.error().str() << "\n";
        return 2;
    }
    double loadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (auto e = ensure_eal(); !e) {
        err << "vpcfw compile: " << e.error().message << "\n";
        return 3;
    }
    if (!AclCompiler::algorithm_supported(*alg)) {
        err << "vpcfw compile: rte_acl method " << acl_algorithm_name(*alg) << " is not supported on this CPU\n";
        return 2;
    }
    CompileOptions opt;
    opt.algorithm = *alg;
    auto rs = compile_ruleset(*net, Settings{}, opt);
    if (!rs) {
        err << "vpcfw compile: " << rs.error().str() << "\n";
        return rs.error().exit_code();
    }
    const CompileStats& s = (*rs)->stats();
    const Network& n = *net;
    size_t naclEntries = 0, sgRules = 0;
    for (const auto& a : n.network_acls) naclEntries += a.entries.size();
    for (const auto& g : n.security_groups) sgRules += g.ingress.size() + g.egress.size();
    size_t total = s.acl_bytes + s.route_bytes + s.map_bytes + s.name_bytes;
    if (vm.count("json")) {
        nlohmann::json j = {
            {"network", network},
            {"load_ms", loadMs},
            {"compile_ms", s.compile_ms},
            {"acl_build_ms", s.acl_build_ms},
            {"route_build_ms", s.route_build_ms},
            {"algorithm", acl_method_name((*rs)->acl().algorithm())},
            {"objects", {{"vpcs", n.vpcs.size()}, {"subnets", n.subnets.size()}, {"enis", n.enis.size()},
                         {"security_groups", n.security_groups.size()}, {"network_acls", n.network_acls.size()},
                         {"route_tables", n.route_tables.size()}, {"tgw_route_tables", n.tgw_route_tables.size()}}},
            {"rules", {{"nacl_entries", naclEntries}, {"sg_rules", sgRules}}},
            {"tables", {{"nacl_acl_rules4", s.nacl_rules4}, {"nacl_acl_rules6", s.nacl_rules6},
                        {"sg_acl_rules4", s.sg_rules4}, {"sg_acl_rules6", s.sg_rules6},
                        {"group_sets", s.group_sets}, {"remote_sets", s.remote_sets},
                        {"routes4", s.routes4}, {"routes6", s.routes6}, {"tgw_routes", s.tgw_routes},
                        {"addresses", s.addresses}, {"names", s.names}}},
            {"memory_bytes", {{"acl", s.acl_bytes}, {"routes", s.route_bytes}, {"maps", s.map_bytes},
                              {"names", s.name_bytes}, {"total", total}}},
        };
        for (const ListLimit& l : kListLimits) j["limits"][l.key] = l.value;
        out << json_text(j) << "\n";
        return 0;
    }
    out << "compiled " << network << ": " << naclEntries << " NACL entries, " << sgRules << " SG rules, "
        << n.route_tables.size() << " route tables in " << ms(s.compile_ms) << " (load " << ms(loadMs) << ")\n";
    if (!vm.count("stats")) return 0;
    char line[160];
    out << "\n";
    out << "time\n";
    std::snprintf(line, sizeof line, "  %-28s %12s\n", "load + validate", ms(loadMs).c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %-28s %12s\n", "rte_acl build (SG + NACL)", ms(s.acl_build_ms).c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %-28s %12s\n", "rte_fib build (routes, TGW)", ms(s.route_build_ms).c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %-28s %12s\n", "compile total", ms(s.compile_ms).c_str());
    out << line;
    out << "\nlayer            tables / rules                                   memory\n";
    std::snprintf(line, sizeof line, "  %-14s %-46s %12s\n", "nacl",
                  (std::to_string(n.network_acls.size()) + " NACLs, " + std::to_string(s.nacl_rules4) + " v4 + " +
                   std::to_string(s.nacl_rules6) + " v6 rte_acl rules")
                      .c_str(),
                  "");
    out << line;
    std::snprintf(line, sizeof line, "  %-14s %-46s %12s\n", "sg",
                  (std::to_string(s.group_sets) + " group sets, " + std::to_string(s.sg_rules4) + " v4 + " +
                   std::to_string(s.sg_rules6) + " v6 rte_acl rules")
                      .c_str(),
                  "");
    out << line;
    std::snprintf(line, sizeof line, "  %-14s %-46s %12s\n", "  rte_acl", "(NACL and SG contexts together)", mib(s.acl_bytes).c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %-14s %-46s %12s\n", "sg-refs",
                  (std::to_string(s.remote_sets) + " remote group sets (address -> groups)").c_str(), "");
    out << line;
    std::snprintf(line, sizeof line, "  %-14s %-46s %12s\n", "route",
                  (std::to_string(s.route_tables) + " tables, " + std::to_string(s.routes4) + " v4 + " +
                   std::to_string(s.routes6) + " v6 prefixes; " + std::to_string(s.tgw_route_tables) + " TGW tables, " +
                   std::to_string(s.tgw_routes) + " prefixes")
                      .c_str(),
                  mib(s.route_bytes).c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %-14s %-46s %12s\n", "addresses",
                  (std::to_string(s.addresses) + " private/public addresses, " + std::to_string(n.enis.size()) + " ENIs").c_str(),
                  mib(s.map_bytes).c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %-14s %-46s %12s\n", "names", (std::to_string(s.names) + " interned names").c_str(),
                  mib(s.name_bytes).c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %-14s %-46s %12s\n", "total", "", mib(total).c_str());
    out << line;
    out << "\nrte_acl classify method: " << acl_method_name((*rs)->acl().algorithm()) << "\n";
    // The list limits the loader enforces (ruleset/limits.hpp: the widths of a compiled
    // rule reference); AWS's quotas are far lower and `check` warns about those.
    out << "\nlimits (vpcfw's own, from the 32-bit compiled rule reference; AWS's quotas are lower, see check)\n";
    for (const ListLimit& l : kListLimits) {
        std::snprintf(line, sizeof line, "  %8zu  %s\n", l.value, l.what);
        out << line;
    }
    return 0;
}

} // namespace vpcfw
