// BurstProbe: the measurement hook of `vpcfw bench` in the live worker (dataplane/worker.hpp):
// a worker whose WorkerShared::probes is set records the TSC cycles each burst took in
// process_local (evaluation, rewrite, TX buffering) into its own probe; null (every `vpcfw
// run`) costs one predictable branch per burst. Written only by the owning worker; the
// control thread reads it after the workers stopped (or tolerates torn reads of a
// histogram it only samples). Log-linear histogram: 8 buckets per power of two (<= 12.5%
// error on a percentile), no allocation.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace vpcfw {

struct alignas(64) BurstProbe {
    static constexpr unsigned kSub = 8;
    static constexpr unsigned kBuckets = 64 * kSub;

    uint64_t bursts = 0, packets = 0, cycles = 0;
    std::array<uint64_t, kBuckets> hist{};

    static unsigned bucket(uint64_t c) {
        if (c < kSub) return static_cast<unsigned>(c);
        unsigned p = 63u - static_cast<unsigned>(std::countl_zero(c));   // c in [2^p, 2^(p+1))
        unsigned sub = static_cast<unsigned>((c >> (p - 3)) & (kSub - 1));
        return (p - 2) * kSub + sub;
    }
    // The smallest cycle count of a bucket.
    static uint64_t bucket_low(unsigned b) {
        if (b < kSub) return b;
        unsigned p = b / kSub + 2, sub = b % kSub;
        return (uint64_t{1} << p) | (uint64_t{sub} << (p - 3));
    }
    void record(uint64_t c, uint32_t n) {
        ++bursts;
        packets += n;
        cycles += c;
        ++hist[bucket(c)];
    }
    void reset() { *this = BurstProbe{}; }
};

} // namespace vpcfw
