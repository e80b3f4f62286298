// Names people use for network objects (ruleset/name_lookup.hpp): plain scans over the model.
#include "ruleset/name_lookup.hpp"

#include <cctype>
#include <vector>

namespace vpcfw {

namespace {

template <typename T>
std::string name_in(const std::vector<T>& v, const std::unordered_map<std::string, Idx>& index, const std::string& id) {
    auto it = index.find(id);
    return it == index.end() || it->second >= v.size() ? std::string() : v[it->second].name;
}

Error ambiguity(const Network& net, const std::string& text, const char* kind, const std::vector<std::string>& ids) {
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ", ") + with_name(net, id);
    return make_error("'" + text + "' names " + std::to_string(ids.size()) + " " + kind + ": " + list +
                      " (give the id)");
}

} // namespace

std::string name_of(const Network& net, const std::string& id) {
    const auto& x = net.index;
    if (id.rfind("eni-", 0) == 0) {
        auto it = x.eni.find(id);
        if (it == x.eni.end()) return {};
        const Eni& e = net.enis[it->second];
        if (!e.name.empty()) return e.name;
        return e.instance_id.empty() ? std::string() : name_in(net.instances, x.instance, e.instance_id);
    }
    if (id.rfind("i-", 0) == 0) return name_in(net.instances, x.instance, id);
    if (id.rfind("subnet-", 0) == 0) return name_in(net.subnets, x.subnet, id);
    if (id.rfind("vpc-", 0) == 0) return name_in(net.vpcs, x.vpc, id);
    if (id.rfind("sg-", 0) == 0) return name_in(net.security_groups, x.security_group, id);
    if (id.rfind("acl-", 0) == 0) return name_in(net.network_acls, x.network_acl, id);
    if (id.rfind("rtb-", 0) == 0) return name_in(net.route_tables, x.route_table, id);
    if (id.rfind("igw-", 0) == 0) return name_in(net.internet_gateways, x.internet_gateway, id);
    if (id.rfind("eigw-", 0) == 0) return name_in(net.egress_only_gateways, x.egress_only_gateway, id);
    if (id.rfind("nat-", 0) == 0) return name_in(net.nat_gateways, x.nat_gateway, id);
    if (id.rfind("pcx-", 0) == 0) return name_in(net.peerings, x.peering, id);
    if (id.rfind("tgw-attach-", 0) == 0) return name_in(net.tgw_attachments, x.tgw_attachment, id);
    if (id.rfind("tgw-rtb-", 0) == 0) return name_in(net.tgw_route_tables, x.tgw_route_table, id);
    if (id.rfind("tgw-", 0) == 0) return name_in(net.transit_gateways, x.transit_gateway, id);
    if (id.rfind("vgw-", 0) == 0) return name_in(net.vpn_gateways, x.vpn_gateway, id);
    return {};
}

std::string with_name(const Network& net, const std::string& id) {
    std::string n = name_of(net, id);
    return n.empty() ? id : id + " (" + n + ")";
}

Result<Idx> find_eni(const Network& net, const std::string& text) {
    if (auto it = net.index.eni.find(text); it != net.index.eni.end()) return it->second;
    auto ip = IpAddr::parse(text);
    std::vector<Idx> hits;
    for (Idx i = 0; i < net.enis.size(); ++i) {
        const Eni& e = net.enis[i];
        bool match = (!e.name.empty() && e.name == text) || (!e.instance_id.empty() && e.instance_id == text) ||
                     (!e.instance_id.empty() && name_in(net.instances, net.index.instance, e.instance_id) == text);
        if (!match && ip) {
            for (const auto& p : e.private_ips) match = match || p.addr == *ip;
            for (const auto& a : e.ipv6) match = match || a == *ip;
        }
        if (match) hits.push_back(i);
    }
    if (hits.size() == 1) return hits[0];
    if (hits.empty())
        return make_error("no ENI named '" + text +
                          "' in the network (an ENI id, its Name tag, its instance's id or Name tag, or a private IP)");
    std::vector<std::string> ids;
    for (Idx i : hits) ids.push_back(net.enis[i].id);
    return ambiguity(net, text, "ENIs", ids);
}

Result<std::string> origin_id(const Network& net, const std::string& text) {
    if (text.empty() || text == "auto") return std::string("auto");
    if (text == "internet") return text;
    auto known = [&](const std::unordered_map<std::string, Idx>& index) -> Result<std::string> {
        if (index.count(text)) return text;
        return make_error("origin '" + text + "' is not in the network");
    };
    if (text.rfind("tgw-attach-", 0) == 0) return known(net.index.tgw_attachment);
    if (text.rfind("vgw-", 0) == 0) return known(net.index.vpn_gateway);
    if (text.rfind("pcx-", 0) == 0) return known(net.index.peering);
    auto e = find_eni(net, text);
    if (!e) {
        if (e.error().message.rfind("no ENI named", 0) == 0)
            return make_error("origin '" + text +
                              "' is not in the network (auto, internet, a tgw-attach-/vgw-/pcx- id, or an ENI: its id, "
                              "its Name tag, its instance's id or Name tag, or a private IP)");
        return e.error();
    }
    return net.enis[*e].id;
}

Result<Idx> find_subnet(const Network& net, const std::string& text) {
    if (auto it = net.index.subnet.find(text); it != net.index.subnet.end()) return it->second;
    std::vector<std::string> ids;
    Idx found = kNone;
    for (Idx i = 0; i < net.subnets.size(); ++i)
        if (!net.subnets[i].name.empty() && net.subnets[i].name == text) {
            ids.push_back(net.subnets[i].id);
            found = i;
        }
    if (ids.size() == 1) return found;
    if (ids.empty()) return make_error("no subnet named '" + text + "' in the network (a subnet id or its Name tag)");
    return ambiguity(net, text, "subnets", ids);
}

std::map<std::string, std::string> names_in(const Network& net, const Decision& d) {
    std::map<std::string, std::string> out;
    // Ids inside a text: words of [a-z0-9-] holding a '-' (rule names are "acl-1:ingress:100",
    // "sg-egress:sg-2", group lists "sg-1,sg-2").
    auto scan = [&](const std::string& text) {
        size_t i = 0;
        while (i < text.size()) {
            size_t j = i;
            while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '-')) ++j;
            if (j > i) {
                std::string w = text.substr(i, j - i);
                if (w.find('-') != std::string::npos && !out.count(w))
                    if (std::string n = name_of(net, w); !n.empty()) out.emplace(w, n);
            }
            i = j + 1;
        }
    };
    scan(d.from);
    scan(d.to);
    scan(d.rule);
    if (d.origin.rfind("seen-at:", 0) == 0) scan(d.origin);
    for (const auto& p : d.path) scan(p);
    for (const auto& t : d.trace) scan(t.hop);
    return out;
}

} // namespace vpcfw
