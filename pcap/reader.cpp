// CaptureReader implementations: libpcap for pcap and pcapng, and a small pcapng block
// reader for the files libpcap refuses. Cold code apart from next(). Time arithmetic is done
// in 128 bits; a time outside int64 nanoseconds is clamped with a warning.
#include "pcap/reader.hpp"

#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include "ruleset/bounded_input.hpp"

namespace vpcfw {

void CaptureReader::note_problem(std::string message, bool broken) {
    if (broken) ++problems_.broken;
    if (problems_.messages.size() < kMaxProblemMessages) problems_.messages.push_back(path_ + ": " + std::move(message));
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
                note_problem("record " + std::to_string(packets_) + ": " + pcap_geterr(pc_) + " (reading stops here)", true);
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

private:
    pcap_t* pc_;
    LinkType link_;
    bool done_ = false;
};

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
                if (std::fseek(f_, at + static_cast<long>(len), SEEK_SET) != 0) return broken("section header cut short");
                continue;
            }
            type = u32(type);
            uint32_t len = u32(head[1]);
            if (len < 12 || len % 4 || len > (1u << 28))
                return broken("block at byte " + std::to_string(at) + ": bad length " + std::to_string(len));
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

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(const std::string& path) {
    // A FIFO, device or directory would block or never end: refused before opening.
    if (std::string why = not_a_regular_file(path); !why.empty()) return Error{why, {}, path, {}};
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return Error{std::string("cannot open: ") + std::strerror(errno), {}, path, {}};
    uint32_t magic = 0;
    size_t got = std::fread(&magic, 1, 4, f);
    std::rewind(f);
    bool pcapng = got == 4 && magic == kShb;
    if (pcapng && pcapng_link_types(f).size() > 1) return std::unique_ptr<CaptureReader>(new PcapngReader(f, path));
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* pc = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    // libpcap also refuses a pcapng without any interface block (a capture of nothing).
    if (!pc && pcapng) return std::unique_ptr<CaptureReader>(new PcapngReader(f, path));
    std::fclose(f);
    if (!pc) {
        if (got < 4) return Error{"not a pcap or pcapng capture (the file is empty or shorter than a header)", {}, path, {}};
        return Error{std::string("not a pcap or pcapng capture (libpcap: ") + errbuf + ")", {}, path, {}};
    }
    return std::unique_ptr<CaptureReader>(new LibpcapReader(pc, path, pcapng ? CaptureFormat::Pcapng : CaptureFormat::Pcap));
}

} // namespace vpcfw
