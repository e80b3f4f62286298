// Loading network interfaces, instances and Elastic IPs from AWS JSON
// (describe-network-interfaces, describe-instances, describe-addresses): private and public
// addresses, prefixes, security groups, attachments, and the Elastic IP mappings merged
// onto the ENIs' private addresses. Part of the Loader (loader_state.hpp). Cold path.
#include "ruleset/loader_state.hpp"

namespace vpcfw::load {

namespace {

void association(const Node& a, PrivateIp& ip) {
    if (!a["PublicIp"].present()) return;
    ip.public_ip = a["PublicIp"].ip();
    ip.allocation_id = a["AllocationId"].str();
    ip.association_id = a["AssociationId"].str();
}

void merge_eni(Eni& a, const Eni& b) {
    add_unique_by(a.private_ips, b.private_ips, [](const PrivateIp& p) { return p.addr.str(); },
                  [](PrivateIp& kept, const PrivateIp& dup) {
                      if (!kept.public_ip && dup.public_ip) {
                          kept.public_ip = dup.public_ip;
                          kept.allocation_id = dup.allocation_id;
                          kept.association_id = dup.association_id;
                      }
                  });
    add_unique(a.ipv6, b.ipv6);
    add_unique(a.prefixes4, b.prefixes4);
    add_unique(a.prefixes6, b.prefixes6);
    add_unique(a.groups, b.groups);
    fill(a.az, b.az);
    fill(a.mac, b.mac);
    fill(a.description, b.description);
    fill(a.name, b.name);
    fill(a.attachment_id, b.attachment_id);
    fill(a.instance_id, b.instance_id);
    fill(a.attachment_status, b.attachment_status);
    if (a.device_index < 0) a.device_index = b.device_index;
    a.requester_managed = a.requester_managed || b.requester_managed;
}

} // namespace

// An ENI from describe-network-interfaces (`describe`) or from an instance's
// NetworkInterfaces (then `instance_id`/`az` come from the instance).
void Loader::eni(const Node& n, bool describe, const std::string& instance_id, const std::string& az) {
    Eni e;
    e.id = n["NetworkInterfaceId"].need_str();
    Ref subnet = ref_of(n["SubnetId"]);
    if (subnet.id.empty()) n["SubnetId"].need_str();
    Ref vpc = ref_of(n["VpcId"]);
    e.az = n["AvailabilityZone"].str();
    if (e.az.empty()) e.az = az;
    if (n["InterfaceType"].present()) e.interface_type = n["InterfaceType"].str();
    if (e.interface_type == "natGateway") e.interface_type = "nat_gateway"; // API enum vs real output
    if (n["Status"].present()) e.status = n["Status"].str();
    e.mac = lower(n["MacAddress"].str());

    std::string primary_text = n["PrivateIpAddress"].str();
    for (const Node& p : n["PrivateIpAddresses"].objects()) {
        PrivateIp ip;
        ip.addr = p["PrivateIpAddress"].ip();
        ip.primary = p["Primary"].boolean(false);
        association(p["Association"], ip);
        e.private_ips.push_back(ip);
    }
    if (auto primary = n["PrivateIpAddress"].opt_ip()) {
        auto it = std::find_if(e.private_ips.begin(), e.private_ips.end(),
                               [&](const PrivateIp& p) { return p.addr == *primary; });
        if (it == e.private_ips.end()) {
            e.private_ips.insert(e.private_ips.begin(), PrivateIp{*primary, true, {}, {}, {}});
        } else if (std::none_of(e.private_ips.begin(), e.private_ips.end(),
                                [](const PrivateIp& p) { return p.primary; })) {
            it->primary = true;
        }
    }
    std::stable_partition(e.private_ips.begin(), e.private_ips.end(),
                          [](const PrivateIp& p) { return p.primary; });
    // The interface-level Association is that of the primary private IP.
    if (!e.private_ips.empty() && !e.private_ips[0].public_ip) association(n["Association"], e.private_ips[0]);

    for (const Node& x : n["Ipv6Addresses"].objects()) e.ipv6.push_back(x["Ipv6Address"].ip());
    for (const Node& x : n["Ipv4Prefixes"].objects()) e.prefixes4.push_back(x["Ipv4Prefix"].cidr());
    for (const Node& x : n["Ipv6Prefixes"].objects()) e.prefixes6.push_back(x["Ipv6Prefix"].cidr());
    for (const Node& g : n["Groups"].objects()) add_unique(e.groups, {g["GroupId"].need_str()});
    e.source_dest_check = n["SourceDestCheck"].boolean(true);
    e.requester_managed = n["RequesterManaged"].boolean(false);
    e.deny_all_igw = n["DenyAllIgwTraffic"].boolean(false);
    e.description = n["Description"].str();
    e.name = name_tag(n["TagSet"]);
    Node att = n["Attachment"];
    e.attachment_id = att["AttachmentId"].str();
    e.instance_id = att["InstanceId"].str();
    if (e.instance_id.empty()) e.instance_id = instance_id;
    e.device_index = att["DeviceIndex"].integer(-1, 1 << 20, -1);
    e.attachment_status = att["Status"].str();
    Node ct = n["ConnectionTrackingConfiguration"];
    e.timeouts.tcp_established = ct["TcpEstablishedTimeout"].integer(0, 1 << 30, e.timeouts.tcp_established);
    e.timeouts.udp_stream = ct["UdpStreamTimeout"].integer(0, 1 << 30, e.timeouts.udp_stream);
    e.timeouts.udp = ct["UdpTimeout"].integer(0, 1 << 30, e.timeouts.udp);

    // describe-network-interfaces is the fuller record: it wins over an instance's copy.
    Idx have = enis_.find(e.id);
    if (have != kNone && describe && !eni_described_[have]) {
        std::swap(enis_.items[have], e);
        std::swap(enis_.subnet[have], subnet);
        std::swap(enis_.vpc[have], vpc);
    }
    Idx i = put(enis_, std::move(e), vpc, subnet, merge_eni);
    eni_described_.resize(enis_.items.size(), false);
    if (describe) eni_described_[i] = true;
}

void Loader::instance(const Node& n) {
    Instance in;
    in.id = n["InstanceId"].need_str();
    if (n["State"]["Name"].present()) in.state = n["State"]["Name"].str();
    in.subnet_id = n["SubnetId"].str();
    in.az = n["Placement"]["AvailabilityZone"].str();
    in.name = name_tag(n["Tags"]);
    for (const Node& ni : n["NetworkInterfaces"].objects()) {
        eni(ni, false, in.id, in.az);
        add_unique(in.enis, {ni["NetworkInterfaceId"].str()});
    }
    put(instances_, std::move(in), {}, {}, [](Instance& a, const Instance& b) {
        fill(a.subnet_id, b.subnet_id);
        fill(a.az, b.az);
        fill(a.name, b.name);
        add_unique(a.enis, b.enis);
    });
}

void Loader::address(const Node& n) {
    ElasticIp e;
    e.public_ip = n["PublicIp"].ip();
    e.allocation_id = n["AllocationId"].str();
    e.association_id = n["AssociationId"].str();
    e.eni_id = n["NetworkInterfaceId"].str();
    e.instance_id = n["InstanceId"].str();
    e.private_ip = n["PrivateIpAddress"].opt_ip();
    e.service_managed = n["ServiceManaged"].str();
    // Merge by AllocationId, or by the address itself for EC2-Classic ones.
    std::string key = e.allocation_id.empty() ? e.public_ip.str() : e.allocation_id;
    auto it = eip_by_key_.find(key);
    if (it == eip_by_key_.end()) {
        eip_by_key_.emplace(key, eips_.size());
        eips_.push_back(e);
        return;
    }
    ElasticIp& a = eips_[it->second];
    fill(a.association_id, e.association_id);
    fill(a.eni_id, e.eni_id);
    fill(a.instance_id, e.instance_id);
    if (!a.private_ip) a.private_ip = e.private_ip;
}

} // namespace vpcfw::load
