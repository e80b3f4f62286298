// ClassBench files -> rule sets, traces, AWS networks, frames, pcap and dpdk-test-acl
// input (bench/classbench.hpp). Cold code for benchmark set-up and vpcfw-cbnet.
#include "bench/classbench.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <unordered_map>

#include "pcap/wire_write.hpp"

namespace vpcfw::cb {

namespace {

Error file_error(const std::string& path, size_t line, const std::string& msg) {
    Error e = make_error(msg);
    e.file = path;
    if (line) e.where = "line " + std::to_string(line);
    return e;
}

uint32_t prefix_mask(uint8_t len) { return len == 0 ? 0 : ~0u << (32 - len); }

std::string dotted(uint32_t a) {
    char b[16];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return b;
}

std::string cidr_text(uint32_t base, uint8_t len) {
    return dotted(base & prefix_mask(len)) + "/" + std::to_string(len);
}

// "a.b.c.d/len" -> host-order address and length.
bool parse_prefix(const std::string& s, uint32_t& addr, uint8_t& len) {
    unsigned a, b, c, d, l;
    char tail;
    if (std::sscanf(s.c_str(), "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &l, &tail) != 5) return false;
    if (a > 255 || b > 255 || c > 255 || d > 255 || l > 32) return false;
    addr = (a << 24) | (b << 16) | (c << 8) | d;
    len = static_cast<uint8_t>(l);
    return true;
}

// Addresses no ENI gets here: 0/8 ("this network"; the fw traces use 0.0.0.0), 100/8 (the
// VPC's own subnets live in 100.64/10), loopback, link-local (AWS services: DNS, metadata,
// Time Sync) and the limited broadcast (DHCP). Multicast and class E ranges are kept: the
// seeds put many rules there (acl1's sources are 237.x) and no evaluator treats them apart.
bool special_address(uint32_t a) {
    uint32_t top = a >> 24;
    return top == 0 || top == 100 || top == 127 || (a >> 16) == 0xA9FE || a == 0xFFFFFFFFu;
}

uint16_t ip_checksum(const uint8_t* p, size_t n) { return wire::fold(wire::sum16(p, n)); }
using wire::put16;
using wire::put32;

} // namespace

bool Rule::matches(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint8_t p) const {
    return ((s ^ src) & prefix_mask(src_len)) == 0 && ((d ^ dst) & prefix_mask(dst_len)) == 0 &&
           sp >= sport_lo && sp <= sport_hi && dp >= dport_lo && dp <= dport_hi &&
           (p & proto_mask) == (proto & proto_mask);
}

Result<std::vector<Rule>> read_rules(const std::string& path, size_t limit) {
    std::ifstream in(path);
    if (!in) return file_error(path, 0, "cannot open ClassBench rule file");
    std::vector<Rule> out;
    std::string line;
    for (size_t ln = 1; std::getline(in, line) && (limit == 0 || out.size() < limit); ++ln) {
        if (line.empty() || line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (line[0] != '@') return file_error(path, ln, "rule line does not start with '@'");
        std::istringstream ss(line.substr(1));
        std::string src, dst, c1, c2, proto;
        unsigned slo, shi, dlo, dhi;
        if (!(ss >> src >> dst >> slo >> c1 >> shi >> dlo >> c2 >> dhi >> proto) || c1 != ":" || c2 != ":")
            return file_error(path, ln, "expected 'SRC/LEN DST/LEN LO : HI LO : HI PROTO/MASK'");
        Rule r;
        if (!parse_prefix(src, r.src, r.src_len)) return file_error(path, ln, "bad source prefix '" + src + "'");
        if (!parse_prefix(dst, r.dst, r.dst_len))
            return file_error(path, ln, "bad destination prefix '" + dst + "'");
        if (slo > shi || shi > 65535 || dlo > dhi || dhi > 65535)
            return file_error(path, ln, "port range out of order or above 65535");
        unsigned pv = 0, pm = 0;
        if (std::sscanf(proto.c_str(), "%x/%x", &pv, &pm) != 2 || pv > 255 || pm > 255)
            return file_error(path, ln, "bad protocol '" + proto + "' (want 0xVV/0xMM)");
        r.src &= prefix_mask(r.src_len);
        r.dst &= prefix_mask(r.dst_len);
        r.sport_lo = static_cast<uint16_t>(slo);
        r.sport_hi = static_cast<uint16_t>(shi);
        r.dport_lo = static_cast<uint16_t>(dlo);
        r.dport_hi = static_cast<uint16_t>(dhi);
        r.proto = static_cast<uint8_t>(pv);
        r.proto_mask = static_cast<uint8_t>(pm);
        out.push_back(r);
    }
    return out;
}

Result<std::vector<Header>> read_trace(const std::string& path, size_t limit) {
    std::ifstream in(path);
    if (!in) return file_error(path, 0, "cannot open ClassBench trace file");
    std::vector<Header> out;
    std::string line;
    for (size_t ln = 1; std::getline(in, line) && (limit == 0 || out.size() < limit); ++ln) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::istringstream ss(line);
        uint64_t src, dst, sp, dp, proto, extra = 0, rule = 0;
        if (!(ss >> src >> dst >> sp >> dp >> proto))
            return file_error(path, ln, "expected 'SRC DST SPORT DPORT PROTO [EXTRA RULE]'");
        ss >> extra >> rule;
        if (src > 0xffffffffu || dst > 0xffffffffu || sp > 65535 || dp > 65535 || proto > 255)
            return file_error(path, ln, "field out of range");
        Header h;
        h.src = static_cast<uint32_t>(src);
        h.dst = static_cast<uint32_t>(dst);
        h.sport = static_cast<uint16_t>(sp);
        h.dport = static_cast<uint16_t>(dp);
        h.proto = static_cast<uint8_t>(proto);
        h.rule = static_cast<uint32_t>(rule);
        out.push_back(h);
    }
    return out;
}

std::string trace_path_for(const std::string& rules_path) {
    for (const char* suffix : {"_trace", "_trace_gen"}) {
        std::ifstream f(rules_path + suffix);
        if (f) return rules_path + suffix;
    }
    return {};
}

Result<std::vector<Rule>> make_rule_set(const std::vector<std::string>& files, size_t count, std::string* how) {
    std::vector<Rule> seeds;
    std::ostringstream note;
    for (const auto& f : files) {
        if (seeds.size() >= count) break;
        auto r = read_rules(f);
        if (!r.ok()) return r.error();
        if (r->empty()) return file_error(f, 0, "no rules in file");
        size_t take = std::min(r->size(), count - seeds.size());
        seeds.insert(seeds.end(), r->begin(), r->begin() + static_cast<long>(take));
        note << (note.tellp() ? " + " : "") << f.substr(f.find_last_of('/') + 1) << "[" << take << "]";
    }
    if (seeds.empty()) return make_error("no rule files given");
    std::vector<Rule> out = seeds;
    if (out.size() < count) {
        // Round k (k >= 1) re-uses the seeds with the top octet of each prefix of length >= 8
        // moved by a per-round offset: same field structure, other address space.
        std::mt19937 rng(20240601);
        size_t rounds = 0;
        while (out.size() < count) {
            ++rounds;
            uint32_t shift_src = 1 + rng() % 255, shift_dst = 1 + rng() % 255;
            for (size_t i = 0; i < seeds.size() && out.size() < count; ++i) {
                Rule r = seeds[i];
                if (r.src_len >= 8) r.src = (r.src & 0x00ffffffu) | (((r.src >> 24) + shift_src) & 255) << 24;
                if (r.dst_len >= 8) r.dst = (r.dst & 0x00ffffffu) | (((r.dst >> 24) + shift_dst) & 255) << 24;
                out.push_back(r);
            }
        }
        note << " + " << (count - seeds.size()) << " synthesised (" << rounds
             << " round(s) of the above with the top octet of prefixes >= /8 shifted)";
    }
    if (how) *how = note.str();
    return out;
}

std::vector<Header> sample_trace(const std::vector<Rule>& rules, size_t count, uint64_t seed) {
    std::vector<Header> out;
    if (rules.empty()) return out;
    std::mt19937_64 rng(seed);
    static const uint8_t kAnyProtos[] = {6, 17, 1, 47};
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        uint32_t ri = static_cast<uint32_t>(rng() % rules.size());
        const Rule& r = rules[ri];
        Header h;
        h.src = r.src | (static_cast<uint32_t>(rng()) & ~prefix_mask(r.src_len));
        h.dst = r.dst | (static_cast<uint32_t>(rng()) & ~prefix_mask(r.dst_len));
        h.sport = static_cast<uint16_t>(r.sport_lo + rng() % (r.sport_hi - r.sport_lo + 1u));
        h.dport = static_cast<uint16_t>(r.dport_lo + rng() % (r.dport_hi - r.dport_lo + 1u));
        h.proto = r.any_proto() ? kAnyProtos[rng() % 4] : r.proto;
        if (!r.any_proto() && r.proto_mask != 0xff) h.proto = static_cast<uint8_t>(r.proto & r.proto_mask);
        h.rule = ri;
        out.push_back(h);
    }
    return out;
}

Result<Workload> make_workload(const std::vector<std::string>& files, size_t count, const std::string& trace_file,
                               uint64_t seed) {
    Workload w;
    if (count == 0) return make_error("rule count must be > 0");
    auto rules = make_rule_set(files, count, &w.how);
    if (!rules.ok()) return rules.error();
    w.rules = std::move(*rules);
    std::string trace = trace_file;
    bool own = false;
    if (trace.empty() && !files.empty()) {
        auto first = read_rules(files[0], count);
        if (first.ok() && first->size() == count) {
            trace = trace_path_for(files[0]);
            own = !trace.empty();
        }
    }
    if (!trace.empty()) {
        auto t = read_trace(trace);
        if (!t.ok()) return t.error();
        for (const Header& h : *t)
            if (!own || h.rule < count) w.trace.push_back(h);
        w.how += "; trace " + trace.substr(trace.find_last_of('/') + 1) + " (" + std::to_string(w.trace.size()) +
                 " headers" + (own ? " of the rules kept)" : ")");
    } else {
        w.trace = sample_trace(w.rules, 10 * count, seed);
        w.how += "; trace sampled from the rules (" + std::to_string(w.trace.size()) + " headers, seed " +
                 std::to_string(seed) + ")";
    }
    return w;
}

long first_match(const std::vector<Rule>& rules, const Header& h) {
    for (size_t i = 0; i < rules.size(); ++i)
        if (rules[i].matches(h.src, h.dst, h.sport, h.dport, h.proto)) return static_cast<long>(i);
    return -1;
}

const char* form_name(Form f) {
    switch (f) {
    case Form::Nacl: return "nacl";
    case Form::Sg: return "sg";
    case Form::Both: return "both";
    }
    return "?";
}

bool parse_form(const std::string& s, Form& out) {
    if (s == "nacl") out = Form::Nacl;
    else if (s == "sg") out = Form::Sg;
    else if (s == "both") out = Form::Both;
    else return false;
    return true;
}

// ---- the network -------------------------------------------------------------------------

namespace {

using nlohmann::json;

const char* kAz = "us-east-1a";
const char* kOwner = "111122223333";
const char* kVpc = "vpc-0cb0000000000000a";

json tags(const std::string& name) { return json::array({{{"Key", "Name"}, {"Value", name}}}); }

// A NACL entry / SG permission for one rule, on one side of it.
json nacl_entry(const Rule& r, bool egress, int number, bool allow) {
    json e = {{"RuleNumber", number},
              {"Egress", egress},
              {"RuleAction", allow ? "allow" : "deny"},
              {"CidrBlock", egress ? cidr_text(r.dst, r.dst_len) : cidr_text(r.src, r.src_len)}};
    if (r.any_proto()) {
        e["Protocol"] = "-1";
    } else {
        e["Protocol"] = std::to_string(r.proto);
        if (r.proto == 6 || r.proto == 17) e["PortRange"] = {{"From", r.dport_lo}, {"To", r.dport_hi}};
    }
    return e;
}

json allow_all_entry(bool egress, int number, bool allow) {
    return {{"RuleNumber", number}, {"Egress", egress}, {"Protocol", "-1"},
            {"RuleAction", allow ? "allow" : "deny"}, {"CidrBlock", "0.0.0.0/0"}};
}

json sg_permission(const Rule& r, bool egress) {
    json p;
    std::string peer = egress ? cidr_text(r.dst, r.dst_len) : cidr_text(r.src, r.src_len);
    if (r.any_proto()) {
        p["IpProtocol"] = "-1";
    } else if (r.proto == 6 || r.proto == 17) {
        p["IpProtocol"] = r.proto == 6 ? "tcp" : "udp";
        p["FromPort"] = r.dport_lo;
        p["ToPort"] = r.dport_hi;
    } else if (r.proto == 1) {
        p["IpProtocol"] = "icmp";
        p["FromPort"] = -1;
        p["ToPort"] = -1;
    } else {
        p["IpProtocol"] = std::to_string(r.proto);
    }
    p["IpRanges"] = json::array({{{"CidrIp", peer}}});
    p["Ipv6Ranges"] = json::array();
    p["PrefixListIds"] = json::array();
    p["UserIdGroupPairs"] = json::array();
    return p;
}

json open_permission() {
    return {{"IpProtocol", "-1"}, {"IpRanges", json::array({{{"CidrIp", "0.0.0.0/0"}}})},
            {"Ipv6Ranges", json::array()}, {"PrefixListIds", json::array()},
            {"UserIdGroupPairs", json::array()}};
}

std::string hex_id(const char* prefix, uint64_t n) {
    char b[64];
    std::snprintf(b, sizeof b, "%s-0cb%014" PRIx64, prefix, n);
    return b;
}

} // namespace

Result<Built> build_network(const std::vector<Rule>& rules, const std::vector<Header>& trace,
                            const NetOptions& o) {
    if (rules.empty()) return make_error("empty rule set");
    if (o.nacl_chunk == 0 || o.nacl_chunk > 16000)
        return make_error("nacl_chunk must be 1..16000 (AWS rule numbers)");
    if (o.rules_per_group == 0 || o.rules_per_group > 16000) return make_error("rules_per_group must be 1..16000");
    const bool nacl = o.form != Form::Sg, sg = o.form != Form::Nacl;
    Built b;
    // Chunks do not depend on the form, so every form of one rule set carries the same flows.
    b.chunks = static_cast<uint32_t>((rules.size() + o.nacl_chunk - 1) / o.nacl_chunk);
    auto chunk_of = [&](uint32_t rule) { return std::min(rule / o.nacl_chunk, b.chunks - 1); };

    // ENIs: one per distinct trace address, in first-seen order; roles never mix.
    std::unordered_map<uint32_t, uint32_t> eni_of;
    auto add_eni = [&](uint32_t addr, bool server, uint32_t chunk) {
        EniInfo e;
        uint32_t i = static_cast<uint32_t>(b.enis.size());
        e.id = hex_id("eni", i);
        e.addr = addr;
        e.server = server;
        e.chunk = chunk;
        uint8_t mac[6] = {0x02, 0xcb, static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
                          static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
        std::memcpy(e.mac, mac, 6);
        b.enis.push_back(e);
        eni_of[addr] = i;
        return i;
    };
    // A special address (the fw traces write 0.0.0.0 for wildcard fields) is replaced by a
    // deterministic other address inside the generating rule's prefix, when there is one.
    auto repair = [](uint32_t a, uint32_t base, uint8_t len) {
        if (!special_address(a) || len >= 32) return a;
        uint32_t x = a ^ 0x9e3779b9u;
        for (int k = 0; k < 16; ++k) {
            x = x * 2654435761u + 0x7f4a7c15u;
            uint32_t c = (base & prefix_mask(len)) | (x & ~prefix_mask(len));
            if (!special_address(c)) return c;
        }
        return a;
    };
    for (Header h : trace) {
        if (o.max_flows && b.flows.size() >= o.max_flows) break;
        if (h.rule < rules.size()) {
            uint32_t s2 = repair(h.src, rules[h.rule].src, rules[h.rule].src_len);
            uint32_t d2 = repair(h.dst, rules[h.rule].dst, rules[h.rule].dst_len);
            b.repaired += (s2 != h.src) + (d2 != h.dst);
            h.src = s2;
            h.dst = d2;
        }
        if (h.rule >= rules.size() || special_address(h.src) || special_address(h.dst) || h.src == h.dst) {
            ++b.skipped_special;
            continue;
        }
        uint32_t c = chunk_of(h.rule);
        auto s = eni_of.find(h.src), d = eni_of.find(h.dst);
        bool s_ok = s == eni_of.end() || (!b.enis[s->second].server && b.enis[s->second].chunk == c);
        bool d_ok = d == eni_of.end() || (b.enis[d->second].server && b.enis[d->second].chunk == c);
        if (!s_ok || !d_ok) {
            ++b.skipped_role;
            continue;
        }
        size_t need = (s == eni_of.end()) + (d == eni_of.end());
        if (b.enis.size() + need > o.max_enis) {
            ++b.skipped_cap;
            continue;
        }
        Flow f;
        f.h = h;
        f.client = s == eni_of.end() ? add_eni(h.src, false, c) : s->second;
        f.server = d == eni_of.end() ? add_eni(h.dst, true, c) : d->second;
        b.flows.push_back(f);
    }
    if (b.flows.empty()) return make_error("no trace header could be carried (all skipped)");

    json& j = b.bundle;
    // The VPC: 100.64.0.0/10 first (subnet CIDRs; Amazon DNS at 100.64.0.2), then every /8
    // that holds an ENI address, so the local routes reach every ENI.
    std::vector<uint32_t> blocks;
    for (const auto& e : b.enis) blocks.push_back(e.addr >> 24);
    std::sort(blocks.begin(), blocks.end());
    blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
    std::vector<std::string> vpc_cidrs = {"100.64.0.0/10"};
    for (uint32_t t : blocks) vpc_cidrs.push_back(std::to_string(t) + ".0.0.0/8");
    json assoc = json::array();
    for (size_t i = 0; i < vpc_cidrs.size(); ++i)
        assoc.push_back({{"AssociationId", hex_id("vpc-cidr-assoc", i)}, {"CidrBlock", vpc_cidrs[i]},
                         {"CidrBlockState", {{"State", "associated"}}}});
    j["Vpcs"] = json::array({{{"VpcId", kVpc}, {"CidrBlock", vpc_cidrs[0]}, {"CidrBlockAssociationSet", assoc},
                              {"State", "available"}, {"OwnerId", kOwner}, {"IsDefault", false},
                              {"InstanceTenancy", "default"}, {"Tags", tags("classbench")}}});

    // Subnets: per chunk a client and a server subnet, /24s inside 100.64.0.0/10.
    std::vector<std::string> client_subnet, server_subnet;
    j["Subnets"] = json::array();
    for (uint32_t c = 0; c < b.chunks; ++c)
        for (int server = 0; server < 2; ++server) {
            uint32_t n = 2 * c + static_cast<uint32_t>(server);
            std::string id = hex_id("subnet", n);
            (server ? server_subnet : client_subnet).push_back(id);
            uint32_t base = (100u << 24) | (64u << 16) | (n << 8);
            j["Subnets"].push_back({{"SubnetId", id}, {"VpcId", kVpc}, {"CidrBlock", cidr_text(base, 24)},
                                    {"AvailabilityZone", kAz}, {"AvailabilityZoneId", "use1-az1"},
                                    {"State", "available"}, {"OwnerId", kOwner}, {"MapPublicIpOnLaunch", false},
                                    {"Tags", tags(std::string("cb-") + (server ? "server-" : "client-") +
                                                  std::to_string(c))}});
        }

    // One main route table: the local routes.
    json routes = json::array();
    for (const auto& c : vpc_cidrs)
        routes.push_back({{"DestinationCidrBlock", c}, {"GatewayId", "local"}, {"Origin", "CreateRouteTable"},
                          {"State", "active"}});
    j["RouteTables"] = json::array({{{"RouteTableId", hex_id("rtb", 0)}, {"VpcId", kVpc}, {"OwnerId", kOwner},
                                     {"Routes", routes}, {"PropagatingVgws", json::array()},
                                     {"Associations", json::array({{{"Main", true},
                                                                    {"RouteTableAssociationId", hex_id("rtbassoc", 0)},
                                                                    {"RouteTableId", hex_id("rtb", 0)},
                                                                    {"AssociationState", {{"State", "associated"}}}}})},
                                     {"Tags", tags("cb-main")}}});

    // NACLs: per chunk, client (egress = rules on destination) and server (ingress = rules on
    // source); the return direction allows all; the `*` entries end each list.
    j["NetworkAcls"] = json::array();
    for (uint32_t c = 0; c < b.chunks; ++c)
        for (int server = 0; server < 2; ++server) {
            std::string id = hex_id("acl", 2 * c + static_cast<uint32_t>(server));
            (server ? b.server_nacl : b.client_nacl).push_back(id);
            json entries = json::array();
            bool rule_egress = !server;
            if (nacl) {
                size_t lo = static_cast<size_t>(c) * o.nacl_chunk, hi = std::min(rules.size(), lo + o.nacl_chunk);
                for (size_t i = lo; i < hi; ++i) {
                    bool allow = !(o.deny_every && i % o.deny_every == o.deny_every - 1);
                    entries.push_back(nacl_entry(rules[i], rule_egress, static_cast<int>(i - lo + 1), allow));
                    ++b.nacl_entries;
                }
                entries.push_back(allow_all_entry(!rule_egress, 100, true));
            } else {
                entries.push_back(allow_all_entry(false, 100, true));
                entries.push_back(allow_all_entry(true, 100, true));
            }
            entries.push_back(allow_all_entry(false, 32767, false));
            entries.push_back(allow_all_entry(true, 32767, false));
            const std::string& subnet = server ? server_subnet[c] : client_subnet[c];
            j["NetworkAcls"].push_back(
                {{"NetworkAclId", id}, {"VpcId", kVpc}, {"IsDefault", false}, {"OwnerId", kOwner},
                 {"Entries", entries},
                 {"Associations", json::array({{{"NetworkAclAssociationId", hex_id("aclassoc", 2 * c + server)},
                                                {"NetworkAclId", id}, {"SubnetId", subnet}}})},
                 {"Tags", tags(std::string("cb-") + (server ? "server-" : "client-") + std::to_string(c))}});
        }
    // The VPC's default NACL (associated with nothing here), as every export has one.
    j["NetworkAcls"].push_back({{"NetworkAclId", hex_id("acl", 0xfffff)}, {"VpcId", kVpc}, {"IsDefault", true},
                                {"OwnerId", kOwner},
                                {"Entries", json::array({allow_all_entry(false, 100, true), allow_all_entry(true, 100, true),
                                                         allow_all_entry(false, 32767, false),
                                                         allow_all_entry(true, 32767, false)})},
                                {"Associations", json::array()}});

    // Security groups.
    j["SecurityGroups"] = json::array();
    std::vector<std::string> client_groups, server_groups;
    auto group = [&](const std::string& id, const std::string& name, json ingress, json egress) {
        j["SecurityGroups"].push_back({{"GroupId", id}, {"GroupName", name}, {"Description", name},
                                       {"VpcId", kVpc}, {"OwnerId", kOwner}, {"IpPermissions", ingress},
                                       {"IpPermissionsEgress", egress}});
        ++b.groups;
    };
    uint64_t gid = 0;
    if (sg) {
        for (int server = 0; server < 2; ++server)
            for (size_t lo = 0; lo < rules.size(); lo += o.rules_per_group) {
                json perms = json::array();
                for (size_t i = lo; i < std::min(rules.size(), lo + o.rules_per_group); ++i) {
                    perms.push_back(sg_permission(rules[i], !server));
                    ++b.sg_rules;
                }
                std::string id = hex_id("sg", gid++);
                std::string name = std::string("cb-") + (server ? "server-" : "client-") + std::to_string(lo / o.rules_per_group);
                (server ? server_groups : client_groups).push_back(id);
                if (server) group(id, name, perms, json::array());
                else group(id, name, json::array(), perms);
            }
    } else {
        // NACL form: clients may send anything, servers accept anything; replies by state.
        std::string c = hex_id("sg", gid++), s = hex_id("sg", gid++);
        group(c, "cb-client-open", json::array(), json::array({open_permission()}));
        group(s, "cb-server-open", json::array({open_permission()}), json::array());
        client_groups = {c};
        server_groups = {s};
    }

    // ENIs.
    json groups_c = json::array(), groups_s = json::array();
    for (const auto& g : client_groups) groups_c.push_back({{"GroupId", g}});
    for (const auto& g : server_groups) groups_s.push_back({{"GroupId", g}});
    j["NetworkInterfaces"] = json::array();
    for (size_t i = 0; i < b.enis.size(); ++i) {
        const EniInfo& e = b.enis[i];
        char mac[18];
        std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", e.mac[0], e.mac[1], e.mac[2], e.mac[3],
                      e.mac[4], e.mac[5]);
        std::string ip = dotted(e.addr);
        j["NetworkInterfaces"].push_back(
            {{"NetworkInterfaceId", e.id},
             {"SubnetId", e.server ? server_subnet[e.chunk] : client_subnet[e.chunk]},
             {"VpcId", kVpc},
             {"AvailabilityZone", kAz},
             {"InterfaceType", "interface"},
             {"Status", "in-use"},
             {"MacAddress", mac},
             {"OwnerId", kOwner},
             {"PrivateIpAddress", ip},
             {"PrivateIpAddresses", json::array({{{"PrivateIpAddress", ip}, {"Primary", true}}})},
             {"Groups", e.server ? groups_s : groups_c},
             {"SourceDestCheck", true},
             {"RequesterManaged", false},
             {"Attachment", {{"AttachmentId", hex_id("eni-attach", i)}, {"DeviceIndex", 0},
                             {"Status", "attached"}, {"InstanceOwnerId", kOwner}}}});
    }
    return b;
}

// ---- frames and files --------------------------------------------------------------------

void build_frame(const Built& net, const Flow& f, bool reply, uint8_t tcp_flags, uint8_t out[kFrameLen]) {
    std::memset(out, 0, kFrameLen);
    const EniInfo& a = net.enis[reply ? f.server : f.client];
    const EniInfo& z = net.enis[reply ? f.client : f.server];
    std::memcpy(out, z.mac, 6);
    std::memcpy(out + 6, a.mac, 6);
    put16(out + 12, 0x0800);
    uint8_t* ip = out + 14;
    const uint16_t ip_len = kFrameLen - 14;
    ip[0] = 0x45;
    put16(ip + 2, ip_len);
    put16(ip + 4, static_cast<uint16_t>(f.h.sport ^ f.h.dport));
    put16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = f.h.proto;
    put32(ip + 12, a.addr);
    put32(ip + 16, z.addr);
    put16(ip + 10, ip_checksum(ip, 20));
    uint8_t* l4 = ip + 20;
    uint16_t sp = reply ? f.h.dport : f.h.sport, dp = reply ? f.h.sport : f.h.dport;
    switch (f.h.proto) {
    case 6:
        put16(l4, sp);
        put16(l4 + 2, dp);
        put32(l4 + 4, 1000);
        put32(l4 + 8, reply ? 1001 : 0);
        l4[12] = 5 << 4;
        l4[13] = tcp_flags;
        put16(l4 + 14, 65535);
        break;
    case 17:
        put16(l4, sp);
        put16(l4 + 2, dp);
        put16(l4 + 4, static_cast<uint16_t>(ip_len - 20));
        break;
    case 1:
        l4[0] = reply ? 0 : 8;  // echo reply / request
        put16(l4 + 4, f.h.sport);
        put16(l4 + 6, 1);
        put16(l4 + 2, ip_checksum(l4, ip_len - 20));
        break;
    default: break;
    }
}

Status write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames) {
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    if (!dead) return Status(file_error(path, 0, "pcap_open_dead failed"));
    pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
    if (!d) {
        Error e = file_error(path, 0, std::string("cannot write pcap: ") + pcap_geterr(dead));
        pcap_close(dead);
        return Status(e);
    }
    for (size_t i = 0; i < frames.size(); ++i) {
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<time_t>(1700000000 + i / 1000);
        h.ts.tv_usec = static_cast<suseconds_t>((i % 1000) * 1000);
        h.caplen = h.len = static_cast<bpf_u_int32>(frames[i].size());
        pcap_dump(reinterpret_cast<u_char*>(d), &h, frames[i].data());
    }
    bool bad = pcap_dump_flush(d) != 0;
    pcap_dump_close(d);
    pcap_close(dead);
    if (bad) return Status(file_error(path, 0, "write failed"));
    return Status::Ok();
}

Status write_rules(const std::string& path, const std::vector<Rule>& rules) {
    std::ofstream out(path);
    if (!out) return Status(file_error(path, 0, "cannot create rule file"));
    char line[160];
    for (const Rule& r : rules) {
        std::snprintf(line, sizeof line, "@%s\t%s\t%u : %u\t%u : %u\t0x%02x/0x%02x\t0x0000/0x0000\n",
                      cidr_text(r.src, r.src_len).c_str(), cidr_text(r.dst, r.dst_len).c_str(), r.sport_lo,
                      r.sport_hi, r.dport_lo, r.dport_hi, r.proto, r.proto_mask);
        out << line;
    }
    out.close();
    if (!out) return Status(file_error(path, 0, "write failed"));
    return Status::Ok();
}

Status write_trace(const std::string& path, const std::vector<Header>& trace) {
    std::ofstream out(path);
    if (!out) return Status(file_error(path, 0, "cannot create trace file"));
    char line[96];
    for (const Header& h : trace) {
        std::snprintf(line, sizeof line, "%u\t%u\t%u\t%u\t%u\t0\t%u\n", h.src, h.dst, h.sport, h.dport, h.proto,
                      h.rule);
        out << line;
    }
    out.close();
    if (!out) return Status(file_error(path, 0, "write failed"));
    return Status::Ok();
}

} // namespace vpcfw::cb
