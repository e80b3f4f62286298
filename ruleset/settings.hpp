// Settings: every CHOICE of docs/semantics.md (and the documented limits the evaluators apply)
// as one named field, shared by the reference evaluator and the compiled pipeline. Plain
// value; no JSON, so the hot path's translation units can include it.
#pragma once

#include <cstddef>

namespace vpcfw {

// Every CHOICE of docs/semantics.md as one named setting. Decisions that rest on one list its
// name in Decision::choices and `explain` says so.
struct Settings {
    // §2 captures taken at an instance: with origin auto, an outside source and a private
    // destination is read as seen at that ENI after AWS's translation.
    bool capture_at_instance = true;
    // §4 untracked-flow predicate (the documented reading); false = track everything.
    bool untracked_flows = true;
    int udp_stream_packets_each_way = 2;   // §4 a UDP flow is a stream after N packets each way
    int tcp_transitory_timeout = 120;      // §4 before handshake completes / after FIN both / RST
    int icmp_timeout = 30;                 // §4
    int other_timeout = 600;               // §4 documented window for other protocols
    bool icmp_errors_need_rule = true;     // §4 ICMP errors about a tracked flow need a rule
    size_t conntrack_capacity_per_eni = 1u << 20; // §4 table capacity per ENI
    // §4 the table's capacity, all ENIs together: one worker's table. replay divides it
    // among its workers (docs/replay.md); `run --capacity` sets it.
    size_t conntrack_table_capacity = 1u << 20;
    // §4 CHOICE conntrack_emergency: from 7/8 of the table's capacity until it holds less
    // than half, entries other than established TCP connections and UDP streams expire
    // after conntrack_emergency_timeout seconds (Suricata's emergency mode).
    bool conntrack_emergency = true;
    int conntrack_emergency_timeout = 10;
    // §5 a subnet with no NACL in the export (no association, no default NACL of its VPC)
    // has AWS's default NACL as AWS creates it, acl-default(VPC-ID) (allow all, then *);
    // false = it has none and every packet is denied at `none:DIRECTION:*`.
    bool missing_nacl_default = true;
    // §6 two overlapping prefix-list routes: the lower prefix-list id wins.
    bool prefix_list_tie_lowest_id = true;
    // §7 NAT gateway port choice: keep the source port if >= 1024 and free, else the
    // lowest free port from 1024.
    int nat_port_min = 1024;
    int nat_max_flows_per_destination = 55000;
    int nat_idle_tcp = 350;
    // §8 BGP VPNs and Direct Connect: learned routes not in the export; any destination.
    bool vpn_bgp_any_destination = true;
    // §8 a TGW's Direct Connect gateway or dynamic VPN attachment whose propagation is
    // enabled, with no propagated routes of it in the export: a propagated default route
    // (0.0.0.0/0, ::/0) to it, ranked as its kind.
    bool tgw_bgp_any_destination = true;
    // §8 VPN tunnel status ignored (tunnels assumed up).
    bool vpn_ignore_tunnel_status = true;
    // §11 non-first fragments take the first fragment's decision for this long.
    int fragment_window = 30;
};

} // namespace vpcfw
