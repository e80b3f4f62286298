// pcap_loop: the baseline of replay throughput — a plain libpcap read loop over a capture
// (pcap_next_ex, count packets and bytes, nothing else), timed, printed as one line of
// JSON: {"packets":N,"seconds":S,"mpps":M}. perf/report.sh puts it beside `vpcfw replay`.
//   usage: pcap_loop FILE [REPEAT]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <pcap/pcap.h>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: pcap_loop FILE [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? std::atoi(argv[2]) : 1;
    if (repeat < 1 || repeat > 100000) repeat = 1;
    char errbuf[PCAP_ERRBUF_SIZE];
    unsigned long long packets = 0, bytes = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < repeat; ++r) {
        pcap_t* p = pcap_open_offline(argv[1], errbuf);
        if (!p) {
            std::fprintf(stderr, "pcap_loop: %s: %s\n", argv[1], errbuf);
            return 2;
        }
        pcap_pkthdr* h;
        const u_char* d;
        while (pcap_next_ex(p, &h, &d) == 1) {
            ++packets;
            bytes += h->caplen + (d[0] & 1);
        }
        pcap_close(p);
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"mpps\":%.6f}\n", packets, bytes, s, packets / s / 1e6);
    return 0;
}
