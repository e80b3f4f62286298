// AclTables: batch classification over the compiled rte_acl contexts, the remote-address
// group-set lookup and the RuleRef side table. Hot lookups; see acl_tables.hpp.
#include "dataplane/acl_tables.hpp"

#include <algorithm>
#include <cstring>

#include <rte_acl.h>

namespace vpcfw {

const char* acl_algorithm_name(AclAlgorithm a) {
    switch (a) {
    case AclAlgorithm::Default: return "default";
    case AclAlgorithm::Scalar: return "scalar";
    case AclAlgorithm::Sse: return "sse";
    case AclAlgorithm::Avx2: return "avx2";
    case AclAlgorithm::Avx512x16: return "avx512x16";
    case AclAlgorithm::Avx512x32: return "avx512x32";
    }
    return "?";
}

std::optional<AclAlgorithm> parse_acl_algorithm(std::string_view name) {
    for (AclAlgorithm a : kAllAclAlgorithms)
        if (name == acl_algorithm_name(a)) return a;
    return std::nullopt;
}

void AclTables::CtxDeleter::operator()(rte_acl_ctx* c) const { rte_acl_free(c); }

AclTables::AclTables() = default;
AclTables::~AclTables() = default;

namespace {

// Classifies up to kAclMaxBatch side keys, kAclCategories results each; a null context
// (no rules of that family and direction) misses all.
template <typename Side>
void classify_chunk(const rte_acl_ctx* ctx, const Side* keys, uint32_t n, uint32_t* results) {
    if (ctx == nullptr) {
        std::fill(results, results + kAclCategories * n, 0u);
        return;
    }
    const uint8_t* data[kAclMaxBatch];
    for (uint32_t i = 0; i < n; ++i) data[i] = reinterpret_cast<const uint8_t*>(&keys[i]);
    // Arguments are valid by construction (kAclCategories, n <= 64), so this cannot fail.
    rte_acl_classify(ctx, data, results, n, kAclCategories);
}

} // namespace

template <typename Side>
void AclTables::side_batch(const rte_acl_ctx* ctx, std::span<const Side> keys, std::span<uint32_t> results) const {
    for (size_t done = 0; done < keys.size(); done += kAclMaxBatch) {
        uint32_t n = static_cast<uint32_t>(std::min<size_t>(kAclMaxBatch, keys.size() - done));
        classify_chunk(ctx, keys.data() + done, n, results.data() + kAclCategories * done);
    }
}

void AclTables::classify_side(bool egress, std::span<const AclSideKey4> keys, std::span<uint32_t> results) const {
    side_batch(side4_[egress ? 1 : 0].get(), keys, results);
}
void AclTables::classify_side(bool egress, std::span<const AclSideKey6> keys, std::span<uint32_t> results) const {
    side_batch(side6_[egress ? 1 : 0].get(), keys, results);
}

// Single questions: each key becomes a side key with only its layer's table set, and
// goes to its direction's context (ctx[0] ingress, ctx[1] egress).
template <typename Key, typename Fn>
void AclTables::question_batch(const CtxPtr* ctx, std::span<const Key> keys, bool nacl, Fn&& take) const {
    using Side = decltype(side_key_of(keys[0], nacl));
    Side side[2][kAclMaxBatch];
    uint32_t at[2][kAclMaxBatch];
    uint32_t results[kAclCategories * kAclMaxBatch];
    for (size_t done = 0; done < keys.size(); done += kAclMaxBatch) {
        uint32_t n = static_cast<uint32_t>(std::min<size_t>(kAclMaxBatch, keys.size() - done));
        uint32_t cnt[2] = {0, 0};
        for (uint32_t i = 0; i < n; ++i) {
            int d = keys[done + i].direction.host() == kAclEgress ? 1 : 0;
            side[d][cnt[d]] = side_key_of(keys[done + i], nacl);
            at[d][cnt[d]++] = static_cast<uint32_t>(done + i);
        }
        for (int d : {0, 1}) {
            if (cnt[d] == 0) continue;
            classify_chunk(ctx[d].get(), side[d], cnt[d], results);
            for (uint32_t j = 0; j < cnt[d]; ++j)
                take(at[d][j], results[kAclCategories * j + (nacl ? kCatNacl : kCatSg)], d == 1);
        }
    }
}

template <typename Key>
void AclTables::nacl_batch(const CtxPtr* ctx, std::span<const Key> keys, std::span<NaclVerdict> out) const {
    question_batch(ctx, keys, true, [&](uint32_t i, uint32_t result, bool egress) {
        out[i] = nacl_verdict(result, keys[i].table.host(), egress);
    });
}

template <typename Key>
void AclTables::sg_batch(const CtxPtr* ctx, std::span<const Key> keys, std::span<SgVerdict> out) const {
    question_batch(ctx, keys, false, [&](uint32_t i, uint32_t result, bool) { out[i] = sg_verdict(result); });
}

void AclTables::classify_nacl(std::span<const AclKey4> keys, std::span<NaclVerdict> out) const {
    nacl_batch(side4_, keys, out);
}
void AclTables::classify_nacl(std::span<const AclKey6> keys, std::span<NaclVerdict> out) const {
    nacl_batch(side6_, keys, out);
}
void AclTables::classify_sg(std::span<const AclKey4> keys, std::span<SgVerdict> out) const {
    sg_batch(side4_, keys, out);
}
void AclTables::classify_sg(std::span<const AclKey6> keys, std::span<SgVerdict> out) const {
    sg_batch(side6_, keys, out);
}

uint16_t AclTables::remote_set4(Be32 addr) const {
    uint32_t a = addr.host();
    auto it = std::upper_bound(remote4_start_.begin(), remote4_start_.end(), a);
    if (it == remote4_start_.begin()) return 0;
    return remote4_set_[static_cast<size_t>(it - remote4_start_.begin()) - 1];
}

uint16_t AclTables::remote_set6(const Be32 addr[4]) const {
    U128 a{(static_cast<uint64_t>(addr[0].host()) << 32) | addr[1].host(),
           (static_cast<uint64_t>(addr[2].host()) << 32) | addr[3].host()};
    auto it = std::upper_bound(remote6_start_.begin(), remote6_start_.end(), a);
    if (it == remote6_start_.begin()) return 0;
    return remote6_set_[static_cast<size_t>(it - remote6_start_.begin()) - 1];
}

uint16_t AclTables::remote_set(const IpAddr& a) const {
    Be32 w[4];
    std::memcpy(w, a.bytes.data(), sizeof(w));
    return a.is_v4() ? remote_set4(w[0]) : remote_set6(w);
}

const RuleSource* AclTables::rule_source(RuleRef ref) const {
    RuleLayer layer = ref.layer();
    uint32_t t = ref.table(), i = ref.index();
    if (rule_layer_is_nacl(layer)) {
        if (ref.slot() >= nacl_sources_.size()) return nullptr;
        const RuleSource& s = nacl_sources_[ref.slot()];
        return s.layer == layer ? &s : nullptr;
    }
    if (layer == RuleLayer::SgIngress || layer == RuleLayer::SgEgress) {
        if (t >= sg_base_.size()) return nullptr;
        if (layer == RuleLayer::SgIngress)
            return i < sg_ingress_count_[t] ? &sg_sources_[sg_base_[t] + i] : nullptr;
        return i < sg_egress_count_[t] ? &sg_sources_[sg_base_[t] + sg_ingress_count_[t] + i] : nullptr;
    }
    return nullptr;
}

} // namespace vpcfw
