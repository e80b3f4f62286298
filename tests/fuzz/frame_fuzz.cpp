// libFuzzer target for the frame parser (dataplane/parse.hpp): the first input byte picks
// a link type (every one parse_frame reads), the second how much longer the frame was on
// the wire than captured, the rest is the frame. Whatever the bytes: a reason, never a
// crash or undefined behaviour (ASan: no read beyond caplen; UBSan); when the frame
// parses, its offsets lie inside it and the key turns into a Packet of the same protocol.
// Built and run by tests/fuzz/run.sh (seeds: the frames of the shared captures).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using vpcfw::LinkType;
    static const LinkType kLinks[] = {LinkType::Null,       LinkType::Ethernet, LinkType::Ppp,    LinkType::Raw,
                                      LinkType::RawOpenBsd, LinkType::PppHdlc,  LinkType::RawLinktype,
                                      LinkType::Loop,       LinkType::LinuxSll, LinkType::Ipv4,   LinkType::Ipv6,
                                      LinkType::LinuxSll2};
    if (size < 2) return 0;
    LinkType link = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
    uint32_t extra = data[1];
    // A copy of exactly the frame's bytes, so that ASan sees any read past caplen.
    std::vector<uint8_t> frame(data + 2, data + size);
    uint32_t caplen = static_cast<uint32_t>(frame.size());
    vpcfw::ParseResult r = vpcfw::parse_frame(frame.data(), caplen, caplen + extra, link);
    if (vpcfw::parse_reason_name(r.reason) == nullptr) __builtin_trap();
    if (r.vlan_count > vpcfw::kMaxStackedTags) __builtin_trap();
    if (!r.ok()) return 0;
    if (r.l3_offset >= caplen || r.l4_offset > caplen) __builtin_trap();
    vpcfw::Packet p = vpcfw::to_packet(r);
    if (p.proto != r.key.proto) __builtin_trap();
    return 0;
}
