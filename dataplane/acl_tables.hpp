// AclTables: the compiled security-group and network-ACL classifiers of one ruleset
// version (rte_acl contexts per family and direction, NACL and SG rules as two categories; the address -> group-set map, the RuleRef side
// table). Built only by control/acl_compiler (AclCompiler); immutable once built, so any
// worker may call the const lookups concurrently. Lookups are hot: no allocation, no
// locks, no logging; they trust their inputs (keys built with dataplane/acl_key.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/acl_key.hpp"
#include "dataplane/rule_ref.hpp"
#include "ruleset/ip.hpp"

struct rte_acl_ctx;

namespace vpcfw {

// rte_acl classify implementations (enum rte_acl_classify_alg), chosen once per run.
enum class AclAlgorithm : uint8_t { Default, Scalar, Sse, Avx2, Avx512x16, Avx512x32 };

inline constexpr AclAlgorithm kAllAclAlgorithms[] = {
    AclAlgorithm::Default, AclAlgorithm::Scalar,    AclAlgorithm::Sse,
    AclAlgorithm::Avx2,    AclAlgorithm::Avx512x16, AclAlgorithm::Avx512x32,
};
const char* acl_algorithm_name(AclAlgorithm a);                      // "avx2", ...
std::optional<AclAlgorithm> parse_acl_algorithm(std::string_view name);

// Most keys one rte_acl_classify call takes; longer spans are classified in chunks.
inline constexpr uint32_t kAclMaxBatch = 64;

// NACL verdict: the first matching entry (lowest position in the NACL's entry list, i.e.
// lowest RuleNumber) and its action; no match is a deny by the `*` rule (rule.is_star()).
struct NaclVerdict {
    RuleRef rule;
    bool allow = false;
};

// SG verdict: admitted when some rule of the ENI's groups matches; `rule` is the first
// admitting rule in the ENI's group order, then rule order (invalid when not admitted).
struct SgVerdict {
    RuleRef rule;
    bool admit = false;
};

class AclCompiler;

class AclTables {
public:
    AclTables();
    ~AclTables();
    AclTables(const AclTables&) = delete;
    AclTables& operator=(const AclTables&) = delete;

    // NACL classification. keys[i].table = the NACL's dense index, direction = ingress or
    // egress, remote = source (ingress) / destination (egress), remote_set = 0.
    // out.size() must be >= keys.size(). One rte_acl_classify per 64 keys.
    void classify_nacl(std::span<const AclKey4> keys, std::span<NaclVerdict> out) const;
    void classify_nacl(std::span<const AclKey6> keys, std::span<NaclVerdict> out) const;

    // SG classification. keys[i].table = group_set_of_eni(local ENI), remote_set =
    // remote_set4/6(remote address).
    void classify_sg(std::span<const AclKey4> keys, std::span<SgVerdict> out) const;
    void classify_sg(std::span<const AclKey6> keys, std::span<SgVerdict> out) const;

    // Side classification (acl_key.hpp): one rte_acl_classify per 64 keys answers the
    // NACL and SG questions of one side (egress: the source's, remote = destination;
    // ingress: the destination's, remote = source) of each key;
    // results[kAclCategories * i + kCatNacl / kCatSg] is key i's raw rte_acl answer
    // (0 = no match). results.size() >= kAclCategories * keys.size().
    void classify_side(bool egress, std::span<const AclSideKey4> keys, std::span<uint32_t> results) const;
    void classify_side(bool egress, std::span<const AclSideKey6> keys, std::span<uint32_t> results) const;
    // A raw NACL answer as a verdict (no match = the `*` deny of NACL `table`); an SG one.
    NaclVerdict nacl_verdict(uint32_t result, uint16_t table, bool egress) const {
        NaclVerdict v;
        if (result != 0) {
            v.rule = RuleRef{result};
            v.allow = nacl_allow_[v.rule.slot()] != 0;
        } else {
            v.rule = nacl_star(table, egress);
        }
        return v;
    }
    // NACL refs by slot (rule_ref.hpp): entry `i` of NACL `table` (its position in
    // NetworkAcl::entries), its `*` of one direction, and what a slot is.
    RuleRef nacl_entry(uint32_t table, uint32_t i, bool egress) const {
        return RuleRef::nacl(egress ? RuleLayer::NaclEgress : RuleLayer::NaclIngress, nacl_base_[table] + i);
    }
    // (No such NACL in this version: an invalid ref, which the walk reads as `*` too.)
    RuleRef nacl_star(uint32_t table, bool egress) const {
        if (table >= nacl_base_.size()) return RuleRef{};
        return RuleRef::nacl(egress ? RuleLayer::NaclEgress : RuleLayer::NaclIngress,
                             nacl_base_[table] + nacl_count_[table] + (egress ? 1 : 0));
    }
    // The implicit `*` deny (no entry matched).
    bool nacl_is_star(RuleRef ref) const { return ref.slot() < nacl_kind_.size() && nacl_kind_[ref.slot()] == kSlotStar; }
    // An entry whose rule number is the export's own `*` (32767/32768): denies as `*` does.
    bool nacl_is_default_deny(RuleRef ref) const {
        return ref.slot() < nacl_kind_.size() && nacl_kind_[ref.slot()] != kSlotEntry;
    }
    static SgVerdict sg_verdict(uint32_t result) { return SgVerdict{RuleRef{result}, result != 0}; }

    // The group-set id of an ENI (dense index); 0 = no (existing) groups, admits nothing.
    uint16_t group_set_of_eni(uint32_t eni) const {
        return eni < eni_group_set_.size() ? eni_group_set_[eni] : 0;
    }
    // The remote group-set id of an address: which (VPC, group) pairs own it as a private
    // address; 0 = no ENI owns it. Binary search over disjoint intervals, no allocation.
    uint16_t remote_set4(Be32 addr) const;
    uint16_t remote_set6(const Be32 addr[4]) const;
    uint16_t remote_set(const IpAddr& a) const;

    // The AWS object behind a RuleRef (nullptr when the ref is not one of this version's).
    const RuleSource* rule_source(RuleRef ref) const;

    AclAlgorithm algorithm() const { return algorithm_; }

    struct Stats {
        uint32_t nacl_rules4 = 0, nacl_rules6 = 0;   // rte_acl rules per context
        uint32_t sg_rules4 = 0, sg_rules6 = 0;
        uint32_t group_sets = 0;                     // distinct ENI group sets (ids 1..n)
        uint32_t remote_sets = 0;                    // distinct remote group sets (ids 1..n)
        double build_ms = 0;                         // rte_acl_build time, all contexts
    };
    const Stats& stats() const { return stats_; }

private:
    friend class AclCompiler;

    struct CtxDeleter {
        void operator()(rte_acl_ctx* c) const;
    };
    using CtxPtr = std::unique_ptr<rte_acl_ctx, CtxDeleter>;

    // The side contexts [ingress, egress] per family (NACL and SG rules of that direction,
    // one category each); null when there are no such rules (every key misses).
    CtxPtr side4_[2], side6_[2];
    AclAlgorithm algorithm_ = AclAlgorithm::Default;

    // NACL entry actions and side table, by slot: entry i of NACL t is at nacl_base_[t] + i;
    // the two `*` slots (ingress, egress) follow the NACL's entries.
    static constexpr uint8_t kSlotEntry = 0, kSlotDefaultDeny = 1, kSlotStar = 2;
    std::vector<uint32_t> nacl_base_;
    std::vector<uint32_t> nacl_count_;
    std::vector<uint8_t> nacl_allow_;
    std::vector<uint8_t> nacl_kind_;   // kSlot*: an entry, an export's `*` entry, the implicit `*`
    std::vector<RuleSource> nacl_sources_;
    // SG side table: group t's ingress rules from sg_base_[t], then its egress rules.
    std::vector<uint32_t> sg_base_;
    std::vector<uint32_t> sg_ingress_count_;
    std::vector<uint32_t> sg_egress_count_;
    std::vector<RuleSource> sg_sources_;

    std::vector<uint16_t> eni_group_set_;
    // Remote-set intervals: starts sorted ascending, the first start is 0 (IPv6 as
    // (high 64, low 64) pairs).
    std::vector<uint32_t> remote4_start_;
    std::vector<uint16_t> remote4_set_;
    struct U128 {
        uint64_t hi = 0, lo = 0;
        auto operator<=>(const U128&) const = default;
    };
    std::vector<U128> remote6_start_;
    std::vector<uint16_t> remote6_set_;

    Stats stats_;

    template <typename Key, typename Fn>
    void question_batch(const CtxPtr* ctx, std::span<const Key> keys, bool nacl, Fn&& take) const;
    template <typename Key>
    void nacl_batch(const CtxPtr* ctx, std::span<const Key> keys, std::span<NaclVerdict> out) const;
    template <typename Key>
    void sg_batch(const CtxPtr* ctx, std::span<const Key> keys, std::span<SgVerdict> out) const;
    template <typename Side>
    void side_batch(const rte_acl_ctx* ctx, std::span<const Side> keys, std::span<uint32_t> results) const;
};

} // namespace vpcfw
