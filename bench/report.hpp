// Renderings of one `vpcfw bench` run (bench/result.hpp): the human table and the JSON
// document (fields in docs/bench.md, schema docs/schema/bench.schema.json). Cold.
#pragma once

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/result.hpp"

namespace vpcfw::bench {

struct RunContext {
    std::string network, traffic;
    unsigned workers = 1;
    double seconds = 0, new_flow_ratio = 0;
    uint64_t flows = 0;
    uint32_t packet_size = 0;
    uint64_t templates = 0, sessions = 0, ipv6 = 0;
    double mean_frame_bytes = 0;
};

// Machine facts: CPU model, online CPUs, hugepages free.
nlohmann::json machine_json();

nlohmann::json to_json(const RunContext& ctx, const CompileFigure& c, const RunFigures& r);
void print_table(std::ostream& out, const RunContext& ctx, const CompileFigure& c, const RunFigures& r);

} // namespace vpcfw::bench
