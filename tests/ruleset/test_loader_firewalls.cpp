// Tests of the AWS Network Firewall loader (ruleset/loader_firewalls.cpp, docs/inspection.md
// §1): the example central-inspection network, raw describe outputs one per file, and
// broken input (each error names file, JSON pointer and problem); the Suricata parser
// (ruleset/suricata.hpp) and the domain-list generator (§4.4, C16).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "ruleset/lint.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/suricata.hpp"

namespace vpcfw {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kNet = std::string(VPCFW_SOURCE_DIR) + "/tests/scenarios/networks/nfw-central-egress.json";

json example() {
    std::ifstream f(kNet);
    return json::parse(f);
}

std::string load_error(const json& j, LoadOptions o = {}) {
    auto r = load_network_text(j.dump(), "<test>", o);
    if (r.ok()) return "loaded";
    return r.error().str();
}

TEST(LoaderFirewalls, ExampleNetworkResolvesEndpointsAndGroups) {
    auto r = load_network(kNet);
    ASSERT_TRUE(r.ok()) << r.error().str();
    const Network& n = *r;
    ASSERT_EQ(n.firewalls.size(), 1u);
    EXPECT_EQ(n.firewalls[0].name, "inspection-fw");
    ASSERT_EQ(n.firewalls[0].endpoints.size(), 1u);
    EXPECT_EQ(n.firewalls[0].endpoints[0].az, "us-east-1a");
    EXPECT_EQ(n.firewalls[0].endpoints[0].subnet_id, "subnet-0efw");
    EXPECT_EQ(n.firewall_endpoint("vpce-0fw1a").first, 0u);
    EXPECT_EQ(n.firewall_endpoint("vpce-other").first, kNoFw);
    ASSERT_EQ(n.firewall_policies.size(), 1u);
    const NfwPolicy& p = n.firewall_policies[0];
    EXPECT_EQ(p.rule_order, "STRICT_ORDER");
    EXPECT_EQ(p.stateful_refs.size(), 3u);
    EXPECT_TRUE(p.has_home_net);
    const NfwRuleGroup* d = n.rule_group("arn:aws:network-firewall:us-east-1:111122223333:stateful-rulegroup/egress-domains");
    ASSERT_NE(d, nullptr);
    // Two targets x TLS/HTTP, then the two ALLOWLIST drops (C16).
    ASSERT_EQ(d->rules.size(), 6u);
    EXPECT_EQ(d->rules[0].sid, 1u);
    EXPECT_EQ(d->rules[0].action, SuriAction::Pass);
    EXPECT_EQ(d->rules[4].action, SuriAction::Drop);
    EXPECT_TRUE(d->rules[4].ssl_client_hello);
    const NfwRuleGroup* icmp = n.rule_group("arn:aws:network-firewall:us-east-1:111122223333:stateful-rulegroup/egress-icmp");
    ASSERT_NE(icmp, nullptr);
    ASSERT_EQ(icmp->rules.size(), 1u);
    EXPECT_EQ(icmp->rules[0].proto, "icmp");
    EXPECT_EQ(icmp->rules[0].sid, 200u);
}

TEST(LoaderFirewalls, RawDescribeOutputsOnePerFile) {
    json j = example();
    fs::path dir = fs::temp_directory_path() / ("vpcfw-nfw-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    json rest = j;
    rest.erase("Firewalls");
    rest.erase("FirewallPolicies");
    rest.erase("RuleGroups");
    std::ofstream(dir / "ec2.json") << rest.dump();
    std::ofstream(dir / "fw.json") << j["Firewalls"][0].dump();
    std::ofstream(dir / "policy.json") << j["FirewallPolicies"][0].dump();
    for (size_t i = 0; i < j["RuleGroups"].size(); ++i)
        std::ofstream(dir / ("rg" + std::to_string(i) + ".json")) << j["RuleGroups"][i].dump();
    // A list-rule-groups summary is skipped with a warning.
    std::ofstream(dir / "list.json") << json{{"RuleGroups", json::array({{{"Name", "x"}, {"Arn", "arn:x"}}})}}.dump();
    auto r = load_network(dir.string());
    fs::remove_all(dir);
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->firewalls.size(), 1u);
    EXPECT_EQ(r->rule_groups.size(), 4u);
    bool warned = false;
    for (const auto& w : r->warnings) warned = warned || w.message.find("list summary") != std::string::npos;
    EXPECT_TRUE(warned);
}

TEST(LoaderFirewalls, SameArnTwiceMustBeEqual) {
    json j = example();
    j["RuleGroups"].push_back(j["RuleGroups"][0]);
    EXPECT_EQ(load_error(j), "loaded");
    j["RuleGroups"][4]["RuleGroup"]["RulesSource"]["StatelessRulesAndCustomActions"]["StatelessRules"][0]["Priority"] = 11;
    EXPECT_NE(load_error(j).find("appears twice with different content"), std::string::npos) << load_error(j);
}

TEST(LoaderFirewalls, BadInputNamesFilePointerAndProblem) {
    struct Case {
        const char* what;
        std::function<void(json&)> edit;
        const char* expect;
    };
    std::vector<Case> cases = {
        {"dangling policy", [](json& j) { j["Firewalls"][0]["Firewall"]["FirewallPolicyArn"] = "arn:aws:network-firewall:us-east-1:1:firewall-policy/none"; },
         "/Firewalls/0/Firewall/FirewallPolicyArn: names firewall policy"},
        {"dangling group", [](json& j) { j["FirewallPolicies"][0]["FirewallPolicy"]["StatefulRuleGroupReferences"][1]["ResourceArn"] = "arn:aws:network-firewall:us-east-1:1:stateful-rulegroup/none"; },
         "/FirewallPolicies/0/FirewallPolicy/StatefulRuleGroupReferences/1/ResourceArn: names rule group"},
        {"type contradicts reference", [](json& j) { j["FirewallPolicies"][0]["FirewallPolicy"]["StatelessRuleGroupReferences"][0]["ResourceArn"] = j["RuleGroups"][1]["RuleGroupResponse"]["RuleGroupArn"]; },
         "is STATEFUL, referenced as STATELESS"},
        {"rule order contradicts", [](json& j) { j["RuleGroups"][1]["RuleGroup"]["StatefulRuleOptions"]["RuleOrder"] = "DEFAULT_ACTION_ORDER"; },
         "has rule order DEFAULT_ACTION_ORDER, the policy STRICT_ORDER"},
        {"duplicate priority", [](json& j) { j["FirewallPolicies"][0]["FirewallPolicy"]["StatefulRuleGroupReferences"][1]["Priority"] = 10; },
         "StatefulRuleGroupReferences/1/Priority: duplicate priority 10"},
        {"two drop defaults", [](json& j) { j["FirewallPolicies"][0]["FirewallPolicy"]["StatefulDefaultActions"] = {"aws:drop_strict", "aws:drop_established"}; },
         "StatefulDefaultActions: at most one drop action"},
        {"defaults under default order", [](json& j) {
             j["FirewallPolicies"][0]["FirewallPolicy"]["StatefulEngineOptions"]["RuleOrder"] = "DEFAULT_ACTION_ORDER";
             for (auto& r : j["FirewallPolicies"][0]["FirewallPolicy"]["StatefulRuleGroupReferences"]) r.erase("Priority");
         }, "StatefulDefaultActions: stateful default actions need RuleOrder STRICT_ORDER"},
        {"two standard actions", [](json& j) { j["RuleGroups"][0]["RuleGroup"]["RulesSource"]["StatelessRulesAndCustomActions"]["StatelessRules"][0]["RuleDefinition"]["Actions"] = {"aws:pass", "aws:drop"}; },
         "RuleDefinition/Actions: needs exactly one of"},
        {"undefined custom action", [](json& j) { j["RuleGroups"][0]["RuleGroup"]["RulesSource"]["StatelessRulesAndCustomActions"]["StatelessRules"][0]["RuleDefinition"]["Actions"] = {"aws:drop", "count-it"}; },
         "undefined custom action \"count-it\""},
        {"bad CIDR", [](json& j) { j["RuleGroups"][0]["RuleGroup"]["RulesSource"]["StatelessRulesAndCustomActions"]["StatelessRules"][0]["RuleDefinition"]["MatchAttributes"]["Sources"][0]["AddressDefinition"] = "10.0.0.0/33"; },
         "Sources/0/AddressDefinition: malformed CIDR block"},
        {"suricata syntax", [](json& j) { j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesString"] = "drop tcp any any => any any (sid:1;)"; },
         "RulesSource/RulesString: line 1: direction must be -> or <>"},
        {"missing sid", [](json& j) { j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesString"] = "drop tcp any any -> any any (msg:\"x\";)"; },
         "line 1: missing sid"},
        {"duplicate sid", [](json& j) { j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesString"] = "drop tcp any any -> any 1 (sid:7;)\npass tcp any any -> any 2 (sid:7;)"; },
         "line 2, sid 7: duplicate sid"},
        {"undefined variable", [](json& j) { j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesString"] = "drop tcp $WEB any -> any 1 (sid:7;)"; },
         "line 1, sid 7: undefined $WEB"},
        {"priority under strict order", [](json& j) { j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesString"] = "drop tcp any any -> any 1 (sid:7; priority:1;)"; },
         "sid 7, keyword priority: not allowed under STRICT_ORDER"},
        {"refused keyword", [](json& j) { j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesString"] = "drop tcp any any -> any 1 (sid:7; lua:x.lua;)"; },
         "keyword lua: AWS Network Firewall refuses it"},
        {"two rules sources", [](json& j) { j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesSourceList"] = j["RuleGroups"][1]["RuleGroup"]["RulesSource"]["RulesSourceList"]; },
         "RulesSource must hold exactly one of"},
        {"bad enum", [](json& j) { j["RuleGroups"][1]["RuleGroup"]["RulesSource"]["RulesSourceList"]["GeneratedRulesType"] = "BLOCKLIST"; },
         "GeneratedRulesType: \"BLOCKLIST\" is not one of"},
        {"endpoint subnet not mapped", [](json& j) { j["Firewalls"][0]["FirewallStatus"]["SyncStates"]["us-east-1a"]["Attachment"]["SubnetId"] = "subnet-0epub"; },
         "Attachment/SubnetId: subnet-0epub is not among the firewall's SubnetMappings"},
        {"wrong type", [](json& j) { j["Firewalls"][0]["Firewall"]["SubnetMappings"] = "subnet-0efw"; },
         "/Firewalls/0/Firewall/SubnetMappings: expected an array"},
    };
    for (const auto& c : cases) {
        json j = example();
        c.edit(j);
        std::string e = load_error(j);
        EXPECT_NE(e.find(c.expect), std::string::npos) << c.what << ": " << e;
        EXPECT_NE(e.find("<test>"), std::string::npos) << c.what << ": " << e;
    }
}

TEST(LoaderFirewalls, UnsupportedKeywordRefusedUnlessInert) {
    json j = example();
    j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesString"] =
        "alert http $HOME_NET any -> any any (msg:\"m\"; http.method; content:\"POST\"; sid:9;)";
    std::string e = load_error(j);
    EXPECT_NE(e.find("nfw-unsupported-keyword: rule group egress-custom, line 1, sid 9, keyword http.method"), std::string::npos) << e;
    auto r = load_network_text(j.dump(), "<test>", LoadOptions{true});
    ASSERT_TRUE(r.ok()) << r.error().str();
    const NfwRuleGroup* g = r->rule_group("arn:aws:network-firewall:us-east-1:111122223333:stateful-rulegroup/egress-custom");
    ASSERT_NE(g, nullptr);
    EXPECT_TRUE(g->rules[0].inert);
}

std::vector<Finding> nfw_findings(const json& j) {
    LoadOptions o;
    o.inert_rules = true;
    o.missing_groups_empty = true;
    auto r = load_network_text(j.dump(), "<test>", o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().str());
    std::vector<Finding> out;
    if (r.ok()) lint_firewalls(*r, out);
    return out;
}

TEST(LintFirewalls, ExampleIsClean) { EXPECT_TRUE(nfw_findings(example()).empty()); }

TEST(LintFirewalls, UnsupportedKeywordMissingGroupAsymmetricRoute) {
    json j = example();
    j["RuleGroups"][2]["RuleGroup"]["RulesSource"]["RulesString"] =
        "alert tcp any any -> any any (msg:\"m\"; dsize:>100; sid:9;)";
    j["FirewallPolicies"][0]["FirewallPolicy"]["StatefulRuleGroupReferences"][2]["ResourceArn"] =
        "arn:aws:network-firewall:us-east-1:111122223333:stateful-rulegroup/gone";
    // The public subnet's return route to the spoke skips the endpoint.
    for (auto& rt : j["RouteTables"])
        if (rt["RouteTableId"] == "rtb-0epub")
            for (auto& r : rt["Routes"])
                if (r.value("DestinationCidrBlock", "") == "10.1.0.0/16") r["GatewayId"] = "local-bypass";
    std::map<std::string, std::string> got;
    for (const Finding& f : nfw_findings(j)) got[f.code] = f.object + " " + f.message;
    ASSERT_TRUE(got.count("nfw-unsupported-keyword"));
    EXPECT_NE(got["nfw-unsupported-keyword"].find("egress-custom:9 rule group egress-custom, sid 9, keyword dsize"), std::string::npos)
        << got["nfw-unsupported-keyword"];
    ASSERT_TRUE(got.count("nfw-missing-group"));
    EXPECT_NE(got["nfw-missing-group"].find("stateful-rulegroup/gone"), std::string::npos);
    ASSERT_TRUE(got.count("nfw-asymmetric-route"));
    EXPECT_NE(got["nfw-asymmetric-route"].find("returns 10.1.0.0/16 to local-bypass"), std::string::npos)
        << got["nfw-asymmetric-route"];
}

TEST(Suricata, ParsesHeaderAndOptions) {
    SuricataRule r;
    auto e = parse_suricata_rule(
        "drop tls [10.0.0.0/8, !10.9.0.0/16] any <> $EXTERNAL_NET [443, 8443:8444] "
        "(msg:\"a;b\"; tls.sni; content:\"Bad|2e|com\"; nocase; endswith; flow:to_server, established; sid:42; rev:3;)",
        1, r);
    ASSERT_FALSE(e) << *e;
    EXPECT_EQ(r.action, SuriAction::Drop);
    EXPECT_EQ(r.proto, "tls");
    ASSERT_EQ(r.src.size(), 2u);
    EXPECT_TRUE(r.src[1].negated);
    EXPECT_TRUE(r.bidirectional);
    ASSERT_EQ(r.dport.size(), 2u);
    EXPECT_EQ(r.dport[1].lo, 8443);
    EXPECT_EQ(r.msg, "a;b");
    ASSERT_EQ(r.contents.size(), 1u);
    EXPECT_EQ(r.contents[0].bytes, "Bad.com");
    EXPECT_EQ(r.contents[0].buffer, SuriBuffer::TlsSni);
    EXPECT_TRUE(r.contents[0].nocase && r.contents[0].endswith);
    EXPECT_TRUE(r.flow_to_server && r.flow_established);
    EXPECT_EQ(r.sid, 42u);
    EXPECT_EQ(r.rev, 3u);
}

TEST(Suricata, DomainListSidsFollowC16) {
    auto rules = domain_list_rules({".example.com", "a.org"}, {"TLS_SNI", "HTTP_HOST"}, "ALLOWLIST");
    ASSERT_EQ(rules.size(), 6u);
    for (uint32_t i = 0; i < 6; ++i) EXPECT_EQ(rules[i].sid, i + 1) << rules[i].text;
    EXPECT_TRUE(rules[0].contents[0].dotprefix);
    EXPECT_EQ(rules[1].contents[0].buffer, SuriBuffer::HttpHost);
    EXPECT_TRUE(rules[2].contents[0].startswith);
    // §10.6: only the listed target types get an appended drop.
    EXPECT_EQ(domain_list_rules({"a.org"}, {"TLS_SNI"}, "ALLOWLIST").size(), 2u);
    EXPECT_EQ(domain_list_rules({"a.org"}, {"TLS_SNI"}, "DENYLIST").size(), 1u);
}

} // namespace
} // namespace vpcfw
