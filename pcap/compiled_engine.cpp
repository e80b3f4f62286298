// CompiledReplayEngine (pcap/compiled_engine.hpp): the driver has parsed the frames
// already (it keeps the parse results for its outputs), so they go to the pipeline as
// parsed packets, 64 at a time.
#include "pcap/compiled_engine.hpp"

#include <algorithm>
#include <cstring>

namespace vpcfw {

CompiledReplayEngine::CompiledReplayEngine(std::shared_ptr<const CompiledRuleset> rs, const Settings& settings)
    : rs_(std::move(rs)), pipe_(settings) {
    pipe_.set_ruleset(rs_.get());
}

void CompiledReplayEngine::evaluate(const Frame* frames, const ParseResult* parsed, std::span<const uint32_t> which,
                                    Verdict* out) {
    for (size_t base = 0; base < which.size(); base += kMaxBurst) {
        size_t n = std::min<size_t>(kMaxBurst, which.size() - base);
        const uint32_t* w = which.data() + base;
        for (size_t i = 0; i < n; ++i) {
            const ParseResult& r = parsed[w[i]];
            ParsedPacket& p = batch_[i];
            p.key = r.key;
            p.reason = r.reason;
            p.has_src_mac = r.has_src_mac;
            std::memcpy(p.src_mac, r.src_mac, 6);
            p.origin = frames[w[i]].origin;
            p.ts = frames[w[i]].ts;
        }
        // A run of consecutive packets (one worker: always) is written in place.
        bool contiguous = w[n - 1] - w[0] == n - 1;
        Verdict* dst = contiguous ? out + w[0] : scattered_;
        pipe_.process_parsed(std::span<const ParsedPacket>(batch_, n), std::span<Verdict>(dst, n));
        if (!contiguous)
            for (size_t i = 0; i < n; ++i) out[w[i]] = scattered_[i];
    }
}

} // namespace vpcfw
