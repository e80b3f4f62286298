// RuleRef: the 32-bit name of one compiled SG or NACL rule, stored as rte_acl userdata so
// every classifier verdict says which rule made it; RuleSource: the side-table entry that
// names the AWS object behind it. RuleRef is a hot-path value (any worker); RuleSource is
// cold (decisions JSONL, flow logs, explain) and lives, immutable, in AclTables.
#pragma once

#include <cstdint>
#include <string>

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

// Bits: layer (3) | table (15) | index (14).
//   NACL: table = the NACL's dense index in Network::network_acls, index = the entry's
//         position in NetworkAcl::entries, or kStarIndex for the implicit `*` deny.
//   SG:   table = the group's dense index in Network::security_groups, index = the rule's
//         position in SecurityGroup::ingress or ::egress (the layer says which).
// One SG rule expanded into several rte_acl rules (prefix-list entries, referenced-group
// sets, group sets sharing it) keeps one RuleRef.
struct RuleRef {
    uint32_t raw = 0;

    static constexpr uint32_t kLayerShift = 29;
    static constexpr uint32_t kTableShift = 14;
    static constexpr uint32_t kTableMask = (1u << 15) - 1;
    static constexpr uint32_t kIndexMask = (1u << 14) - 1;
    static constexpr uint32_t kMaxTable = kTableMask;        // largest table number
    static constexpr uint32_t kStarIndex = kIndexMask;       // NACL `*` (no entry matched)
    static constexpr uint32_t kMaxIndex = kIndexMask - 1;    // largest real entry index

    static constexpr RuleRef make(RuleLayer layer, uint32_t table, uint32_t index) {
        return RuleRef{(static_cast<uint32_t>(layer) << kLayerShift) |
                       ((table & kTableMask) << kTableShift) | (index & kIndexMask)};
    }
    constexpr RuleLayer layer() const { return static_cast<RuleLayer>(raw >> kLayerShift); }
    constexpr uint32_t table() const { return (raw >> kTableShift) & kTableMask; }
    constexpr uint32_t index() const { return raw & kIndexMask; }
    constexpr bool valid() const { return raw != 0; }
    constexpr bool is_star() const { return rule_layer_is_nacl(layer()) && index() == kStarIndex; }
    constexpr bool operator==(const RuleRef&) const = default;
};

static_assert(sizeof(RuleRef) == 4);
static_assert(RuleRef::make(RuleLayer::NaclEgress, RuleRef::kMaxTable, RuleRef::kStarIndex).table() ==
              RuleRef::kMaxTable);
static_assert(RuleRef::make(RuleLayer::SgIngress, 0, 0).valid(), "layer bits keep every ref non-zero");

// The AWS object a RuleRef names. `str()` gives the form decisions print (INTERFACE.md):
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
