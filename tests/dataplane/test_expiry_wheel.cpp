// ExpiryWheel (dataplane/expiry_wheel.hpp) against a plain model: entries with a last-seen
// time and a timeout that are refreshed, shortened, created and looked up at random while
// the clock moves forward in small steps and jumps (past a revolution too). After due(now)
// no expired entry may remain and no live one may have been removed; advance() with a small
// budget only ever removes expired entries; the pool holds about one timer per entry.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

#include "dataplane/expiry_wheel.hpp"

namespace vpcfw {
namespace {

struct Entry {
    double last_seen = 0, timeout = 0;
    uint32_t timer = 0;
};

struct Owner {
    std::map<uint32_t, Entry> entries;
    ExpiryWheel<uint32_t> wheel;
    uint64_t removed = 0;
    double clock = 0;

    static constexpr double kMargin = 1e-3;
    bool expired(const Entry& e, double now) const { return now - e.last_seen > e.timeout; }
    bool process(const uint32_t& k, uint32_t id, double now, double& at) {
        auto it = entries.find(k);
        if (it == entries.end() || it->second.timer != id) return false;
        if (expired(it->second, now)) {
            entries.erase(it);
            ++removed;
            return false;
        }
        at = it->second.last_seen + it->second.timeout - kMargin;
        return true;
    }
    void file(uint32_t k, Entry& e) {
        e.timer = wheel.file(k, e.last_seen + e.timeout - kMargin, clock);
        ASSERT_NE(e.timer, 0u);
    }
};

TEST(ExpiryWheel, ReclaimsExactlyTheExpiredEntriesUnderRandomRefreshShorteningAndJumps) {
    std::mt19937_64 rng(7);
    auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
    const double timeouts[] = {0.005, 0.5, 2, 10, 30, 120, 300, 600};
    Owner o;
    o.clock = 1000;
    uint32_t nextKey = 1;
    for (int step = 0; step < 200000; ++step) {
        o.wheel.reserve(8);
        double r = uni(0, 1);
        if (r < 0.003) o.clock += uni(200, 2000);   // a jump, sometimes past a revolution
        else o.clock += uni(0, 0.02);
        double now = o.clock;
        double op = uni(0, 1);
        if (op < 0.35) {   // a new entry
            Entry e{now, timeouts[rng() % 8], 0};
            uint32_t k = nextKey++;
            o.entries[k] = e;
            o.file(k, o.entries[k]);
        } else if (op < 0.75 && !o.entries.empty()) {   // a refresh (lazy: no new timer)
            auto it = o.entries.lower_bound(static_cast<uint32_t>(rng() % nextKey));
            if (it == o.entries.end()) it = o.entries.begin();
            if (o.expired(it->second, now)) {   // a lookup meets an expired entry: gone
                o.entries.erase(it);
                continue;
            }
            it->second.last_seen = now;
            if (uni(0, 1) < 0.1) {   // its timeout shortened (FIN, RST): a timer of its own
                it->second.timeout = std::min(it->second.timeout, timeouts[rng() % 8]);
                o.file(it->first, it->second);
            } else if (uni(0, 1) < 0.1) {   // lengthened (established): nothing to do
                it->second.timeout = std::max(it->second.timeout, timeouts[rng() % 8]);
            }
        }
        if (uni(0, 1) < 0.5) {
            uint64_t before = o.removed;
            std::map<uint32_t, Entry> snapshot = o.entries;
            o.wheel.advance(o, now, 3);
            // Only expired entries go.
            for (const auto& [k, e] : snapshot)
                if (!o.entries.count(k)) ASSERT_TRUE(o.expired(e, now)) << "step " << step << " key " << k;
            (void)before;
        }
        if (uni(0, 1) < 0.05) {
            o.wheel.due(o, now);
            for (const auto& [k, e] : o.entries) ASSERT_FALSE(o.expired(e, now)) << "step " << step << " key " << k;
        }
    }
    EXPECT_GT(o.removed, 10000u);
    // Stale timers (shortened entries) are dropped when met: the pool stays near the live count.
    o.wheel.due(o, o.clock + 1e6);
    EXPECT_TRUE(o.entries.empty());
    EXPECT_EQ(o.wheel.timers(), 0u);
}

// A rebuild hands back one timer per entry at new times (a shorter timeout for all) and
// frees every other timer: due() is exact under the new timeouts at once.
TEST(ExpiryWheel, RebuildRefilesEveryEntryAndFreesStaleTimers) {
    Owner o;
    o.clock = 50;
    for (uint32_t k = 1; k <= 1000; ++k) {
        o.wheel.reserve(2);
        o.entries[k] = Entry{50 + k * 0.01, 120, 0};
        o.file(k, o.entries[k]);
        if (k % 3 == 0) o.file(k, o.entries[k]);   // a stale timer left behind
    }
    EXPECT_EQ(o.wheel.timers(), 1333u);
    o.wheel.begin_rebuild();
    for (auto& [k, e] : o.entries) {
        e.timeout = 10;   // emergency mode
        o.wheel.keep_timer(e.timer, e.last_seen + e.timeout - Owner::kMargin);
    }
    o.wheel.end_rebuild();
    EXPECT_EQ(o.wheel.timers(), 1000u);
    o.wheel.due(o, 65);   // 50 + k * 0.01 + 10 < 65 for k < 500
    for (const auto& [k, e] : o.entries) EXPECT_FALSE(o.expired(e, 65));
    EXPECT_EQ(o.entries.size(), 501u);
}

} // namespace
} // namespace vpcfw
