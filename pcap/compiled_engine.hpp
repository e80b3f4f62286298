// The compiled replay engine: one Pipeline (this worker's state) over a CompiledRuleset
// shared by every worker. The ruleset is compiled once by the caller (control/, which owns
// the compiler) and handed in.
#pragma once

#include <memory>

#include "dataplane/compiled.hpp"
#include "dataplane/pipeline.hpp"
#include "pcap/engine.hpp"

namespace vpcfw {

class CompiledReplayEngine final : public ReplayEngine {
public:
    CompiledReplayEngine(std::shared_ptr<const CompiledRuleset> rs, const Settings& settings);
    void evaluate(const Frame* frames, const ParseResult* parsed, std::span<const uint32_t> which, Verdict* out) override;
    const Names& names() const override { return rs_->names(); }
    const PipelineCounters& counters() const { return pipe_.counters(); }
    uint64_t conntrack_emergencies() const override { return pipe_.counters().conntrack_emergencies; }

private:
    std::shared_ptr<const CompiledRuleset> rs_;
    Pipeline pipe_;
    ParsedPacket batch_[kMaxBurst];   // one burst's input, built in place (not zeroed per burst)
    Verdict scattered_[kMaxBurst];    // a burst's verdicts when its packets are not contiguous
};

} // namespace vpcfw
