// DPDK port setup for `vpcfw run` (dataplane/ports.hpp).
#include "dataplane/ports.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

namespace vpcfw {

namespace {

// A Toeplitz key of one repeated 16-bit word hashes (a, b) and (b, a) alike: symmetric RSS
// on NICs without a symmetric hash function (Woo and Park, "Scalable TCP Session
// Monitoring with Symmetric Receive-side Scaling").
uint8_t kSymmetricRssKey[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

Error port_error(const std::string& devargs, const std::string& what) {
    return make_error("port '" + devargs + "': " + what);
}

} // namespace

std::string port_device_name(const std::string& devargs) {
    return devargs.substr(0, devargs.find(','));
}

bool is_pci_address(const std::string& devargs) {
    std::string name = port_device_name(devargs);
    // DDDD:BB:DD.F or BB:DD.F
    size_t colons = std::count(name.begin(), name.end(), ':');
    if (colons < 1 || colons > 2 || name.find('.') == std::string::npos) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; });
}

std::string port_devargs(const std::string& devargs, unsigned queues) {
    if (devargs.rfind("net_af_packet", 0) == 0 && devargs.find("qpairs=") == std::string::npos)
        return devargs + ",qpairs=" + std::to_string(queues);
    return devargs;
}

Result<PortInfo> open_port(const std::string& given, unsigned queues, rte_mempool* pool, uint16_t rx_desc,
                           uint16_t tx_desc) {
    PortInfo info;
    info.devargs = port_devargs(given, queues);
    info.name = port_device_name(info.devargs);
    uint16_t id = 0;
    if (rte_eth_dev_get_port_by_name(info.name.c_str(), &id) != 0) {
        int rc = rte_dev_probe(info.devargs.c_str());
        if (rc < 0 && rc != -EEXIST)
            return port_error(given, std::string("cannot probe the device: ") + rte_strerror(-rc) +
                                         (is_pci_address(given) ? " (is it bound to vfio-pci, and did the EAL scan PCI?)"
                                                                : " (is the driver name right, e.g. net_af_packet0,iface=IFACE?)"));
        if (rte_eth_dev_get_port_by_name(info.name.c_str(), &id) != 0)
            return port_error(given, "probed, but no ethdev port is named '" + info.name + "'");
    }
    info.id = id;

    rte_eth_dev_info dev{};
    if (int rc = rte_eth_dev_info_get(id, &dev); rc != 0)
        return port_error(given, std::string("cannot read device info: ") + rte_strerror(-rc));
    info.driver = dev.driver_name ? dev.driver_name : "";
    if (dev.max_rx_queues < queues || dev.max_tx_queues < queues)
        return port_error(given, "the device offers " + std::to_string(dev.max_rx_queues) + " RX / " +
                                     std::to_string(dev.max_tx_queues) + " TX queues; " + std::to_string(queues) +
                                     " workers need one pair each (use fewer --workers)");

    rte_eth_conf conf{};
    if (queues > 1 && dev.flow_type_rss_offloads != 0) {
        // Spread flows over the queues; workers still check the owner in software, since
        // no NIC hash is symmetric across NAT (a reply carries other addresses).
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_key = kSymmetricRssKey;
        conf.rx_adv_conf.rss_conf.rss_key_len = sizeof kSymmetricRssKey;
        conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & dev.flow_type_rss_offloads;
        if (dev.hash_key_size && dev.hash_key_size != sizeof kSymmetricRssKey) {
            conf.rx_adv_conf.rss_conf.rss_key = nullptr;   // the device's own key
            conf.rx_adv_conf.rss_conf.rss_key_len = 0;
        }
        info.rss = conf.rx_adv_conf.rss_conf.rss_hf != 0;
        if (!info.rss) conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
    }
    if (int rc = rte_eth_dev_configure(id, queues, queues, &conf); rc != 0)
        return port_error(given, std::string("cannot configure ") + std::to_string(queues) + " queue pairs: " + rte_strerror(-rc));
    if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rx_desc, &tx_desc); rc != 0)
        return port_error(given, std::string("cannot size the rings: ") + rte_strerror(-rc));
    int socket = rte_eth_dev_socket_id(id);
    if (socket < 0) socket = 0;
    for (unsigned q = 0; q < queues; ++q) {
        if (int rc = rte_eth_rx_queue_setup(id, q, rx_desc, socket, nullptr, pool); rc != 0)
            return port_error(given, "cannot set up RX queue " + std::to_string(q) + ": " + rte_strerror(-rc));
        if (int rc = rte_eth_tx_queue_setup(id, q, tx_desc, socket, nullptr); rc != 0)
            return port_error(given, "cannot set up TX queue " + std::to_string(q) + ": " + rte_strerror(-rc));
    }
    if (int rc = rte_eth_dev_start(id); rc != 0)
        return port_error(given, std::string("cannot start: ") + rte_strerror(-rc));
    // Frames are addressed to the hosts' ENI MACs and the router; take them all.
    rte_eth_promiscuous_enable(id);
    rte_ether_addr mac{};
    rte_eth_macaddr_get(id, &mac);
    std::memcpy(info.mac, mac.addr_bytes, 6);
    info.queues = queues;
    return info;
}

void close_port(const PortInfo& port) {
    rte_eth_dev_stop(port.id);
    rte_eth_dev_close(port.id);
    if (!is_pci_address(port.devargs)) rte_eal_hotplug_remove("vdev", port.name.c_str());
}

} // namespace vpcfw
