// libFuzzer target for the capture reader (pcap/reader.hpp): any bytes as a pcap or pcapng
// file (libpcap, and our pcapng block reader for what libpcap refuses). Opening either
// succeeds or names the problem; reading ends at the end or at a reported broken record;
// every packet's bytes lie inside what was read. Never a crash, hang or undefined
// behaviour (UBSan: the time arithmetic). Built and run by tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

#include "pcap/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = "/tmp/vpcfw-pcap-fuzz-" + std::to_string(getpid()) + ".cap";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    auto r = vpcfw::CaptureReader::open(path);
    if (!r) {
        if (r.error().message.empty()) __builtin_trap();
        return 0;
    }
    vpcfw::CapturePacket p;
    uint64_t n = 0, sum = 0;
    while ((*r)->next(p) && n < 100000) {
        ++n;
        if (p.caplen > p.wirelen) __builtin_trap();
        for (uint32_t i = 0; i < p.caplen; ++i) sum += p.data[i];  // ASan: the bytes are readable
    }
    if ((*r)->packets_read() != n) __builtin_trap();
    return static_cast<int>(sum & 0);
}
