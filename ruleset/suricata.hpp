// The Suricata rule subset of AWS Network Firewall (docs/inspection.md §4.6): a rule as
// parsed data, the parser of one rule line, and the generators that turn domain lists
// (§4.4) and 5-tuple `StatefulRules` (§4.5) into the same form. A rule is kept with its
// text so explain can show it. Cold path (the loader parses; evaluators read).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ruleset/ip.hpp"

namespace vpcfw {

// An address term of a rule header: any, a CIDR, $VAR, @REF, each maybe negated.
struct SuriAddr {
    enum Kind : uint8_t { Any, Cidr_, Var, Ref } kind = Any;
    bool negated = false;
    Cidr cidr;
    std::string name;                 // Var / Ref name (without $ / @)
};
// A port term: any, a range, $VAR, maybe negated.
struct SuriPort {
    enum Kind : uint8_t { Any, Range, Var } kind = Any;
    bool negated = false;
    int lo = 0, hi = 65535;
    std::string name;
};

enum class SuriBuffer : uint8_t { Raw, TlsSni, HttpHost, DnsQuery, HttpHeaderNames };
const char* suri_buffer_name(SuriBuffer b);   // "content", "tls.sni", ...

struct SuriContent {
    SuriBuffer buffer = SuriBuffer::Raw;
    std::string bytes;
    bool negated = false, nocase = false, startswith = false, endswith = false, dotprefix = false;
    int depth = -1, offset = 0;       // -1 = none
};

enum class SuriAction : uint8_t { Pass, Drop, Reject, Alert };
const char* suri_action_name(SuriAction a);

struct SuricataRule {
    SuriAction action = SuriAction::Alert;
    std::string proto;                // ip tcp udp icmp http tls dns
    std::vector<SuriAddr> src, dst;   // empty = any
    std::vector<SuriPort> sport, dport;
    bool bidirectional = false;       // <>
    // flow keywords
    bool flow_established = false, flow_not_established = false, flow_to_server = false,
         flow_to_client = false, flow_stateless = false;
    std::vector<SuriContent> contents;
    bool ssl_client_hello = false;
    bool noalert = false, alert = false;
    int ip_proto = -1;
    std::string app_layer_protocol;
    std::string msg;
    uint32_t sid = 0;
    uint32_t rev = 1;
    int priority = -1;                // -1 = absent
    int line = 0;                     // line in the group's rules string (1-based)
    std::string text;                 // the rule as written / generated
    // A keyword AWS accepts that vpcfw does not implement (docs/inspection.md §1): the rule
    // is refused unless loaded inert (`--inert-rules`); `check` names it.
    std::string unsupported_keyword;
    bool inert = false;

    bool needs_payload() const { return !contents.empty() || ssl_client_hello; }
};

// Parses one rule line. On a syntax error returns the problem ("keyword K: ...") and
// leaves `out` unspecified; keywords AWS accepts but vpcfw lacks go to unsupported_keyword.
std::optional<std::string> parse_suricata_rule(std::string_view text, int line, SuricataRule& out);

// Domain list (§4.4): the rules it generates, with sids from 1 (C16, §10.6).
std::vector<SuricataRule> domain_list_rules(const std::vector<std::string>& targets,
                                            const std::vector<std::string>& types,
                                            const std::string& generated_type);

} // namespace vpcfw
