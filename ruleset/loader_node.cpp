// Reading AWS JSON with its location: the free functions of loader_node.hpp.
#include "ruleset/loader_node.hpp"

#include <algorithm>
#include <cctype>

namespace vpcfw::load {

[[noreturn]] void fail(const std::string& file, const std::string& where, const std::string& msg) {
    throw InputError{Error{msg, {}, file, where}};
}

std::string pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string name_tag(const Node& tags) {
    std::string name;
    for (const Node& t : tags.objects())
        if (t["Key"].str() == "Name") name = t["Value"].str();
    return name;
}

int parse_protocol(const Node& n) {
    std::string s = lower(n.need_str());
    if (s == "-1") return kProtoAll;
    if (s == "tcp") return kProtoTcp;
    if (s == "udp") return kProtoUdp;
    if (s == "icmp") return kProtoIcmp;
    if (s == "icmpv6") return kProtoIcmpv6;
    if (s.size() <= 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        int p = std::stoi(s);
        if (p <= 255) return p;
    }
    n.fail("unknown IP protocol \"" + s + "\"");
}

TargetKind kind_of_id(const std::string& id) {
    if (id == "local") return TargetKind::Local;
    if (starts_with(id, "igw-")) return TargetKind::InternetGateway;
    if (starts_with(id, "eigw-")) return TargetKind::EgressOnlyIgw;
    if (starts_with(id, "vgw-")) return TargetKind::VpnGateway;
    if (starts_with(id, "vpce-")) return TargetKind::VpcEndpoint;
    if (starts_with(id, "nat-")) return TargetKind::NatGateway;
    if (starts_with(id, "eni-")) return TargetKind::NetworkInterface;
    if (starts_with(id, "pcx-")) return TargetKind::Peering;
    if (starts_with(id, "tgw-")) return TargetKind::TransitGateway;
    if (starts_with(id, "lgw-")) return TargetKind::LocalGateway;
    if (starts_with(id, "cagw-")) return TargetKind::CarrierGateway;
    return TargetKind::Unknown;
}

} // namespace vpcfw::load
