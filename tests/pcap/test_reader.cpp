// CaptureReader on hand-made files (truncated records, cut files, garbage, both pcapng byte
// orders, if_tsresol, if_tsoffset, times beyond int64 nanoseconds) and on the shared pcapng
// files libpcap refuses; PcapngWriter read back.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include <pcap/pcap.h>

#include "pcap/reader.hpp"
#include "pcap/writer.hpp"

using namespace vpcfw;
namespace fs = std::filesystem;

namespace {

std::string tmp(const std::string& name) {
    return (fs::temp_directory_path() / ("vpcfw-reader-" + std::to_string(::getpid()) + "-" + name)).string();
}

void write_file(const std::string& path, const std::vector<uint8_t>& b) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void put32(std::vector<uint8_t>& b, uint32_t v, bool big = false) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(big ? v >> (24 - 8 * i) : v >> (8 * i)));
}
void put16(std::vector<uint8_t>& b, uint16_t v, bool big = false) {
    for (int i = 0; i < 2; ++i) b.push_back(static_cast<uint8_t>(big ? v >> (8 - 8 * i) : v >> (8 * i)));
}

// A classic pcap: `n` 60-byte Ethernet frames, the second one with caplen < len.
std::vector<uint8_t> small_pcap(int n) {
    std::vector<uint8_t> b;
    put32(b, 0xa1b2c3d4);
    put16(b, 2);
    put16(b, 4);
    put32(b, 0);
    put32(b, 0);
    put32(b, 65535);
    put32(b, 1);
    for (int i = 0; i < n; ++i) {
        put32(b, 1000 + i);
        put32(b, 5);
        put32(b, 60);
        put32(b, i == 1 ? 100 : 60);
        for (int k = 0; k < 60; ++k) b.push_back(static_cast<uint8_t>(k));
    }
    return b;
}

std::vector<CapturePacket> read_all(CaptureReader& r, std::vector<std::vector<uint8_t>>* data = nullptr) {
    std::vector<CapturePacket> out;
    CapturePacket p;
    while (r.next(p)) {
        out.push_back(p);
        if (data) data->emplace_back(p.data, p.data + p.caplen);
    }
    return out;
}

// One pcapng section in the given byte order: two interfaces of different link types
// (Ethernet in microseconds, raw IP with if_tsresol = 9), an EPB on each and an SPB.
// With `tsoffset0`, the Ethernet interface carries that if_tsoffset (seconds) and its
// EPB the timestamp `ts0` (microseconds); without `mixed`, only the Ethernet interface
// and its EPB (a file libpcap reads itself).
std::vector<uint8_t> mixed_pcapng(bool big, std::optional<int64_t> tsoffset0 = {},
                                  uint64_t ts0 = 1500000000ull * 1000000 + 250, bool mixed = true) {
    std::vector<uint8_t> b;
    auto block = [&](uint32_t type, const std::vector<uint8_t>& body) {
        put32(b, type, big);
        put32(b, static_cast<uint32_t>(body.size() + 12), big);
        b.insert(b.end(), body.begin(), body.end());
        put32(b, static_cast<uint32_t>(body.size() + 12), big);
    };
    std::vector<uint8_t> shb;
    put32(shb, 0x1A2B3C4D, big);
    put16(shb, 1, big);
    put16(shb, 0, big);
    for (int i = 0; i < 8; ++i) shb.push_back(0xff);
    block(0x0A0D0D0A, shb);
    std::vector<uint8_t> idb0;
    put16(idb0, 1, big);
    put16(idb0, 0, big);
    put32(idb0, 0, big);
    if (tsoffset0) {
        put16(idb0, 14, big);  // if_tsoffset
        put16(idb0, 8, big);
        auto v = static_cast<uint64_t>(*tsoffset0);
        if (big)
            put32(idb0, static_cast<uint32_t>(v >> 32), big), put32(idb0, static_cast<uint32_t>(v), big);
        else
            put32(idb0, static_cast<uint32_t>(v)), put32(idb0, static_cast<uint32_t>(v >> 32));
        put16(idb0, 0, big);
        put16(idb0, 0, big);
    }
    block(1, idb0);
    if (!mixed) {
        std::vector<uint8_t> e;
        put32(e, 0, big);
        put32(e, static_cast<uint32_t>(ts0 >> 32), big);
        put32(e, static_cast<uint32_t>(ts0), big);
        put32(e, 60, big);
        put32(e, 60, big);
        e.resize(e.size() + 60, 0);
        block(6, e);
        return b;
    }
    std::vector<uint8_t> idb1;
    put16(idb1, 101, big);
    put16(idb1, 0, big);
    put32(idb1, 0, big);
    put16(idb1, 9, big);   // if_tsresol
    put16(idb1, 1, big);
    idb1.insert(idb1.end(), {9, 0, 0, 0});
    put16(idb1, 0, big);
    put16(idb1, 0, big);
    block(1, idb1);
    auto epb = [&](uint32_t iface, uint64_t ts, uint32_t len) {
        std::vector<uint8_t> e;
        put32(e, iface, big);
        put32(e, static_cast<uint32_t>(ts >> 32), big);
        put32(e, static_cast<uint32_t>(ts), big);
        put32(e, len, big);
        put32(e, len, big);
        for (uint32_t k = 0; k < len; ++k) e.push_back(static_cast<uint8_t>(k));
        while (e.size() % 4) e.push_back(0);
        block(6, e);
    };
    epb(0, ts0, 42);
    epb(1, 1500000000ull * 1000000000 + 7, 21);
    std::vector<uint8_t> spb;
    put32(spb, 30, big);
    for (int k = 0; k < 32; ++k) spb.push_back(1);
    block(3, spb);
    return b;
}

} // namespace

TEST(Reader, PcapCountsTruncatedPacketsAndKeepsTimestamps) {
    std::string path = tmp("small.pcap");
    write_file(path, small_pcap(3));
    auto r = CaptureReader::open(path);
    ASSERT_TRUE(r) << r.error().str();
    auto pkts = read_all(**r);
    ASSERT_EQ(pkts.size(), 3u);
    EXPECT_EQ(pkts[0].ts_ns, 1000ll * 1000000000 + 5000);
    EXPECT_EQ(pkts[1].caplen, 60u);
    EXPECT_EQ(pkts[1].wirelen, 100u);
    EXPECT_EQ((*r)->problems().truncated, 1u);
    EXPECT_EQ((*r)->problems().broken, 0u);
    EXPECT_EQ((*r)->format(), CaptureFormat::Pcap);
    fs::remove(path);
}

TEST(Reader, AFileCutInsideARecordIsReportedNotFatal) {
    std::string path = tmp("cut.pcap");
    auto b = small_pcap(3);
    b.resize(b.size() - 30);  // the third record loses half its bytes
    write_file(path, b);
    auto r = CaptureReader::open(path);
    ASSERT_TRUE(r) << r.error().str();
    auto pkts = read_all(**r);
    EXPECT_EQ(pkts.size(), 2u);
    EXPECT_EQ((*r)->problems().broken, 1u);
    ASSERT_EQ((*r)->problems().messages.size(), 1u);
    EXPECT_NE((*r)->problems().messages[0].find(path), std::string::npos) << (*r)->problems().messages[0];
    fs::remove(path);
}

TEST(Reader, ARecordWithAnAbsurdLengthStopsReading) {
    std::string path = tmp("absurd.pcap");
    auto b = small_pcap(2);
    // Second record's caplen (offset 24 + 76 + 8) := 0x7fffffff.
    size_t at = 24 + 16 + 60 + 8;
    b[at] = 0xff;
    b[at + 1] = 0xff;
    b[at + 2] = 0xff;
    b[at + 3] = 0x7f;
    write_file(path, b);
    auto r = CaptureReader::open(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(read_all(**r).size(), 1u);
    EXPECT_EQ((*r)->problems().broken, 1u);
    fs::remove(path);
}

TEST(Reader, NotACaptureNamesTheFile) {
    std::string path = tmp("garbage.pcap");
    write_file(path, std::vector<uint8_t>(100, 'x'));
    auto r = CaptureReader::open(path);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().file, path);
    EXPECT_NE(r.error().message.find("not a pcap or pcapng"), std::string::npos) << r.error().message;
    write_file(path, {});
    r = CaptureReader::open(path);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("empty"), std::string::npos) << r.error().message;
    fs::remove(path);
    r = CaptureReader::open(path);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("cannot open"), std::string::npos);
}

TEST(Reader, FifosAreReadAsTcpdumpDoesDevicesAndDirectoriesRefused) {
    std::string fifo = tmp("capture.fifo");
    fs::remove(fifo);
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    std::thread writer([&] { write_file(fifo, small_pcap(5)); });
    auto r = CaptureReader::open(fifo);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(read_all(**r).size(), 5u);
    writer.join();
    fs::remove(fifo);
    r = CaptureReader::open("/dev/zero");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("/dev/zero: a device or socket, not a capture"), std::string::npos) << r.error().str();
    r = CaptureReader::open(fs::temp_directory_path().string());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "a directory, not a capture");
}

TEST(Reader, GzipAndZstdCapturesAreReadByTheirMagic) {
    std::string plain = tmp("small.pcap");
    write_file(plain, small_pcap(7));
    for (const char* tool : {"gzip", "zstd"}) {
        std::string packed = tmp(std::string("small-packed.") + tool);  // the name says nothing
        std::string cmd = std::string(tool) + " -q -c " + plain + " > " + packed;
        if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no " << tool;
        auto r = CaptureReader::open(packed);
        ASSERT_TRUE(r) << r.error().str();
        EXPECT_EQ(read_all(**r).size(), 7u) << tool;
        EXPECT_EQ((*r)->problems().broken, 0u) << tool;
        // Cut short: the packets before the cut, then a problem naming the file.
        std::ifstream in(packed, std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
        bytes.resize(bytes.size() - 8);
        write_file(packed, bytes);
        auto cut = CaptureReader::open(packed);
        if (!cut) {  // a small capture is one compressed block: cut, nothing comes out of it
            EXPECT_EQ(cut.error().str(), packed + ": " + tool + " data ends in the middle of a " +
                                             (std::string(tool) == "gzip" ? "member" : "frame"));
            fs::remove(packed);
            continue;
        }
        read_all(**cut);
        EXPECT_EQ((*cut)->problems().broken, 1u) << tool;
        ASSERT_FALSE((*cut)->problems().messages.empty());
        EXPECT_NE((*cut)->problems().messages[0].find(packed + ": record"), std::string::npos) << (*cut)->problems().messages[0];
        fs::remove(packed);
    }
    fs::remove(plain);
}

TEST(Reader, PcapngWithMixedLinkTypesInBothByteOrders) {
    for (bool big : {false, true}) {
        std::string path = tmp(big ? "mixed-be.pcapng" : "mixed-le.pcapng");
        write_file(path, mixed_pcapng(big));
        auto r = CaptureReader::open(path);
        ASSERT_TRUE(r) << r.error().str();
        EXPECT_TRUE((*r)->own_pcapng_reader());
        auto pkts = read_all(**r);
        ASSERT_EQ(pkts.size(), 3u) << big;
        EXPECT_EQ(pkts[0].link, LinkType::Ethernet);
        EXPECT_EQ(pkts[0].ts_ns, 1500000000ll * 1000000000 + 250000);
        EXPECT_EQ(pkts[0].caplen, 42u);
        EXPECT_EQ(pkts[1].link, LinkType::RawLinktype);
        EXPECT_EQ(pkts[1].interface, 1u);
        EXPECT_EQ(pkts[1].ts_ns, 1500000000ll * 1000000000 + 7);
        EXPECT_EQ(pkts[1].data[20], 20);
        EXPECT_EQ(pkts[2].caplen, 30u);          // SPB: original length, padding not read
        EXPECT_EQ((*r)->problems().broken, 0u);
        fs::remove(path);
    }
}

TEST(Reader, PcapngTimeOffsetIsAppliedAndOutOfRangeTimesClamped) {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
    struct Case {
        int64_t tsoffset;
        int64_t want_ns;
        bool clamped;
    };
    const Case cases[] = {
        {1000, 1500001000ll * 1000000000 + 250000, false},   // as tshark: the offset is added in seconds
        {-1500000000, 250000, false},
        {int64_t{1} << 62, kMax, true},                      // 2^62 s: beyond int64 nanoseconds
        {-(int64_t{1} << 62), kMin, true},
        {kMax, kMax, true},
        {kMin, kMin, true},
    };
    for (bool big : {false, true})
        for (const Case& c : cases) {
            std::string path = tmp("tsoffset.pcapng");
            write_file(path, mixed_pcapng(big, c.tsoffset));
            auto r = CaptureReader::open(path);
            ASSERT_TRUE(r) << r.error().str();
            auto pkts = read_all(**r);
            ASSERT_EQ(pkts.size(), 3u);
            EXPECT_EQ(pkts[0].ts_ns, c.want_ns) << c.tsoffset << " big " << big;
            EXPECT_EQ((*r)->problems().clamped, c.clamped ? 1u : 0u) << c.tsoffset;
            EXPECT_EQ((*r)->problems().broken, 0u);
            if (c.clamped) {
                ASSERT_EQ((*r)->problems().messages.size(), 1u);
                EXPECT_NE((*r)->problems().messages[0].find("clamped"), std::string::npos) << (*r)->problems().messages[0];
            }
            fs::remove(path);
        }
}

// The times read agree with tshark's frame.time_epoch on the same files, for both readers
// (libpcap for one link type, ours for mixed ones), wherever int64 nanoseconds hold them.
TEST(Reader, TimesAgreeWithTshark) {
    if (std::system("tshark -v >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark is not installed";
    for (bool mixed : {false, true})
        for (int64_t tsoffset : {int64_t{0}, int64_t{1000}, int64_t{-1500000000}, int64_t{1} << 31}) {
            std::string path = tmp("tshark.pcapng");
            write_file(path, mixed_pcapng(false, tsoffset, 1500000000ull * 1000000 + 250, mixed));
            auto r = CaptureReader::open(path);
            ASSERT_TRUE(r) << r.error().str();
            auto pkts = read_all(**r);
            ASSERT_FALSE(pkts.empty());
            std::string cmd = "tshark -r '" + path + "' -T fields -e frame.time_epoch 2>/dev/null";
            std::FILE* f = popen(cmd.c_str(), "r");
            ASSERT_NE(f, nullptr);
            char line[128] = {};
            ASSERT_NE(std::fgets(line, sizeof line, f), nullptr);
            pclose(f);
            // "SECONDS.NNNNNNNNN": compared as integer nanoseconds.
            std::string t(line);
            size_t dot = t.find('.');
            ASSERT_NE(dot, std::string::npos) << t;
            std::string frac = t.substr(dot + 1, 9);
            while (frac.size() < 9 && std::isdigit(static_cast<unsigned char>(frac.back()))) frac += '0';
            int64_t ns = std::stoll(t.substr(0, dot)) * 1000000000 + std::stoll(frac);
            EXPECT_EQ(pkts[0].ts_ns, ns) << "tsoffset " << tsoffset << (mixed ? " (our reader)" : " (libpcap)") << ": tshark " << t;
            fs::remove(path);
        }
}

TEST(Reader, HugeSecondsFromLibpcapAreClamped) {
    // One link type: libpcap reads it. 2^64-1 microseconds is 1.8e13 s, beyond int64 ns.
    std::string path = tmp("huge-seconds.pcapng");
    write_file(path, mixed_pcapng(false, {}, ~uint64_t{0}, false));
    auto r = CaptureReader::open(path);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_FALSE((*r)->own_pcapng_reader());
    auto pkts = read_all(**r);
    ASSERT_EQ(pkts.size(), 1u);
    EXPECT_EQ(pkts[0].ts_ns, std::numeric_limits<int64_t>::max());
    EXPECT_EQ((*r)->problems().clamped, 1u);
    fs::remove(path);
}

TEST(Reader, SharedPcapngFilesLibpcapRefuses) {
    std::string dir = std::string(VPCFW_SHARED_DATA) + "/pcaps/";
    struct Case {
        const char* name;
        size_t packets;
    } cases[] = {{"libtrace-complex.pcapng", 5}, {"pcapplusplus-pcapng-example.pcapng", 159}};
    for (const auto& c : cases) {
        auto r = CaptureReader::open(dir + c.name);
        ASSERT_TRUE(r) << r.error().str();
        EXPECT_TRUE((*r)->own_pcapng_reader()) << c.name;
        auto pkts = read_all(**r);
        EXPECT_EQ(pkts.size(), c.packets) << c.name;
        EXPECT_EQ((*r)->problems().broken, 0u) << c.name;
        std::set<LinkType> links;
        for (const auto& p : pkts) links.insert(p.link);
        EXPECT_GE(links.size(), 2u) << c.name;
    }
}

TEST(Writer, PcapngRoundTripKeepsBytesTimesAndLinkTypes) {
    std::string path = tmp("out.pcapng");
    PcapngWriter w;
    ASSERT_TRUE(w.open(path));
    std::vector<uint8_t> a(60, 0xab), b(33, 0x45);
    ASSERT_TRUE(w.write(a.data(), 60, 80, 1700000000123456789ll, LinkType::Ethernet, "vpcfw seq 0: ACCEPT to eni-1"));
    ASSERT_TRUE(w.write(b.data(), 33, 33, 1700000001000000000ll, LinkType::RawLinktype, "vpcfw seq 1: DROP at parse"));
    ASSERT_TRUE(w.write(a.data(), 60, 60, 1700000002000000001ll, LinkType::Ethernet, ""));
    ASSERT_TRUE(w.close());
    auto r = CaptureReader::open(path);
    ASSERT_TRUE(r) << r.error().str();
    std::vector<std::vector<uint8_t>> data;
    auto pkts = read_all(**r, &data);
    ASSERT_EQ(pkts.size(), 3u);
    EXPECT_EQ(pkts[0].ts_ns, 1700000000123456789ll);
    EXPECT_EQ(pkts[0].wirelen, 80u);
    EXPECT_EQ(pkts[1].link, LinkType::RawLinktype);
    EXPECT_EQ(pkts[2].ts_ns, 1700000002000000001ll);
    EXPECT_EQ(data[0], a);
    EXPECT_EQ(data[1], b);
    fs::remove(path);
}

TEST(Reader, ACaptureOverItsSizeBoundIsRefusedNamingTheLimit) {
    std::string path = tmp("bounded.pcap");
    auto b = small_pcap(3);
    write_file(path, b);
    // A regular file larger than the bound: refused at open.
    auto r = CaptureReader::open(path, b.size() - 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().file, path);
    EXPECT_NE(r.error().message.find("limit for captures"), std::string::npos) << r.error().message;
    // Exactly at the bound: every byte counted once, the whole file read.
    r = CaptureReader::open(path, b.size());
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(read_all(**r).size(), 3u);
    EXPECT_FALSE((*r)->limit_error());
    // A source that grows past the bound while it is read (as a pipe would): the count
    // stops the reader at the record that passes it, naming the limit.
    r = CaptureReader::open(path, b.size());
    ASSERT_TRUE(r) << r.error().str();
    {
        std::ofstream grow(path, std::ios::binary | std::ios::app);
        auto more = small_pcap(2);
        grow.write(reinterpret_cast<const char*>(more.data() + 24), static_cast<std::streamsize>(more.size() - 24));
    }
    EXPECT_EQ(read_all(**r).size(), 3u);
    ASSERT_TRUE((*r)->limit_error());
    EXPECT_EQ((*r)->limit_error()->file, path);
    EXPECT_NE((*r)->limit_error()->message.find("limit for captures"), std::string::npos) << (*r)->limit_error()->message;
    EXPECT_EQ((*r)->problems().broken, 0u);
    fs::remove(path);
}

// A plain pcap file is read through mmap (pcap/reader.cpp, MmapPcapReader); it must read
// every record as libpcap does: the same packets, lengths, nanosecond times and data, and
// for a broken record the same message (libpcap's wording) at the same record.
TEST(Reader, MappedPcapReadsAsLibpcapDoesRecordForRecord) {
    struct Variant {
        const char* name;
        bool big, nano;
        uint32_t snaplen;
        int cut;          // bytes removed from the end
        int32_t bad_len;  // >= 0: the second record's caplen
    };
    const Variant variants[] = {
        {"plain", false, false, 65535, 0, -1},    {"big-endian nano", true, true, 65535, 0, -1},
        {"cut in a header", false, false, 65535, 60 + 9, -1},
        {"cut in the data", true, false, 65535, 30, -1},
        {"caplen over the snaplen", false, true, 40, 0, -1},
        {"caplen over the snaplen, cut", false, false, 40, 10, -1},
        {"caplen over the maximum", false, false, 65535, 0, 300000},
        {"caplen over the maximum and snaplen", true, false, 1000, 0, 300000},
    };
    for (const Variant& v : variants) {
        std::vector<uint8_t> b;
        put32(b, v.nano ? 0xa1b23c4d : 0xa1b2c3d4, v.big);
        put16(b, 2, v.big);
        put16(b, 4, v.big);
        put32(b, 0, v.big);
        put32(b, 0, v.big);
        put32(b, v.snaplen, v.big);
        put32(b, 1, v.big);
        for (int i = 0; i < 3; ++i) {
            put32(b, static_cast<uint32_t>(-5 + i), v.big);      // seconds before 1970 too
            put32(b, 999999 - static_cast<uint32_t>(i), v.big);
            put32(b, i == 1 && v.bad_len >= 0 ? static_cast<uint32_t>(v.bad_len) : 60, v.big);
            put32(b, 100, v.big);
            for (int k = 0; k < 60; ++k) b.push_back(static_cast<uint8_t>(k * 7 + i));
        }
        b.resize(b.size() - static_cast<size_t>(v.cut));
        std::string path = tmp("mapped.pcap");
        write_file(path, b);
        auto r = CaptureReader::open(path);
        ASSERT_TRUE(r) << v.name << ": " << r.error().str();
        EXPECT_TRUE((*r)->data_stays()) << v.name << ": not read through mmap";
        std::vector<std::vector<uint8_t>> data;
        auto pkts = read_all(**r, &data);

        char errbuf[PCAP_ERRBUF_SIZE];
        pcap_t* pc = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
        ASSERT_NE(pc, nullptr) << errbuf;
        pcap_pkthdr* h;
        const u_char* d;
        size_t i = 0;
        int rc;
        while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
            ASSERT_LT(i, pkts.size()) << v.name;
            EXPECT_EQ(pkts[i].caplen, h->caplen) << v.name;
            EXPECT_EQ(pkts[i].wirelen, std::max(h->len, h->caplen)) << v.name;
            EXPECT_EQ(pkts[i].ts_ns, int64_t{h->ts.tv_sec} * 1000000000 + h->ts.tv_usec) << v.name;
            EXPECT_EQ(data[i], std::vector<uint8_t>(d, d + h->caplen)) << v.name;
            ++i;
        }
        EXPECT_EQ(i, pkts.size()) << v.name;
        const auto& pr = (*r)->problems();
        if (rc == PCAP_ERROR_BREAK) {
            EXPECT_EQ(pr.broken, 0u) << v.name;
        } else {
            ASSERT_EQ(pr.messages.size(), 1u) << v.name;
            std::string want = path + ": record " + std::to_string(i) + ": " + pcap_geterr(pc) + " (reading stops here)";
            EXPECT_EQ(pr.messages[0], want) << v.name;
        }
        pcap_close(pc);
        fs::remove(path);
    }
}
