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

// Bits: layer (3), then by kind of list (ruleset/limits.hpp says the same limits to users,
// and the loader enforces them):
//   SG:   table (15) = the group's dense index in Network::security_groups, index (14) =
//         the rule's position in SecurityGroup::ingress or ::egress (the layer says which).
//   NACL: slot (29) = the entry's position in AclTables' NACL side table, where each NACL
//         has its entries (NetworkAcl::entries order) and then its ingress and egress `*`
//         (the implicit deny when no entry matched). No per-NACL or NACL-count limit
//         comes from the reference; AclTables maps a slot back to its NACL and entry.
// One SG rule expanded into several rte_acl rules (prefix-list entries, referenced-group
// sets, group sets sharing it) keeps one RuleRef.
struct RuleRef {
    uint32_t raw = 0;

    static constexpr uint32_t kLayerShift = 29;
    static constexpr uint32_t kSgIndexBits = 14;
    static constexpr uint32_t kMaxSgTable = (1u << (kLayerShift - kSgIndexBits)) - 1;      // 32767
    static constexpr uint32_t kMaxSgIndex = (1u << kSgIndexBits) - 2;                      // 16382
    static constexpr uint32_t kMaxNaclSlot = (1u << kLayerShift) - 1;                      // 536,870,911

    // A security-group rule: group `table`, rule `index` of the layer's direction.
    static constexpr RuleRef make(RuleLayer layer, uint32_t table, uint32_t index) {
        return RuleRef{(static_cast<uint32_t>(layer) << kLayerShift) |
                       ((table & kMaxSgTable) << kSgIndexBits) | (index & ((1u << kSgIndexBits) - 1))};
    }
    // A NACL entry (or `*`) by its side-table slot.
    static constexpr RuleRef nacl(RuleLayer layer, uint32_t slot) {
        return RuleRef{(static_cast<uint32_t>(layer) << kLayerShift) | (slot & kMaxNaclSlot)};
    }
    constexpr RuleLayer layer() const { return static_cast<RuleLayer>(raw >> kLayerShift); }
    // SG refs: the group and the rule's position.
    constexpr uint32_t table() const { return (raw >> kSgIndexBits) & kMaxSgTable; }
    constexpr uint32_t index() const { return raw & ((1u << kSgIndexBits) - 1); }
    // NACL refs: the side-table slot.
    constexpr uint32_t slot() const { return raw & kMaxNaclSlot; }
    constexpr bool valid() const { return raw != 0; }
    constexpr bool operator==(const RuleRef&) const = default;
};

static_assert(sizeof(RuleRef) == 4);
static_assert(RuleRef::make(RuleLayer::SgEgress, RuleRef::kMaxSgTable, RuleRef::kMaxSgIndex).table() == RuleRef::kMaxSgTable);
static_assert(RuleRef::make(RuleLayer::SgEgress, RuleRef::kMaxSgTable, RuleRef::kMaxSgIndex).index() == RuleRef::kMaxSgIndex);
static_assert(RuleRef::nacl(RuleLayer::NaclEgress, RuleRef::kMaxNaclSlot).slot() == RuleRef::kMaxNaclSlot);
static_assert(RuleRef::nacl(RuleLayer::NaclEgress, RuleRef::kMaxNaclSlot).layer() == RuleLayer::NaclEgress);
static_assert(RuleRef::make(RuleLayer::SgIngress, 0, 0).valid() && RuleRef::nacl(RuleLayer::NaclIngress, 0).valid(),
              "layer bits keep every ref non-zero");
// The loader's limits (ruleset/limits.hpp) fit the reference: every group and rule the
// loader accepts has a RuleRef; NACL entries are bounded in all by the slot width.
static_assert(kMaxSecurityGroups <= RuleRef::kMaxSgTable + 1 && kMaxSgRulesPerDirection <= RuleRef::kMaxSgIndex + 1);
static_assert(kMaxNaclEntriesInNetwork + 2 * kMaxNetworkAcls <= RuleRef::kMaxNaclSlot + 1);

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
