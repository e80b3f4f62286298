// Every scenario file under tests/scenarios/inspect/ (AWS Network Firewall, docs/inspection.md)
// passes in the reference evaluator. These files are run reference-only because the
// compiled pipeline refuses networks that route to a firewall endpoint until its inspection
// hop exists (control/compiler.cpp); the last test pins that refusal, so the day the
// compiled hop lands these files move into tests/scenarios/ and run through both engines.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "control/compiler.hpp"
#include "control/scenario.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;
namespace fs = std::filesystem;

static std::vector<std::string> inspect_files() {
    std::vector<std::string> out;
    fs::path dir = fs::path(VPCFW_SOURCE_DIR) / "tests" / "scenarios" / "inspect";
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

class InspectScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(InspectScenario, EveryStepMatchesItsExpectationInTheReference) {
    ScenarioOptions o;
    o.compiled = false;
    auto r = run_scenario_file(GetParam(), o);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_FALSE(r->steps.empty());
    for (const auto& s : r->steps)
        EXPECT_TRUE(s.pass) << GetParam() << " step " << s.step << ": " << s.message << "\n  got " << s.got.dump();
}

INSTANTIATE_TEST_SUITE_P(Files, InspectScenario, ::testing::ValuesIn(inspect_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string n = fs::path(info.param).stem().string();
                             for (char& c : n)
                                 if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });

TEST(InspectCompiled, RefusesFirewallRoutesInsteadOfAnsweringWrongly) {
    auto net = load_network(std::string(VPCFW_SOURCE_DIR) + "/tests/scenarios/networks/nfw-central-egress.json");
    ASSERT_TRUE(net.ok()) << net.error().str();
    auto rs = compile_ruleset(*net, Settings{}, CompileOptions{});
    ASSERT_FALSE(rs.ok());
    EXPECT_NE(rs.error().message.find("Network Firewall endpoint vpce-0fw1a"), std::string::npos) << rs.error().message;
}
