// The shared request reading and lookups of the AWS API actions (action_request.hpp).
#include "ruleset/action_request.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>

namespace vpcfw::action {

namespace {

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

} // namespace

Error refusal(std::string code, std::string message, std::string where) {
    Error e = make_error(std::move(message), std::move(code));
    e.where = std::move(where);
    return e;
}

const json& null_json() {
    static const json kNull;
    return kNull;
}

Idx find_in(const std::unordered_map<std::string, Idx>& m, const std::string& id) {
    auto it = m.find(id);
    return it == m.end() ? kNone : it->second;
}

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "tcp"/"6", "udp"/"17", "icmp"/"1", "icmpv6"/"58", "-1", or any protocol number 0..255:
// the loader's spellings.
std::optional<int> parse_protocol(const std::string& text) {
    std::string s = lower(text);
    if (s == "-1") return kProtoAll;
    if (s == "tcp") return kProtoTcp;
    if (s == "udp") return kProtoUdp;
    if (s == "icmp") return kProtoIcmp;
    if (s == "icmpv6") return kProtoIcmpv6;
    if (!s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        int p = std::stoi(s);
        if (p <= 255) return p;
    }
    return std::nullopt;
}

std::string make_id(const std::string& prefix, const std::string& seed,
                    const std::function<bool(const std::string&)>& taken) {
    for (uint64_t salt = 0;; ++salt) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "%017llx",
                      static_cast<unsigned long long>(fnv1a(seed + "#" + std::to_string(salt))));
        std::string id = prefix + buf;
        if (!taken(id)) return id;
    }
}

// An instance's primary ENI: the one attached at device index 0, else the first it lists.
Idx primary_eni(const Network& net, const Instance& in) {
    for (Idx i = 0; i < net.enis.size(); ++i)
        if (net.enis[i].instance_id == in.id && net.enis[i].device_index == 0) return i;
    for (const auto& id : in.enis)
        if (Idx i = find_in(net.index.eni, id); i != kNone) return i;
    return kNone;
}

// The ENIs attached to an instance, by its list and by the ENIs' own attachment.
std::vector<Idx> enis_of_instance(const Network& net, const Instance& in) {
    std::vector<Idx> out;
    for (Idx i = 0; i < net.enis.size(); ++i)
        if (net.enis[i].instance_id == in.id) out.push_back(i);
    for (const auto& id : in.enis)
        if (Idx i = find_in(net.index.eni, id); i != kNone && std::find(out.begin(), out.end(), i) == out.end())
            out.push_back(i);
    return out;
}

Error different_networks(const std::string& a, const std::string& b) {
    return refusal("InvalidParameterValue", a + " and " + b + " belong to different networks.");
}

bool well_formed_group_id(const std::string& id) {
    if (!starts_with(id, "sg-") || id.size() == 3) return false;
    return std::all_of(id.begin() + 3, id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

bool assoc_id_taken(const Network& net, const std::string& id) {
    for (const auto& a : net.network_acls)
        for (const auto& s : a.associations)
            if (s.id == id) return true;
    for (const auto& t : net.route_tables)
        for (const auto& s : t.associations)
            if (s.id == id) return true;
    return false;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

} // namespace vpcfw::action
