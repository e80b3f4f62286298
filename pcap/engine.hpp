// ReplayEngine: what the replay driver runs packets through — the reference evaluator or the
// compiled pipeline behind one interface, so both give the same Verdicts. One instance per
// worker thread, owning that worker's state; virtual per burst (never per packet).
// Outputs are built from Verdicts + names() only, never from engine internals.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "dataplane/parse.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/verdict.hpp"
#include "ruleset/model.hpp"
#include "ruleset/reference.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

enum class EngineKind : uint8_t { Compiled, Reference };

const char* engine_name(EngineKind k);                       // "compiled" / "reference"

class ReplayEngine {
public:
    virtual ~ReplayEngine() = default;
    // Evaluates one worker's packets of a chunk, in input order: `which` lists their
    // indices (ascending) into the chunk's frames/parsed arrays, and out[which[j]] receives
    // the verdict of frames[which[j]], whose parse result is parsed[which[j]]. Nothing is
    // copied by the caller: the engine reads the chunk in place. State carries from one
    // packet to the next and from call to call.
    virtual void evaluate(const Frame* frames, const ParseResult* parsed, std::span<const uint32_t> which,
                          Verdict* out) = 0;
    // The symbols the verdicts point into. Read by the driver's main thread only while no
    // evaluate() runs (names may grow during a burst).
    virtual const Names& names() const = 0;
    // Times this worker's connection table entered emergency mode (docs/replay.md).
    virtual uint64_t conntrack_emergencies() const = 0;
};

// An origin of docs/interface.md ("auto", an ENI id, "internet", a vgw-/pcx-/tgw-attach- id)
// as the pipeline's OriginSpec; an error names ids the network does not have.
Result<OriginSpec> resolve_origin(const Network& net, std::string_view spec);
// The origin back as text, as the reference evaluator takes it.
std::string origin_text(const Network& net, const OriginSpec& o);

// The engine of one of `workers` workers. The compiled engine needs the ruleset compiled by
// the caller (`compiled`; an error without it). Each worker's connection table holds its
// share of settings.conntrack_table_capacity and conntrack_capacity_per_eni (docs/replay.md,
// "Workers and determinism").
// Errors as values.
Result<std::unique_ptr<ReplayEngine>> make_engine(EngineKind kind, const Network& net, const Settings& settings,
                                                  unsigned workers,
                                                  std::shared_ptr<const CompiledRuleset> compiled = nullptr);

} // namespace vpcfw
