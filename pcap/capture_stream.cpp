// CaptureStream (pcap/capture_stream.hpp): a regular uncompressed file is fopen'ed as it is;
// anything else (stdin, a pipe, a compressed file) becomes a glibc cookie stream whose read
// function first returns the bytes read to sniff the magic, then the source's bytes,
// decompressed when the magic said so. zlib and libzstd rather than spawning `gzip -dc` /
// `zstd -dc`: no child process to reap, errors name our file, and stdin works the same way.
#include "pcap/capture_stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace vpcfw {

const char* compression_name(Compression c) {
    switch (c) {
    case Compression::None: return "";
    case Compression::Gzip: return "gzip";
    case Compression::Zstd: return "zstd";
    }
    return "";
}

namespace {

constexpr size_t kBuf = 64 * 1024;

Error stream_error(const std::string& path, std::string message) { return Error{std::move(message), {}, path, {}}; }

// The cookie: the sniffed prefix, then the source, through the decoder of `kind`.
struct Source {
    int fd = -1;
    bool own_fd = false;
    Compression kind = Compression::None;
    std::vector<uint8_t> prefix;     // bytes read to sniff the magic, served first
    size_t prefix_pos = 0;
    std::vector<uint8_t> in;         // compressed input buffer
    size_t in_pos = 0, in_len = 0;
    bool in_eof = false;
    z_stream zs{};
    bool zs_init = false, zs_end = false;
    ZSTD_DStream* zd = nullptr;
    std::shared_ptr<StreamStatus> status;

    ~Source() {
        if (zs_init) inflateEnd(&zs);
        if (zd) ZSTD_freeDStream(zd);
        if (own_fd && fd >= 0) ::close(fd);
    }

    // Raw bytes: the prefix first, then the descriptor. -1 on a read error.
    ssize_t raw(uint8_t* buf, size_t n) {
        if (prefix_pos < prefix.size()) {
            size_t k = std::min(n, prefix.size() - prefix_pos);
            std::memcpy(buf, prefix.data() + prefix_pos, k);
            prefix_pos += k;
            return static_cast<ssize_t>(k);
        }
        for (;;) {
            ssize_t r = ::read(fd, buf, n);
            if (r < 0 && errno == EINTR) continue;
            return r;
        }
    }
    bool fill() {  // refills `in` when empty; false on a read error
        if (in_pos < in_len || in_eof) return true;
        ssize_t r = raw(in.data(), in.size());
        if (r < 0) return fail(std::string("read error: ") + std::strerror(errno));
        in_pos = 0;
        in_len = static_cast<size_t>(r);
        if (r == 0) in_eof = true;
        return true;
    }
    bool fail(std::string why) {
        if (status->error.empty()) status->error = std::move(why);
        return false;
    }

    ssize_t read_gzip(char* out, size_t n) {
        size_t produced = 0;
        while (produced == 0) {
            if (!fill()) return -1;
            if (in_pos == in_len && in_eof) {
                if (!zs_end && zs.total_in > 0) return fail("gzip data ends in the middle of a member"), -1;
                return 0;
            }
            if (zs_end) {  // concatenated members (as `gzip -dc` reads them)
                if (inflateReset(&zs) != Z_OK) return fail("gzip: cannot restart the decoder"), -1;
                zs_end = false;
            }
            zs.next_in = in.data() + in_pos;
            zs.avail_in = static_cast<uInt>(in_len - in_pos);
            zs.next_out = reinterpret_cast<Bytef*>(out);
            zs.avail_out = static_cast<uInt>(n);
            int rc = inflate(&zs, Z_NO_FLUSH);
            in_pos = in_len - zs.avail_in;
            produced = n - zs.avail_out;
            if (rc == Z_STREAM_END) zs_end = true;
            else if (rc != Z_OK && rc != Z_BUF_ERROR)
                return fail(std::string("gzip data is corrupt (zlib: ") + (zs.msg ? zs.msg : "error") + ")"), -1;
        }
        return static_cast<ssize_t>(produced);
    }

    ssize_t read_zstd(char* out, size_t n) {
        size_t produced = 0;
        while (produced == 0) {
            if (!fill()) return -1;
            if (in_pos == in_len && in_eof) {
                if (!zs_end) return fail("zstd data ends in the middle of a frame"), -1;
                return 0;
            }
            ZSTD_inBuffer ib{in.data(), in_len, in_pos};
            ZSTD_outBuffer ob{out, n, 0};
            size_t rc = ZSTD_decompressStream(zd, &ob, &ib);
            if (ZSTD_isError(rc)) return fail(std::string("zstd data is corrupt (") + ZSTD_getErrorName(rc) + ")"), -1;
            in_pos = ib.pos;
            produced = ob.pos;
            zs_end = rc == 0;  // a frame is complete
        }
        return static_cast<ssize_t>(produced);
    }
};

ssize_t cookie_read(void* cookie, char* buf, size_t size) {
    auto* s = static_cast<Source*>(cookie);
    switch (s->kind) {
    case Compression::None: {
        ssize_t r = s->raw(reinterpret_cast<uint8_t*>(buf), size);
        if (r < 0) s->fail(std::string("read error: ") + std::strerror(errno));
        return r;
    }
    case Compression::Gzip: return s->read_gzip(buf, size);
    case Compression::Zstd: return s->read_zstd(buf, size);
    }
    return -1;
}

int cookie_close(void* cookie) {
    delete static_cast<Source*>(cookie);
    return 0;
}

Compression sniff(const uint8_t* b, size_t n) {
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return Compression::Gzip;
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return Compression::Zstd;
    return Compression::None;
}

} // namespace

Result<CaptureStream> open_capture_stream(const std::string& path) {
    CaptureStream cs;
    int fd = 0;
    bool stdinput = path == "-";
    if (!stdinput) {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) return stream_error(path, std::string("cannot open: ") + std::strerror(errno));
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        int e = errno;
        if (!stdinput) ::close(fd);
        return stream_error(path, std::string("cannot open: ") + std::strerror(e));
    }
    bool regular = S_ISREG(st.st_mode);
    if (!regular && !S_ISFIFO(st.st_mode) && !(stdinput && S_ISCHR(st.st_mode))) {
        if (!stdinput) ::close(fd);
        return stream_error(path, S_ISDIR(st.st_mode) ? "a directory, not a capture"
                                                      : "a device or socket, not a capture (files, pipes and FIFOs are read)");
    }
    if (regular) cs.size = static_cast<long long>(st.st_size);
    auto src = std::make_unique<Source>();
    src->fd = fd;
    src->own_fd = !stdinput;
    src->status = cs.status;
    // Sniff the magic: up to 4 bytes (a pipe may deliver them in pieces).
    src->prefix.resize(4);
    size_t got = 0;
    while (got < 4) {
        ssize_t r = ::read(fd, src->prefix.data() + got, 4 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return stream_error(path, std::string("cannot read: ") + std::strerror(errno));
        if (r == 0) break;
        got += static_cast<size_t>(r);
    }
    src->prefix.resize(got);
    cs.compression = sniff(src->prefix.data(), got);
    if (regular && cs.compression == Compression::None && !stdinput) {
        // A plain file: an ordinary seekable FILE* on the same descriptor, rewound.
        if (::lseek(fd, 0, SEEK_SET) != 0) return stream_error(path, std::string("cannot seek: ") + std::strerror(errno));
        cs.file = ::fdopen(fd, "rb");
        if (!cs.file) return stream_error(path, std::string("cannot open: ") + std::strerror(errno));
        src->own_fd = false;
        cs.seekable = true;
        return cs;
    }
    src->kind = cs.compression;
    if (src->kind != Compression::None) src->in.resize(kBuf);
    if (src->kind == Compression::Gzip) {
        // 15 + 16: gzip wrapper only (a zlib or raw deflate stream is not a .gz file).
        if (inflateInit2(&src->zs, 15 + 16) != Z_OK) return stream_error(path, "cannot start the gzip decoder");
        src->zs_init = true;
    } else if (src->kind == Compression::Zstd) {
        src->zd = ZSTD_createDStream();
        if (!src->zd || ZSTD_isError(ZSTD_initDStream(src->zd))) return stream_error(path, "cannot start the zstd decoder");
        // Refuse frames that ask for a window beyond 128 MiB (zstd's own default limit is
        // the same; set explicitly so the bound is ours).
        ZSTD_DCtx_setParameter(src->zd, ZSTD_d_windowLogMax, 27);
    }
    cookie_io_functions_t io{cookie_read, nullptr, nullptr, cookie_close};
    cs.file = ::fopencookie(src.get(), "rb", io);
    if (!cs.file) return stream_error(path, std::string("cannot open: ") + std::strerror(errno));
    src.release();  // the stream owns it now (cookie_close)
    return cs;
}

} // namespace vpcfw
