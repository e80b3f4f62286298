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
#include "control/replay_report.hpp"
#include "pcap/output_sink.hpp"
#include "pcap/replay.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/output_text.hpp"

namespace po = boost::program_options;

namespace vpcfw {

int cmd_replay(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw replay --network NET --pcap IN [options] [FILTER...]\n"
        "vpcfw replay [NET] CAPTURE [FILTER...]\n\n"
        "Runs every packet of a pcap/pcapng capture through the network, in order, with the\n"
        "packet timestamps as the clock: each packet gets a decision (ACCEPT with its\n"
        "destination, or DROP with the layer and rule), optionally written as decisions JSONL,\n"
        "AWS VPC Flow Logs and accepted/dropped captures. Prints a summary table on stdout\n"
        "(on stderr when an output is `-`). The capture is read as tcpdump reads it: a file,\n"
        "`-` for standard input, a pipe, gzip or zstd compressed. FILTER is a tcpdump filter\n"
        "expression (e.g. 'tcp port 443'); packets it rejects are counted as filtered, not\n"
        "judged. Output is identical for any --workers and for either engine, unless a\n"
        "connection table reaches its capacity (the summary then says so). docs/replay.md\n"
        "has the details.\n\noptions");
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(), "the network: a bundle file or a directory")
        ("pcap,r", po::value<std::string>(), "the capture: pcap or pcapng (any common link type), a file, - (stdin) or a pipe; gzip/zstd or not")
        ("count,c", po::value<uint64_t>(), "stop after N judged packets (as tcpdump -c)")
        ("workers,w", po::value<unsigned>()->default_value(1), "worker threads (flows are spread by a symmetric hash)")
        ("engine", po::value<std::string>(), "compiled | reference (default: compiled where available, else reference)")
        ("from,f", po::value<std::string>()->default_value("auto"), "origin of every packet: auto (source MAC, then IP), internet, a tgw-attach-/vgw-/pcx- id, or an ENI (its id, Name tag, instance id or Name tag, or private IP)")
        ("decisions", po::value<std::string>(), "write one JSON decision per packet (JSONL) to this file (- for stdout)")
        ("flow-logs", po::value<std::string>(), "write AWS VPC Flow Logs records to this file (- for stdout)")
        ("flow-log-format", po::value<std::string>(), "record fields in AWS's syntax, e.g. '${version} ${interface-id} ${srcaddr} ${action}' (default: the version 2 fields)")
        ("flow-log-interval", po::value<int>()->default_value(600), "aggregation interval in seconds: 600 (AWS default) or 60")
        ("accepted", po::value<std::string>(), "write the accepted packets as pcapng (a comment per packet names the decision; - for stdout)")
        ("dropped", po::value<std::string>(), "write the dropped packets as pcapng (a comment per packet names the decision; - for stdout)")
        ("summary-json", po::value<std::string>(), "write the summary as one JSON object to this file")
        ("report", po::value<std::string>(), "write a self-contained HTML page: summary, charts of drops and decisions over time, top flows, the layers diagram with packet counts (docs/diagram.md)")
        ("json", "print the summary as one JSON object on stdout instead of the table")
        ("quiet,q", "no warnings about files without network data (e.g. AvailabilityZones.json)")
        ("words", po::value<std::vector<std::string>>(), "[NET] CAPTURE and the filter expression")
        ("progress", "progress bar on stderr even when it is not a terminal")
        ("no-progress", "no progress bar")
        ("chunk-frames", po::value<size_t>()->default_value(1024), "frames read and evaluated at a time (small chunks stay in the CPU cache)")
        ("capacity", po::value<uint64_t>()->default_value(uint64_t{1} << 20), "connection-table entries, all workers together (each holds its share); 16..67108864");
    Parsed p;
    if (!parse(args, desc, "words", p, err, "replay")) return kExitUsage;
    if (p.help) {
        out << desc << "\n";
        return kExitOk;
    }
    // Positional words, as tcpdump and tshark take them: NET when --network is not given,
    // then CAPTURE when --pcap is not given, then the filter expression.
    std::vector<std::string> words = p.vm.count("words") ? p.vm["words"].as<std::vector<std::string>>() : std::vector<std::string>{};
    size_t w = 0;
    std::string network = p.vm.count("network") ? p.vm["network"].as<std::string>() : w < words.size() ? words[w++] : "";
    std::string capture = p.vm.count("pcap") ? p.vm["pcap"].as<std::string>() : w < words.size() ? words[w++] : "";
    if (network.empty() || capture.empty()) {
        err << "vpcfw replay: a network and a capture are required: --network NET --pcap IN, or NET CAPTURE (see `vpcfw replay --help`)\n";
        return kExitUsage;
    }
    ReplayOptions opt;
    opt.pcap = capture;
    for (; w < words.size(); ++w) opt.filter += (opt.filter.empty() ? "" : " ") + words[w];
    if (p.vm.count("count")) {
        opt.count = p.vm["count"].as<uint64_t>();
        if (opt.count == 0) {
            err << "vpcfw replay: -c/--count must be at least 1\n";
            return kExitUsage;
        }
    }
    opt.std_out = &out;
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
    uint64_t capacity = p.vm["capacity"].as<uint64_t>();
    if (capacity < 16 || capacity > (uint64_t{1} << 26)) {
        err << "vpcfw replay: --capacity must be between 16 and 67108864 entries\n";
        return kExitUsage;
    }
    opt.settings.conntrack_table_capacity = capacity;
    opt.progress = p.vm.count("progress") ? true : p.vm.count("no-progress") ? false : isatty(STDERR_FILENO) == 1;
    std::string summaryPath = str("summary-json");
    std::string reportPath = str("report");  // the report reads the decisions: a temporary file when not asked for
    if (!reportPath.empty() && is_stdout_path(opt.decisions)) {
        err << "vpcfw replay: --report reads the decisions back: give --decisions a file, or leave it out\n";
        return kExitUsage;
    }
    bool reportTemp = !reportPath.empty() && opt.decisions.empty();
    if (reportTemp) opt.decisions = reportPath + ".decisions.tmp";
    bool json = p.vm.count("json") > 0;
    // At most one output on standard output; the summary table then goes to stderr.
    int toStdout = 0;
    for (const auto* o : {&opt.decisions, &opt.flow_logs, &opt.accepted, &opt.dropped}) toStdout += is_stdout_path(*o);
    if (toStdout + (json ? 1 : 0) > 1) {
        err << "vpcfw replay: only one of --decisions, --flow-logs, --accepted, --dropped may be -, and not with --json\n";
        return kExitUsage;
    }
    std::ostream& summaryOut = toStdout ? err : out;

    auto t0 = std::chrono::steady_clock::now();
    auto net = load_network(network);
    if (!net) {
        err << "vpcfw replay: " << net.error().str() << "\n";
        return kExitUsage;
    }
    print_load_warnings(*net, p.vm.count("quiet") > 0, err);
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
                return rs.error().exit_code();
            }
            opt.compiled = *rs;
        }
        compileS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    }
    auto run = run_replay(*net, opt, err);
    if (!reportPath.empty()) {  // the page (control/replay_report.hpp), from the decisions just written
        Status st = run ? write_replay_report(*net, *run, opt.decisions, reportPath) : Status::Ok();
        if (reportTemp) std::remove(opt.decisions.c_str());
        if (!st) {
            err << "vpcfw replay: " << st.error().str() << "\n";
            return st.error().exit_code();
        }
    }
    if (!run) {
        err << "vpcfw replay: " << (run.error().file.empty() ? "" : run.error().file + ": ") << run.error().message << "\n";
        return run.error().exit_code();
    }
    run->load_s = loadS;
    run->compile_s = compileS;
    if (json) out << json_text(summary_json(*run)) << "\n";
    else print_summary(*run, summaryOut);
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
