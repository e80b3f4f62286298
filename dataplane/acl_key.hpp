// AclKey4 / AclKey6: the rte_acl input buffers of the SG and NACL classifiers, one fixed,
// packed layout per address family, in network byte order as rte_acl reads it.
// Hot path: a worker fills one per question in its scratch arrays; plain values.
// The field definitions that describe these layouts to rte_acl live in
// control/acl_compiler.cpp and are built from the offsets asserted here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "dataplane/flow_key.hpp"

namespace vpcfw {

// Direction field values.
inline constexpr uint16_t kAclIngress = 0;
inline constexpr uint16_t kAclEgress = 1;

// The 16-bit "l4" field: what the rules' port ranges and ICMP type/code select on.
//   TCP (6), UDP (17): the destination port.
//   ICMP (1), ICMPv6 (58): type << 8 | code, so "type T, any code" is the range
//     [T<<8, T<<8|255] and "type T code C" is the single value.
//   Every other protocol: 0 (their rules never look at it).
inline constexpr uint16_t acl_l4_word(uint8_t proto, uint16_t dport, uint8_t icmp_type,
                                      uint8_t icmp_code) {
    if (proto == 6 || proto == 17) return dport;
    if (proto == 1 || proto == 58) return static_cast<uint16_t>((icmp_type << 8) | icmp_code);
    return 0;
}

// Layout (both families): one byte of protocol (rte_acl reads the first field as a single
// byte), then 4-byte groups, each one rte_acl "input index":
//   [proto | pad x3] [table | direction] [remote ...] [remote_set | l4]
// `table` is the NACL's table number in NACL contexts and the local ENI's group-set id in
// SG contexts. `remote` is the packet's source for ingress and destination for egress.
// `remote_set` is the remote address's group-set id (AclTables::remote_set4/6) in SG
// contexts and 0 in NACL contexts (no NACL rule looks at it).
struct AclKey4 {
    uint8_t proto = 0;
    uint8_t pad[3] = {};
    Be16 table;
    Be16 direction;       // kAclIngress / kAclEgress
    Be32 remote;
    Be16 remote_set;
    Be16 l4;              // acl_l4_word()
};

struct AclKey6 {
    uint8_t proto = 0;
    uint8_t pad[3] = {};
    Be16 table;
    Be16 direction;
    Be32 remote[4];       // the address, most significant word first
    Be16 remote_set;
    Be16 l4;
};

static_assert(std::is_standard_layout_v<AclKey4> && std::is_trivially_copyable_v<AclKey4>);
static_assert(std::is_standard_layout_v<AclKey6> && std::is_trivially_copyable_v<AclKey6>);
static_assert(sizeof(AclKey4) == 16);
static_assert(sizeof(AclKey6) == 28);
static_assert(offsetof(AclKey4, proto) == 0, "rte_acl wants a 1-byte first field");
static_assert(offsetof(AclKey4, table) == 4 && offsetof(AclKey4, direction) == 6,
              "table + direction form one 4-byte rte_acl group");
static_assert(offsetof(AclKey4, remote) == 8);
static_assert(offsetof(AclKey4, remote_set) == 12 && offsetof(AclKey4, l4) == 14,
              "remote_set + l4 form one 4-byte rte_acl group");
static_assert(offsetof(AclKey6, proto) == 0, "rte_acl wants a 1-byte first field");
static_assert(offsetof(AclKey6, table) == 4 && offsetof(AclKey6, direction) == 6);
static_assert(offsetof(AclKey6, remote) == 8);
static_assert(offsetof(AclKey6, remote_set) == 24 && offsetof(AclKey6, l4) == 26);

// ---- Side keys: one context per direction answers its NACL and SG questions at once ---
//
// A flow's first hop asks four questions: NACL and SG egress (remote = destination) at
// the source, NACL and SG ingress (remote = source) at the destination. The rules of one
// direction all select on the same remote address, so each family has two rte_acl
// contexts, egress and ingress, whose rules carry one of two categories (NACL, SG) and
// set only that layer's table field (the other is a wildcard). One key per side asks
// both questions of that side in one traversal (DESIGN-acl.md "Side contexts").
// A single question (AclKey4/AclKey6: later hops, tests) is a side key with only its
// layer's table set (side_key_of); its answer is its layer's category.
enum AclCategory : uint8_t { kCatNacl = 0, kCatSg = 1 };
inline constexpr uint32_t kAclCategories = 4;   // rte_acl wants 1 or a multiple of 4

// Layout: [proto | pad x3] [nacl | group_set] [remote ...] [remote_set | l4].
struct AclSideKey4 {
    uint8_t proto = 0;
    uint8_t pad[3] = {};
    Be16 nacl;            // NACL dense index of the subnet on this side
    Be16 group_set;       // group-set id of the ENI on this side
    Be32 remote;          // destination (egress side) / source (ingress side)
    Be16 remote_set;      // remote_set4/6(remote)
    Be16 l4;              // acl_l4_word()
};

struct AclSideKey6 {
    uint8_t proto = 0;
    uint8_t pad[3] = {};
    Be16 nacl;
    Be16 group_set;
    Be32 remote[4];
    Be16 remote_set;
    Be16 l4;
};

static_assert(std::is_standard_layout_v<AclSideKey4> && std::is_trivially_copyable_v<AclSideKey4>);
static_assert(std::is_standard_layout_v<AclSideKey6> && std::is_trivially_copyable_v<AclSideKey6>);
static_assert(sizeof(AclSideKey4) == 16 && sizeof(AclSideKey6) == 28);
static_assert(offsetof(AclSideKey4, nacl) == 4 && offsetof(AclSideKey4, group_set) == 6 &&
              offsetof(AclSideKey4, remote) == 8 && offsetof(AclSideKey4, remote_set) == 12 &&
              offsetof(AclSideKey4, l4) == 14);
static_assert(offsetof(AclSideKey6, nacl) == 4 && offsetof(AclSideKey6, group_set) == 6 &&
              offsetof(AclSideKey6, remote) == 8 && offsetof(AclSideKey6, remote_set) == 24 &&
              offsetof(AclSideKey6, l4) == 26);

// The side key of one question: its layer's table from q, the other table zero.
inline AclSideKey4 side_key_of(const AclKey4& q, bool nacl) {
    AclSideKey4 f;
    f.proto = q.proto;
    (nacl ? f.nacl : f.group_set) = q.table;
    f.remote = q.remote;
    f.remote_set = q.remote_set;
    f.l4 = q.l4;
    return f;
}

inline AclSideKey6 side_key_of(const AclKey6& q, bool nacl) {
    AclSideKey6 f;
    f.proto = q.proto;
    (nacl ? f.nacl : f.group_set) = q.table;
    for (int i = 0; i < 4; ++i) f.remote[i] = q.remote[i];
    f.remote_set = q.remote_set;
    f.l4 = q.l4;
    return f;
}

// Whether side key f's answer in the NACL (nacl) or SG category is question q's answer:
// same table, remote, protocol and l4 word. q.remote_set is not compared: NACL rules
// ignore it, and for SG it is a function of the remote address within one ruleset
// version (f's was looked up from the same address), so a caller may leave it 0 and look
// it up only when it has to classify q itself. The side (direction) is the caller's to match.
inline bool side_key_asks(const AclSideKey4& f, bool nacl, const AclKey4& q) {
    if (f.proto != q.proto || !(f.l4 == q.l4) || !(f.remote == q.remote)) return false;
    return nacl ? f.nacl == q.table : f.group_set == q.table;
}

inline bool side_key_asks(const AclSideKey6& f, bool nacl, const AclKey6& q) {
    if (f.proto != q.proto || !(f.l4 == q.l4)) return false;
    for (int i = 0; i < 4; ++i)
        if (!(f.remote[i] == q.remote[i])) return false;
    return nacl ? f.nacl == q.table : f.group_set == q.table;
}

// Builders. `remote` is in network order as the FlowKey holds it.
inline AclKey4 make_acl_key4(uint8_t proto, uint16_t table, uint16_t direction, Be32 remote,
                             uint16_t remote_set, uint16_t l4) {
    AclKey4 k;
    k.proto = proto;
    k.table = Be16::from_host(table);
    k.direction = Be16::from_host(direction);
    k.remote = remote;
    k.remote_set = Be16::from_host(remote_set);
    k.l4 = Be16::from_host(l4);
    return k;
}

inline AclKey6 make_acl_key6(uint8_t proto, uint16_t table, uint16_t direction,
                             const Be32 remote[4], uint16_t remote_set, uint16_t l4) {
    AclKey6 k;
    k.proto = proto;
    k.table = Be16::from_host(table);
    k.direction = Be16::from_host(direction);
    for (int i = 0; i < 4; ++i) k.remote[i] = remote[i];
    k.remote_set = Be16::from_host(remote_set);
    k.l4 = Be16::from_host(l4);
    return k;
}

// The l4 word of a parsed packet. FlowKey keeps ICMP type in sport and code in dport;
// a later fragment carries zeros there.
inline uint16_t acl_l4_word(const FlowKey& k) {
    return acl_l4_word(k.proto, k.dport.host(), static_cast<uint8_t>(k.sport.host()),
                       static_cast<uint8_t>(k.dport.host()));
}

} // namespace vpcfw
