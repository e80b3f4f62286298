// AddrIntervals: an address -> value map over disjoint intervals (per family), for the
// "which object's CIDRs contain this address" questions of the walk that the model answers
// by scanning (the first VPC, in model order, whose CIDRs contain an address). Built once
// by the compiler (cold: `build`); immutable afterwards, any worker may `find` (hot: one
// binary search over the interval starts, no allocation).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "ruleset/ip.hpp"

namespace vpcfw {

class AddrIntervals {
public:
    static constexpr uint32_t kMissing = 0xffffffffu;

    // A point's value is the least value among the CIDRs that contain it, kMissing when
    // none does. CIDR host bits are ignored.
    void build(const std::vector<std::pair<Cidr, uint32_t>>& cidrs);
    uint32_t find(const IpAddr& a) const;
    size_t intervals() const { return start4_.size() + start6_.size(); }

private:
    struct U128 {
        uint64_t hi = 0, lo = 0;
        auto operator<=>(const U128&) const = default;
    };
    std::vector<uint32_t> start4_, value4_;   // starts ascending, the first is 0
    std::vector<U128> start6_;
    std::vector<uint32_t> value6_;
};

} // namespace vpcfw
