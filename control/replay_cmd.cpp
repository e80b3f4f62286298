// `vpcfw replay` (control/commands.hpp): options of pcap/replay.hpp's driver, the ruleset
// compiled for the compiled engine, the progress bar's terminal check, the summary printed.
#include "control/commands.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "control/cli_options.hpp"
#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "pcap/replay.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/output_text.hpp"

namespace po = boost::program_options;

namespace vpcfw {

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
        f << json_text(summary_json(*run), 2) << "\n";
        if (!f) {
            err << "vpcfw replay: " << summaryPath << ": cannot write the summary\n";
            return kExitRuntime;
        }
    }
    return kExitOk;
}

} // namespace vpcfw
