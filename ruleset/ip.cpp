// Parsing and formatting of addresses and prefixes: inet_pton/inet_ntop do the work.
#include "ruleset/ip.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace vpcfw {

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    char buf[65];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IpAddr a;
    if (text.find(':') == std::string_view::npos) {
        // inet_pton accepts only dotted quads with exactly four parts: what we want.
        if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
        a.family = Family::V4;
        return a;
    }
    if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
    a.family = Family::V6;
    return a;
}

IpAddr IpAddr::v4(uint32_t h) {
    IpAddr a;
    a.family = Family::V4;
    a.bytes[0] = static_cast<uint8_t>(h >> 24);
    a.bytes[1] = static_cast<uint8_t>(h >> 16);
    a.bytes[2] = static_cast<uint8_t>(h >> 8);
    a.bytes[3] = static_cast<uint8_t>(h);
    return a;
}

uint32_t IpAddr::v4_host() const {
    return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) |
           uint32_t(bytes[3]);
}

std::string IpAddr::str() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

IpAddr IpAddr::plus(uint64_t n) const {
    IpAddr r = *this;
    int last = is_v4() ? 3 : 15;
    for (int i = last; i >= 0 && n; --i) {
        uint64_t s = uint64_t(r.bytes[i]) + (n & 0xff);
        r.bytes[i] = static_cast<uint8_t>(s);
        n = (n >> 8) + (s >> 8);
    }
    return r;
}

static IpAddr masked(IpAddr a, int len) {
    int nbytes = a.is_v4() ? 4 : 16;
    for (int i = 0; i < nbytes; ++i) {
        int keep = len - i * 8;
        if (keep >= 8) continue;
        a.bytes[i] &= keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    }
    return a;
}

std::optional<Cidr> Cidr::parse(std::string_view text, bool allow_host) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        if (!allow_host) return std::nullopt;
        auto a = IpAddr::parse(text);
        if (!a) return std::nullopt;
        return Cidr::host(*a);
    }
    auto a = IpAddr::parse(text.substr(0, slash));
    if (!a) return std::nullopt;
    auto lenText = text.substr(slash + 1);
    if (lenText.empty() || lenText.size() > 3) return std::nullopt;
    int len = 0;
    for (char c : lenText) {
        if (c < '0' || c > '9') return std::nullopt;
        len = len * 10 + (c - '0');
    }
    if (len > a->bits()) return std::nullopt;
    return Cidr{masked(*a, len), static_cast<uint8_t>(len)};
}

bool Cidr::contains(const IpAddr& a) const {
    if (a.family != base.family) return false;
    return masked(a, len) == base;
}

IpAddr Cidr::last() const {
    IpAddr r = base;
    int nbytes = base.is_v4() ? 4 : 16;
    for (int i = 0; i < nbytes; ++i) {
        int keep = len - i * 8;
        if (keep >= 8) continue;
        r.bytes[i] |= keep <= 0 ? 0xff : static_cast<uint8_t>(0xff >> keep);
    }
    return r;
}

std::string Cidr::str() const { return base.str() + "/" + std::to_string(len); }

size_t IpAddrHash::operator()(const IpAddr& a) const noexcept {
    uint64_t h = 1469598103934665603ull ^ static_cast<uint8_t>(a.family);
    for (uint8_t b : a.bytes) h = (h ^ b) * 1099511628211ull;
    return static_cast<size_t>(h);
}

} // namespace vpcfw
