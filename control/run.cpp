// `vpcfw run` (control/run.hpp): its options (kRunHelp), the --port [NAME=]DEVARGS@ATTACH specs,
// and the checks done before any DPDK setup (the network loads, the ports' topology
// builds); then control/live_run.hpp runs it.
#include "control/run.hpp"


#include <algorithm>
#include <cctype>
#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>
#include <sstream>

#include "control/cli_options.hpp"
#include "control/live_run.hpp"
#include "dataplane/topology.hpp"
#include "pcap/flow_logs.hpp"
#include "ruleset/loader.hpp"

namespace po = boost::program_options;

namespace vpcfw {

namespace {

// NAME=: a short label before the first '=', when that part is a name (DEVARGS never
// start so: a PCI address starts with a digit, a vdev's '=' follows a ',').
bool is_port_name(const std::string& s) {
    if (s.empty() || s.size() > 32 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

Result<PortSpec> parse_spec(const std::string& text) {
    PortSpec s;
    s.text = text;
    std::string rest = text;
    if (size_t eq = text.find('='); eq != std::string::npos && is_port_name(text.substr(0, eq))) {
        s.name = text.substr(0, eq);
        rest = text.substr(eq + 1);
    }
    size_t at = rest.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == rest.size())
        return make_error("--port '" + text + "': expected [NAME=]DEVARGS@ATTACH[,ATTACH...], e.g. web=net_af_packet0,iface=veth0@subnet-0a1");
    s.devargs = rest.substr(0, at);
    std::stringstream ss(rest.substr(at + 1));
    for (std::string a; std::getline(ss, a, ',');)
        if (!a.empty()) s.attach.push_back(a);
    if (s.attach.empty()) return make_error("--port '" + text + "': nothing named after '@'");
    return s;
}

const char* const kRunHelp =
    "vpcfw run --network NET --port SPEC [--port SPEC...] [options] [-- EAL ARGS]\n\n"
    "Runs the network live between DPDK ports: packets arriving on a port are judged as AWS\n"
    "would (security groups with connection tracking, NACLs, routes, IGW 1:1 NAT, NAT\n"
    "gateways), and accepted ones leave, translated, by the port where their destination\n"
    "lives, addressed to the ENI's MAC. The engine answers ARP and IPv6 neighbour\n"
    "discovery for each subnet's router (base + 1), for the ENI addresses of the model, and\n"
    "on the internet port for the public and Elastic IPs; it learns the MACs of hosts\n"
    "behind internet and attachment ports from what they send.\n\n"
    "SPEC is [NAME=]DEVARGS@ATTACH[,ATTACH...]: NAME a short label for the port in stats,\n"
    "decisions, logs and metrics (letters, digits, _ and -; default: SPEC), DEVARGS a PCI address or a vdev\n"
    "(net_af_packet0,iface=veth0  net_tap0  net_pcap0,...  net_ring0  net_memif0,...), ATTACH\n"
    "what is behind it: subnet ids, a VPC id (all its subnets), internet, or a\n"
    "tgw-attach-/vgw-/vpn-/pcx- id.\n\n"
    "Examples:\n"
    "  laptop, veth pairs (no hugepages needed):\n"
    "    vpcfw run --network lab.json --port 'net_af_packet0,iface=veth-pub@subnet-0a1' \\\n"
    "        --port 'net_af_packet1,iface=veth-inet@internet' --control /run/vpcfw.sock\n"
    "  NIC host (ports bound to vfio-pci, hugepages reserved, 2 workers on cores 2-3):\n"
    "    vpcfw run --network net.json --workers 2 --port 0000:3b:00.0@vpc-0abc \\\n"
    "        --port 0000:3b:00.1@internet -- -l 1-3 -a 0000:3b:00.0 -a 0000:3b:00.1\n\n"
    "Without EAL ARGS, vpcfw starts DPDK on one core with threads for the workers, with\n"
    "--no-huge when no hugepages are free (it says so). `vpcfw ctl --control PATH ...`\n"
    "changes rules live. docs/run.md has the details.\n\noptions";

} // namespace

int cmd_run(const std::vector<std::string>& all, std::ostream& out, std::ostream& err) {
    std::vector<std::string> args, eal;
    auto dd = std::find(all.begin(), all.end(), "--");
    args.assign(all.begin(), dd);
    if (dd != all.end()) eal.assign(dd + 1, all.end());

    RunOptions opt;
    std::vector<std::string> specs;
    std::string log_format;
    po::options_description desc(kRunHelp);
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(&opt.network), "the network: a bundle file or a directory")
        ("port,p", po::value<std::vector<std::string>>(&specs), "[NAME=]DEVARGS@ATTACH[,ATTACH...] (repeat for each port)")
        ("workers,w", po::value<unsigned>(&opt.workers)->default_value(1), "worker threads/lcores; one RX/TX queue pair each per port")
        ("decisions", po::value<std::string>(&opt.log.decisions), "write every decision as JSONL (docs/interface.md), with the port and ruleset version")
        ("flow-logs", po::value<std::string>(&opt.log.flow_logs), "write AWS VPC Flow Logs records")
        ("flow-log-format", po::value<std::string>(&opt.log.flow_log_format), "AWS ${field} list (default: version 2)")
        ("flow-log-interval", po::value<int>(&opt.log.flow_log_interval)->default_value(60), "aggregation interval, 60 or 600 s")
        ("capture", po::value<std::string>(&opt.log.capture), "write every evaluated frame as pcapng, with its decision as comment")
        ("stats-interval", po::value<double>(&opt.stats_interval)->default_value(0), "print a one-line summary every S seconds (0: never)")
        ("control", po::value<std::string>(&opt.control), "Unix socket for `vpcfw ctl` (created mode 0600); it serves 16 clients at a "
                                                           "time, each with 10 s to send its request and 10 s to read the reply")
        ("control-max-request", po::value<size_t>(&opt.control_limits.max_request)->default_value(size_t{16} << 20),
         "largest control request in bytes (16 MiB); longer ones are refused")
        ("metrics-port", po::value<int>(&opt.metrics_port)->default_value(0), "serve Prometheus metrics on 127.0.0.1:PORT")
        ("capacity", po::value<size_t>(&opt.capacity)->default_value(1u << 18), "connection-table entries, all workers together (each worker holds its share; NAT and other state tables are sized from it)")
        ("duration", po::value<double>(&opt.duration)->default_value(0), "stop after S seconds (0: on SIGINT/SIGTERM)")
        ("busy-poll", "never sleep when idle (lowest latency; a full core per worker)")
        ("log-format", po::value<std::string>(&log_format)->default_value("text"),
         "operational messages on stderr: text (vpcfw run: [warning: |error: ]MSG) or json (one {time, level, msg, ...} a line)");
    add_quiet_option(desc);
    if (std::find(args.begin(), args.end(), "--help") != args.end() || std::find(args.begin(), args.end(), "-h") != args.end()) {
        out << desc << "\n";
        return kExitOk;
    }
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(desc).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        err << "vpcfw run: " << e.what() << "\n(see `vpcfw run --help`)\n";
        return kExitUsage;
    }
    opt.busy_poll = vm.count("busy-poll") > 0;
    if (log_format != "text" && log_format != "json") {
        err << "vpcfw run: --log-format must be text or json\n";
        return kExitUsage;
    }
    opt.log_format = log_format == "json" ? LogFormat::Json : LogFormat::Text;
    if (opt.network.empty() || specs.empty()) {
        err << "vpcfw run: --network NET and at least one --port SPEC are required (see `vpcfw run --help`)\n";
        return kExitUsage;
    }
    if (opt.workers < 1 || opt.workers > 64) {
        err << "vpcfw run: --workers must be between 1 and 64\n";
        return kExitUsage;
    }
    if (!std::isfinite(opt.stats_interval) || opt.stats_interval < 0 || !std::isfinite(opt.duration) || opt.duration < 0) {
        err << "vpcfw run: --stats-interval and --duration must be finite numbers of seconds, 0 or more\n";
        return kExitUsage;
    }
    if (opt.control_limits.max_request < 1024 || opt.control_limits.max_request > (size_t{1} << 30)) {
        err << "vpcfw run: --control-max-request must be between 1024 and 1073741824 bytes\n";
        return kExitUsage;
    }
    if (opt.log.flow_log_interval != 60 && opt.log.flow_log_interval != 600) {
        err << "vpcfw run: --flow-log-interval must be 60 or 600 (AWS's aggregation intervals)\n";
        return kExitUsage;
    }
    if (opt.metrics_port < 0 || opt.metrics_port > 65535) {
        err << "vpcfw run: --metrics-port must be between 1 and 65535\n";
        return kExitUsage;
    }
    if (!opt.log.flow_log_format.empty()) {
        if (auto f = parse_flow_log_format(opt.log.flow_log_format); !f) {
            err << "vpcfw run: --flow-log-format: " << f.error().message << "\n";
            return kExitUsage;
        }
    }
    for (const auto& s : specs) {
        auto ps = parse_spec(s);
        if (!ps) {
            err << "vpcfw run: " << ps.error().message << "\n";
            return kExitUsage;
        }
        for (const auto& prev : opt.specs)
            if (!ps->name.empty() && prev.name == ps->name) {
                err << "vpcfw run: --port '" << s << "': the name '" << ps->name << "' is already used by --port '" << prev.text << "'\n";
                return kExitUsage;
            }
        opt.specs.push_back(*ps);
    }
    auto net = load_network(opt.network);
    if (!net) {
        err << "vpcfw run: " << net.error().str() << "\n";
        return kExitUsage;
    }
    RunLog log(err, opt.log_format);
    for (const auto& w : net->warnings)
        if (!(vm.count("quiet") && w.no_network_data)) log.warning(w.file + (w.where.empty() ? "" : ":" + w.where) + ": " + w.message, {{"file", w.file}, {"where", w.where}});
    if (auto topo = build_topology(*net, opt.specs); !topo) {
        err << "vpcfw run: " << topo.error().message << "\n";
        return kExitUsage;
    }
    return run_live(std::move(opt), std::move(*net), eal, out, err);
}

} // namespace vpcfw
