// OutcomeCounts: what one replay worker counts per packet for the summary — ACCEPTs by
// destination symbol, DROPs by (layer, rule, reason) symbols, the distinct flow ids — in
// flat arrays and open-addressing tables (no node allocation, one probe per packet). Owned
// by its worker during a chunk and read by the driver's main thread between chunks; the
// names are rendered once at the end. Hot: add_*; tables start at a size given from the
// capture and double at 1/2 load (bounded by the packets counted).
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/verdict.hpp"

namespace vpcfw {

// A set of 64-bit flow ids (already well-mixed hashes: the low bits index the table).
class FlowIdSet {
public:
    explicit FlowIdSet(size_t expected = 1024) { rehash(capacity_for(expected)); }
    void insert(uint64_t id) {
        if (id == 0) {   // 0 marks an empty slot; counted aside
            zero_ = true;
            return;
        }
        size_t i = id & mask_;
        while (slots_[i] != 0) {
            if (slots_[i] == id) return;
            i = (i + 1) & mask_;
        }
        slots_[i] = id;
        if (++size_ * 2 > slots_.size()) rehash(slots_.size() * 2);
    }
    size_t size() const { return size_ + (zero_ ? 1 : 0); }
    // Adds every id of `o` (the union of the workers' sets).
    void merge(const FlowIdSet& o) {
        if (o.zero_) zero_ = true;
        for (uint64_t v : o.slots_)
            if (v) insert(v);
    }

private:
    static size_t capacity_for(size_t n) {
        size_t c = 1024;
        while (c < n * 2 && c < (size_t{1} << 30)) c *= 2;
        return c;
    }
    void rehash(size_t cap) {
        std::vector<uint64_t> old;
        old.swap(slots_);
        slots_.assign(cap, 0);
        mask_ = cap - 1;
        size_ = 0;
        for (uint64_t v : old)
            if (v) insert(v);
    }
    std::vector<uint64_t> slots_;
    size_t mask_ = 0, size_ = 0;
    bool zero_ = false;
};

struct OutcomeCounts {
    struct Drop {
        uint32_t rule = 0, reason = 0;
        uint8_t layer = 0;
        bool used = false;
        uint64_t packets = 0;
    };
    uint64_t accepted = 0, dropped = 0;
    std::vector<uint64_t> accept_to;   // destination symbol -> packets
    std::vector<Drop> drops;           // open addressing on (layer, rule, reason)
    size_t drop_kinds = 0;
    FlowIdSet flows;

    explicit OutcomeCounts(size_t expected_flows = 1024) : drops(256), flows(expected_flows) {}

    void add(const Verdict& v) {
        if (v.action == Action::Accept) {
            ++accepted;
            if (v.to >= accept_to.size()) accept_to.resize(v.to + 1024);
            ++accept_to[v.to];
            return;
        }
        ++dropped;
        auto layer = static_cast<uint8_t>(v.layer);
        size_t mask = drops.size() - 1;
        size_t i = (v.rule * 0x9e3779b1u ^ v.reason * 0x85ebca6bu ^ layer) & mask;
        for (;; i = (i + 1) & mask) {
            Drop& d = drops[i];
            if (!d.used) {
                d = Drop{v.rule, v.reason, layer, true, 1};
                if (++drop_kinds * 2 > drops.size()) grow();
                return;
            }
            if (d.rule == v.rule && d.reason == v.reason && d.layer == layer) {
                ++d.packets;
                return;
            }
        }
    }

private:
    void grow() {
        std::vector<Drop> old(drops.size() * 2);
        old.swap(drops);
        size_t mask = drops.size() - 1;
        for (const Drop& d : old) {
            if (!d.used) continue;
            size_t i = (d.rule * 0x9e3779b1u ^ d.reason * 0x85ebca6bu ^ d.layer) & mask;
            while (drops[i].used) i = (i + 1) & mask;
            drops[i] = d;
        }
    }
};

} // namespace vpcfw
