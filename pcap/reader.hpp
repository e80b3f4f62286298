// CaptureReader: reads a pcap or pcapng capture packet by packet (libpcap; our own pcapng
// block reader only where libpcap refuses the file), with nanosecond timestamps and the
// link type of each packet's interface. Cold setup, then one call per packet; one reader
// belongs to one thread (the replay driver's main thread). A capture is input from outside,
// so it is bounded: a reader consumes at most kMaxCaptureBytes (or the bound given to open),
// counted as it reads (file header, record headers and data, pcapng blocks), so the bound
// holds for any source; past it, next() stops and limit_error() says so.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/parse.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

enum class CaptureFormat : uint8_t { Pcap, Pcapng };

// One packet as read. `data` stays valid until the next call to next(), or for the
// reader's whole life when CaptureReader::data_stays() (a plain pcap read through mmap).
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

// The most bytes of one capture a reader consumes (256 GiB: far beyond any replay that
// ends in reasonable time, well within disk and int64 arithmetic).
inline constexpr uint64_t kMaxCaptureBytes = uint64_t{1} << 38;

class CaptureReader {
public:
    // Opens `path` once: a file, "-" (standard input), a pipe or FIFO, gzip or zstd
    // compressed or not (pcap/capture_stream.hpp). Errors (missing file, a directory or
    // device, a regular file larger than `max_bytes`, not a capture at all, corrupt
    // compressed data) name the file; any other source is stopped by the byte count as it
    // is read. Only a plain file can go to our own pcapng reader (it seeks); from a stream,
    // libpcap reads.
    static Result<std::unique_ptr<CaptureReader>> open(const std::string& path, uint64_t max_bytes = kMaxCaptureBytes);
    virtual ~CaptureReader() = default;

    // The next packet; false at the end of the file or at a broken record (see problems()).
    virtual bool next(CapturePacket& out) = 0;

    CaptureFormat format() const { return format_; }
    // True when libpcap refused the file and our pcapng block reader reads it.
    bool own_pcapng_reader() const { return own_reader_; }
    // True when every packet's data stays valid until the reader is destroyed (a mapped
    // file): the replay driver then hands frames to its workers without copying them.
    bool data_stays() const { return data_stays_; }
    const CaptureProblems& problems() const { return problems_; }
    const std::string& path() const { return path_; }
    uint64_t packets_read() const { return packets_; }
    // Set when reading stopped because the capture passed its size bound (the packets read
    // before are valid; the caller must not treat the capture as complete: exit 2).
    const std::optional<Error>& limit_error() const { return limit_error_; }

protected:
    static Result<std::unique_ptr<CaptureReader>> open_unbounded(const std::string& path);
    // Counts `n` more bytes consumed; false (and limit_error() set) once past the bound.
    bool consume(uint64_t n);
    void note_problem(std::string message, bool broken);
    // `ns` as int64 nanoseconds; outside that range (+-292 years around 1970), the nearest
    // end, counted in problems().clamped and noted once as a warning.
    int64_t clamp_time(__int128 ns);

    std::string path_;
    CaptureFormat format_ = CaptureFormat::Pcap;
    bool own_reader_ = false;
    bool data_stays_ = false;
    CaptureProblems problems_;
    uint64_t packets_ = 0;
    uint64_t max_bytes_ = kMaxCaptureBytes;
    uint64_t consumed_ = 0;
    std::optional<Error> limit_error_;
};

inline constexpr size_t kMaxProblemMessages = 5;

} // namespace vpcfw
