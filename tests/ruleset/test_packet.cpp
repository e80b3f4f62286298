// The packet language of docs/interface.md: every form it shows parses, prints back, and bad
// packets are refused with a message naming what is wrong.
#include <gtest/gtest.h>

#include "ruleset/packet.hpp"

using namespace vpcfw;

TEST(PacketLanguage, ParsesTheInterfaceExamples) {
    auto p = parse_packet("tcp 10.0.1.10:40000 -> 10.0.2.20:443 flags=S");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->proto, 6);
    EXPECT_EQ(p->src.str(), "10.0.1.10");
    EXPECT_EQ(p->sport, 40000);
    EXPECT_EQ(p->dport, 443);
    EXPECT_EQ(p->tcp_flags, kTcpSyn);

    auto u = parse_packet("udp 10.0.1.10:5353 -> 10.0.0.2:53");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->proto, 17);
    EXPECT_EQ(u->tcp_flags, 0);

    auto i = parse_packet("icmp 10.0.1.10 -> 8.8.8.8 type=8 code=0");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->proto, 1);
    EXPECT_EQ(i->icmp_type, 8);

    auto i6 = parse_packet("icmpv6 [2001:db8:1::10] -> [2001:db8:2::20] type=128 code=0");
    ASSERT_TRUE(i6);
    EXPECT_EQ(i6->proto, 58);
    EXPECT_FALSE(i6->src.is_v4());

    auto t6 = parse_packet("tcp [2001:db8:1::10]:40000 -> [2001:db8:2::20]:22 flags=SA");
    ASSERT_TRUE(t6);
    EXPECT_EQ(t6->tcp_flags, kTcpSyn | kTcpAck);
    EXPECT_EQ(t6->dport, 22);

    auto gre = parse_packet("47 10.0.1.10 -> 10.0.2.20");
    ASSERT_TRUE(gre);
    EXPECT_EQ(gre->proto, 47);

    auto frag = parse_packet("17 10.0.1.10 -> 10.0.2.20 frag=last id=7");
    ASSERT_TRUE(frag) << frag.error().message;
    EXPECT_EQ(frag->frag, Frag::Last);
    EXPECT_EQ(frag->frag_id, 7u);
    EXPECT_FALSE(frag->has_l4());

    auto first = parse_packet("udp 10.0.1.10:1000 -> 10.0.2.20:2000 frag=first");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->frag_id, 1u);
}

TEST(PacketLanguage, Defaults) {
    auto t = parse_packet("tcp 10.0.0.1:1 -> 10.0.0.2:2");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->tcp_flags, kTcpSyn);  // default S
    auto i = parse_packet("icmp 10.0.0.1 -> 10.0.0.2");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->icmp_type, 8);        // echo request
    auto i6 = parse_packet("icmpv6 2001:db8::1 -> 2001:db8::2");
    ASSERT_TRUE(i6);
    EXPECT_EQ(i6->icmp_type, 128);
}

TEST(PacketLanguage, OptionalKeys) {
    auto p = parse_packet("tcp 10.0.0.1:1 -> 10.0.0.2:2 flags=FA len=100 ttl=3 vlan=42");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->tcp_flags, kTcpFin | kTcpAck);
    EXPECT_EQ(p->payload_len, 100u);
    EXPECT_EQ(p->ttl, 3);
    EXPECT_EQ(p->vlan, 42);
    EXPECT_EQ(p->ip_bytes(), 20u + 20u + 100u);
    auto e = parse_packet("icmp 10.0.0.1 -> 10.0.0.2 icmp-id=77");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->icmp_id, 77);
}

TEST(PacketLanguage, RoundTrips) {
    for (const char* text : {"tcp 10.0.1.10:40000 -> 10.0.2.20:443 flags=SA",
                             "udp [2001:db8::1]:53 -> [2001:db8::2]:5353 len=12",
                             "icmp 10.0.0.1 -> 10.0.0.2 type=3 code=4",
                             "17 10.0.1.10 -> 10.0.2.20 frag=more id=9", "47 10.0.1.10 -> 10.0.2.20",
                             // No flags: printed as flags=0, which must parse back (found by
                             // tests/fuzz/packet_fuzz.cpp from "flags=").
                             "tcp 10.9.1.1:3 -> 10.0.1.10:1 flags=", "tcp 10.9.1.1:3 -> 10.0.1.10:1 flags=0"}) {
        auto p = parse_packet(text);
        ASSERT_TRUE(p) << text;
        auto q = parse_packet(p->str());
        ASSERT_TRUE(q) << p->str();
        EXPECT_EQ(q->str(), p->str());
    }
}

TEST(PacketLanguage, RefusesBadPackets) {
    const char* bad[] = {
        "",                                             // empty
        "tcp 10.0.0.1:1 10.0.0.2:2",                    // no arrow
        "foo 10.0.0.1:1 -> 10.0.0.2:2",                 // unknown protocol
        "300 10.0.0.1 -> 10.0.0.2",                     // protocol out of range
        "tcp 10.0.0.1 -> 10.0.0.2:2",                   // missing source port
        "tcp 10.0.0.1:70000 -> 10.0.0.2:2",             // port out of range
        "tcp 10.0.0.1:1 -> [2001:db8::1]:2",            // mixed families
        "icmp [2001:db8::1] -> [2001:db8::2]",          // icmp with IPv6
        "icmpv6 10.0.0.1 -> 10.0.0.2",                  // icmpv6 with IPv4
        "tcp 10.0.0.1:1 -> 10.0.0.2:2 flags=SX",        // unknown flag
        "tcp 10.0.0.1:1 -> 10.0.0.2:2 color=red",       // unknown key
        "tcp 10.0.0.1:1 -> 10.0.0.2:2 ttl",             // key without value
        "udp 10.0.0.1:1 -> 10.0.0.2:2 flags=S",         // flags on udp
        "17 10.0.0.1:1 -> 10.0.0.2:2 frag=last",        // ports on a non-first fragment
        "47 10.0.0.1:1 -> 10.0.0.2:2",                  // ports on GRE
        "tcp 10.0.0.1:1 -> 10.0.0.2:2 frag=middle",     // bad frag value
        "tcp 10.0.0.256:1 -> 10.0.0.2:2",               // bad address
    };
    for (const char* text : bad) {
        auto p = parse_packet(text);
        EXPECT_FALSE(p) << "accepted: " << text;
        if (!p) {
            EXPECT_FALSE(p.error().message.empty());
        }
    }
}

TEST(PacketLanguage, ReplyOf) {
    auto p = parse_packet("icmp 10.0.0.1 -> 10.0.0.2 type=8 icmp-id=5");
    ASSERT_TRUE(p);
    Packet r = reply_of(*p);
    EXPECT_EQ(r.src.str(), "10.0.0.2");
    EXPECT_EQ(r.icmp_type, 0);
    EXPECT_EQ(r.icmp_id, 5);
    auto t = parse_packet("tcp 10.0.0.1:1000 -> 10.0.0.2:80");
    Packet tr = reply_of(*t);
    EXPECT_EQ(tr.sport, 80);
    EXPECT_EQ(tr.dport, 1000);
    EXPECT_EQ(tr.tcp_flags, kTcpSyn | kTcpAck);
}
