// BurstClassify: the new-flow classification stage of a burst. After the flow-cache
// stage, every packet that missed gets the side keys of its first hop (egress at the source
// ENI, ingress at the destination ENI it most likely reaches) and each side is classified
// for the whole burst in one rte_acl_classify per family and direction (AclTables::
// classify_side: the NACL and SG answers of a side in one traversal). The walk then asks
// `nacl` / `sg` before classifying a question itself; they answer only when the burst key
// asks exactly that question (side_key_asks), so the guess of the path can cost a second
// classification but never change a decision. Per worker, owned by Pipeline::Impl; hot:
// fixed arrays, no allocation, reused burst after burst (never zeroed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/acl_key.hpp"
#include "dataplane/acl_tables.hpp"
#include "dataplane/pipeline.hpp"

namespace vpcfw {

class CompiledRuleset;

class BurstClassify {
public:
    // Classifies the first-hop questions of burst[i] for every i with miss[i]; forgets the
    // previous burst's answers. n <= kMaxBurst.
    void classify(const CompiledRuleset& rs, const ParsedPacket* burst, const bool* miss, size_t n);
    // The packet the walk is on (burst index), or none (answers nothing).
    void use(size_t i) { current_ = static_cast<int32_t>(i); }
    void use_none() { current_ = -1; }

    // The current packet's answer to a NACL / SG question of side `egress`, if its burst
    // key asks exactly q (q.remote_set is not compared: it is a function of q.remote).
    bool nacl(const AclTables& acl, const AclKey4& q, NaclVerdict& out) const { return answer(acl, q, true, &out, nullptr); }
    bool nacl(const AclTables& acl, const AclKey6& q, NaclVerdict& out) const { return answer(acl, q, true, &out, nullptr); }
    bool sg(const AclTables& acl, const AclKey4& q, SgVerdict& out) const { return answer(acl, q, false, nullptr, &out); }
    bool sg(const AclTables& acl, const AclKey6& q, SgVerdict& out) const { return answer(acl, q, false, nullptr, &out); }

private:
    static constexpr uint8_t kNoSlot = 0xff;
    // Per family (v4, v6) and side (0 ingress, 1 egress): the keys and their results.
    AclSideKey4 keys4_[2][kMaxBurst];
    AclSideKey6 keys6_[2][kMaxBurst];
    uint32_t results4_[2][kAclCategories * kMaxBurst];
    uint32_t results6_[2][kAclCategories * kMaxBurst];
    uint8_t slot_[2][kMaxBurst];   // packet -> index in its family's side arrays, kNoSlot
    uint8_t v6_[kMaxBurst];
    uint32_t burst_n_ = 0;
    int32_t current_ = -1;

    template <typename Key>
    bool answer(const AclTables& acl, const Key& q, bool nacl, NaclVerdict* nv, SgVerdict* sv) const;
};

} // namespace vpcfw
