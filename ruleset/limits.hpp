// Limits: how many items each kind of list may hold, one row per kind. These are vpcfw's
// own limits (the widths of the compiled rule references, dataplane/rule_ref.hpp, which
// static_asserts against them), not AWS's quotas: those are far lower and `check` warns
// about them (docs/semantics.md §14: quotas are never enforced on load). The loader refuses a
// network past a limit (exit 2, naming the file, the object and the limit), so `check`,
// both evaluators and `compile` accept exactly the same networks; the AWS actions refuse
// an action that would pass one. Plain constants; no JSON.
#pragma once

#include <cstddef>

namespace vpcfw {

// X(constant, key, value, what the limit counts). Why each value: the compiled reference
// of a rule is 32 bits (layer 3, then 29 bits, dataplane/rule_ref.hpp): a security group
// gets 15 + 14 bits; a NACL entry is a slot of one side table shared by every NACL (29
// bits), so both directions of a NACL hold every rule number AWS allows and the number of
// NACLs is bounded by the rte_acl key's 16-bit NACL field.
#define VPCFW_LIST_LIMITS(X)                                                                \
    X(kMaxSecurityGroups, security_groups, 32767, "security groups in one network")         \
    X(kMaxSgRulesPerDirection, sg_rules_per_direction, 16382,                               \
      "rules in one direction of one security group")                                       \
    X(kMaxNetworkAcls, network_acls, 65535, "network ACLs in one network")                  \
    X(kMaxNaclEntriesPerDirection, nacl_entries_per_direction, 32768,                       \
      "entries in one direction of one network ACL (rule numbers 1-32766 and the two *)")   \
    X(kMaxNaclEntriesInNetwork, nacl_entries_in_network, 100000000,                         \
      "entries of all network ACLs in one network")

#define VPCFW_X(constant, key, value, what) inline constexpr size_t constant = value;
VPCFW_LIST_LIMITS(VPCFW_X)
#undef VPCFW_X

// The table as data, for `compile --stats` and documentation.
struct ListLimit {
    const char* key;
    size_t value;
    const char* what;
};
inline constexpr ListLimit kListLimits[] = {
#define VPCFW_X(constant, key, value, what) {#key, value, what},
    VPCFW_LIST_LIMITS(VPCFW_X)
#undef VPCFW_X
};

} // namespace vpcfw
