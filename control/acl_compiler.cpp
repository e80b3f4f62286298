// AclCompiler: Network model -> rte_acl contexts + side tables (AclTables). The matching
// rules transcribe the reference evaluator's (ruleset/ref_security_groups.cpp:
// sg_rule_mismatch, group_matches, peered_active; ruleset/ref_network_acls.cpp:
// nacl_entry_mismatch); tests/control/test_acl_compiler.cpp proves them equal.
#include "control/acl_compiler.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include <rte_acl.h>

namespace vpcfw {

namespace {

// ---- rte_acl field layouts (the offsets are asserted in dataplane/acl_key.hpp) ---------

// Side contexts (acl_key.hpp AclSideKey4/6): per family one egress and one ingress
// context; a rule carries its layer's category (NACL, SG) and sets that layer's table
// field, the other table field a wildcard.
enum Field4 : uint8_t { kF4Proto, kF4Nacl, kF4Gs, kF4Remote, kF4RemoteSet, kF4L4, kFields4 };
enum Field6 : uint8_t {
    kF6Proto, kF6Nacl, kF6Gs, kF6Remote0, kF6Remote1, kF6Remote2, kF6Remote3,
    kF6RemoteSet, kF6L4, kFields6
};

RTE_ACL_RULE_DEF(AclRule4, kFields4);
RTE_ACL_RULE_DEF(AclRule6, kFields6);

rte_acl_field_def field(uint8_t type, uint8_t size, uint8_t index, uint8_t input, size_t offset) {
    rte_acl_field_def d{};
    d.type = type;
    d.size = size;
    d.field_index = index;
    d.input_index = input;
    d.offset = static_cast<uint32_t>(offset);
    return d;
}

rte_acl_config config4(size_t max_size) {
    using K = AclSideKey4;
    rte_acl_config c{};
    c.num_categories = kAclCategories;
    c.num_fields = kFields4;
    c.max_size = max_size;
    c.defs[kF4Proto] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, kF4Proto, 0, offsetof(K, proto));
    c.defs[kF4Nacl] = field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kF4Nacl, 1, offsetof(K, nacl));
    c.defs[kF4Gs] = field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kF4Gs, 1, offsetof(K, group_set));
    c.defs[kF4Remote] = field(RTE_ACL_FIELD_TYPE_MASK, 4, kF4Remote, 2, offsetof(K, remote));
    c.defs[kF4RemoteSet] = field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kF4RemoteSet, 3, offsetof(K, remote_set));
    c.defs[kF4L4] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kF4L4, 3, offsetof(K, l4));
    return c;
}

rte_acl_config config6(size_t max_size) {
    using K = AclSideKey6;
    rte_acl_config c{};
    c.num_categories = kAclCategories;
    c.num_fields = kFields6;
    c.max_size = max_size;
    c.defs[kF6Proto] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, kF6Proto, 0, offsetof(K, proto));
    c.defs[kF6Nacl] = field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kF6Nacl, 1, offsetof(K, nacl));
    c.defs[kF6Gs] = field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kF6Gs, 1, offsetof(K, group_set));
    for (uint8_t w = 0; w < 4; ++w)
        c.defs[kF6Remote0 + w] = field(RTE_ACL_FIELD_TYPE_MASK, 4, static_cast<uint8_t>(kF6Remote0 + w),
                                       static_cast<uint8_t>(2 + w), offsetof(K, remote) + 4 * w);
    c.defs[kF6RemoteSet] = field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kF6RemoteSet, 6, offsetof(K, remote_set));
    c.defs[kF6L4] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kF6L4, 6, offsetof(K, l4));
    return c;
}

enum rte_acl_classify_alg to_rte(AclAlgorithm a) {
    switch (a) {
    case AclAlgorithm::Default: return RTE_ACL_CLASSIFY_DEFAULT;
    case AclAlgorithm::Scalar: return RTE_ACL_CLASSIFY_SCALAR;
    case AclAlgorithm::Sse: return RTE_ACL_CLASSIFY_SSE;
    case AclAlgorithm::Avx2: return RTE_ACL_CLASSIFY_AVX2;
    case AclAlgorithm::Avx512x16: return RTE_ACL_CLASSIFY_AVX512X16;
    case AclAlgorithm::Avx512x32: return RTE_ACL_CLASSIFY_AVX512X32;
    }
    return RTE_ACL_CLASSIFY_SCALAR;
}

// rte_acl_create returns an existing context of the same name, so every context gets a
// fresh one.
std::string next_ctx_name(const char* kind) {
    static std::atomic<uint64_t> counter{0};
    char buf[RTE_ACL_NAMESIZE];
    std::snprintf(buf, sizeof(buf), "vpcfw-%s-%llu", kind,
                  static_cast<unsigned long long>(counter.fetch_add(1)));
    return buf;
}

// ---- one rte_acl rule, family-independent ----------------------------------------------

struct L4Range {
    uint16_t lo = 0, hi = 0xffff;
};
inline constexpr L4Range kAnyL4{};

struct Match {
    bool nacl = false;                     // layer: NACL or SG, with `direction`
    int proto = kProtoAll;                 // -1 = any
    uint16_t table = 0;                    // NACL dense index or ENI group-set id
    uint16_t direction = kAclIngress;
    std::optional<Cidr> remote;            // empty = any address of the context's family
    std::optional<uint16_t> remote_set;    // empty = any
    L4Range l4;
    int32_t priority = RTE_ACL_MIN_PRIORITY;
    RuleRef ref;
};

// Position in a first-match list -> rte_acl priority (higher wins).
int32_t priority_of(uint32_t position) {
    return static_cast<int32_t>(RTE_ACL_MAX_PRIORITY) - static_cast<int32_t>(position);
}

// A 4-byte word of an address (word 0 = most significant), host order.
uint32_t addr_word(const IpAddr& a, int w) {
    const auto& b = a.bytes;
    return (uint32_t{b[4 * w]} << 24) | (uint32_t{b[4 * w + 1]} << 16) | (uint32_t{b[4 * w + 2]} << 8) |
           uint32_t{b[4 * w + 3]};
}

// The rules of every context: [family][side] (side 0 = ingress, 1 = egress). Every field
// starts as a wildcard (value 0, mask 0; a MASK field of prefix length 0).
struct RuleLists {
    std::vector<AclRule4> v4[2];
    std::vector<AclRule6> v6[2];
    uint32_t nacl4 = 0, nacl6 = 0, sg4 = 0, sg6 = 0;

    template <typename Rule>
    static void common(Rule& r, const Match& m, int fProto, int fNacl, int fGs, int fRemoteSet, int fL4) {
        r.data.category_mask = 1u << (m.nacl ? kCatNacl : kCatSg);
        r.data.priority = m.priority;
        r.data.userdata = m.ref.raw;
        r.field[fProto].value.u8 = static_cast<uint8_t>(m.proto < 0 ? 0 : m.proto);
        r.field[fProto].mask_range.u8 = m.proto < 0 ? 0 : 0xff;
        int fTable = m.nacl ? fNacl : fGs;
        r.field[fTable].value.u16 = m.table;
        r.field[fTable].mask_range.u16 = 0xffff;
        r.field[fRemoteSet].value.u16 = m.remote_set.value_or(0);
        r.field[fRemoteSet].mask_range.u16 = m.remote_set ? 0xffff : 0;
        r.field[fL4].value.u16 = m.l4.lo;
        r.field[fL4].mask_range.u16 = m.l4.hi;
    }

    void add(Family fam, const Match& m) {
        int side = m.direction == kAclEgress ? 1 : 0;
        if (fam == Family::V4) {
            AclRule4 r{};
            common(r, m, kF4Proto, kF4Nacl, kF4Gs, kF4RemoteSet, kF4L4);
            if (m.remote) {
                r.field[kF4Remote].value.u32 = addr_word(m.remote->base, 0);
                r.field[kF4Remote].mask_range.u32 = m.remote->len;
            }
            v4[side].push_back(r);
            ++(m.nacl ? nacl4 : sg4);
        } else {
            AclRule6 r{};
            common(r, m, kF6Proto, kF6Nacl, kF6Gs, kF6RemoteSet, kF6L4);
            if (m.remote) {
                for (int w = 0; w < 4; ++w) {
                    int len = std::clamp(static_cast<int>(m.remote->len) - 32 * w, 0, 32);
                    r.field[kF6Remote0 + w].value.u32 = addr_word(m.remote->base, w);
                    r.field[kF6Remote0 + w].mask_range.u32 = static_cast<uint32_t>(len);
                }
            }
            v6[side].push_back(r);
            ++(m.nacl ? nacl6 : sg6);
        }
    }
};

// ---- matching semantics, as ruleset/ref_security_groups.cpp and ref_network_acls.cpp ---

// Port range [from, to] clipped to 0..65535; from == -1 means every port.
std::optional<L4Range> port_range(int from, int to) {
    if (from == -1) return kAnyL4;
    int lo = std::max(from, 0), hi = std::min(to, 65535);
    if (lo > hi) return std::nullopt;
    return L4Range{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
}

// ICMP type (-1 = any) and code (-1 = any) as a range of the l4 word (type << 8 | code).
std::optional<L4Range> icmp_range(int type, int code) {
    if (type == -1) return kAnyL4;
    if (type < 0 || type > 255) return std::nullopt;
    uint16_t base = static_cast<uint16_t>(type << 8);
    if (code == -1) return L4Range{base, static_cast<uint16_t>(base | 0xff)};
    if (code < 0 || code > 255) return std::nullopt;
    return L4Range{static_cast<uint16_t>(base | code), static_cast<uint16_t>(base | code)};
}

// sg_rule_mismatch's protocol/port part; nullopt = the rule can match nothing.
std::optional<std::pair<int, L4Range>> sg_proto_l4(const SgRule& r) {
    if (r.proto == kProtoAll) return std::pair{kProtoAll, kAnyL4};
    if (r.proto < 0 || r.proto > 255) return std::nullopt;
    std::optional<L4Range> l4 = kAnyL4;
    if (r.ports_apply()) l4 = port_range(r.from_port, r.to_port);
    else if (r.icmp()) l4 = icmp_range(r.from_port, r.from_port == -1 ? -1 : r.to_port);
    if (!l4) return std::nullopt;
    return std::pair{r.proto, *l4};
}

// nacl_entry_mismatch's protocol/port part.
std::optional<std::pair<int, L4Range>> nacl_proto_l4(const NaclEntry& n) {
    if (n.proto == kProtoAll) return std::pair{kProtoAll, kAnyL4};
    if (n.proto == kProtoIcmpv6 && n.cidr.family() == Family::V4)
        return std::pair{kProtoIcmp, kAnyL4};   // 58 + IPv4 CIDR = all ICMP
    if (n.proto < 0 || n.proto > 255) return std::nullopt;
    std::optional<L4Range> l4 = kAnyL4;
    if (n.proto == kProtoTcp || n.proto == kProtoUdp) l4 = port_range(n.port_from, n.port_to);
    else if (n.proto == kProtoIcmp || n.proto == kProtoIcmpv6) l4 = icmp_range(n.icmp_type, n.icmp_code);
    if (!l4) return std::nullopt;
    return std::pair{n.proto, *l4};
}

// ---- remote group sets -------------------------------------------------------------------

__extension__ typedef unsigned __int128 U128;

U128 addr_value(const IpAddr& a) {
    U128 v = 0;
    int n = a.is_v4() ? 4 : 16;
    for (int i = 0; i < n; ++i) v = (v << 8) | a.bytes[i];
    return v;
}

// [lo, hi] of a prefix as integers of its family.
std::pair<U128, U128> prefix_bounds(const Cidr& c) {
    int bits = c.base.bits();
    U128 lo = addr_value(c.base);
    int host = bits - c.len;
    U128 span = host >= 128 ? ~U128{0} : ((U128{1} << host) - 1);
    return {lo, lo | span};
}

using SetContent = std::vector<std::pair<Idx, Idx>>;   // sorted (ENI vpc, group) pairs

struct RemoteSets {
    std::map<SetContent, uint16_t> ids;
    std::vector<SetContent> contents{SetContent{}};     // [0] = no owner
    std::set<uint16_t> present[2];                      // per family (0 = v4, 1 = v6)
    std::vector<std::pair<U128, uint16_t>> intervals[2];
};

// Sweeps every ENI address and delegated prefix of one family into disjoint intervals,
// each labelled with the set of (VPC, group) pairs of the ENIs owning it (eni_has_address).
Status build_remote_intervals(const Network& net, const std::vector<SetContent>& eni_pairs, Family fam,
                              RemoteSets& rs) {
    struct Event {
        U128 at;
        int delta;
        Idx eni;
    };
    std::vector<Event> events;
    const U128 top = fam == Family::V4 ? U128{0xffffffffu} : ~U128{0};
    auto add = [&](Idx e, const Cidr& c) {
        if (c.family() != fam) return;
        auto [lo, hi] = prefix_bounds(c);
        events.push_back({lo, +1, e});
        if (hi != top) events.push_back({hi + 1, -1, e});
    };
    for (Idx e = 0; e < net.enis.size(); ++e) {
        if (eni_pairs[e].empty()) continue;
        const Eni& n = net.enis[e];
        for (const auto& p : n.private_ips) add(e, Cidr::host(p.addr));
        for (const auto& a : n.ipv6) add(e, Cidr::host(a));
        for (const auto& c : n.prefixes4) add(e, c);
        for (const auto& c : n.prefixes6) add(e, c);
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
    int f = fam == Family::V4 ? 0 : 1;
    auto& out = rs.intervals[f];
    out.push_back({0, 0});
    std::map<Idx, int> active;
    for (size_t i = 0; i < events.size();) {
        U128 at = events[i].at;
        for (; i < events.size() && events[i].at == at; ++i) {
            int& cnt = active[events[i].eni];
            cnt += events[i].delta;
            if (cnt == 0) active.erase(events[i].eni);
        }
        SetContent content;
        for (const auto& [e, cnt] : active) content.insert(content.end(), eni_pairs[e].begin(), eni_pairs[e].end());
        std::sort(content.begin(), content.end());
        content.erase(std::unique(content.begin(), content.end()), content.end());
        uint16_t id = 0;
        if (!content.empty()) {
            auto it = rs.ids.find(content);
            if (it == rs.ids.end()) {
                if (rs.contents.size() > 0xffff) return make_error("more than 65535 distinct remote group sets");
                id = static_cast<uint16_t>(rs.contents.size());
                rs.ids.emplace(content, id);
                rs.contents.push_back(content);
            } else {
                id = it->second;
            }
            rs.present[f].insert(id);
        }
        if (out.back().first == at) out.back().second = id;
        else if (out.back().second != id) out.push_back({at, id});
        // Merge a start that now repeats its predecessor's id.
        if (out.size() >= 2 && out[out.size() - 2].second == out.back().second) out.pop_back();
    }
    return Status::Ok();
}

// ---- contexts ----------------------------------------------------------------------------

template <typename Rule>
Result<rte_acl_ctx*> build_ctx(const char* kind, const std::vector<Rule>& rules, uint32_t nfields,
                               const rte_acl_config& cfg, const AclCompileOptions& opt) {
    if (rules.empty()) return static_cast<rte_acl_ctx*>(nullptr);
    std::string name = next_ctx_name(kind);
    rte_acl_param prm{};
    prm.name = name.c_str();
    prm.socket_id = opt.socket_id;
    prm.rule_size = RTE_ACL_RULE_SZ(nfields);
    prm.max_rule_num = static_cast<uint32_t>(rules.size());
    rte_acl_ctx* ctx = rte_acl_create(&prm);
    if (!ctx) return make_error(std::string("rte_acl_create failed for ") + kind + " (is the EAL initialised?)");
    int rc = rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                               static_cast<uint32_t>(rules.size()));
    if (rc == 0) rc = rte_acl_build(ctx, &cfg);
    if (rc != 0) {
        rte_acl_free(ctx);
        return make_error(std::string("rte_acl build of ") + kind + " failed: error " + std::to_string(rc));
    }
    rc = rte_acl_set_ctx_classify(ctx, to_rte(opt.algorithm));
    if (rc != 0) {
        rte_acl_free(ctx);
        return make_error(std::string("rte_acl algorithm ") + acl_algorithm_name(opt.algorithm) +
                          " is not supported on this CPU/EAL");
    }
    return ctx;
}

} // namespace

// ---- AclCompiler -------------------------------------------------------------------------

bool AclCompiler::algorithm_supported(AclAlgorithm algorithm) {
    std::string name = next_ctx_name("probe");
    rte_acl_param prm{};
    prm.name = name.c_str();
    prm.socket_id = -1;
    prm.rule_size = RTE_ACL_RULE_SZ(kFields4);
    prm.max_rule_num = 1;
    rte_acl_ctx* ctx = rte_acl_create(&prm);
    if (!ctx) return false;
    bool ok = rte_acl_set_ctx_classify(ctx, to_rte(algorithm)) == 0;
    rte_acl_free(ctx);
    return ok;
}

Status AclCompiler::select_algorithm(AclTables& t, AclAlgorithm algorithm) {
    if (!algorithm_supported(algorithm))
        return make_error(std::string("rte_acl algorithm ") + acl_algorithm_name(algorithm) +
                          " is not supported on this CPU/EAL");
    for (rte_acl_ctx* c : {t.side4_[0].get(), t.side4_[1].get(), t.side6_[0].get(), t.side6_[1].get()})
        if (c && rte_acl_set_ctx_classify(c, to_rte(algorithm)) != 0)
            return make_error(std::string("rte_acl_set_ctx_classify failed for ") + acl_algorithm_name(algorithm));
    t.algorithm_ = algorithm;
    return Status::Ok();
}

Result<std::unique_ptr<AclTables>> AclCompiler::compile(const Network& net, const AclCompileOptions& opt) {
    auto t = std::make_unique<AclTables>();
    t->algorithm_ = opt.algorithm;
    // The loader enforces ruleset/limits.hpp, which fits RuleRef; these guard a Network
    // built some other way (tests, actions).
    if (net.network_acls.size() > kMaxNetworkAcls) return make_error("more than " + std::to_string(kMaxNetworkAcls) + " network ACLs");
    size_t slots = 0;
    for (const NetworkAcl& acl : net.network_acls) slots += acl.entries.size() + 2;
    if (slots > RuleRef::kMaxNaclSlot)
        return make_error(std::to_string(slots) + " network ACL entries and `*` rules, more than the " +
                          std::to_string(RuleRef::kMaxNaclSlot) + " a rule reference holds");
    if (net.security_groups.size() > kMaxSecurityGroups)
        return make_error("more than " + std::to_string(kMaxSecurityGroups) + " security groups");

    // ---- NACLs: keyed by (table, direction) in the NACL categories ----
    RuleLists rules;
    for (Idx a = 0; a < net.network_acls.size(); ++a) {
        const NetworkAcl& acl = net.network_acls[a];
        t->nacl_base_.push_back(static_cast<uint32_t>(t->nacl_sources_.size()));
        t->nacl_count_.push_back(static_cast<uint32_t>(acl.entries.size()));
        for (uint32_t i = 0; i < acl.entries.size(); ++i) {
            const NaclEntry& en = acl.entries[i];
            RuleLayer layer = en.egress ? RuleLayer::NaclEgress : RuleLayer::NaclIngress;
            RuleRef ref = RuleRef::nacl(layer, static_cast<uint32_t>(t->nacl_sources_.size()));
            t->nacl_sources_.push_back(
                RuleSource{layer, acl.id, en.is_default_deny() ? -1 : en.rule_number, en.allow, {}});
            t->nacl_allow_.push_back(en.allow ? 1 : 0);
            t->nacl_kind_.push_back(en.is_default_deny() ? AclTables::kSlotDefaultDeny : AclTables::kSlotEntry);
            auto pl = nacl_proto_l4(en);
            if (!pl) continue;
            Match m;
            m.nacl = true;
            m.proto = pl->first;
            m.l4 = pl->second;
            m.table = static_cast<uint16_t>(a);
            m.direction = en.egress ? kAclEgress : kAclIngress;
            if (!en.cidr.is_any()) m.remote = en.cidr;
            m.priority = priority_of(i);
            m.ref = ref;
            rules.add(en.cidr.family(), m);
        }
        for (bool egress : {false, true}) {
            t->nacl_sources_.push_back(RuleSource{egress ? RuleLayer::NaclEgress : RuleLayer::NaclIngress,
                                                  acl.id, -1, false, {}});
            t->nacl_allow_.push_back(0);
            t->nacl_kind_.push_back(AclTables::kSlotStar);
        }
    }

    // ---- SG side table ----
    for (Idx g = 0; g < net.security_groups.size(); ++g) {
        const SecurityGroup& sg = net.security_groups[g];
        if (sg.ingress.size() > kMaxSgRulesPerDirection || sg.egress.size() > kMaxSgRulesPerDirection)
            return make_error("security group " + sg.id + " has more than " + std::to_string(kMaxSgRulesPerDirection) +
                              " rules in one direction");
        t->sg_base_.push_back(static_cast<uint32_t>(t->sg_sources_.size()));
        t->sg_ingress_count_.push_back(static_cast<uint32_t>(sg.ingress.size()));
        t->sg_egress_count_.push_back(static_cast<uint32_t>(sg.egress.size()));
        for (bool egress : {false, true})
            for (const SgRule& r : egress ? sg.egress : sg.ingress)
                t->sg_sources_.push_back(RuleSource{egress ? RuleLayer::SgEgress : RuleLayer::SgIngress, sg.id,
                                                    -1, true, r.proto_ports_str() + ":" + r.peer_str()});
    }

    auto group_index = [&](const std::string& id) -> Idx {
        auto it = net.index.security_group.find(id);
        return it == net.index.security_group.end() ? kNone : it->second;
    };

    // ---- ENI group sets: the ENI's existing groups, in its order, without repeats ----
    std::map<std::vector<Idx>, uint16_t> set_ids;
    std::vector<std::vector<Idx>> sets{{}};    // [0] = no groups
    std::vector<SetContent> eni_pairs(net.enis.size());
    t->eni_group_set_.assign(net.enis.size(), 0);
    for (Idx e = 0; e < net.enis.size(); ++e) {
        std::vector<Idx> seq;
        for (const auto& gid : net.enis[e].groups) {
            Idx g = group_index(gid);
            if (g == kNone || std::find(seq.begin(), seq.end(), g) != seq.end()) continue;
            seq.push_back(g);
            eni_pairs[e].push_back({net.enis[e].vpc, g});
        }
        std::sort(eni_pairs[e].begin(), eni_pairs[e].end());
        if (seq.empty()) continue;
        auto it = set_ids.find(seq);
        if (it == set_ids.end()) {
            if (sets.size() > 0xffff) return make_error("more than 65535 distinct ENI group sets");
            it = set_ids.emplace(seq, static_cast<uint16_t>(sets.size())).first;
            sets.push_back(seq);
        }
        t->eni_group_set_[e] = it->second;
    }

    // ---- remote sets: address -> (VPC, group) pairs that own it ----
    RemoteSets rs;
    for (Family fam : {Family::V4, Family::V6}) {
        Status st = build_remote_intervals(net, eni_pairs, fam, rs);
        if (!st) return st.error();
    }
    for (const auto& [at, id] : rs.intervals[0]) {
        t->remote4_start_.push_back(static_cast<uint32_t>(at));
        t->remote4_set_.push_back(id);
    }
    for (const auto& [at, id] : rs.intervals[1]) {
        t->remote6_start_.push_back(AclTables::U128{static_cast<uint64_t>(at >> 64), static_cast<uint64_t>(at)});
        t->remote6_set_.push_back(id);
    }
    // group -> (remote set, owner VPC) it appears in
    std::vector<std::vector<std::pair<uint16_t, Idx>>> sets_with_group(net.security_groups.size());
    for (uint16_t id = 1; id < rs.contents.size(); ++id)
        for (const auto& [vpc, g] : rs.contents[id]) sets_with_group[g].push_back({id, vpc});

    // Active peerings between VPCs (by id, as the reference's peered_active).
    std::set<std::pair<Idx, Idx>> peered;
    for (const auto& p : net.peerings) {
        if (p.status != "active") continue;
        // SG references work across same-Region peering only (§4).
        if (!p.requester.region.empty() && !p.accepter.region.empty() && p.requester.region != p.accepter.region)
            continue;
        auto a = net.index.vpc.find(p.requester.vpc_id), b = net.index.vpc.find(p.accepter.vpc_id);
        if (a == net.index.vpc.end() || b == net.index.vpc.end()) continue;
        peered.insert({a->second, b->second});
        peered.insert({b->second, a->second});
    }
    auto peered_active = [&](Idx a, Idx b) {
        if (a == b) return true;
        if (a == kNone || b == kNone) return false;
        return peered.count({a, b}) > 0;
    };

    // ---- SG rules: each rule of group G once per group set containing G ----
    RuleLists& sg = rules;
    for (uint16_t s = 1; s < sets.size(); ++s) {
        for (bool egress : {false, true}) {
            uint32_t position = 0;
            for (Idx g : sets[s]) {
                const SecurityGroup& grp = net.security_groups[g];
                const auto& rules = egress ? grp.egress : grp.ingress;
                for (uint32_t ri = 0; ri < rules.size(); ++ri, ++position) {
                    const SgRule& r = rules[ri];
                    auto pl = sg_proto_l4(r);
                    if (!pl) continue;
                    Match m;
                    m.proto = pl->first;
                    m.l4 = pl->second;
                    m.table = s;
                    m.direction = egress ? kAclEgress : kAclIngress;
                    m.priority = priority_of(position);
                    m.ref = RuleRef::make(egress ? RuleLayer::SgEgress : RuleLayer::SgIngress, g, ri);
                    switch (r.peer) {
                    case PeerKind::Cidr:
                        if (!r.cidr.is_any()) m.remote = r.cidr;
                        sg.add(r.cidr.family(), m);
                        break;
                    case PeerKind::PrefixList:
                        if (const PrefixList* pl2 = net.prefix_list(r.prefix_list)) {
                            for (const Cidr& c : pl2->entries) {
                                Match e = m;
                                if (!c.is_any()) e.remote = c;
                                sg.add(c.family(), e);
                            }
                        }
                        break;
                    case PeerKind::Group: {
                        Idx x = group_index(r.group_id);
                        if (x == kNone) break;   // stale reference: matches nothing
                        std::set<uint16_t> qualifying;
                        for (const auto& [id, vpc] : sets_with_group[x])
                            if (peered_active(grp.vpc, vpc)) qualifying.insert(id);
                        for (uint16_t id : qualifying) {
                            Match e = m;
                            e.remote_set = id;
                            if (rs.present[0].count(id)) sg.add(Family::V4, e);
                            if (rs.present[1].count(id)) sg.add(Family::V6, e);
                        }
                        break;
                    }
                    }
                }
            }
            if (position > static_cast<uint32_t>(RTE_ACL_MAX_PRIORITY))
                return make_error("too many rules in one group set");
        }
    }

    // ---- build the contexts ----
    auto t0 = std::chrono::steady_clock::now();
    for (int side : {0, 1}) {
        auto c4 = build_ctx(side ? "out4" : "in4", rules.v4[side], kFields4, config4(opt.max_size), opt);
        if (!c4) return c4.error();
        t->side4_[side].reset(*c4);
        auto c6 = build_ctx(side ? "out6" : "in6", rules.v6[side], kFields6, config6(opt.max_size), opt);
        if (!c6) return c6.error();
        t->side6_[side].reset(*c6);
    }
    auto t1 = std::chrono::steady_clock::now();

    t->stats_.nacl_rules4 = rules.nacl4;
    t->stats_.nacl_rules6 = rules.nacl6;
    t->stats_.sg_rules4 = rules.sg4;
    t->stats_.sg_rules6 = rules.sg6;
    t->stats_.group_sets = static_cast<uint32_t>(sets.size() - 1);
    t->stats_.remote_sets = static_cast<uint32_t>(rs.contents.size() - 1);
    t->stats_.build_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    return t;
}

} // namespace vpcfw
