// The flow cache's table management and store (dataplane/flow_cache.hpp): what a walk
// leaves for the packets of its flow that follow, the keyed re-check of entries that rest
// on more state, and the table's growth between bursts. Runs after a walk (new flows) or
// between bursts, outside the established path.
#include "dataplane/flow_cache.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <new>

namespace vpcfw::pipeline_detail {

void PageArray::allocate(size_t n) {
    if (p) ::munmap(p, bytes);
    p = nullptr;
    bytes = std::max<size_t>(n, 4096);
    void* q = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (q == MAP_FAILED) throw std::bad_alloc();
    if (bytes >= FlatMap<int, int>::kHugeBytes) ::madvise(q, bytes, MADV_HUGEPAGE);
    p = q;
}
PageArray::~PageArray() {
    if (p) ::munmap(p, bytes);
}


size_t FlowCache::bytes() const {
    return cap_ * sizeof(FlowEntry) + verdict_used_ * sizeof(Verdict) + rare_used_ * sizeof(RareState);
}

void FlowCache::allocate(size_t slots) {
    slot_pages_.allocate(slots * sizeof(FlowEntry));
    slots_ = static_cast<FlowEntry*>(slot_pages_.p);
    cap_ = slots;
    mask_ = slots - 1;
    used_ = 0;
}

void FlowCache::reset(size_t limit) {
    limit_ = limit;
    allocate(std::min<size_t>(8192, std::bit_ceil(2 * limit + 2)));
    // The pools hold one verdict (and at most one side record) per entry stored in an
    // epoch, plus a burst; pages are touched in order, so memory follows use.
    verdict_cap_ = limit_ + 2 * kMaxBurst;
    rare_cap_ = limit_ + 2 * kMaxBurst;
    verdict_pages_.allocate(verdict_cap_ * sizeof(Verdict));
    rare_pages_.allocate(rare_cap_ * sizeof(RareState));
    verdicts_ = static_cast<Verdict*>(verdict_pages_.p);
    rares_ = static_cast<RareState*>(rare_pages_.p);
    verdict_used_ = rare_used_ = 0;
    have_version_ = false;
    epoch_ = 1;
}

void FlowCache::reserve(size_t entries) {
    entries = std::min(entries, limit_);
    if (entries * 2 <= cap_) return;
    // Growing empties the table: the entries of the current epoch come back on their
    // next packet (a walk), which keeps the move out of the cache's logic.
    allocate(std::bit_ceil(2 * entries + 2));
    invalidate();
}

void FlowCache::invalidate() {
    ++epoch_;
    if (epoch_ == 0) {   // 255 epochs: no stale entry may carry the new number
        std::memset(static_cast<void*>(slots_), 0, cap_ * sizeof(FlowEntry));
        used_ = 0;
        epoch_ = 1;
    }
    verdict_used_ = rare_used_ = 0;
}

void FlowCache::begin_burst(size_t n, uint64_t version) {
    if (!have_version_ || version != version_ || invalidate_next_) {
        have_version_ = true;
        version_ = version;
        invalidate_next_ = false;
        invalidate();
    }
    if (used_ + n > cap_ / 2) {
        size_t want = std::min(limit_, std::max(cap_, used_ + n));   // x2 slots or more, up to the limit
        if (want * 2 > cap_) {
            reserve(want);
        } else {
            // A new generation; live flows come back on their next packet.
            std::memset(static_cast<void*>(slots_), 0, cap_ * sizeof(FlowEntry));
            used_ = 0;
            invalidate();
        }
    }
    if (verdict_used_ + n > verdict_cap_ || rare_used_ + n > rare_cap_) invalidate();
}

bool FlowCache::rare_hit(const RareState& e, const ParsedPacket& in, StateTables& s) {
    double now = s.clock;
    CtEntry* ce[kCacheCt];
    for (unsigned i = 0; i < e.nct; ++i) {
        if ((e.ct_absent >> i) & 1) {
            // Untracked hop: any entry (even an expired one the walk would erase)
            // sends the packet down the walk.
            if (s.conntrack.find(e.ct[i], e.ct_hash[i])) return false;
            ce[i] = nullptr;
        } else if (!(ce[i] = s.ct_find(e.ct[i], e.ct_hash[i], now))) {
            return false;
        }
    }
    for (unsigned i = 0; i < e.nnat; ++i) {
        // The mapping must still be this flow's: after it went idle, its port may have
        // been given to another inside host (same key, another inside end).
        const NatEntry* n = s.nat_out.find(e.nat_out[i]);
        if (!n || !s.nat_live(*n, now)) return false;
        if (n->inside.port != e.nat_inside[i].port || !(n->inside.ip == e.nat_inside[i].ip)) return false;
    }
    if (e.drop) return true;   // a dropped packet refreshes nothing
    uint8_t flags = in.key.proto == 6 ? in.key.tcp_flags : 0;
    for (unsigned i = 0; i < e.nct; ++i) {
        if (!ce[i]) continue;   // untracked hop: the walk's commit changes nothing there
        touch(s, e.ct[i], *ce[i], (e.ct_egress >> i) & 1, flags, now);
    }
    for (unsigned i = 0; i < e.nnat; ++i) {
        NatEntry* n = s.nat_out.find(e.nat_out[i]);
        n->inside = e.nat_inside[i];
        n->last_seen = now;
        s.nat_in.put(e.nat_in[i], e.nat_out[i]);
    }
    for (unsigned i = 0; i < e.neigw; ++i) s.eigw.put(e.eigw[i], now);
    for (unsigned i = 0; i < e.napp; ++i) s.appliance_az.put(e.app[i], e.app_az[i]);
    return true;
}

void FlowCache::store(const ParsedPacket& in, StateTables& s, const PendingState& c, const Verdict& v) {
    if (c.nct > kCacheCt || c.nnat > kCacheNat || c.neigw > kCacheSmall || c.napp > kCacheSmall) return;
    const bool drop = v.action != Action::Accept;
    if (drop && (c.nnat || c.neigw || c.napp)) return;
    bool rare = drop || c.nnat || c.neigw || c.napp || c.nct > kFlowRefs;
    for (unsigned i = 0; i < c.nct; ++i) {
        if (!c.ct[i].create) continue;
        // Judged by rules, untracked: the commit created nothing unless a hop was
        // tracked automatically, which makes the next packet meet state instead. Before a
        // drop nothing was committed, but a tracked hop needed room in the table, which
        // the next packet may not find.
        if (c.auto_tracked || c.ct[i].tracked_by_rules) return;
        rare = true;   // a key that must stay absent: re-checked by key
    }
    // The connection entries by slot and tag (24 bits each; a bigger table keeps keys).
    uint32_t slot[kFlowRefs] = {}, tag[kFlowRefs] = {};
    if (!rare) {
        for (unsigned i = 0; i < c.nct; ++i) {
            size_t sl = s.conntrack.find_slot(c.ct[i].key, decltype(s.conntrack)::hash(c.ct[i].key));
            if (sl == decltype(s.conntrack)::npos) return;
            if (sl >= kRef24) {
                rare = true;
                break;
            }
            slot[i] = static_cast<uint32_t>(sl);
        }
        for (unsigned i = 0; !rare && i < c.nct; ++i) tag[i] = s.ct_tag(s.conntrack.value_at(slot[i]));
        if (s.tag_wrapped) {
            // Every tag was reset: no entry stored so far may be served again. This
            // burst's verdicts stay where they are until the next one.
            s.tag_wrapped = false;
            invalidate_next_ = true;
            ++epoch_;
            if (epoch_ == 0) {
                std::memset(static_cast<void*>(slots_), 0, cap_ * sizeof(FlowEntry));
                used_ = 0;
                epoch_ = 1;
            }
            for (unsigned i = 0; !rare && i < c.nct; ++i) tag[i] = s.ct_tag(s.conntrack.value_at(slot[i]));
        }
    }

    FlowEntry key;
    flow_entry_key(in, key);
    uint64_t h = flow_entry_hash(key);
    // The slot: this key's (any epoch), else the first stale one of the run, else the
    // empty one that ends it.
    FlowEntry* e = nullptr;
    FlowEntry* stale = nullptr;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
        FlowEntry& x = slots_[i];
        if (!(x.kind & kFlowUsed)) {
            e = stale ? stale : &x;
            break;
        }
        if (flow_key_equal(x, key)) {
            e = &x;
            break;
        }
        if (!stale && x.epoch != epoch_) stale = &x;
    }
    bool same = (e->kind & kFlowUsed) && flow_key_equal(*e, key) && e->epoch == epoch_;
    if (!(e->kind & kFlowUsed)) {
        if (used_ >= cap_ / 2) return;   // full until the next burst
        ++used_;
    }
    // The verdict: the entry's own when it is the same, else a new handle.
    uint32_t vh;
    if (same && std::memcmp(&verdicts_[e->verdict], &v, sizeof(Verdict)) == 0) {
        vh = e->verdict;
    } else {
        if (verdict_used_ >= verdict_cap_) return;
        vh = static_cast<uint32_t>(verdict_used_++);
        std::memcpy(static_cast<void*>(&verdicts_[vh]), &v, sizeof(Verdict));
    }
    uint32_t rh = 0;
    if (rare) {
        if (same && (e->meta & kFlowRare)) {
            std::memcpy(&rh, e->refs, 4);
        } else {
            if (rare_used_ >= rare_cap_) return;
            rh = static_cast<uint32_t>(rare_used_++);
        }
        RareState& r = rares_[rh];
        r.nct = static_cast<uint8_t>(c.nct);
        r.nnat = static_cast<uint8_t>(c.nnat);
        r.neigw = static_cast<uint8_t>(c.neigw);
        r.napp = static_cast<uint8_t>(c.napp);
        r.ct_egress = 0;
        r.ct_absent = 0;
        r.drop = drop;
        for (unsigned i = 0; i < c.nct; ++i) {
            if (c.ct[i].create) r.ct_absent |= static_cast<uint8_t>(1u << i);
            r.ct[i] = c.ct[i].key;
            r.ct_hash[i] = decltype(StateTables::conntrack)::hash(c.ct[i].key);
            if (c.ct[i].egress) r.ct_egress |= static_cast<uint8_t>(1u << i);
        }
        for (unsigned i = 0; i < c.nnat; ++i) {
            r.nat_out[i] = c.nat[i].out;
            r.nat_in[i] = c.nat[i].in;
            r.nat_inside[i] = c.nat[i].inside;
        }
        for (unsigned i = 0; i < c.neigw; ++i) r.eigw[i] = c.eigw[i];
        for (unsigned i = 0; i < c.napp; ++i) {
            r.app[i] = c.app_key[i];
            r.app_az[i] = c.app_az[i];
        }
    }
    std::memcpy(static_cast<void*>(e), &key, kFlowKeyBytes);
    e->epoch = epoch_;
    e->verdict = vh;
    std::memset(e->refs, 0, sizeof e->refs);
    if (rare) {
        e->meta = kFlowRare;
        std::memcpy(e->refs, &rh, 4);
    } else {
        uint8_t meta = static_cast<uint8_t>(c.nct);
        for (unsigned i = 0; i < c.nct; ++i) {
            if (c.ct[i].egress) meta |= static_cast<uint8_t>(4u << i);
            put24(e->refs + 6 * i, slot[i]);
            put24(e->refs + 6 * i + 3, tag[i]);
        }
        e->meta = meta;
    }
}

} // namespace vpcfw::pipeline_detail
