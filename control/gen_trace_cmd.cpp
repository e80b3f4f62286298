// `vpcfw gen-trace` (control/commands.hpp): options of pcap/gen_trace.hpp, one capture written.
#include "control/commands.hpp"

#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>

#include "control/cli_options.hpp"
#include "pcap/gen_trace.hpp"
#include "ruleset/loader.hpp"

namespace po = boost::program_options;

namespace vpcfw {

int cmd_gen_trace(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw gen-trace --network NET --out FILE [--packets N] [--seed S] [--duration SEC]\n\n"
        "Writes a realistic pcap (Ethernet, the ENIs' MACs) for a network: TCP sessions between\n"
        "ENIs on the ports their security groups open, internet clients to Elastic/public IPs,\n"
        "NAT'd outbound traffic as captured at the instance, S3 endpoint traffic, DNS to the\n"
        "VPC resolver, denied probes and port scans, pings, IPv6 where the network has it.\n"
        "The same seed gives the same file.\n\noptions");
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(), "the network: a bundle file or a directory")
        ("out,o", po::value<std::string>(), "the pcap file to write")
        ("packets", po::value<uint64_t>()->default_value(3000), "packets to write")
        ("seed", po::value<uint64_t>()->default_value(1), "random seed")
        ("duration", po::value<double>()->default_value(60.0), "seconds over which sessions start");
    Parsed p;
    if (!parse(args, desc, nullptr, p, err, "gen-trace")) return kExitUsage;
    if (p.help) {
        out << desc << "\n";
        return kExitOk;
    }
    if (!p.vm.count("network") || !p.vm.count("out")) {
        err << "vpcfw gen-trace: --network NET and --out FILE are required\n";
        return kExitUsage;
    }
    GenTraceOptions opt;
    opt.packets = p.vm["packets"].as<uint64_t>();
    opt.seed = p.vm["seed"].as<uint64_t>();
    opt.duration = p.vm["duration"].as<double>();
    if (opt.packets == 0 || !(opt.duration > 0) || !std::isfinite(opt.duration)) {
        err << "vpcfw gen-trace: --packets and --duration must be positive (and --duration finite)\n";
        return kExitUsage;
    }
    auto net = load_network(p.vm["network"].as<std::string>());
    if (!net) {
        err << "vpcfw gen-trace: " << net.error().str() << "\n";
        return kExitUsage;
    }
    std::string path = p.vm["out"].as<std::string>();
    auto r = gen_trace(*net, opt, path);
    if (!r) {
        err << "vpcfw gen-trace: " << r.error().str() << "\n";
        return r.error().exit_code();
    }
    out << "wrote " << r->packets << " packets (" << r->sessions << " sessions, " << r->bytes << " bytes) to " << path << "\n";
    return kExitOk;
}

} // namespace vpcfw
