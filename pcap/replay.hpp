// The replay driver: reads a capture in chunks of about a thousand frames (a plain pcap
// through mmap, frames used where they lie), parses and shards each chunk over N worker
// threads (pcap/replay_crew.hpp; one ReplayEngine each, flows kept on one worker by
// FlowSharder), evaluates every worker's packets in input order in bursts and counts them
// in flat per-worker tables (pcap/outcome_counts.hpp), then writes every output in input
// order on the main thread — so the output is byte-identical for any N and either engine.
// Cold entry point (control/cli calls it); the per-packet work happens in the engines.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include <memory>

#include "dataplane/compiled.hpp"
#include "pcap/engine.hpp"
#include "ruleset/model.hpp"
#include "ruleset/reference.hpp"

namespace vpcfw {

struct ReplayOptions {
    std::string pcap;                  // input capture: a file, "-" (stdin), a pipe; gzip/zstd or not
    std::string filter;                // tcpdump filter expression; packets it rejects are `filtered`
    uint64_t count = 0;                // stop after this many judged packets (tcpdump -c); 0: all
    std::ostream* std_out = nullptr;   // where outputs named "-" go (standard output)
    EngineKind engine = EngineKind::Reference;
    unsigned workers = 1;
    std::string from = "auto";         // origin of every packet (--from)
    std::string decisions;             // outputs; empty = not written, "-" = std_out
    std::string flow_logs;
    std::string flow_log_format;       // empty = AWS's default (version 2)
    int flow_log_interval = 600;
    std::string accepted, dropped;     // pcapng captures
    bool progress = false;             // progress bar on stderr
    size_t chunk_frames = 1024;        // frames read, sharded and evaluated at a time (stay in cache)
    size_t chunk_bytes = 4u << 20;     // and at most this many captured bytes
    Settings settings;
    // EngineKind::Compiled: the ruleset, compiled once by the caller (control/ owns the
    // compiler) and shared by every worker's pipeline.
    std::shared_ptr<const CompiledRuleset> compiled;
};

struct ReplaySummary {
    std::string pcap;
    std::string engine;
    std::string filter;                // the filter expression, if any
    unsigned workers = 1;
    uint64_t read = 0;                 // packets read = filtered + packets (every one in one outcome)
    uint64_t filtered = 0;             // rejected by the filter expression, not judged
    uint64_t packets = 0;              // judged = accepted + dropped
    uint64_t bytes = 0;                // wire bytes
    uint64_t accepted = 0;
    uint64_t dropped = 0;
    std::map<std::string, uint64_t> dropped_by_layer;
    std::map<std::string, uint64_t> parse_reasons;
    std::map<std::string, uint64_t> drop_rules;   // "layer rule (reason)" / "layer (reason)" -> packets
    std::map<std::string, uint64_t> rule_hits;    // every rule that decided (pcap/rule_hits.hpp) -> packets
    std::map<std::string, std::string> names;     // Name tags of the ids the summary prints
    std::map<std::string, uint64_t> to;           // ACCEPT destinations
    uint64_t flows = 0;
    uint64_t truncated = 0;            // caplen < wire length
    uint64_t broken = 0;               // unreadable records (reading stopped)
    bool own_pcapng_reader = false;
    uint64_t flow_log_records = 0;
    uint64_t conntrack_emergencies = 0;   // times a worker's connection table entered emergency mode
    // With several workers, whether any worker's connection table reached a capacity (a
    // refusal at layer conntrack, or emergency mode): only then may the output differ
    // from --workers 1 (docs/replay.md, "Workers and determinism").
    bool capacity_reached = false;
    double load_s = 0, compile_s = 0;  // filled by the caller
    double elapsed_s = 0;              // the replay loop: read, parse, evaluate, write
    double evaluate_s = 0;             // of which evaluating (parse + engines)
    double mpps = 0;                   // packets / elapsed_s / 1e6
};

// Runs the replay. Errors: ErrorKind::Input (bad input: capture, --from, format; exit 2)
// or ErrorKind::Runtime (an output cannot be written, an engine failed; exit 3).
Result<ReplaySummary> run_replay(const Network& net, const ReplayOptions& opt, std::ostream& err);

// The human table (stdout, or stderr when an output goes to stdout), and the
// --summary-json / --json object (docs/interface.md keys; docs/schema/replay-summary.schema.json).
void print_summary(const ReplaySummary& s, std::ostream& out);
nlohmann::json summary_json(const ReplaySummary& s);

} // namespace vpcfw
