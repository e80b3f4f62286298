// Charts by gnuplot (diagram/chart.hpp): a script with its data inline (`$data << EOD`) and
// labels stripped of the characters gnuplot would read as syntax, run as `gnuplot chart.gp`
// in a mkdtemp directory that is removed afterwards.
#include "diagram/chart.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace vpcfw {

namespace {

constexpr int kTimeoutSeconds = 20;
constexpr size_t kMaxSvgBytes = 16u << 20;

// A label gnuplot prints as it is: no quotes, backslashes or control characters.
std::string label(const std::string& s, size_t max = 48) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\' || c == '`') out += '\'';
        else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
        else out += c;
    }
    if (out.size() > max) out = out.substr(0, max - 3) + "...";
    return out;
}

std::string header(const std::string& title, const std::string& xl, const std::string& yl) {
    std::ostringstream s;
    s << "set terminal svg size 820,380 font 'Helvetica,11' background rgb 'white'\n"
      << "set output 'chart.svg'\n"
      << "set termoption noenhanced\n"
      << "set title \"" << label(title, 100) << "\"\n"
      << "set xlabel \"" << label(xl, 100) << "\"\n"
      << "set ylabel \"" << label(yl, 100) << "\"\n"
      << "set grid ytics\n"
      << "set key outside right top\n";
    return s.str();
}

Result<std::string> run_gnuplot(const std::string& script) {
    char dir[] = "/tmp/vpcfw-chart-XXXXXX";
    if (!mkdtemp(dir)) return Error{std::string("gnuplot: cannot make a temporary directory: ") + std::strerror(errno), "", "", "", ErrorKind::Runtime};
    std::string d(dir);
    auto cleanup = [&] {
        std::remove((d + "/chart.gp").c_str());
        std::remove((d + "/chart.svg").c_str());
        std::remove((d + "/gnuplot.err").c_str());
        rmdir(d.c_str());
    };
    {
        std::ofstream f(d + "/chart.gp");
        f << script;
        if (!f) {
            cleanup();
            return Error{"gnuplot: cannot write the script in " + d, "", "", "", ErrorKind::Runtime};
        }
    }
    pid_t pid = fork();
    if (pid < 0) {
        cleanup();
        return Error{std::string("gnuplot: fork failed: ") + std::strerror(errno), "", "", "", ErrorKind::Runtime};
    }
    if (pid == 0) {
        if (chdir(d.c_str()) != 0) _exit(126);
        int devnull = open("/dev/null", O_RDWR);
        int errf = open("gnuplot.err", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        if (errf >= 0) dup2(errf, 2);
        execlp("gnuplot", "gnuplot", "chart.gp", static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
    bool done = false;
    while (!done) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            done = true;
        } else if (r < 0 && errno != EINTR) {
            break;
        } else if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            cleanup();
            return Error{"gnuplot did not finish within " + std::to_string(kTimeoutSeconds) + " s", "", "", "", ErrorKind::Runtime};
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    std::string errText;
    {
        std::ifstream e(d + "/gnuplot.err");
        std::getline(e, errText);
    }
    if (!done || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cleanup();
        if (done && WIFEXITED(status) && WEXITSTATUS(status) == 127)
            return Error{"gnuplot not found on PATH (Debian package gnuplot-nox)", "", "", "", ErrorKind::Runtime};
        return Error{"gnuplot failed" + (errText.empty() ? std::string() : ": " + errText), "", "", "", ErrorKind::Runtime};
    }
    std::ifstream f(d + "/chart.svg", std::ios::binary);
    std::string svg;
    char buf[65536];
    while (f.read(buf, sizeof buf) || f.gcount() > 0) {
        svg.append(buf, static_cast<size_t>(f.gcount()));
        if (svg.size() > kMaxSvgBytes) {
            cleanup();
            return Error{"gnuplot wrote more than 16 MiB of SVG", "", "", "", ErrorKind::Runtime};
        }
    }
    cleanup();
    if (svg.find("<svg") == std::string::npos) return Error{"gnuplot wrote no SVG", "", "", "", ErrorKind::Runtime};
    return svg;
}

} // namespace

Result<std::string> render_bar_chart(const BarChart& c) {
    std::ostringstream s;
    s << header(c.title, c.xlabel, c.ylabel);
    s << "$data << EOD\n";
    for (const auto& [name, v] : c.bars) s << '"' << label(name) << "\" " << v << "\n";
    if (c.bars.empty()) s << "\"(none)\" 0\n";
    s << "EOD\n"
      << "set style data histograms\n"
      << "set style fill solid 0.8 border -1\n"
      << "set boxwidth 0.7\n"
      << "set yrange [0:*]\n"
      << "set xtics rotate by -25 left\n"
      << "set key off\n"
      << "plot $data using 2:xtic(1) linecolor rgb '#c0392b', '' using 0:2:2 with labels offset 0,0.7 notitle\n";
    return run_gnuplot(s.str());
}

Result<std::string> render_line_chart(const LineChart& c) {
    std::ostringstream s;
    s << header(c.title, c.xlabel, c.ylabel);
    s << "$data << EOD\n";
    for (size_t i = 0; i < c.x.size(); ++i) {
        s << c.x[i];
        for (const auto& ser : c.series) s << ' ' << (i < ser.second.size() ? ser.second[i] : 0.0);
        s << "\n";
    }
    if (c.x.empty()) {
        s << 0;
        for (size_t k = 0; k < c.series.size(); ++k) s << " 0";
        s << "\n";
    }
    s << "EOD\n"
      << "set yrange [0:*]\n"
      << "plot ";
    static const char* kColors[] = {"#27ae60", "#c0392b", "#2980b9", "#8e44ad"};
    for (size_t k = 0; k < c.series.size(); ++k)
        s << (k ? ", " : "") << "$data using 1:" << (k + 2) << " with linespoints linewidth 2 linecolor rgb '" << kColors[k % 4]
          << "' title \"" << label(c.series[k].first) << "\"";
    if (c.series.empty()) s << "0 notitle";
    s << "\n";
    return run_gnuplot(s.str());
}

} // namespace vpcfw
