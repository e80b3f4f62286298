// Frame templates and flow variants of `vpcfw bench` (bench/traffic.hpp).
#include "bench/traffic.hpp"

#include <cstring>
#include <unordered_map>

#include "dataplane/parse.hpp"
#include "pcap/gen_trace.hpp"
#include "pcap/reader.hpp"

namespace vpcfw::bench {

namespace {

// Both directions of a flow alike: the smaller (address, port) end first.
std::string session_key(const ParseResult& pr) {
    const FlowKey& k = pr.key;
    size_t n = k.is_v4() ? 4 : 16;
    std::string a(reinterpret_cast<const char*>(k.src), n), b(reinterpret_cast<const char*>(k.dst), n);
    a.append(reinterpret_cast<const char*>(&k.sport), 2);
    b.append(reinterpret_cast<const char*>(&k.dport), 2);
    if (b < a) std::swap(a, b);
    return std::string(1, static_cast<char>(k.proto)) + a + b;
}

} // namespace

void Traffic::write(const Template& t, uint32_t v, uint8_t* dst) {
    std::memcpy(dst, t.frame.data(), t.frame.size());
    if (!t.port_offset || v == 0) return;
    uint32_t p = 32768 + (static_cast<uint32_t>(t.port) - 32768 + v) % kVariants;
    dst[t.port_offset] = static_cast<uint8_t>(p >> 8);
    dst[t.port_offset + 1] = static_cast<uint8_t>(p);
}

Result<Traffic> make_traffic(const Network& net, const TrafficOptions& opt) {
    Traffic tr;
    std::vector<std::vector<uint8_t>> frames;
    if (!opt.trace.empty()) {
        auto reader = CaptureReader::open(opt.trace);
        if (!reader) return reader.error();
        CapturePacket p;
        while ((*reader)->next(p) && frames.size() < 10'000'000) {
            if (p.link != LinkType::Ethernet) continue;
            frames.emplace_back(p.data, p.data + p.caplen);
        }
        tr.source = opt.trace;
    } else {
        GenTraceOptions g;
        g.packets = opt.packets;
        g.seed = opt.seed;
        auto made = gen_trace_frames(net, g);
        if (!made) return made.error();
        for (auto& f : *made) frames.push_back(std::move(f.frame));
        tr.source = "generated (gen-trace seed " + std::to_string(opt.seed) + ", " + std::to_string(opt.packets) + " packets)";
    }
    std::unordered_map<std::string, uint32_t> sessions;
    for (auto& f : frames) {
        ParseResult pr = parse_frame(f.data(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size()), LinkType::Ethernet);
        if (!pr.ok()) continue;
        Template t;
        t.ipv6 = !pr.key.is_v4();
        auto [it, fresh] = sessions.emplace(session_key(pr), static_cast<uint32_t>(sessions.size()));
        t.session = it->second;
        uint8_t proto = pr.key.proto;
        if ((proto == 6 || proto == 17) && pr.l4_offset && pr.l4_offset + 4 <= f.size()) {
            uint16_t sp = pr.key.sport.host(), dp = pr.key.dport.host();
            if (sp >= 32768) {
                t.port_offset = static_cast<uint16_t>(pr.l4_offset);
                t.port = sp;
            } else if (dp >= 32768) {
                t.port_offset = static_cast<uint16_t>(pr.l4_offset + 2);
                t.port = dp;
            }
            if (proto == 6) {
                uint8_t fl = pr.key.tcp_flags;
                t.opens = (fl & 0x02 && !(fl & 0x10)) || (fl & 0x05);
            }
        }
        if (opt.packet_size > f.size()) f.resize(opt.packet_size, 0);
        t.frame = std::move(f);
        tr.bytes += t.frame.size();
        tr.ipv6 += t.ipv6;
        tr.templates.push_back(std::move(t));
    }
    tr.sessions = static_cast<uint32_t>(sessions.size());
    if (tr.templates.empty())
        return Error{"no IP frame to send (the capture holds none that parse)", {}, opt.trace, {}, ErrorKind::Input};
    return tr;
}

} // namespace vpcfw::bench
