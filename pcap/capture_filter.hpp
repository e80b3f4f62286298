// CaptureFilter: a tcpdump filter expression (`tcp port 443 and not host 10.0.0.1`),
// compiled by libpcap and applied to each packet as read, before any engine sees it.
// Packets it rejects are counted as filtered, never judged. One program per link type,
// compiled when that link type first appears (a pcapng may mix them). Cold setup, then one
// BPF run per packet on the replay driver's reading thread; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "pcap/reader.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

class CaptureFilter {
public:
    // Checks the expression's syntax (compiled for Ethernet). Error: libpcap's message.
    static Result<CaptureFilter> compile(const std::string& expression);
    CaptureFilter();
    ~CaptureFilter();
    CaptureFilter(CaptureFilter&&) noexcept;
    CaptureFilter& operator=(CaptureFilter&&) noexcept;

    // True when the packet passes. An expression that cannot apply to the packet's link
    // type (e.g. `ether host` on raw IP) is an error, reported once through error().
    bool matches(const CapturePacket& p);
    const std::string& error() const;
    const std::string& expression() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vpcfw
