// FlowSharder: which replay worker owns a packet. Hashes the addresses the network does not
// own (a flow and its NAT'd or 1:1-translated reply share the outside address), or, when
// both ends are the network's, both addresses unordered with public/Elastic IPs read as
// their private address. Symmetric in direction; ports are never used, so non-first
// fragments meet their first fragment and NAT port allocation per destination stays on one
// worker. Immutable after construction; any thread may call worker_of().
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "dataplane/flow_key.hpp"
#include "ruleset/ip.hpp"
#include "ruleset/model.hpp"

namespace vpcfw {

class FlowSharder {
public:
    explicit FlowSharder(const Network& net);
    // 0 <= result < n. A key that did not parse (version 0) goes to worker 0.
    unsigned worker_of(const FlowKey& key, unsigned n) const;

    // The address as the network knows it: a public or Elastic IP -> its private address;
    // `owned` says whether the network owns it at all.
    IpAddr canonical(const IpAddr& a, bool& owned) const;

private:
    std::unordered_map<IpAddr, IpAddr, IpAddrHash> owned_;   // address -> private form
    std::vector<Cidr> prefixes_;                              // delegated prefixes
};

// A stable 64-bit hash of the direction-normalised flow (addresses, ports or ICMP id,
// protocol): the decisions' flow_id. Both directions of a flow give the same value.
uint64_t flow_id(const FlowKey& key);

} // namespace vpcfw
