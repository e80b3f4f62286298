// The replay driver (chunked, deterministic) and its summary. Design: docs/replay.md.
#include "pcap/replay.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pcap/decision_log.hpp"
#include "pcap/flow_logs.hpp"
#include "pcap/reader.hpp"
#include "pcap/shard.hpp"
#include "pcap/writer.hpp"

namespace vpcfw {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Error usage_error(std::string message, std::string file = {}) { return Error{std::move(message), {}, std::move(file), {}}; }
Error runtime_error(Error e) {
    e.kind = ErrorKind::Runtime;
    return e;
}

struct OutcomeKey {
    uint8_t worker;
    uint8_t layer;      // 0xff: ACCEPT (sym = destination)
    uint32_t sym;       // destination or rule
    uint32_t reason;    // drops without a rule
    bool operator==(const OutcomeKey&) const = default;
};
struct OutcomeHash {
    size_t operator()(const OutcomeKey& k) const noexcept {
        return (static_cast<size_t>(k.sym) * 0x9e3779b97f4a7c15ull) ^ (static_cast<size_t>(k.reason) << 20) ^
               (static_cast<size_t>(k.layer) << 8) ^ k.worker;
    }
};

struct FrameMeta {
    size_t offset;
    uint32_t caplen, wirelen;
    int64_t ts_ns;
    LinkType link;
};

// Runs fn(w) for w in [0, n) on n threads (inline when n == 1); rethrows nothing: the
// first exception message is returned.
template <typename Fn>
std::string parallel(unsigned n, Fn fn) {
    std::vector<std::string> errors(n);
    auto guarded = [&](unsigned w) {
        try {
            fn(w);
        } catch (const std::exception& e) {
            errors[w] = e.what();
        }
    };
    if (n == 1) {
        guarded(0);
    } else {
        std::vector<std::thread> ts;
        for (unsigned w = 0; w < n; ++w) ts.emplace_back(guarded, w);
        for (auto& t : ts) t.join();
    }
    for (auto& e : errors)
        if (!e.empty()) return e;
    return {};
}

class Progress {
public:
    Progress(bool on, long long total_bytes, std::ostream& err) : on_(on), total_(total_bytes), err_(err) {}
    void update(uint64_t packets, long long bytes, double secs, bool final = false) {
        if (!on_) return;
        double frac = total_ > 0 ? std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_)) : 1.0;
        if (final) frac = 1.0;
        int w = 30, fill = static_cast<int>(frac * w);
        std::ostringstream o;
        o << "\r[" << std::string(fill, '#') << std::string(w - fill, ' ') << "] " << std::setw(3)
          << static_cast<int>(frac * 100) << "%  " << packets << " packets  " << std::fixed << std::setprecision(2)
          << (secs > 0 ? static_cast<double>(packets) / secs / 1e6 : 0.0) << " Mpps";
        err_ << o.str() << (final ? "\n" : "") << std::flush;
    }

private:
    bool on_;
    long long total_;
    std::ostream& err_;
};

} // namespace

Result<ReplaySummary> run_replay(const Network& net, const ReplayOptions& opt, std::ostream& err) {
    ReplaySummary sum;
    sum.pcap = opt.pcap;
    sum.engine = engine_name(opt.engine);
    unsigned n = std::max(1u, opt.workers);
    sum.workers = n;

    auto origin = resolve_origin(net, opt.from);
    if (!origin) return usage_error("--from: " + origin.error().message);
    std::optional<FlowLogFormat> fmt;
    if (!opt.flow_logs.empty()) {
        auto f = parse_flow_log_format(opt.flow_log_format.empty() ? kDefaultFlowLogFormat : opt.flow_log_format);
        if (!f) return usage_error("--flow-log-format: " + f.error().message);
        fmt = *f;
    }
    if (opt.flow_log_interval <= 0) return usage_error("--flow-log-interval must be positive (AWS: 60 or 600)");

    auto reader = CaptureReader::open(opt.pcap);
    if (!reader) return usage_error(reader.error().message, reader.error().file);
    CaptureReader& rd = **reader;

    std::vector<std::unique_ptr<ReplayEngine>> engines;
    for (unsigned w = 0; w < n; ++w) {
        auto e = make_engine(opt.engine, net, opt.settings, w, opt.compiled);
        if (!e) return usage_error(e.error().message);
        engines.push_back(std::move(*e));
    }
    FlowSharder sharder(net);

    // Outputs.
    std::ofstream decisions, flowLogs;
    if (!opt.decisions.empty()) {
        decisions.open(opt.decisions, std::ios::binary);
        if (!decisions) return runtime_error(Error{"cannot create the decisions file", {}, opt.decisions, {}});
    }
    std::unique_ptr<FlowLogWriter> flowLog;
    if (fmt) {
        flowLogs.open(opt.flow_logs, std::ios::binary);
        if (!flowLogs) return runtime_error(Error{"cannot create the flow-log file", {}, opt.flow_logs, {}});
        flowLog = std::make_unique<FlowLogWriter>(net, *fmt, opt.flow_log_interval, flowLogs);
    }
    PcapngWriter acceptedW, droppedW;
    if (!opt.accepted.empty())
        if (Status s = acceptedW.open(opt.accepted); !s) return runtime_error(s.error());
    if (!opt.dropped.empty())
        if (Status s = droppedW.open(opt.dropped); !s) return runtime_error(s.error());

    long long fileBytes = 0;
    if (std::FILE* f = std::fopen(opt.pcap.c_str(), "rb")) {
        std::fseek(f, 0, SEEK_END);
        fileBytes = std::ftell(f);
        std::fclose(f);
    }
    Progress progress(opt.progress, fileBytes, err);

    std::vector<uint8_t> arena;
    std::vector<FrameMeta> meta;
    std::vector<Frame> frames;
    std::vector<ParseResult> parsed;
    std::vector<uint8_t> owner;
    std::vector<Verdict> verdicts;
    std::unordered_set<uint64_t> flows;
    std::unordered_map<OutcomeKey, uint64_t, OutcomeHash> outcomes;
    long long bytesRead = 0;
    uint64_t seqBase = 0;
    auto start = Clock::now();
    bool more = true;
    while (more) {
        // Read one chunk.
        arena.clear();
        meta.clear();
        CapturePacket cp;
        while (meta.size() < opt.chunk_frames && arena.size() < opt.chunk_bytes) {
            if (!rd.next(cp)) {
                more = false;
                break;
            }
            meta.push_back(FrameMeta{arena.size(), cp.caplen, cp.wirelen, cp.ts_ns, cp.link});
            arena.insert(arena.end(), cp.data, cp.data + cp.caplen);
            bytesRead += cp.caplen + 16;
        }
        size_t m = meta.size();
        if (m == 0) break;
        frames.resize(m);
        parsed.resize(m);
        owner.resize(m);
        verdicts.resize(m);
        for (size_t i = 0; i < m; ++i) {
            Frame& f = frames[i];
            f.data = arena.data() + meta[i].offset;
            f.caplen = meta[i].caplen;
            f.wirelen = meta[i].wirelen;
            f.link = meta[i].link;
            f.ts = static_cast<double>(meta[i].ts_ns) / 1e9;
            f.origin = *origin;
        }
        auto evalStart = Clock::now();
        // Parse and shard, contiguous ranges in parallel.
        std::string failure = parallel(n, [&](unsigned w) {
            size_t lo = m * w / n, hi = m * (w + 1) / n;
            for (size_t i = lo; i < hi; ++i) {
                parsed[i] = parse_frame(frames[i].data, frames[i].caplen, frames[i].wirelen, frames[i].link);
                owner[i] = static_cast<uint8_t>(parsed[i].ok() ? sharder.worker_of(parsed[i].key, n) : 0);
            }
        });
        // Each worker evaluates its own packets in input order, in bursts.
        if (failure.empty())
            failure = parallel(n, [&](unsigned w) {
                Frame bf[kMaxBurst];
                ParseResult bp[kMaxBurst];
                Verdict bv[kMaxBurst];
                size_t idx[kMaxBurst];
                unsigned k = 0;
                auto run = [&] {
                    engines[w]->evaluate(std::span<const Frame>(bf, k), std::span<const ParseResult>(bp, k), std::span<Verdict>(bv, k));
                    for (unsigned j = 0; j < k; ++j) verdicts[idx[j]] = bv[j];
                    k = 0;
                };
                for (size_t i = 0; i < m; ++i) {
                    if (owner[i] != w) continue;
                    bf[k] = frames[i];
                    bp[k] = parsed[i];
                    idx[k++] = i;
                    if (k == kMaxBurst) run();
                }
                if (k) run();
            });
        if (!failure.empty()) return runtime_error(make_error("engine failed: " + failure));
        sum.evaluate_s += since(evalStart);

        // Outputs, in input order.
        for (size_t i = 0; i < m; ++i) {
            const Verdict& v = verdicts[i];
            const Names& names = engines[owner[i]]->names();
            uint64_t seq = seqBase + i;
            ++sum.packets;
            sum.bytes += meta[i].wirelen;
            // Counted by symbol ids (per worker: each engine has its own table); turned into
            // names once at the end, so the per-packet cost is one hash update.
            if (v.action == Action::Accept) {
                ++sum.accepted;
                ++outcomes[OutcomeKey{owner[i], 0xff, v.to, 0}];
            } else {
                ++sum.dropped;
                ++outcomes[OutcomeKey{owner[i], static_cast<uint8_t>(v.layer), v.rule, v.rule ? 0 : v.reason}];
            }
            bool ok = parsed[i].ok();
            uint64_t fid = ok ? flow_id(parsed[i].key) : 0;
            if (ok) flows.insert(fid);
            bool needDecision = decisions.is_open() || !opt.accepted.empty() || !opt.dropped.empty();
            if (!needDecision && !flowLog) continue;
            std::string flowText = ok ? to_packet(parsed[i]).flow_str() : std::string();
            if (needDecision) {
                Decision d = to_decision(v, names, flowText);
                if (decisions.is_open()) {
                    DecisionLineHead head{seq, meta[i].ts_ns, ok ? std::optional<uint64_t>(fid) : std::nullopt};
                    decisions << decision_line(head, d) << '\n';
                }
                PcapngWriter* w = v.action == Action::Accept ? (opt.accepted.empty() ? nullptr : &acceptedW)
                                                             : (opt.dropped.empty() ? nullptr : &droppedW);
                if (w)
                    if (Status s = w->write(frames[i].data, meta[i].caplen, meta[i].wirelen, meta[i].ts_ns, meta[i].link,
                                            decision_comment(seq, d));
                        !s)
                        return runtime_error(s.error());
            }
            if (flowLog && ok) flowLog->add(seq, frames[i].ts, parsed[i].key, v, names);
        }
        seqBase += m;
        progress.update(sum.packets, bytesRead, since(start));
    }
    for (const auto& [k, c] : outcomes) {
        const Names& names = engines[k.worker]->names();
        if (k.layer == 0xff) {
            sum.to[names.name(k.sym)] += c;
            continue;
        }
        auto layer = static_cast<Layer>(k.layer);
        sum.dropped_by_layer[layer_name(layer)] += c;
        sum.drop_rules[std::string(layer_name(layer)) + " " + (k.sym ? names.name(k.sym) : "(" + names.name(k.reason) + ")")] += c;
        if (layer == Layer::Parse) sum.parse_reasons[names.name(k.reason)] += c;
    }
    if (flowLog) {
        flowLog->finish();
        sum.flow_log_records = flowLog->records();
    }
    if (decisions.is_open()) {
        decisions.flush();
        if (!decisions) return runtime_error(Error{"write failed", {}, opt.decisions, {}});
    }
    if (flowLogs.is_open()) {
        flowLogs.flush();
        if (!flowLogs) return runtime_error(Error{"write failed", {}, opt.flow_logs, {}});
    }
    if (Status s = acceptedW.close(); !s) return runtime_error(s.error());
    if (Status s = droppedW.close(); !s) return runtime_error(s.error());
    sum.elapsed_s = since(start);
    sum.mpps = sum.elapsed_s > 0 ? static_cast<double>(sum.packets) / sum.elapsed_s / 1e6 : 0;
    sum.flows = flows.size();
    progress.update(sum.packets, bytesRead, sum.elapsed_s, true);

    const CaptureProblems& pr = rd.problems();
    sum.truncated = pr.truncated;
    sum.broken = pr.broken;
    sum.own_pcapng_reader = rd.own_pcapng_reader();
    if (pr.truncated)
        err << "warning: " << opt.pcap << ": " << pr.truncated
            << " packets were captured shorter than on the wire (snap length); they are evaluated as far as their headers reach\n";
    for (const auto& msg : pr.messages) err << "warning: " << msg << "\n";
    if (pr.broken > pr.messages.size()) err << "warning: " << opt.pcap << ": " << pr.broken - pr.messages.size() << " more broken records\n";
    return sum;
}

void print_summary(const ReplaySummary& s, std::ostream& out) {
    auto pct = [&](uint64_t v) {
        std::ostringstream o;
        o << std::fixed << std::setprecision(1) << (s.packets ? 100.0 * static_cast<double>(v) / static_cast<double>(s.packets) : 0.0) << "%";
        return o.str();
    };
    out << "replay of " << s.pcap << " (engine " << s.engine << ", " << s.workers << (s.workers == 1 ? " worker" : " workers")
        << ")\n";
    out << "  packets   " << std::setw(12) << s.packets << "   " << s.bytes << " bytes\n";
    out << "  accepted  " << std::setw(12) << s.accepted << "   " << pct(s.accepted) << "\n";
    out << "  dropped   " << std::setw(12) << s.dropped << "   " << pct(s.dropped) << "\n";
    for (const auto& [layer, c] : s.dropped_by_layer) out << "    " << std::left << std::setw(14) << layer << std::right << std::setw(8) << c << "\n";
    out << "  flows     " << std::setw(12) << s.flows << "\n";
    if (!s.to.empty()) {
        std::vector<std::pair<uint64_t, std::string>> v;
        for (const auto& [k, c] : s.to) v.emplace_back(c, k);
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
        out << "  accepted to (top " << std::min<size_t>(5, v.size()) << "):\n";
        for (size_t i = 0; i < v.size() && i < 5; ++i) out << "    " << std::setw(8) << v[i].first << "  " << v[i].second << "\n";
    }
    if (!s.drop_rules.empty()) {
        std::vector<std::pair<uint64_t, std::string>> v;
        for (const auto& [k, c] : s.drop_rules) v.emplace_back(c, k);
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
        out << "  top deciding rules of drops:\n";
        for (size_t i = 0; i < v.size() && i < 10; ++i) out << "    " << std::setw(8) << v[i].first << "  " << v[i].second << "\n";
    }
    if (s.truncated) out << "  truncated " << std::setw(12) << s.truncated << "   (snap length; evaluated as far as the headers reach)\n";
    if (s.broken) out << "  broken    " << std::setw(12) << s.broken << "   (reading stopped there)\n";
    out << std::fixed << std::setprecision(3) << "  load " << s.load_s << " s, compile " << s.compile_s << " s, replay "
        << s.elapsed_s << " s (evaluate " << s.evaluate_s << " s), " << std::setprecision(3) << s.mpps << " Mpps\n";
    out.unsetf(std::ios::floatfield);
}

nlohmann::json summary_json(const ReplaySummary& s) {
    nlohmann::json j;
    j["pcap"] = s.pcap;
    j["packets"] = s.packets;
    j["bytes"] = s.bytes;
    j["accepted"] = s.accepted;
    j["dropped"] = s.dropped;
    j["dropped_by_layer"] = s.dropped_by_layer;
    j["parse_reasons"] = s.parse_reasons;
    j["drop_rules"] = s.drop_rules;
    j["accepted_to"] = s.to;
    j["flows"] = s.flows;
    j["workers"] = s.workers;
    j["engine"] = s.engine;
    j["truncated"] = s.truncated;
    j["broken"] = s.broken;
    j["flow_log_records"] = s.flow_log_records;
    j["load_s"] = s.load_s;
    j["compile_s"] = s.compile_s;
    j["elapsed_s"] = s.elapsed_s;
    j["evaluate_s"] = s.evaluate_s;
    j["mpps"] = s.mpps;
    return j;
}

} // namespace vpcfw
