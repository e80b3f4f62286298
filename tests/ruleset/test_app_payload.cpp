// Tests of the inspection layer's packet-language keys (docs/inspection.md §7) and the
// single-packet buffer parsers (ruleset/app_payload.hpp): each builder's bytes parse back
// to the name; cut payloads give absent buffers; bad keys are refused naming the problem.
#include <gtest/gtest.h>

#include "ruleset/app_payload.hpp"
#include "ruleset/packet.hpp"

namespace vpcfw {
namespace {

TEST(AppPayload, TlsSniRoundTripsAndCutRecordHasNone) {
    std::string ch = tls_client_hello("www.Example.com");
    AppBuffers b = parse_app_payload(ch, true, false);
    EXPECT_EQ(b.proto, AppProto::Tls);
    EXPECT_TRUE(b.client_hello);
    ASSERT_TRUE(b.tls_sni);
    EXPECT_EQ(*b.tls_sni, "www.Example.com");   // as sent (§10.7)
    AppBuffers cut = parse_app_payload(ch.substr(0, ch.size() - 3), true, false);
    EXPECT_EQ(cut.proto, AppProto::Tls);
    EXPECT_FALSE(cut.tls_sni);
    EXPECT_FALSE(cut.client_hello);
}

TEST(AppPayload, HttpHostLowercasedPortAndDotStripped) {
    AppBuffers b = parse_app_payload("GET / HTTP/1.1\r\nHost: API.GitHub.com.:8080\r\nAccept: */*\r\n\r\n", true, false);
    EXPECT_EQ(b.proto, AppProto::Http);
    ASSERT_TRUE(b.http_host);
    EXPECT_EQ(*b.http_host, "api.github.com");
    ASSERT_TRUE(b.http_header_names);
    EXPECT_EQ(*b.http_header_names, "\r\nHost\r\nAccept\r\n\r\n");
    AppBuffers abs = parse_app_payload("GET http://x.org/a HTTP/1.1\r\nHost: y.org\r\n\r\n", true, false);
    ASSERT_TRUE(abs.http_host);
    EXPECT_EQ(*abs.http_host, "x.org");   // the absolute URI wins (§4.7)
    EXPECT_FALSE(parse_app_payload("GET / HTTP/1.1\r\nHost: a", true, false).http_host);
}

TEST(AppPayload, DnsQueryOverUdpAndTcp) {
    for (bool tcp : {false, true}) {
        AppBuffers b = parse_app_payload(dns_query("www.evil.test", tcp), tcp, true);
        EXPECT_EQ(b.proto, AppProto::Dns);
        ASSERT_TRUE(b.dns_query) << tcp;
        EXPECT_EQ(*b.dns_query, "www.evil.test");
    }
    EXPECT_FALSE(parse_app_payload(dns_query("a.b", false), false, false).dns_query);   // C21: port 53 only
}

TEST(PacketPayloadKeys, SetPayloadLengthAndFlags) {
    auto p = parse_packet("tcp 10.0.0.1:1 -> 10.0.0.2:443 tls-sni=a.example");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->payload, tls_client_hello("a.example"));
    EXPECT_EQ(p->payload_len, p->payload.size());
    EXPECT_EQ(p->tcp_flags, kTcpPsh | kTcpAck);
    EXPECT_EQ(p->str(), "tcp 10.0.0.1:1 -> 10.0.0.2:443 flags=AP tls-sni=a.example");
    auto q = parse_packet("udp 10.0.0.1:1 -> 10.0.0.2:5000 payload=\"a b\\x41\\n\"");
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_EQ(q->payload, "a bA\n");
    auto h = parse_packet("udp 10.0.0.1:1 -> 10.0.0.2:5000 payload=hex:00ff");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->payload, std::string("\x00\xff", 2));
}

TEST(PacketPayloadKeys, Refusals) {
    auto bad = [](const char* t) {
        auto p = parse_packet(t);
        return p ? std::string("parsed") : p.error().message;
    };
    EXPECT_NE(bad("tcp 10.0.0.1:1 -> 10.0.0.2:80 http-host=a tls-sni=b").find("at most one"), std::string::npos);
    EXPECT_NE(bad("tcp 10.0.0.1:1 -> 10.0.0.2:80 http-host=a len=5").find("len="), std::string::npos);
    EXPECT_NE(bad("udp 10.0.0.1:1 -> 10.0.0.2:80 payload=hex:abc").find("even number"), std::string::npos);
    EXPECT_NE(bad("udp 10.0.0.1:1 -> 10.0.0.2:80 payload=\"x\\q\"").find("unknown escape"), std::string::npos);
    EXPECT_NE(bad("udp 10.0.0.1:1 -> 10.0.0.2:80 payload=bare").find("payload= takes"), std::string::npos);
}

} // namespace
} // namespace vpcfw
