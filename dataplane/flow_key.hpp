// FlowKey: the fixed 64-byte key the parser fills for every packet, in network byte
// order, laid out to be the rte_acl input buffer as it is. Hot path; a plain value that a
// worker owns in its scratch arrays. Layout rationale: dataplane/DESIGN-parse.md.
#pragma once

#include <bit>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ruleset/ip.hpp"

namespace vpcfw {

// A 16-bit value stored in network byte order. `raw` is the wire bytes as read with
// memcpy; host() converts. Comparison is on the stored form.
struct Be16 {
    uint16_t raw = 0;

    static constexpr uint16_t swap(uint16_t v) {
        if constexpr (std::endian::native == std::endian::big) return v;
        return static_cast<uint16_t>((v >> 8) | (v << 8));
    }
    static constexpr Be16 from_host(uint16_t v) { return Be16{swap(v)}; }
    constexpr uint16_t host() const { return swap(raw); }
    constexpr bool operator==(const Be16&) const = default;
};

// A 32-bit value stored in network byte order.
struct Be32 {
    uint32_t raw = 0;

    static constexpr uint32_t swap(uint32_t v) {
        if constexpr (std::endian::native == std::endian::big) return v;
        return (v >> 24) | ((v >> 8) & 0x0000ff00u) | ((v << 8) & 0x00ff0000u) | (v << 24);
    }
    static constexpr Be32 from_host(uint32_t v) { return Be32{swap(v)}; }
    constexpr uint32_t host() const { return swap(raw); }
    constexpr bool operator==(const Be32&) const = default;
};

static_assert(sizeof(Be16) == 2 && alignof(Be16) == 2);
static_assert(sizeof(Be32) == 4 && alignof(Be32) == 4);

// Fragment state of the packet. "Later" fragments (offset > 0) carry no transport
// header; MoreLater/LastLater keep the MF bit so the reference Packet can be rebuilt
// (Frag::More / Frag::Last). A classifier tests "later" as frag >= kFragMoreLater.
enum class FragState : uint8_t {
    None = 0,       // not a fragment (an IPv6 atomic fragment counts as None)
    First = 1,      // offset 0, more fragments follow: carries the transport header
    MoreLater = 2,  // offset > 0, more fragments follow
    LastLater = 3,  // offset > 0, the last fragment
};

// Bits of FlowKey::flags.
inline constexpr uint8_t kKeyIcmpError = 0x01;   // ICMP/ICMPv6 error; see ParseResult::quote
inline constexpr uint8_t kKeyIpOptions = 0x02;   // IPv4 options present (IHL > 5)
inline constexpr uint8_t kKeyV6ExtHdrs = 0x04;   // IPv6 extension headers were walked
inline constexpr uint8_t kKeyV6Routing = 0x08;   // an IPv6 routing header was present
inline constexpr uint8_t kKeyL3LenFromFrame = 0x10;  // IPv4 total length 0 (TSO capture)

// The key. Addresses are 16 bytes for both families: an IPv4 address sits in src[0] /
// dst[0] and the other words are zero (the same convention as vpcfw::IpAddr), so an IPv4
// rte_acl context reads 4 bytes at offset 4 and 20 and an IPv6 context four 4-byte words.
// For ICMP and ICMPv6, sport holds the type and dport the code (both 0-255), as VPP
// does, so security-group ICMP rules become two ranges; the echo/query identifier is in
// icmp_id. Fields that do not apply are zero; the key is fully zeroed before filling.
struct alignas(64) FlowKey {
    uint8_t proto = 0;          // IP protocol number (upper layer after IPv6 ext headers)
    uint8_t version = 0;        // 4 or 6
    uint8_t tcp_flags = 0;      // TCP flag byte as on the wire (FIN=0x01 ... CWR=0x80)
    FragState frag = FragState::None;
    Be32 src[4];                // source address, network order
    Be32 dst[4];                // destination address, network order
    Be16 sport;                 // TCP/UDP source port; ICMP type
    Be16 dport;                 // TCP/UDP destination port; ICMP code
    Be16 icmp_id;               // ICMP/ICMPv6 echo or query identifier
    uint8_t ttl = 0;            // IPv4 TTL / IPv6 hop limit
    uint8_t flags = 0;          // kKey* bits
    Be32 frag_id;               // IPv4 identification (16 bits) / IPv6 fragment id
    Be32 l3_len;                // bytes at layer 3: IPv4 total length / 40 + IPv6 payload
    uint8_t reserved[12] = {};  // zero; room for later fields without changing offsets

    bool is_v4() const { return version == 4; }
    bool is_later_fragment() const { return frag >= FragState::MoreLater; }
};

static_assert(std::is_standard_layout_v<FlowKey> && std::is_trivially_copyable_v<FlowKey>);
static_assert(sizeof(FlowKey) == 64 && alignof(FlowKey) == 64);
static_assert(offsetof(FlowKey, proto) == 0, "rte_acl wants a 1-byte first field");
static_assert(offsetof(FlowKey, version) == 1);
static_assert(offsetof(FlowKey, tcp_flags) == 2);
static_assert(offsetof(FlowKey, frag) == 3);
static_assert(offsetof(FlowKey, src) == 4);
static_assert(offsetof(FlowKey, dst) == 20);
static_assert(offsetof(FlowKey, sport) == 36);
static_assert(offsetof(FlowKey, dport) == 38, "ports form one 4-byte rte_acl group");
static_assert(offsetof(FlowKey, icmp_id) == 40);
static_assert(offsetof(FlowKey, ttl) == 42);
static_assert(offsetof(FlowKey, flags) == 43);
static_assert(offsetof(FlowKey, frag_id) == 44);
static_assert(offsetof(FlowKey, l3_len) == 48);
static_assert(offsetof(FlowKey, reserved) == 52);

// The address held in a key's (or verdict's) four network-order words: the first 4 bytes
// for IPv4, all 16 for IPv6.
inline IpAddr addr_of(const Be32 (&words)[4], uint8_t version) {
    IpAddr a;
    a.family = version == 6 ? Family::V6 : Family::V4;
    std::memcpy(a.bytes.data(), words, version == 6 ? 16 : 4);
    return a;
}

} // namespace vpcfw
