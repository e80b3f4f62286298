// MacTable: the MACs hosts behind one port of a live run sent from, by IP address (for
// destinations the model has no MAC for: internet hosts, attachment peers). Shared by all
// workers without locks: a direct-mapped table of (address hash, MAC) words; a racing
// writer can at worst leave a slot stale until the host's next packet relearns it.
// Hot: lookup and learn are a few atomic loads/stores, no allocation; size() is cold.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "ruleset/ip.hpp"

namespace vpcfw {

class MacTable {
public:
    MacTable();
    bool lookup(const IpAddr& ip, uint8_t mac[6]) const;
    void learn(const IpAddr& ip, const uint8_t mac[6]);
    size_t size() const;           // learned entries (cold)

private:
    static constexpr unsigned kSlots = 4096;
    struct Slot {
        std::atomic<uint64_t> key{0};
        std::atomic<uint64_t> mac{0};
    };
    std::unique_ptr<Slot[]> slots_;
};

} // namespace vpcfw
