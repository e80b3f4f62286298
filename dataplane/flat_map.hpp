// FlatMap: a fixed-capacity open-addressing hash map (linear probing, backward-shift
// deletion, no tombstones) for plain-old-data keys and values. Written by hand because
// the per-worker state tables need exactly this and nothing the libraries offer fits:
// rte_hash needs the EAL and hugepage-backed memory for every replay worker and its
// bulk API costs more than it saves for single probes in the slow path; std containers
// allocate per insert. Memory is allocated by reset() and reserve() only (either may throw
// std::bad_alloc);
// find/insert/erase never allocate, never lock, never throw (insert returns nullptr when
// the current size is reached); reserve() grows between bursts. One owner thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sys/mman.h>
#include <algorithm>
#include <cstring>
#include <new>
#include <memory>
#include <type_traits>

namespace vpcfw {

// 64-bit hash of a POD key's bytes (the key must be zero-initialised, padding included).
inline uint64_t hash_bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, b + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, b + i, n - i);
    h = (h ^ tail) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

template <typename K, typename V>
class FlatMap {
    static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V>);

public:
    FlatMap() = default;
    explicit FlatMap(size_t max_entries) { reset(max_entries); }

    // Empties the table and sizes it for `initial` entries (load <= 1/2), growing later up
    // to `limit` entries through reserve(). Allocates. `initial` 0 = `limit` at once (the
    // read-only maps of a compiled ruleset, filled once).
    void reset(size_t limit, size_t initial = 0) {
        limit_ = limit;
        allocate(std::min(limit, initial ? initial : limit));
    }
    // Makes room for `extra` more inserts without growing inside insert(): the pipeline
    // calls it between bursts, the one place a worker may allocate. Growing rehashes
    // (every pointer into the table is invalidated). False when `limit` is reached.
    bool reserve(size_t extra) {
        if (size_ + extra <= max_) return true;
        if (max_ >= limit_) return false;
        size_t want = std::min(limit_, std::max(max_ * 4, size_ + extra));
        std::unique_ptr<Slot[], Free> old = std::move(slots_);
        size_t oldCap = cap_;
        allocate(want);
        for (size_t i = 0; i < oldCap; ++i)
            if (old[i].used) insert(old[i].key, old[i].value);
        return size_ + extra <= max_;
    }
    void clear() {
        for (size_t i = 0; i < cap_; ++i) slots_[i].used = 0;
        size_ = 0;
    }

    size_t size() const { return size_; }
    size_t capacity() const { return max_; }   // entries before the next reserve() must grow
    size_t limit() const { return limit_; }
    size_t bytes() const { return cap_ * sizeof(Slot); }
    bool full() const { return size_ >= max_; }
    bool at_limit() const { return size_ >= limit_; }

    static uint64_t hash(const K& k) { return hash_bytes(&k, sizeof(K)); }
    // Bursts hash every key first and prefetch its slot, then probe (practice: prefetch).
    void prefetch(uint64_t h) const {
        if (cap_) __builtin_prefetch(&slots_[h & mask_]);
    }
    // Prefetches the slot and the value's first line (for values larger than a line).
    void prefetch_value(uint64_t h) const {
        if (!cap_) return;
        const Slot* s = &slots_[h & mask_];
        __builtin_prefetch(s);
        __builtin_prefetch(&s->value);
    }

    // Slots by index, for a structure that keeps a reference to an entry (the flow cache
    // keeps its connection entries' slots): an index is good until the entry moves (an
    // erase before it in its run, or a growth), so the holder verifies what it finds there.
    static constexpr size_t npos = ~size_t{0};
    size_t slots() const { return cap_; }
    size_t find_slot(const K& k, uint64_t h) const {
        if (cap_ == 0) return npos;
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (!s.used) return npos;
            if (std::memcmp(&s.key, &k, sizeof(K)) == 0) return i;
        }
    }
    bool used_at(size_t i) const { return i < cap_ && slots_[i].used; }
    const K& key_at(size_t i) const { return slots_[i].key; }
    V& value_at(size_t i) { return slots_[i].value; }
    void prefetch_slot(size_t i) const {   // every line of the slot (key and value)
        if (i >= cap_) return;
        __builtin_prefetch(&slots_[i]);
        __builtin_prefetch(reinterpret_cast<const char*>(&slots_[i] + 1) - 1);
    }

    V* find(const K& k) { return find(k, hash(k)); }
    V* find(const K& k, uint64_t h) {
        if (cap_ == 0) return nullptr;
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (!s.used) return nullptr;
            if (std::memcmp(&s.key, &k, sizeof(K)) == 0) return &s.value;
        }
    }
    const V* find(const K& k) const { return const_cast<FlatMap*>(this)->find(k); }

    // Inserts or returns the existing value; nullptr when full (the caller decides).
    V* insert(const K& k, const V& v, bool* inserted = nullptr) {
        if (cap_ == 0) return nullptr;
        for (size_t i = hash_bytes(&k, sizeof(K)) & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (!s.used) {
                if (size_ >= max_) return nullptr;
                s.used = 1;
                s.key = k;
                s.value = v;
                ++size_;
                if (inserted) *inserted = true;
                return &s.value;
            }
            if (std::memcmp(&s.key, &k, sizeof(K)) == 0) {
                if (inserted) *inserted = false;
                return &s.value;
            }
        }
    }
    // Inserts or overwrites.
    V* put(const K& k, const V& v) {
        bool fresh = false;
        V* p = insert(k, v, &fresh);
        if (p && !fresh) *p = v;
        return p;
    }

    bool erase(const K& k) {
        if (cap_ == 0) return false;
        size_t i = hash_bytes(&k, sizeof(K)) & mask_;
        for (;; i = (i + 1) & mask_) {
            if (!slots_[i].used) return false;
            if (std::memcmp(&slots_[i].key, &k, sizeof(K)) == 0) break;
        }
        erase_slot(i);
        return true;
    }

    // Visits every entry; fn(key, value) returns true to erase it. Erasing shifts later
    // entries back, so the slot is revisited.
    template <typename Fn>
    void sweep(Fn&& fn) {
        for (size_t i = 0; i < cap_;) {
            if (slots_[i].used && fn(slots_[i].key, slots_[i].value)) {
                size_t before = size_;
                erase_slot(i);
                if (size_ < before && slots_[i].used) continue;
            }
            ++i;
        }
    }
    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (size_t i = 0; i < cap_; ++i)
            if (slots_[i].used) fn(slots_[i].key, slots_[i].value);
    }

private:
    void allocate(size_t max_entries) {
        size_t cap = 16;
        while (cap < max_entries * 2) cap <<= 1;
        cap_ = cap;
        mask_ = cap - 1;
        max_ = max_entries;
        size_ = 0;
        // Fresh anonymous pages are zero, so a table costs memory only where it is used
        // (calloc would too, but not under MALLOC_PERTURB_, which meson test sets).
        size_t bytes = cap * sizeof(Slot);
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        // Big tables on transparent huge pages: a probe into a table of many MiB is
        // otherwise a TLB miss as well as a cache miss.
        if (bytes >= kHugeBytes) ::madvise(p, bytes, MADV_HUGEPAGE);
        slots_ = std::unique_ptr<Slot[], Free>(static_cast<Slot*>(p), Free{bytes});
    }

    // `used` and the key first: a probe that misses reads one cache line.
    struct Slot {
        uint8_t used;
        K key;
        V value;
    };
    void erase_slot(size_t i) {
        slots_[i].used = 0;
        --size_;
        // Backward shift: move later entries of the run into the hole when their home
        // slot is at or before it (cyclically).
        size_t hole = i;
        for (size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
            size_t home = hash_bytes(&slots_[j].key, sizeof(K)) & mask_;
            bool move = (hole <= j) ? (home <= hole || home > j) : (home <= hole && home > j);
            if (move) {
                slots_[hole] = slots_[j];
                slots_[j].used = 0;
                hole = j;
            }
        }
    }

public:
    static constexpr size_t kHugeBytes = size_t{4} << 20;

private:
    struct Free {
        size_t bytes = 0;
        void operator()(Slot* p) const { ::munmap(p, bytes); }
    };
    std::unique_ptr<Slot[], Free> slots_;
    size_t cap_ = 0, mask_ = 0, max_ = 0, size_ = 0, limit_ = 0;
};

} // namespace vpcfw
