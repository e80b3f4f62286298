// Unit tests for IpAddr and Cidr.
#include <gtest/gtest.h>

#include "ruleset/ip.hpp"

using namespace vpcfw;

TEST(Ip, ParsesAndFormatsBothFamilies) {
    auto a = IpAddr::parse("10.0.1.10");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_v4());
    EXPECT_EQ(a->str(), "10.0.1.10");
    auto b = IpAddr::parse("2001:db8:0:0::10");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->str(), "2001:db8::10");
    EXPECT_FALSE(IpAddr::parse("10.0.1"));
    EXPECT_FALSE(IpAddr::parse("10.0.1.256"));
    EXPECT_FALSE(IpAddr::parse(""));
    EXPECT_FALSE(IpAddr::parse("2001:db8::1::2"));
}

TEST(Ip, CidrCanonicalisesAndContains) {
    auto c = Cidr::parse("100.68.0.18/18");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->str(), "100.68.0.0/18");
    EXPECT_TRUE(c->contains(*IpAddr::parse("100.68.63.255")));
    EXPECT_FALSE(c->contains(*IpAddr::parse("100.68.64.0")));
    EXPECT_FALSE(c->contains(*IpAddr::parse("::1")));
    EXPECT_EQ(c->last().str(), "100.68.63.255");
    auto any6 = Cidr::parse("::/0");
    ASSERT_TRUE(any6);
    EXPECT_TRUE(any6->contains(*IpAddr::parse("2001:db8::1")));
    EXPECT_FALSE(any6->contains(*IpAddr::parse("1.2.3.4")));
    EXPECT_FALSE(Cidr::parse("10.0.0.0/33"));
    EXPECT_FALSE(Cidr::parse("10.0.0.0/"));
    EXPECT_FALSE(Cidr::parse("10.0.0.0"));
    EXPECT_TRUE(Cidr::parse("10.0.0.1", true));
    EXPECT_EQ(Cidr::parse("2001:db8:1:2::/48")->str(), "2001:db8:1::/48");
}

TEST(Ip, PlusWalksAcrossBytes) {
    EXPECT_EQ(IpAddr::parse("10.0.0.255")->plus(2).str(), "10.0.1.1");
    EXPECT_EQ(IpAddr::parse("2001:db8::ffff")->plus(1).str(), "2001:db8::1:0");
}
