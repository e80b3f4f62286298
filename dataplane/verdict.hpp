// Verdict: the compact, fixed-size decision the compiled pipeline writes for every packet
// of a burst (hot path: a POD, no strings), and Names, the table its symbol ids point
// into. Every name a decision can print (object ids, rule names, route names, reasons,
// notes) is a symbol: the compiler interns all of them when it builds a ruleset version,
// so a worker only copies 32-bit ids. to_decision() turns a Verdict back into the full
// Decision of ruleset/decision.hpp (cold path: decisions JSONL, differential tests).
// from_decision() goes the other way for the reference evaluator, so replay handles both
// engines with one output path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/flow_key.hpp"
#include "ruleset/decision.hpp"
#include "ruleset/ip.hpp"

namespace vpcfw {

// What kind of AWS thing a symbol names; flow logs and the summary group by it.
enum class SymKind : uint8_t {
    None, Eni, Endpoint, Gateway, Service, NaclRule, SgRule, SgGroups, Route, TgwRoute,
    Reason, Note, Text,
};

// Interned strings. Id 0 is the empty string. Append-only: an id keeps its meaning for
// the life of the table, and successive ruleset versions share one table, so a Verdict
// kept across a version change (a fragment's first decision) still names the right
// things. intern() and find() belong to one control thread at a time; name() and kind()
// may run on any thread concurrently with intern() (strings live in fixed chunks that
// never move; the published size is atomic).
class Names {
public:
    Names();
    ~Names();
    Names(const Names&) = delete;
    Names& operator=(const Names&) = delete;

    uint32_t intern(std::string_view s, SymKind kind = SymKind::Text);
    uint32_t find(std::string_view s) const;           // 0 when absent
    const std::string& name(uint32_t id) const {
        if (id >= size_.load(std::memory_order_acquire)) id = 0;
        return chunks_[id >> kChunkBits].load(std::memory_order_acquire)->strings[id & kChunkMask];
    }
    SymKind kind(uint32_t id) const {
        if (id >= size_.load(std::memory_order_acquire)) return SymKind::None;
        return chunks_[id >> kChunkBits].load(std::memory_order_acquire)->kinds[id & kChunkMask];
    }
    size_t size() const { return size_.load(std::memory_order_acquire); }
    size_t bytes() const;                               // memory held, for compile --stats

private:
    static constexpr unsigned kChunkBits = 12;
    static constexpr uint32_t kChunkMask = (1u << kChunkBits) - 1;
    static constexpr size_t kMaxChunks = 1u << 16;      // 268M names
    struct Chunk {
        std::string strings[1u << kChunkBits];
        SymKind kinds[1u << kChunkBits] = {};
    };
    std::unique_ptr<std::atomic<Chunk*>[]> chunks_;
    std::atomic<uint32_t> size_{0};
    std::unordered_map<std::string, uint32_t> index_;
    size_t string_bytes_ = 0;
};

// How the origin was found (Decision::origin): given | mac | ip | outside | seen-at:ENI.
enum class OriginHow : uint8_t { None, Given, Mac, Ip, Outside, SeenAt };

// The CHOICE settings a decision rested on, as bits (names in kChoiceNames order).
enum ChoiceBit : uint16_t {
    kChoiceCaptureAtInstance = 1u << 0,
    kChoiceFragmentWindow = 1u << 1,
    kChoiceIcmpErrorsNeedRule = 1u << 2,
    kChoiceMissingNaclDefault = 1u << 3,
    kChoiceNatPort = 1u << 4,
    kChoicePrefixListTie = 1u << 5,
    kChoiceTgwBgpAny = 1u << 6,
    kChoiceUntrackedFlows = 1u << 7,
    kChoiceVpnBgpAny = 1u << 8,
    kChoiceVpnTunnelStatus = 1u << 9,
};
inline constexpr const char* kChoiceNames[] = {
    "capture_at_instance", "fragment_window", "icmp_errors_need_rule", "missing_nacl_default",
    "nat_port",
    "prefix_list_tie_lowest_id", "tgw_bgp_any_destination", "untracked_flows", "vpn_bgp_any_destination",
    "vpn_ignore_tunnel_status",
};

inline constexpr unsigned kVerdictMaxPath = 40;   // hops kept; longer paths are cut (flag)
inline constexpr unsigned kVerdictMaxNotes = 3;
inline constexpr unsigned kVerdictMaxSgRules = 4;  // SG rules kept (Decision::sg_rules)

struct Verdict {
    Action action = Action::Drop;
    Layer layer = Layer::None;
    OriginHow origin_how = OriginHow::None;
    bool tracked = false;
    uint8_t path_len = 0;
    uint8_t note_count = 0;
    uint8_t nat_family = 0;          // 0: no translation; 4 or 6
    uint8_t nat_has_port = 0;
    uint8_t sg_rule_count = 0;
    uint16_t choices = 0;            // ChoiceBit
    Be16 nat_port;
    uint32_t reason = 0;             // symbols (0 = none)
    uint32_t rule = 0;
    uint32_t from = 0;
    uint32_t to = 0;
    uint32_t origin_eni = 0;         // OriginHow::SeenAt: the ENI
    Be32 nat_addr[4];
    uint32_t path[kVerdictMaxPath];
    uint32_t notes[kVerdictMaxNotes];
    uint32_t sg_rules[kVerdictMaxSgRules];   // Decision::sg_rules, as symbols
    // ACCEPT only: the packet as it leaves towards `to`, after every translation on the
    // path (IGW 1:1 NAT, NAT gateway SNAT or de-NAT), in FlowKey's form (IPv4 in word 0,
    // network order); the ICMP query identifier in out_icmp_id. `to_eni` is the dense
    // model index of the receiving ENI (kNoEni when `to` is not an ENI). A live dataplane
    // rewrites and forwards the frame from these.
    static constexpr uint32_t kNoEni = 0xffffffffu;
    uint32_t to_eni = kNoEni;
    uint8_t out_family = 0;
    Be32 out_src[4], out_dst[4];
    Be16 out_sport, out_dport, out_icmp_id;
};

// Verdict -> Decision (no trace). `flow` is the decision's flow text (the packet's 5-tuple,
// Packet::flow_str()).
Decision to_decision(const Verdict& v, const Names& names, std::string flow);

// Decision -> Verdict, interning its strings into `names` (the reference adaptor).
Verdict from_decision(const Decision& d, Names& names);

// Where two decisions of the same packet differ (everything but the trace; choices as a
// set): "to: reference eni-1, compiled eni-2". Empty when they agree. The differential
// tests and `vpcfw scenario` use it to hold the two engines together.
std::vector<std::string> decision_differences(const Decision& reference, const Decision& compiled);

// The `nat` text of a decision: "203.0.113.5:1024", "[2001:db8::1]:80" or a bare address.
std::string nat_text(const Verdict& v);

} // namespace vpcfw
