// List limits (ruleset/limits.hpp): a network at a limit is accepted by `check` and both
// evaluators (through a scenario, which compiles it and compares them step by step); one
// entry past it is refused by the loader (exit 2 from `check` and `compile`, naming the
// file, the object and the limit). The NACL case is issue 13 item 6: 32,766 numbered
// entries per direction, every rule number AWS allows, where the compiler stopped at
// 16,382 entries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "control/cli.hpp"
#include "control/scenario.hpp"
#include "ruleset/limits.hpp"

using namespace vpcfw;
using nlohmann::json;
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
fs::path temp(const std::string& name) { return fs::temp_directory_path() / ("vpcfw-limits-" + std::to_string(::getpid()) + "-" + name); }

json base_network() {
    std::ifstream f(std::string(VPCFW_SOURCE_DIR) + "/tests/scenarios/networks/a-nacl.json");
    return json::parse(f);
}
json& acl(json& net, const std::string& id) {
    for (json& a : net["NetworkAcls"])
        if (a["NetworkAclId"] == id) return a;
    throw std::runtime_error("no " + id);
}
json entry(int number, bool egress, bool allow, const std::string& cidr, int port_from, int port_to) {
    json e = {{"RuleNumber", number}, {"Egress", egress}, {"Protocol", "6"}, {"RuleAction", allow ? "allow" : "deny"},
              {"CidrBlock", cidr}};
    if (port_from >= 0) e["PortRange"] = {{"From", port_from}, {"To", port_to}};
    return e;
}
// Entry k (1..32765) of a direction denies tcp from/to 198.18.(k/256).(k%256)/32; entry
// 32766 allows tcp 443 (inbound) or everything tcp (outbound); then the two `*`.
json full_entries(size_t per_direction) {
    json es = json::array();
    for (bool egress : {false, true}) {
        for (size_t k = 1; k < per_direction; ++k)
            es.push_back(entry(static_cast<int>(k), egress, false,
                               "198.18." + std::to_string(k / 256) + "." + std::to_string(k % 256) + "/32", -1, -1));
        es.push_back(entry(static_cast<int>(per_direction), egress, true, "0.0.0.0/0", egress ? 0 : 443, egress ? 65535 : 443));
        es.push_back({{"RuleNumber", 32767}, {"Egress", egress}, {"Protocol", "-1"}, {"RuleAction", "deny"}, {"CidrBlock", "0.0.0.0/0"}});
        es.push_back({{"RuleNumber", 32767}, {"Egress", egress}, {"Protocol", "-1"}, {"RuleAction", "deny"}, {"Ipv6CidrBlock", "::/0"}});
    }
    return es;
}

} // namespace

TEST(Limits, NaclWithEveryRuleNumberInBothEvaluators) {
    json net = base_network();
    acl(net, "acl-0nweb0001")["Entries"] = full_entries(32766);
    json steps = json::array({
        {{"at", 0}, {"from", "internet"}, {"packet", "tcp 203.0.113.5:51000 -> 203.0.113.30:443 flags=S"},
         {"expect", {{"action", "ACCEPT"}, {"to", "eni-0nweb0001"}}}, {"note", "allowed by the last numbered entry, 32766"}},
        {{"at", 1}, {"from", "internet"}, {"packet", "tcp 198.18.127.253:51001 -> 203.0.113.30:443 flags=S"},
         {"expect", {{"action", "DROP"}, {"layer", "nacl-ingress"}, {"rule", "acl-0nweb0001:ingress:32765"}, {"reason", "deny-rule"}}}},
        {{"at", 2}, {"from", "internet"}, {"packet", "tcp 198.18.0.1:51002 -> 203.0.113.30:443 flags=S"},
         {"expect", {{"action", "DROP"}, {"layer", "nacl-ingress"}, {"rule", "acl-0nweb0001:ingress:1"}}}},
        {{"at", 3}, {"from", "internet"}, {"packet", "udp 203.0.113.5:51003 -> 203.0.113.30:443"},
         {"expect", {{"action", "DROP"}, {"layer", "nacl-ingress"}, {"rule", "acl-0nweb0001:ingress:*"}}}},
    });
    fs::path netPath = temp("nacl-full-net.json"), scPath = temp("nacl-full.json");
    std::ofstream(netPath) << net.dump();
    std::ofstream(scPath) << json{{"name", "NACL with 32,766 entries per direction"}, {"network", net}, {"steps", steps}}.dump();

    auto r = run_scenario_file(scPath.string());   // the reference and the compiled pipeline, step by step
    ASSERT_TRUE(r) << r.error().str();
    ASSERT_EQ(r->steps.size(), 4u);
    for (const auto& s : r->steps) EXPECT_TRUE(s.pass) << "step " << s.step << ": " << s.message << "\n  got " << s.got.dump();

    // The scenario compiled the network (a compile failure fails the scenario); the CLI's
    // loader takes it too. (Not `check`: its pairwise NACL lints are quadratic in the
    // entries, about 25 s here and minutes under the sanitizers.)
    CliRun c = cli({"explain", "--network", netPath.string(), "--from", "internet", "tcp 203.0.113.5:51000 -> 203.0.113.30:443 flags=S"});
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_NE(c.out.find("ACCEPT"), std::string::npos) << c.out;
    fs::remove(netPath);
    fs::remove(scPath);
}

// More NACLs than a per-NACL table number once allowed (4,095): 5,000 NACLs ahead of the
// one in use, so its entries sit at high side-table slots (dataplane/rule_ref.hpp); both
// evaluators agree and name its rules.
TEST(Limits, FiveThousandNaclsInBothEvaluators) {
    json net = base_network();
    json& used = acl(net, "acl-0nweb0001");
    used["Entries"] = full_entries(100);
    std::string vpc = used["VpcId"];
    json all = json::array();
    for (int i = 0; i < 5000; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "acl-0extra%07d", i);
        all.push_back({{"NetworkAclId", id}, {"VpcId", vpc}, {"IsDefault", false}, {"Associations", json::array()},
                       {"Entries", json::array({entry(100, false, true, "0.0.0.0/0", 443, 443),
                                                entry(100, true, true, "0.0.0.0/0", 0, 65535)})}});
    }
    for (const json& a : net["NetworkAcls"]) all.push_back(a);
    net["NetworkAcls"] = all;
    json steps = json::array({
        {{"at", 0}, {"from", "internet"}, {"packet", "tcp 203.0.113.5:51000 -> 203.0.113.30:443 flags=S"},
         {"expect", {{"action", "ACCEPT"}, {"to", "eni-0nweb0001"}}}},
        {{"at", 1}, {"from", "internet"}, {"packet", "tcp 198.18.0.1:51002 -> 203.0.113.30:443 flags=S"},
         {"expect", {{"action", "DROP"}, {"layer", "nacl-ingress"}, {"rule", "acl-0nweb0001:ingress:1"}, {"reason", "deny-rule"}}}},
        {{"at", 2}, {"from", "internet"}, {"packet", "udp 203.0.113.5:51003 -> 203.0.113.30:443"},
         {"expect", {{"action", "DROP"}, {"layer", "nacl-ingress"}, {"rule", "acl-0nweb0001:ingress:*"}}}},
    });
    fs::path scPath = temp("nacl-many.json");
    std::ofstream(scPath) << json{{"name", "5,000 NACLs"}, {"network", net}, {"steps", steps}}.dump();
    auto r = run_scenario_file(scPath.string());   // the reference and the compiled pipeline, step by step
    ASSERT_TRUE(r) << r.error().str();
    ASSERT_EQ(r->steps.size(), 3u);
    for (const auto& s : r->steps) EXPECT_TRUE(s.pass) << "step " << s.step << ": " << s.message << "\n  got " << s.got.dump();
    fs::remove(scPath);
}

TEST(Limits, PastALimitTheLoaderRefusesNamingFileObjectAndLimit) {
    // One NACL direction with kMaxNaclEntriesPerDirection + 1 entries.
    json net = base_network();
    json es = json::array();
    for (size_t k = 0; k <= kMaxNaclEntriesPerDirection; ++k)
        es.push_back(entry(static_cast<int>(k) + 1, true, false, "198.18.0.1/32", -1, -1));   // numbers 1..32769 (the loader reads 1-65535)
    acl(net, "acl-0nweb0001")["Entries"] = es;
    fs::path p = temp("nacl-over.json");
    std::ofstream(p) << net.dump();
    for (const char* cmd : {"check", "compile"}) {
        CliRun c = cli({cmd, "--network", p.string()});
        EXPECT_EQ(c.code, 2) << cmd << ": " << c.out << c.err;
        EXPECT_NE(c.err.find(p.string()), std::string::npos) << c.err;
        EXPECT_NE(c.err.find("acl-0nweb0001 has 32769 outbound entries"), std::string::npos) << c.err;
        EXPECT_NE(c.err.find("limit of 32768"), std::string::npos) << c.err;
    }
    // A security group with kMaxSgRulesPerDirection + 1 inbound rules.
    net = base_network();
    json& g = net["SecurityGroups"][0];
    json perms = json::array();
    for (size_t k = 0; k <= kMaxSgRulesPerDirection; ++k)
        perms.push_back({{"IpProtocol", "tcp"}, {"FromPort", static_cast<int>(k % 60000) + 1}, {"ToPort", static_cast<int>(k % 60000) + 1},
                         {"IpRanges", json::array({{{"CidrIp", "198.18." + std::to_string(k / 256 % 256) + "." + std::to_string(k % 256) + "/32"}}})}});
    g["IpPermissions"] = perms;
    std::ofstream(p) << net.dump();
    CliRun c = cli({"check", "--network", p.string()});
    EXPECT_EQ(c.code, 2) << c.out << c.err;
    EXPECT_NE(c.err.find(g["GroupId"].get<std::string>() + " has 16383 inbound rules"), std::string::npos) << c.err;
    EXPECT_NE(c.err.find("limit of 16382"), std::string::npos) << c.err;
    fs::remove(p);
}
