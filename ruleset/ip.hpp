// IP addresses and CIDR blocks of both families, as the model and the packet language
// use them. Plain immutable values; any thread may use them. Cold-path parsing only.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vpcfw {

enum class Family : uint8_t { V4 = 4, V6 = 6 };

// An IPv4 or IPv6 address. IPv4 uses bytes[0..3] (network order) and zeroes the rest,
// so that comparison and hashing need no special case.
struct IpAddr {
    Family family = Family::V4;
    std::array<uint8_t, 16> bytes{};

    static std::optional<IpAddr> parse(std::string_view text);      // "10.0.0.1", "2001:db8::1"
    static IpAddr v4(uint32_t host_order);
    uint32_t v4_host() const;                                        // only for Family::V4
    bool is_v4() const { return family == Family::V4; }
    int bits() const { return is_v4() ? 32 : 128; }
    std::string str() const;
    // The address `n` above this one (wraps within the family); used for base+1, base+2.
    IpAddr plus(uint64_t n) const;

    auto operator<=>(const IpAddr&) const = default;
    bool operator==(const IpAddr&) const = default;
};

// A prefix; the base is always canonical (host bits zero), as AWS canonicalises input
// (`100.68.0.18/18` becomes `100.68.0.0/18`).
struct Cidr {
    IpAddr base;
    uint8_t len = 0;

    // Accepts "a.b.c.d/n" and "x::y/n"; with `allow_host`, a bare address as /32 or /128.
    static std::optional<Cidr> parse(std::string_view text, bool allow_host = false);
    static Cidr host(const IpAddr& a) { return Cidr{a, static_cast<uint8_t>(a.bits())}; }
    Family family() const { return base.family; }
    bool contains(const IpAddr& a) const;
    bool contains(const Cidr& c) const { return c.len >= len && contains(c.base); }
    bool overlaps(const Cidr& c) const { return contains(c.base) || c.contains(base); }
    bool is_any() const { return len == 0; }   // 0.0.0.0/0 or ::/0
    IpAddr last() const;                        // highest address in the block
    std::string str() const;

    auto operator<=>(const Cidr&) const = default;
    bool operator==(const Cidr&) const = default;
};

struct IpAddrHash {
    size_t operator()(const IpAddr& a) const noexcept;
};

} // namespace vpcfw
