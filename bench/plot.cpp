// gnuplot rendering of a sweep (bench/plot.hpp).
#include "bench/plot.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

namespace vpcfw::bench {

namespace {

// gnuplot string literal: single quotes, a quote doubled.
std::string quoted(const std::string& s) {
    std::string o = "'";
    for (char c : s) {
        if (c == '\'') o += "''";
        else if (static_cast<unsigned char>(c) >= 0x20) o += c;
    }
    return o + "'";
}

} // namespace

Status plot_sweep(const SweepSpec& s, const std::vector<SweepPoint>& points, const std::string& title,
                  const std::string& svg_path) {
    char dir_tpl[] = "/tmp/vpcfw-plot-XXXXXX";
    if (!mkdtemp(dir_tpl)) return Error{"cannot create a temporary directory for gnuplot", {}, {}, {}, ErrorKind::Runtime};
    std::string dir = dir_tpl, data = dir + "/points.dat", script = dir + "/plot.gp";
    {
        std::ofstream d(data);
        d << "# value est_mpps new_mpps fwd_mpps est_cycles new_cycles raw_acl_cycles\n";
        for (const auto& p : points) {
            const RunFigures& r = p.run;
            d << p.value << ' ' << case_named(r, "established").mpps << ' ' << case_named(r, "new").mpps << ' '
              << r.forward.mpps << ' ' << r.cycles_established << ' ' << r.cycles_new << ' '
              << r.raw_acl_cycles_per_lookup << '\n';
        }
    }
    std::string xlabel = s.param == "rules" ? "rules added (NACL entries + SG rules)"
                         : s.param == "flows" ? "flows (warm set)" : "workers";
    bool logx = s.param != "workers";
    {
        std::ofstream g(script);
        g << "set terminal svg size 1000,420 dynamic enhanced font 'sans,11'\n"
          << "set output " << quoted(svg_path) << "\n"
          << "set multiplot layout 1,2 title " << quoted(title) << "\n"
          << "set key top right\nset grid\n"
          << (logx ? "set logscale x 10\n" : "")
          << "set xlabel " << quoted(xlabel) << "\n"
          << "set ylabel 'Mpps'\nset yrange [0:*]\n"
          << "plot " << quoted(data) << " using 1:2 with linespoints title 'established', '' using 1:3 with linespoints title 'new flows', "
          << "'' using 1:4 with linespoints dashtype 2 title 'baseline: forward loop'\n"
          << "set ylabel 'TSC cycles per packet'\nset logscale y 10\nset yrange [*:*]\n"
          << "plot " << quoted(data) << " using 1:5 with linespoints title 'established', '' using 1:6 with linespoints title 'new flow', "
          << "'' using 1:7 with linespoints dashtype 2 title 'baseline: raw rte\\_acl lookup'\n"
          << "unset multiplot\n";
    }
    pid_t pid = fork();
    if (pid == 0) {
        execlp("gnuplot", "gnuplot", script.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    std::remove(data.c_str());
    std::remove(script.c_str());
    rmdir(dir.c_str());
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Error{WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "gnuplot not found (install gnuplot-nox)"
                                                                     : "gnuplot failed drawing " + svg_path,
                     {}, svg_path, {}, ErrorKind::Runtime};
    std::ifstream check(svg_path);
    if (!check) return Error{"gnuplot wrote no file", {}, svg_path, {}, ErrorKind::Runtime};
    return {};
}

} // namespace vpcfw::bench
