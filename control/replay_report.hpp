// The page `vpcfw replay --report FILE.html` writes: one self-contained HTML file (every
// picture inline SVG, no script, no external reference) with the replay summary, drops by
// layer and by rule (gnuplot bar charts), decisions over packet time (gnuplot lines), the top
// flows, and the layers diagram (diagram/) with packet counts on the paths taken. Built
// after the replay from the summary and the decisions JSONL it wrote. Cold path.
#pragma once

#include <string>

#include "pcap/replay.hpp"
#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

// Reads `decisions_jsonl` (the replay's --decisions output; lines up to 1 MiB) and writes the
// page to `out_path`. Errors: Runtime (gnuplot or Graphviz failed, a file cannot be read or
// written).
Status write_replay_report(const Network& net, const ReplaySummary& summary, const std::string& decisions_jsonl,
                           const std::string& out_path);

} // namespace vpcfw
