// Table and JSON renderings of a `vpcfw bench` run (bench/report.hpp).
#include "bench/report.hpp"

#include <cstdio>
#include <fstream>
#include <ostream>
#include <thread>

namespace vpcfw::bench {

namespace {

nlohmann::json case_json(const CaseFigure& c) {
    nlohmann::json w = nlohmann::json::array();
    for (const auto& f : c.workers)
        w.push_back({{"worker", f.worker}, {"packets", f.packets}, {"mpps", f.mpps}, {"cycles_per_packet", f.cycles_per_packet}});
    return {{"name", c.name}, {"seconds", c.seconds}, {"packets", c.packets}, {"bytes", c.bytes},
            {"accepted", c.accepted}, {"dropped", c.dropped}, {"flow_cache_hits", c.flow_cache_hits},
            {"flow_cache_misses", c.flow_cache_misses}, {"conntrack_full", c.conntrack_full},
            {"drops_by_layer", c.drops_by_layer}, {"mpps", c.mpps}, {"gbps", c.gbps},
            {"cycles_per_packet", c.cycles_per_packet}, {"bursts", c.bursts},
            {"burst_latency_us", {{"p50", c.burst_p50_us}, {"p99", c.burst_p99_us}, {"p99_9", c.burst_p999_us}}},
            {"workers", w}};
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

const CaseFigure* find_case(const RunFigures& r, const std::string& name) {
    for (const auto& c : r.cases)
        if (c.name == name) return &c;
    return nullptr;
}

nlohmann::json limit_json(const LimitFigure& l) {
    if (!l.measured) return nullptr;
    return {{"capacity_per_worker", l.capacity_per_worker}, {"reached", l.reached},
            {"seconds_to_refusal", l.seconds_to_refusal}, {"bound_seconds", l.bound_seconds},
            {"rss_at_limit_bytes", l.rss_at_limit_bytes}, {"rss_after_bytes", l.rss_after_bytes}};
}

} // namespace

nlohmann::json machine_json() {
    std::string cpu;
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    uint64_t huge = 0;
    std::ifstream mi("/proc/meminfo");
    for (std::string line; std::getline(mi, line);)
        if (line.rfind("HugePages_Free:", 0) == 0) huge = std::strtoull(line.c_str() + 15, nullptr, 10);
    return {{"cpu", cpu}, {"cpus", std::thread::hardware_concurrency()}, {"hugepages", false},
            {"hugepages_free", huge}};
}

nlohmann::json to_json(const RunContext& ctx, const CompileFigure& c, const RunFigures& r) {
    nlohmann::json cases = nlohmann::json::array();
    for (const auto& k : r.cases) cases.push_back(case_json(k));
    nlohmann::json updates = nlohmann::json::array();
    for (const auto& u : r.updates)
        updates.push_back({{"what", u.what}, {"samples", u.samples}, {"compile_ms_median", u.compile_ms_median},
                           {"to_all_workers_ms_median", u.to_all_workers_ms_median},
                           {"to_all_workers_ms_max", u.to_all_workers_ms_max}, {"error", u.error}});
    nlohmann::json m = machine_json();
    m["acl_method"] = r.acl_method;
    m["tsc_hz"] = r.tsc_hz;
    const CaseFigure& mixed = r.cases.at(0);
    nlohmann::json ratios = {
        {"mixed_mpps_vs_forward", ratio(mixed.mpps, r.forward.mpps)},
        {"established_cycles_vs_raw_acl", ratio(r.cycles_established, r.raw_acl_cycles_per_lookup)},
        {"new_cycles_vs_raw_acl", ratio(r.cycles_new, r.raw_acl_cycles_per_lookup)},
    };
    return {
        {"network", ctx.network},
        {"machine", m},
        {"options", {{"workers", ctx.workers}, {"seconds", ctx.seconds}, {"flows", ctx.flows},
                     {"new_flow_ratio", ctx.new_flow_ratio}, {"packet_size", ctx.packet_size}}},
        {"compile", {{"load_ms", c.load_ms}, {"compile_ms", c.compile_ms}, {"acl_build_ms", c.acl_build_ms},
                     {"route_build_ms", c.route_build_ms}, {"peak_rss_delta_bytes", c.peak_rss_delta_bytes},
                     {"nacl_entries", c.nacl_entries}, {"sg_rules", c.sg_rules}, {"tables", c.tables},
                     {"memory_bytes", c.memory_bytes}}},
        {"traffic", {{"source", ctx.traffic}, {"templates", ctx.templates}, {"sessions", ctx.sessions},
                     {"ipv6_templates", ctx.ipv6}, {"mean_frame_bytes", ctx.mean_frame_bytes},
                     {"flows", r.flows}, {"variants", r.variants}}},
        {"cases", cases},
        {"cycles_per_packet", {{"established", r.cycles_established}, {"new", r.cycles_new}, {"drop", r.cycles_drop}}},
        {"baselines", {{"forward", {{"packets", r.forward.packets}, {"seconds", r.forward.seconds},
                                    {"mpps", r.forward.mpps}, {"gbps", r.forward.gbps}}},
                       {"raw_acl", {{"method", r.acl_method}, {"batch", r.acl_batch}, {"lookups", r.raw_acl_lookups},
                                    {"cycles_per_lookup", r.raw_acl_cycles_per_lookup},
                                    {"mlookups_per_second", r.raw_acl_mlookups}}}}},
        {"ratios", ratios},
        {"updates", updates},
        {"conntrack_limit", limit_json(r.limit)},
    };
}

void print_table(std::ostream& out, const RunContext& ctx, const CompileFigure& c, const RunFigures& r) {
    char line[512];
    out << "vpcfw bench " << ctx.network << ": " << ctx.workers << " worker(s), " << ctx.seconds << " s per case, "
        << r.flows << " flows, rte_acl " << r.acl_method << "\n";
    std::snprintf(line, sizeof line,
                  "compile: %.1f ms (rte_acl %.1f ms), peak memory +%.1f MiB; %llu NACL entries, %llu SG rules -> "
                  "%llu+%llu NACL, %llu+%llu SG rte_acl rules (v4+v6)\n",
                  c.compile_ms, c.acl_build_ms, c.peak_rss_delta_bytes / 1048576.0, (unsigned long long)c.nacl_entries,
                  (unsigned long long)c.sg_rules, (unsigned long long)c.tables.at("nacl_acl_rules4"),
                  (unsigned long long)c.tables.at("nacl_acl_rules6"), (unsigned long long)c.tables.at("sg_acl_rules4"),
                  (unsigned long long)c.tables.at("sg_acl_rules6"));
    out << line;
    out << "traffic: " << ctx.traffic << "; " << ctx.templates << " templates, " << ctx.sessions << " sessions, "
        << ctx.ipv6 << " IPv6\n\n";
    std::snprintf(line, sizeof line, "%-20s %10s %8s %8s %10s %8s %8s %9s %9s %9s\n", "case", "packets", "Mpps", "Gbit/s",
                  "cyc/pkt", "hits%", "drop%", "p50 us", "p99 us", "p99.9 us");
    out << line;
    for (const auto& k : r.cases) {
        double n = k.packets ? double(k.packets) : 1;
        std::snprintf(line, sizeof line, "%-20s %10llu %8.3f %8.3f %10.0f %8.1f %8.1f %9.1f %9.1f %9.1f\n", k.name.c_str(),
                      (unsigned long long)k.packets, k.mpps, k.gbps, k.cycles_per_packet, 100.0 * k.flow_cache_hits / n,
                      100.0 * k.dropped / n, k.burst_p50_us, k.burst_p99_us, k.burst_p999_us);
        out << line;
    }
    out << "\nbaselines (same run):\n";
    std::snprintf(line, sizeof line, "  forward loop, same ports and stream: %.3f Mpps; mixed / forward = %.3f\n",
                  r.forward.mpps, ratio(r.cases.at(0).mpps, r.forward.mpps));
    out << line;
    std::snprintf(line, sizeof line,
                  "  raw rte_acl_classify (%s, batch %u, same compiled rules): %.0f cycles/lookup, %.2f M lookups/s\n",
                  r.acl_method.c_str(), r.acl_batch, r.raw_acl_cycles_per_lookup, r.raw_acl_mlookups);
    out << line;
    std::snprintf(line, sizeof line,
                  "cycles/packet: established %.0f (x%.1f raw rte_acl), new %.0f (x%.1f), drop %.0f\n", r.cycles_established,
                  ratio(r.cycles_established, r.raw_acl_cycles_per_lookup), r.cycles_new,
                  ratio(r.cycles_new, r.raw_acl_cycles_per_lookup), r.cycles_drop);
    out << line;
    if (const LimitFigure& l = r.limit; l.measured) {
        const CaseFigure* fl = find_case(r, "flood");
        const CaseFigure* est = find_case(r, "established-at-limit");
        const CaseFigure* before = find_case(r, "established");
        if (l.reached && fl && est && before) {
            auto share = [](const CaseFigure& c) { return c.packets ? 100.0 * c.accepted / c.packets : 0.0; };
            std::snprintf(line, sizeof line,
                          "connection table at its limit (%llu entries per worker, first refusal after %.2f s of SYN flood):\n"
                          "  flood: %llu new flows refused (layer conntrack); established flows at the limit: %.1f%% "
                          "accepted (%.1f%% before the flood); memory %+.1f MiB after the limit\n",
                          (unsigned long long)l.capacity_per_worker, l.seconds_to_refusal,
                          (unsigned long long)fl->conntrack_full, share(*est), share(*before),
                          (double(l.rss_after_bytes) - double(l.rss_at_limit_bytes)) / 1048576.0);
        } else {
            std::snprintf(line, sizeof line,
                          "connection table: limit (%llu entries per worker) not reached in %.0f s of SYN flood (the "
                          "flood's flows are untracked, or too few per second; see --capacity)\n",
                          (unsigned long long)l.capacity_per_worker, l.bound_seconds);
        }
        out << line;
    }
    for (const auto& u : r.updates) {
        std::snprintf(line, sizeof line, "update: %s -> every worker on it: median %.1f ms, max %.1f ms (compile %.1f ms), %u samples\n",
                      u.what.c_str(), u.to_all_workers_ms_median, u.to_all_workers_ms_max, u.compile_ms_median, u.samples);
        out << line;
        if (!u.error.empty()) out << "  stopped: " << u.error << "\n";
    }
}

} // namespace vpcfw::bench
