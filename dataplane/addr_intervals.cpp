// AddrIntervals (addr_intervals.hpp): a sweep over the CIDRs' bounds builds the disjoint
// intervals; find is a binary search over their starts.
#include "dataplane/addr_intervals.hpp"

#include <algorithm>
#include <set>

namespace vpcfw {

namespace {

__extension__ typedef unsigned __int128 Wide;

Wide value_of(const IpAddr& a) {
    Wide v = 0;
    int n = a.is_v4() ? 4 : 16;
    for (int i = 0; i < n; ++i) v = (v << 8) | a.bytes[i];
    return v;
}

} // namespace

void AddrIntervals::build(const std::vector<std::pair<Cidr, uint32_t>>& cidrs) {
    for (int fam = 0; fam < 2; ++fam) {
        const int bits = fam == 0 ? 32 : 128;
        const Wide top = fam == 0 ? Wide{0xffffffffu} : ~Wide{0};
        struct Event {
            Wide at;
            bool open;
            uint32_t value;
        };
        std::vector<Event> events;
        for (const auto& [c, value] : cidrs) {
            if (c.base.is_v4() != (fam == 0)) continue;
            if (!c.contains(c.base)) continue;   // host bits set: Cidr::contains matches nothing
            int host = bits - std::min<int>(c.len, bits);
            Wide span = host >= 128 ? ~Wide{0} : ((Wide{1} << host) - 1);
            Wide lo = value_of(c.base) & ~span, hi = lo | span;
            events.push_back({lo, true, value});
            if (hi != top) events.push_back({hi + 1, false, value});
        }
        std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
        std::vector<std::pair<Wide, uint32_t>> out{{0, kMissing}};
        std::multiset<uint32_t> active;
        for (size_t i = 0; i < events.size();) {
            Wide at = events[i].at;
            for (; i < events.size() && events[i].at == at; ++i) {
                if (events[i].open) active.insert(events[i].value);
                else active.erase(active.find(events[i].value));
            }
            uint32_t v = active.empty() ? kMissing : *active.begin();
            if (out.back().first == at) out.back().second = v;
            else if (out.back().second != v) out.push_back({at, v});
            if (out.size() >= 2 && out[out.size() - 2].second == out.back().second) out.pop_back();
        }
        for (const auto& [at, v] : out) {
            if (fam == 0) {
                start4_.push_back(static_cast<uint32_t>(at));
                value4_.push_back(v);
            } else {
                start6_.push_back(U128{static_cast<uint64_t>(at >> 64), static_cast<uint64_t>(at)});
                value6_.push_back(v);
            }
        }
    }
}

uint32_t AddrIntervals::find(const IpAddr& a) const {
    if (a.is_v4()) {
        auto it = std::upper_bound(start4_.begin(), start4_.end(), a.v4_host());
        return it == start4_.begin() ? kMissing : value4_[static_cast<size_t>(it - start4_.begin()) - 1];
    }
    Wide w = value_of(a);
    U128 k{static_cast<uint64_t>(w >> 64), static_cast<uint64_t>(w)};
    auto it = std::upper_bound(start6_.begin(), start6_.end(), k);
    return it == start6_.begin() ? kMissing : value6_[static_cast<size_t>(it - start6_.begin()) - 1];
}

} // namespace vpcfw
