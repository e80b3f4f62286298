// What lives behind each port of a live run (dataplane/topology.hpp).
#include "dataplane/topology.hpp"

#include <cstdio>

namespace vpcfw {

namespace {

void parse_mac(const std::string& text, uint8_t mac[6]) {
    unsigned b[6] = {};
    if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6)
        for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(b[i]);
}

} // namespace

// What lives behind each port, from the specs and the network (ENI subnets and MACs do
// not change under AWS actions, so this is fixed for the run).
Result<Topology> build_topology(const Network& net, const std::vector<PortSpec>& specs) {
    Topology t;
    t.eni_port.assign(net.enis.size(), -1);
    t.eni_mac.assign(net.enis.size(), {});
    for (size_t e = 0; e < net.enis.size(); ++e) parse_mac(net.enis[e].mac, t.eni_mac[e].data());
    std::vector<int> subnet_port(net.subnets.size(), -1);
    for (size_t p = 0; p < specs.size(); ++p) {
        LivePort lp;
        lp.label = specs[p].name.empty() ? specs[p].text : specs[p].name;
        std::vector<Idx> vpcs;
        bool internet = false;
        for (const auto& a : specs[p].attach) {
            auto claim = [&](Idx s) -> Status {
                if (subnet_port[s] >= 0 && subnet_port[s] != static_cast<int>(p))
                    return make_error("--port '" + specs[p].text + "': " + net.subnets[s].id + " is already behind --port '" +
                                      specs[subnet_port[s]].text + "'");
                subnet_port[s] = static_cast<int>(p);
                return {};
            };
            if (a == "internet") {
                if (t.internet_port >= 0 && t.internet_port != static_cast<int>(p))
                    return make_error("--port '" + specs[p].text + "': 'internet' is already behind --port '" +
                                      specs[t.internet_port].text + "'");
                t.internet_port = static_cast<int>(p);
                internet = true;
            } else if (auto it = net.index.subnet.find(a); it != net.index.subnet.end()) {
                if (Status s = claim(it->second); !s) return s.error();
                vpcs.push_back(net.subnets[it->second].vpc);
            } else if (auto v = net.index.vpc.find(a); v != net.index.vpc.end()) {
                for (Idx s = 0; s < net.subnets.size(); ++s)
                    if (net.subnets[s].vpc == v->second)
                        if (Status st = claim(s); !st) return st.error();
                vpcs.push_back(v->second);
            } else if (net.index.tgw_attachment.count(a) || net.index.vpn_gateway.count(a) ||
                       net.index.vpn_connection.count(a) || net.index.peering.count(a)) {
                lp.attachment_ids.push_back(a);
            } else {
                return make_error("--port '" + specs[p].text + "': '" + a +
                                  "' is not a subnet, VPC, TGW attachment, VPN gateway/connection or peering of the network, nor 'internet'");
            }
        }
        if (internet && (!vpcs.empty() || !lp.attachment_ids.empty()))
            return make_error("--port '" + specs[p].text + "': 'internet' shares no port with subnets or attachments");
        if (internet) {
            lp.kind = LivePort::Kind::Internet;
            lp.origin.kind = OriginSpec::Kind::Internet;
        } else if (!lp.attachment_ids.empty()) {
            if (!vpcs.empty())
                return make_error("--port '" + specs[p].text + "': subnets and attachments need separate ports");
            if (lp.attachment_ids.size() > 1)
                return make_error("--port '" + specs[p].text + "': one attachment per port (each is its own origin)");
            lp.kind = LivePort::Kind::Attachment;
            const std::string& a = lp.attachment_ids[0];
            if (auto it = net.index.tgw_attachment.find(a); it != net.index.tgw_attachment.end()) {
                lp.origin = {OriginSpec::Kind::TgwAttachment, it->second};
            } else if (auto g = net.index.vpn_gateway.find(a); g != net.index.vpn_gateway.end()) {
                lp.origin = {OriginSpec::Kind::Vgw, g->second};
            } else if (auto c = net.index.peering.find(a); c != net.index.peering.end()) {
                lp.origin = {OriginSpec::Kind::Pcx, c->second};
            } else {
                lp.origin.kind = OriginSpec::Kind::Auto;   // a VPN connection: by address
            }
        }
        t.ports.push_back(std::move(lp));
    }
    // Routers of the subnets behind each port; the ENI addresses a host there may ARP for.
    for (Idx s = 0; s < net.subnets.size(); ++s) {
        if (subnet_port[s] < 0) continue;
        LivePort& lp = t.ports[subnet_port[s]];
        if (net.subnets[s].cidr4) lp.routers.push_back(net.subnets[s].cidr4->base.plus(1));
        for (const auto& c : net.subnets[s].cidrs6) lp.routers.push_back(c.base.plus(1));
    }
    for (Idx e = 0; e < net.enis.size(); ++e) {
        const Eni& eni = net.enis[e];
        if (eni.subnet != kNone && subnet_port[eni.subnet] >= 0) t.eni_port[e] = static_cast<int16_t>(subnet_port[eni.subnet]);
        for (size_t p = 0; p < t.ports.size(); ++p) {
            LivePort& lp = t.ports[p];
            if (lp.kind == LivePort::Kind::Internet) continue;
            bool same_vpc = lp.kind == LivePort::Kind::Attachment;
            for (Idx s = 0; s < net.subnets.size() && !same_vpc; ++s)
                same_vpc = subnet_port[s] == static_cast<int>(p) && net.subnets[s].vpc == eni.vpc;
            if (!same_vpc) continue;
            for (const auto& ip : eni.private_ips) lp.private_addrs.emplace(ip.addr, e);
            for (const auto& ip : eni.ipv6) lp.private_addrs.emplace(ip, e);
        }
    }
    return t;
}

Status check_attachments(const Network& next, const std::vector<PortSpec>& specs) {
    for (const auto& p : specs)
        for (const auto& a : p.attach)
            if (a != "internet" && !next.index.subnet.count(a) && !next.index.vpc.count(a) &&
                !next.index.tgw_attachment.count(a) && !next.index.vpn_gateway.count(a) &&
                !next.index.vpn_connection.count(a) && !next.index.peering.count(a))
                return make_error("the new network has no '" + a + "' (behind --port '" + p.text + "')");
    return {};
}

} // namespace vpcfw
