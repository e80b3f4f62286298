// Sweep parameters and the renderings of their points (bench/sweep.hpp).
#include "bench/sweep.hpp"

#include <cstdio>
#include <ostream>

#include "bench/inflate.hpp"

namespace vpcfw::bench {

Result<SweepSpec> parse_sweep(const std::string& text) {
    auto bad = [&](const std::string& why) { return Error{"--sweep " + text + ": " + why, {}, {}, {}, ErrorKind::Input}; };
    auto eq = text.find('=');
    if (eq == std::string::npos) return bad("expected PARAM=V1,V2,... (PARAM: rules, flows, workers)");
    SweepSpec s;
    s.param = text.substr(0, eq);
    uint64_t lo = 1, hi = 0;
    if (s.param == "rules") lo = 0, hi = 1'000'000;
    else if (s.param == "flows") hi = 100'000'000;
    else if (s.param == "workers") hi = 64;
    else return bad("unknown parameter '" + s.param + "' (rules, flows, workers)");
    std::string rest = text.substr(eq + 1);
    size_t pos = 0;
    while (pos <= rest.size()) {
        size_t comma = rest.find(',', pos);
        std::string item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        auto v = parse_count(item);
        if (!v) return bad("'" + item + "' is not a count (e.g. 1000, 10k, 1M)");
        if (*v < lo || *v > hi)
            return bad(s.param + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", not " + std::to_string(*v));
        s.values.push_back(*v);
        if (s.values.size() > 16) return bad("at most 16 points");
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return s;
}

const CaseFigure& case_named(const RunFigures& r, const std::string& name) {
    static const CaseFigure none;
    for (const auto& c : r.cases)
        if (c.name == name) return c;
    return none;
}

void print_sweep_header(std::ostream& out, const SweepSpec& s) {
    char line[256];
    std::snprintf(line, sizeof line, "%-10s %10s %9s %9s %9s %9s %9s %9s %9s %9s %8s\n", s.param.c_str(), "compile ms",
                  "mem MiB", "est Mpps", "new Mpps", "fwd Mpps", "est cyc", "new cyc", "acl cyc", "est/acl", "mix/fwd");
    out << line;
}

void print_sweep_line(std::ostream& out, const SweepSpec& s, const SweepPoint& p) {
    (void)s;
    const RunFigures& r = p.run;
    const CaseFigure& est = case_named(r, "established");
    const CaseFigure& nw = case_named(r, "new");
    const CaseFigure& mix = case_named(r, "mixed");
    char line[256];
    std::snprintf(line, sizeof line, "%-10llu %10.1f %9.1f %9.3f %9.3f %9.3f %9.0f %9.0f %9.0f %9.2f %8.3f\n",
                  (unsigned long long)p.value, p.compile.compile_ms, p.compile.peak_rss_delta_bytes / 1048576.0, est.mpps,
                  nw.mpps, r.forward.mpps, r.cycles_established, r.cycles_new, r.raw_acl_cycles_per_lookup,
                  r.raw_acl_cycles_per_lookup > 0 ? r.cycles_established / r.raw_acl_cycles_per_lookup : 0,
                  r.forward.mpps > 0 ? mix.mpps / r.forward.mpps : 0);
    out << line << std::flush;
}

nlohmann::json sweep_json(const SweepSpec& s, const std::vector<SweepPoint>& points) {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : points) {
        nlohmann::json d = to_json(p.ctx, p.compile, p.run);
        pts.push_back({{"value", p.value}, {"run", d}});
    }
    return {{"sweep", s.param}, {"points", pts}};
}

} // namespace vpcfw::bench
