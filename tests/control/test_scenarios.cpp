// Every scenario file under tests/scenarios/ passes: each step's decision from the
// reference evaluator equals the step's expectation. One test per file.
#include <gtest/gtest.h>

#include <filesystem>

#include "control/scenario.hpp"

using namespace vpcfw;
namespace fs = std::filesystem;

static std::vector<std::string> scenario_files() {
    std::vector<std::string> out;
    fs::path dir = fs::path(VPCFW_SOURCE_DIR) / "tests" / "scenarios";
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

class Scenario : public ::testing::TestWithParam<std::string> {};

TEST_P(Scenario, EveryStepMatchesItsExpectation) {
    auto r = run_scenario_file(GetParam());
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_FALSE(r->steps.empty());
    for (const auto& s : r->steps)
        EXPECT_TRUE(s.pass) << GetParam() << " step " << s.step << ": " << s.message << "\n  got " << s.got.dump();
}

INSTANTIATE_TEST_SUITE_P(Files, Scenario, ::testing::ValuesIn(scenario_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string n = fs::path(info.param).stem().string();
                             for (char& c : n)
                                 if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });

TEST(ScenarioSuite, HasAtLeastTwoHundredSteps) {
    size_t steps = 0;
    for (const auto& f : scenario_files()) {
        auto r = run_scenario_file(f);
        if (r) steps += r->steps.size();
    }
    EXPECT_GE(steps, 200u);
}

TEST(ScenarioCompare, OnlyNamedKeysCount) {
    nlohmann::json got = {{"action", "DROP"}, {"layer", "nacl-egress"}, {"rule", "acl-1:egress:*"}};
    EXPECT_TRUE(compare_expect({{"action", "DROP"}}, got).empty());
    EXPECT_EQ(compare_expect({{"layer", "sg-egress"}}, got).size(), 1u);
    EXPECT_TRUE(compare_expect({{"tracked", false}}, got).empty());   // absent tracked = false
    EXPECT_EQ(compare_expect({{"to", "eni-1"}}, got).size(), 1u);
}
