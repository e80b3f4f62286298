// The lock-free MAC learning table of a live port (dataplane/mac_table.hpp).
#include "dataplane/mac_table.hpp"

#include <cstring>

#include <rte_hash_crc.h>

namespace vpcfw {

namespace {

uint64_t addr_hash(const IpAddr& ip) {
    // IpAddr's bytes sit at offset 1; rte_hash_crc reads 8-byte words, so hash an aligned copy.
    alignas(8) uint8_t b[16];
    std::memcpy(b, ip.bytes.data(), 16);
    uint64_t h = rte_hash_crc(b, 16, static_cast<uint32_t>(ip.family));
    h = (h << 32) | rte_hash_crc(b, 16, 0x9e3779b9u);
    return h | 1;   // 0 marks an empty slot
}

uint64_t mac_word(const uint8_t mac[6]) {
    uint64_t w = 0;
    std::memcpy(&w, mac, 6);
    return w | (1ull << 63);
}

} // namespace

MacTable::MacTable() : slots_(new Slot[kSlots]) {}

bool MacTable::lookup(const IpAddr& ip, uint8_t mac[6]) const {
    uint64_t k = addr_hash(ip);
    const Slot& s = slots_[k & (kSlots - 1)];
    if (s.key.load(std::memory_order_acquire) != k) return false;
    uint64_t w = s.mac.load(std::memory_order_relaxed);
    if (!(w >> 63) || s.key.load(std::memory_order_acquire) != k) return false;
    std::memcpy(mac, &w, 6);
    return true;
}

void MacTable::learn(const IpAddr& ip, const uint8_t mac[6]) {
    if (mac[0] & 1) return;   // multicast/broadcast source: not a host
    uint64_t k = addr_hash(ip);
    uint64_t w = mac_word(mac);
    Slot& s = slots_[k & (kSlots - 1)];
    // Written only when it changes, so the table stays read-mostly (no cache-line ping-pong).
    if (s.key.load(std::memory_order_relaxed) == k && s.mac.load(std::memory_order_relaxed) == w) return;
    s.key.store(0, std::memory_order_relaxed);
    s.mac.store(w, std::memory_order_release);
    s.key.store(k, std::memory_order_release);
}

size_t MacTable::size() const {
    size_t n = 0;
    for (unsigned i = 0; i < kSlots; ++i) n += slots_[i].key.load(std::memory_order_relaxed) != 0;
    return n;
}

} // namespace vpcfw
