// The packet parser: link layer -> IPv4/IPv6 (options, extension headers, fragments) ->
// TCP/UDP/ICMP/ICMPv6, filling a FlowKey. Every read is bounds-checked against caplen;
// lengths are checked against the IP header and wirelen (DESIGN-parse.md).
#include "dataplane/parse.hpp"

#include <algorithm>
#include <cstring>

namespace vpcfw {
namespace {

// IP protocol numbers and ethertypes this file branches on.
constexpr uint8_t kProtoHopByHop = 0, kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17,
                  kProtoRouting = 43, kProtoFragment = 44, kProtoAh = 51, kProtoIcmpv6 = 58,
                  kProtoDstOpts = 60;
constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthVlan = 0x8100,
                   kEthQinQ = 0x88a8, kEthQinQOld = 0x9100, kEthPppoeSession = 0x8864;
constexpr uint16_t kPppIpv4 = 0x0021, kPppIpv6 = 0x0057;

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t rd32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Copies an address of `n` bytes (4 or 16) from the wire into a key's Be32[4] words.
void copy_addr(Be32 (&to)[4], const uint8_t* from, unsigned n) {
    std::memcpy(to, from, n);
}

// One frame being parsed. All offsets are from the start of the frame.
struct Frame {
    const uint8_t* data;
    uint32_t caplen;   // readable bytes
    uint32_t wirelen;  // bytes on the wire (>= caplen)

    bool captured(uint32_t off, uint32_t n) const { return n <= caplen && off <= caplen - n; }
};

// Bounds of one IP datagram: `end` is where its IP length says it ends; reads must also
// stay below the frame's caplen. A header that does not fit before `end` is malformed
// (`bad_reason`); one that fits but was not captured is truncated.
struct Datagram {
    uint32_t end;
    ParseReason bad_reason;

    ParseReason check(const Frame& f, uint32_t off, uint32_t n) const {
        if (off > end || n > end - off) return bad_reason;
        if (!f.captured(off, n)) return ParseReason::Truncated;
        return ParseReason::Ok;
    }
};

bool icmp4_is_error(uint8_t type) {
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
bool icmp4_has_id(uint8_t type) {
    return type == 0 || type == 8 || (type >= 13 && type <= 18);
}
bool icmp6_is_error(uint8_t type) { return type >= 1 && type <= 4; }
bool icmp6_has_id(uint8_t type) { return type == 128 || type == 129; }

// Looks for the Jumbo Payload option (RFC 2675) in a hop-by-hop header's options.
// Returns true and the value when present; malformed option lists end the search.
bool find_jumbo(const uint8_t* opts, uint32_t len, uint32_t& value) {
    uint32_t i = 0;
    while (i < len) {
        uint8_t type = opts[i];
        if (type == 0) { ++i; continue; }            // Pad1
        if (i + 1 >= len) return false;
        uint8_t olen = opts[i + 1];
        if (i + 2 + olen > len) return false;
        if (type == 0xc2 && olen == 4) {
            value = rd32(opts + i + 2);
            return true;
        }
        i += 2u + olen;
    }
    return false;
}

// The quoted packet of an ICMP error, read as far as [off, lim) reaches. Never fails.
void parse_quote(const uint8_t* d, uint32_t off, uint32_t lim, uint8_t outer_version,
                 IcmpQuote& q) {
    q = IcmpQuote{};
    if (off >= lim) return;
    uint32_t avail = lim - off;
    uint8_t version = d[off] >> 4;
    if (version != outer_version) return;
    uint32_t l4 = 0;
    uint8_t proto = 0;
    bool later_fragment = false;
    if (version == 4) {
        if (avail < 20) return;
        uint32_t ihl = (d[off] & 0x0fu) * 4;
        if (ihl < 20 || ihl > avail) return;
        proto = d[off + 9];
        copy_addr(q.src, d + off + 12, 4);
        copy_addr(q.dst, d + off + 16, 4);
        later_fragment = (rd16(d + off + 6) & 0x1fff) != 0;
        l4 = off + ihl;
    } else {
        if (avail < 40) return;
        proto = d[off + 6];
        copy_addr(q.src, d + off + 8, 16);
        copy_addr(q.dst, d + off + 24, 16);
        l4 = off + 40;
        for (unsigned n = 0; n <= kMaxV6ExtHeaders; ++n) {
            if (proto != kProtoHopByHop && proto != kProtoRouting && proto != kProtoDstOpts &&
                proto != kProtoFragment && proto != kProtoAh)
                break;
            if (n == kMaxV6ExtHeaders || l4 + 8 > lim) {
                // Chain runs past the quoted bytes: the addresses are known, the transport
                // is not; proto stays the extension header where reading stopped.
                q.state = IcmpQuote::State::Ip;
                q.version = version;
                q.proto = proto;
                return;
            }
            uint8_t next = d[l4];
            uint32_t len = proto == kProtoFragment ? 8
                         : proto == kProtoAh       ? (d[l4 + 1] + 2u) * 4
                                                   : (d[l4 + 1] + 1u) * 8;
            if (proto == kProtoFragment && (rd16(d + l4 + 2) & 0xfff8) != 0)
                later_fragment = true;
            proto = next;
            l4 += len;
            if (later_fragment) break;
        }
    }
    q.state = IcmpQuote::State::Ip;
    q.version = version;
    q.proto = proto;
    if (later_fragment || l4 > lim) return;
    uint32_t l4avail = lim - l4;
    if (proto == kProtoTcp || proto == kProtoUdp) {
        if (l4avail < 4) return;
        q.sport = Be16::from_host(rd16(d + l4));
        q.dport = Be16::from_host(rd16(d + l4 + 2));
        q.state = IcmpQuote::State::L4;
    } else if ((proto == kProtoIcmp && version == 4) || (proto == kProtoIcmpv6 && version == 6)) {
        if (l4avail < 6) return;
        uint8_t type = d[l4];
        q.sport = Be16::from_host(type);
        q.dport = Be16::from_host(d[l4 + 1]);
        if (version == 4 ? icmp4_has_id(type) : icmp6_has_id(type))
            q.icmp_id = Be16::from_host(rd16(d + l4 + 4));
        q.state = IcmpQuote::State::L4;
    }
}

// Transport header at `off`. Later fragments never get here.
ParseReason parse_l4(const Frame& f, uint32_t off, const Datagram& dg, uint8_t proto,
                     ParseResult& r) {
    FlowKey& k = r.key;
    const uint8_t* d = f.data;
    ParseReason why = ParseReason::Ok;
    if (proto == kProtoTcp) {
        if ((why = dg.check(f, off, 20)) != ParseReason::Ok) return why;
        uint32_t doff = (d[off + 12] >> 4) * 4u;
        if (doff < 20) return ParseReason::BadHeader;
        if ((why = dg.check(f, off, doff)) != ParseReason::Ok) return why;
        k.sport = Be16::from_host(rd16(d + off));
        k.dport = Be16::from_host(rd16(d + off + 2));
        k.tcp_flags = d[off + 13];
    } else if (proto == kProtoUdp) {
        if ((why = dg.check(f, off, 8)) != ParseReason::Ok) return why;
        uint32_t ulen = rd16(d + off + 4);
        uint32_t room = dg.end - off;
        // The UDP length covers the whole datagram, so a first fragment cannot check it;
        // 0 is the jumbogram form (RFC 2675).
        bool jumbo = ulen == 0 && room > 0xffff;
        if (k.frag == FragState::None && !jumbo && (ulen < 8 || ulen > room))
            return ParseReason::BadHeader;
        k.sport = Be16::from_host(rd16(d + off));
        k.dport = Be16::from_host(rd16(d + off + 2));
    } else if ((proto == kProtoIcmp && k.version == 4) ||
               (proto == kProtoIcmpv6 && k.version == 6)) {
        if ((why = dg.check(f, off, 8)) != ParseReason::Ok) return why;
        uint8_t type = d[off];
        k.sport = Be16::from_host(type);
        k.dport = Be16::from_host(d[off + 1]);
        bool v4 = k.version == 4;
        if (v4 ? icmp4_has_id(type) : icmp6_has_id(type))
            k.icmp_id = Be16::from_host(rd16(d + off + 4));
        if (v4 ? icmp4_is_error(type) : icmp6_is_error(type)) {
            k.flags |= kKeyIcmpError;
            parse_quote(d, off + 8, std::min(dg.end, f.caplen), k.version, r.quote);
        }
    } else {
        return ParseReason::Ok;  // other protocols: the protocol number is the key
    }
    r.l4_offset = off;
    return ParseReason::Ok;
}

ParseReason parse_ipv4(const Frame& f, uint32_t off, ParseResult& r) {
    const uint8_t* d = f.data;
    if (!f.captured(off, 20)) return ParseReason::Truncated;
    uint32_t ihl = (d[off] & 0x0fu) * 4;
    if (ihl < 20) return ParseReason::BadHeader;
    if (!f.captured(off, ihl)) return ParseReason::Truncated;
    FlowKey& k = r.key;
    uint32_t total = rd16(d + off + 2);
    if (total == 0) {
        // Captured on the sending host before TSO/GSO (or IPv4 BIG TCP) split it: the
        // length is the frame's, as tcpdump and Wireshark assume.
        total = f.wirelen - off;
        k.flags |= kKeyL3LenFromFrame;
    }
    if (total < ihl) return ParseReason::BadHeader;
    if (total > f.wirelen - off) return ParseReason::Truncated;

    uint16_t frag_field = rd16(d + off + 6);
    bool more = (frag_field & 0x2000) != 0;
    uint32_t frag_offset = (frag_field & 0x1fffu) * 8;
    if ((more || frag_offset > 0) && frag_offset + (total - ihl) > 0xffff)
        return ParseReason::BadFragment;

    k.version = 4;
    k.proto = d[off + 9];
    k.ttl = d[off + 8];
    copy_addr(k.src, d + off + 12, 4);
    copy_addr(k.dst, d + off + 16, 4);
    k.l3_len = Be32::from_host(total);
    k.frag_id = Be32::from_host(rd16(d + off + 4));
    if (ihl > 20) k.flags |= kKeyIpOptions;
    if (frag_offset > 0) {
        k.frag = more ? FragState::MoreLater : FragState::LastLater;
        return ParseReason::Ok;
    }
    k.frag = more ? FragState::First : FragState::None;
    Datagram dg{off + total, more ? ParseReason::BadFragment : ParseReason::BadHeader};
    return parse_l4(f, off + ihl, dg, k.proto, r);
}

ParseReason parse_ipv6(const Frame& f, uint32_t off, ParseResult& r) {
    const uint8_t* d = f.data;
    if (!f.captured(off, 40)) return ParseReason::Truncated;
    FlowKey& k = r.key;
    k.version = 6;
    k.ttl = d[off + 7];
    copy_addr(k.src, d + off + 8, 16);
    copy_addr(k.dst, d + off + 24, 16);
    uint8_t next = d[off + 6];
    uint32_t cur = off + 40;
    uint64_t total = 40 + uint64_t{rd16(d + off + 4)};

    // A payload length of 0 followed by hop-by-hop may be a jumbogram (RFC 2675): the
    // real length is in the Jumbo Payload option.
    if (total == 40 && next == kProtoHopByHop) {
        if (!f.captured(cur, 2)) return ParseReason::Truncated;
        uint32_t len = (d[cur + 1] + 1u) * 8;
        if (!f.captured(cur, len)) return ParseReason::Truncated;
        uint32_t jumbo = 0;
        if (find_jumbo(d + cur + 2, len - 2, jumbo)) {
            if (jumbo <= 0xffff) return ParseReason::BadHeader;
            total = 40 + uint64_t{jumbo};
        }
    }
    if (total > f.wirelen - off) return ParseReason::Truncated;
    k.l3_len = Be32::from_host(static_cast<uint32_t>(total));
    Datagram dg{off + static_cast<uint32_t>(total), ParseReason::BadHeader};

    ParseReason why = ParseReason::Ok;
    for (unsigned count = 0;; ++count) {
        bool ext = next == kProtoHopByHop || next == kProtoRouting || next == kProtoDstOpts ||
                   next == kProtoFragment || next == kProtoAh;
        if (!ext) break;
        if (count == kMaxV6ExtHeaders) return ParseReason::TooManyHeaders;
        k.flags |= kKeyV6ExtHdrs;
        if (next == kProtoHopByHop && count != 0) return ParseReason::BadHeader;
        if ((why = dg.check(f, cur, 8)) != ParseReason::Ok) return why;
        uint8_t after = d[cur];
        uint32_t len = 8;
        if (next == kProtoFragment) {
            uint16_t fo = rd16(d + cur + 2);
            uint32_t frag_offset = fo & 0xfff8u;
            bool more = (fo & 1) != 0;
            uint32_t rest = dg.end - (cur + 8);  // fragmentable part in this packet
            if (frag_offset + rest > 0xffff) return ParseReason::BadFragment;
            if (more && (rest == 0 || rest % 8 != 0)) return ParseReason::BadFragment;
            k.frag_id = Be32::from_host(rd32(d + cur + 4));
            cur += 8;
            next = after;
            if (frag_offset > 0) {
                k.frag = more ? FragState::MoreLater : FragState::LastLater;
                k.proto = next;
                return ParseReason::Ok;
            }
            if (more) {
                // RFC 7112: the first fragment holds the whole header chain.
                k.frag = FragState::First;
                dg.bad_reason = ParseReason::BadFragment;
            }
            continue;  // an atomic fragment (offset 0, no MF) is a whole packet
        }
        if (next == kProtoAh) {
            len = (d[cur + 1] + 2u) * 4;
        } else {
            len = (d[cur + 1] + 1u) * 8;
            if (next == kProtoRouting) k.flags |= kKeyV6Routing;
        }
        if ((why = dg.check(f, cur, len)) != ParseReason::Ok) return why;
        if (next == kProtoHopByHop) {
            uint32_t jumbo = 0;
            // A Jumbo Payload option with a non-zero payload length is malformed.
            if (find_jumbo(d + cur + 2, len - 2, jumbo) && total != 40 + uint64_t{jumbo})
                return ParseReason::BadHeader;
        }
        cur += len;
        next = after;
    }
    k.proto = next;
    return parse_l4(f, cur, dg, next, r);
}

// An IP packet at `off`; `want` is 4 or 6 when the link layer announced the version.
ParseReason parse_ip(const Frame& f, uint32_t off, unsigned want, ParseResult& r) {
    if (!f.captured(off, 1)) return ParseReason::Truncated;
    r.l3_offset = static_cast<uint16_t>(off);
    unsigned version = f.data[off] >> 4;
    if (want != 0 && version != want) return ParseReason::BadVersion;
    if (version == 4) return parse_ipv4(f, off, r);
    if (version == 6) return parse_ipv6(f, off, r);
    return ParseReason::BadVersion;
}

// What follows an ethertype at `off`: VLAN tags, PPPoE session, then IP.
ParseReason parse_ethertype(const Frame& f, uint32_t off, uint16_t type, ParseResult& r) {
    const uint8_t* d = f.data;
    while (type == kEthVlan || type == kEthQinQ || type == kEthQinQOld) {
        if (r.vlan_count == kMaxStackedTags) return ParseReason::TooManyHeaders;
        if (!f.captured(off, 4)) return ParseReason::Truncated;
        if (r.vlan_count < kMaxVlanTags) r.vlan[r.vlan_count] = rd16(d + off) & 0x0fff;
        ++r.vlan_count;
        type = rd16(d + off + 2);
        off += 4;
    }
    switch (type) {
    case kEthIpv4: return parse_ip(f, off, 4, r);
    case kEthIpv6: return parse_ip(f, off, 6, r);
    case kEthPppoeSession: {
        // RFC 2516: ver/type 0x11, code 0, session id, length, then the PPP protocol.
        if (!f.captured(off, 8)) return ParseReason::Truncated;
        if (d[off] != 0x11 || d[off + 1] != 0) return ParseReason::BadHeader;
        uint16_t ppp = rd16(d + off + 6);
        if (ppp == kPppIpv4) return parse_ip(f, off + 8, 4, r);
        if (ppp == kPppIpv6) return parse_ip(f, off + 8, 6, r);
        return ParseReason::UnsupportedEthertype;
    }
    default: return ParseReason::UnsupportedEthertype;  // ARP, LLDP, IPX, 802.3 lengths...
    }
}

// Address families of the loopback headers: AF_INET is 2 everywhere, AF_INET6 differs.
ParseReason parse_loopback_family(const Frame& f, uint32_t family, ParseResult& r) {
    if (family == 2) return parse_ip(f, 4, 4, r);
    if (family == 10 || family == 24 || family == 28 || family == 30) return parse_ip(f, 4, 6, r);
    return ParseReason::UnsupportedEthertype;
}

ParseReason parse_link(const Frame& f, LinkType link, ParseResult& r) {
    const uint8_t* d = f.data;
    switch (link) {
    case LinkType::Ethernet:
        if (!f.captured(0, 14)) return ParseReason::Truncated;
        std::memcpy(r.dst_mac, d, 6);
        std::memcpy(r.src_mac, d + 6, 6);
        r.has_dst_mac = r.has_src_mac = true;
        return parse_ethertype(f, 14, rd16(d + 12), r);
    case LinkType::LinuxSll: {
        // packet type, ARPHRD type, address length, 8 address bytes, protocol.
        if (!f.captured(0, 16)) return ParseReason::Truncated;
        uint16_t hatype = rd16(d + 2);
        if (hatype == 1 && rd16(d + 4) == 6) {
            std::memcpy(r.src_mac, d + 6, 6);
            r.has_src_mac = true;
        }
        if (hatype == 824) return ParseReason::UnsupportedEthertype;  // netlink
        return parse_ethertype(f, 16, rd16(d + 14), r);
    }
    case LinkType::LinuxSll2: {
        // protocol, reserved, interface index, ARPHRD type, packet type, address length,
        // 8 address bytes.
        if (!f.captured(0, 20)) return ParseReason::Truncated;
        uint16_t hatype = rd16(d + 8);
        if (hatype == 1 && d[11] == 6) {
            std::memcpy(r.src_mac, d + 12, 6);
            r.has_src_mac = true;
        }
        if (hatype == 824) return ParseReason::UnsupportedEthertype;
        return parse_ethertype(f, 20, rd16(d), r);
    }
    case LinkType::Raw:
    case LinkType::RawOpenBsd:
    case LinkType::RawLinktype: return parse_ip(f, 0, 0, r);
    case LinkType::Ipv4: return parse_ip(f, 0, 4, r);
    case LinkType::Ipv6: return parse_ip(f, 0, 6, r);
    case LinkType::Null: {
        // The family is in the byte order of the machine that wrote the capture. As
        // Wireshark does (packet-null.c): a value with high bits set was written the
        // other way, or is an IRIX 16-bit family; values above 1500 are ethertypes.
        if (!f.captured(0, 2)) return ParseReason::Truncated;
        if (d[0] == 0xff && d[1] == 0x03) return parse_link(f, LinkType::PppHdlc, r);
        if (!f.captured(0, 4)) return ParseReason::Truncated;
        uint32_t v = uint32_t{d[0]} | (uint32_t{d[1]} << 8) | (uint32_t{d[2]} << 16) |
                     (uint32_t{d[3]} << 24);
        if (v & 0xffff0000u) {
            if ((v & 0xff000000u) == 0 && (v & 0x00ff0000u) < 0x00060000u) v >>= 16;
            else v = rd32(d);
        } else if ((v & 0xffu) == 0 && (v & 0xff00u) < 0x0600u) {
            v = (v >> 8) & 0xffu;
        }
        if (v > 1500) return parse_ethertype(f, 4, static_cast<uint16_t>(v), r);
        return parse_loopback_family(f, v, r);
    }
    case LinkType::Loop:
        if (!f.captured(0, 4)) return ParseReason::Truncated;
        return parse_loopback_family(f, rd32(d), r);
    case LinkType::Ppp:
    case LinkType::PppHdlc: {
        // Optional HDLC-like address and control bytes, FF 03 (RFC 1662). 0xff cannot
        // start a protocol field, so it announces them.
        uint32_t off = 0;
        if (!f.captured(0, 1)) return ParseReason::Truncated;
        if (d[0] == 0xff) {
            if (!f.captured(0, 2)) return ParseReason::Truncated;
            if (d[1] != 0x03) return ParseReason::BadHeader;
            off = 2;
        }
        if (!f.captured(off, 1)) return ParseReason::Truncated;
        uint16_t proto = 0;
        if (d[off] & 1) {  // protocol field compression: one byte
            proto = d[off];
            off += 1;
        } else {
            if (!f.captured(off, 2)) return ParseReason::Truncated;
            proto = rd16(d + off);
            off += 2;
        }
        if (proto == kPppIpv4) return parse_ip(f, off, 4, r);
        if (proto == kPppIpv6) return parse_ip(f, off, 6, r);
        return ParseReason::UnsupportedEthertype;
    }
    }
    return ParseReason::UnsupportedLink;
}

} // namespace

ParseResult parse_frame(const uint8_t* data, uint32_t caplen, uint32_t wirelen,
                        LinkType link) {
    ParseResult r;
    if (data == nullptr) caplen = 0;
    Frame f{data, caplen, std::max(wirelen, caplen)};
    r.reason = parse_link(f, link, r);
    return r;
}

Packet to_packet(const FlowKey& key) {
    Packet p;
    p.proto = key.proto;
    Family family = key.version == 6 ? Family::V6 : Family::V4;
    p.src.family = p.dst.family = family;
    unsigned n = family == Family::V4 ? 4 : 16;
    std::memcpy(p.src.bytes.data(), key.src, n);
    std::memcpy(p.dst.bytes.data(), key.dst, n);
    switch (key.frag) {
    case FragState::None: p.frag = Frag::None; break;
    case FragState::First: p.frag = Frag::First; break;
    case FragState::MoreLater: p.frag = Frag::More; break;
    case FragState::LastLater: p.frag = Frag::Last; break;
    }
    p.frag_id = p.frag == Frag::None ? 1 : key.frag_id.host();
    p.ttl = key.ttl;
    p.tcp_flags = 0;
    if (p.has_l4()) {
        if (p.is_tcp()) p.tcp_flags = key.tcp_flags;
        if (p.is_tcp() || p.is_udp()) {
            p.sport = key.sport.host();
            p.dport = key.dport.host();
        }
        bool icmp = (key.proto == 1 && family == Family::V4) ||
                    (key.proto == 58 && family == Family::V6);
        if (icmp) {
            p.icmp_type = static_cast<uint8_t>(key.sport.host());
            p.icmp_code = static_cast<uint8_t>(key.dport.host());
            p.icmp_id = key.icmp_id.host();
        }
    }
    // The header bytes Packet::ip_bytes() assumes (kept in step with it by the tests; the
    // parser does not link ruleset/): minimal IP header, fragment header on IPv6
    // fragments, 20 bytes of TCP or 8 of UDP/ICMP when the transport header is present.
    uint32_t headers = family == Family::V4 ? 20 : 40;
    if (family == Family::V6 && p.frag != Frag::None) headers += 8;
    if (p.has_l4()) headers += p.is_tcp() ? 20 : (p.is_udp() || p.is_icmp()) ? 8 : 0;
    uint32_t l3 = key.l3_len.host();
    p.payload_len = l3 > headers ? l3 - headers : 0;
    return p;
}

Packet to_packet(const ParseResult& result) {
    Packet p = to_packet(result.key);
    if (result.vlan_count > 0) p.vlan = result.vlan[0];
    if (result.has_src_mac) {
        p.has_src_mac = true;
        std::memcpy(p.src_mac.data(), result.src_mac, 6);
    }
    return p;
}

} // namespace vpcfw
