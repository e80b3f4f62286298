// The packet parser of the fast path: one captured frame (any common link type) to a
// FlowKey, or a named reason why not. Hot path: no allocation, no exceptions, no reads
// past caplen; reentrant (no state), any worker may call it. Design: DESIGN-parse.md.
#pragma once

#include <cstdint>

#include "dataplane/flow_key.hpp"
#include "ruleset/packet.hpp"

namespace vpcfw {

// Link-layer header types, numbered as libpcap's DLT_* / LINKTYPE_* values, so the
// result of pcap_datalink() converts with static_cast. Any other value is
// `unsupported-link`.
enum class LinkType : uint16_t {
    Null = 0,         // BSD loopback: 4-byte address family in the writer's byte order
    Ethernet = 1,     // DLT_EN10MB, with 802.1Q / 802.1ad / QinQ tags and PPPoE sessions
    Ppp = 9,          // DLT_PPP (RFC 1661 framing, optional FF 03 address/control)
    Raw = 12,         // DLT_RAW on most systems: a bare IPv4 or IPv6 packet
    RawOpenBsd = 14,  // DLT_RAW on OpenBSD
    PppHdlc = 50,     // DLT_PPP_SERIAL: PPP in HDLC-like framing, as Ppp
    RawLinktype = 101,// LINKTYPE_RAW as written in files
    Loop = 108,       // OpenBSD loopback: address family in network byte order
    LinuxSll = 113,   // Linux cooked capture v1
    Ipv4 = 228,       // LINKTYPE_IPV4: must be IPv4
    Ipv6 = 229,       // LINKTYPE_IPV6: must be IPv6
    LinuxSll2 = 276,  // Linux cooked capture v2
};

// Why a frame yields no key. X-macro: enum value, name as printed in decisions and
// counters (layer `parse`), one-line meaning.
#define VPCFW_PARSE_REASONS(X)                                                              \
    X(Ok, "ok", "parsed; the key is valid")                                                 \
    X(Truncated, "truncated", "the frame ends inside a header or before its IP length")     \
    X(BadVersion, "bad-version", "IP version differs from the link/ethertype announcement") \
    X(BadHeader, "bad-header", "a header field is inconsistent (IHL, lengths, offsets)")    \
    X(BadFragment, "bad-fragment", "fragment overflows 65535 or first one lacks its L4")    \
    X(UnsupportedLink, "unsupported-link", "link type this parser does not read")           \
    X(UnsupportedEthertype, "unsupported-ethertype", "not IP: ARP, LLDP, IPX, 802.3 LLC")   \
    X(TooManyHeaders, "too-many-headers", "more VLAN tags or IPv6 extension headers than allowed")

enum class ParseReason : uint8_t {
#define VPCFW_X(id, name, help) id,
    VPCFW_PARSE_REASONS(VPCFW_X)
#undef VPCFW_X
};

inline constexpr const char* kParseReasonNames[] = {
#define VPCFW_X(id, name, help) name,
    VPCFW_PARSE_REASONS(VPCFW_X)
#undef VPCFW_X
};
inline constexpr unsigned kParseReasonCount =
    sizeof(kParseReasonNames) / sizeof(kParseReasonNames[0]);

inline const char* parse_reason_name(ParseReason r) {
    auto i = static_cast<unsigned>(r);
    return i < kParseReasonCount ? kParseReasonNames[i] : "?";
}

inline constexpr unsigned kMaxVlanTags = 2;     // outer (S-tag) and inner (C-tag) kept
inline constexpr unsigned kMaxStackedTags = 4;  // deeper stacks are too-many-headers
inline constexpr unsigned kMaxV6ExtHeaders = 8; // longer chains are too-many-headers

// The header an ICMP/ICMPv6 error message quotes (the packet that caused it), for
// matching the error to its flow later. Fields as in FlowKey (ICMP: sport=type,
// dport=code). Filled as far as the quoted bytes reach; never a reason to drop.
struct IcmpQuote {
    enum class State : uint8_t {
        None,   // not an error, or nothing usable quoted
        Ip,     // the inner IP header: version, proto, addresses
        L4,     // and the inner ports / ICMP type, code, identifier
    };
    State state = State::None;
    uint8_t version = 0;
    uint8_t proto = 0;
    Be32 src[4], dst[4];
    Be16 sport, dport, icmp_id;
};

// What the parser says about one frame. The key is valid only when reason == Ok; the L2
// fields are filled as far as parsing got.
struct ParseResult {
    FlowKey key;
    ParseReason reason = ParseReason::Ok;
    uint8_t vlan_count = 0;            // tags seen (at most kMaxStackedTags)
    uint16_t vlan[kMaxVlanTags] = {};  // VLAN ids, outermost first
    bool has_src_mac = false;          // Ethernet; SLL/SLL2 from an Ethernet device
    bool has_dst_mac = false;          // Ethernet only
    uint8_t src_mac[6] = {};
    uint8_t dst_mac[6] = {};
    uint16_t l3_offset = 0;            // where the IP header starts in the frame
    uint32_t l4_offset = 0;            // where the transport header starts (0 if none)
    IcmpQuote quote;                   // ICMP errors only

    bool ok() const { return reason == ParseReason::Ok; }
};

// Parses one frame. `caplen` bytes are readable at `data`; `wirelen` is the length the
// frame had on the wire (>= caplen; a smaller value is taken as caplen). A frame cut by a
// short snaplen still parses when all its headers were captured: lengths are checked
// against the IP header and wirelen, reads against caplen.
ParseResult parse_frame(const uint8_t* data, uint32_t caplen, uint32_t wirelen,
                        LinkType link);

// The reference evaluator's view of a parsed key (cold path: explain, tests). The
// payload length is what makes Packet::ip_bytes() equal the key's l3_len (headers of
// minimal size assumed). The ParseResult overload also carries the outer VLAN id.
Packet to_packet(const FlowKey& key);
Packet to_packet(const ParseResult& result);

} // namespace vpcfw
