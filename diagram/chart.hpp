// Charts of the replay report drawn by gnuplot's SVG terminal: vpcfw writes the data and a
// short script to a private temporary directory, runs `gnuplot` as a child process (bounded
// time and output size) and returns the SVG it wrote. Cold path; any thread (one child each).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ruleset/status.hpp"

namespace vpcfw {

// Bars, one per (label, value), in the given order.
struct BarChart {
    std::string title, xlabel, ylabel;
    std::vector<std::pair<std::string, double>> bars;
};

// Lines over a shared x axis: one series per (name, values), values.size() == x.size().
struct LineChart {
    std::string title, xlabel, ylabel;
    std::vector<double> x;
    std::vector<std::pair<std::string, std::vector<double>>> series;
};

// The SVG document gnuplot wrote. Runtime errors: gnuplot missing (install gnuplot-nox),
// failing, or not done within 20 seconds.
Result<std::string> render_bar_chart(const BarChart& chart);
Result<std::string> render_line_chart(const LineChart& chart);

} // namespace vpcfw
