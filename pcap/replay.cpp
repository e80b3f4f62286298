// The replay driver (chunked, deterministic) and its summary. Design: docs/replay.md.
#include "pcap/replay.hpp"

#include <sys/stat.h>
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
#include <vector>

#include "pcap/capture_filter.hpp"
#include "pcap/decision_log.hpp"
#include "pcap/flow_logs.hpp"
#include "pcap/outcome_counts.hpp"
#include "pcap/output_sink.hpp"
#include "pcap/reader.hpp"
#include "pcap/replay_crew.hpp"
#include "pcap/rule_hits.hpp"
#include "ruleset/name_lookup.hpp"
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
    sum.filter = opt.filter;
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

    std::optional<CaptureFilter> filter;
    if (!opt.filter.empty()) {
        auto f = CaptureFilter::compile(opt.filter);
        if (!f) return usage_error(f.error().message);
        filter = std::move(*f);
    }
    auto reader = CaptureReader::open(opt.pcap);
    if (!reader) return usage_error(reader.error().message, reader.error().file);
    CaptureReader& rd = **reader;

    std::vector<std::unique_ptr<ReplayEngine>> engines;
    for (unsigned w = 0; w < n; ++w) {
        auto e = make_engine(opt.engine, net, opt.settings, n, opt.compiled);
        if (!e) return usage_error(e.error().message);
        engines.push_back(std::move(*e));
    }
    FlowSharder sharder(net);

    // Outputs ("-": standard output, pcap/output_sink.hpp).
    std::ostream& stdOut = opt.std_out ? *opt.std_out : std::cout;
    OutputSink decisions, flowLogs;
    if (!opt.decisions.empty())
        if (Status s = decisions.open(opt.decisions, stdOut, "decisions"); !s) return s.error();
    std::unique_ptr<FlowLogWriter> flowLog;
    if (fmt) {
        if (Status s = flowLogs.open(opt.flow_logs, stdOut, "flow-log"); !s) return s.error();
        flowLog = std::make_unique<FlowLogWriter>(net, *fmt, opt.flow_log_interval, flowLogs.stream());
    }
    PcapngWriter acceptedW, droppedW;
    if (!opt.accepted.empty())
        if (Status s = acceptedW.open(opt.accepted); !s) return runtime_error(s.error());
    if (!opt.dropped.empty())
        if (Status s = droppedW.open(opt.dropped); !s) return runtime_error(s.error());

    // The progress bar's total: a regular file's size (never opened again: it may be a FIFO).
    long long fileBytes = 0;
    if (struct stat st {}; stat(opt.pcap.c_str(), &st) == 0 && S_ISREG(st.st_mode)) fileBytes = st.st_size;
    Progress progress(opt.progress, fileBytes, err);

    // Chunks of a few hundred frames stay in cache from reading to writing; a mapped
    // capture's frames are used where they lie (no copy), others are copied into `arena`.
    // Per-worker flow-id sets start at a size estimated from the capture (records of ~80
    // bytes, ~16 packets a flow; at most 2^18) and grow from there: a table sized for
    // every packet would be far beyond the cache for the flows a capture really has.
    const bool inPlace = rd.data_stays();
    const size_t chunkFrames = std::max<size_t>(1, opt.chunk_frames);
    const uint64_t expected = fileBytes > 0 ? static_cast<uint64_t>(fileBytes) / 80 : 1024;
    const size_t perWorker = static_cast<size_t>(std::min<uint64_t>(expected / 16 / n + 1, uint64_t{1} << 18));
    std::vector<uint8_t> arena;
    std::vector<size_t> offsets;
    std::vector<Frame> frames;
    std::vector<uint64_t> seqs;
    std::vector<int64_t> tsNs;
    std::vector<ParseResult> parsed;
    std::vector<uint8_t> owner;
    std::vector<Verdict> verdicts;
    std::vector<uint32_t> identity;                 // 0, 1, 2, ...: one worker's `which`
    std::vector<std::vector<uint32_t>> mine(n);      // several workers: each one's packets
    std::vector<OutcomeCounts> counts;
    for (unsigned w = 0; w < n; ++w) counts.emplace_back(perWorker);
    std::vector<RuleHitCounts> ruleHits(n);   // per worker, by symbol
    frames.reserve(std::min<size_t>(chunkFrames, 65536));
    ReplayCrew crew(n);
    const bool needDecision = decisions.is_open() || !opt.accepted.empty() || !opt.dropped.empty();

    // After a worker's engine ran: its summary counts (flat arrays, no strings).
    auto count = [&](unsigned w, std::span<const uint32_t> which) {
        OutcomeCounts& c = counts[w];
        for (uint32_t i : which) {
            c.add(verdicts[i]);
            ruleHits[w].add(verdicts[i]);
            if (parsed[i].ok()) c.flows.insert(flow_id(parsed[i].key));
        }
    };
    auto parseOne = [&](size_t i) {
        const Frame& f = frames[i];
        parsed[i] = parse_frame(f.data, f.caplen, f.wirelen, f.link);
    };

    long long bytesRead = 0;
    auto start = Clock::now();
    bool more = true;
    while (more) {
        // Read one chunk.
        arena.clear();
        offsets.clear();
        frames.clear();
        seqs.clear();
        tsNs.clear();
        size_t chunkBytes = 0;
        CapturePacket cp;
        while (frames.size() < chunkFrames && chunkBytes < opt.chunk_bytes) {
            if (opt.count && sum.packets + frames.size() >= opt.count) {  // -c N: N judged packets
                more = false;
                break;
            }
            if (!rd.next(cp)) {
                more = false;
                break;
            }
            ++sum.read;
            if (filter && !filter->matches(cp)) {
                if (!filter->error().empty()) return usage_error(filter->error());
                ++sum.filtered;
                continue;
            }
            Frame f;
            f.data = cp.data;
            f.caplen = cp.caplen;
            f.wirelen = cp.wirelen;
            f.link = cp.link;
            f.ts = static_cast<double>(cp.ts_ns) / 1e9;
            f.origin = *origin;
            if (!inPlace) {
                offsets.push_back(arena.size());
                arena.insert(arena.end(), cp.data, cp.data + cp.caplen);
            }
            frames.push_back(f);
            seqs.push_back(sum.read - 1);
            tsNs.push_back(cp.ts_ns);
            chunkBytes += cp.caplen;
            bytesRead += cp.caplen + 16;
            sum.bytes += cp.wirelen;
        }
        size_t m = frames.size();
        if (m == 0) break;
        if (!inPlace)
            for (size_t i = 0; i < m; ++i) frames[i].data = arena.data() + offsets[i];
        parsed.resize(m);
        owner.resize(m);
        verdicts.resize(m);
        auto evalStart = Clock::now();
        std::string failure;
        if (n == 1) {
            // One worker: parse, evaluate and count burst by burst, in place.
            if (identity.size() < m)
                for (auto i = static_cast<uint32_t>(identity.size()); i < m; ++i) identity.push_back(i);
            std::fill(owner.begin(), owner.begin() + static_cast<std::ptrdiff_t>(m), 0);
            failure = crew.run([&](unsigned) {
                for (size_t lo = 0; lo < m; lo += kMaxBurst) {
                    size_t hi = std::min(m, lo + kMaxBurst);
                    for (size_t i = lo; i < hi; ++i) parseOne(i);
                    std::span<const uint32_t> which(identity.data() + lo, hi - lo);
                    engines[0]->evaluate(frames.data(), parsed.data(), which, verdicts.data());
                    count(0, which);
                }
            });
        } else {
            // Parse and shard contiguous ranges in parallel; then each worker evaluates
            // its own packets in input order, reading the chunk in place.
            failure = crew.run([&](unsigned w) {
                size_t lo = m * w / n, hi = m * (w + 1) / n;
                for (size_t i = lo; i < hi; ++i) {
                    parseOne(i);
                    owner[i] = static_cast<uint8_t>(parsed[i].ok() ? sharder.worker_of(parsed[i].key, n) : 0);
                }
            });
            if (failure.empty())
                failure = crew.run([&](unsigned w) {
                    std::vector<uint32_t>& which = mine[w];
                    which.clear();
                    for (size_t i = 0; i < m; ++i)
                        if (owner[i] == w) which.push_back(static_cast<uint32_t>(i));
                    engines[w]->evaluate(frames.data(), parsed.data(), which, verdicts.data());
                    count(w, which);
                });
        }
        if (!failure.empty()) return runtime_error(make_error("engine failed: " + failure));
        sum.evaluate_s += since(evalStart);
        sum.packets += m;

        // Outputs, in input order.
        if (needDecision || flowLog)
            for (size_t i = 0; i < m; ++i) {
                const Verdict& v = verdicts[i];
                const Names& names = engines[owner[i]]->names();
                uint64_t seq = seqs[i];
                bool ok = parsed[i].ok();
                uint64_t fid = ok ? flow_id(parsed[i].key) : 0;
                std::string flowText = ok ? to_packet(parsed[i]).flow_str() : std::string();
                if (needDecision) {
                    Decision d = to_decision(v, names, flowText);
                    if (decisions.is_open()) {
                        DecisionLineHead head{seq, tsNs[i], ok ? std::optional<uint64_t>(fid) : std::nullopt, nullptr, &net};
                        decisions.stream() << decision_line(head, d) << '\n';
                    }
                    PcapngWriter* w = v.action == Action::Accept ? (opt.accepted.empty() ? nullptr : &acceptedW)
                                                                 : (opt.dropped.empty() ? nullptr : &droppedW);
                    if (w)
                        if (Status s = w->write(frames[i].data, frames[i].caplen, frames[i].wirelen, tsNs[i], frames[i].link,
                                                decision_comment(seq, d));
                            !s)
                            return runtime_error(s.error());
                }
                if (flowLog && ok) flowLog->add(seq, frames[i].ts, parsed[i].key, v, names);
            }
        progress.update(sum.packets, bytesRead, since(start));
    }
    // A capture past its size bound is not judged as if it were complete (exit 2).
    if (rd.limit_error()) return *rd.limit_error();
    FlowIdSet flows(0);
    for (unsigned w = 0; w < n; ++w) {
        const OutcomeCounts& c = counts[w];
        const Names& names = engines[w]->names();
        sum.accepted += c.accepted;
        sum.dropped += c.dropped;
        flows.merge(c.flows);
        for (uint32_t sym = 0; sym < c.accept_to.size(); ++sym)
            if (c.accept_to[sym]) sum.to[names.name(sym)] += c.accept_to[sym];
        for (const OutcomeCounts::Drop& k : c.drops) {
            if (!k.used) continue;
            auto layer = static_cast<Layer>(k.layer);
            uint64_t pk = k.packets;
            sum.dropped_by_layer[layer_name(layer)] += pk;
            const std::string& rule = names.name(k.rule);
            const std::string& reason = names.name(k.reason);
            std::string why = reason.empty() ? std::string() : "(" + reason + ")";
            sum.drop_rules[std::string(layer_name(layer)) + " " + (rule.empty() ? why : why.empty() ? rule : rule + " " + why)] += pk;
            if (layer == Layer::Parse) sum.parse_reasons[reason] += pk;
            if (std::string hit = drop_rule_hit_name(layer, rule); !hit.empty()) sum.rule_hits[hit] += pk;
        }
    }
    for (unsigned w = 0; w < n; ++w) render_rule_hits(ruleHits[w], engines[w]->names(), sum.rule_hits);
    // Name tags of the ids the summary prints (destinations and deciding rules).
    auto nameIds = [&](const std::string& text) {
        Decision d;   // names_in reads the ids of a decision; here of one text
        d.rule = text;
        for (const auto& [id, name] : names_in(net, d)) sum.names.emplace(id, name);
    };
    for (const auto& [k, c] : sum.to) nameIds(k);
    for (const auto& [k, c] : sum.drop_rules) nameIds(k);
    for (const auto& [k, c] : sum.rule_hits) nameIds(k);
    for (unsigned w = 0; w < n; ++w) sum.conntrack_emergencies += engines[w]->conntrack_emergencies();
    if (auto it = sum.dropped_by_layer.find("conntrack"); it != sum.dropped_by_layer.end() && it->second)
        sum.capacity_reached = true;
    if (sum.conntrack_emergencies) sum.capacity_reached = true;
    if (flowLog) {
        flowLog->finish();
        sum.flow_log_records = flowLog->records();
    }
    if (Status s = decisions.finish(); !s) return runtime_error(s.error());
    if (Status s = flowLogs.finish(); !s) return runtime_error(s.error());
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
    // "eni-0a1 [web-1]": the Name tags of the ids in the text, after it.
    auto named = [&](const std::string& text) {
        std::string tags;
        size_t i = 0;
        while (i < text.size()) {
            size_t j = text.find_first_of(" :,()", i);
            if (j == std::string::npos) j = text.size();
            if (auto it = s.names.find(text.substr(i, j - i)); it != s.names.end())
                tags += (tags.empty() ? "" : ", ") + it->second;
            i = j + 1;
        }
        return tags.empty() ? text : text + " [" + tags + "]";
    };
    out << "replay of " << s.pcap << " (engine " << s.engine << ", " << s.workers << (s.workers == 1 ? " worker" : " workers")
        << ")\n";
    if (!s.filter.empty()) {
        out << "  read      " << std::setw(12) << s.read << "\n";
        out << "  filtered  " << std::setw(12) << s.filtered << "   (not judged: filter '" << s.filter << "')\n";
    }
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
        for (size_t i = 0; i < v.size() && i < 5; ++i) out << "    " << std::setw(8) << v[i].first << "  " << named(v[i].second) << "\n";
    }
    if (!s.drop_rules.empty()) {
        std::vector<std::pair<uint64_t, std::string>> v;
        for (const auto& [k, c] : s.drop_rules) v.emplace_back(c, k);
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
        out << "  top deciding rules of drops:\n";
        for (size_t i = 0; i < v.size() && i < 10; ++i) out << "    " << std::setw(8) << v[i].first << "  " << named(v[i].second) << "\n";
    }
    if (s.conntrack_emergencies)
        out << "  emergency " << std::setw(12) << s.conntrack_emergencies
            << "   (connection table entered emergency mode: shorter timeouts, docs/replay.md)\n";
    if (s.capacity_reached && s.workers > 1)
        out << "  note: a connection table reached its capacity; each of the " << s.workers
            << " workers holds 1/" << s.workers << " of it, so these decisions may differ from --workers 1 (= --engine reference)\n";
    if (s.truncated) out << "  truncated " << std::setw(12) << s.truncated << "   (snap length; evaluated as far as the headers reach)\n";
    if (s.broken) out << "  broken    " << std::setw(12) << s.broken << "   (reading stopped there)\n";
    out << std::fixed << std::setprecision(3) << "  load " << s.load_s << " s, compile " << s.compile_s << " s, replay "
        << s.elapsed_s << " s (evaluate " << s.evaluate_s << " s), " << std::setprecision(3) << s.mpps << " Mpps\n";
    out.unsetf(std::ios::floatfield);
}

nlohmann::json summary_json(const ReplaySummary& s) {
    nlohmann::json j;
    j["pcap"] = s.pcap;
    if (!s.filter.empty()) j["filter"] = s.filter;
    j["read"] = s.read;
    j["filtered"] = s.filtered;
    j["packets"] = s.packets;
    j["bytes"] = s.bytes;
    j["accepted"] = s.accepted;
    j["dropped"] = s.dropped;
    j["dropped_by_layer"] = s.dropped_by_layer;
    j["parse_reasons"] = s.parse_reasons;
    j["drop_rules"] = s.drop_rules;
    j["accepted_to"] = s.to;
    j["rule_hits"] = s.rule_hits;
    j["names"] = s.names;
    j["flows"] = s.flows;
    j["workers"] = s.workers;
    j["engine"] = s.engine;
    j["truncated"] = s.truncated;
    j["broken"] = s.broken;
    j["flow_log_records"] = s.flow_log_records;
    j["conntrack_emergencies"] = s.conntrack_emergencies;
    j["capacity_reached"] = s.capacity_reached;
    j["load_s"] = s.load_s;
    j["compile_s"] = s.compile_s;
    j["elapsed_s"] = s.elapsed_s;
    j["evaluate_s"] = s.evaluate_s;
    j["mpps"] = s.mpps;
    return j;
}

} // namespace vpcfw
