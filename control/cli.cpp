// Subcommands: explain, scenario, check. Each parses its options with
// Boost.Program_options, loads what it needs, and returns an exit code; errors reach the
// user as one line naming the file, the place and the problem.
#include "control/cli.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <fstream>
#include <unistd.h>
#include <iostream>
#include <nlohmann/json.hpp>

#include "control/compile_cmd.hpp"
#include "control/compiler.hpp"
#include "control/ctl.hpp"
#include "control/eal.hpp"
#include "control/run.hpp"
#include "control/scenario.hpp"
#include "pcap/gen_trace.hpp"
#include "pcap/replay.hpp"
#include "ruleset/lint.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/reference.hpp"

namespace po = boost::program_options;

namespace vpcfw {

namespace {


const char* kVersion = "vpcfw 0.1.0";

const char* kUsage =
    "vpcfw — what AWS VPC networking would do with each packet\n"
    "\n"
    "usage: vpcfw COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  explain   --network NET [--from ORIGIN] [--json] PACKET...\n"
    "            evaluate packets hop by hop, like a reachability analyzer\n"
    "  scenario  [--json] FILE...\n"
    "            run scenario files; exit 1 on any mismatch\n"
    "  check     --network NET [--json]\n"
    "            validate a network and report findings\n"
    "  compile   --network NET [--stats] [--json]\n"
    "            compile the lookup tables; compile time, memory and table sizes per layer\n"
    "  replay    --network NET --pcap IN [--workers N] [--decisions OUT.jsonl] [--flow-logs OUT]\n"
    "            [--accepted OUT.pcapng] [--dropped OUT.pcapng] [--summary-json OUT.json] ...\n"
    "            every packet of a capture through the network: decisions, flow logs, captures\n"
    "  gen-trace --network NET --out FILE [--packets N] [--seed S] [--duration SEC]\n"
    "            write a realistic capture for a network (demos, tests, benchmarks)\n"
    "  run       --network NET --port DEVARGS@ATTACH... [--workers N] [--control PATH] [-- EAL ARGS]\n"
    "            the network live between DPDK ports (NICs, veth via net_af_packet, ...)\n"
    "  ctl       --control PATH apply ACTION JSON | reload NET | stats | flows | explain PACKET\n"
    "            change rules of a running `vpcfw run` and read its state\n"
    "\n"
    "NET is a bundle of `aws ec2 describe-*` output (one JSON file) or a directory of such\n"
    "files (searched recursively). PACKET is e.g. 'tcp 10.0.1.10:40000 -> 10.0.2.20:443 flags=S'.\n"
    "ORIGIN is an ENI id, 'internet', a tgw-attach-/vgw-/pcx- id, or 'auto' (the default).\n"
    "\n"
    "exit codes: 0 success, 1 a scenario expectation failed or check found errors,\n"
    "            2 bad usage or bad input, 3 runtime failure\n"
    "\n"
    "`vpcfw COMMAND --help` describes each command.\n";

struct Parsed {
    po::variables_map vm;
    bool help = false;
};

// Parses `args` (after the command word) against `desc`, with `positional` collecting the
// remaining words into option `posName`. Returns false (and prints why) on a usage error.
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

int cmd_explain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw explain --network NET [--from ORIGIN] [--at SECONDS] [--json] PACKET...\n\n"
        "Evaluates each PACKET in order with the reference evaluator (state carries from one\n"
        "packet to the next, so a request then its reply shows connection tracking) and\n"
        "prints one line per hop and layer: the rule that matched and, where a layer stopped\n"
        "the packet, why the other rules did not match.\n\noptions");
    std::vector<std::string> packets;
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>()->required(), "the network: a bundle file or a directory")
        ("from,f", po::value<std::string>()->default_value("auto"), "origin of every packet: ENI id, internet, tgw-attach-/vgw-/pcx- id, or auto")
        ("at", po::value<double>()->default_value(0.0), "time of the first packet (seconds); each next packet is 1 s later")
        ("json", "one JSON decision per line (INTERFACE.md \"Decisions\")")
        ("packet", po::value<std::vector<std::string>>(&packets), "packets in the packet language");
    Parsed p;
    bool wantsHelp = std::find(args.begin(), args.end(), "--help") != args.end() ||
                     std::find(args.begin(), args.end(), "-h") != args.end();
    if (wantsHelp) {
        out << desc << "\n";
        return kExitOk;
    }
    if (!parse(args, desc, "packet", p, err, "explain")) return kExitUsage;
    if (packets.empty()) {
        err << "vpcfw explain: give at least one PACKET, e.g. 'tcp 10.0.1.10:40000 -> 10.0.2.20:443'\n";
        return kExitUsage;
    }
    std::vector<Packet> parsed;
    for (const auto& text : packets) {
        auto pk = parse_packet(text);
        if (!pk) {
            err << "vpcfw explain: " << pk.error().message << "\n";
            return kExitUsage;
        }
        parsed.push_back(*pk);
    }
    auto net = load_network(p.vm["network"].as<std::string>());
    if (!net) {
        err << "vpcfw explain: " << net.error().str() << "\n";
        return kExitUsage;
    }
    for (const auto& w : net->warnings) err << "warning: " << w.file << (w.where.empty() ? "" : ":" + w.where) << ": " << w.message << "\n";
    ReferenceEvaluator ref(std::move(*net));
    std::string from = p.vm["from"].as<std::string>();
    if (from != "auto" && from != "internet" && from.rfind("eni-", 0) != 0 && from.rfind("tgw-attach-", 0) != 0 &&
        from.rfind("vgw-", 0) != 0 && from.rfind("pcx-", 0) != 0) {
        err << "vpcfw explain: --from must be auto, internet, or an eni-/tgw-attach-/vgw-/pcx- id, not '" << from << "'\n";
        return kExitUsage;
    }
    double t = p.vm["at"].as<double>();
    bool json = p.vm.count("json") > 0;
    for (size_t i = 0; i < parsed.size(); ++i) {
        Decision d = ref.evaluate(parsed[i], from, t + static_cast<double>(i));
        if (json) {
            nlohmann::json j = decision_json(d);
            nlohmann::json trace = nlohmann::json::array();
            for (const auto& s : d.trace)
                trace.push_back({{"hop", s.hop}, {"layer", s.layer}, {"verdict", s.verdict}, {"rule", s.rule}, {"detail", s.detail}});
            j["trace"] = trace;
            out << j.dump() << "\n";
        } else {
            if (i) out << "\n";
            out << decision_text(d);
        }
    }
    return kExitOk;
}

int cmd_scenario(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw scenario [--json] FILE...\n\n"
        "Runs scenario files (INTERFACE.md \"Scenario files\"): each step's packet is evaluated\n"
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
            err << "vpcfw scenario: " << r.error().str() << "\n";
            code = kExitUsage;
            continue;
        }
        for (const auto& s : r->steps) {
            if (json) {
                out << nlohmann::json{{"file", f}, {"step", s.step}, {"pass", s.pass}, {"expect", s.expect}, {"got", s.got}}.dump()
                    << "\n";
            } else if (!s.pass) {
                out << "FAIL " << f << " step " << s.step << ": " << s.message << "\n";
                if (s.got.is_object() && s.got.contains("flow"))
                    out << "     got " << s.got.dump() << "\n";
            } else if (verbose) {
                out << "ok   " << f << " step " << s.step << "\n";
            }
        }
        passed += r->passed();
        failed += r->failed();
    }
    if (!json) out << files.size() << " files: " << passed << " passed, " << failed << " failed\n";
    if (failed && code == kExitOk) code = kExitFail;
    return code;
}

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
        ("json", "findings as JSON lines");
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
    auto net = load_network(path);
    if (!net) {
        err << "vpcfw check: " << net.error().str() << "\n";
        return kExitUsage;
    }
    bool json = p.vm.count("json") > 0;
    auto findings = lint_network(*net);
    size_t errors = 0, warnings = 0;
    for (const auto& w : net->warnings) {
        ++warnings;
        if (json)
            out << nlohmann::json{{"severity", "warning"}, {"code", "load-warning"}, {"object", w.file + (w.where.empty() ? "" : ":" + w.where)},
                                  {"message", w.message}}.dump() << "\n";
        else
            out << "warning  load-warning  " << w.file << (w.where.empty() ? "" : ":" + w.where) << "  " << w.message << "\n";
    }
    for (const auto& f : findings) {
        if (f.severity == Severity::Error) ++errors;
        if (f.severity == Severity::Warning) ++warnings;
        if (json)
            out << nlohmann::json{{"severity", severity_name(f.severity)}, {"code", f.code}, {"object", f.object}, {"message", f.message}}.dump()
                << "\n";
        else
            out << severity_name(f.severity) << "  " << f.code << "  " << f.object << "  " << f.message << "\n";
    }
    if (!json) {
        const Network& n = *net;
        out << path << ": " << n.vpcs.size() << " VPCs, " << n.subnets.size() << " subnets, " << n.enis.size()
            << " network interfaces, " << n.security_groups.size() << " security groups, " << n.network_acls.size()
            << " network ACLs, " << n.route_tables.size() << " route tables; " << errors << " errors, " << warnings
            << " warnings\n";
    }
    return errors ? kExitFail : kExitOk;
}

// ---- replay and gen-trace ---------------------------------------------------------------

int cmd_replay(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw replay --network NET --pcap IN [options]\n\n"
        "Runs every packet of a pcap/pcapng capture through the network, in order, with the\n"
        "packet timestamps as the clock: each packet gets a decision (ACCEPT with its\n"
        "destination, or DROP with the layer and rule), optionally written as decisions JSONL,\n"
        "AWS VPC Flow Logs and accepted/dropped captures. Prints a summary table on stdout.\n"
        "Output is identical for any --workers and for either engine. docs/replay.md has the\n"
        "details.\n\noptions");
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(), "the network: a bundle file or a directory")
        ("pcap,r", po::value<std::string>(), "the capture to replay (pcap or pcapng, any common link type)")
        ("workers,w", po::value<unsigned>()->default_value(1), "worker threads (flows are spread by a symmetric hash)")
        ("engine", po::value<std::string>(), "compiled | reference (default: compiled where available, else reference)")
        ("from,f", po::value<std::string>()->default_value("auto"), "origin of every packet: auto (source MAC, then IP), an ENI id, internet, tgw-attach-/vgw-/pcx- id")
        ("decisions", po::value<std::string>(), "write one JSON decision per packet (JSONL) to this file")
        ("flow-logs", po::value<std::string>(), "write AWS VPC Flow Logs records to this file")
        ("flow-log-format", po::value<std::string>(), "record fields in AWS's syntax, e.g. '${version} ${interface-id} ${srcaddr} ${action}' (default: the version 2 fields)")
        ("flow-log-interval", po::value<int>()->default_value(600), "aggregation interval in seconds: 600 (AWS default) or 60")
        ("accepted", po::value<std::string>(), "write the accepted packets as pcapng (a comment per packet names the decision)")
        ("dropped", po::value<std::string>(), "write the dropped packets as pcapng (a comment per packet names the decision)")
        ("summary-json", po::value<std::string>(), "write the summary as one JSON object to this file")
        ("progress", "progress bar on stderr even when it is not a terminal")
        ("no-progress", "no progress bar")
        ("chunk-frames", po::value<size_t>()->default_value(65536), "frames read and evaluated at a time (memory vs. overlap)");
    Parsed p;
    if (!parse(args, desc, nullptr, p, err, "replay")) return kExitUsage;
    if (p.help) {
        out << desc << "\n";
        return kExitOk;
    }
    if (!p.vm.count("network") || !p.vm.count("pcap")) {
        err << "vpcfw replay: --network NET and --pcap IN are required (see `vpcfw replay --help`)\n";
        return kExitUsage;
    }
    ReplayOptions opt;
    opt.pcap = p.vm["pcap"].as<std::string>();
    opt.workers = p.vm["workers"].as<unsigned>();
    if (opt.workers < 1 || opt.workers > 64) {
        err << "vpcfw replay: --workers must be between 1 and 64\n";
        return kExitUsage;
    }
    bool engineGiven = p.vm.count("engine") > 0;
    std::string engine = engineGiven ? p.vm["engine"].as<std::string>() : "compiled";
    if (engine != "compiled" && engine != "reference") {
        err << "vpcfw replay: --engine must be compiled or reference, not '" << engine << "'\n";
        return kExitUsage;
    }
    opt.engine = engine == "compiled" ? EngineKind::Compiled : EngineKind::Reference;
    opt.from = p.vm["from"].as<std::string>();
    auto str = [&](const char* k) { return p.vm.count(k) ? p.vm[k].as<std::string>() : std::string(); };
    opt.decisions = str("decisions");
    opt.flow_logs = str("flow-logs");
    opt.flow_log_format = str("flow-log-format");
    opt.flow_log_interval = p.vm["flow-log-interval"].as<int>();
    if (opt.flow_log_interval != 60 && opt.flow_log_interval != 600) {
        err << "vpcfw replay: --flow-log-interval must be 60 or 600 (AWS's aggregation intervals)\n";
        return kExitUsage;
    }
    if (!opt.flow_log_format.empty() && opt.flow_logs.empty()) {
        err << "vpcfw replay: --flow-log-format needs --flow-logs OUT\n";
        return kExitUsage;
    }
    opt.accepted = str("accepted");
    opt.dropped = str("dropped");
    opt.chunk_frames = std::max<size_t>(1, p.vm["chunk-frames"].as<size_t>());
    opt.progress = p.vm.count("progress") ? true : p.vm.count("no-progress") ? false : isatty(STDERR_FILENO) == 1;
    std::string summaryPath = str("summary-json");

    auto t0 = std::chrono::steady_clock::now();
    auto net = load_network(p.vm["network"].as<std::string>());
    if (!net) {
        err << "vpcfw replay: " << net.error().str() << "\n";
        return kExitUsage;
    }
    for (const auto& w : net->warnings) err << "warning: " << w.file << (w.where.empty() ? "" : ":" + w.where) << ": " << w.message << "\n";
    double loadS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    double compileS = 0;
    if (opt.engine == EngineKind::Compiled) {
        auto t1 = std::chrono::steady_clock::now();
        Status eal = ensure_eal();
        if (!eal && !engineGiven) {
            err << "note: " << eal.error().message << "; running the reference engine\n";
            opt.engine = EngineKind::Reference;
        } else if (!eal) {
            err << "vpcfw replay: " << eal.error().message << "\n";
            return kExitRuntime;
        } else {
            auto rs = compile_ruleset(*net, opt.settings);
            if (!rs) {
                err << "vpcfw replay: compiling the network: " << rs.error().str() << "\n";
                return kExitRuntime;
            }
            opt.compiled = *rs;
        }
        compileS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    }
    auto run = run_replay(*net, opt, err);
    if (!run) {
        err << "vpcfw replay: " << (run.error().file.empty() ? "" : run.error().file + ": ") << run.error().message << "\n";
        return run.error().exit_code();
    }
    run->load_s = loadS;
    run->compile_s = compileS;
    print_summary(*run, out);
    if (!summaryPath.empty()) {
        std::ofstream f(summaryPath);
        f << summary_json(*run).dump(2) << "\n";
        if (!f) {
            err << "vpcfw replay: " << summaryPath << ": cannot write the summary\n";
            return kExitRuntime;
        }
    }
    return kExitOk;
}

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
    if (opt.packets == 0 || !(opt.duration > 0)) {
        err << "vpcfw gen-trace: --packets and --duration must be positive\n";
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

} // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.empty()) {
        err << kUsage;
        return kExitUsage;
    }
    const std::string& cmd = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            out << kUsage;
            return kExitOk;
        }
        if (cmd == "--version") {
            out << kVersion << "\n";
            return kExitOk;
        }
        if (cmd == "explain") return cmd_explain(rest, out, err);
        if (cmd == "scenario") return cmd_scenario(rest, out, err);
        if (cmd == "check") return cmd_check(rest, out, err);
        if (cmd == "compile") return cmd_compile(rest, out, err);
        if (cmd == "replay") return cmd_replay(rest, out, err);
        if (cmd == "gen-trace") return cmd_gen_trace(rest, out, err);
        if (cmd == "run") return cmd_run(rest, out, err);
        if (cmd == "ctl") return cmd_ctl(rest, out, err);
    } catch (const std::exception& e) {
        err << "vpcfw " << cmd << ": internal error: " << e.what() << "\n";
        return kExitRuntime;
    }
    err << "vpcfw: unknown command '" << cmd << "'\n\n" << kUsage;
    return kExitUsage;
}

} // namespace vpcfw
