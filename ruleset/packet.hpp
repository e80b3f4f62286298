// A packet as the reference evaluator sees it, and the packet language of docs/interface.md
// ("tcp 10.0.1.10:40000 -> 10.0.2.20:443 flags=S"). Plain value; cold path (explain,
// scenarios, tests). The compiled path has its own fixed-layout FlowKey in dataplane/.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ruleset/ip.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

// TCP flag bits as on the wire.
inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
                         kTcpAck = 0x10, kTcpUrg = 0x20, kTcpEce = 0x40, kTcpCwr = 0x80;

enum class Frag : uint8_t { None, First, More, Last };

struct Packet {
    uint8_t proto = 6;                 // IP protocol number
    IpAddr src, dst;
    uint16_t sport = 0, dport = 0;     // TCP/UDP (and SCTP etc. are left 0)
    uint8_t icmp_type = 0, icmp_code = 0;
    uint16_t icmp_id = 0;              // echo / query identifier
    uint8_t tcp_flags = kTcpSyn;
    uint32_t payload_len = 0;          // len= (or the size of `payload`)
    // L4 payload bytes (docs/inspection.md §7: payload=, tls-sni=, http-host=, dns-query=);
    // empty when only a length is known. `payload_key` keeps the key as written, for str().
    std::string payload;
    std::string payload_key;
    uint8_t ttl = 64;
    int vlan = -1;                     // vlan= (stripped before evaluation)
    Frag frag = Frag::None;
    uint32_t frag_id = 1;              // id= : IPv4 identification / IPv6 fragment id
    // The frame's source MAC, when a capture carries one (replay; not part of the packet
    // language): origin inference (docs/semantics.md §2) tries it before the source IP.
    bool has_src_mac = false;
    std::array<uint8_t, 6> src_mac{};

    Family family() const { return src.family; }
    bool is_tcp() const { return proto == 6; }
    bool is_udp() const { return proto == 17; }
    bool is_icmp() const { return proto == 1 || proto == 58; }
    // Transport header present: not a non-first fragment.
    bool has_l4() const { return frag == Frag::None || frag == Frag::First; }
    bool has_ports() const { return has_l4() && (is_tcp() || is_udp()); }
    // Total bytes on the wire at layer 3 (IP header + transport header + payload).
    uint32_t ip_bytes() const;
    // "tcp 10.0.1.10:40000 -> 10.0.2.20:443" : the 5-tuple part, as decisions print it.
    std::string flow_str() const;
    // Full packet-language text that parses back to this packet.
    std::string str() const;
};

// ICMP (proto 1) and ICMPv6 (58) message classes, shared by both evaluators (§4 tracking
// of queries and errors).
inline bool is_icmp_query(uint8_t proto, uint8_t type) {
    if (proto == 1) return type == 8 || type == 0 || type == 13 || type == 14 || type == 15 ||
                           type == 16 || type == 17 || type == 18;
    if (proto == 58) return type == 128 || type == 129;
    return false;
}
inline bool is_icmp_request(uint8_t proto, uint8_t type) {
    if (proto == 1) return type == 8 || type == 13 || type == 15 || type == 17;
    if (proto == 58) return type == 128;
    return false;
}
// The request type a query belongs to (a reply maps to its request; others unchanged).
inline uint8_t icmp_request_type(uint8_t proto, uint8_t type) {
    if (proto == 1) {
        switch (type) {
        case 0: return 8;
        case 14: return 13;
        case 16: return 15;
        case 18: return 17;
        default: return type;
        }
    }
    if (proto == 58 && type == 129) return 128;
    return type;
}
inline bool is_icmp_error(uint8_t proto, uint8_t type) {
    if (proto == 1) return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    if (proto == 58) return type >= 1 && type <= 4;
    return false;
}

// Parses one packet-language string; errors say which token is wrong.
Result<Packet> parse_packet(std::string_view text);

// "SA" -> kTcpSyn|kTcpAck; the letters FSRPAUEC; "0" (or "") for no flags.
Result<uint8_t> parse_tcp_flags(std::string_view letters);
std::string tcp_flags_str(uint8_t flags);

// The reply of a packet: addresses and ports swapped, ICMP echo request -> echo reply,
// TCP flags as given.
Packet reply_of(const Packet& p, uint8_t tcp_flags = kTcpSyn | kTcpAck);

} // namespace vpcfw
