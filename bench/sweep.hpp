// Sweeps of `vpcfw bench --sweep PARAM=V1,V2,...`: the parameter (rules, flows, workers),
// its values, and the renderings of a sweep's points (one table line per point, the JSON
// document: the parameter and one single-run document per point). The command
// (control/bench_cmd.cpp) runs the points; bench/plot.hpp draws them. Cold.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/report.hpp"
#include "bench/result.hpp"
#include "ruleset/status.hpp"

namespace vpcfw::bench {

struct SweepSpec {
    std::string param;             // "rules", "flows", "workers"
    std::vector<uint64_t> values;  // in the order given
};

// Parses "rules=1k,10k,100k". Errors name the problem (unknown parameter, a bad value,
// more than 16 points, a value out of the parameter's range).
Result<SweepSpec> parse_sweep(const std::string& text);

struct SweepPoint {
    uint64_t value = 0;
    RunContext ctx;
    CompileFigure compile;
    RunFigures run;
};

void print_sweep_header(std::ostream& out, const SweepSpec& s);
void print_sweep_line(std::ostream& out, const SweepSpec& s, const SweepPoint& p);
nlohmann::json sweep_json(const SweepSpec& s, const std::vector<SweepPoint>& points);

// A case's figure by name, or a zero figure.
const CaseFigure& case_named(const RunFigures& r, const std::string& name);

} // namespace vpcfw::bench
