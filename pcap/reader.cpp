// CaptureReader implementations: libpcap for pcap and pcapng, and a small pcapng block
// reader for the files libpcap refuses. Cold code apart from next(). Time arithmetic is done
// in 128 bits; a time outside int64 nanoseconds is clamped with a warning.
#include "pcap/reader.hpp"

#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "pcap/capture_stream.hpp"
#include "ruleset/bounded_input.hpp"

namespace vpcfw {

void CaptureReader::note_problem(std::string message, bool broken) {
    if (broken) ++problems_.broken;
    if (problems_.messages.size() < kMaxProblemMessages) problems_.messages.push_back(path_ + ": " + std::move(message));
}

bool CaptureReader::consume(uint64_t n) {
    consumed_ += n;
    if (consumed_ <= max_bytes_) return true;
    if (!limit_error_)
        limit_error_ = Error{"the capture is larger than the " + byte_size_text(max_bytes_) +
                                 " limit for captures (stopped after " + std::to_string(packets_) + " packets)",
                             {}, path_, {}};
    return false;
}

int64_t CaptureReader::clamp_time(__int128 ns) {
    constexpr __int128 lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
    if (ns >= lo && ns <= hi) return static_cast<int64_t>(ns);
    if (problems_.clamped++ == 0)
        note_problem("record " + std::to_string(packets_) + ": timestamp outside the representable range (" +
                         "+-292 years around 1970 in nanoseconds); clamped to the nearest end",
                     false);
    return ns < lo ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
}

namespace {

constexpr uint32_t kShb = 0x0A0D0D0A, kIdb = 1, kOpb = 2, kSpb = 3, kEpb = 6;
constexpr __int128 kNsPerSecond = 1000000000;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D, kByteOrderSwapped = 0x4D3C2B1A;

uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }
uint16_t bswap16(uint16_t v) { return __builtin_bswap16(v); }

// ---- libpcap ------------------------------------------------------------------------------

class LibpcapReader final : public CaptureReader {
public:
    LibpcapReader(pcap_t* pc, std::string path, CaptureFormat format) : pc_(pc) {
        path_ = std::move(path);
        format_ = format;
        link_ = static_cast<LinkType>(pcap_datalink(pc_));
    }
    ~LibpcapReader() override { pcap_close(pc_); }

    bool next(CapturePacket& out) override {
        if (done_) return false;
        pcap_pkthdr* hdr = nullptr;
        const u_char* data = nullptr;
        int rc = pcap_next_ex(pc_, &hdr, &data);
        if (rc != 1) {
            done_ = true;
            if (rc != PCAP_ERROR_BREAK)
                note_problem("record " + std::to_string(packets_) + ": " +
                                 (status_ && !status_->error.empty() ? status_->error : std::string(pcap_geterr(pc_))) +
                                 " (reading stops here)",
                             true);
            return false;
        }
        // A pcap record is a 16-byte header and the captured bytes (a pcapng read by libpcap
        // is counted the same way, a little under its blocks' size).
        if (!consume(16 + uint64_t{hdr->caplen})) {
            done_ = true;
            return false;
        }
        out.data = data;
        out.caplen = hdr->caplen;
        out.wirelen = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
        // Opened with nanosecond precision: tv_usec holds nanoseconds.
        out.ts_ns = clamp_time(static_cast<__int128>(hdr->ts.tv_sec) * kNsPerSecond + hdr->ts.tv_usec);
        out.interface = 0;
        out.link = link_;
        if (hdr->caplen < hdr->len) ++problems_.truncated;
        ++packets_;
        return true;
    }

    void set_stream_status(std::shared_ptr<StreamStatus> s) { status_ = std::move(s); }
    LinkType link() const { return link_; }

private:
    pcap_t* pc_;
    std::shared_ptr<StreamStatus> status_;   // decompression errors, named in problems
    LinkType link_;
    bool done_ = false;
};

// ---- classic pcap through mmap ------------------------------------------------------------

// A plain pcap file (version 2.4, micro- or nanosecond magic, either byte order) read
// straight from a read-only mapping: no copy, no call into libpcap per packet. libpcap has
// opened the file first (the header checks, link type and snapshot are its), so this reader
// takes over only where it behaves as libpcap's pcap_next_packet does record for record:
// the same caplen checks and the same messages for a broken record. Other versions, the
// Kuznetzov magic and the link types libpcap post-processes stay with LibpcapReader.
class MmapPcapReader final : public CaptureReader {
public:
    MmapPcapReader(int fd, const uint8_t* base, size_t size, std::string path, LinkType link, uint32_t snapshot, bool swapped,
                   bool nano)
        : fd_(fd), base_(base), size_(size), pos_(24), link_(link), snapshot_(snapshot), swapped_(swapped),
          scale_(nano ? 1 : 1000) {
        path_ = std::move(path);
        format_ = CaptureFormat::Pcap;
        data_stays_ = true;
    }
    ~MmapPcapReader() override {
        munmap(const_cast<uint8_t*>(base_), size_);
        for (auto [p, n] : old_) munmap(p, n);
        ::close(fd_);
    }

    bool next(CapturePacket& out) override {
        if (done_) return false;
        // A file still being written (as libpcap would, the reader goes on reading what was
        // appended): at the end of the mapping, or inside a record cut by it, map it again.
        if (size_ - pos_ < 16 || size_ - pos_ - 16 < u32(base_ + pos_ + 8)) remap();
        size_t left = size_ - pos_;
        if (left == 0) {
            done_ = true;
            return false;
        }
        if (left < 16) return broken("truncated dump file; tried to read 16 header bytes, only got " + std::to_string(left));
        const uint8_t* h = base_ + pos_;
        uint32_t sec = u32(h), frac = u32(h + 4), caplen = u32(h + 8), len = u32(h + 12);
        left -= 16;
        constexpr uint32_t kMaxSnaplen = 262144;   // libpcap's MAXIMUM_SNAPLEN for these link types
        if (caplen > kMaxSnaplen)
            return broken("invalid packet capture length " + std::to_string(caplen) + ", bigger than " +
                          (caplen > snapshot_ ? "snaplen of " + std::to_string(snapshot_) : "maximum of " + std::to_string(kMaxSnaplen)));
        uint32_t keep = caplen;
        if (caplen > snapshot_) {   // libpcap keeps the snapshot and skips the rest
            if (left < snapshot_)
                return broken("truncated dump file; tried to read " + std::to_string(snapshot_) + " captured bytes, only got " +
                              std::to_string(left));
            keep = snapshot_;
        }
        if (left < caplen)
            return broken("truncated dump file; tried to read " + std::to_string(caplen) + " captured bytes, only got " +
                          std::to_string(left));
        if (!consume(16 + uint64_t{keep})) {
            done_ = true;
            return false;
        }
        out.data = h + 16;
        out.caplen = keep;
        out.wirelen = len < keep ? keep : len;
        // As libpcap 1.10 reads them: signed 32-bit seconds and fraction, but unsigned in a
        // file of the other byte order (its SWAPLONG yields an unsigned value).
        __int128 s128 = swapped_ ? __int128{sec} : __int128{static_cast<int32_t>(sec)};
        __int128 f128 = swapped_ ? __int128{frac} : __int128{static_cast<int32_t>(frac)};
        out.ts_ns = clamp_time(s128 * kNsPerSecond + f128 * scale_);
        out.interface = 0;
        out.link = link_;
        if (keep < len) ++problems_.truncated;
        ++packets_;
        pos_ += 16 + size_t{caplen};
        return true;
    }

private:
    uint32_t u32(const uint8_t* p) const {
        uint32_t v;
        std::memcpy(&v, p, 4);
        return swapped_ ? bswap32(v) : v;
    }
    bool broken(std::string why) {
        done_ = true;
        note_problem("record " + std::to_string(packets_) + ": " + why + " (reading stops here)", true);
        return false;
    }
    // Maps the file again when it has grown; the old mapping stays until the reader goes
    // (frames handed out point into it).
    void remap() {
        struct stat st {};
        if (fstat(fd_, &st) != 0 || st.st_size <= 0 || static_cast<size_t>(st.st_size) <= size_) return;
        auto n = static_cast<size_t>(st.st_size);
        void* m = mmap(nullptr, n, PROT_READ, MAP_PRIVATE, fd_, 0);
        if (m == MAP_FAILED) return;
        old_.emplace_back(const_cast<uint8_t*>(base_), size_);
        base_ = static_cast<const uint8_t*>(m);
        size_ = n;
    }

    int fd_;
    std::vector<std::pair<void*, size_t>> old_;
    const uint8_t* base_;
    size_t size_, pos_;
    LinkType link_;
    uint32_t snapshot_;
    bool swapped_;
    int64_t scale_;
    bool done_ = false;
};

// The link types the mmap reader may take: those dataplane/parse.hpp reads, none of which
// libpcap rewrites after reading (pcap_post_process touches USB and NFLOG only).
bool mmap_link_type(int dlt) {
    switch (static_cast<LinkType>(dlt)) {
    case LinkType::Null: case LinkType::Ethernet: case LinkType::Ppp: case LinkType::Raw: case LinkType::RawOpenBsd:
    case LinkType::PppHdlc: case LinkType::RawLinktype: case LinkType::Loop: case LinkType::LinuxSll:
    case LinkType::Ipv4: case LinkType::Ipv6: case LinkType::LinuxSll2: return true;
    }
    return false;
}

// The mapping of a plain pcap file libpcap has opened (`pc` on `f`), or null when the file
// is not one the mmap reader reads like libpcap (then libpcap goes on reading it).
std::unique_ptr<CaptureReader> try_mmap_pcap(pcap_t* pc, std::FILE* f, uint32_t magic, const std::string& path) {
    constexpr uint32_t kMicro = 0xa1b2c3d4, kNano = 0xa1b23c4d;
    bool nano = magic == kNano || magic == bswap32(kNano);
    bool micro = magic == kMicro || magic == bswap32(kMicro);
    if ((!nano && !micro) || pcap_major_version(pc) != 2 || pcap_minor_version(pc) != 4) return nullptr;
    int dlt = pcap_datalink(pc), snap = pcap_snapshot(pc);
    if (!mmap_link_type(dlt) || snap <= 0) return nullptr;
    struct stat st {};
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24) return nullptr;
    auto size = static_cast<size_t>(st.st_size);
    int fd = ::dup(fileno(f));
    if (fd < 0) return nullptr;
    void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        ::close(fd);
        return nullptr;
    }
    madvise(m, size, MADV_SEQUENTIAL);
    return std::unique_ptr<CaptureReader>(new MmapPcapReader(fd, static_cast<const uint8_t*>(m), size, path, static_cast<LinkType>(dlt),
                                                             static_cast<uint32_t>(snap), pcap_is_swapped(pc) == 1, nano));
}

// ---- our pcapng reader --------------------------------------------------------------------

// libpcap 1.10 refuses a pcapng whose interfaces have different link types; this reads the
// blocks itself (SHB, IDB, EPB, SPB, OPB; both byte orders; if_tsresol, if_tsoffset).
class PcapngReader final : public CaptureReader {
public:
    PcapngReader(std::FILE* f, std::string path) : f_(f) {
        path_ = std::move(path);
        format_ = CaptureFormat::Pcapng;
        own_reader_ = true;
    }
    ~PcapngReader() override { std::fclose(f_); }

    bool next(CapturePacket& out) override {
        while (!done_) {
            long at = std::ftell(f_);
            uint32_t head[2];
            size_t got = std::fread(head, 1, sizeof head, f_);
            if (got == 0) {
                done_ = true;
                return false;
            }
            if (got < sizeof head) return broken("block at byte " + std::to_string(at) + ": file ends inside a block header");
            uint32_t type = head[0];
            if (type == kShb) {
                uint32_t magic;
                if (std::fread(&magic, 4, 1, f_) != 1) return broken("section header at byte " + std::to_string(at) + " cut short");
                if (magic == kByteOrderMagic) swap_ = false;
                else if (magic == kByteOrderSwapped) swap_ = true;
                else return broken("section header at byte " + std::to_string(at) + ": bad byte-order magic");
                interfaces_.clear();
                uint32_t len = u32(head[1]);
                if (len < 28 || len % 4) return broken("section header at byte " + std::to_string(at) + ": bad length " + std::to_string(len));
                if (!consume(len)) return stop();
                if (std::fseek(f_, at + static_cast<long>(len), SEEK_SET) != 0) return broken("section header cut short");
                continue;
            }
            type = u32(type);
            uint32_t len = u32(head[1]);
            if (len < 12 || len % 4 || len > (1u << 28))
                return broken("block at byte " + std::to_string(at) + ": bad length " + std::to_string(len));
            if (!consume(len)) return stop();
            body_.resize(len - 8);
            if (std::fread(body_.data(), 1, body_.size(), f_) != body_.size())
                return broken("block at byte " + std::to_string(at) + ": file ends inside the block");
            size_t n = body_.size() - 4;  // without the trailing length
            const uint8_t* b = body_.data();
            if (type == kIdb) {
                if (n < 8) return broken("interface block at byte " + std::to_string(at) + " too short");
                Iface i;
                i.link = static_cast<LinkType>(u16(b));
                i.snaplen = u32(b + 4);
                read_idb_options(b + 8, n - 8, i);
                interfaces_.push_back(i);
                continue;
            }
            uint32_t iface = 0, caplen = 0, wirelen = 0;
            uint64_t units = 0;
            const uint8_t* data = nullptr;
            if (type == kEpb || type == kOpb) {
                if (n < 20) return broken("packet block at byte " + std::to_string(at) + " too short");
                iface = type == kEpb ? u32(b) : u16(b);
                units = (static_cast<uint64_t>(u32(b + 4)) << 32) | u32(b + 8);
                caplen = u32(b + 12);
                wirelen = u32(b + 16);
                if (caplen > n - 20) return broken("packet block at byte " + std::to_string(at) + ": captured length beyond the block");
                data = b + 20;
            } else if (type == kSpb) {
                if (n < 4) return broken("simple packet block at byte " + std::to_string(at) + " too short");
                wirelen = u32(b);
                caplen = std::min<uint32_t>(wirelen, static_cast<uint32_t>(n - 4));
                if (!interfaces_.empty() && interfaces_[0].snaplen) caplen = std::min(caplen, interfaces_[0].snaplen);
                data = b + 4;
                units = 0;
            } else {
                continue;  // name resolution, statistics, custom, journal blocks: nothing to replay
            }
            if (iface >= interfaces_.size())
                return broken("packet block at byte " + std::to_string(at) + " names interface " + std::to_string(iface) +
                              " before its description");
            const Iface& i = interfaces_[iface];
            out.data = data;
            out.caplen = caplen;
            out.wirelen = wirelen < caplen ? caplen : wirelen;
            out.ts_ns = type == kSpb ? last_ts_ : to_ns(units, i);
            out.interface = iface;
            out.link = i.link;
            last_ts_ = out.ts_ns;
            if (caplen < wirelen) ++problems_.truncated;
            ++packets_;
            return true;
        }
        return false;
    }

private:
    struct Iface {
        LinkType link = LinkType::Ethernet;
        uint32_t snaplen = 0;
        uint8_t tsresol = 6;
        int64_t tsoffset = 0;
    };

    uint32_t u32(uint32_t v) const { return swap_ ? bswap32(v) : v; }
    uint32_t u32(const uint8_t* p) const {
        uint32_t v;
        std::memcpy(&v, p, 4);
        return u32(v);
    }
    uint16_t u16(const uint8_t* p) const {
        uint16_t v;
        std::memcpy(&v, p, 2);
        return swap_ ? bswap16(v) : v;
    }

    void read_idb_options(const uint8_t* p, size_t n, Iface& i) {
        while (n >= 4) {
            uint16_t code = u16(p), len = u16(p + 2);
            size_t padded = (len + 3u) & ~3u;
            if (code == 0 || padded + 4 > n) break;
            if (code == 9 && len >= 1) i.tsresol = p[4];
            if (code == 14 && len >= 8) {
                uint64_t v;
                std::memcpy(&v, p + 4, 8);
                if (swap_) v = __builtin_bswap64(v);
                i.tsoffset = static_cast<int64_t>(v);
            }
            p += 4 + padded;
            n -= 4 + padded;
        }
    }

    int64_t to_ns(uint64_t units, const Iface& i) {
        __int128 ns;
        unsigned r = i.tsresol & 0x7f;
        if (i.tsresol & 0x80) {  // 2^-r seconds
            ns = r >= 64 ? 0 : (static_cast<__int128>(units) * 1000000000) >> r;
        } else {                 // 10^-r seconds
            __int128 scale = 1;
            if (r <= 9) {
                for (unsigned k = r; k < 9; ++k) scale *= 10;
                ns = static_cast<__int128>(units) * scale;
            } else {
                for (unsigned k = 9; k < r && k < 40; ++k) scale *= 10;
                ns = static_cast<__int128>(units) / scale;
            }
        }
        // if_tsoffset is in whole seconds (tshark adds it); at most 2^63 s, so in 128 bits
        // neither the product nor the sum can overflow.
        return clamp_time(ns + static_cast<__int128>(i.tsoffset) * kNsPerSecond);
    }

    bool stop() {
        done_ = true;
        return false;
    }
    bool broken(std::string why) {
        done_ = true;
        note_problem(why + " (reading stops here)", true);
        return false;
    }

    std::FILE* f_;
    bool swap_ = false;
    bool done_ = false;
    int64_t last_ts_ = 0;
    std::vector<Iface> interfaces_;
    std::vector<uint8_t> body_;
};

// The link types of a pcapng's interface blocks (a scan of block headers only).
std::set<uint16_t> pcapng_link_types(std::FILE* f) {
    std::set<uint16_t> links;
    bool swap = false;
    long at = 0;
    for (;;) {
        uint32_t head[3];
        if (std::fseek(f, at, SEEK_SET) != 0 || std::fread(head, 4, 3, f) != 3) break;
        if (head[0] == kShb) swap = head[2] == kByteOrderSwapped;
        uint32_t type = swap && head[0] != kShb ? bswap32(head[0]) : head[0];
        uint32_t len = swap ? bswap32(head[1]) : head[1];
        if (len < 12 || len % 4) break;
        if (type == kIdb) {
            uint16_t lt = static_cast<uint16_t>(head[2] & 0xffff);
            if (swap) lt = bswap16(lt);
            links.insert(lt);
        }
        at += len;
    }
    std::rewind(f);
    return links;
}

} // namespace

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(const std::string& path, uint64_t max_bytes) {
    auto r = open_unbounded(path);
    if (!r) return r;
    // A regular file: refused at once when it is larger than the bound (any other source
    // is stopped by the count as it is read).
    std::error_code ec;
    uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > max_bytes)
        return Error{"the capture is " + byte_size_text(size) + ", over the " + byte_size_text(max_bytes) + " limit for captures",
                     {}, path, {}};
    (*r)->max_bytes_ = max_bytes;
    // The file header (24 bytes for pcap; pcapng's section header is counted as a block).
    if ((*r)->format_ == CaptureFormat::Pcap && !(*r)->consume(24)) return *(*r)->limit_error_;
    return r;
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open_unbounded(const std::string& path) {
    // Opened once (pcap/capture_stream.hpp): a plain file as it is, stdin, pipes and
    // compressed captures as a stream.
    auto stream = open_capture_stream(path);
    if (!stream) return stream.error();
    std::FILE* f = stream->file;
    std::shared_ptr<StreamStatus> status = stream->status;
    uint32_t magic = 0;
    size_t got = 0;
    bool pcapng = false;
    if (stream->seekable) {
        got = std::fread(&magic, 1, 4, f);
        std::rewind(f);
        pcapng = got == 4 && magic == kShb;
        if (pcapng && pcapng_link_types(f).size() > 1) return std::unique_ptr<CaptureReader>(new PcapngReader(f, path));
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!pc && stream->seekable) {
        // libpcap also refuses a pcapng without any interface block (a capture of nothing).
        std::rewind(f);
        if (pcapng) return std::unique_ptr<CaptureReader>(new PcapngReader(f, path));
    }
    if (!pc) {
        std::fclose(f);
        if (!status->error.empty()) return Error{status->error, {}, path, {}};
        if (stream->seekable && got < 4)
            return Error{"not a pcap or pcapng capture (the file is empty or shorter than a header)", {}, path, {}};
        std::string what = stream->compression == Compression::None
                               ? std::string("not a pcap or pcapng capture")
                               : std::string("not a pcap or pcapng capture inside the ") + compression_name(stream->compression) +
                                     " data";
        return Error{what + " (libpcap: " + errbuf + ")", {}, path, {}};
    }
    // A stream was not sniffed here: libpcap's pcapng reader reports the SHB's major
    // version (1), its pcap reader the file header's (2).
    bool isPcapng = stream->seekable ? pcapng : pcap_major_version(pc) == 1;
    // A plain pcap file is read through mmap (closing libpcap closes `f`; the mapping stays).
    if (stream->seekable && stream->compression == Compression::None && !isPcapng && got == 4)
        if (auto mm = try_mmap_pcap(pc, f, magic, path)) {
            pcap_close(pc);
            return mm;
        }
    auto* r = new LibpcapReader(pc, path, isPcapng ? CaptureFormat::Pcapng : CaptureFormat::Pcap);
    r->set_stream_status(std::move(status));
    return std::unique_ptr<CaptureReader>(r);
}

} // namespace vpcfw
