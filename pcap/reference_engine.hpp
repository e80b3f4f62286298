// ReferenceReplayEngine: the replay engine that runs every packet through the reference
// evaluator (parse result -> Packet -> ReferenceEvaluator::evaluate -> Verdict). Slow and
// plain; the oracle replay output is compared with. One per worker, single-threaded.
#pragma once

#include "pcap/engine.hpp"

namespace vpcfw {

class ReferenceReplayEngine final : public ReplayEngine {
public:
    ReferenceReplayEngine(const Network& net, const Settings& settings);
    void evaluate(const Frame* frames, const ParseResult* parsed, std::span<const uint32_t> which, Verdict* out) override;
    const Names& names() const override { return names_; }
    uint64_t conntrack_emergencies() const override { return ref_.conntrack_emergencies(); }

private:
    ReferenceEvaluator ref_;
    Names names_;
    uint32_t parse_reasons_[kParseReasonCount] = {};
};

// The verdict of a frame that did not parse (both engines give exactly this): DROP, layer
// `parse`, reason = the parser's reason name; `from` is the explicit origin (--from) when
// one was given, else empty (no origin: nothing in the frame was trusted); no path.
Verdict parse_drop_verdict(ParseReason reason, uint32_t reason_sym, uint32_t from_sym);

} // namespace vpcfw
