// CaptureReader: reads a pcap or pcapng file packet by packet (libpcap; our own pcapng
// block reader only where libpcap refuses the file), with nanosecond timestamps and the
// link type of each packet's interface. Cold setup, then one call per packet; one reader
// belongs to one thread (the replay driver's main thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/parse.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

enum class CaptureFormat : uint8_t { Pcap, Pcapng };

// One packet as read. `data` stays valid until the next call to next().
struct CapturePacket {
    const uint8_t* data = nullptr;
    uint32_t caplen = 0;
    uint32_t wirelen = 0;
    int64_t ts_ns = 0;          // Unix time in nanoseconds (clamped to int64: CaptureProblems)
    uint32_t interface = 0;     // pcapng interface index (0 for pcap)
    LinkType link = LinkType::Ethernet;
};

// What was wrong with the file, reported but not fatal.
struct CaptureProblems {
    uint64_t truncated = 0;     // caplen < wire length (snap length)
    uint64_t broken = 0;        // records that could not be read (reading stops there)
    uint64_t clamped = 0;       // timestamps outside int64 nanoseconds, clamped to its range
    std::vector<std::string> messages;  // the first few, "FILE: record N: why"
};

class CaptureReader {
public:
    // Opens `path`. Errors (missing file, not a regular file — a FIFO, device or
    // directory —, not a capture at all) name the file.
    static Result<std::unique_ptr<CaptureReader>> open(const std::string& path);
    virtual ~CaptureReader() = default;

    // The next packet; false at the end of the file or at a broken record (see problems()).
    virtual bool next(CapturePacket& out) = 0;

    CaptureFormat format() const { return format_; }
    // True when libpcap refused the file and our pcapng block reader reads it.
    bool own_pcapng_reader() const { return own_reader_; }
    const CaptureProblems& problems() const { return problems_; }
    const std::string& path() const { return path_; }
    uint64_t packets_read() const { return packets_; }

protected:
    void note_problem(std::string message, bool broken);
    // `ns` as int64 nanoseconds; outside that range (+-292 years around 1970), the nearest
    // end, counted in problems().clamped and noted once as a warning.
    int64_t clamp_time(__int128 ns);

    std::string path_;
    CaptureFormat format_ = CaptureFormat::Pcap;
    bool own_reader_ = false;
    CaptureProblems problems_;
    uint64_t packets_ = 0;
};

inline constexpr size_t kMaxProblemMessages = 5;

} // namespace vpcfw
