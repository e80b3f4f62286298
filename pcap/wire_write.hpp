// Writing header fields of frames we build (gen-trace's captures, bench's ClassBench
// traffic): big-endian stores and the Internet checksum (RFC 1071) as a running 32-bit sum
// and its fold. Cold code for generators; the dataplane parses with its own readers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vpcfw::wire {

inline void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

inline void put32(uint8_t* p, uint32_t v) {
    put16(p, static_cast<uint16_t>(v >> 16));
    put16(p + 2, static_cast<uint16_t>(v));
}

// The 16-bit words of p[0..n) added to s (an odd last byte padded with zero).
inline uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
    return s;
}

// The checksum field for a running sum: carries folded in, ones' complement.
inline uint16_t fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
}

} // namespace vpcfw::wire
