// Traffic of `vpcfw bench`: the frame templates the workers are fed, in memory — generated
// from the network by gen-trace's generator (pcap/gen_trace.hpp: sessions the rules accept
// and deny, scans, NAT'd and Elastic IP flows, IPv6) or read from a capture (--trace) —
// and how one template becomes many flows: a *variant* rewrites the session's ephemeral
// port (the one >= 32768, both directions alike), so variant v of session s is a flow of
// its own. Templates are padded to --packet-size. Cold: built once before the run; the
// feeder (bench/runner.hpp) copies templates into mbufs and patches two bytes per packet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw::bench {

struct TrafficOptions {
    std::string trace;             // a pcap/pcapng to use instead of generating
    uint64_t packets = 4000;       // templates generated (gen-trace --packets)
    uint64_t seed = 1;
    uint32_t packet_size = 0;      // pad every frame to at least this many bytes (0: as made)
};

struct Template {
    std::vector<uint8_t> frame;
    uint32_t session = 0;          // distinct flow (both directions alike) of the template set
    uint16_t port_offset = 0;      // byte offset of the ephemeral port in the frame; 0: none
    uint16_t port = 0;             // its value
    bool opens = false;            // a TCP SYN without ACK, FIN or RST: opens or closes a session
    bool ipv6 = false;
};

struct Traffic {
    std::vector<Template> templates;
    uint32_t sessions = 0;
    uint64_t bytes = 0;            // sum of template sizes
    uint64_t ipv6 = 0;             // IPv6 templates
    std::string source;            // "generated (gen-trace seed 1, 4000 packets)" or the capture's path

    // Distinct variants a session can take (the ephemeral port's range).
    static constexpr uint32_t kVariants = 32768;
    // Writes variant `v` of template `t` into `dst` (t.frame.size() bytes).
    static void write(const Template& t, uint32_t v, uint8_t* dst);
};

// Builds the templates. Errors (exit 2): an unreadable capture, no parsable IP frame, a
// network gen-trace cannot use.
Result<Traffic> make_traffic(const Network& net, const TrafficOptions& opt);

} // namespace vpcfw::bench
