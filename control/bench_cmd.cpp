// `vpcfw bench` (control/commands.hpp): options, input checks, the compile figures, one run
// or a sweep of runs; the machinery is bench/ (traffic, runner, inflate, sweep, plot,
// report). Docs: docs/bench.md.
#include "control/commands.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>

#include <unistd.h>

#include "bench/inflate.hpp"
#include "bench/plot.hpp"
#include "bench/report.hpp"
#include "bench/runner.hpp"
#include "bench/sweep.hpp"
#include "bench/traffic.hpp"
#include "control/cli_options.hpp"
#include "control/compile_cmd.hpp"
#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "ruleset/loader.hpp"

namespace po = boost::program_options;

namespace vpcfw {

namespace {

struct PointOptions {
    std::string network, classbench, trace;
    uint64_t rules = 0;            // ClassBench-derived rules added
    bench::RunnerOptions runner;
    uint32_t packet_size = 0;
};

// One measured point: inflate, compile (time, peak memory, tables), traffic, the run.
Result<bench::SweepPoint> measure_point(const Network& base, const PointOptions& po, std::ostream& err) {
    bench::SweepPoint pt;
    Network net = base;
    if (po.rules) {
        auto inf = bench::inflate(net, {po.rules, po.classbench, 1});
        if (!inf) return inf.error();
    }
    bench::CompileFigure& cf = pt.compile;
    for (const auto& a : net.network_acls) cf.nacl_entries += a.entries.size();
    for (const auto& g : net.security_groups) cf.sg_rules += g.ingress.size() + g.egress.size();
    // Reset the peak (Linux: clear_refs 5) so that each point of a sweep has its own.
    if (std::ofstream clear("/proc/self/clear_refs"); clear) clear << "5";
    uint64_t hwm0 = bench::proc_status_bytes("VmHWM");
    auto rs = compile_ruleset(net, Settings{}, {});
    if (!rs) {
        // Table widths and memory limits are properties of the input: the message names them.
        Error e = rs.error();
        e.message = "cannot compile " + po.network + (po.rules ? " with " + std::to_string(po.rules) + " rules added" : "") +
                    ": " + e.message;
        e.kind = ErrorKind::Input;
        return e;
    }
    cf.peak_rss_delta_bytes = bench::proc_status_bytes("VmHWM") - hwm0;
    const CompileStats& s = (*rs)->stats();
    cf.compile_ms = s.compile_ms;
    cf.acl_build_ms = s.acl_build_ms;
    cf.route_build_ms = s.route_build_ms;
    cf.tables = {{"nacl_acl_rules4", s.nacl_rules4}, {"nacl_acl_rules6", s.nacl_rules6}, {"sg_acl_rules4", s.sg_rules4},
                 {"sg_acl_rules6", s.sg_rules6}, {"group_sets", s.group_sets}, {"remote_sets", s.remote_sets},
                 {"routes4", s.routes4}, {"routes6", s.routes6}, {"tgw_routes", s.tgw_routes},
                 {"addresses", s.addresses}, {"names", s.names}};
    cf.memory_bytes = {{"acl", s.acl_bytes}, {"routes", s.route_bytes}, {"maps", s.map_bytes}, {"names", s.name_bytes},
                       {"total", s.acl_bytes + s.route_bytes + s.map_bytes + s.name_bytes}};

    // Traffic from the network as given (the same at every point of a rules sweep).
    bench::TrafficOptions to;
    to.trace = po.trace;
    to.packet_size = po.packet_size;
    auto traffic = bench::make_traffic(base, to);
    if (!traffic) return traffic.error();
    bench::RunnerOptions ro = po.runner;
    AclAlgorithm alg = (*rs)->acl().algorithm();
    ro.compile = [alg](const Network& n, const CompiledRuleset* prev) {
        return compile_ruleset(n, Settings{}, {.algorithm = alg, .previous = prev});
    };
    auto run = bench::run_cases(net, *rs, *traffic, ro, err);
    if (!run) return run.error();
    pt.run = std::move(*run);
    pt.run.acl_method = acl_method_name(alg);
    bench::RunContext& ctx = pt.ctx;
    ctx.network = po.network;
    ctx.traffic = traffic->source;
    ctx.workers = ro.workers;
    ctx.seconds = ro.seconds;
    ctx.new_flow_ratio = ro.new_flow_ratio;
    ctx.flows = ro.flows;
    ctx.packet_size = po.packet_size;
    ctx.templates = traffic->templates.size();
    ctx.sessions = traffic->sessions;
    ctx.ipv6 = traffic->ipv6;
    ctx.mean_frame_bytes = double(traffic->bytes) / traffic->templates.size();
    return pt;
}

} // namespace

int cmd_bench(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw bench --network NET [--workers N] [--seconds S] [--flows N] [--new-flow-ratio R]\n"
        "            [--packet-size B] [--trace PCAP] [--rules N] [--classbench FILE]\n"
        "            [--sweep PARAM=V1,V2,... [--svg FILE]] [--json]\n\n"
        "Measures a network's rule set under load on this machine: compile time, peak memory and\n"
        "table sizes; then the real live worker over DPDK ring ports (no NIC, no hugepages) fed\n"
        "with traffic generated from the network (or --trace): Mpps, Gbit/s and cycles per packet\n"
        "for a mixed case, established flows, new flows and denied traffic, burst latency\n"
        "percentiles; a SYN flood to the connection-table limit (--capacity), then established\n"
        "flows at the limit; the time an `apply` and a reload take to reach every worker; beside them a\n"
        "plain forwarding loop over the same ports and raw rte_acl classification of the same\n"
        "compiled rules, from the same run, and the ratios. --sweep rules=1k,10k (ClassBench-\n"
        "derived NACL entries and SG rules added), flows=... or workers=...: one line per point,\n"
        "--svg draws them with gnuplot. Details: docs/bench.md.\n\noptions");
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(), "the network: a bundle file or a directory")
        ("workers", po::value<int64_t>()->default_value(1), "worker threads (1..64)")
        ("seconds", po::value<double>()->default_value(1.0), "seconds per case (0 < S <= 3600)")
        ("flows", po::value<int64_t>()->default_value(10000), "distinct flows of the warm set (1..100M)")
        ("new-flow-ratio", po::value<double>()->default_value(0.1), "share of the mixed case's sessions that are new (0..1)")
        ("packet-size", po::value<int64_t>()->default_value(0), "pad frames to B bytes (0: as generated; 60..9000)")
        ("trace", po::value<std::string>(), "a pcap/pcapng to send instead of generated traffic")
        ("capacity", po::value<int64_t>()->default_value(1 << 18), "connection-table entries per worker (1k..64M)")
        ("rules", po::value<std::string>(), "add N ClassBench-derived rules (NACL entries + SG rules; e.g. 10k)")
        ("classbench", po::value<std::string>(), "the ClassBench filter file for --rules/--sweep rules (default: bundled generator)")
        ("sweep", po::value<std::string>(), "rules=V,...  flows=V,...  workers=V,...  (at most 16 points)")
        ("svg", po::value<std::string>(), "with --sweep: draw it to this SVG file (gnuplot)")
        ("json", "one JSON document on stdout (docs/bench.md)");
    Parsed p;
    if (!parse(args, desc, nullptr, p, err, "bench")) return kExitUsage;
    if (p.help) {
        out << desc << "\n";
        return kExitOk;
    }
    auto bad = [&](const std::string& what) {
        err << "vpcfw bench: " << what << "\n";
        return kExitUsage;
    };
    if (!p.vm.count("network")) return bad("--network NET is required (see vpcfw bench --help)");
    int64_t workers = p.vm["workers"].as<int64_t>(), flows = p.vm["flows"].as<int64_t>();
    int64_t psize = p.vm["packet-size"].as<int64_t>(), capacity = p.vm["capacity"].as<int64_t>();
    double seconds = p.vm["seconds"].as<double>(), ratio = p.vm["new-flow-ratio"].as<double>();
    if (workers < 1 || workers > 64) return bad("--workers must be 1..64, not " + std::to_string(workers));
    if (!(seconds > 0) || !std::isfinite(seconds) || seconds > 3600)
        return bad("--seconds must be more than 0 and at most 3600");
    if (flows < 1 || flows > 100'000'000) return bad("--flows must be 1..100000000, not " + std::to_string(flows));
    if (!(ratio >= 0 && ratio <= 1)) return bad("--new-flow-ratio must be between 0 and 1");
    if (psize != 0 && (psize < 60 || psize > 9000)) return bad("--packet-size must be 0 or 60..9000, not " + std::to_string(psize));
    if (capacity < 1024 || capacity > (int64_t{1} << 26)) return bad("--capacity must be 1024..67108864");
    PointOptions pt;
    pt.network = p.vm["network"].as<std::string>();
    if (p.vm.count("trace")) pt.trace = p.vm["trace"].as<std::string>();
    if (p.vm.count("classbench")) pt.classbench = p.vm["classbench"].as<std::string>();
    if (p.vm.count("rules")) {
        auto n = bench::parse_count(p.vm["rules"].as<std::string>());
        if (!n || *n > 1'000'000) return bad("--rules must be a count 0..1M (e.g. 10k), not '" + p.vm["rules"].as<std::string>() + "'");
        pt.rules = *n;
    }
    std::optional<bench::SweepSpec> sweep;
    if (p.vm.count("sweep")) {
        auto s = bench::parse_sweep(p.vm["sweep"].as<std::string>());
        if (!s) return bad(s.error().message);
        sweep = *s;
    }
    if (p.vm.count("svg") && !sweep) return bad("--svg needs --sweep");
    pt.packet_size = static_cast<uint32_t>(psize);
    pt.runner.workers = static_cast<unsigned>(workers);
    pt.runner.seconds = seconds;
    pt.runner.flows = static_cast<uint64_t>(flows);
    pt.runner.new_flow_ratio = ratio;
    pt.runner.capacity = static_cast<size_t>(capacity);
    pt.runner.progress = isatty(STDERR_FILENO) && &err == &std::cerr;

    auto t0 = std::chrono::steady_clock::now();
    auto net = load_network(pt.network);
    if (!net) return bad(net.error().str());
    double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::vector<std::string> eal = default_eal_args();
    // Room for three ruleset versions at once (the update-latency cases publish successors).
    for (size_t i = 0; i + 1 < eal.size(); ++i)
        if (eal[i] == "-m") eal[i + 1] = "2048";
    eal.push_back("--file-prefix=vpcfw-bench-" + std::to_string(getpid()));
    if (Status s = ensure_eal(eal); !s) {
        err << "vpcfw bench: " << s.error().message << "\n";
        return kExitRuntime;
    }
    auto fail = [&](const Error& e) {
        err << "vpcfw bench: " << e.str() << "\n";
        return e.exit_code();
    };

    if (!sweep) {
        auto r = measure_point(*net, pt, err);
        if (!r) return fail(r.error());
        r->compile.load_ms = load_ms;
        if (p.vm.count("json")) out << bench::to_json(r->ctx, r->compile, r->run).dump(2) << "\n";
        else bench::print_table(out, r->ctx, r->compile, r->run);
        return kExitOk;
    }
    std::vector<bench::SweepPoint> points;
    bool json = p.vm.count("json") > 0;
    if (!json) {
        out << "vpcfw bench " << pt.network << ": sweep of " << sweep->param << ", " << workers << " worker(s), " << seconds
            << " s per case (figures of the same run on each line)\n";
        bench::print_sweep_header(out, *sweep);
    }
    for (uint64_t v : sweep->values) {
        PointOptions q = pt;
        q.runner.updates = false;
        q.runner.flood = false;
        if (sweep->param == "rules") q.rules = v;
        if (sweep->param == "flows") q.runner.flows = v;
        if (sweep->param == "workers") q.runner.workers = static_cast<unsigned>(v);
        auto r = measure_point(*net, q, err);
        if (!r) return fail(r.error());
        r->value = v;
        r->compile.load_ms = load_ms;
        if (!json) bench::print_sweep_line(out, *sweep, *r);
        points.push_back(std::move(*r));
    }
    if (json) out << bench::sweep_json(*sweep, points).dump(2) << "\n";
    if (p.vm.count("svg")) {
        std::string svg = p.vm["svg"].as<std::string>();
        if (Status s = bench::plot_sweep(*sweep, points, "vpcfw bench " + pt.network + ": " + sweep->param, svg); !s)
            return fail(s.error());
        if (!json) out << "wrote " << svg << "\n";
    }
    return kExitOk;
}

} // namespace vpcfw
