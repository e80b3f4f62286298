// The command line against hostile or careless input (issue 17): devices, FIFOs and deep
// JSON as networks and scenarios are refused at once naming the problem (exit 2), times
// that are not finite are refused, JSON outputs stay valid for file names that are not
// UTF-8, and `explain` text shows control characters as tcpdump does.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include "control/cli.hpp"

using namespace vpcfw;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct CliRun {
    int code;
    std::string out, err;
    double seconds;
};

CliRun cli(std::vector<std::string> args) {
    std::ostringstream out, err;
    auto t = Clock::now();
    int code = run_cli(args, out, err);
    return {code, out.str(), err.str(), std::chrono::duration<double>(Clock::now() - t).count()};
}

fs::path temp_dir() {
    fs::path d = fs::temp_directory_path() / ("vpcfw-hostile-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

const std::string kNetwork = std::string(VPCFW_SOURCE_DIR) + "/examples/network.json";

// Each line of `text` parses as JSON.
void expect_json_lines(const std::string& text) {
    std::istringstream in(text);
    size_t n = 0;
    for (std::string line; std::getline(in, line); ++n)
        EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
    EXPECT_GT(n, 0u);
}

} // namespace

TEST(HostileInputs, CheckOnDevZeroFailsFastNamingTheProblem) {
    CliRun r = cli({"check", "--network", "/dev/zero"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "vpcfw check: /dev/zero: a character device, not a regular file\n");
    EXPECT_LT(r.seconds, 2.0);
}

TEST(HostileInputs, NetworkAndScenarioFifosAreRefused) {
    fs::path fifo = temp_dir() / "net.fifo";
    fs::remove(fifo);
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    CliRun c = cli({"check", "--network", fifo.string()});
    EXPECT_EQ(c.code, 2);
    EXPECT_NE(c.err.find("a FIFO, not a regular file"), std::string::npos) << c.err;
    CliRun s = cli({"scenario", fifo.string()});
    EXPECT_EQ(s.code, 2);
    EXPECT_NE(s.err.find(fifo.string() + ": a FIFO, not a regular file"), std::string::npos) << s.err;
    // A capture may be a FIFO, as tcpdump reads one (tests/control/toolbox_test.sh).
    fs::remove(fifo);
}

TEST(HostileInputs, ScenarioApplyParamsNestedDeepAreRefusedNamingTheLimit) {
    // 100,000 levels: once a stack overflow in a recursive copy of the parameters.
    fs::path f = temp_dir() / "deep-apply.json";
    std::ofstream(f) << "{\"network\": \"" << kNetwork << "\", \"steps\": [{\"at\": 0, \"apply\": "
                     << "{\"action\": \"AuthorizeSecurityGroupIngress\", \"params\": {\"IpPermissions\": "
                     << std::string(100000, '[') << std::string(100000, ']') << "}}}]}";
    CliRun r = cli({"scenario", f.string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find(f.string() + ": JSON nests deeper than the limit of 128 levels"), std::string::npos) << r.err;
    fs::remove(f);
}

TEST(HostileInputs, TimesThatAreNotFiniteAreRefused) {
    for (const char* at : {"nan", "inf", "-inf", "NaN"}) {
        CliRun r = cli({"explain", "--network", kNetwork, "--at", at, "tcp 10.0.0.10:1 -> 10.0.0.11:2"});
        EXPECT_EQ(r.code, 2) << at << r.err;
        EXPECT_NE(r.err.find("--at must be a finite number of seconds"), std::string::npos) << at << ": " << r.err;
    }
    EXPECT_EQ(cli({"explain", "--network", kNetwork, "--at", "5.5", "tcp 10.0.0.10:1 -> 10.0.0.11:2"}).code, 0);
    CliRun g = cli({"gen-trace", "--network", kNetwork, "--out", "/dev/null", "--duration", "inf"});
    EXPECT_EQ(g.code, 2);
    EXPECT_NE(g.err.find("finite"), std::string::npos) << g.err;
    for (const char* opt : {"--duration", "--stats-interval"}) {
        CliRun r = cli({"run", "--network", kNetwork, "--port", "net_null0@internet", opt, "nan"});
        EXPECT_EQ(r.code, 2) << opt;
        EXPECT_NE(r.err.find("must be finite numbers of seconds"), std::string::npos) << r.err;
    }
    CliRun m = cli({"run", "--network", kNetwork, "--port", "net_null0@internet", "--control-max-request", "10"});
    EXPECT_EQ(m.code, 2);
    EXPECT_NE(m.err.find("--control-max-request must be between 1024 and 1073741824"), std::string::npos) << m.err;
}

TEST(HostileInputs, ExplainTextEscapesControlCharacters) {
    // An origin id carrying a terminal escape sequence (clear screen).
    CliRun r = cli({"explain", "--network", kNetwork, "--from", "eni-\x1b[2J\x07", "tcp 10.0.0.10:1 -> 10.0.0.11:2"});
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
    EXPECT_NE((r.out + r.err).find("eni-^[[2J^G"), std::string::npos) << r.out << r.err;
}

TEST(HostileInputs, CheckAndScenarioTextEscapeControlCharacters) {
    fs::path f = temp_dir() / "net\x1b[2J.json";
    fs::copy_file(kNetwork, f, fs::copy_options::overwrite_existing);
    CliRun c = cli({"check", "--network", f.string()});
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_EQ(c.out.find('\x1b'), std::string::npos) << c.out;
    EXPECT_NE(c.out.find("net^[[2J.json"), std::string::npos) << c.out;
    fs::path sc = temp_dir() / "scen\x1b[2J.json";
    std::ofstream(sc) << "{\"network\": \"" << kNetwork << "\", \"steps\": [{\"packet\": \"tcp 10.0.0.10:1 -> 10.0.0.11:2\", "
                      << "\"expect\": {\"action\": \"NOPE\"}}]}";
    CliRun s = cli({"scenario", sc.string()});
    EXPECT_EQ(s.code, 1) << s.err;
    EXPECT_EQ(s.out.find('\x1b'), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("FAIL "), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("scen^[[2J.json"), std::string::npos) << s.out;
    fs::remove(f);
    fs::remove(sc);
}

TEST(HostileInputs, JsonOutputsStayValidForFileNamesThatAreNotUtf8) {
    fs::path d = temp_dir() / "net-dir";
    fs::create_directories(d);
    fs::copy_file(kNetwork, d / "a.json", fs::copy_options::overwrite_existing);
    std::ofstream(d / "b\xff\xfe.json") << "{\"NotAws\": 1}";  // skipped with a warning naming it
    CliRun c = cli({"check", "--json", "--network", d.string()});
    EXPECT_EQ(c.code, 0) << c.err;
    expect_json_lines(c.out);
    EXPECT_NE(c.out.find("b\xef\xbf\xbd\xef\xbf\xbd.json"), std::string::npos) << c.out;  // U+FFFD twice

    fs::path pcap = temp_dir() / "cap\xff.pcap";
    fs::copy_file(std::string(VPCFW_SOURCE_DIR) + "/examples/capture.pcap", pcap, fs::copy_options::overwrite_existing);
    fs::path summary = temp_dir() / "summary.json";
    CliRun r = cli({"replay", "--network", kNetwork, "--pcap", pcap.string(), "--summary-json", summary.string(), "--no-progress"});
    EXPECT_EQ(r.code, 0) << r.err;
    std::ifstream in(summary);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    EXPECT_NO_THROW(j = nlohmann::json::parse(text.str())) << text.str();
    EXPECT_GT(j.value("packets", 0), 0);
    fs::remove_all(temp_dir());
}
