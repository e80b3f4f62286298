// Names, Verdict <-> Decision. Cold path.
#include "dataplane/verdict.hpp"

#include <algorithm>
#include <cstring>

namespace vpcfw {

Names::Names() : chunks_(new std::atomic<Chunk*>[kMaxChunks]) {
    for (size_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
    chunks_[0].store(new Chunk(), std::memory_order_release);
    chunks_[0].load()->kinds[0] = SymKind::None;
    size_.store(1, std::memory_order_release);   // id 0: the empty string
}

Names::~Names() {
    for (size_t i = 0; i < kMaxChunks; ++i) delete chunks_[i].load(std::memory_order_relaxed);
}

uint32_t Names::intern(std::string_view s, SymKind kind) {
    if (s.empty()) return 0;
    auto it = index_.find(std::string(s));
    if (it != index_.end()) return it->second;
    uint32_t id = size_.load(std::memory_order_relaxed);
    if ((id >> kChunkBits) >= kMaxChunks) return 0;   // full: prints as the empty string
    Chunk* c = chunks_[id >> kChunkBits].load(std::memory_order_relaxed);
    if (!c) {
        c = new Chunk();
        chunks_[id >> kChunkBits].store(c, std::memory_order_release);
    }
    c->strings[id & kChunkMask] = std::string(s);
    c->kinds[id & kChunkMask] = kind;
    string_bytes_ += s.size() + 1;
    index_.emplace(std::string(s), id);
    size_.store(id + 1, std::memory_order_release);    // publish after the string is written
    return id;
}

uint32_t Names::find(std::string_view s) const {
    if (s.empty()) return 0;
    auto it = index_.find(std::string(s));
    return it == index_.end() ? 0 : it->second;
}

size_t Names::bytes() const {
    size_t chunks = (size() >> kChunkBits) + 1;
    return chunks * sizeof(Chunk) + string_bytes_ * 2 + index_.size() * 48 + kMaxChunks * sizeof(void*);
}

static IpAddr nat_addr_of(const Verdict& v) {
    IpAddr a;
    a.family = v.nat_family == 6 ? Family::V6 : Family::V4;
    std::memcpy(a.bytes.data(), v.nat_addr, v.nat_family == 6 ? 16 : 4);
    return a;
}

std::string nat_text(const Verdict& v) {
    if (v.nat_family == 0) return {};
    IpAddr a = nat_addr_of(v);
    std::string s = a.is_v4() ? a.str() : "[" + a.str() + "]";
    return v.nat_has_port ? s + ":" + std::to_string(v.nat_port.host()) : s;
}

Decision to_decision(const Verdict& v, const Names& names, std::string flow) {
    Decision d;
    d.action = v.action;
    d.layer = v.layer;
    d.reason = names.name(v.reason);
    d.rule = names.name(v.rule);
    d.from = names.name(v.from);
    switch (v.origin_how) {
    case OriginHow::None: break;
    case OriginHow::Given: d.origin = "given"; break;
    case OriginHow::Mac: d.origin = "mac"; break;
    case OriginHow::Ip: d.origin = "ip"; break;
    case OriginHow::Outside: d.origin = "outside"; break;
    case OriginHow::SeenAt: d.origin = "seen-at:" + names.name(v.origin_eni); break;
    }
    d.to = names.name(v.to);
    d.flow = std::move(flow);
    d.nat = nat_text(v);
    d.tracked = v.tracked;
    for (unsigned i = 0; i < v.path_len && i < kVerdictMaxPath; ++i) d.path.push_back(names.name(v.path[i]));
    for (unsigned b = 0; b < std::size(kChoiceNames); ++b)
        if (v.choices & (1u << b)) d.choices.emplace_back(kChoiceNames[b]);
    for (unsigned i = 0; i < v.note_count && i < kVerdictMaxNotes; ++i) d.notes.push_back(names.name(v.notes[i]));
    for (unsigned i = 0; i < v.sg_rule_count && i < kVerdictMaxSgRules; ++i) d.sg_rules.push_back(names.name(v.sg_rules[i]));
    return d;
}

static SymKind guess_kind(const std::string& s) {
    if (s.rfind("eni-", 0) == 0) return SymKind::Eni;
    if (s.rfind("vpce-", 0) == 0) return SymKind::Endpoint;
    if (s.rfind("acl-", 0) == 0) return SymKind::NaclRule;
    if (s.rfind("tgw-rtb-", 0) == 0) return SymKind::TgwRoute;
    if (s.rfind("rtb-", 0) == 0) return SymKind::Route;
    if (s.rfind("sg-", 0) == 0) return s.find(':') != std::string::npos ? SymKind::SgRule : SymKind::SgGroups;
    if (s.rfind("igw-", 0) == 0 || s.rfind("eigw-", 0) == 0 || s.rfind("nat-", 0) == 0 ||
        s.rfind("pcx-", 0) == 0 || s.rfind("tgw-", 0) == 0 || s.rfind("vgw-", 0) == 0)
        return SymKind::Gateway;
    return SymKind::Text;
}

Verdict from_decision(const Decision& d, Names& names) {
    Verdict v;
    v.action = d.action;
    v.layer = d.layer;
    v.reason = names.intern(d.reason, SymKind::Reason);
    v.rule = names.intern(d.rule, guess_kind(d.rule));
    v.from = names.intern(d.from, guess_kind(d.from));
    if (d.origin == "given") v.origin_how = OriginHow::Given;
    else if (d.origin == "mac") v.origin_how = OriginHow::Mac;
    else if (d.origin == "ip") v.origin_how = OriginHow::Ip;
    else if (d.origin == "outside") v.origin_how = OriginHow::Outside;
    else if (d.origin.rfind("seen-at:", 0) == 0) {
        v.origin_how = OriginHow::SeenAt;
        v.origin_eni = names.intern(d.origin.substr(8), SymKind::Eni);
    }
    v.to = names.intern(d.to, guess_kind(d.to));
    v.tracked = d.tracked;
    if (!d.nat.empty()) {
        std::string a = d.nat, port;
        if (a.front() == '[') {
            auto close = a.find(']');
            if (close != std::string::npos && close + 1 < a.size() && a[close + 1] == ':') port = a.substr(close + 2);
            a = a.substr(1, close - 1);
        } else if (auto colon = a.find(':'); colon != std::string::npos) {
            port = a.substr(colon + 1);
            a = a.substr(0, colon);
        }
        if (auto ip = IpAddr::parse(a)) {
            v.nat_family = ip->is_v4() ? 4 : 6;
            std::memcpy(v.nat_addr, ip->bytes.data(), ip->is_v4() ? 4 : 16);
            if (!port.empty()) {
                v.nat_has_port = 1;
                v.nat_port = Be16::from_host(static_cast<uint16_t>(std::stoul(port)));
            }
        }
    }
    for (const auto& p : d.path) {
        if (v.path_len == kVerdictMaxPath) break;
        v.path[v.path_len++] = names.intern(p, guess_kind(p));
    }
    for (const auto& c : d.choices)
        for (unsigned b = 0; b < std::size(kChoiceNames); ++b)
            if (c == kChoiceNames[b]) v.choices |= static_cast<uint16_t>(1u << b);
    for (const auto& n : d.notes) {
        if (v.note_count == kVerdictMaxNotes) break;
        v.notes[v.note_count++] = names.intern(n, SymKind::Note);
    }
    for (const auto& r : d.sg_rules) {
        if (v.sg_rule_count == kVerdictMaxSgRules) break;
        v.sg_rules[v.sg_rule_count++] = names.intern(r, SymKind::SgRule);
    }
    return v;
}

static std::string join(const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
    return s + "]";
}

std::vector<std::string> decision_differences(const Decision& a, const Decision& b) {
    std::vector<std::string> out;
    auto cmp = [&](const char* field, const std::string& x, const std::string& y) {
        if (x != y) out.push_back(std::string(field) + ": reference '" + x + "', compiled '" + y + "'");
    };
    cmp("action", action_name(a.action), action_name(b.action));
    if (a.action == Action::Drop || b.action == Action::Drop) cmp("layer", layer_name(a.layer), layer_name(b.layer));
    cmp("reason", a.reason, b.reason);
    cmp("rule", a.rule, b.rule);
    cmp("from", a.from, b.from);
    cmp("origin", a.origin, b.origin);
    cmp("to", a.to, b.to);
    cmp("nat", a.nat, b.nat);
    cmp("tracked", a.tracked ? "true" : "false", b.tracked ? "true" : "false");
    cmp("path", join(a.path), join(b.path));
    cmp("notes", join(a.notes), join(b.notes));
    cmp("sg_rules", join(a.sg_rules), join(b.sg_rules));
    auto ca = a.choices, cb = b.choices;
    std::sort(ca.begin(), ca.end());
    std::sort(cb.begin(), cb.end());
    cmp("choices", join(ca), join(cb));
    return out;
}

} // namespace vpcfw
