// Tests of dataplane/parse: hand-built frames for every link type and header case
// (including each malformed one, and truncation at every byte), plus every capture in
// shared/data/pcaps read with libpcap.
#include "dataplane/parse.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace vpcfw {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

void put16(Bytes& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}
void put32(Bytes& b, size_t at, uint32_t v) {
    put16(b, at, static_cast<uint16_t>(v >> 16));
    put16(b, at + 2, static_cast<uint16_t>(v));
}

Bytes addr(const char* text) {
    auto a = IpAddr::parse(text);
    EXPECT_TRUE(a.has_value()) << text;
    if (!a) return Bytes(4);
    return Bytes(a->bytes.begin(), a->bytes.begin() + (a->is_v4() ? 4 : 16));
}

// ---- frame builders ----------------------------------------------------------------

Bytes payload(size_t n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>('a' + i % 26);
    return b;
}

Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, unsigned doff_words = 5) {
    Bytes b(std::max(doff_words, 5u) * 4);
    put16(b, 0, sport);
    put16(b, 2, dport);
    put32(b, 4, 1000);
    b[12] = static_cast<uint8_t>(doff_words << 4);
    b[13] = flags;
    put16(b, 14, 65535);
    for (size_t i = 20; i < b.size(); ++i) b[i] = 1;  // NOP options
    return b;
}

Bytes udp(uint16_t sport, uint16_t dport, size_t data_len, int len_field = -1) {
    Bytes b(8);
    put16(b, 0, sport);
    put16(b, 2, dport);
    put16(b, 4, static_cast<uint16_t>(len_field >= 0 ? len_field : 8 + data_len));
    return b + payload(data_len);
}

Bytes icmp(uint8_t type, uint8_t code, uint16_t id, const Bytes& body = {}) {
    Bytes b(8);
    b[0] = type;
    b[1] = code;
    put16(b, 4, id);
    put16(b, 6, 1);
    return b + body;
}

struct V4Opts {
    uint16_t frag_field = 0;    // flags + offset/8 as on the wire
    uint16_t id = 0x1234;
    unsigned ihl_words = 5;
    int total_len = -1;         // override
    uint8_t version = 4;
    uint8_t ttl = 64;
};

Bytes ipv4(uint8_t proto, const char* src, const char* dst, const Bytes& body,
           V4Opts o = {}) {
    Bytes h(std::max(o.ihl_words, 5u) * 4);
    h[0] = static_cast<uint8_t>((o.version << 4) | (o.ihl_words & 0x0f));
    put16(h, 2, static_cast<uint16_t>(o.total_len >= 0 ? o.total_len : h.size() + body.size()));
    put16(h, 4, o.id);
    put16(h, 6, o.frag_field);
    h[8] = o.ttl;
    h[9] = proto;
    Bytes s = addr(src), d = addr(dst);
    std::copy(s.begin(), s.end(), h.begin() + 12);
    std::copy(d.begin(), d.end(), h.begin() + 16);
    for (size_t i = 20; i < h.size(); ++i) h[i] = 1;  // NOP options
    return h + body;
}

Bytes ipv6(uint8_t next, const char* src, const char* dst, const Bytes& body,
           int plen = -1, uint8_t version = 6) {
    Bytes h(40);
    h[0] = static_cast<uint8_t>(version << 4);
    put16(h, 4, static_cast<uint16_t>(plen >= 0 ? plen : body.size()));
    h[6] = next;
    h[7] = 64;
    Bytes s = addr(src), d = addr(dst);
    std::copy(s.begin(), s.end(), h.begin() + 8);
    std::copy(d.begin(), d.end(), h.begin() + 24);
    return h + body;
}

// Hop-by-hop, routing or destination options header of (units+1)*8 bytes (PadN filled).
Bytes ext6(uint8_t next, uint8_t units = 0) {
    Bytes b((units + 1u) * 8);
    b[0] = next;
    b[1] = units;
    b[2] = 1;                                     // PadN
    b[3] = static_cast<uint8_t>(b.size() - 4);
    return b;
}
Bytes routing6(uint8_t next) {
    Bytes b = ext6(next, 2);                      // type 0, one address
    b[2] = 0;
    b[3] = 0;
    return b;
}
Bytes frag6(uint8_t next, uint16_t offset_bytes, bool more, uint32_t id) {
    Bytes b(8);
    b[0] = next;
    put16(b, 2, static_cast<uint16_t>((offset_bytes & 0xfff8) | (more ? 1 : 0)));
    put32(b, 4, id);
    return b;
}
Bytes ah6(uint8_t next) {
    Bytes b(16);                                  // (2+2)*4
    b[0] = next;
    b[1] = 2;
    return b;
}
Bytes jumbo_hbh(uint8_t next, uint32_t value) {
    Bytes b(8);
    b[0] = next;
    b[2] = 0xc2;
    b[3] = 4;
    put32(b, 4, value);
    return b;
}

const Bytes kMacA{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
const Bytes kMacB{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

Bytes eth(uint16_t type, const Bytes& body, std::vector<std::pair<uint16_t, uint16_t>> tags = {}) {
    Bytes b = kMacB + kMacA;  // dst, src
    for (auto [tpid, vid] : tags) {
        Bytes t(4);
        put16(t, 0, tpid);
        put16(t, 2, vid);
        b = b + t;
    }
    Bytes t(2);
    put16(t, 0, type);
    return b + t + body;
}

Bytes sll(uint16_t proto, const Bytes& body) {
    Bytes h(16);
    put16(h, 2, 1);   // ARPHRD_ETHER
    put16(h, 4, 6);
    std::copy(kMacA.begin(), kMacA.end(), h.begin() + 6);
    put16(h, 14, proto);
    return h + body;
}

Bytes sll2(uint16_t proto, const Bytes& body) {
    Bytes h(20);
    put16(h, 0, proto);
    put32(h, 4, 3);   // ifindex
    put16(h, 8, 1);   // ARPHRD_ETHER
    h[10] = 0;        // PACKET_HOST
    h[11] = 6;
    std::copy(kMacA.begin(), kMacA.end(), h.begin() + 12);
    return h + body;
}

// Parses a copy of the first `caplen` bytes in a buffer of exactly that size, so that
// AddressSanitizer catches any read past caplen.
ParseResult parse(const Bytes& frame, LinkType link, size_t caplen = SIZE_MAX,
                  size_t wirelen = SIZE_MAX) {
    caplen = std::min(caplen, frame.size());
    if (wirelen == SIZE_MAX) wirelen = frame.size();
    std::unique_ptr<uint8_t[]> buf(new uint8_t[caplen]);
    if (caplen) std::memcpy(buf.get(), frame.data(), caplen);
    return parse_frame(buf.get(), static_cast<uint32_t>(caplen), static_cast<uint32_t>(wirelen),
                       link);
}

Packet packet(const std::string& text) {
    auto p = parse_packet(text);
    EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().str());
    return p.ok() ? p.value() : Packet{};
}

#define EXPECT_REASON(result, want) \
    EXPECT_STREQ(parse_reason_name((result).reason), parse_reason_name(ParseReason::want))

// ---- FlowKey and the reason table ----------------------------------------------------

TEST(FlowKey, BigEndianWrappersStoreWireOrder) {
    Be16 p = Be16::from_host(0x1234);
    Be32 a = Be32::from_host(0x0a000102);
    uint8_t pb[2], ab[4];
    std::memcpy(pb, &p, 2);
    std::memcpy(ab, &a, 4);
    EXPECT_EQ(pb[0], 0x12);
    EXPECT_EQ(pb[1], 0x34);
    EXPECT_EQ(ab[0], 10);
    EXPECT_EQ(ab[3], 2);
    EXPECT_EQ(p.host(), 0x1234);
    EXPECT_EQ(a.host(), 0x0a000102u);
}

TEST(FlowKey, KeyBytesAreTheWireBytes) {
    Bytes ip = ipv4(6, "10.0.1.10", "10.0.2.20", tcp(40000, 443, kTcpSyn));
    ParseResult r = parse(eth(0x0800, ip), LinkType::Ethernet);
    ASSERT_TRUE(r.ok());
    const auto* k = reinterpret_cast<const uint8_t*>(&r.key);
    EXPECT_EQ(k[0], 6);                                    // proto first, one byte
    EXPECT_EQ(std::memcmp(k + 4, ip.data() + 12, 4), 0);   // src as on the wire
    EXPECT_EQ(std::memcmp(k + 20, ip.data() + 16, 4), 0);  // dst
    for (int i = 8; i < 20; ++i) EXPECT_EQ(k[i], 0) << i;  // IPv4 uses the first word
    EXPECT_EQ(std::memcmp(k + 36, ip.data() + 20, 4), 0);  // ports as on the wire
    for (int i = 52; i < 64; ++i) EXPECT_EQ(k[i], 0) << i;
}

TEST(ParseReasons, NamesAreUniqueAndKebabCase) {
    std::set<std::string> seen;
    for (unsigned i = 0; i < kParseReasonCount; ++i) {
        std::string n = kParseReasonNames[i];
        EXPECT_FALSE(n.empty());
        EXPECT_EQ(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz-"), std::string::npos) << n;
        EXPECT_TRUE(seen.insert(n).second) << n;
    }
    EXPECT_STREQ(parse_reason_name(ParseReason::Truncated), "truncated");
    EXPECT_STREQ(parse_reason_name(ParseReason::BadHeader), "bad-header");
    EXPECT_STREQ(parse_reason_name(ParseReason::UnsupportedEthertype), "unsupported-ethertype");
    EXPECT_STREQ(parse_reason_name(static_cast<ParseReason>(200)), "?");
}

// ---- link layers ---------------------------------------------------------------------

TEST(ParseLink, EthernetIpv4Tcp) {
    Bytes ip = ipv4(6, "10.0.1.10", "10.0.2.20", tcp(40000, 443, kTcpSyn) + payload(10));
    ParseResult r = parse(eth(0x0800, ip), LinkType::Ethernet);
    ASSERT_TRUE(r.ok()) << parse_reason_name(r.reason);
    EXPECT_EQ(r.key.version, 4);
    EXPECT_EQ(r.key.proto, 6);
    EXPECT_EQ(r.key.sport.host(), 40000);
    EXPECT_EQ(r.key.dport.host(), 443);
    EXPECT_EQ(r.key.tcp_flags, kTcpSyn);
    EXPECT_EQ(r.key.l3_len.host(), 50u);
    EXPECT_EQ(r.key.frag, FragState::None);
    EXPECT_EQ(r.key.ttl, 64);
    EXPECT_EQ(r.l3_offset, 14);
    EXPECT_EQ(r.l4_offset, 34u);
    EXPECT_EQ(r.vlan_count, 0);
    ASSERT_TRUE(r.has_src_mac && r.has_dst_mac);
    EXPECT_TRUE(std::equal(kMacA.begin(), kMacA.end(), r.src_mac));
    EXPECT_TRUE(std::equal(kMacB.begin(), kMacB.end(), r.dst_mac));

    Packet p = to_packet(r);
    EXPECT_EQ(p.str(), packet("tcp 10.0.1.10:40000 -> 10.0.2.20:443 flags=S len=10").str());
    EXPECT_EQ(p.ip_bytes(), 50u);
}

TEST(ParseLink, VlanTagsAreStrippedAndRecorded) {
    Bytes ip = ipv4(17, "10.0.1.10", "10.0.0.2", udp(5353, 53, 4));
    ParseResult one = parse(eth(0x0800, ip, {{0x8100, 0x2064}}), LinkType::Ethernet);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one.vlan_count, 1);
    EXPECT_EQ(one.vlan[0], 100);  // PCP bits dropped
    EXPECT_EQ(one.l3_offset, 18);
    EXPECT_EQ(one.key.dport.host(), 53);
    EXPECT_EQ(to_packet(one).vlan, 100);

    ParseResult qinq = parse(eth(0x0800, ip, {{0x88a8, 10}, {0x8100, 20}}), LinkType::Ethernet);
    ASSERT_TRUE(qinq.ok());
    EXPECT_EQ(qinq.vlan_count, 2);
    EXPECT_EQ(qinq.vlan[0], 10);
    EXPECT_EQ(qinq.vlan[1], 20);

    ParseResult old = parse(eth(0x86dd, ipv6(17, "2001:db8::1", "2001:db8::2", udp(1, 2, 0)),
                                {{0x9100, 7}, {0x8100, 8}, {0x8100, 9}}),
                            LinkType::Ethernet);
    ASSERT_TRUE(old.ok());
    EXPECT_EQ(old.vlan_count, 3);  // counted; the first two kept
    EXPECT_EQ(old.vlan[1], 8);

    ParseResult deep = parse(eth(0x0800, ip, {{0x8100, 1}, {0x8100, 2}, {0x8100, 3},
                                              {0x8100, 4}, {0x8100, 5}}),
                             LinkType::Ethernet);
    EXPECT_REASON(deep, TooManyHeaders);
}

TEST(ParseLink, NonIpEthertypesAreUnsupported) {
    EXPECT_REASON(parse(eth(0x0806, Bytes(28)), LinkType::Ethernet), UnsupportedEthertype);
    EXPECT_REASON(parse(eth(0x88cc, Bytes(30)), LinkType::Ethernet), UnsupportedEthertype);
    EXPECT_REASON(parse(eth(0x0806, Bytes(28), {{0x88a8, 1}, {0x8100, 2}}), LinkType::Ethernet),
                  UnsupportedEthertype);
    EXPECT_REASON(parse(eth(46, Bytes(46)), LinkType::Ethernet), UnsupportedEthertype);  // 802.3
    EXPECT_REASON(parse(Bytes(13), LinkType::Ethernet), Truncated);
}

TEST(ParseLink, PppoeSession) {
    Bytes ip = ipv4(6, "192.0.2.1", "198.51.100.2", tcp(1234, 443, kTcpAck));
    Bytes pppoe{0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x21};
    put16(pppoe, 4, static_cast<uint16_t>(ip.size() + 2));
    ParseResult r = parse(eth(0x8864, pppoe + ip), LinkType::Ethernet);
    ASSERT_TRUE(r.ok()) << parse_reason_name(r.reason);
    EXPECT_EQ(r.l3_offset, 22);
    EXPECT_EQ(r.key.dport.host(), 443);

    Bytes lcp = pppoe;
    put16(lcp, 6, 0xc021);
    EXPECT_REASON(parse(eth(0x8864, lcp + Bytes(10)), LinkType::Ethernet), UnsupportedEthertype);
    EXPECT_REASON(parse(eth(0x8863, pppoe), LinkType::Ethernet), UnsupportedEthertype);
}

TEST(ParseLink, LinuxCookedV1AndV2) {
    Bytes ip = ipv4(17, "10.0.0.5", "10.0.0.2", udp(3000, 53, 12));
    ParseResult r1 = parse(sll(0x0800, ip), LinkType::LinuxSll);
    ASSERT_TRUE(r1.ok()) << parse_reason_name(r1.reason);
    EXPECT_EQ(r1.l3_offset, 16);
    EXPECT_TRUE(r1.has_src_mac);
    EXPECT_FALSE(r1.has_dst_mac);
    EXPECT_TRUE(std::equal(kMacA.begin(), kMacA.end(), r1.src_mac));
    EXPECT_EQ(r1.key.sport.host(), 3000);

    Bytes ip6 = ipv6(6, "2001:db8::10", "2001:db8::20", tcp(50000, 22, kTcpSyn | kTcpAck));
    ParseResult r2 = parse(sll2(0x86dd, ip6), LinkType::LinuxSll2);
    ASSERT_TRUE(r2.ok()) << parse_reason_name(r2.reason);
    EXPECT_EQ(r2.l3_offset, 20);
    EXPECT_TRUE(r2.has_src_mac);
    EXPECT_EQ(to_packet(r2).str(), packet("tcp [2001:db8::10]:50000 -> [2001:db8::20]:22 flags=SA").str());

    EXPECT_REASON(parse(sll(0x0806, Bytes(28)), LinkType::LinuxSll), UnsupportedEthertype);
    EXPECT_REASON(parse(sll2(0x0800, {}), LinkType::LinuxSll2), Truncated);
    EXPECT_REASON(parse(Bytes(15), LinkType::LinuxSll), Truncated);
    EXPECT_REASON(parse(Bytes(19), LinkType::LinuxSll2), Truncated);
}

TEST(ParseLink, RawIpOfEitherVersion) {
    Bytes v4 = ipv4(17, "10.0.0.1", "10.0.0.2", udp(1, 53, 0));
    Bytes v6 = ipv6(17, "2001:db8::1", "2001:db8::2", udp(1, 53, 0));
    for (LinkType lt : {LinkType::Raw, LinkType::RawOpenBsd, LinkType::RawLinktype}) {
        ParseResult a = parse(v4, lt), b = parse(v6, lt);
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(a.key.version, 4);
        EXPECT_EQ(b.key.version, 6);
        EXPECT_EQ(a.l3_offset, 0);
        EXPECT_FALSE(a.has_src_mac);
    }
    EXPECT_TRUE(parse(v4, LinkType::Ipv4).ok());
    EXPECT_REASON(parse(v6, LinkType::Ipv4), BadVersion);
    EXPECT_TRUE(parse(v6, LinkType::Ipv6).ok());
    EXPECT_REASON(parse(v4, LinkType::Ipv6), BadVersion);
    EXPECT_REASON(parse({}, LinkType::Raw), Truncated);
    Bytes v5 = v4;
    v5[0] = 0x55;
    EXPECT_REASON(parse(v5, LinkType::Raw), BadVersion);
}

TEST(ParseLink, BsdLoopbackBothByteOrders) {
    Bytes v4 = ipv4(6, "127.0.0.1", "127.0.0.1", tcp(5000, 80, kTcpSyn));
    Bytes v6 = ipv6(17, "::1", "::1", udp(5000, 443, 3));
    Bytes le2{2, 0, 0, 0}, be2{0, 0, 0, 2}, le30{30, 0, 0, 0}, be24{0, 0, 0, 24},
        le10{10, 0, 0, 0}, le28{28, 0, 0, 0}, le7{7, 0, 0, 0};
    EXPECT_TRUE(parse(le2 + v4, LinkType::Null).ok());
    EXPECT_TRUE(parse(be2 + v4, LinkType::Null).ok());
    EXPECT_TRUE(parse(le30 + v6, LinkType::Null).ok());
    EXPECT_TRUE(parse(le10 + v6, LinkType::Null).ok());
    EXPECT_TRUE(parse(le28 + v6, LinkType::Null).ok());
    EXPECT_EQ(parse(be24 + v6, LinkType::Null).l3_offset, 4);
    EXPECT_REASON(parse(le30 + v4, LinkType::Null), BadVersion);
    EXPECT_REASON(parse(le7 + v4, LinkType::Null), UnsupportedEthertype);
    EXPECT_REASON(parse(Bytes{2, 0, 0}, LinkType::Null), Truncated);
    // Wireshark's reading of odd headers: an ethertype in the family field, an IRIX
    // 16-bit family, and PPP in HDLC framing.
    EXPECT_EQ(parse(Bytes{0x0f, 0x00, 0x08, 0x00} + v4, LinkType::Null).key.proto, 6);
    EXPECT_TRUE(parse(Bytes{0x00, 0x00, 0x86, 0xdd} + v6, LinkType::Null).ok());
    EXPECT_TRUE(parse(Bytes{0x00, 0x02, 0x00, 0x00} + v4, LinkType::Null).ok());
    EXPECT_EQ(parse(Bytes{0xff, 0x03, 0x00, 0x21} + v4, LinkType::Null).l3_offset, 4);
    // LOOP is always network order.
    EXPECT_TRUE(parse(be2 + v4, LinkType::Loop).ok());
    EXPECT_TRUE(parse(be24 + v6, LinkType::Loop).ok());
    EXPECT_REASON(parse(le2 + v4, LinkType::Loop), UnsupportedEthertype);
}

TEST(ParseLink, Ppp) {
    Bytes v4 = ipv4(17, "10.1.1.1", "10.2.2.2", udp(1024, 53, 20));
    Bytes v6 = ipv6(58, "2001:db8::1", "2001:db8::2", icmp(128, 0, 77));
    EXPECT_TRUE(parse(Bytes{0xff, 0x03, 0x00, 0x21} + v4, LinkType::Ppp).ok());
    EXPECT_EQ(parse(Bytes{0x00, 0x21} + v4, LinkType::Ppp).l3_offset, 2);
    EXPECT_EQ(parse(Bytes{0x21} + v4, LinkType::Ppp).l3_offset, 1);  // compressed protocol
    ParseResult r6 = parse(Bytes{0xff, 0x03, 0x00, 0x57} + v6, LinkType::PppHdlc);
    ASSERT_TRUE(r6.ok());
    EXPECT_EQ(r6.key.icmp_id.host(), 77);
    EXPECT_REASON(parse(Bytes{0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4}, LinkType::Ppp),
                  UnsupportedEthertype);
    EXPECT_REASON(parse(Bytes{0xff, 0x03, 0x00}, LinkType::Ppp), Truncated);
    EXPECT_REASON(parse(Bytes{0xff}, LinkType::Ppp), Truncated);
    EXPECT_REASON(parse(Bytes{0xff, 0x5f, 0x00, 0x21} + v4, LinkType::Ppp), BadHeader);
}

TEST(ParseLink, UnknownLinkType) {
    Bytes v4 = ipv4(17, "10.0.0.1", "10.0.0.2", udp(1, 53, 0));
    EXPECT_REASON(parse(v4, static_cast<LinkType>(239)), UnsupportedLink);  // NFLOG
    EXPECT_REASON(parse(v4, static_cast<LinkType>(105)), UnsupportedLink);  // 802.11
    EXPECT_REASON(parse_frame(nullptr, 0, 0, LinkType::Ethernet), Truncated);
}

// ---- IPv4 ------------------------------------------------------------------------------

TEST(ParseIpv4, OptionsAndLengthChecks) {
    Bytes seg = tcp(1, 2, kTcpAck);
    ParseResult opt = parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", seg, {.ihl_words = 6})),
                            LinkType::Ethernet);
    ASSERT_TRUE(opt.ok());
    EXPECT_TRUE(opt.key.flags & kKeyIpOptions);
    EXPECT_EQ(opt.l4_offset, 14u + 24u);
    EXPECT_EQ(opt.key.dport.host(), 2);

    EXPECT_REASON(parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", seg, {.ihl_words = 4})),
                        LinkType::Ethernet),
                  BadHeader);
    EXPECT_REASON(parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", seg, {.total_len = 19})),
                        LinkType::Ethernet),
                  BadHeader);
    // IP says more bytes than the wire carried.
    EXPECT_REASON(parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", seg, {.total_len = 80})),
                        LinkType::Ethernet),
                  Truncated);
    // Ethernet padding after the datagram is fine; the key's length is the IP one.
    Bytes padded = eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", seg)) + Bytes(6);
    ParseResult p = parse(padded, LinkType::Ethernet);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.key.l3_len.host(), 40u);
    // Total length 0: captured before TSO split it; the frame gives the length.
    Bytes tso = eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", seg + payload(3000), {.total_len = 0}));
    ParseResult t = parse(tso, LinkType::Ethernet);
    ASSERT_TRUE(t.ok()) << parse_reason_name(t.reason);
    EXPECT_EQ(t.key.l3_len.host(), 20u + 20 + 3000);
    EXPECT_TRUE(t.key.flags & kKeyL3LenFromFrame);
    // Ethertype IPv4 carrying a version-6 header.
    EXPECT_REASON(parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", seg, {.version = 6})),
                        LinkType::Ethernet),
                  BadVersion);
    EXPECT_REASON(parse(eth(0x86dd, ipv4(6, "10.0.0.1", "10.0.0.2", seg)), LinkType::Ethernet),
                  BadVersion);
}

TEST(ParseIpv4, SnaplenCutAfterHeadersStillParses) {
    Bytes frame = eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", tcp(1, 80, kTcpAck) + payload(1400)));
    ParseResult r = parse(frame, LinkType::Ethernet, 14 + 20 + 20, frame.size());
    ASSERT_TRUE(r.ok()) << parse_reason_name(r.reason);
    EXPECT_EQ(r.key.l3_len.host(), 1440u);
    EXPECT_EQ(to_packet(r.key).payload_len, 1400u);
    // One byte short of the TCP header is not enough.
    EXPECT_REASON(parse(frame, LinkType::Ethernet, 14 + 20 + 19, frame.size()), Truncated);
}

TEST(ParseIpv4, Fragments) {
    Bytes seg = tcp(40000, 443, kTcpSyn) + payload(12);
    V4Opts first{.frag_field = 0x2000, .id = 777};
    ParseResult f = parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", seg, first)),
                          LinkType::Ethernet);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f.key.frag, FragState::First);
    EXPECT_EQ(f.key.frag_id.host(), 777u);
    EXPECT_EQ(f.key.dport.host(), 443);
    EXPECT_EQ(to_packet(f).str(),
              packet("tcp 10.0.0.1:40000 -> 10.0.0.2:443 flags=S len=12 frag=first id=777").str());

    V4Opts more{.frag_field = 0x2000 | 4, .id = 777};
    ParseResult m = parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", payload(32), more)),
                          LinkType::Ethernet);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m.key.frag, FragState::MoreLater);
    EXPECT_TRUE(m.key.is_later_fragment());
    EXPECT_EQ(m.key.sport.host(), 0);
    EXPECT_EQ(m.key.dport.host(), 0);
    EXPECT_EQ(m.l4_offset, 0u);
    EXPECT_EQ(to_packet(m).str(), packet("6 10.0.0.1 -> 10.0.0.2 len=32 frag=more id=777").str());

    V4Opts last{.frag_field = 8, .id = 777};
    ParseResult l = parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", payload(5), last)),
                          LinkType::Ethernet);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l.key.frag, FragState::LastLater);
    EXPECT_EQ(to_packet(l).frag, Frag::Last);

    // Offset + length past 65535.
    V4Opts over{.frag_field = 0x1fff};
    EXPECT_REASON(parse(eth(0x0800, ipv4(17, "10.0.0.1", "10.0.0.2", payload(16), over)),
                        LinkType::Ethernet),
                  BadFragment);
    // A first fragment too short to hold the TCP header.
    EXPECT_REASON(parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", payload(8), first)),
                        LinkType::Ethernet),
                  BadFragment);
    // The same without MF is a whole packet with a broken TCP header.
    EXPECT_REASON(parse(eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", payload(8))),
                        LinkType::Ethernet),
                  BadHeader);
    // A first UDP fragment: the UDP length covers the whole datagram and is not checked.
    ParseResult u = parse(eth(0x0800, ipv4(17, "10.0.0.1", "10.0.0.2",
                                           udp(2049, 2049, 16, 3000), first)),
                          LinkType::Ethernet);
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u.key.sport.host(), 2049);
}

// ---- transport ---------------------------------------------------------------------------

TEST(ParseL4, TcpAndUdpHeaderChecks) {
    auto v4 = [](uint8_t proto, const Bytes& l4) {
        return parse(eth(0x0800, ipv4(proto, "10.0.0.1", "10.0.0.2", l4)), LinkType::Ethernet);
    };
    ParseResult opts = v4(6, tcp(1, 2, kTcpSyn, 8) + payload(3));
    ASSERT_TRUE(opts.ok());
    EXPECT_EQ(to_packet(opts).payload_len, 15u);  // 12 option bytes count as payload
    EXPECT_REASON(v4(6, tcp(1, 2, kTcpSyn, 4)), BadHeader);
    Bytes long_doff = tcp(1, 2, kTcpSyn);
    long_doff[12] = 0xf0;  // 60 bytes claimed, 20 present
    EXPECT_REASON(v4(6, long_doff), BadHeader);
    EXPECT_REASON(v4(6, Bytes(19)), BadHeader);

    ParseResult u = v4(17, udp(68, 67, 30));
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u.key.sport.host(), 68);
    EXPECT_REASON(v4(17, udp(68, 67, 30, 7)), BadHeader);
    EXPECT_REASON(v4(17, udp(68, 67, 30, 39)), BadHeader);
    EXPECT_TRUE(v4(17, udp(68, 67, 30, 20)).ok());  // shorter than the IP payload: trailer
    EXPECT_REASON(v4(17, Bytes(7)), BadHeader);
}

TEST(ParseL4, OtherProtocolsAndTunnelsKeepTheOuterPacket) {
    auto v4 = [](uint8_t proto, const Bytes& l4) {
        return parse(eth(0x0800, ipv4(proto, "10.0.0.1", "10.0.0.2", l4)), LinkType::Ethernet);
    };
    Bytes inner = eth(0x0800, ipv4(6, "192.168.0.1", "192.168.0.2", tcp(1111, 80, kTcpSyn)));
    Bytes gre{0x00, 0x00, 0x65, 0x58};  // transparent Ethernet bridging
    ParseResult g = v4(47, gre + inner);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g.key.proto, 47);
    EXPECT_EQ(g.key.sport.host(), 0);
    EXPECT_EQ(to_packet(g).str(), packet("47 10.0.0.1 -> 10.0.0.2 len=" +
                                         std::to_string(gre.size() + inner.size())).str());

    Bytes vxlan{0x08, 0, 0, 0, 0, 0, 0x10, 0};
    Bytes vx_body = vxlan + inner;
    ParseResult x = v4(17, udp(54321, 4789, 0, static_cast<int>(8 + vx_body.size())) + vx_body);
    ASSERT_TRUE(x.ok());
    EXPECT_EQ(x.key.dport.host(), 4789);
    EXPECT_EQ(x.key.src[0].host(), 0x0a000001u);

    ParseResult six = v4(41, ipv6(58, "2001:db8::1", "2001:db8::2", icmp(128, 0, 1)));
    ASSERT_TRUE(six.ok());
    EXPECT_EQ(six.key.proto, 41);
    EXPECT_EQ(six.key.version, 4);

    ParseResult sctp = v4(132, Bytes(12, 0x11));
    ASSERT_TRUE(sctp.ok());
    EXPECT_EQ(sctp.key.proto, 132);
    EXPECT_EQ(sctp.key.sport.host(), 0);
    EXPECT_TRUE(v4(50, Bytes(20)).ok());
    EXPECT_TRUE(v4(255, {}).ok());
}

TEST(ParseL4, IcmpEchoAndErrors) {
    ParseResult echo = parse(eth(0x0800, ipv4(1, "10.0.1.10", "8.8.8.8", icmp(8, 0, 4242, payload(56)))),
                             LinkType::Ethernet);
    ASSERT_TRUE(echo.ok());
    EXPECT_EQ(echo.key.sport.host(), 8);
    EXPECT_EQ(echo.key.dport.host(), 0);
    EXPECT_EQ(echo.key.icmp_id.host(), 4242);
    EXPECT_FALSE(echo.key.flags & kKeyIcmpError);
    EXPECT_EQ(echo.quote.state, IcmpQuote::State::None);
    EXPECT_EQ(to_packet(echo).str(),
              packet("icmp 10.0.1.10 -> 8.8.8.8 type=8 code=0 icmp-id=4242 len=56").str());

    // Port unreachable quoting the UDP datagram that caused it.
    Bytes quoted = ipv4(17, "10.0.1.10", "10.0.0.2", udp(5353, 53, 20));
    Bytes error = ipv4(1, "10.0.0.2", "10.0.1.10", icmp(3, 3, 0, quoted));
    ParseResult e = parse(eth(0x0800, error), LinkType::Ethernet);
    ASSERT_TRUE(e.ok());
    EXPECT_TRUE(e.key.flags & kKeyIcmpError);
    EXPECT_EQ(e.key.icmp_id.host(), 0);
    ASSERT_EQ(e.quote.state, IcmpQuote::State::L4);
    EXPECT_EQ(e.quote.version, 4);
    EXPECT_EQ(e.quote.proto, 17);
    EXPECT_EQ(e.quote.src[0].host(), 0x0a00010au);  // 10.0.1.10
    EXPECT_EQ(e.quote.sport.host(), 5353);
    EXPECT_EQ(e.quote.dport.host(), 53);

    // Quote cut after the inner IP header: addresses only.
    Bytes short_quote(quoted.begin(), quoted.begin() + 22);
    ParseResult s = parse(eth(0x0800, ipv4(1, "10.0.0.2", "10.0.1.10", icmp(11, 0, 0, short_quote))),
                          LinkType::Ethernet);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.quote.state, IcmpQuote::State::Ip);
    EXPECT_EQ(s.quote.proto, 17);
    // Nothing usable quoted, or an IPv6 header quoted in ICMPv4: the error still parses.
    ParseResult none = parse(eth(0x0800, ipv4(1, "10.0.0.2", "10.0.1.10", icmp(3, 1, 0, Bytes(10)))),
                             LinkType::Ethernet);
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none.quote.state, IcmpQuote::State::None);
    // Too short for the 8-byte ICMP header.
    EXPECT_REASON(parse(eth(0x0800, ipv4(1, "10.0.0.2", "10.0.1.10", Bytes(7))), LinkType::Ethernet),
                  BadHeader);
}

TEST(ParseL4, Icmpv6EchoAndErrors) {
    ParseResult echo = parse(eth(0x86dd, ipv6(58, "2001:db8:1::10", "2001:db8:2::20",
                                              icmp(128, 0, 99, payload(8)))),
                             LinkType::Ethernet);
    ASSERT_TRUE(echo.ok());
    EXPECT_EQ(echo.key.sport.host(), 128);
    EXPECT_EQ(echo.key.icmp_id.host(), 99);
    Packet p = to_packet(echo);
    EXPECT_EQ(p.icmp_type, 128);
    EXPECT_EQ(p.icmp_id, 99);
    EXPECT_EQ(p.payload_len, 8u);
    EXPECT_EQ(p.ip_bytes(), echo.key.l3_len.host());

    // Destination unreachable quoting IPv6 + destination options + TCP.
    Bytes quoted = ipv6(60, "2001:db8:2::20", "2001:db8:9::9", ext6(6) + tcp(443, 55555, kTcpAck));
    ParseResult e = parse(eth(0x86dd, ipv6(58, "2001:db8:1::1", "2001:db8:2::20", icmp(1, 4, 0, quoted))),
                          LinkType::Ethernet);
    ASSERT_TRUE(e.ok());
    EXPECT_TRUE(e.key.flags & kKeyIcmpError);
    ASSERT_EQ(e.quote.state, IcmpQuote::State::L4);
    EXPECT_EQ(e.quote.proto, 6);
    EXPECT_EQ(e.quote.sport.host(), 443);
    EXPECT_EQ(e.quote.dport.host(), 55555);

    // The quoted extension header is cut: addresses known, transport not.
    Bytes cut(quoted.begin(), quoted.begin() + 44);
    ParseResult c = parse(eth(0x86dd, ipv6(58, "2001:db8:1::1", "2001:db8:2::20", icmp(1, 4, 0, cut))),
                          LinkType::Ethernet);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.quote.state, IcmpQuote::State::Ip);
    EXPECT_EQ(c.quote.proto, 60);

    // Neighbour solicitation: not an error, no identifier.
    ParseResult ns = parse(eth(0x86dd, ipv6(58, "fe80::1", "ff02::1:ff00:2", icmp(135, 0, 0, Bytes(16)))),
                           LinkType::Ethernet);
    ASSERT_TRUE(ns.ok());
    EXPECT_EQ(ns.key.sport.host(), 135);
    EXPECT_FALSE(ns.key.flags & kKeyIcmpError);
}

// ---- IPv6 extension headers --------------------------------------------------------------

TEST(ParseIpv6, ExtensionHeadersAreWalked) {
    Bytes chain = ext6(43) + routing6(60) + ext6(6, 1) + tcp(40000, 22, kTcpSyn) + payload(4);
    ParseResult r = parse(eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2", chain)), LinkType::Ethernet);
    ASSERT_TRUE(r.ok()) << parse_reason_name(r.reason);
    EXPECT_EQ(r.key.proto, 6);
    EXPECT_EQ(r.key.sport.host(), 40000);
    EXPECT_EQ(r.key.dport.host(), 22);
    EXPECT_TRUE(r.key.flags & kKeyV6ExtHdrs);
    EXPECT_TRUE(r.key.flags & kKeyV6Routing);
    EXPECT_EQ(r.l4_offset, 14u + 40 + 8 + 24 + 16);
    EXPECT_EQ(r.key.l3_len.host(), 40u + chain.size());

    ParseResult ah = parse(eth(0x86dd, ipv6(51, "2001:db8::1", "2001:db8::2", ah6(17) + udp(500, 500, 8))),
                           LinkType::Ethernet);
    ASSERT_TRUE(ah.ok());
    EXPECT_EQ(ah.key.proto, 17);
    EXPECT_EQ(ah.key.sport.host(), 500);

    ParseResult esp = parse(eth(0x86dd, ipv6(60, "2001:db8::1", "2001:db8::2", ext6(50) + Bytes(24))),
                            LinkType::Ethernet);
    ASSERT_TRUE(esp.ok());
    EXPECT_EQ(esp.key.proto, 50);
    EXPECT_EQ(esp.key.sport.host(), 0);

    ParseResult nonext = parse(eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2", ext6(59))),
                               LinkType::Ethernet);
    ASSERT_TRUE(nonext.ok());
    EXPECT_EQ(nonext.key.proto, 59);

    // Hop-by-hop must come first.
    EXPECT_REASON(parse(eth(0x86dd, ipv6(60, "2001:db8::1", "2001:db8::2", ext6(0) + ext6(59))),
                        LinkType::Ethernet),
                  BadHeader);
    // An extension header longer than the payload length says.
    Bytes longer = ext6(59, 3);
    EXPECT_REASON(parse(eth(0x86dd, ipv6(60, "2001:db8::1", "2001:db8::2", longer, 16)),
                        LinkType::Ethernet),
                  BadHeader);
    // Payload length beyond the frame.
    EXPECT_REASON(parse(eth(0x86dd, ipv6(59, "2001:db8::1", "2001:db8::2", {}, 100)), LinkType::Ethernet),
                  Truncated);
    // Too many extension headers.
    Bytes many;
    for (unsigned i = 0; i < kMaxV6ExtHeaders; ++i) many = many + ext6(60);
    many = many + ext6(59);
    EXPECT_REASON(parse(eth(0x86dd, ipv6(60, "2001:db8::1", "2001:db8::2", many)), LinkType::Ethernet),
                  TooManyHeaders);
    Bytes enough;
    for (unsigned i = 0; i + 1 < kMaxV6ExtHeaders; ++i) enough = enough + ext6(60);
    enough = enough + ext6(17) + udp(1, 2, 0);
    EXPECT_TRUE(parse(eth(0x86dd, ipv6(60, "2001:db8::1", "2001:db8::2", enough)), LinkType::Ethernet).ok());
    // Wrong version nibble behind ethertype IPv6.
    EXPECT_REASON(parse(eth(0x86dd, ipv6(59, "2001:db8::1", "2001:db8::2", {}, -1, 5)), LinkType::Ethernet),
                  BadVersion);
}

TEST(ParseIpv6, Fragments) {
    Bytes first = frag6(17, 0, true, 0xabcdef01) + udp(4000, 53, 16, 1000);
    ParseResult f = parse(eth(0x86dd, ipv6(44, "2001:db8::1", "2001:db8::2", first)), LinkType::Ethernet);
    ASSERT_TRUE(f.ok()) << parse_reason_name(f.reason);
    EXPECT_EQ(f.key.frag, FragState::First);
    EXPECT_EQ(f.key.frag_id.host(), 0xabcdef01u);
    EXPECT_EQ(f.key.dport.host(), 53);
    Packet fp = to_packet(f);
    EXPECT_EQ(fp.frag, Frag::First);
    EXPECT_EQ(fp.ip_bytes(), f.key.l3_len.host());

    ParseResult later = parse(eth(0x86dd, ipv6(44, "2001:db8::1", "2001:db8::2",
                                               frag6(17, 24, true, 5) + payload(16))),
                              LinkType::Ethernet);
    ASSERT_TRUE(later.ok());
    EXPECT_EQ(later.key.frag, FragState::MoreLater);
    EXPECT_EQ(later.key.proto, 17);
    EXPECT_EQ(later.key.sport.host(), 0);
    EXPECT_EQ(to_packet(later).str(), packet("17 [2001:db8::1] -> [2001:db8::2] len=16 frag=more id=5").str());

    ParseResult last = parse(eth(0x86dd, ipv6(44, "2001:db8::1", "2001:db8::2",
                                              frag6(6, 1448, false, 5) + payload(3))),
                             LinkType::Ethernet);
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(last.key.frag, FragState::LastLater);

    // Atomic fragment (offset 0, no MF): a whole packet.
    ParseResult atomic = parse(eth(0x86dd, ipv6(44, "2001:db8::1", "2001:db8::2",
                                                frag6(6, 0, false, 9) + tcp(1, 2, kTcpRst))),
                               LinkType::Ethernet);
    ASSERT_TRUE(atomic.ok());
    EXPECT_EQ(atomic.key.frag, FragState::None);
    EXPECT_EQ(atomic.key.tcp_flags, kTcpRst);

    // The first fragment must carry the whole header chain (RFC 7112).
    EXPECT_REASON(parse(eth(0x86dd, ipv6(44, "2001:db8::1", "2001:db8::2",
                                         frag6(6, 0, true, 1) + payload(16))),
                        LinkType::Ethernet),
                  BadFragment);
    // Non-last fragment whose size is not a multiple of 8.
    EXPECT_REASON(parse(eth(0x86dd, ipv6(44, "2001:db8::1", "2001:db8::2",
                                         frag6(17, 8, true, 1) + payload(13))),
                        LinkType::Ethernet),
                  BadFragment);
    // Reassembled size past 65535.
    EXPECT_REASON(parse(eth(0x86dd, ipv6(44, "2001:db8::1", "2001:db8::2",
                                         frag6(17, 65528, false, 1) + payload(16))),
                        LinkType::Ethernet),
                  BadFragment);
}

TEST(ParseIpv6, JumboPayload) {
    const uint32_t body = 70000;
    Bytes l4 = tcp(1, 2, kTcpAck) + payload(body - 8 - 20);
    Bytes frame = eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2", jumbo_hbh(6, body) + l4, 0));
    ParseResult r = parse(frame, LinkType::Ethernet);
    ASSERT_TRUE(r.ok()) << parse_reason_name(r.reason);
    EXPECT_EQ(r.key.l3_len.host(), 40 + body);
    EXPECT_EQ(r.key.dport.host(), 2);
    // Cut by snaplen after the headers: still parses, with the full length.
    ParseResult cut = parse(frame, LinkType::Ethernet, 14 + 40 + 8 + 20, frame.size());
    ASSERT_TRUE(cut.ok());
    EXPECT_EQ(cut.key.l3_len.host(), 40 + body);
    // A jumbo option below 65536, or with a non-zero payload length, is malformed.
    EXPECT_REASON(parse(eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2",
                                         jumbo_hbh(59, 1000), 0)),
                        LinkType::Ethernet),
                  BadHeader);
    EXPECT_REASON(parse(eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2",
                                         jumbo_hbh(59, 70000))),
                        LinkType::Ethernet),
                  BadHeader);
    // Payload length 0 and no jumbo option: the hop-by-hop header does not fit.
    EXPECT_REASON(parse(eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2", ext6(59), 0)),
                        LinkType::Ethernet),
                  BadHeader);
    // The jumbo length is more than the wire carried.
    EXPECT_REASON(parse(eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2",
                                         jumbo_hbh(59, 80000) + Bytes(100), 0)),
                        LinkType::Ethernet),
                  Truncated);
}

// ---- truncation at every byte, and garbage -------------------------------------------------

// For every prefix of `frame`: as a frame that really was that short (caplen = wirelen)
// it must be `truncated`; as a snaplen cut (wirelen = full) it must be `truncated` while
// a header is missing and parse once `headers_end` bytes are captured.
void check_every_cut(const Bytes& frame, LinkType link, size_t headers_end) {
    ASSERT_TRUE(parse(frame, link).ok());
    for (size_t n = 0; n < frame.size(); ++n) {
        ParseResult shortwire = parse(frame, link, n, n);
        EXPECT_REASON(shortwire, Truncated) << "cut at " << n;
        ParseResult snap = parse(frame, link, n, frame.size());
        if (n < headers_end) {
            EXPECT_REASON(snap, Truncated) << "snaplen " << n;
        } else {
            EXPECT_TRUE(snap.ok()) << "snaplen " << n << ": " << parse_reason_name(snap.reason);
        }
    }
}

TEST(ParseTruncation, Ipv4TcpAtEveryByte) {
    Bytes frame = eth(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", tcp(1, 80, kTcpSyn, 6) + payload(9),
                                   {.ihl_words = 6}),
                      {{0x8100, 5}});
    check_every_cut(frame, LinkType::Ethernet, 18 + 24 + 24);
}

TEST(ParseTruncation, Ipv6ExtensionHeadersAtEveryByte) {
    Bytes chain = ext6(43) + routing6(44) + frag6(60, 0, true, 3) + ext6(6) + tcp(1, 443, kTcpSyn) +
                  payload(12);
    Bytes frame = eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2", chain));
    check_every_cut(frame, LinkType::Ethernet, 14 + 40 + 8 + 24 + 8 + 8 + 20);
}

TEST(ParseTruncation, OtherLinkTypesAtEveryByte) {
    Bytes ip = ipv4(17, "10.0.0.1", "10.0.0.2", udp(1, 53, 4));
    check_every_cut(sll(0x0800, ip), LinkType::LinuxSll, 16 + 28);
    check_every_cut(sll2(0x0800, ip), LinkType::LinuxSll2, 20 + 28);
    check_every_cut(Bytes{2, 0, 0, 0} + ip, LinkType::Null, 4 + 28);
    check_every_cut(Bytes{0xff, 0x03, 0x00, 0x21} + ip, LinkType::Ppp, 4 + 28);
    Bytes err = ipv4(1, "10.0.0.2", "10.0.0.1", icmp(3, 3, 0, ip));
    check_every_cut(err, LinkType::Raw, 28);
}

TEST(ParseTruncation, RandomBytesAndMutationsNeverMisbehave) {
    std::mt19937 rng(12345);
    const LinkType links[] = {LinkType::Null, LinkType::Ethernet, LinkType::Ppp, LinkType::Raw,
                              LinkType::Loop, LinkType::LinuxSll, LinkType::Ipv4, LinkType::Ipv6,
                              LinkType::LinuxSll2, static_cast<LinkType>(7)};
    std::vector<std::pair<Bytes, LinkType>> seeds = {
        {eth(0x86dd, ipv6(0, "2001:db8::1", "2001:db8::2",
                          ext6(43) + routing6(44) + frag6(51, 0, true, 3) + ah6(58) +
                              icmp(1, 0, 0, ipv6(60, "2001:db8::2", "2001:db8::3",
                                                 ext6(17) + udp(1, 2, 0))))),
         LinkType::Ethernet},
        {eth(0x0800, ipv4(1, "10.0.0.2", "10.0.0.1",
                          icmp(3, 3, 0, ipv4(6, "10.0.0.1", "10.0.0.2", tcp(1, 2, 2)))),
             {{0x88a8, 1}, {0x8100, 2}}),
         LinkType::Ethernet},
        {sll2(0x86dd, ipv6(0, "::1", "::1", jumbo_hbh(17, 70000) + Bytes(64))), LinkType::LinuxSll2},
    };
    std::map<std::string, int> reasons;
    for (int i = 0; i < 60000; ++i) {
        Bytes b;
        LinkType lt;
        if (i % 2 == 0) {
            b.resize(rng() % 120);
            for (auto& x : b) x = static_cast<uint8_t>(rng());
            lt = links[rng() % std::size(links)];
        } else {
            const auto& [seed, l] = seeds[rng() % seeds.size()];
            b = seed;
            for (int flips = 1 + rng() % 4; flips > 0; --flips)
                b[rng() % b.size()] = static_cast<uint8_t>(rng());
            b.resize(rng() % (b.size() + 1));
            lt = l;
        }
        ParseResult r = parse(b, lt, SIZE_MAX, b.size() + rng() % 3);
        ASSERT_LT(static_cast<unsigned>(r.reason), kParseReasonCount);
        reasons[parse_reason_name(r.reason)]++;
        if (r.ok()) {
            EXPECT_TRUE(r.key.version == 4 || r.key.version == 6);
            EXPECT_LE(r.l3_offset, b.size());
            EXPECT_LE(r.l4_offset, b.size());
            Packet p = to_packet(r);  // always convertible
            EXPECT_EQ(p.family() == Family::V4, r.key.version == 4);
        }
    }
    EXPECT_GT(reasons["ok"], 0);
    EXPECT_GT(reasons["truncated"], 0);
    EXPECT_GT(reasons["bad-header"], 0);
}

// ---- real captures -------------------------------------------------------------------------

struct CaptureStats {
    bool opened = false;
    std::string open_error;   // why libpcap refused the file
    std::string read_error;   // pcap_next_ex failure part-way
    int link = -1;
    uint64_t packets = 0;
    std::map<std::string, uint64_t> by_reason;
    std::vector<ParseResult> results;  // one per packet, in order
    std::vector<uint32_t> caplens, wirelens;

    uint64_t count(const char* reason) const {
        auto it = by_reason.find(reason);
        return it == by_reason.end() ? 0 : it->second;
    }
    uint64_t count_if(const std::function<bool(const ParseResult&)>& pred) const {
        return static_cast<uint64_t>(std::count_if(results.begin(), results.end(), pred));
    }
};

CaptureStats read_capture(const std::string& path) {
    CaptureStats s;
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* pc = pcap_open_offline(path.c_str(), errbuf);
    if (pc == nullptr) {
        s.open_error = errbuf;
        return s;
    }
    s.opened = true;
    s.link = pcap_datalink(pc);
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    for (;;) {
        int rc = pcap_next_ex(pc, &hdr, &data);
        if (rc == PCAP_ERROR_BREAK) break;  // end of file
        if (rc != 1) {
            s.read_error = pcap_geterr(pc);
            break;
        }
        ++s.packets;
        // An exact-size copy, so AddressSanitizer sees any read past caplen (libpcap's
        // own buffer would hide it).
        std::unique_ptr<uint8_t[]> copy(new uint8_t[hdr->caplen]);
        if (hdr->caplen) std::memcpy(copy.get(), data, hdr->caplen);
        ParseResult r = parse_frame(copy.get(), hdr->caplen, hdr->len, static_cast<LinkType>(s.link));
        s.by_reason[parse_reason_name(r.reason)]++;
        s.results.push_back(r);
        s.caplens.push_back(hdr->caplen);
        s.wirelens.push_back(hdr->len);
    }
    pcap_close(pc);
    return s;
}

std::string pcap_dir() { return std::string(VPCFW_SHARED_DATA) + "/pcaps"; }

const CaptureStats& capture(const std::string& name) {
    static std::map<std::string, CaptureStats> cache;
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, read_capture(pcap_dir() + "/" + name)).first;
    return it->second;
}

TEST(Captures, EveryPacketGetsAKeyOrANamedReason) {
    namespace fs = std::filesystem;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(pcap_dir())) {
        std::string n = e.path().filename().string();
        if (n.ends_with(".pcap") || n.ends_with(".pcapng")) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    ASSERT_GE(names.size(), 70u);
    uint64_t all = 0;
    for (const auto& n : names) {
        const CaptureStats& s = capture(n);
        std::cout << "[capture] " << n;
        if (!s.opened) {
            std::cout << " libpcap refused to open: " << s.open_error << "\n";
            continue;
        }
        std::cout << " link=" << s.link << " packets=" << s.packets;
        uint64_t sum = 0;
        for (const auto& [reason, c] : s.by_reason) {
            std::cout << " " << reason << "=" << c;
            sum += c;
            EXPECT_NE(reason, "?") << n;
        }
        if (!s.read_error.empty()) std::cout << " read-error: " << s.read_error;
        std::cout << "\n";
        EXPECT_EQ(sum, s.packets) << n;
        EXPECT_EQ(s.results.size(), s.packets) << n;
        all += s.packets;
    }
    EXPECT_GT(all, 100000u);
}

TEST(Captures, LinkTypes) {
    const CaptureStats& sll = capture("pcapplusplus-sll.pcap");
    ASSERT_TRUE(sll.opened);
    EXPECT_EQ(sll.link, 113);
    EXPECT_EQ(sll.packets, 518u);
    EXPECT_GT(sll.count("ok"), 500u);
    EXPECT_EQ(sll.count("ok") + sll.count("unsupported-ethertype"), sll.packets);  // ARP
    EXPECT_GT(sll.count_if([](const ParseResult& r) { return r.ok() && r.key.version == 6; }), 0u);

    const CaptureStats& sll2 = capture("suricata-decode-sll2-01-input.pcap");
    EXPECT_EQ(sll2.link, 276);
    EXPECT_EQ(sll2.count("ok"), 5u);
    EXPECT_EQ(sll2.count_if([](const ParseResult& r) { return r.key.proto == 6; }), 5u);

    const CaptureStats& nano = capture("tcpdump-tcp-handshake-nano.pcap");
    ASSERT_EQ(nano.count("ok"), 3u);
    EXPECT_EQ(nano.results[0].key.tcp_flags, kTcpSyn);
    EXPECT_EQ(nano.results[1].key.tcp_flags, kTcpSyn | kTcpAck);
    EXPECT_EQ(nano.results[2].key.tcp_flags, kTcpAck);
    EXPECT_EQ(capture("tcpdump-timestamp_invalid_nano.pcap").count("ok"), 3u);

    const CaptureStats& null = capture("pcapplusplus-null_loopback.pcap");
    EXPECT_EQ(null.link, 0);
    EXPECT_EQ(null.count("ok"), 3u);  // one has the ethertype where the family should be
    EXPECT_GT(null.count_if([](const ParseResult& r) { return r.key.version == 4; }), 0u);
    EXPECT_GT(null.count_if([](const ParseResult& r) { return r.key.version == 6; }), 0u);

    const CaptureStats& quic = capture("tcpdump-quic_handshake.pcap");
    EXPECT_EQ(quic.count("ok"), 18u);
    EXPECT_GT(quic.count_if([](const ParseResult& r) {
        return r.key.version == 6 && r.key.proto == 17 &&
               (r.key.sport.host() == 443 || r.key.dport.host() == 443);
    }), 0u);

    const CaptureStats& raw = capture("pcapplusplus-raw_ip.pcap");
    EXPECT_EQ(raw.count("ok"), 100u);
    EXPECT_GT(raw.count_if([](const ParseResult& r) { return r.key.version == 6; }), 0u);
    EXPECT_EQ(capture("tcpdump-LINKTYPE_RAW_ipv4.pcap").count("ok"), 1u);
    const CaptureStats& v6 = capture("tcpdump-LINKTYPE_IPV6.pcap");
    ASSERT_EQ(v6.count("ok"), 1u);
    EXPECT_EQ(v6.results[0].key.proto, 17);
    EXPECT_TRUE(v6.results[0].key.sport.host() == 53 || v6.results[0].key.dport.host() == 53);
    EXPECT_EQ(capture("tcpdump-LINKTYPE_IPV4_invalid.pcap").count("bad-version"), 1u);

    // Fuzzed: HDLC address 0xff with control 0x5f instead of 0x03 (Wireshark fails too).
    EXPECT_EQ(capture("tcpdump-ppp_ip_udp_dns.pcap").count("bad-header"), 1u);
    EXPECT_EQ(capture("tcpdump-nflog.pcap").count("unsupported-link"), 4u);
    const CaptureStats& pppoe = capture("arkime-pppoe.pcap");
    EXPECT_EQ(pppoe.count("ok"), 10u);
    EXPECT_EQ(pppoe.count_if([](const ParseResult& r) { return r.key.proto == 6; }), 10u);

    EXPECT_EQ(capture("arkime-bigendian.pcap").count("ok"), 2u);
    const CaptureStats& empty = capture("tcpdump-empty.pcap");
    EXPECT_TRUE(empty.opened);
    EXPECT_EQ(empty.packets, 0u);
}

TEST(Captures, VlanTags) {
    const CaptureStats& vlan = capture("libtrace-vlan.pcap");
    EXPECT_EQ(vlan.packets, 395u);
    EXPECT_GT(vlan.count_if([](const ParseResult& r) { return r.vlan_count >= 1; }), 300u);
    EXPECT_GT(vlan.count("ok"), 0u);
    EXPECT_GT(vlan.count("unsupported-ethertype"), 0u);  // ARP, IPX, AppleTalk

    const CaptureStats& dot1ad = capture("arkime-dot1ad.pcap");
    ASSERT_EQ(dot1ad.count("ok"), 2u);
    for (const auto& r : dot1ad.results) {
        EXPECT_EQ(r.vlan_count, 2);
        EXPECT_EQ(r.key.proto, 1);
    }
    const CaptureStats& qinq = capture("tcpdump-802.1ad_QinQ.pcap");
    EXPECT_EQ(qinq.count("unsupported-ethertype"), 2u);  // ARP inside two tags
    for (const auto& r : qinq.results) EXPECT_EQ(r.vlan_count, 2);

    const CaptureStats& xml = capture("tcpdump-ipv4_tcp_http_xml.pcap");
    ASSERT_EQ(xml.count("ok"), 1u);
    EXPECT_EQ(xml.results[0].vlan_count, 1);
    EXPECT_EQ(xml.results[0].key.proto, 6);
}

TEST(Captures, Fragments) {
    auto has = [](const CaptureStats& s, FragState f) {
        return s.count_if([f](const ParseResult& r) { return r.ok() && r.key.frag == f; });
    };
    const CaptureStats& v4 = capture("pcapplusplus-ip4_fragments.pcap");
    EXPECT_GT(has(v4, FragState::First), 0u);
    EXPECT_GT(has(v4, FragState::MoreLater) + has(v4, FragState::LastLater), 0u);
    EXPECT_EQ(v4.count("ok"), v4.packets);

    // A fragmented echo request (first + last fragment) and its unfragmented reply.
    const CaptureStats& icmp = capture("suricata-ipv4frags.pcap");
    EXPECT_EQ(has(icmp, FragState::First), 1u);
    EXPECT_EQ(has(icmp, FragState::LastLater), 1u);
    EXPECT_EQ(has(icmp, FragState::None), 1u);
    EXPECT_EQ(icmp.results[0].key.sport.host(), 8);  // the first fragment has the ICMP header
    EXPECT_EQ(icmp.results[1].key.sport.host(), 0);

    const CaptureStats& v6 = capture("suricata-frag-eth-vlan-ipv6-tcp.pcap");
    EXPECT_EQ(v6.count("ok"), 3u);
    EXPECT_EQ(has(v6, FragState::First), 1u);
    EXPECT_EQ(has(v6, FragState::MoreLater) + has(v6, FragState::LastLater), 2u);
    for (const auto& r : v6.results) {
        EXPECT_EQ(r.vlan_count, 1);
        EXPECT_EQ(r.key.version, 6);
        EXPECT_EQ(r.key.proto, 6);
        if (r.key.frag == FragState::First) {
            EXPECT_NE(r.key.dport.host(), 0);
        }
    }

    EXPECT_GT(capture("libtrace-vlan.pcap").count_if([](const ParseResult& r) {
        return r.ok() && r.key.frag != FragState::None;
    }), 0u);
}

TEST(Captures, Ipv6ExtensionHeaders) {
    const CaptureStats& rh = capture("tcpdump-ipv6-routing-header.pcap");
    EXPECT_EQ(rh.count("ok"), 4u);
    EXPECT_GT(rh.count_if([](const ParseResult& r) {
        return r.ok() && (r.key.flags & kKeyV6Routing) && r.key.proto == 17 && r.key.dport.host() != 0;
    }), 0u);

    const CaptureStats& dst = capture("suricata-covert_send6.pcap");
    EXPECT_GT(dst.count_if([](const ParseResult& r) {
        return r.ok() && (r.key.flags & kKeyV6ExtHdrs);
    }), 0u);

    const CaptureStats& big = capture("tcpdump-bigtcp-ipv6-hbh.pcap");
    ASSERT_EQ(big.count("ok"), 1u);
    EXPECT_GT(big.results[0].key.l3_len.host(), 65535u);
    EXPECT_EQ(big.results[0].key.proto, 6);

    // The flood is first fragments (hop-by-hop + fragment header, MF set) whose size is
    // not a multiple of 8: RFC 8200 says discard them.
    const CaptureStats& flood = capture("suricata-denial6-6.pcap");
    EXPECT_EQ(flood.packets, 39838u);
    EXPECT_EQ(flood.count("bad-fragment"), 39812u);
    EXPECT_EQ(flood.count("ok"), 26u);

    const CaptureStats& ah = capture("arkime-ah-esp.pcap");
    EXPECT_EQ(ah.count("ok"), 10u);
    // IPv4 keeps the IP header's protocol (AH, 51), as iptables matches it; IPv6 walks AH.
    EXPECT_GT(ah.count_if([](const ParseResult& r) { return r.key.proto == 51; }), 0u);
}

TEST(Captures, IcmpErrorsQuoteTheirPacket) {
    const CaptureStats& unreach = capture("zeek-icmp-destunreach-udp.pcap");
    ASSERT_EQ(unreach.count("ok"), 1u);
    const ParseResult& u = unreach.results[0];
    EXPECT_TRUE(u.key.flags & kKeyIcmpError);
    ASSERT_EQ(u.quote.state, IcmpQuote::State::L4);
    EXPECT_EQ(u.quote.proto, 17);
    EXPECT_TRUE(u.quote.sport.host() == 53 || u.quote.dport.host() == 53);

    const CaptureStats& te = capture("zeek-icmp-timeexceeded.pcap");
    ASSERT_EQ(te.count("ok"), 1u);
    EXPECT_EQ(te.results[0].key.sport.host(), 11);
    EXPECT_NE(te.results[0].quote.state, IcmpQuote::State::None);

    const CaptureStats& toobig = capture("zeek-icmp6-toobig.pcap");
    ASSERT_EQ(toobig.count("ok"), 1u);
    EXPECT_EQ(toobig.results[0].key.sport.host(), 2);
    EXPECT_NE(toobig.results[0].quote.state, IcmpQuote::State::None);
    EXPECT_EQ(toobig.results[0].quote.version, 6);

    const CaptureStats& trunc = capture("zeek-icmp6-destunreach-ip6ext-trunc.pcap");
    ASSERT_EQ(trunc.count("ok"), 1u);
    EXPECT_EQ(trunc.results[0].quote.state, IcmpQuote::State::Ip);

    const CaptureStats& rfc5837 = capture("tcpdump-icmp-rfc5837.pcap");
    ASSERT_EQ(rfc5837.count("ok"), 1u);
    EXPECT_EQ(rfc5837.results[0].quote.state, IcmpQuote::State::L4);
    EXPECT_EQ(rfc5837.results[0].quote.proto, 17);

    const CaptureStats& ping = capture("suricata-icmpv4-ping.pcap");
    EXPECT_EQ(ping.count("ok"), 150u);
    EXPECT_EQ(ping.count_if([](const ParseResult& r) {
        return (r.key.sport.host() == 8 || r.key.sport.host() == 0) && r.key.icmp_id.host() != 0;
    }), 150u);

    const CaptureStats& mixed = capture("pcapplusplus-IcmpPackets.pcap");
    EXPECT_EQ(mixed.count("ok"), mixed.packets);
    EXPECT_GT(mixed.count_if([](const ParseResult& r) { return r.key.flags & kKeyIcmpError; }), 0u);
}

TEST(Captures, MalformedOnPurpose) {
    EXPECT_EQ(capture("tcpdump-ipv4_invalid_hdr_length.pcap").count("bad-header"), 1u);
    // IP total length 85 where the frame holds 84 bytes of datagram: truncated (as Linux
    // counts it), whatever the manifest's one-line note says.
    EXPECT_EQ(capture("tcpdump-ipv4_invalid_total_length.pcap").count("truncated"), 1u);
    // The bad version is inside an IPv4-in-IPv6 tunnel; the outer packet is evaluated.
    const CaptureStats& wrong = capture("suricata-wrong-version-ipv4-ipv6.pcap");
    ASSERT_EQ(wrong.count("ok"), 1u);
    EXPECT_EQ(wrong.results[0].key.proto, 4);
    const CaptureStats& badv = capture("tcpdump-ipv6-bad-version.pcap");
    EXPECT_EQ(badv.count("bad-version"), 2u);  // version 0
    EXPECT_EQ(badv.count("ok"), 2u);
    EXPECT_EQ(capture("tcpdump-ipv6_invalid_length.pcap").count("truncated"), 1u);
    EXPECT_EQ(capture("tcpdump-udp-length-heapoverflow.pcap").count("ok"), 0u);
    EXPECT_EQ(capture("tcpdump-ipv6-too-long-jumbo.pcap").count("ok"), 0u);
    EXPECT_EQ(capture("tcpdump-ipv6_frag6_negative_len.pcap").count("ok"), 0u);
    // TCP/UDP headers that do not fit the IP length; the two GRE packets are protocol only.
    const CaptureStats& small = capture("suricata-decode-too-small-test.pcap");
    EXPECT_EQ(small.count("bad-header"), 6u);
    EXPECT_EQ(small.count("ok"), 2u);
    EXPECT_EQ(small.count_if([](const ParseResult& r) { return r.ok() && r.key.proto == 47; }), 2u);
    // IPv4 total length 0: a TSO capture; the frame gives the length.
    const CaptureStats& zero = capture("tcpdump-icmp-length-zero.pcapng");
    ASSERT_EQ(zero.count("ok"), 1u);
    EXPECT_TRUE(zero.results[0].key.flags & kKeyL3LenFromFrame);
    EXPECT_EQ(zero.results[0].key.l3_len.host(), zero.wirelens[0] - 14);

    // Full headers, short capture: parses, and the key carries the IP length.
    const CaptureStats& rst = capture("tcpdump-tcp_rst_data-trunc.pcap");
    ASSERT_EQ(rst.count("ok"), 1u);
    EXPECT_TRUE(rst.results[0].key.tcp_flags & kTcpRst);
    EXPECT_LT(rst.caplens[0], rst.wirelens[0]);
    EXPECT_EQ(capture("tcpdump-tcp_rst_data.pcap").count("ok"), 1u);
}

TEST(Captures, TunnelsAreTheirOuterPacket) {
    const CaptureStats& vx = capture("tcpdump-vxlan.pcap");
    EXPECT_EQ(vx.count("ok"), vx.packets);
    EXPECT_EQ(vx.count_if([](const ParseResult& r) { return r.key.proto == 17 && r.key.dport.host() == 4789; }),
              vx.packets);
    const CaptureStats& gen = capture("tcpdump-geneve.pcap");
    EXPECT_GT(gen.count_if([](const ParseResult& r) {
        return r.key.proto == 17 && (r.key.dport.host() == 6081 || r.key.sport.host() == 6081);
    }), 0u);
    const CaptureStats& gre = capture("tcpdump-various_gre.pcap");
    EXPECT_GT(gre.count_if([](const ParseResult& r) { return r.ok() && r.key.proto == 47; }), 0u);
    const CaptureStats& six = capture("arkime-ipv6-in-ipv4.pcap");
    EXPECT_EQ(six.count_if([](const ParseResult& r) { return r.ok() && r.key.proto == 41; }), six.packets);
}

TEST(Captures, ParsedPacketsConvertForTheReferenceEvaluator) {
    const CaptureStats& s = capture("pcapplusplus-example.pcap");
    ASSERT_GT(s.count("ok"), 4000u);
    for (const auto& r : s.results) {
        if (!r.ok()) continue;
        Packet p = to_packet(r);
        // The packet-language text of a parsed packet reads back to the same packet.
        auto back = parse_packet(p.str());
        ASSERT_TRUE(back.ok()) << p.str() << ": " << back.error().str();
        EXPECT_EQ(back->str(), p.str());
        // Options and extension headers are counted as payload, so the sizes agree.
        EXPECT_EQ(p.ip_bytes(), r.key.l3_len.host()) << p.str();
    }
}

} // namespace
} // namespace vpcfw
