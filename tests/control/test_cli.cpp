// End-to-end tests of the vpcfw command line (run_cli with captured output): exit codes,
// error messages that name the file, `check` on the real snapshots, `explain` paths.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "control/cli.hpp"

using namespace vpcfw;
namespace fs = std::filesystem;

namespace {

struct CliRun {
    int code;
    std::string out, err;
};

CliRun cli(std::vector<std::string> args) {
    std::ostringstream out, err;
    int code = run_cli(args, out, err);
    return {code, out.str(), err.str()};
}

std::string snapshot(const std::string& name) { return std::string(VPCFW_SHARED_DATA) + "/aws-snapshots/" + name; }

fs::path temp_file(const std::string& name, const std::string& text) {
    fs::path p = fs::temp_directory_path() / ("vpcfw-cli-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(p) << text;
    return p;
}

} // namespace

TEST(Cli, UsageAndUnknownCommand) {
    EXPECT_EQ(cli({}).code, 2);
    CliRun h = cli({"--help"});
    EXPECT_EQ(h.code, 0);
    EXPECT_NE(h.out.find("explain"), std::string::npos);
    CliRun u = cli({"frobnicate"});
    EXPECT_EQ(u.code, 2);
    EXPECT_NE(u.err.find("unknown command"), std::string::npos);
    EXPECT_EQ(cli({"explain", "--help"}).code, 0);
    EXPECT_EQ(cli({"check", "--help"}).code, 0);
    EXPECT_EQ(cli({"scenario", "--help"}).code, 0);
}

TEST(Cli, CheckEverySnapshotExitsZero) {
    for (const char* s : {"test-public-private-subnet", "test-nat-gateway", "test-vpc-peering"}) {
        CliRun r = cli({"check", "--network", snapshot(s)});
        EXPECT_EQ(r.code, 0) << s << "\n" << r.out << r.err;
        EXPECT_NE(r.out.find("0 errors"), std::string::npos) << r.out;
    }
}

TEST(Cli, BadNetworkIsExitTwoNamingTheFile) {
    fs::path bad = temp_file("bad.json", "{\"Vpcs\": [ {\"VpcId\": \"vpc-1\", \"CidrBlock\": \"10.0.0.0/33\"} ]}");
    CliRun r = cli({"check", "--network", bad.string()});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find(bad.string()), std::string::npos) << r.err;
    fs::path trunc = temp_file("trunc.json", "{\"Vpcs\": [ {\"VpcId\": ");
    CliRun t = cli({"explain", "--network", trunc.string(), "tcp 10.0.0.1:1 -> 10.0.0.2:2"});
    EXPECT_EQ(t.code, 2);
    EXPECT_NE(t.err.find(trunc.string()), std::string::npos) << t.err;
    CliRun missing = cli({"check", "--network", "/nonexistent/net.json"});
    EXPECT_EQ(missing.code, 2);
    fs::remove(bad);
    fs::remove(trunc);
}

TEST(Cli, ExplainBadPacketIsExitTwo) {
    CliRun r = cli({"explain", "--network", snapshot("test-vpc-peering"), "tcp 10.0.0.1 -> 10.0.0.2"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("need SRC:PORT and DST:PORT"), std::string::npos) << r.err;
}

TEST(Cli, ExplainBetweenTwoInstancesOverPeering) {
    // A (10.10.10.157) -> B (192.168.1.106) ssh: A's route 192.168.1.0/24 -> pcx-0b89...,
    // default NACLs, B's launch-wizard group admits tcp/22 from 0.0.0.0/0.
    CliRun r = cli({"explain", "--json", "--network", snapshot("test-vpc-peering"),
                 "tcp 10.10.10.157:40000 -> 192.168.1.106:22"});
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["action"], "ACCEPT") << r.out;
    EXPECT_EQ(j["from"], "eni-0f0708220e812876c");
    EXPECT_EQ(j["to"], "eni-0024c0af5aa1387e5");
    // The reply comes back by state at B's ENI and by B's route to A.
    CliRun both = cli({"explain", "--network", snapshot("test-vpc-peering"), "tcp 10.10.10.157:40000 -> 192.168.1.106:22",
                    "tcp 192.168.1.106:22 -> 10.10.10.157:40000 flags=SA"});
    ASSERT_EQ(both.code, 0);
    EXPECT_NE(both.out.find("pcx-0b89b559e3319d6cf"), std::string::npos) << both.out;
    EXPECT_NE(both.out.find("ACCEPT to eni-0f0708220e812876c"), std::string::npos) << both.out;
}

TEST(Cli, ExplainToTheInternet) {
    // The public instance (10.0.0.47, public 13.58.55.60) reaches the internet through the IGW.
    CliRun r = cli({"explain", "--json", "--network", snapshot("test-public-private-subnet"),
                 "tcp 10.0.0.47:40000 -> 8.8.8.8:443"});
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["action"], "ACCEPT") << r.out;
    EXPECT_EQ(j["to"], "internet");
    EXPECT_EQ(j["nat"], "13.58.55.60:40000");
    // The private instance routes 0.0.0.0/0 to the VGW, whose only VPN has a static route
    // to 19.168.0.0/16: the internet is not reachable.
    CliRun p = cli({"explain", "--json", "--network", snapshot("test-public-private-subnet"),
                 "tcp 10.0.1.204:40000 -> 8.8.8.8:443"});
    auto k = nlohmann::json::parse(p.out);
    EXPECT_EQ(k["action"], "DROP") << p.out;
    EXPECT_EQ(k["layer"], "route");
    EXPECT_EQ(k["reason"], "no-vpn-route");
}

TEST(Cli, ScenarioFailureIsExitOne) {
    std::string net = snapshot("test-vpc-peering");
    nlohmann::json sc = {{"name", "deliberately wrong"},
                         {"network", net},
                         {"steps", {{{"at", 0}, {"packet", "tcp 10.10.10.157:40000 -> 192.168.1.106:22"},
                                     {"expect", {{"action", "DROP"}}}}}}};
    fs::path f = temp_file("sc.json", sc.dump());
    CliRun r = cli({"scenario", f.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("FAIL"), std::string::npos);
    EXPECT_NE(r.out.find("0 passed, 1 failed"), std::string::npos) << r.out;
    fs::remove(f);
}

TEST(Cli, SnapshotWithoutNetworkAclsHasTheDefaultNacl) {
    // docs/semantics.md §5 CHOICE missing_nacl_default, on a real export that left
    // describe-network-acls out: test-public-private-subnet without NetworkAcls.json.
    fs::path dir = fs::temp_directory_path() / ("vpcfw-cli-" + std::to_string(::getpid()) + "-no-nacls");
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const auto& f : fs::directory_iterator(snapshot("test-public-private-subnet")))
        if (f.path().filename() != "NetworkAcls.json") fs::copy_file(f.path(), dir / f.path().filename());
    const std::string acl = "acl-default(vpc-0b966fdeb36d5e43f)";

    CliRun c = cli({"check", "--json", "--network", dir.string()});
    EXPECT_EQ(c.code, 0) << c.out << c.err;
    std::vector<std::string> missing;
    std::istringstream lines(c.out);
    for (std::string line; std::getline(lines, line);)
        if (auto f = nlohmann::json::parse(line); f["code"] == "nacl-missing") {
            EXPECT_EQ(f["severity"], "warning");
            missing.push_back(f["object"]);
        }
    EXPECT_EQ(missing, (std::vector<std::string>{"subnet-0cf7a93fbd779f3a3", "subnet-0f263105946ad1a1d"})) << c.out;

    // Public instance -> private instance ssh: out of one subnet, into the other, both
    // through the default NACL AWS creates (allow all); before, `none:egress:*` denied it.
    CliRun e = cli({"explain", "--json", "--network", dir.string(), "tcp 10.0.0.47:40000 -> 10.0.1.204:22"});
    ASSERT_EQ(e.code, 0) << e.err;
    auto j = nlohmann::json::parse(e.out);
    EXPECT_EQ(j["action"], "ACCEPT") << e.out;
    EXPECT_EQ(j["to"], "eni-07c1506e49d784fe0");
    std::string path = j["path"].dump();
    EXPECT_NE(path.find(acl + ":egress:100"), std::string::npos) << e.out;
    EXPECT_NE(path.find(acl + ":ingress:100"), std::string::npos) << e.out;
    EXPECT_NE(j["choices"].dump().find("missing_nacl_default"), std::string::npos) << e.out;

    // Both evaluators, as a scenario on the same directory.
    nlohmann::json scen = {
        {"name", "snapshot without NACLs"},
        {"network", dir.string()},
        {"steps",
         {{{"at", 1}, {"from", "eni-09da8cad43844dc1f"}, {"packet", "tcp 10.0.0.47:40000 -> 10.0.1.204:22"},
           {"expect", {{"action", "ACCEPT"}, {"to", "eni-07c1506e49d784fe0"}}}},
          {{"at", 2}, {"from", "eni-07c1506e49d784fe0"}, {"packet", "tcp 10.0.1.204:22 -> 10.0.0.47:40000 flags=SA"},
           {"expect", {{"action", "ACCEPT"}, {"to", "eni-09da8cad43844dc1f"}}}}}}};
    fs::path sp = temp_file("no-nacls-scenario.json", scen.dump());
    CliRun s = cli({"scenario", sp.string()});
    EXPECT_EQ(s.code, 0) << s.out << s.err;
    fs::remove(sp);
    fs::remove_all(dir);
}
