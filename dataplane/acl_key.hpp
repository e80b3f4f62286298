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
