// ClassBench-derived rules added to a network (bench/inflate.hpp).
#include "bench/inflate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "bench/classbench.hpp"

namespace vpcfw::bench {

namespace {

// Entries one NACL direction may gain: rule numbers up to 32766 after the highest in use,
// and at most 16000 in all (AWS rule numbers and room for the network's own entries).
constexpr int kMaxEntriesPerDirection = 16000;

uint64_t splitmix(uint64_t& s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::vector<cb::Rule> bundled(uint64_t n, uint64_t seed) {
    std::vector<cb::Rule> out;
    out.reserve(n);
    uint64_t s = seed;
    static const uint8_t lens[] = {8, 16, 16, 24, 24, 24, 28, 32, 32, 32};
    for (uint64_t i = 0; i < n; ++i) {
        cb::Rule r;
        r.src = static_cast<uint32_t>(splitmix(s));
        r.dst = static_cast<uint32_t>(splitmix(s));
        r.src_len = lens[splitmix(s) % 10];
        r.dst_len = lens[splitmix(s) % 10];
        uint64_t k = splitmix(s) % 10;
        if (k < 4) {
            r.dport_lo = r.dport_hi = static_cast<uint16_t>(1 + splitmix(s) % 10000);
        } else if (k < 7) {
            r.dport_lo = static_cast<uint16_t>(1024 + splitmix(s) % 30000);
            r.dport_hi = static_cast<uint16_t>(r.dport_lo + splitmix(s) % 2000);
        }
        uint64_t p = splitmix(s) % 10;
        r.proto = p < 6 ? 6 : p < 9 ? 17 : 0;
        r.proto_mask = p < 9 ? 0xff : 0;
        out.push_back(r);
    }
    return out;
}

Cidr prefix(uint32_t addr, uint8_t len) {
    uint32_t mask = len ? ~uint32_t{0} << (32 - len) : 0;
    return Cidr{IpAddr::v4(addr & mask), len};
}

} // namespace

std::optional<uint64_t> parse_count(const std::string& text) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    double mult = 1;
    std::string num = text;
    char last = text.back();
    if (last == 'k' || last == 'K') mult = 1e3;
    if (last == 'm' || last == 'M') mult = 1e6;
    if (mult != 1) num.pop_back();
    if (num.empty() || num.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
    double v = std::strtod(num.c_str(), nullptr) * mult;
    if (!(v >= 0) || v > 1e9 || v != std::floor(v)) return std::nullopt;
    return static_cast<uint64_t>(v);
}

Result<InflateResult> inflate(Network& net, const InflateOptions& opt) {
    InflateResult res;
    if (opt.rules == 0) return res;
    uint64_t nacl_n = net.network_acls.empty() ? 0 : opt.rules / 2;
    uint64_t sg_n = opt.rules - nacl_n;
    if (net.security_groups.empty()) {
        nacl_n = opt.rules;
        sg_n = 0;
    }
    if (net.network_acls.empty() && net.security_groups.empty())
        return Error{"the network has no NACL and no security group to add rules to", {}, {}, {}, ErrorKind::Input};
    // Room per NACL direction.
    uint64_t room = 0;
    std::vector<std::array<int, 2>> next(net.network_acls.size(), {1, 1});
    for (size_t a = 0; a < net.network_acls.size(); ++a) {
        for (const auto& e : net.network_acls[a].entries)
            if (!e.is_default_deny()) next[a][e.egress] = std::max(next[a][e.egress], e.rule_number + 1);
        for (int d = 0; d < 2; ++d) room += static_cast<uint64_t>(std::min(kMaxEntriesPerDirection, 32767 - next[a][d]));
    }
    if (nacl_n > room)
        return Error{"rules=" + std::to_string(opt.rules) + " needs " + std::to_string(nacl_n) + " NACL entries, but the " +
                         std::to_string(net.network_acls.size()) + " NACL(s) of the network hold at most " + std::to_string(room) +
                         " more (" + std::to_string(kMaxEntriesPerDirection) +
                         " entries per NACL and direction, rule numbers up to 32766)",
                     {}, {}, {}, ErrorKind::Input};
    std::vector<cb::Rule> rules;
    if (!opt.classbench.empty()) {
        std::string how;
        auto r = cb::make_rule_set({opt.classbench}, static_cast<size_t>(opt.rules), &how);
        if (!r) return r.error();
        rules = std::move(*r);
        res.source = opt.classbench + " (" + how + ")";
    } else {
        rules = bundled(opt.rules, opt.seed);
        res.source = "bundled generator (seed " + std::to_string(opt.seed) + ")";
    }
    size_t ri = 0;
    std::vector<std::array<int, 2>> added(net.network_acls.size(), {0, 0});
    // NACL entries: round robin over NACLs and directions with room; allow 3 of 4.
    for (uint64_t i = 0; i < nacl_n; ++ri) {
        const cb::Rule& r = rules[ri % rules.size()];
        size_t a = (ri / 2) % net.network_acls.size();
        int d = static_cast<int>(ri % 2);
        if (next[a][d] > 32766 || added[a][d] >= kMaxEntriesPerDirection) continue;
        ++added[a][d];
        NaclEntry e;
        e.rule_number = next[a][d]++;
        e.egress = d == 1;
        e.proto = r.any_proto() ? kProtoAll : r.proto;
        e.allow = i % 4 != 3;
        e.cidr = e.egress ? prefix(r.dst, r.dst_len) : prefix(r.src, r.src_len);
        if (e.proto == kProtoTcp || e.proto == 17) {
            e.port_from = r.dport_lo;
            e.port_to = r.dport_hi;
        }
        auto& entries = net.network_acls[a].entries;
        entries.insert(std::upper_bound(entries.begin(), entries.end(), e,
                                        [](const NaclEntry& x, const NaclEntry& y) {
                                            return std::pair(x.egress, x.rule_number) < std::pair(y.egress, y.rule_number);
                                        }),
                       e);
        ++i;
        ++res.nacl_entries;
    }
    // SG rules: round robin over groups, ingress and egress in turn.
    for (uint64_t i = 0; i < sg_n; ++i, ++ri) {
        const cb::Rule& r = rules[ri % rules.size()];
        SecurityGroup& g = net.security_groups[i % net.security_groups.size()];
        SgRule s;
        s.egress = (i / net.security_groups.size()) % 2 == 1;
        s.proto = r.any_proto() ? kProtoAll : r.proto;
        if (s.proto == kProtoTcp || s.proto == 17) {
            s.from_port = r.dport_lo;
            s.to_port = r.dport_hi;
        }
        s.cidr = s.egress ? prefix(r.dst, r.dst_len) : prefix(r.src, r.src_len);
        s.description = "bench";
        (s.egress ? g.egress : g.ingress).push_back(s);
        ++res.sg_rules;
    }
    return res;
}

} // namespace vpcfw::bench
