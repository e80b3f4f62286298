// ExpiryWheel: the connection table's timers (docs/run.md, "Connection tracking at
// capacity"). One timer per live entry, filed at a time no later than the entry's expiry
// (last_seen + its timeout, less a margin); a timer is lazy: when its time comes the owner
// looks the entry up, removes it if it has expired and re-files the timer otherwise (a
// refreshed entry moved its expiry later). So a packet never touches a timer, only a
// change that shortens an entry's timeout files a new one (the old one is then stale and
// dropped when met), and reclaiming costs O(1) per timer, spread over the packets:
//   - advance(now, budget): the ticks wholly before `now`, at most `budget` timers (the
//     pipeline calls it after every burst, so expired entries go all the time);
//   - due(now): every timer whose time is <= now (complete ticks, then the current tick's
//     timers sorted by time, popped in order), so that a count of entries is a count of
//     live entries at `now` (the capacity and emergency checks need exactly that).
// A single-level wheel of kSlots ticks of kTick seconds (256 s): a timer further out sits in
// its slot across revolutions and is passed over (kept) until its own. The model is VPP's
// tw_timer and the Linux conntrack GC; hand-written because rte_timer keys timers on TSC
// cycles of one lcore and allocates per timer, where replay time is the capture's.
// Timers live in a pool (indices, 0 = none) that grows only in reserve(), between bursts.
// `Owner` supplies: bool process(const K&, uint32_t id, double now, double& refile_at):
// false = drop the timer (entry gone, expired and removed, or the timer is stale).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace vpcfw {

template <typename K>
class ExpiryWheel {
public:
    static constexpr double kTick = 1.0 / 64;
    static constexpr uint32_t kSlots = 1u << 14;   // 256 s per revolution

    ExpiryWheel() { clear(); }

    void clear() {
        pool_.assign(1, Timer{});
        free_ = 0;
        live_ = 0;
        slots_.assign(kSlots, 0);
        late_ = 0;
        keep_ = 0;
        run_.clear();
        run_pos_ = 0;
        run_tick_ = kNoTick;
        started_ = false;
        done_ = 0;
    }
    // Room for `extra` more timers without growing inside a burst (file() fails otherwise).
    void reserve(size_t extra) {
        size_t want = live_ + extra + 1;
        if (pool_.size() >= want) return;
        size_t old = pool_.size();
        pool_.resize(std::max(want, old * 2));
        run_.reserve(pool_.size());
        mark_.reserve(pool_.size());
        for (size_t i = pool_.size() - 1; i >= old; --i) {
            pool_[i].next = free_;
            free_ = static_cast<uint32_t>(i);
        }
    }
    size_t timers() const { return live_; }
    size_t bytes() const { return pool_.capacity() * sizeof(Timer) + slots_.capacity() * 4 + run_.capacity() * 4; }

    // Files a timer for `key` at time `at` (the clock now is `now`). 0 when the pool is
    // exhausted (reserve() was not called for this burst).
    uint32_t file(const K& key, double at, double now) {
        if (!free_) return 0;
        if (!started_) {
            started_ = true;
            done_ = tick(now) - 2;
        }
        uint32_t id = free_;
        free_ = pool_[id].next;
        ++live_;
        pool_[id].key = key;
        pool_[id].at = at;
        place(id);
        return id;
    }

    // Rebuilding (every timeout may have changed: emergency mode, a new ruleset): every
    // filed timer is forgotten; the owner hands back one per live entry, reusing its id,
    // at its new time; the rest of the pool is free again. Allocates nothing.
    void begin_rebuild() {
        std::fill(slots_.begin(), slots_.end(), 0u);
        late_ = keep_ = 0;
        end_run();
        mark_.assign(pool_.size(), 0);
    }
    void keep_timer(uint32_t id, double at) {
        if (id == 0 || id >= pool_.size() || mark_[id]) return;
        mark_[id] = 1;
        pool_[id].at = at;
        place(id);
    }
    void end_rebuild() {
        free_ = 0;
        live_ = 0;
        for (size_t i = pool_.size() - 1; i >= 1; --i) {
            if (mark_[i]) {
                ++live_;
            } else {
                pool_[i].next = free_;
                free_ = static_cast<uint32_t>(i);
            }
        }
    }

    template <typename Owner>
    void advance(Owner& o, double now, size_t budget) {
        if (!started_) return;
        int64_t cur = tick(now);
        bool moved = false;
        // Behind by a revolution or more: the last kSlots ticks visit every slot once, and a
        // visit fires every timer whose time has come, of any revolution.
        if (cur - 1 - done_ > static_cast<int64_t>(kSlots)) {
            if (run_tick_ != kNoTick) {
                while (run_pos_ < run_.size()) fire(o, run_[run_pos_++], now);
                end_run();
            }
            finish_slot();
            done_ = cur - 1 - static_cast<int64_t>(kSlots);
        }
        while (done_ + 1 < cur && budget) {
            int64_t t = done_ + 1;
            if (t == run_tick_) {   // the rest of a sorted run: all due now
                while (run_pos_ < run_.size() && budget) {
                    fire(o, run_[run_pos_++], now);
                    --budget;
                }
                if (run_pos_ < run_.size()) break;
                end_run();
            }
            uint32_t& head = slots_[slot(t)];
            while (head && budget) {
                uint32_t id = head;
                head = pool_[id].next;
                --budget;
                if (pool_[id].at <= now) {
                    fire(o, id, now);
                } else {   // a later revolution's: back into the slot when it is finished
                    pool_[id].next = keep_;
                    keep_ = id;
                }
            }
            if (head) break;   // out of budget: go on from here next time
            if (budget) --budget;   // an empty tick costs a step too
            finish_slot(t);
            done_ = t;
            moved = true;
        }
        if (moved) fire_late(o, now);
    }

    // Every timer whose time is <= now has fired when this returns.
    template <typename Owner>
    void due(Owner& o, double now) {
        if (!started_) return;
        advance(o, now, SIZE_MAX);
        int64_t cur = tick(now);
        if (run_tick_ != cur) {
            end_run();
            run_tick_ = cur;
            uint32_t& head = slots_[slot(cur)];
            double end = static_cast<double>(cur + 1) * kTick;
            uint32_t keep = 0;
            while (head) {
                uint32_t id = head;
                head = pool_[id].next;
                if (pool_[id].at < end) {
                    run_.push_back(id);
                } else {
                    pool_[id].next = keep;
                    keep = id;
                }
            }
            head = keep;
            std::sort(run_.begin(), run_.end(), [&](uint32_t a, uint32_t b) { return pool_[a].at < pool_[b].at; });
        }
        while (run_pos_ < run_.size() && pool_[run_[run_pos_]].at <= now) fire(o, run_[run_pos_++], now);
        fire_late(o, now);
    }

private:
    struct Timer {
        double at = 0;
        uint32_t next = 0;
        K key{};
    };
    static constexpr int64_t kNoTick = INT64_MIN;
    static int64_t tick(double t) {
        double x = std::floor(t / kTick);
        if (!(x > -1e18)) return -(int64_t{1} << 60);   // -inf, nan, the clock before any packet
        if (x > 1e18) return int64_t{1} << 60;
        return static_cast<int64_t>(x);
    }
    static uint32_t slot(int64_t t) { return static_cast<uint32_t>(static_cast<uint64_t>(t) & (kSlots - 1)); }

    // A timer of a tick already passed (or of the sorted run's tick) waits in the late list,
    // scanned whole by due() and at each tick's end; only timers whose time was already
    // behind the clock when filed go there (timeouts shorter than a tick).
    void place(uint32_t id) {
        int64_t t = tick(pool_[id].at);
        uint32_t& head = (t <= done_ || t == run_tick_) ? late_ : slots_[slot(t)];
        pool_[id].next = head;
        head = id;
    }
    void release(uint32_t id) {
        pool_[id].next = free_;
        free_ = id;
        --live_;
    }
    template <typename Owner>
    void fire(Owner& o, uint32_t id, double now) {
        double at = 0;
        if (!o.process(pool_[id].key, id, now, at)) {
            release(id);
            return;
        }
        // Still live: next time no earlier than just after now, so due(now) ends.
        pool_[id].at = std::max(at, std::nextafter(now, INFINITY));
        place(id);
    }
    template <typename Owner>
    void fire_late(Owner& o, double now) {
        uint32_t list = late_;
        late_ = 0;
        while (list) {
            uint32_t id = list;
            list = pool_[id].next;
            if (pool_[id].at <= now) {
                fire(o, id, now);
            } else {
                pool_[id].next = late_;
                late_ = id;
            }
        }
    }
    // Puts the timers passed over in the slot being processed back into it.
    void finish_slot(int64_t t = kNoTick) {
        if (!keep_) return;
        uint32_t& head = slots_[slot(t == kNoTick ? done_ + 1 : t)];
        while (keep_) {
            uint32_t id = keep_;
            keep_ = pool_[id].next;
            pool_[id].next = head;
            head = id;
        }
    }
    void end_run() {
        run_.clear();
        run_pos_ = 0;
        run_tick_ = kNoTick;
    }

    std::vector<Timer> pool_;
    uint32_t free_ = 0;
    size_t live_ = 0;
    std::vector<uint32_t> slots_;   // per tick mod kSlots: a list through Timer::next
    uint32_t late_ = 0;
    uint32_t keep_ = 0;             // passed over in the slot of tick done_ + 1, not yet put back
    std::vector<uint8_t> mark_;     // rebuild: the ids handed back
    std::vector<uint32_t> run_;     // the current tick's timers, sorted by time
    size_t run_pos_ = 0;
    int64_t run_tick_ = kNoTick;
    bool started_ = false;
    int64_t done_ = 0;              // every tick up to this one has been processed
};

} // namespace vpcfw
