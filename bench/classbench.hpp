// ClassBench rule sets and traces turned into AWS networks for the benchmarks: a reader
// for ClassBench filter files and header traces (shared/data/classbench), rule sets of
// any size (files combined, then synthesised), an AWS-shaped JSON bundle whose NACL entries
// and/or security-group rules are the ClassBench rules, the trace as Ethernet frames that
// cross those NACLs and groups, and writers for pcap and for the ClassBench text that
// dpdk-test-acl reads. Cold code (benchmark set-up, the vpcfw-cbnet CLI); not thread-safe
// per call, every function builds fresh values. Design notes: perf/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ruleset/status.hpp"

namespace vpcfw::cb {

// One ClassBench filter. Addresses in host order; ranges inclusive; protocol value/mask
// (mask 0 = any protocol). The trailing TCP-flags column is not kept (5-tuple only).
struct Rule {
    uint32_t src = 0, dst = 0;
    uint8_t src_len = 0, dst_len = 0;
    uint16_t sport_lo = 0, sport_hi = 65535;
    uint16_t dport_lo = 0, dport_hi = 65535;
    uint8_t proto = 0, proto_mask = 0;

    bool any_proto() const { return proto_mask == 0; }
    bool matches(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint8_t p) const;
};

// One trace header: the 5-tuple and the rule it was generated from (0-based line index).
struct Header {
    uint32_t src = 0, dst = 0;
    uint16_t sport = 0, dport = 0;
    uint8_t proto = 0;
    uint32_t rule = 0;
};

// Readers. Errors name the file and the line; `limit` caps the count (0 = no cap).
Result<std::vector<Rule>> read_rules(const std::string& path, size_t limit = 0);
Result<std::vector<Header>> read_trace(const std::string& path, size_t limit = 0);

// The trace that belongs to a rule file: FILE_trace, else FILE_trace_gen; empty if none.
std::string trace_path_for(const std::string& rules_path);

// A rule set of exactly `count` rules: the files' rules in order (each file whole, then the
// next) and, when they run out, synthesised ClassBench-like rules: rule i is a copy of
// rule (i mod n) of the files with the top 8 bits of both prefixes replaced by a
// deterministic (seeded) value per round (prefix lengths >= 8 keep their shape; shorter
// ones are kept as they are), so the field structure of the seeds is preserved and the
// copies cover other parts of the address space. `how` says what was done.
Result<std::vector<Rule>> make_rule_set(const std::vector<std::string>& files, size_t count,
                                        std::string* how = nullptr);

// `count` headers sampled deterministically (seed) from the rules: a uniformly chosen
// rule, a random address inside both prefixes, ports inside the ranges, the rule's
// protocol (or one of 6/17/1/47 for "any"); `rule` is the generating rule (not
// necessarily the first match).
std::vector<Header> sample_trace(const std::vector<Rule>& rules, size_t count, uint64_t seed);

// Rules and trace for one benchmark size. The trace: `trace_file` when given; else, when
// every rule comes from the first file, that file's own trace (trace_path_for) restricted
// to headers of the rules kept; else sample_trace(rules, 10 * count, seed), ClassBench's
// ratio of ten headers per rule.
struct Workload {
    std::vector<Rule> rules;
    std::vector<Header> trace;
    std::string how;                   // where rules and trace came from, one line
};
Result<Workload> make_workload(const std::vector<std::string>& files, size_t count,
                               const std::string& trace_file = {}, uint64_t seed = 1);

// First-match (line order) rule index of a header, or -1. Linear; tests and checks only.
long first_match(const std::vector<Rule>& rules, const Header& h);

// ---- the AWS network --------------------------------------------------------------------

enum class Form : uint8_t { Nacl, Sg, Both };
const char* form_name(Form f);
bool parse_form(const std::string& s, Form& out);

struct NetOptions {
    Form form = Form::Both;
    // NACL actions: entry i denies when deny_every > 0 and i % deny_every == deny_every - 1,
    // else allows (0 = all allow).
    uint32_t deny_every = 4;
    // At most this many rules per NACL: AWS rule
    // numbers end at 32766, so bigger sets are split into chunks, each chunk a pair of
    // client/server subnets with their own NACLs.
    uint32_t nacl_chunk = 16000;
    uint32_t rules_per_group = 1000;  // SG rules per security group
    size_t max_enis = 20000;          // ENIs (distinct trace addresses) at most
    size_t max_flows = 0;             // flows (trace headers kept) at most; 0 = all usable
};

// One flow of the trace that the network carries: client ENI -> server ENI. `h` is the
// trace header as carried (special addresses replaced, see build_network).
struct Flow {
    Header h;
    uint32_t client = 0, server = 0;   // ENI positions in Built::enis
};

struct EniInfo {
    std::string id;
    uint32_t addr = 0;                 // host order
    uint8_t mac[6] = {};
    uint32_t chunk = 0;
    bool server = false;
};

struct Built {
    nlohmann::json bundle;             // describe-* keys, loadable by ruleset/loader
    std::vector<Flow> flows;
    std::vector<EniInfo> enis;
    std::vector<std::string> client_nacl, server_nacl;  // NACL id per chunk
    uint32_t chunks = 0;
    uint32_t nacl_entries = 0, sg_rules = 0, groups = 0;
    // Trace headers not carried, and why (printed by the CLI and the benchmarks).
    size_t skipped_special = 0;        // an address the VPC cannot give an ENI
    size_t skipped_role = 0;           // address already a client (or server) elsewhere, or in another chunk
    size_t skipped_cap = 0;            // ENI or flow cap reached
    size_t repaired = 0;               // special addresses replaced inside the rule's prefix
};

// The network (see perf/README.md "The network"): one VPC whose CIDRs are 100.64.0.0/10
// (primary; holds the subnets' own CIDRs) and every /8 that holds an ENI address; per
// chunk a client subnet and a server subnet; one ENI per distinct trace address, a client
// (trace source) or a server (trace destination). NACL form: the client subnet's NACL
// egress entries are the rules on their destination prefix, the server subnet's NACL
// ingress entries the rules on their source prefix (protocol, destination ports, action
// by deny_every), the return directions allow all. SG form: every client ENI carries the
// client groups (egress rules, peer = destination prefix), every server ENI the server
// groups (ingress rules, peer = source prefix), rules_per_group rules a group; NACLs allow
// all. Both: both. A trace address no ENI may have (0/8, 100/8, 127/8, 169.254/16,
// 255.255.255.255) is replaced by an address inside the generating rule's prefix, or the
// header is skipped; so are headers whose address already serves the other role. Source ports have no AWS equivalent and are dropped; protocol "any"
// ignores ports in AWS, so such rules lose their port range.
Result<Built> build_network(const std::vector<Rule>& rules, const std::vector<Header>& trace,
                            const NetOptions& options);

// ---- frames, pcap, dpdk-test-acl files ---------------------------------------------------

// A minimum-size Ethernet frame (60 bytes captured, 64 on the wire with the FCS) for a
// flow: client MAC -> server MAC, IPv4, then TCP (flags), UDP, ICMP echo request (id = source port), or 8 zero bytes of payload for other protocols. `reply`
// swaps the direction (server -> client; ICMP echo reply; TCP flags as given).
inline constexpr uint32_t kFrameLen = 60;
void build_frame(const Built& net, const Flow& f, bool reply, uint8_t tcp_flags, uint8_t out[kFrameLen]);

// Writes frames as a pcap file (LINKTYPE_ETHERNET, microsecond timestamps 1 ms apart).
Status write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames);

// ClassBench text exactly as dpdk-test-acl (app/test-acl) parses it.
Status write_rules(const std::string& path, const std::vector<Rule>& rules);
Status write_trace(const std::string& path, const std::vector<Header>& trace);

} // namespace vpcfw::cb
