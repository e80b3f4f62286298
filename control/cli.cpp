// The `vpcfw` command line (control/cli.hpp): the usage text and the dispatch to the
// subcommands, one file each (control/commands.hpp, compile_cmd.hpp, run.hpp, ctl.hpp). Each
// parses its options (control/cli_options.hpp), loads what it needs and returns an exit code;
// errors reach the user as one line naming the file, the place and the problem.
#include "control/cli.hpp"

#include <exception>
#include <ostream>

#include "control/commands.hpp"
#include "control/compile_cmd.hpp"
#include "control/ctl.hpp"
#include "control/run.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

namespace {

const char* kVersion = "vpcfw " VPCFW_VERSION;

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
    "            [--accepted OUT.pcapng] [--dropped OUT.pcapng] [--summary-json OUT.json] [--report OUT.html]\n"
    "            [--json] [-c N] [FILTER]\n"
    "            every packet of a capture through the network: decisions, flow logs, captures\n"
    "            (also `replay NET CAPTURE [FILTER]`; CAPTURE may be - or gzip/zstd; OUT may be -)\n"
    "  rules     --network NET (--eni X | --subnet X) [--hits SUMMARY.json] [--json]\n"
    "            an ENI's or subnet's effective rules in AWS's order, with replay hit counts\n"
    "  gen-trace --network NET --out FILE [--packets N] [--seed S] [--duration SEC]\n"
    "            write a realistic capture for a network (demos, tests, benchmarks)\n"
    "  diagram   --network NET --view sg|layers|path [--vpc ID]... [--packet P [--from ORIGIN]] --out FILE\n"
    "            draw security-group chains, VPC layers or a packet's path (Graphviz: .svg, .png, .dot, -)\n"
    "  bench     --network NET [--workers N] [--seconds S] [--flows N] [--json] ...\n"
    "            the rule set under load: Mpps, cycles/packet, latency, update time, baselines\n"
    "  run       --network NET --port [NAME=]DEVARGS@ATTACH... [--workers N] [--control PATH] [-- EAL ARGS]\n"
    "            the network live between DPDK ports (NICs, veth via net_af_packet, ...)\n"
    "  ctl       --control PATH apply ACTION JSON | reload NET | stats | flows | explain PACKET\n"
    "            change rules of a running `vpcfw run` and read its state\n"
    "\n"
    "NET is a bundle of `aws ec2 describe-*` output (one JSON file) or a directory of such\n"
    "files (searched recursively). PACKET is e.g. 'tcp 10.0.1.10:40000 -> 10.0.2.20:443 flags=S'.\n"
    "ORIGIN is 'auto' (the default), 'internet', a tgw-attach-/vgw-/pcx- id, or an ENI: its id, its\n"
    "Name tag, its instance's id or Name tag, or a private IP. -q silences warnings about files\n"
    "without network data.\n"
    "\n"
    "exit codes: 0 success, 1 a scenario expectation failed or check found errors,\n"
    "            2 bad usage or bad input, 3 runtime failure\n"
    "\n"
    "`vpcfw COMMAND --help` describes each command.\n";

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
        if (cmd == "diagram") return cmd_diagram(rest, out, err);
        if (cmd == "rules") return cmd_rules(rest, out, err);
        if (cmd == "bench") return cmd_bench(rest, out, err);
        if (cmd == "run") return cmd_run(rest, out, err);
        if (cmd == "ctl") return cmd_ctl(rest, out, err);
        if (cmd == "complete") return cmd_complete(rest, out, err);   // hidden: shell completion
    } catch (const std::exception& e) {
        err << "vpcfw " << cmd << ": internal error: " << e.what() << "\n";
        return kExitRuntime;
    }
    err << "vpcfw: unknown command '" << cmd << "'\n\n" << kUsage;
    return kExitUsage;
}

} // namespace vpcfw
