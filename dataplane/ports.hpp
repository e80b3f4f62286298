// DPDK ports of the live dataplane (`vpcfw run`): probing a port from its devargs (a PCI
// address or a vdev such as `net_af_packet0,iface=veth0`), configuring one RX and one TX
// queue per worker with symmetric RSS where the device offers RSS, and stopping it.
// Control thread only, cold; needs an initialised EAL. Errors are values naming the port.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ruleset/status.hpp"

struct rte_mempool;

namespace vpcfw {

struct PortInfo {
    uint16_t id = 0;
    std::string devargs;           // as given (after the af_packet qpairs default)
    std::string name;              // the device name: devargs up to the first ','
    std::string driver;
    uint8_t mac[6] = {};
    unsigned queues = 0;           // RX = TX queues (one pair per worker)
    bool rss = false;              // hardware symmetric RSS configured
};

// The devargs a port is probed with: for net_af_packet, `qpairs=QUEUES` is added when
// absent (the PMD's queue count is fixed at probe time).
std::string port_devargs(const std::string& devargs, unsigned queues);

// The device name of devargs ("net_af_packet0" of "net_af_packet0,iface=veth0").
std::string port_device_name(const std::string& devargs);

// True when devargs names a PCI device ("0000:01:00.0" or "01:00.0").
bool is_pci_address(const std::string& devargs);

// Probes (unless the EAL already did: PCI devices given with -a), configures `queues`
// RX/TX queue pairs drawing mbufs from `pool`, enables promiscuous mode and starts the
// port. `rx_desc`/`tx_desc` are ring sizes (adjusted to what the device accepts).
Result<PortInfo> open_port(const std::string& devargs, unsigned queues, rte_mempool* pool,
                           uint16_t rx_desc = 1024, uint16_t tx_desc = 1024);

// Stops and closes a port opened by open_port (and detaches a probed vdev).
void close_port(const PortInfo& port);

} // namespace vpcfw
