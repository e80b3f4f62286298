// Topology: what lives behind each port of a live run (`vpcfw run`): which DPDK port
// carries which subnets, VPCs, attachments or the internet side; the routers (subnet base
// + 1) and ENI addresses answered there by ARP/ND; which port and MAC each ENI has. Built
// once by the control thread from the --port specs and the first network (ENI subnets and
// MACs do not change under AWS actions), then immutable while workers run: any worker
// may read it. Cold to build; the worker reads it per packet.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/compiled.hpp"   // OriginSpec
#include "ruleset/ip.hpp"
#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

// One --port as given: [NAME=]DEVARGS@ATTACH[,ATTACH...] (control/run.cpp parses the text).
struct PortSpec {
    std::string text, devargs;
    std::string name;                  // NAME=, the port's label when given
    std::vector<std::string> attach;   // subnet / VPC / attachment ids, or "internet"
};

struct LivePort {
    enum class Kind : uint8_t { Subnet, Internet, Attachment };
    uint16_t port_id = 0;          // DPDK port
    uint8_t mac[6] = {};           // the port's own MAC: the router's, on the wire
    Kind kind = Kind::Subnet;
    OriginSpec origin;             // Auto on subnet ports; Internet / attachment given
    std::string label;             // NAME, else SPEC as given: in stats, decisions, logs, metrics
    std::vector<std::string> attachment_ids;   // tgw-attach-/vgw-/vpn- ids behind it
    std::vector<IpAddr> routers;   // base + 1 of every subnet CIDR behind it (ARP/ND)
    // Private addresses answered here (ENIs of the VPCs behind the port) -> ENI index; a
    // host is never answered for its own address.
    std::unordered_map<IpAddr, uint32_t, IpAddrHash> private_addrs;
};

struct Topology {
    std::vector<LivePort> ports;
    std::vector<int16_t> eni_port;                  // dense ENI index -> port index, -1: none
    std::vector<std::array<uint8_t, 6>> eni_mac;    // dense ENI index -> its MAC (model)
    int internet_port = -1;
};

// The topology of `specs` over `net` (DPDK port ids and MACs are filled in when the ports
// are opened). Errors name the --port that is wrong: an unknown id, a subnet behind two
// ports, 'internet' or an attachment sharing a port.
Result<Topology> build_topology(const Network& net, const std::vector<PortSpec>& specs);

// A network published later (reload) must still have everything the ports were laid out
// for: an error names the first id of `specs` that `next` lacks.
Status check_attachments(const Network& next, const std::vector<PortSpec>& specs);

} // namespace vpcfw
