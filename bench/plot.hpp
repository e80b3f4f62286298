// The picture of a sweep (`vpcfw bench --sweep ... --svg FILE`), drawn by gnuplot (svg
// terminal): left, Mpps against the swept value — established and new flows, the plain
// forwarding loop beside them; right, TSC cycles per packet — established and new, raw
// rte_acl cycles per lookup beside them. A log x axis for rules and flows. The data and
// the script go through a temporary directory; gnuplot must be on PATH. Cold.
#pragma once

#include <string>
#include <vector>

#include "bench/sweep.hpp"
#include "ruleset/status.hpp"

namespace vpcfw::bench {

// Errors (exit 3): gnuplot missing or failing, the file not written.
Status plot_sweep(const SweepSpec& s, const std::vector<SweepPoint>& points, const std::string& title,
                  const std::string& svg_path);

} // namespace vpcfw::bench
