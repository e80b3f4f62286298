// The reference evaluator (ref_state.hpp): finding the model's objects by address
// (which ENI owns an address, which VPC holds it, which public IP maps to which ENI, §1),
// whether an ENI can send and receive (§10), and the traffic AWS never filters (§9).
#include "ruleset/ref_state.hpp"

#include <algorithm>

namespace vpcfw::ref {

// Every address that belongs to an ENI (§2 source check, §4 referenced groups).
bool State::eni_has_address(const Eni& e, const IpAddr& a) {
    for (const auto& p : e.private_ips)
        if (p.addr == a) return true;
    for (const auto& v6 : e.ipv6)
        if (v6 == a) return true;
    for (const auto& c : e.prefixes4)
        if (c.contains(a)) return true;
    for (const auto& c : e.prefixes6)
        if (c.contains(a)) return true;
    return false;
}

// The ENI in `vpc` that owns private address `a` (kNone when nobody does).
Idx State::eni_by_private(Idx vpc, const IpAddr& a) const {
    for (Idx i = 0; i < net.enis.size(); ++i)
        if (net.enis[i].vpc == vpc && eni_has_address(net.enis[i], a)) return i;
    return kNone;
}

Idx State::eni_by_any_private(const IpAddr& a) const {
    for (Idx i = 0; i < net.enis.size(); ++i)
        if (eni_has_address(net.enis[i], a)) return i;
    return kNone;
}

// The ENI + private IP that carry public IPv4 `a` (auto-assigned or Elastic).
std::pair<Idx, const PrivateIp*> State::eni_by_public(const IpAddr& a) const {
    for (Idx i = 0; i < net.enis.size(); ++i)
        for (const auto& p : net.enis[i].private_ips)
            if (p.public_ip && *p.public_ip == a) return {i, &p};
    return {kNone, nullptr};
}

const PrivateIp* State::private_ip_record(Idx vpc, const IpAddr& a) const {
    for (const auto& e : net.enis)
        if (e.vpc == vpc)
            for (const auto& p : e.private_ips)
                if (p.addr == a) return &p;
    return nullptr;
}

bool State::in_vpc(Idx vpc, const IpAddr& a) const {
    const Vpc& v = net.vpcs[vpc];
    for (const auto& c : v.cidrs4)
        if (c.contains(a)) return true;
    for (const auto& c : v.cidrs6)
        if (c.contains(a)) return true;
    return false;
}

Idx State::vpc_containing(const IpAddr& a) const {
    for (Idx i = 0; i < net.vpcs.size(); ++i)
        if (in_vpc(i, a)) return i;
    return kNone;
}

// `to` for a delivered ENI: an interface endpoint's ENI reports the endpoint id.
std::string State::destination_name(Idx e) const {
    const Eni& n = net.enis[e];
    for (const auto& ep : net.endpoints)
        for (const auto& id : ep.eni_ids)
            if (id == n.id) return ep.id;
    return n.id;
}

bool State::is_interface_endpoint_eni(Idx e) const { return destination_name(e) != net.enis[e].id; }

const NatGateway* State::nat_of_eni(Idx e) const {
    const Eni& n = net.enis[e];
    for (const auto& g : net.nat_gateways)
        for (const auto& a : g.addresses)
            if (a.eni_id == n.id) return &g;
    return nullptr;
}

// An ENI can send and receive (§1, §10): attached, its instance running.
bool State::eni_usable(Idx e, std::string& reason) const {
    const Eni& n = net.enis[e];
    // ENIs that AWS manages (NAT gateway, endpoints, TGW attachments, load balancers)
    // forward as long as their owner does; the owner's state is checked where it is used.
    if (n.requester_managed || n.interface_type != "interface") return true;
    bool attached = !n.attachment_id.empty() && n.status != "available" &&
                    (n.attachment_status.empty() || n.attachment_status == "attached");
    if (!attached) {
        reason = "eni-not-attached";
        return false;
    }
    if (!n.instance_id.empty()) {
        const Instance* in = net.instance(n.instance_id);
        if (in && in->state != "running") {
            reason = "instance-not-running";
            return false;
        }
    }
    return true;
}

// ---- §9 traffic AWS never filters ---------------------------------------------------
std::string State::aws_service(Idx vpc, Idx subnet, const Packet& p, const IpAddr& a) const {
    if (a.is_v4()) {
        uint32_t h = a.v4_host();
        if (h == 0xA9FEA9FD) return service_name(Service::AmazonDns); // 169.254.169.253
        if (h == 0xA9FEA9FE) return service_name(Service::Metadata);  // 169.254.169.254
        if (h == 0xA9FEA97B) return service_name(Service::TimeSync);  // 169.254.169.123
        if (vpc != kNone && !net.vpcs[vpc].cidrs4.empty() &&
            a == net.vpcs[vpc].cidrs4[0].base.plus(2))
            return service_name(Service::AmazonDns);
        if (subnet != kNone && net.subnets[subnet].cidr4 &&
            a == net.subnets[subnet].cidr4->base.plus(1))
            return service_name(p.is_udp() && (p.dport == 67 || p.sport == 67) ? Service::Dhcp : Service::VpcRouter);
        if (h == 0xFFFFFFFF && p.is_udp() && (p.dport == 67 || p.dport == 68)) return service_name(Service::Dhcp);
    } else {
        static const IpAddr dns6 = *IpAddr::parse("fd00:ec2::253");
        static const IpAddr imds6 = *IpAddr::parse("fd00:ec2::254");
        static const IpAddr ntp6 = *IpAddr::parse("fd00:ec2::123");
        static const IpAddr dhcp6 = *IpAddr::parse("ff02::1:2");
        if (a == dns6) return service_name(Service::AmazonDns);
        if (a == imds6) return service_name(Service::Metadata);
        if (a == ntp6) return service_name(Service::TimeSync);
        if (a == dhcp6 && p.is_udp()) return service_name(Service::Dhcp);
        if (subnet != kNone)
            for (const auto& c : net.subnets[subnet].cidrs6)
                if (a == c.base.plus(1)) return service_name(Service::VpcRouter);
    }
    return {};
}

} // namespace vpcfw::ref
