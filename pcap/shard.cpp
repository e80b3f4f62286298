// FlowSharder and flow_id. worker_of() runs per packet on the driver's workers: two hash
// lookups, no allocation.
#include "pcap/shard.hpp"

#include <cstring>

namespace vpcfw {

namespace {

uint64_t mix(uint64_t x) {  // splitmix64 finaliser: stable on every machine
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t hash_addr(const IpAddr& a) {
    uint64_t w[2];
    std::memcpy(w, a.bytes.data(), 16);
    return mix(w[0] ^ mix(w[1] ^ static_cast<uint64_t>(a.family)));
}

} // namespace

FlowSharder::FlowSharder(const Network& net) {
    auto own = [&](const IpAddr& a, const IpAddr& priv) { owned_.emplace(a, priv); };
    for (const auto& e : net.enis) {
        for (const auto& p : e.private_ips) {
            own(p.addr, p.addr);
            if (p.public_ip) own(*p.public_ip, p.addr);
        }
        for (const auto& v6 : e.ipv6) own(v6, v6);
        for (const auto& c : e.prefixes4) prefixes_.push_back(c);
        for (const auto& c : e.prefixes6) prefixes_.push_back(c);
    }
    for (const auto& eip : net.elastic_ips)
        if (eip.private_ip) own(eip.public_ip, *eip.private_ip);
    for (const auto& g : net.nat_gateways)
        for (const auto& a : g.addresses) {
            if (a.private_ip) own(*a.private_ip, *a.private_ip);
            if (a.public_ip && a.private_ip) own(*a.public_ip, *a.private_ip);
        }
}

IpAddr FlowSharder::canonical(const IpAddr& a, bool& owned) const {
    auto it = owned_.find(a);
    if (it != owned_.end()) {
        owned = true;
        return it->second;
    }
    owned = false;
    for (const auto& c : prefixes_)
        if (c.contains(a)) {
            owned = true;
            break;
        }
    return a;
}

unsigned FlowSharder::worker_of(const FlowKey& key, unsigned n) const {
    if (n <= 1 || (key.version != 4 && key.version != 6)) return 0;
    bool srcOwned = false, dstOwned = false;
    IpAddr s = canonical(addr_of(key.src, key.version), srcOwned);
    IpAddr d = canonical(addr_of(key.dst, key.version), dstOwned);
    uint64_t h;
    if (srcOwned && !dstOwned) h = hash_addr(d);
    else if (dstOwned && !srcOwned) h = hash_addr(s);
    else {
        uint64_t a = hash_addr(s), b = hash_addr(d);
        h = mix(a < b ? a ^ mix(b) : b ^ mix(a));
    }
    return static_cast<unsigned>((static_cast<unsigned __int128>(h) * n) >> 64);
}

uint64_t flow_id(const FlowKey& key) {
    // Endpoint = (address words, port); ICMP uses the identifier for both ends so that a
    // request and its reply share the id; later fragments have no ports.
    uint16_t sp = 0, dp = 0;
    bool icmp = key.proto == 1 || key.proto == 58;
    if (!key.is_later_fragment()) {
        if (icmp) sp = dp = key.icmp_id.host();
        else if (key.proto == 6 || key.proto == 17 || key.proto == 132) {
            sp = key.sport.host();
            dp = key.dport.host();
        }
    }
    uint64_t a = 0, b = 0;
    for (unsigned i = 0; i < 4; ++i) {
        a = mix(a ^ key.src[i].raw);
        b = mix(b ^ key.dst[i].raw);
    }
    a = mix(a ^ sp);
    b = mix(b ^ dp);
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    return mix(mix(lo) ^ hi ^ (static_cast<uint64_t>(key.proto) << 8) ^ key.version);
}

} // namespace vpcfw
