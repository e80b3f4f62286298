// `vpcfw diagram` (control/commands.hpp): a picture of the network — the security-group
// chain, the VPC layers, or the path of one packet — built by diagram/ and rendered by
// Graphviz into an SVG, PNG or DOT file (or DOT on stdout). docs/diagram.md has the details.
#include <boost/program_options.hpp>
#include <chrono>
#include <fstream>
#include <iostream>

#include "control/cli_options.hpp"
#include "control/commands.hpp"
#include "diagram/diagram.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/output_text.hpp"
#include "ruleset/packet.hpp"

namespace po = boost::program_options;

namespace vpcfw {

int cmd_diagram(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw diagram --network NET --view sg|layers|path [--vpc ID]... [--packet P [--from ORIGIN]] --out FILE\n\n"
        "Draws the network with Graphviz. Views:\n"
        "  sg      the security-group chain: a node per group (with the ENIs that carry it), per CIDR,\n"
        "          prefix list and the internet that rules name; an edge per referencing rule from the\n"
        "          source to the group it admits (egress rules dashed blue); missing groups and admin\n"
        "          ports open to the internet (`vpcfw check`) in red\n"
        "  layers  each VPC with its AZs, public and private subnets (NACL at the boundary), ENIs with\n"
        "          their groups, route tables and their targets (IGW, NAT, EIGW, peering, TGW, VGW,\n"
        "          endpoints) and where traffic enters; identical ENIs collapsed into one node\n"
        "  path    the layers view with the hops `vpcfw explain` finds for --packet, each labelled with\n"
        "          its verdict and deciding rule, a drop in red\n"
        "FILE ending in .svg or .png is a picture, .dot the graph as Graphviz writes it, - DOT on stdout.\n"
        "docs/diagram.md has the details.\n\noptions");
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(), "the network: a bundle file or a directory")
        ("view", po::value<std::string>(), "sg | layers | path")
        ("vpc", po::value<std::vector<std::string>>(), "draw only this VPC (repeatable; default: every VPC)")
        ("packet", po::value<std::string>(), "path view: the packet, e.g. 'tcp 10.0.1.10:40000 -> 10.0.2.20:443'")
        ("from,f", po::value<std::string>()->default_value("auto"), "path view: origin of the packet (ENI id, internet, tgw-attach-/vgw-/pcx- id, auto)")
        ("out,o", po::value<std::string>(), "output file: .svg, .png, .dot, or - for DOT on stdout");
    Parsed p;
    add_quiet_option(desc);
    if (!parse(args, desc, nullptr, p, err, "diagram")) return kExitUsage;
    if (p.help) {
        out << desc << "\n";
        return kExitOk;
    }
    if (!p.vm.count("network") || !p.vm.count("view") || !p.vm.count("out")) {
        err << "vpcfw diagram: --network NET, --view VIEW and --out FILE are required (see `vpcfw diagram --help`)\n";
        return kExitUsage;
    }
    DiagramRequest req;
    auto view = diagram_view(p.vm["view"].as<std::string>());
    if (!view) {
        err << "vpcfw diagram: " << printable_text(view.error().message) << "\n";
        return kExitUsage;
    }
    req.view = *view;
    std::string outPath = p.vm["out"].as<std::string>();
    auto format = format_for_path(outPath);
    if (!format) {
        err << "vpcfw diagram: " << printable_text(format.error().message) << "\n";
        return kExitUsage;
    }
    if (p.vm.count("vpc")) req.vpcs = p.vm["vpc"].as<std::vector<std::string>>();
    req.from = p.vm["from"].as<std::string>();
    if (p.vm.count("packet")) {
        if (req.view != DiagramView::Path) {
            err << "vpcfw diagram: --packet goes with --view path\n";
            return kExitUsage;
        }
        auto pk = parse_packet(p.vm["packet"].as<std::string>());
        if (!pk) {
            err << "vpcfw diagram: --packet: " << printable_text(pk.error().message) << "\n";
            return kExitUsage;
        }
        req.packet = *pk;
    }
    auto net = load_network(p.vm["network"].as<std::string>());
    if (!net) {
        err << "vpcfw diagram: " << printable_text(net.error().str()) << "\n";
        return kExitUsage;
    }
    print_load_warnings(*net, p.vm.count("quiet") > 0, err);

    auto t0 = std::chrono::steady_clock::now();
    auto graph = build_diagram(*net, req);
    if (!graph) {
        err << "vpcfw diagram: " << printable_text(graph.error().message) << "\n";
        return graph.error().exit_code();
    }
    auto rendered = graph->render(*format);
    if (!rendered) {
        err << "vpcfw diagram: " << printable_text(rendered.error().message) << "\n";
        return rendered.error().exit_code();
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (outPath == "-") {
        out << *rendered;
    } else {
        std::ofstream f(outPath, std::ios::binary);
        f << *rendered;
        f.close();
        if (!f) {
            err << "vpcfw diagram: " << printable_text(outPath) << ": cannot write the picture\n";
            return kExitRuntime;
        }
        err << "vpcfw diagram: " << printable_text(outPath) << ": " << graph->node_count() << " nodes, " << graph->edge_count()
            << " edges, built and rendered in " << seconds << " s\n";
    }
    return kExitOk;
}

} // namespace vpcfw
