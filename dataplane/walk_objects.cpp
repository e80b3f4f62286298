// The compiled walk (dataplane/pipeline_impl.hpp): finding the model's objects by address
// (docs/semantics.md §1: which ENI owns an address, which VPC holds it, which public IP maps to
// which ENI) and the traffic AWS never filters (§9), as lookups in the CompiledRuleset's
// maps and arrays. Mirrors ruleset/ref_objects.cpp.
#include "dataplane/pipeline_impl.hpp"

#include <algorithm>
#include <cstring>

namespace vpcfw {

uint32_t Pipeline::Impl::prefix_owner(uint32_t vpc, const IpAddr& a) const {
    for (const auto& p : t->prefixes)
        if ((vpc == kNone || t->enis[p.eni].vpc == vpc) && p.cidr.contains(a)) return p.eni;
    return kNone;
}

uint32_t Pipeline::Impl::eni_by_private(uint32_t vpc, const IpAddr& a) const {
    const uint32_t* e = t->private_in_vpc.find(ScopedAddr::make(vpc, a));
    uint32_t best = e ? *e : kNone;
    if (!t->prefixes.empty()) best = std::min(best, prefix_owner(vpc, a));
    return best;
}

uint32_t Pipeline::Impl::eni_by_any_private(const IpAddr& a) const {
    const uint32_t* e = t->private_any.find(ScopedAddr::make(kNone, a));
    uint32_t best = e ? *e : kNone;
    if (!t->prefixes.empty()) best = std::min(best, prefix_owner(kNone, a));
    return best;
}

bool Pipeline::Impl::eni_has_address(uint32_t eni, const IpAddr& a) const {
    if (t->eni_address.find(ScopedAddr::make(eni, a))) return true;
    if (!t->enis[eni].has_prefixes) return false;
    for (const auto& p : t->prefixes)
        if (p.eni == eni && p.cidr.contains(a)) return true;
    return false;
}

PublicOwner Pipeline::Impl::eni_by_public(const IpAddr& a) const {
    const PublicOwner* o = t->public_owner.find(ScopedAddr::make(kNone, a));
    return o ? *o : PublicOwner{};
}

const CompiledPrivateIp* Pipeline::Impl::private_ip_record(uint32_t vpc, const IpAddr& a) const {
    const PublicOwner* o = t->private_record.find(ScopedAddr::make(vpc, a));
    return o ? &private_ip(o->eni, o->pip) : nullptr;
}

bool Pipeline::Impl::in_vpc(uint32_t vpc, const IpAddr& a) const {
    const CompiledVpc& v = t->vpcs[vpc];
    for (uint32_t i = v.cidr_begin; i < v.cidr_end; ++i)
        if (t->vpc_cidrs[i].contains(a)) return true;
    return false;
}

// The reference scans the VPCs in model order; the compiler swept their CIDRs into
// intervals labelled with the first containing VPC (addr_intervals.hpp).
uint32_t Pipeline::Impl::vpc_containing(const IpAddr& a) const {
    uint32_t v = t->vpc_by_addr.find(a);
    return v == AddrIntervals::kMissing ? kNone : v;
}

bool Pipeline::Impl::owns_public(const IpAddr& a) const {
    if (a.is_v4()) return eni_by_public(a).eni != kNone;
    return vpc_containing(a) != kNone;
}

// §9 (reference: aws_service).
Service Pipeline::Impl::aws_service(uint32_t vpc, uint32_t subnet, const Packet& p, const IpAddr& a) const {
    if (a.is_v4()) {
        uint32_t h = a.v4_host();
        if (h == 0xA9FEA9FD) return Service::AmazonDns;
        if (h == 0xA9FEA9FE) return Service::Metadata;
        if (h == 0xA9FEA97B) return Service::TimeSync;
        if (vpc != kNone && t->vpcs[vpc].has_dns4 && a == t->vpcs[vpc].dns4) return Service::AmazonDns;
        if (subnet != kNone && t->subnets[subnet].has_router4 && a == t->subnets[subnet].router4)
            return p.is_udp() && (p.dport == 67 || p.sport == 67) ? Service::Dhcp : Service::VpcRouter;
        if (h == 0xFFFFFFFF && p.is_udp() && (p.dport == 67 || p.dport == 68)) return Service::Dhcp;
    } else {
        static const IpAddr dns6 = *IpAddr::parse("fd00:ec2::253");
        static const IpAddr imds6 = *IpAddr::parse("fd00:ec2::254");
        static const IpAddr ntp6 = *IpAddr::parse("fd00:ec2::123");
        static const IpAddr dhcp6 = *IpAddr::parse("ff02::1:2");
        if (a == dns6) return Service::AmazonDns;
        if (a == imds6) return Service::Metadata;
        if (a == ntp6) return Service::TimeSync;
        if (a == dhcp6 && p.is_udp()) return Service::Dhcp;
        if (subnet != kNone)
            for (uint32_t i = t->subnets[subnet].router6_begin; i < t->subnets[subnet].router6_end; ++i)
                if (a == t->subnet_routers6[i]) return Service::VpcRouter;
    }
    return Service::None;
}

} // namespace vpcfw
