// CaptureStream: the bytes of a capture as tcpdump takes them — a regular file, `-` (standard
// input), a pipe or FIFO, each possibly compressed with gzip or zstd (told by its magic
// bytes, never by the file name) — opened once and handed to the capture reader as one
// FILE*. Decompression runs inside the stream (zlib, libzstd) through fixed 64 KiB buffers,
// so memory stays bounded whatever the input; a corrupt stream is an error naming the file.
// Cold path; one stream belongs to one thread (the replay driver's reader).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "ruleset/status.hpp"

namespace vpcfw {

enum class Compression : uint8_t { None, Gzip, Zstd };
const char* compression_name(Compression c);   // "", "gzip", "zstd"

// What went wrong inside the stream (a decompression error), kept for the reader's
// message: libpcap only sees a failed read.
struct StreamStatus {
    std::string error;   // empty while fine
};

struct CaptureStream {
    std::FILE* file = nullptr;       // owned by whoever reads it (libpcap closes it)
    // True for a regular, uncompressed file: the stream can seek (our own pcapng reader
    // needs that), and its size gives the progress bar a total.
    bool seekable = false;
    long long size = 0;              // bytes of a regular file (compressed size if compressed); 0 otherwise
    Compression compression = Compression::None;
    std::shared_ptr<StreamStatus> status = std::make_shared<StreamStatus>();
};

// Opens `path` ("-" for standard input). Errors (naming the file): missing or unreadable,
// a directory, a device or socket (a FIFO is accepted, as tcpdump does).
Result<CaptureStream> open_capture_stream(const std::string& path);

} // namespace vpcfw
