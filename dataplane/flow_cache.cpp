// The flow cache's store (dataplane/flow_cache.hpp): what a walk leaves for the packets of
// its flow that follow. Runs after a walk (new flows), outside the established path.
#include "dataplane/flow_cache.hpp"

namespace vpcfw::pipeline_detail {

void flow_cache_store(FlowCacheMap& cache, const CacheKey& key, const PendingState& c, const Verdict& v,
                      uint64_t version) {
    if (c.nct > kCacheCt || c.nnat > kCacheNat || c.neigw > kCacheSmall || c.napp > kCacheSmall) return;
    if (cache.at_limit()) cache.clear();   // a new generation; live flows come back on their next packet
    if (cache.full()) return;
    FlowCacheEntry e;
    e.version = version;
    e.nct = static_cast<uint8_t>(c.nct);
    e.nnat = static_cast<uint8_t>(c.nnat);
    e.neigw = static_cast<uint8_t>(c.neigw);
    e.napp = static_cast<uint8_t>(c.napp);
    e.ct_egress = 0;
    e.ct_absent = 0;
    for (unsigned i = 0; i < c.nct; ++i) {
        if (c.ct[i].create) {
            // Judged by rules, untracked: the commit created nothing unless a hop was
            // tracked automatically, which makes the next packet meet state instead.
            if (c.auto_tracked || c.ct[i].tracked_by_rules) return;
            e.ct_absent |= static_cast<uint8_t>(1u << i);
        }
        e.ct[i] = c.ct[i].key;
        e.ct_hash[i] = decltype(StateTables::conntrack)::hash(c.ct[i].key);
        if (c.ct[i].egress) e.ct_egress |= static_cast<uint8_t>(1u << i);
    }
    for (unsigned i = 0; i < c.nnat; ++i) {
        e.nat_out[i] = c.nat[i].out;
        e.nat_in[i] = c.nat[i].in;
        e.nat_inside[i] = c.nat[i].inside;
    }
    for (unsigned i = 0; i < c.neigw; ++i) e.eigw[i] = c.eigw[i];
    for (unsigned i = 0; i < c.napp; ++i) {
        e.app[i] = c.app_key[i];
        e.app_az[i] = c.app_az[i];
    }
    e.v = v;
    cache.put(key, e);
}

} // namespace vpcfw::pipeline_detail
