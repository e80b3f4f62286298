// Packet sequences for the differential suite: for one network, a seeded stream of steps
// (packets with their origin and time, and `apply` steps with AWS API actions) shaped to
// exercise the whole AWS path: new flows between ENIs (same subnet, across subnets, across
// VPCs over peering and TGW), internet clients to public and Elastic IPs, outbound flows
// through IGW and NAT, replies addressed as AWS delivers them (the reference decision's
// `nat` gives the NAT gateway's address and port), TCP handshakes and teardown, UDP
// streams, ICMP queries and errors, fragments, other protocols, junk, timeouts.
// The generator is fed back the reference decision of every packet (observe) so that
// replies follow what was accepted. Cold test code; one generator per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ruleset/decision.hpp"
#include "ruleset/model.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/reference.hpp"
#include "tests/diff/netgen.hpp"

namespace vpcfw::diff {

struct Step {
    enum class Kind : uint8_t { Packet, Apply };
    Kind kind = Kind::Packet;
    double at = 0;                 // seconds; multiples of 1/1024 so differences are exact
    Packet packet;                 // Kind::Packet; always round-trips through Packet::str()
    std::string from = "auto";     // Kind::Packet: origin spec
    std::string action;            // Kind::Apply
    nlohmann::json params;         // Kind::Apply
    const char* what = "";         // the generator's intent, for reports ("nat-reply", ...)
};

struct TrafficOptions {
    double apply_rate = 0.004;     // share of steps that are `apply` actions
    double jump_rate = 0.006;      // share of steps that jump the clock past a timeout
};

class TrafficGen {
public:
    TrafficGen(uint64_t seed, const Settings& settings, TrafficOptions options = {});

    // The next step for the live network `net` (the reference's, after earlier applies).
    Step next(const Network& net);
    // Feedback: the reference decision of a packet step (nullptr when the step was
    // skipped), or the outcome of an apply step (`applied` false when refused).
    void observe(const Step& step, const Decision* d, bool applied = true);

    // The generator's intents and how often each was produced (for reports).
    std::vector<std::pair<std::string, uint64_t>> intents() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace vpcfw::diff
