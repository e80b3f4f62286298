// PcapngWriter: writes packets as pcapng with one Enhanced Packet Block per packet and an
// opt_comment naming its decision (libpcap writes only pcap, without comments). One
// interface block per link type seen, nanosecond timestamps. Main thread only; cold.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "dataplane/parse.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

class PcapngWriter {
public:
    PcapngWriter() = default;
    ~PcapngWriter();
    PcapngWriter(const PcapngWriter&) = delete;
    PcapngWriter& operator=(const PcapngWriter&) = delete;

    Status open(const std::string& path);
    // Writes one packet with its original bytes, lengths and timestamp.
    Status write(const uint8_t* data, uint32_t caplen, uint32_t wirelen, int64_t ts_ns, LinkType link,
                 std::string_view comment);
    Status close();
    uint64_t packets() const { return packets_; }

private:
    Status put(const void* p, size_t n);
    std::FILE* f_ = nullptr;
    std::string path_;
    std::map<uint16_t, uint32_t> iface_;   // link type -> interface id
    uint64_t packets_ = 0;
};

} // namespace vpcfw
