// CompiledReplayEngine (pcap/compiled_engine.hpp): the driver has parsed the frames
// already (it keeps the parse results for its outputs), so they go to the pipeline as
// parsed packets, 64 at a time.
#include "pcap/compiled_engine.hpp"

#include <algorithm>
#include <cstring>

namespace vpcfw {

CompiledReplayEngine::CompiledReplayEngine(std::shared_ptr<const CompiledRuleset> rs, const Settings& settings,
                                           size_t capacity)
    : rs_(std::move(rs)), pipe_(settings, capacity) {
    pipe_.set_ruleset(rs_.get());
}

void CompiledReplayEngine::evaluate(std::span<const Frame> frames, std::span<const ParseResult> parsed,
                                    std::span<Verdict> out) {
    ParsedPacket batch[kMaxBurst];
    for (size_t base = 0; base < frames.size(); base += kMaxBurst) {
        size_t n = std::min<size_t>(kMaxBurst, frames.size() - base);
        for (size_t i = 0; i < n; ++i) {
            const ParseResult& r = parsed[base + i];
            ParsedPacket& p = batch[i];
            p.key = r.key;
            p.reason = r.reason;
            p.has_src_mac = r.has_src_mac;
            std::memcpy(p.src_mac, r.src_mac, 6);
            p.origin = frames[base + i].origin;
            p.ts = frames[base + i].ts;
        }
        pipe_.process_parsed(std::span<const ParsedPacket>(batch, n), out.subspan(base, n));
    }
}

} // namespace vpcfw
