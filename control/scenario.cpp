// The scenario runner: loads the network, plays the steps in order with their `at` times as
// the clock, and compares each decision with the step's expectations.
#include "control/scenario.hpp"

#include <algorithm>

#include <filesystem>

#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "dataplane/pipeline.hpp"
#include "ruleset/actions.hpp"
#include "ruleset/bounded_input.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/reference.hpp"
#include "ruleset/output_text.hpp"

namespace vpcfw {

size_t ScenarioResult::passed() const {
    size_t n = 0;
    for (const auto& s : steps) n += s.pass;
    return n;
}
size_t ScenarioResult::failed() const { return steps.size() - passed(); }

static const char* kExpectKeys[] = {"action", "layer", "to", "rule", "nat", "tracked", "reason", "from", "origin"};

std::vector<std::string> compare_expect(const nlohmann::json& expect, const nlohmann::json& got) {
    std::vector<std::string> out;
    for (auto it = expect.begin(); it != expect.end(); ++it) {
        const std::string& key = it.key();
        nlohmann::json g = got.contains(key) ? got[key] : nlohmann::json();
        if (key == "tracked" && g.is_null()) g = false;
        if (g != it.value()) out.push_back(key + ": expected " + json_text(it.value()) + ", got " + (g.is_null() ? "none" : json_text(g)));
    }
    return out;
}

static Error serr(const std::string& file, const std::string& where, const std::string& msg) {
    return Error{msg, {}, file, where};
}

namespace {

// The compiled side of a scenario: its own copy of the model (apply steps change it), the
// current version and one pipeline.
struct CompiledSide {
    Network net;
    std::shared_ptr<const CompiledRuleset> rs;
    std::unique_ptr<Pipeline> pipe;
    uint64_t version = 1;

    Status build(const Settings& settings) {
        CompileOptions o;
        o.version = version++;
        o.previous = rs.get();
        auto r = compile_ruleset(net, settings, o);
        if (!r) return r.error();
        auto old = rs;            // kept alive until the pipeline moved on
        rs = *r;
        pipe->set_ruleset(rs.get());
        return {};
    }
};

} // namespace

Result<ScenarioResult> run_scenario_file(const std::string& path, const ScenarioOptions& options) {
    auto text = read_input_file(path);
    if (!text) return text.error();
    nlohmann::json doc;
    try {
        doc = parse_json_bounded(*text);
    } catch (const JsonTooDeep& e) {
        return serr(path, "", e.what());
    } catch (const nlohmann::json::exception&) {
        return serr(path, "", "not a JSON object");
    }
    if (!doc.is_object()) return serr(path, "", "not a JSON object");
    ScenarioResult res;
    res.file = path;
    if (doc.contains("name") && doc["name"].is_string()) res.name = doc["name"].get<std::string>();

    // The network: a path relative to the scenario file, or an inline bundle.
    if (!doc.contains("network")) return serr(path, "/network", "missing");
    Result<Network> net = make_error("unset");
    const auto& nj = doc["network"];
    if (nj.is_string()) {
        std::filesystem::path p = std::filesystem::path(path).parent_path() / nj.get<std::string>();
        net = load_network(p.string());
    } else if (nj.is_object()) {
        net = load_network_text(json_text(nj), path + "#/network");
    } else {
        return serr(path, "/network", "must be a path or an inline bundle");
    }
    if (!net) {
        Error e = net.error();
        e.message += " (the network of scenario " + path + ")";
        return e;
    }

    if (!doc.contains("steps") || !doc["steps"].is_array()) return serr(path, "/steps", "missing or not an array");
    std::unique_ptr<CompiledSide> comp;
    if (options.compiled) {
        if (auto e = ensure_eal(); !e) return serr(path, "", e.error().message);
        comp = std::make_unique<CompiledSide>();
        comp->net = *net;
        comp->pipe = std::make_unique<Pipeline>(Settings{});
        if (auto b = comp->build(Settings{}); !b) return serr(path, "/network", "compiling: " + b.error().message);
    }
    ReferenceEvaluator ref(std::move(*net));
    const auto& steps = doc["steps"];
    double clock = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
        const auto& s = steps[i];
        std::string where = "/steps/" + std::to_string(i);
        if (!s.is_object()) return serr(path, where, "a step must be an object");
        if (s.contains("at")) {
            if (!s["at"].is_number()) return serr(path, where + "/at", "must be a number (seconds)");
            double at = s["at"].get<double>();
            if (at < clock) return serr(path, where + "/at", "time goes backwards");
            clock = at;
        }
        StepResult r;
        r.step = i;
        if (s.contains("apply")) {
            const auto& a = s["apply"];
            if (!a.is_object() || !a.contains("action") || !a["action"].is_string())
                return serr(path, where + "/apply", "needs {\"action\": NAME, \"params\": {...}}");
            // By reference: the request tree is never copied (ruleset/actions.hpp reads it).
            static const nlohmann::json kNoParams = nlohmann::json::object();
            const nlohmann::json& params = a.contains("params") ? a["params"] : kNoParams;
            auto eff = ref.apply(a["action"].get<std::string>(), params, clock);
            if (comp) {
                auto ceff = apply_action(comp->net, a["action"].get<std::string>(), params);
                if (ceff) {
                    if (auto b = comp->build(Settings{}); !b) return serr(path, where, "compiling: " + b.error().message);
                }
            }
            std::string expectErr = s.contains("expect_error") && s["expect_error"].is_string()
                                        ? s["expect_error"].get<std::string>() : "";
            r.expect = expectErr.empty() ? nlohmann::json() : nlohmann::json(expectErr);
            if (eff) {
                r.got = nlohmann::json();
                if (!expectErr.empty()) {
                    r.pass = false;
                    r.message = "expected refusal " + expectErr + ", but the action succeeded";
                }
            } else {
                r.got = eff.error().code.empty() ? nlohmann::json(eff.error().message) : nlohmann::json(eff.error().code);
                if (expectErr != eff.error().code) {
                    r.pass = false;
                    r.message = expectErr.empty() ? "unexpected refusal: " + eff.error().str()
                                                  : "expected " + expectErr + ", got " + eff.error().str();
                }
            }
            res.steps.push_back(std::move(r));
            continue;
        }
        if (!s.contains("packet") || !s["packet"].is_string())
            return serr(path, where, "a step needs \"packet\" (or \"apply\")");
        auto pkt = parse_packet(s["packet"].get<std::string>());
        if (!pkt) return serr(path, where + "/packet", pkt.error().message);
        std::string from = "auto";
        if (s.contains("from")) {
            if (!s["from"].is_string()) return serr(path, where + "/from", "must be a string");
            from = s["from"].get<std::string>();
        }
        Decision d = ref.evaluate(*pkt, from, clock);
        r.got = decision_json(d);
        std::string engineDiff;
        if (comp) {
            // An origin the network does not have is the reference's `unknown-origin`; the
            // compiled side refuses it before evaluation, so there is nothing to compare.
            if (auto o = comp->rs->origin(from)) {
                ParsedPacket pp = parsed_from_packet(*pkt, *o, clock);
                Verdict v;
                comp->pipe->process_parsed(std::span<const ParsedPacket>(&pp, 1), std::span<Verdict>(&v, 1));
                Decision cd = to_decision(v, comp->rs->names(), pkt->flow_str());
                for (const auto& m : decision_differences(d, cd))
                    engineDiff += (engineDiff.empty() ? "" : "; ") + m;
            }
        }
        if (s.contains("expect")) {
            if (!s["expect"].is_object()) return serr(path, where + "/expect", "must be an object");
            for (auto it = s["expect"].begin(); it != s["expect"].end(); ++it) {
                bool known = false;
                for (const char* k : kExpectKeys) known |= it.key() == k;
                if (!known) return serr(path, where + "/expect/" + it.key(), "unknown expectation key");
            }
            r.expect = s["expect"];
            auto diffs = compare_expect(r.expect, r.got);
            if (!diffs.empty()) {
                r.pass = false;
                for (const auto& m : diffs) r.message += (r.message.empty() ? "" : "; ") + m;
            }
        }
        if (s.contains("expect_alerts")) {
            // docs/interface.md: the rule references that must alert, in any order.
            const auto& ea = s["expect_alerts"];
            if (!ea.is_array()) return serr(path, where + "/expect_alerts", "must be a list of rule references");
            std::vector<std::string> want, got = d.alerts;
            for (const auto& x : ea) {
                if (!x.is_string()) return serr(path, where + "/expect_alerts", "must be a list of rule references");
                want.push_back(x.get<std::string>());
            }
            std::sort(want.begin(), want.end());
            std::sort(got.begin(), got.end());
            if (r.expect.is_null()) r.expect = nlohmann::json::object();
            r.expect["alerts"] = want;
            if (want != got) {
                r.pass = false;
                r.message += (r.message.empty() ? "" : "; ") + std::string("alerts: expected ") + nlohmann::json(want).dump() +
                             ", got " + nlohmann::json(got).dump();
            }
        }
        if (!engineDiff.empty()) {
            r.pass = false;
            r.message += (r.message.empty() ? "" : "; ") + std::string("the compiled pipeline disagrees: ") + engineDiff;
        }
        res.steps.push_back(std::move(r));
    }
    return res;
}

} // namespace vpcfw
