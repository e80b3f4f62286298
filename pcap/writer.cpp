// PcapngWriter: SHB, one IDB per link type (if_tsresol = 9), EPB with opt_comment.
#include "pcap/writer.hpp"

#include "pcap/output_sink.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

namespace vpcfw {

namespace {
void append(std::vector<uint8_t>& b, const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
}
void u16(std::vector<uint8_t>& b, uint16_t v) { append(b, &v, 2); }
void u32(std::vector<uint8_t>& b, uint32_t v) { append(b, &v, 4); }
void pad(std::vector<uint8_t>& b) { while (b.size() % 4) b.push_back(0); }
void option(std::vector<uint8_t>& b, uint16_t code, const void* p, uint16_t n) {
    u16(b, code);
    u16(b, n);
    append(b, p, n);
    pad(b);
}
// Fills in the block length at both ends.
void seal(std::vector<uint8_t>& b) {
    uint32_t len = static_cast<uint32_t>(b.size() + 4);
    std::memcpy(b.data() + 4, &len, 4);
    u32(b, len);
}
} // namespace

PcapngWriter::~PcapngWriter() { (void)close(); }

Status PcapngWriter::put(const void* p, size_t n) {
    if (std::fwrite(p, 1, n, f_) != n) return Error{std::string("write failed: ") + std::strerror(errno), {}, path_, {}, ErrorKind::Runtime};
    return Status::Ok();
}

Status PcapngWriter::open(const std::string& path) {
    path_ = path;
    // "-": standard output (pcap/output_sink.hpp), flushed but never closed.
    f_ = is_stdout_path(path) ? stdout : std::fopen(path.c_str(), "wb");
    if (!f_) return Error{std::string("cannot create: ") + std::strerror(errno), {}, path, {}, ErrorKind::Runtime};
    std::vector<uint8_t> b;
    u32(b, 0x0A0D0D0A);
    u32(b, 0);
    u32(b, 0x1A2B3C4D);
    u16(b, 1);
    u16(b, 0);
    uint64_t unknown = ~0ull;  // section length not given
    append(b, &unknown, 8);
    const char app[] = "vpcfw replay";
    option(b, 4, app, sizeof app - 1);  // shb_userappl
    u32(b, 0);                          // opt_endofopt
    seal(b);
    return put(b.data(), b.size());
}

Status PcapngWriter::write(const uint8_t* data, uint32_t caplen, uint32_t wirelen, int64_t ts_ns, LinkType link,
                           std::string_view comment) {
    auto key = static_cast<uint16_t>(link);
    auto it = iface_.find(key);
    if (it == iface_.end()) {
        std::vector<uint8_t> b;
        u32(b, 1);
        u32(b, 0);
        u16(b, key);
        u16(b, 0);
        u32(b, 0);            // snaplen: no limit
        uint8_t resol = 9;    // nanoseconds
        option(b, 9, &resol, 1);
        u32(b, 0);
        seal(b);
        if (Status s = put(b.data(), b.size()); !s) return s;
        it = iface_.emplace(key, static_cast<uint32_t>(iface_.size())).first;
    }
    std::vector<uint8_t> b;
    b.reserve(64 + caplen + comment.size());
    u32(b, 6);
    u32(b, 0);
    u32(b, it->second);
    auto ts = static_cast<uint64_t>(ts_ns);
    u32(b, static_cast<uint32_t>(ts >> 32));
    u32(b, static_cast<uint32_t>(ts));
    u32(b, caplen);
    u32(b, wirelen);
    append(b, data, caplen);
    pad(b);
    if (!comment.empty()) {
        option(b, 1, comment.data(), static_cast<uint16_t>(std::min<size_t>(comment.size(), 65000)));
        u32(b, 0);
    }
    seal(b);
    ++packets_;
    return put(b.data(), b.size());
}

Status PcapngWriter::close() {
    if (!f_) return Status::Ok();
    int rc = f_ == stdout ? std::fflush(f_) : std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) return Error{std::string("close failed: ") + std::strerror(errno), {}, path_, {}, ErrorKind::Runtime};
    return Status::Ok();
}

} // namespace vpcfw
