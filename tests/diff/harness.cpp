// The differential harness (tests/diff/harness.hpp): both engines over one network and one
// step sequence, decisions compared packet by packet, mismatches printed and dumped as a
// network file plus a scenario file that `vpcfw scenario` replays.
#include "tests/diff/harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

#include "ruleset/actions.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/packet.hpp"

#include "control/compiler.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/verdict.hpp"

namespace vpcfw::diff {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr size_t kBurst = kMaxBurst;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool starts(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// The layers an accepted packet passed, read from its decision.
void count_decision(Coverage& c, const Decision& d, const Packet& p) {
    // §2 CHOICE capture_at_instance: a reply of a gateway endpoint's service seen at the ENI.
    if (starts(d.from, "vpce-") && starts(d.origin, "seen-at:"))
        ++c.cases[std::string("gateway-endpoint-reply:") + (d.action == Action::Drop ? "drop" : "accept")];
    // §5 CHOICE missing_nacl_default: a subnet whose NACLs the export left out.
    for (const auto& e : d.path)
        if (starts(e, "acl-default(")) {
            ++c.cases[std::string("missing-nacl-default:") + (d.action == Action::Drop ? "drop" : "accept")];
            break;
        }
    // §8 CHOICE tgw_bgp_any_destination: a learned default route of a DX / dynamic VPN attachment.
    if (std::find(d.choices.begin(), d.choices.end(), "tgw_bgp_any_destination") != d.choices.end())
        ++c.cases[std::string("tgw-bgp-default:") + (d.action == Action::Drop ? "drop" : "accept")];
    // §8 TGW peering: crossed to the peer TGW, left at a peering whose peer is not exported,
    // or refused a second peering.
    if (std::find(d.path.begin(), d.path.end(), "tgw-attach-0p01") != d.path.end())
        ++c.cases[std::string("tgw-peering-crossed:") + (d.action == Action::Drop ? "drop" : "accept")];
    if (d.action == Action::Accept && starts(d.to, "tgw-attach-0p")) ++c.cases["tgw-peering-left:accept"];
    if (d.action == Action::Drop && d.layer == Layer::Tgw && d.reason == "peering-not-transitive")
        ++c.cases["tgw-peering-not-transitive:drop"];
    if (d.action == Action::Drop && starts(d.rule, "acl-default("))
        ++c.cases["missing-nacl-default:drop"];
    if (d.action == Action::Drop) {
        ++c.drop[static_cast<size_t>(d.layer) % kLayerCount];
        ++c.drop_reasons[std::string(layer_name(d.layer)) + ":" + d.reason];
        return;
    }
    bool seen[kLayerCount] = {};
    if (p.frag == Frag::More || p.frag == Frag::Last) seen[unsigned(Layer::Parse)] = true;
    if (starts(d.from, "eni-")) seen[unsigned(Layer::Origin)] = true;
    if (starts(d.to, "vpce-")) seen[unsigned(Layer::Endpoint)] = true;
    for (const auto& e : d.path) {
        if (starts(e, "sg-egress:")) seen[unsigned(Layer::SgEgress)] = true;
        if (starts(e, "sg-ingress:")) seen[unsigned(Layer::SgIngress)] = true;
        if (starts(e, "acl-") || starts(e, "none:")) {
            if (e.find(":egress:") != std::string::npos) seen[unsigned(Layer::NaclEgress)] = true;
            if (e.find(":ingress:") != std::string::npos) seen[unsigned(Layer::NaclIngress)] = true;
        }
        if (starts(e, "rtb-")) seen[unsigned(Layer::Route)] = true;
        if (starts(e, "nat-")) seen[unsigned(Layer::Nat)] = true;
        if (starts(e, "tgw-")) seen[unsigned(Layer::Tgw)] = true;
        if (e.size() > 6 && e.compare(e.size() - 6, 6, ":state") == 0) seen[unsigned(Layer::Conntrack)] = true;
    }
    for (size_t l = 0; l < kLayerCount; ++l) c.accept[l] += seen[l];
}

// The expectation a scenario file states for a reference decision.
json expect_of(const Decision& d) {
    json j = decision_json(d), e = json::object();
    for (const char* k : {"action", "layer", "reason", "rule", "from", "origin", "to", "nat", "tracked"})
        if (j.contains(k)) e[k] = j[k];
    return e;
}

} // namespace

void Coverage::add(const Coverage& o) {
    for (size_t l = 0; l < kLayerCount; ++l) {
        accept[l] += o.accept[l];
        drop[l] += o.drop[l];
    }
    for (const auto& [k, v] : o.drop_reasons) drop_reasons[k] += v;
    for (const auto& [k, v] : o.cases) cases[k] += v;
}

std::string Coverage::table() const {
    std::ostringstream o;
    char line[128];
    std::snprintf(line, sizeof line, "%-14s %12s %12s\n", "layer", "accept", "drop");
    o << line;
    for (size_t l = 1; l < kLayerCount; ++l) {
        std::snprintf(line, sizeof line, "%-14s %12llu %12llu\n", layer_name(static_cast<Layer>(l)),
                      static_cast<unsigned long long>(accept[l]), static_cast<unsigned long long>(drop[l]));
        o << line;
    }
    o << "cases:\n";
    for (const auto& [k, v] : cases) {
        std::snprintf(line, sizeof line, "  %-40s %10llu\n", k.c_str(), static_cast<unsigned long long>(v));
        o << line;
    }
    o << "drop reasons:\n";
    for (const auto& [k, v] : drop_reasons) {
        std::snprintf(line, sizeof line, "  %-40s %10llu\n", k.c_str(), static_cast<unsigned long long>(v));
        o << line;
    }
    return o.str();
}

void HarnessStats::add(const HarnessStats& o) {
    networks += o.networks;
    packets += o.packets;
    applies += o.applies;
    applies_refused += o.applies_refused;
    skipped_origins += o.skipped_origins;
    mismatches += o.mismatches;
    apply_mismatches += o.apply_mismatches;
    compile_failures += o.compile_failures;
    bursts += o.bursts;
    ref_s += o.ref_s;
    compiled_s += o.compiled_s;
    compile_s += o.compile_s;
    coverage.add(o.coverage);
    for (const auto& [k, v] : o.intents) intents[k] += v;
    for (const auto& [k, v] : o.mismatch_kinds) mismatch_kinds[k] += v;
}

std::vector<std::string> compare_decisions(const Decision& ref, const Decision& got) {
    // A Verdict carries at most kVerdictMaxPath hops and kVerdictMaxNotes notes.
    Decision cut = ref;
    cut.trace.clear();
    if (cut.path.size() > kVerdictMaxPath) cut.path.resize(kVerdictMaxPath);
    if (cut.notes.size() > kVerdictMaxNotes) cut.notes.resize(kVerdictMaxNotes);
    return vpcfw::decision_differences(cut, got);
}

// One network and its steps.
struct Harness::Run {
    std::string label;               // "seed 17 (network 3)" or a scenario file
    uint64_t seed = 0;
    size_t index = 0;
    const json* bundle = nullptr;    // generated networks: the JSON to dump
    Network net;
    Settings settings;
    bool default_settings = true;
    size_t capacity = 1u << 14;      // Pipeline state capacity
    std::function<bool(const Network&, Step&)> next;
    std::function<void(const Step&, const Decision*, bool)> observe;
};

Harness::Harness(HarnessOptions options) : opt_(std::move(options)) {
    if (opt_.dump_dir.empty()) {
        const char* e = std::getenv("VPCFW_DIFF_DUMP");
        opt_.dump_dir = e && *e ? e : "/tmp/vpcfw-diff";
    }
}

Status Harness::run(Run& r, HarnessStats& stats) {
    using clock = std::chrono::steady_clock;
    ReferenceEvaluator ref(r.net, r.settings);
    std::vector<Step> history;          // every step both engines saw, for dumps
    bool dumped_this_run = false;

    // Writes the network and a scenario reproducing steps [0, upto], expecting the
    // reference's decisions (the reference is replayed from the start to get them).
    auto dump = [&](size_t upto, const std::vector<std::string>& diffs) -> std::string {
        if (!r.bundle) return {};
        std::error_code ec;
        fs::create_directories(opt_.dump_dir, ec);
        std::string stem = "diff-" + std::to_string(r.seed);
        std::string netFile = stem + "-network.json";
        std::ofstream(fs::path(opt_.dump_dir) / netFile) << r.bundle->dump(1) << "\n";
        json sc;
        sc["name"] = "differential mismatch: " + r.label + ", step " + std::to_string(upto) +
                     (r.default_settings ? "" : " (non-default Settings: see " + stem + "-settings.json)");
        sc["network"] = netFile;
        json steps = json::array();
        ReferenceEvaluator replay(r.net, r.settings);
        for (size_t i = 0; i <= upto && i < history.size(); ++i) {
            const Step& s = history[i];
            json j = {{"at", s.at}};
            if (s.kind == Step::Kind::Apply) {
                j["apply"] = {{"action", s.action}, {"params", s.params}};
                auto res = replay.apply(s.action, s.params, s.at);
                if (!res) j["expect_error"] = res.error().code.empty() ? res.error().message : res.error().code;
            } else {
                j["from"] = s.from;
                j["packet"] = s.packet.str();
                j["expect"] = expect_of(replay.evaluate(s.packet, s.from, s.at));
                if (i == upto) {
                    std::string m;
                    for (const auto& d : diffs) m += (m.empty() ? "" : "; ") + d;
                    j["note"] = "MISMATCH: " + m;
                }
            }
            steps.push_back(j);
        }
        sc["steps"] = steps;
        if (!r.default_settings)
            std::ofstream(fs::path(opt_.dump_dir) / (stem + "-settings.json")) << settings_json(r.settings).dump(1) << "\n";
        fs::path scFile = fs::path(opt_.dump_dir) / (stem + "-scenario.json");
        std::ofstream(scFile) << sc.dump(1) << "\n";
        return scFile.string();
    };

    auto report = [&](size_t step, const Step& s, const Decision& want, const Decision* got,
                      const std::vector<std::string>& diffs) {
        ++stats.mismatches;
        std::string kind = std::string(s.what) + ":";
        for (const auto& d : diffs) kind += " " + d.substr(0, d.find(':'));
        ++stats.mismatch_kinds[kind];
        std::string file;
        if (!dumped_this_run && dumped_ < opt_.max_printed) {
            file = dump(step, diffs);
            dumped_this_run = true;
            ++dumped_;
        }
        if (printed_ >= opt_.max_printed) return;
        ++printed_;
        std::fprintf(stderr, "MISMATCH %s, step %zu at %.6f: from %s: %s  [%s]\n", r.label.c_str(), step, s.at,
                     s.from.c_str(), s.packet.str().c_str(), s.what);
        for (const auto& d : diffs) std::fprintf(stderr, "  %s\n", d.c_str());
        std::fprintf(stderr, "  reference: %s\n", decision_json(want).dump().c_str());
        if (got) std::fprintf(stderr, "  compiled:  %s\n", decision_json(*got).dump().c_str());
        if (!file.empty())
            std::fprintf(stderr, "  reproduce: vpcfw scenario %s   (network beside it)\n", file.c_str());
    };

    std::shared_ptr<const CompiledRuleset> cur;
    std::vector<std::shared_ptr<const CompiledRuleset>> retired;   // published since the last burst
    std::unique_ptr<Pipeline> pipe;
    Network cnet = r.net;
    uint64_t version = 1;
    if (opt_.compiled) {
        auto t0 = clock::now();
        auto c = compile_ruleset(cnet, r.settings, CompileOptions{AclAlgorithm::Default, version});
        stats.compile_s += seconds_since(t0);
        if (!c) return Error{"compile_ruleset failed for " + r.label + ": " + c.error().str(), {}, {}, {}};
        cur = *c;
        pipe = std::make_unique<Pipeline>(r.settings, r.capacity);
        pipe->set_ruleset(cur.get());
    }
    struct Pending {
        size_t step;
        Decision want;
    };
    std::vector<Pending> pending;
    std::vector<ParsedPacket> in;
    pending.reserve(kBurst);
    in.reserve(kBurst);
    Verdict out[kBurst];
    auto flush = [&] {
        if (pending.empty()) return;
        auto t0 = clock::now();
        pipe->process_parsed(std::span<const ParsedPacket>(in.data(), in.size()), std::span<Verdict>(out, in.size()));
        stats.compiled_s += seconds_since(t0);
        ++stats.bursts;
        retired.clear();   // the pipeline has moved on to `cur`
        for (size_t i = 0; i < pending.size(); ++i) {
            const Step& s = history[pending[i].step];
            Decision got = to_decision(out[i], cur->names(), s.packet.flow_str());
            auto diffs = compare_decisions(pending[i].want, got);
            if (!diffs.empty()) report(pending[i].step, s, pending[i].want, &got, diffs);
            count_decision(stats.coverage, pending[i].want, s.packet);
            ++stats.packets;
        }
        pending.clear();
        in.clear();
    };

    auto known_origin = [&](const std::string& spec) -> bool {
        if (opt_.compiled) return cur->origin(spec).ok();
        const Network& n = ref.network();
        return spec.empty() || spec == "auto" || spec == "internet" || n.index.eni.count(spec) ||
               n.index.vpn_gateway.count(spec) || n.index.peering.count(spec) || n.index.tgw_attachment.count(spec);
    };

    Step s;
    while (r.next(ref.network(), s)) {
        if (s.kind == Step::Kind::Apply) {
            flush();
            ++stats.applies;
            auto res = ref.apply(s.action, s.params, s.at);
            if (!res) ++stats.applies_refused;
            history.push_back(s);
            if (opt_.compiled) {
                auto mine = apply_action(cnet, s.action, s.params);
                if (mine.ok() != res.ok() || (!mine.ok() && mine.error().code != res.error().code)) {
                    ++stats.apply_mismatches;
                    if (printed_ < opt_.max_printed) {
                        ++printed_;
                        std::fprintf(stderr, "APPLY MISMATCH %s, step %zu: %s %s: reference %s, harness copy %s\n",
                                     r.label.c_str(), history.size() - 1, s.action.c_str(), s.params.dump().c_str(),
                                     res ? "ok" : res.error().str().c_str(), mine ? "ok" : mine.error().str().c_str());
                    }
                }
                if (mine) {
                    auto t0 = clock::now();
                    // A successor of the running version (shared names, as a live publisher does).
                    CompileOptions co;
                    co.version = ++version;
                    co.previous = cur.get();
                    auto c = compile_ruleset(cnet, r.settings, co);
                    stats.compile_s += seconds_since(t0);
                    if (!c) {
                        ++stats.compile_failures;
                        if (printed_ < opt_.max_printed) {
                            ++printed_;
                            std::fprintf(stderr, "COMPILE FAILURE %s after step %zu (%s): %s\n", r.label.c_str(),
                                         history.size() - 1, s.action.c_str(), c.error().str().c_str());
                        }
                    } else {
                        // Keep the old version alive until the pipeline has processed a burst.
                        retired.push_back(cur);
                        cur = *c;
                        pipe->set_ruleset(cur.get());
                    }
                }
            }
            if (r.observe) r.observe(s, nullptr, res.ok());
            continue;
        }
        if (!known_origin(s.from)) {
            ++stats.skipped_origins;
            if (r.observe) r.observe(s, nullptr, true);
            continue;
        }
        auto t0 = clock::now();
        Decision want = ref.evaluate(s.packet, s.from, s.at);
        stats.ref_s += seconds_since(t0);
        if (r.observe) r.observe(s, &want, true);
        history.push_back(s);
        if (opt_.compiled) {
            OriginSpec o = *cur->origin(s.from);
            in.push_back(parsed_from_packet(s.packet, o, s.at));
            want.trace.clear();
            pending.push_back(Pending{history.size() - 1, std::move(want)});
            if (pending.size() == kBurst) flush();
            continue;
        }
        count_decision(stats.coverage, want, s.packet);
        ++stats.packets;
    }
    flush();
    // Emergency mode (CHOICE conntrack_emergency): entered as often in both.
    stats.coverage.cases["conntrack-emergency"] += ref.conntrack_emergencies();
    if (pipe && pipe->counters().conntrack_emergencies != ref.conntrack_emergencies()) {
        ++stats.mismatches;
        ++stats.mismatch_kinds["conntrack emergencies"];
        std::fprintf(stderr, "MISMATCH %s: connection table entered emergency mode %llu times (reference) and %llu (compiled)\n",
                     r.label.c_str(), (unsigned long long)ref.conntrack_emergencies(),
                     (unsigned long long)pipe->counters().conntrack_emergencies);
    }
    ++stats.networks;
    return Status::Ok();
}

Status Harness::run_generated(uint64_t seed, size_t index, size_t steps, HarnessStats& stats) {
    auto g = generate_network(seed);
    if (!g) return g.error();
    Run r;
    r.label = "seed " + std::to_string(seed) + " (network " + std::to_string(index) + ")";
    r.seed = seed;
    r.index = index;
    r.bundle = &g->bundle;
    r.net = g->net;
    r.settings = g->settings;
    r.default_settings = g->default_settings;
    r.capacity = std::max<size_t>(4096, 2 * steps);
    // Both evaluators hold the same connection table: the generator's (small, to reach
    // capacity and emergency mode) or the pipeline's.
    r.capacity = std::min(r.capacity, g->settings.conntrack_table_capacity);
    r.settings.conntrack_table_capacity = r.capacity;
    TrafficGen gen(seed * 0x9e3779b97f4a7c15ull + 1, g->settings, opt_.traffic);
    size_t left = steps;
    r.next = [&](const Network& net, Step& s) {
        if (left == 0) return false;
        --left;
        s = gen.next(net);
        return true;
    };
    r.observe = [&](const Step& s, const Decision* d, bool applied) { gen.observe(s, d, applied); };
    Status st = run(r, stats);
    for (const auto& [k, v] : gen.intents()) stats.intents[k] += v;
    return st;
}

Status Harness::run_scenario(const std::string& path, HarnessStats& stats) {
    auto fail = [&](const std::string& where, const std::string& msg) { return Status(Error{msg, {}, path, where}); };
    std::ifstream f(path, std::ios::binary);
    if (!f) return fail("", "cannot read the file");
    std::stringstream ss;
    ss << f.rdbuf();
    json doc = json::parse(ss.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return fail("", "not a JSON object");
    if (!doc.contains("network")) return fail("/network", "missing");
    Result<Network> net = make_error("unset");
    if (doc["network"].is_string())
        net = load_network((fs::path(path).parent_path() / doc["network"].get<std::string>()).string());
    else if (doc["network"].is_object())
        net = load_network_text(doc["network"].dump(), path + "#/network");
    else
        return fail("/network", "must be a path or an inline bundle");
    if (!net) return net.error();
    if (!doc.contains("steps") || !doc["steps"].is_array()) return fail("/steps", "missing or not an array");
    std::vector<Step> steps;
    double clock = 0;
    for (size_t i = 0; i < doc["steps"].size(); ++i) {
        const json& j = doc["steps"][i];
        std::string where = "/steps/" + std::to_string(i);
        if (!j.is_object()) return fail(where, "a step must be an object");
        if (j.contains("at")) {
            if (!j["at"].is_number()) return fail(where + "/at", "must be a number");
            clock = j["at"].get<double>();
        }
        Step s;
        s.at = clock;
        s.what = "scenario";
        if (j.contains("apply")) {
            const json& a = j["apply"];
            if (!a.is_object() || !a.contains("action") || !a["action"].is_string())
                return fail(where + "/apply", "needs {\"action\": NAME, \"params\": {...}}");
            s.kind = Step::Kind::Apply;
            s.action = a["action"].get<std::string>();
            s.params = a.contains("params") ? a["params"] : json::object();
        } else {
            if (!j.contains("packet") || !j["packet"].is_string()) return fail(where, "needs \"packet\" or \"apply\"");
            auto p = parse_packet(j["packet"].get<std::string>());
            if (!p) return fail(where + "/packet", p.error().message);
            s.packet = *p;
            if (j.contains("from") && j["from"].is_string()) s.from = j["from"].get<std::string>();
        }
        steps.push_back(std::move(s));
    }
    Run r;
    r.label = path;
    r.net = std::move(*net);
    r.capacity = 4096;
    size_t at = 0;
    r.next = [&](const Network&, Step& s) {
        if (at == steps.size()) return false;
        s = steps[at++];
        return true;
    };
    return run(r, stats);
}

} // namespace vpcfw::diff
