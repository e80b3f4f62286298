// RuleRef: the 32-bit name of one compiled SG or NACL rule, stored as rte_acl userdata so
// every classifier verdict says which rule made it; RuleSource: the side-table entry that
// names the AWS object behind it. RuleRef is a hot-path value (any worker); RuleSource is
// cold (decisions JSONL, flow logs, explain) and lives, immutable, in AclTables.
#pragma once

#include <cstdint>
#include <string>

#include "ruleset/limits.hpp"

namespace vpcfw {

// Which rule list a RuleRef points into. The direction is part of the layer. Zero is
// reserved: rte_acl reports "no match" as userdata 0, so no valid RuleRef is 0.
enum class RuleLayer : uint8_t {
    None = 0,
    SgIngress = 1,
    SgEgress = 2,
    NaclIngress = 3,
    NaclEgress = 4,
};

inline constexpr bool rule_layer_is_nacl(RuleLayer l) {
    return l == RuleLayer::NaclIngress || l == RuleLayer::NaclEgress;
}
inline constexpr bool rule_layer_is_egress(RuleLayer l) {
    return l == RuleLayer::SgEgress || l == RuleLayer::NaclEgress;
}

// Bits: layer (3) | table | index, split by kind of list (ruleset/limits.hpp says the
// same limits to users, and the loader enforces them):
//   SG:   table (15) = the group's dense index in Network::security_groups, index (14) =
//         the rule's position in SecurityGroup::ingress or ::egress (the layer says which).
//   NACL: table (12) = the NACL's dense index in Network::network_acls, index (17) = the
//         entry's position in NetworkAcl::entries (both directions: 2 x 32,766 numbered
//         entries and an export's `*` entries fit), or kStarIndex for the implicit `*` deny.
// One SG rule expanded into several rte_acl rules (prefix-list entries, referenced-group
// sets, group sets sharing it) keeps one RuleRef.
struct RuleRef {
    uint32_t raw = 0;

    static constexpr uint32_t kLayerShift = 29;
    static constexpr uint32_t kSgIndexBits = 14, kNaclIndexBits = 17;
    static constexpr uint32_t kMaxSgTable = (1u << (kLayerShift - kSgIndexBits)) - 1;      // 32767
    static constexpr uint32_t kMaxSgIndex = (1u << kSgIndexBits) - 2;                      // 16382
    static constexpr uint32_t kMaxNaclTable = (1u << (kLayerShift - kNaclIndexBits)) - 1;  // 4095
    static constexpr uint32_t kStarIndex = (1u << kNaclIndexBits) - 1;   // NACL `*` (no entry matched)
    static constexpr uint32_t kMaxNaclIndex = kStarIndex - 1;            // largest real entry index

    static constexpr uint32_t index_bits(RuleLayer l) { return rule_layer_is_nacl(l) ? kNaclIndexBits : kSgIndexBits; }
    static constexpr RuleRef make(RuleLayer layer, uint32_t table, uint32_t index) {
        uint32_t ib = index_bits(layer);
        uint32_t tmask = (1u << (kLayerShift - ib)) - 1;
        return RuleRef{(static_cast<uint32_t>(layer) << kLayerShift) | ((table & tmask) << ib) | (index & ((1u << ib) - 1))};
    }
    constexpr RuleLayer layer() const { return static_cast<RuleLayer>(raw >> kLayerShift); }
    constexpr uint32_t table() const {
        uint32_t ib = index_bits(layer());
        return (raw >> ib) & ((1u << (kLayerShift - ib)) - 1);
    }
    constexpr uint32_t index() const { return raw & ((1u << index_bits(layer())) - 1); }
    constexpr bool valid() const { return raw != 0; }
    constexpr bool is_star() const { return rule_layer_is_nacl(layer()) && index() == kStarIndex; }
    constexpr bool operator==(const RuleRef&) const = default;
};

static_assert(sizeof(RuleRef) == 4);
static_assert(RuleRef::make(RuleLayer::NaclEgress, RuleRef::kMaxNaclTable, RuleRef::kStarIndex).table() ==
              RuleRef::kMaxNaclTable);
static_assert(RuleRef::make(RuleLayer::NaclEgress, RuleRef::kMaxNaclTable, RuleRef::kStarIndex).is_star());
static_assert(RuleRef::make(RuleLayer::SgEgress, RuleRef::kMaxSgTable, RuleRef::kMaxSgIndex).table() == RuleRef::kMaxSgTable);
static_assert(RuleRef::make(RuleLayer::SgEgress, RuleRef::kMaxSgTable, RuleRef::kMaxSgIndex).index() == RuleRef::kMaxSgIndex);
static_assert(RuleRef::make(RuleLayer::SgIngress, 0, 0).valid(), "layer bits keep every ref non-zero");
// The loader's limits (ruleset/limits.hpp) fit the reference: every group, rule, NACL and
// entry (both directions of a NACL together) the loader accepts has a RuleRef.
static_assert(kMaxSecurityGroups <= RuleRef::kMaxSgTable + 1 && kMaxSgRulesPerDirection <= RuleRef::kMaxSgIndex + 1);
static_assert(kMaxNetworkAcls <= RuleRef::kMaxNaclTable + 1 && 2 * kMaxNaclEntriesPerDirection <= RuleRef::kMaxNaclIndex + 1);

// The AWS object a RuleRef names. `str()` gives the form decisions print (docs/interface.md):
// `acl-ID:ingress:NUMBER` / `acl-ID:egress:*` for NACLs and
// `sg-ID:ingress:PROTO/PORTS:PEER` for security-group rules, as the reference evaluator.
struct RuleSource {
    RuleLayer layer = RuleLayer::None;
    std::string object_id;   // acl-... or sg-...
    int rule_number = -1;    // NACL RuleNumber; -1 for `*` and for SG rules
    bool allow = false;      // NACL RuleAction; SG rules always allow
    std::string rule_text;   // SG: "tcp/22:10.0.0.0/8" (proto/ports:peer); NACL: empty

    bool egress() const { return rule_layer_is_egress(layer); }
    std::string str() const {
        std::string s = object_id + (egress() ? ":egress:" : ":ingress:");
        if (rule_layer_is_nacl(layer)) return s + (rule_number < 0 ? "*" : std::to_string(rule_number));
        return s + rule_text;
    }
};

} // namespace vpcfw
