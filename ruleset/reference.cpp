// The reference evaluator: SEMANTICS.md, transcribed. Sections are cited (§N) where the
// code implements them. Linear scans everywhere; clarity over speed. Each layer appends a
// TraceStep so `explain` can show the path and why the other rules did not match.
#include "ruleset/reference.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>
#include <tuple>

namespace vpcfw {

const char* action_name(Action a) { return a == Action::Accept ? "ACCEPT" : "DROP"; }

namespace {

// ---------------------------------------------------------------------------------------
// State kept between packets

// A connection-tracking key at one ENI, oriented from the ENI's side (§4: tracking is per
// ENI), so both directions of a flow find the same entry.
struct CtKey {
    Idx eni = kNone;
    uint8_t proto = 0;
    IpAddr local, remote;
    uint16_t lport = 0, rport = 0;  // TCP/UDP ports; ICMP: (identifier, query type)
    auto operator<=>(const CtKey&) const = default;
};

struct CtEntry {
    double last_seen = 0;
    bool opened_by_local = true;     // the first packet left the ENI (egress)
    uint32_t pkts_out = 0, pkts_in = 0;
    bool seen_reply = false;         // TCP: a packet from the other side has been seen
    bool established = false;        // TCP: handshake complete
    bool fin_local = false, fin_remote = false, rst = false;
};

// A NAT gateway mapping (§7): inside flow <-> (NAT address, port).
struct NatKey {                      // the outside view: what replies are addressed to
    std::string nat_id;
    uint8_t proto = 0;
    IpAddr nat_ip, remote;
    uint16_t nat_port = 0, rport = 0;
    auto operator<=>(const NatKey&) const = default;
};
struct NatInside {
    IpAddr inside_ip;
    uint16_t inside_port = 0;
};
struct NatEntry {
    NatInside inside;
    double last_seen = 0;
};
struct NatInsideKey {                // the inside view: how an outbound packet finds its mapping
    std::string nat_id;
    uint8_t proto = 0;
    IpAddr inside_ip, remote;
    uint16_t inside_port = 0, rport = 0;
    auto operator<=>(const NatInsideKey&) const = default;
};

// A flow through a TGW attachment in appliance mode: both directions share one key.
struct ApplianceKey {
    std::string attachment;
    uint8_t proto = 0;
    IpAddr a, b;            // the lower and the higher endpoint address
    uint16_t pa = 0, pb = 0;
    auto operator<=>(const ApplianceKey&) const = default;
};

struct FragKey {
    IpAddr src, dst;
    uint8_t proto = 0;
    uint32_t id = 0;
    auto operator<=>(const FragKey&) const = default;
};
struct FragEntry {
    double first_seen = 0;
    Decision decision;
};

// Egress-only internet gateway state (§7): outbound IPv6 flows whose replies may enter.
struct EigwKey {
    std::string eigw_id;
    uint8_t proto = 0;
    IpAddr inside, outside;
    uint16_t iport = 0, oport = 0;
    auto operator<=>(const EigwKey&) const = default;
};


// The egress-only gateway key of a packet, oriented inside -> outside; `outbound` when the
// packet leaves the VPC.
EigwKey eigw_key(const std::string& gw, const Packet& p, bool outbound) {
    uint16_t sp = p.has_ports() ? p.sport : p.icmp_id;
    uint16_t dp = p.has_ports() ? p.dport : static_cast<uint16_t>(icmp_request_type(p.proto, p.icmp_type));
    if (outbound) return EigwKey{gw, p.proto, p.src, p.dst, sp, dp};
    uint16_t rsp = p.has_ports() ? p.dport : p.icmp_id;
    uint16_t rdp = p.has_ports() ? p.sport : static_cast<uint16_t>(icmp_request_type(p.proto, p.icmp_type));
    return EigwKey{gw, p.proto, p.dst, p.src, rsp, rdp};
}

std::string endpoint(const IpAddr& a, bool ports, uint16_t port) {
    std::string s = a.is_v4() ? a.str() : "[" + a.str() + "]";
    return ports ? s + ":" + std::to_string(port) : s;
}

} // namespace

// ---------------------------------------------------------------------------------------

struct ReferenceEvaluator::State {
    Network net;
    Settings cfg;
    std::map<CtKey, CtEntry> conntrack;
    std::map<Idx, size_t> ct_count;               // live entries per ENI
    std::map<NatKey, NatEntry> nat_out;
    std::map<NatInsideKey, NatKey> nat_in;
    std::map<FragKey, FragEntry> frags;
    std::map<EigwKey, double> eigw;
    std::set<NatInsideKey> nat_idle_tcp;
    std::map<ApplianceKey, std::string> appliance_az;  // §8 appliance mode: flow -> AZ             // TCP mappings that timed out (for RST)

    // ---- per-evaluation context -------------------------------------------------------
    struct PendingCt {
        CtKey key;
        bool egress;                // the packet left the ENI
        bool create;                // no entry yet: create one if the flow is tracked
        bool tracked_by_rules;      // SG predicate says tracked (before auto-tracking)
        uint8_t tcp_flags;
        uint8_t icmp_type;
    };
    struct PendingNat {
        NatKey out;
        NatInsideKey in;
        NatInside inside;
    };
    struct Ctx {
        Decision* d = nullptr;
        double now = 0;
        int depth = 0;                      // appliance / hairpin hops, loop guard
        bool arrived_via_peering = false;   // §8: never forwarded out of this VPC again
        bool arrived_from_edge = false;     // from a VGW (VPN/DX): no IGW, NAT, peering, endpoints (§8)
        bool arrived_from_tgw = false;      // through a TGW: no gateway endpoints (§8)
        bool auto_tracked = false;          // §4: EIGW, NAT GW, TGW, interface endpoint
        std::string arrival_az;             // TGW: AZ the packet entered the TGW in
        std::vector<PendingCt> ct;
        std::vector<PendingNat> nat;
        std::vector<EigwKey> eigw;
        std::vector<std::pair<ApplianceKey, std::string>> appliance;
        bool last_sg_tracked = false;       // decision's `tracked` (decisions.md)
        bool last_sg_seen = false;
        Idx last_sg_eni = kNone;
    };

    // ---- small helpers ----------------------------------------------------------------
    void step(Ctx& c, std::string hop, std::string layer, std::string verdict, std::string rule = {},
              std::string detail = {}) {
        c.d->trace.push_back(TraceStep{std::move(hop), std::move(layer), std::move(verdict),
                                       std::move(rule), std::move(detail)});
    }
    void path(Ctx& c, std::string s) { c.d->path.push_back(std::move(s)); }
    void choice(Ctx& c, const std::string& name) {
        auto& v = c.d->choices;
        if (std::find(v.begin(), v.end(), name) == v.end()) v.push_back(name);
    }
    bool drop(Ctx& c, Layer layer, std::string reason, std::string rule = {}) {
        c.d->action = Action::Drop;
        c.d->layer = layer;
        c.d->reason = std::move(reason);
        c.d->rule = std::move(rule);
        c.d->to.clear();
        return false;
    }
    bool accept(Ctx& c, std::string to) {
        c.d->action = Action::Accept;
        c.d->layer = Layer::None;
        c.d->to = std::move(to);
        return true;
    }

    // Every address that belongs to an ENI (§2 source check, §4 referenced groups).
    static bool eni_has_address(const Eni& e, const IpAddr& a) {
        for (const auto& p : e.private_ips)
            if (p.addr == a) return true;
        for (const auto& v6 : e.ipv6)
            if (v6 == a) return true;
        for (const auto& c : e.prefixes4)
            if (c.contains(a)) return true;
        for (const auto& c : e.prefixes6)
            if (c.contains(a)) return true;
        return false;
    }

    // The ENI in `vpc` that owns private address `a` (kNone when nobody does).
    Idx eni_by_private(Idx vpc, const IpAddr& a) const {
        for (Idx i = 0; i < net.enis.size(); ++i)
            if (net.enis[i].vpc == vpc && eni_has_address(net.enis[i], a)) return i;
        return kNone;
    }
    Idx eni_by_any_private(const IpAddr& a) const {
        for (Idx i = 0; i < net.enis.size(); ++i)
            if (eni_has_address(net.enis[i], a)) return i;
        return kNone;
    }
    // The ENI + private IP that carry public IPv4 `a` (auto-assigned or Elastic).
    std::pair<Idx, const PrivateIp*> eni_by_public(const IpAddr& a) const {
        for (Idx i = 0; i < net.enis.size(); ++i)
            for (const auto& p : net.enis[i].private_ips)
                if (p.public_ip && *p.public_ip == a) return {i, &p};
        return {kNone, nullptr};
    }
    const PrivateIp* private_ip_record(Idx vpc, const IpAddr& a) const {
        for (const auto& e : net.enis)
            if (e.vpc == vpc)
                for (const auto& p : e.private_ips)
                    if (p.addr == a) return &p;
        return nullptr;
    }
    bool in_vpc(Idx vpc, const IpAddr& a) const {
        const Vpc& v = net.vpcs[vpc];
        for (const auto& c : v.cidrs4)
            if (c.contains(a)) return true;
        for (const auto& c : v.cidrs6)
            if (c.contains(a)) return true;
        return false;
    }
    Idx vpc_containing(const IpAddr& a) const {
        for (Idx i = 0; i < net.vpcs.size(); ++i)
            if (in_vpc(i, a)) return i;
        return kNone;
    }
    std::string eni_display(Idx e) const {
        const Eni& n = net.enis[e];
        return n.id;
    }
    // `to` for a delivered ENI: an interface endpoint's ENI reports the endpoint id.
    std::string destination_name(Idx e) const {
        const Eni& n = net.enis[e];
        for (const auto& ep : net.endpoints)
            for (const auto& id : ep.eni_ids)
                if (id == n.id) return ep.id;
        return n.id;
    }
    bool is_interface_endpoint_eni(Idx e) const { return destination_name(e) != net.enis[e].id; }
    const NatGateway* nat_of_eni(Idx e) const {
        const Eni& n = net.enis[e];
        for (const auto& g : net.nat_gateways)
            for (const auto& a : g.addresses)
                if (a.eni_id == n.id) return &g;
        return nullptr;
    }

    // An ENI can send and receive (§1, §10): attached, its instance running.
    bool eni_usable(Idx e, std::string& reason) const {
        const Eni& n = net.enis[e];
        // ENIs that AWS manages (NAT gateway, endpoints, TGW attachments, load balancers)
        // forward as long as their owner does; the owner's state is checked where it is used.
        if (n.requester_managed || n.interface_type != "interface") return true;
        bool attached = !n.attachment_id.empty() && n.status != "available" &&
                        (n.attachment_status.empty() || n.attachment_status == "attached");
        if (!attached) {
            reason = "eni-not-attached";
            return false;
        }
        if (!n.instance_id.empty()) {
            const Instance* in = net.instance(n.instance_id);
            if (in && in->state != "running") {
                reason = "instance-not-running";
                return false;
            }
        }
        return true;
    }

    // ---- §9 traffic AWS never filters ---------------------------------------------------
    std::string aws_service(Idx vpc, Idx subnet, const Packet& p, const IpAddr& a) const {
        if (a.is_v4()) {
            uint32_t h = a.v4_host();
            if (h == 0xA9FEA9FD) return "amazon-dns";        // 169.254.169.253
            if (h == 0xA9FEA9FE) return "instance-metadata"; // 169.254.169.254
            if (h == 0xA9FEA97B) return "time-sync";         // 169.254.169.123
            if (vpc != kNone && !net.vpcs[vpc].cidrs4.empty() &&
                a == net.vpcs[vpc].cidrs4[0].base.plus(2))
                return "amazon-dns";
            if (subnet != kNone && net.subnets[subnet].cidr4 &&
                a == net.subnets[subnet].cidr4->base.plus(1))
                return p.is_udp() && (p.dport == 67 || p.sport == 67) ? "dhcp" : "vpc-router";
            if (h == 0xFFFFFFFF && p.is_udp() && (p.dport == 67 || p.dport == 68)) return "dhcp";
        } else {
            static const IpAddr dns6 = *IpAddr::parse("fd00:ec2::253");
            static const IpAddr imds6 = *IpAddr::parse("fd00:ec2::254");
            static const IpAddr ntp6 = *IpAddr::parse("fd00:ec2::123");
            static const IpAddr dhcp6 = *IpAddr::parse("ff02::1:2");
            if (a == dns6) return "amazon-dns";
            if (a == imds6) return "instance-metadata";
            if (a == ntp6) return "time-sync";
            if (a == dhcp6 && p.is_udp()) return "dhcp";
            if (subnet != kNone)
                for (const auto& c : net.subnets[subnet].cidrs6)
                    if (a == c.base.plus(1)) return "vpc-router";
        }
        return {};
    }

    // ---- §4 security groups -----------------------------------------------------------
    bool prefix_list_contains(const std::string& id, const IpAddr& a) const {
        const PrefixList* pl = net.prefix_list(id);
        if (!pl) return false;
        for (const auto& c : pl->entries)
            if (c.contains(a)) return true;
        return false;
    }
    bool peered_active(Idx a, Idx b) const {
        if (a == b) return true;
        if (a == kNone || b == kNone) return false;
        for (const auto& p : net.peerings) {
            if (p.status != "active") continue;
            // SG references work across same-Region peering only (§4).
            if (!p.requester.region.empty() && !p.accepter.region.empty() && p.requester.region != p.accepter.region)
                continue;
            const std::string &x = net.vpcs[a].id, &y = net.vpcs[b].id;
            if ((p.requester.vpc_id == x && p.accepter.vpc_id == y) ||
                (p.requester.vpc_id == y && p.accepter.vpc_id == x))
                return true;
        }
        return false;
    }
    // §4: a referenced group matches the private addresses of ENIs carrying it, in the same
    // VPC or a peered VPC (never public/Elastic IPs); a missing group matches nothing.
    bool group_matches(const SecurityGroup& owner, const SgRule& r, const IpAddr& a) const {
        const SecurityGroup* ref = net.security_group(r.group_id);
        if (!ref) return false;
        for (Idx i = 0; i < net.enis.size(); ++i) {
            const Eni& e = net.enis[i];
            if (std::find(e.groups.begin(), e.groups.end(), r.group_id) == e.groups.end()) continue;
            if (!eni_has_address(e, a)) continue;
            if (peered_active(owner.vpc, e.vpc)) return true;
        }
        return false;
    }
    // Why an SG rule does (empty string) or does not match a packet seen at the ENI.
    std::string sg_rule_mismatch(const SecurityGroup& g, const SgRule& r, const Packet& p,
                                 const IpAddr& remote) const {
        if (r.proto != kProtoAll && r.proto != p.proto) return "protocol differs";
        if (r.ports_apply()) {
            if (r.from_port != -1 && (p.dport < r.from_port || p.dport > r.to_port))
                return "port " + std::to_string(p.dport) + " outside " + r.proto_ports_str();
        } else if (r.icmp() && r.from_port != -1) {
            if (p.icmp_type != r.from_port) return "ICMP type " + std::to_string(p.icmp_type) + " is not " + std::to_string(r.from_port);
            if (r.to_port != -1 && p.icmp_code != r.to_port) return "ICMP code " + std::to_string(p.icmp_code) + " is not " + std::to_string(r.to_port);
        }
        switch (r.peer) {
        case PeerKind::Cidr:
            if (r.cidr.family() != remote.family) return "address family differs";
            if (!r.cidr.contains(remote)) return remote.str() + " not in " + r.cidr.str();
            return {};
        case PeerKind::PrefixList:
            if (!net.prefix_list(r.prefix_list)) return "prefix list " + r.prefix_list + " unknown";
            if (!prefix_list_contains(r.prefix_list, remote)) return remote.str() + " not in " + r.prefix_list;
            return {};
        case PeerKind::Group:
            if (!net.security_group(r.group_id)) return "stale reference to " + r.group_id;
            if (!group_matches(g, r, remote))
                return remote.str() + " is not a private address of an ENI in " + r.group_id;
            return {};
        }
        return "?";
    }
    static std::string sg_rule_name(const SecurityGroup& g, const SgRule& r) {
        return g.id + (r.egress ? ":egress:" : ":ingress:") + r.proto_ports_str() + ":" + r.peer_str();
    }

    // §4 untracked predicate (one place, as the spec asks): a TCP or UDP flow is untracked at
    // an ENI when the packet that opened it was admitted by a rule whose peer is 0.0.0.0/0
    // (::/0) and the ENI's rules in the other direction include a rule with that peer covering
    // every port of the protocol. A packet met without state may be either the opener or a
    // response of an untracked flow, so the predicate is asked of both orientations: for this
    // packet in its direction, and for its reverse in the other direction. ICMP and other
    // protocols are always tracked.
    bool admitted_by_any_peer(const Eni& e, bool egress, const Packet& p) const {
        for (const auto& gid : e.groups) {
            const SecurityGroup* g = net.security_group(gid);
            if (!g) continue;
            for (const auto& r : egress ? g->egress : g->ingress)
                if (r.peer == PeerKind::Cidr && r.cidr.is_any() && r.cidr.family() == p.family() &&
                    sg_rule_mismatch(*g, r, p, egress ? p.dst : p.src).empty())
                    return true;
        }
        return false;
    }
    bool all_ports_to_any(const Eni& e, bool egress, const Packet& p) const {
        for (const auto& gid : e.groups) {
            const SecurityGroup* g = net.security_group(gid);
            if (!g) continue;
            for (const auto& r : egress ? g->egress : g->ingress) {
                if (r.peer != PeerKind::Cidr || !r.cidr.is_any() || r.cidr.family() != p.family()) continue;
                if (r.proto == kProtoAll) return true;
                if (r.proto == p.proto && (r.from_port == -1 || (r.from_port <= 0 && r.to_port >= 65535))) return true;
            }
        }
        return false;
    }
    bool untracked_by_rules(const Eni& e, bool egress, const Packet& p) const {
        if (!cfg.untracked_flows) return false;
        if (!p.is_tcp() && !p.is_udp()) return false;
        if (admitted_by_any_peer(e, egress, p) && all_ports_to_any(e, !egress, p)) return true;
        // A TCP packet other than a bare SYN is not the opener: it may be a response (or a
        // later packet) of a flow opened from the other side, so the predicate is also
        // asked of its reverse. A UDP packet met without state is taken as the opener.
        bool opener = p.is_udp() || ((p.tcp_flags & kTcpSyn) && !(p.tcp_flags & kTcpAck));
        if (opener) return false;
        Packet rev = reply_of(p, p.tcp_flags);
        return admitted_by_any_peer(e, !egress, rev) && all_ports_to_any(e, egress, p);
    }

    CtKey ct_key(Idx eni, bool egress, const Packet& p) const {
        CtKey k;
        k.eni = eni;
        k.proto = p.proto;
        k.local = egress ? p.src : p.dst;
        k.remote = egress ? p.dst : p.src;
        if (p.is_tcp() || p.is_udp()) {
            k.lport = egress ? p.sport : p.dport;
            k.rport = egress ? p.dport : p.sport;
        } else if (p.is_icmp()) {
            if (is_icmp_query(p.proto, p.icmp_type)) {
                k.lport = p.icmp_id;
                k.rport = icmp_request_type(p.proto, p.icmp_type);
            } else {
                k.lport = 0;
                k.rport = static_cast<uint16_t>(0x100 | p.icmp_type); // not a query: its own key
            }
        }
        return k;
    }

    double ct_timeout(const Eni& e, const CtKey& k, const CtEntry& ce) const {
        if (k.proto == 6) {
            if (ce.rst || (ce.fin_local && ce.fin_remote) || !ce.established) return cfg.tcp_transitory_timeout;
            return e.timeouts.tcp_established;
        }
        if (k.proto == 17) {
            uint32_t n = static_cast<uint32_t>(cfg.udp_stream_packets_each_way);
            return (ce.pkts_out >= n && ce.pkts_in >= n) ? e.timeouts.udp_stream : e.timeouts.udp;
        }
        if (k.proto == 1 || k.proto == 58) return cfg.icmp_timeout;
        return cfg.other_timeout;
    }

    // Removes the expired entries of one ENI (before refusing a new one for capacity).
    void ct_sweep(Idx eni, double now) {
        CtKey lo;
        lo.eni = eni;
        lo.proto = 0;
        for (auto it = conntrack.lower_bound(lo); it != conntrack.end() && it->first.eni == eni;) {
            if (now - it->second.last_seen > ct_timeout(net.enis[eni], it->first, it->second)) {
                it = conntrack.erase(it);
                if (ct_count[eni] > 0) --ct_count[eni];
            } else {
                ++it;
            }
        }
    }

    CtEntry* ct_find(const CtKey& k, double now) {
        auto it = conntrack.find(k);
        if (it == conntrack.end()) return nullptr;
        if (now - it->second.last_seen > ct_timeout(net.enis[k.eni], k, it->second)) {
            conntrack.erase(it);
            if (ct_count[k.eni] > 0) --ct_count[k.eni];
            return nullptr;
        }
        return &it->second;
    }

    // SG check at one ENI (§4). Returns false (and fills the drop) when no rule and no state
    // admits the packet. `p` is the packet as the ENI sees it.
    bool sg_check(Ctx& c, Idx eniIdx, bool egress, const Packet& p) {
        const Eni& e = net.enis[eniIdx];
        Layer layer = egress ? Layer::SgEgress : Layer::SgIngress;
        std::string lname = layer_name(layer);
        CtKey key = ct_key(eniIdx, egress, p);
        bool errorAboutFlow = p.is_icmp() && is_icmp_error(p.proto, p.icmp_type);
        if (!errorAboutFlow) {
            if (CtEntry* ce = ct_find(key, c.now)) {
                (void)ce;
                step(c, e.id, lname, "allow", lname + ":state", "tracked connection (admitted earlier; rules are not re-checked)");
                path(c, lname + ":state");
                c.ct.push_back(PendingCt{key, egress, false, true, p.tcp_flags, p.icmp_type});
                c.last_sg_seen = true;
                c.last_sg_tracked = true;
                c.last_sg_eni = eniIdx;
                return true;
            }
        } else if (cfg.icmp_errors_need_rule) {
            choice(c, "icmp_errors_need_rule");
        }
        // Rules: union of every group's rules of this direction (§4).
        std::vector<const SgRule*> admitting;
        std::string first;
        std::vector<std::string> why;
        std::string groups;
        for (const auto& gid : e.groups) {
            if (!groups.empty()) groups += ",";
            groups += gid;
            const SecurityGroup* g = net.security_group(gid);
            if (!g) {
                why.push_back(gid + ": group not in the export");
                continue;
            }
            const IpAddr& remote = egress ? p.dst : p.src;
            const auto& rules = egress ? g->egress : g->ingress;
            if (rules.empty()) why.push_back(gid + ": no " + std::string(egress ? "outbound" : "inbound") + " rules");
            for (const auto& r : rules) {
                std::string m = sg_rule_mismatch(*g, r, p, remote);
                if (m == "address family differs") continue;  // IPv4 rules never match IPv6
                if (m.empty()) {
                    admitting.push_back(&r);
                    if (first.empty()) first = sg_rule_name(*g, r);
                } else {
                    why.push_back(sg_rule_name(*g, r) + ": " + m);
                }
            }
        }
        if (e.groups.empty()) why.push_back("the ENI has no security groups");
        if (admitting.empty()) {
            std::string detail = "no rule matches";
            for (const auto& w : why) detail += "\n" + w;
            step(c, e.id, lname, "deny", groups, detail);
            return drop(c, layer, "no-matching-rule", groups);
        }
        bool tracked = !untracked_by_rules(e, egress, p);
        if (!tracked) choice(c, "untracked_flows");
        // Capacity (§4): a packet that needs a new tracked entry when the ENI's table is full.
        // An entry is created at commit when the flow is tracked by the rules or passes an
        // automatically tracked hop (known only later on the path).
        bool mayCreate = !errorAboutFlow &&
                         !(p.is_icmp() && is_icmp_query(p.proto, p.icmp_type) && !is_icmp_request(p.proto, p.icmp_type));
        bool needsEntry = mayCreate;
        if (tracked && mayCreate && ct_count[eniIdx] >= cfg.conntrack_capacity_per_eni) ct_sweep(eniIdx, c.now);
        if (tracked && mayCreate && ct_count[eniIdx] >= cfg.conntrack_capacity_per_eni) {
            step(c, e.id, lname, "deny", first, "connection tracking table full");
            return drop(c, Layer::Conntrack, "table_full");
        }
        step(c, e.id, lname, "allow", first, tracked ? "flow will be tracked" : "untracked flow (§4: rules judge every packet)");
        path(c, lname + ":" + first.substr(0, first.find(':')));
        c.ct.push_back(PendingCt{key, egress, needsEntry, tracked, p.tcp_flags, p.icmp_type});
        c.last_sg_seen = true;
        c.last_sg_tracked = tracked;
        c.last_sg_eni = eniIdx;
        return true;
    }

    void commit_ct(Ctx& c) {
        for (const auto& pc : c.ct) {
            CtEntry* ce = ct_find(pc.key, c.now);
            if (!ce) {
                if (!pc.create) continue;
                bool tracked = pc.tracked_by_rules || c.auto_tracked;
                if (!tracked) continue;
                if (ct_count[pc.key.eni] >= cfg.conntrack_capacity_per_eni) continue;
                CtEntry n;
                n.opened_by_local = pc.egress;
                ce = &conntrack.emplace(pc.key, n).first->second;
                ++ct_count[pc.key.eni];
            }
            ce->last_seen = c.now;
            bool fromOpener = pc.egress == ce->opened_by_local;
            if (pc.egress) ++ce->pkts_out; else ++ce->pkts_in;
            if (pc.key.proto == 6) {
                if (!fromOpener) ce->seen_reply = true;
                else if (ce->seen_reply && (pc.tcp_flags & kTcpAck)) ce->established = true;
                if (pc.tcp_flags & kTcpRst) ce->rst = true;
                if (pc.tcp_flags & kTcpFin) (pc.egress ? ce->fin_local : ce->fin_remote) = true;
            }
        }
        // The decision's `tracked` when auto-tracking applies to the last ENI.
        if (c.last_sg_seen && c.auto_tracked) c.last_sg_tracked = true;
    }

    // ---- §5 network ACLs --------------------------------------------------------------
    static std::string nacl_entry_mismatch(const NaclEntry& n, const Packet& p, const IpAddr& remote) {
        if (n.cidr.family() != remote.family) return "address family differs";
        if (n.proto != kProtoAll) {
            if (n.proto == kProtoIcmpv6 && n.cidr.family() == Family::V4) {
                if (p.proto != kProtoIcmp) return "protocol differs";   // 58 + IPv4 CIDR = all ICMP
            } else if (n.proto != p.proto) {
                return "protocol differs";
            } else if (n.proto == kProtoTcp || n.proto == kProtoUdp) {
                if (n.port_from != -1 && (p.dport < n.port_from || p.dport > n.port_to))
                    return "port " + std::to_string(p.dport) + " outside " + std::to_string(n.port_from) + "-" + std::to_string(n.port_to);
            } else if (n.proto == kProtoIcmp || n.proto == kProtoIcmpv6) {
                if (n.icmp_type != -1 && p.icmp_type != n.icmp_type) return "ICMP type differs";
                if (n.icmp_type != -1 && n.icmp_code != -1 && p.icmp_code != n.icmp_code) return "ICMP code differs";
            }
        }
        if (!n.cidr.contains(remote)) return remote.str() + " not in " + n.cidr.str();
        return {};
    }

    bool nacl_check(Ctx& c, Idx subnet, bool egress, const Packet& p) {
        Layer layer = egress ? Layer::NaclEgress : Layer::NaclIngress;
        std::string lname = layer_name(layer);
        std::string dir = egress ? "egress" : "ingress";
        Idx acl = net.nacl_of_subnet(subnet);
        const std::string& sid = net.subnets[subnet].id;
        if (acl == kNone) {
            step(c, sid, lname, "deny", {}, "the subnet has no network ACL in the export");
            return drop(c, layer, "default-deny", "none:" + dir + ":*");
        }
        const NetworkAcl& n = net.network_acls[acl];
        const IpAddr& remote = egress ? p.dst : p.src;
        std::string detail;
        for (const auto& en : n.entries) {
            if (en.egress != egress) continue;
            if (en.cidr.family() != remote.family) continue;  // never matches the other family
            std::string m = nacl_entry_mismatch(en, p, remote);
            std::string num = en.is_default_deny() ? "*" : std::to_string(en.rule_number);
            if (!m.empty()) {
                detail += (detail.empty() ? "" : "\n") + std::string("rule ") + num + ": " + m;
                continue;
            }
            std::string rule = n.id + ":" + dir + ":" + num;
            if (en.allow) {
                step(c, sid, lname, "allow", rule, detail.empty() ? "" : "earlier rules did not match:\n" + detail);
                path(c, rule);
                return true;
            }
            step(c, sid, lname, "deny", rule, detail.empty() ? "" : "earlier rules did not match:\n" + detail);
            return drop(c, layer, en.is_default_deny() ? "default-deny" : "deny-rule", rule);
        }
        std::string rule = n.id + ":" + dir + ":*";
        step(c, sid, lname, "deny", rule, "no entry matches:\n" + detail);
        return drop(c, layer, "default-deny", rule);
    }

    // ---- §6 routing -------------------------------------------------------------------
    struct RouteMatch {
        const Route* route = nullptr;
        int len = -1;
        int rank = 99;       // 0 static CIDR / local, 1 prefix list, 2 propagated
        std::string pl;      // prefix-list id when matched through a list
    };

    static bool is_reserved_range(const IpAddr& a) {
        static const Cidr r4 = *Cidr::parse("169.254.168.0/22");
        static const Cidr r6 = *Cidr::parse("fd00:ec2::/32");
        return r4.contains(a) || r6.contains(a);
    }

    RouteMatch lookup_route(Ctx& c, const RouteTable& rt, const IpAddr& dst) {
        RouteMatch best;
        bool inLocal = false;
        for (const auto& r : rt.routes)
            if (r.kind == TargetKind::Local && r.dest && r.dest->contains(dst)) inLocal = true;
        for (const auto& r : rt.routes) {
            std::vector<std::pair<int, std::string>> lens;
            if (r.dest) {
                if (r.dest->contains(dst)) lens.push_back({r.dest->len, {}});
            } else if (!r.dest_prefix_list.empty()) {
                const PrefixList* pl = net.prefix_list(r.dest_prefix_list);
                if (pl)
                    for (const auto& e : pl->entries)
                        if (e.contains(dst)) lens.push_back({e.len, pl->id});
            }
            for (const auto& [len, plid] : lens) {
                int rank = r.propagated() ? 2 : (plid.empty() ? 0 : 1);
                if (rank == 2 && inLocal) continue; // §6: propagated routes never beat local
                bool better = len > best.len || (len == best.len && rank < best.rank);
                if (len == best.len && rank == best.rank && rank == 1 && !best.pl.empty() && plid != best.pl &&
                    best.route->target != r.target) {
                    choice(c, "prefix_list_tie_lowest_id");
                    better = plid < best.pl;
                }
                if (better) best = RouteMatch{&r, len, rank, plid};
            }
        }
        return best;
    }

    // ---- delivery to an ENI (destination side: NACL in, SG in) ----------------------------
    // `from_subnet` is the subnet the packet leaves (kNone when it comes from a gateway);
    // the caller has already applied that subnet's NACL egress when needed.
    bool deliver_to_eni(Ctx& c, Idx eni, const Packet& p, Idx from_subnet, bool apply_nacl_in = true) {
        const Eni& e = net.enis[eni];
        std::string reason;
        if (!eni_usable(eni, reason)) {
            step(c, e.id, "route", "drop", {}, "destination " + reason);
            return drop(c, Layer::Route, reason);
        }
        if (apply_nacl_in && e.subnet != from_subnet)
            if (!nacl_check(c, e.subnet, false, p)) return false;
        // A NAT gateway ENI receiving a packet: de-NAT (§7).
        if (const NatGateway* g = nat_of_eni(eni)) return nat_inbound(c, *g, eni, p);
        if (e.source_dest_check && !eni_has_address(e, p.dst)) {
            step(c, e.id, "route", "drop", {}, "source/destination check: " + p.dst.str() + " is not an address of " + e.id);
            return drop(c, Layer::Route, "source-dest-check");
        }
        if (is_interface_endpoint_eni(eni)) {
            const VpcEndpoint* ep = net.endpoint(destination_name(eni));
            std::string st = ep ? ep->state : "";
            std::transform(st.begin(), st.end(), st.begin(), ::tolower);
            if (ep && st != "available") {
                step(c, ep->id, "endpoint", "drop", {}, ep->id + " is " + ep->state);
                return drop(c, Layer::Endpoint, "not-available");
            }
            c.auto_tracked = true;
        }
        if (!sg_check(c, eni, false, p)) return false;
        path(c, e.id);
        // An appliance that receives a packet not addressed to it forwards it on (§3).
        if (!eni_has_address(e, p.dst)) {
            step(c, e.id, "forward", "appliance", {}, "source/destination check off: the appliance forwards the packet");
            return from_eni_forward(c, eni, p);
        }
        return accept(c, destination_name(eni));
    }

    // ---- from an ENI -------------------------------------------------------------------
    bool from_eni(Ctx& c, Idx eni, Packet p) {
        const Eni& e = net.enis[eni];
        std::string reason;
        if (!eni_usable(eni, reason)) {
            step(c, e.id, "origin", "drop", {}, reason);
            return drop(c, Layer::Origin, reason);
        }
        if (e.source_dest_check && !eni_has_address(e, p.src)) {
            step(c, e.id, "origin", "drop", {}, "source/destination check: " + p.src.str() + " is not an address of " + e.id);
            return drop(c, Layer::Origin, "source-dest-check");
        }
        path(c, e.id);
        std::string svc = aws_service(e.vpc, e.subnet, p, p.dst);
        if (!svc.empty()) {
            step(c, e.id, "unfiltered", "allow", {}, "traffic to " + svc + " is never filtered by security groups or NACLs (§9)");
            path(c, svc);
            return accept(c, svc);
        }
        if (!sg_check(c, eni, true, p)) return false;
        return route_from_subnet(c, e.subnet, eni, p);
    }

    // The appliance re-sends a packet it received (SG egress of the appliance, then routing).
    bool from_eni_forward(Ctx& c, Idx eni, const Packet& p) {
        if (++c.depth > 8) {
            step(c, net.enis[eni].id, "route", "drop", {}, "routing loop");
            return drop(c, Layer::Route, "loop");
        }
        if (!sg_check(c, eni, true, p)) return false;
        return route_from_subnet(c, net.enis[eni].subnet, eni, p);
    }

    // Routing from a subnet (§3 steps 2-6). `src_eni` is the sender (kNone for gateways).
    bool route_from_subnet(Ctx& c, Idx subnet, Idx src_eni, const Packet& p) {
        const Subnet& s = net.subnets[subnet];
        Idx vpc = s.vpc;
        // Same subnet: no route table, no NACL (§3).
        Idx dstEni = eni_by_private(vpc, p.dst);
        if (dstEni != kNone && net.enis[dstEni].subnet == subnet && dstEni != src_eni) {
            step(c, s.id, "route", "same-subnet", {}, "destination in the same subnet: no route table, no NACL");
            return deliver_to_eni(c, dstEni, p, subnet, false);
        }
        Idx rtIdx = net.route_table_of_subnet(subnet);
        if (rtIdx == kNone) {
            step(c, s.id, "route", "drop", {}, "the subnet has no route table");
            return drop(c, Layer::Route, "no-route");
        }
        const RouteTable& rt = net.route_tables[rtIdx];
        if (is_reserved_range(p.dst)) {
            step(c, rt.id, "route", "drop", {}, p.dst.str() + " is in a range AWS never routes (169.254.168.0/22, fd00:ec2::/32)");
            return drop(c, Layer::Route, "reserved-range");
        }
        RouteMatch m = lookup_route(c, rt, p.dst);
        if (!m.route) {
            step(c, rt.id, "route", "drop", {}, "no route for " + p.dst.str());
            return drop(c, Layer::Route, "no-route", rt.id + ":none");
        }
        const Route& r = *m.route;
        std::string rule = rt.id + ":" + r.dest_str();
        if (r.state != "active") {
            step(c, rt.id, "route", "drop", rule, "route state " + r.state + " (target " + r.target + ")");
            return drop(c, Layer::Route, "blackhole", rule);
        }
        step(c, rt.id, "route", "route", rule, "-> " + r.target + (m.pl.empty() ? "" : " (via prefix list " + m.pl + ")"));
        path(c, rule);
        return via_target(c, subnet, src_eni, rt, r, rule, p);
    }

    // NACL egress of the subnet the packet leaves, with the TGW exception handled by the caller.
    bool leave_subnet(Ctx& c, Idx subnet, const Packet& p) { return nacl_check(c, subnet, true, p); }

    bool via_target(Ctx& c, Idx subnet, Idx src_eni, const RouteTable& rt, const Route& r,
                    const std::string& rule, Packet p) {
        const Subnet& s = net.subnets[subnet];
        Idx vpc = s.vpc;
        switch (r.kind) {
        case TargetKind::Local: {
            Idx dstEni = eni_by_private(vpc, p.dst);
            if (!leave_subnet(c, subnet, p)) return false;
            if (dstEni == kNone) {
                step(c, net.vpcs[vpc].id, "route", "drop", rule, "no network interface has " + p.dst.str());
                return drop(c, Layer::Route, "no-destination", rule);
            }
            return deliver_to_eni(c, dstEni, p, subnet);
        }
        case TargetKind::NetworkInterface: {
            const Eni* a = net.eni(r.target);
            if (!a) return drop_step(c, Layer::Route, "blackhole", rule, "target " + r.target + " not in the export");
            Idx ai = net.index.eni.at(a->id);
            if (ai == src_eni) {
                // An appliance whose own subnet routes the packet back to itself: the packet
                // stays with the instance (its OS decides what happens next).
                if (c.depth > 0 && !a->source_dest_check) {
                    step(c, a->id, "route", "deliver", rule, "the route leads back to the appliance: delivered to its instance");
                    return accept(c, destination_name(ai));
                }
                return drop_step(c, Layer::Route, "loop", rule, "route sends the packet back to its sender");
            }
            if (a->source_dest_check && !eni_has_address(*a, p.dst)) {
                if (!leave_subnet(c, subnet, p)) return false;
                return drop_step(c, Layer::Route, "source-dest-check", rule,
                                 a->id + " has source/destination check on and is not " + p.dst.str());
            }
            if (++c.depth > 8) return drop_step(c, Layer::Route, "loop", rule, "routing loop");
            if (a->subnet != subnet && !leave_subnet(c, subnet, p)) return false;
            return deliver_to_eni(c, ai, p, subnet);
        }
        case TargetKind::InternetGateway: return via_igw(c, subnet, r, rule, p);
        case TargetKind::EgressOnlyIgw: return via_eigw(c, subnet, r, rule, p);
        case TargetKind::NatGateway: return via_nat(c, subnet, r, rule, p);
        case TargetKind::Peering: return via_peering(c, subnet, r, rule, p);
        case TargetKind::TransitGateway: return via_tgw(c, subnet, r, rule, p);
        case TargetKind::VpnGateway: return via_vgw(c, subnet, r, rule, p);
        case TargetKind::VpcEndpoint: return via_endpoint(c, subnet, r, rule, p);
        default:
            return drop_step(c, Layer::Route, "unsupported-target", rule,
                             std::string("target kind ") + target_kind_name(r.kind) + " is not modelled");
        }
        (void)rt;
    }

    bool drop_step(Ctx& c, Layer l, const std::string& reason, const std::string& rule, const std::string& detail,
                   const std::string& hop = {}) {
        step(c, hop.empty() ? "" : hop, layer_name(l), "drop", rule, detail);
        return drop(c, l, reason, l == Layer::Route || l == Layer::Tgw ? rule : std::string());
    }

    // §8: a packet that arrived over peering (or from VPN/DX/TGW) may not leave via gateways.
    bool edge_check(Ctx& c, const std::string& rule, const std::string& what) {
        if (c.arrived_via_peering)
            return drop_step(c, Layer::Route, what == "peering" ? "peering-not-transitive" : "edge-to-edge", rule,
                             "a packet that arrived over a peering connection cannot leave through " + what);
        if (c.arrived_from_edge)
            return drop_step(c, Layer::Route, "edge-to-edge", rule,
                             "a packet that arrived from VPN/Direct Connect cannot leave through " + what);
        return true;
    }

    // ---- §7 internet gateway ------------------------------------------------------------
    bool bpa_blocks(Idx vpc, Idx subnet, bool inbound) const {
        auto blocks = [&](const std::string& mode) {
            return mode == "block-bidirectional" || (inbound && mode == "block-ingress");
        };
        return blocks(net.vpcs[vpc].bpa_mode) || (subnet != kNone && blocks(net.subnets[subnet].bpa_mode));
    }

    bool via_igw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p) {
        Idx vpc = net.subnets[subnet].vpc;
        if (!edge_check(c, rule, "an internet gateway")) return false;
        const InternetGateway* igw = net.internet_gateway(r.target);
        if (!igw || net.igw_of_vpc(vpc) == kNone || net.internet_gateways[net.igw_of_vpc(vpc)].id != igw->id) {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Route, "target-not-available", rule, r.target + " is not attached to " + net.vpcs[vpc].id);
        }
        if (!leave_subnet(c, subnet, p)) return false;
        if (bpa_blocks(vpc, subnet, false))
            return drop_step(c, Layer::Route, "block-public-access", rule, "VPC Block Public Access blocks internet gateway traffic", igw->id);
        std::string natText;
        if (p.src.is_v4()) {
            const PrivateIp* pip = private_ip_record(vpc, p.src);
            if (!pip || !pip->public_ip)
                return drop_step(c, Layer::Route, "no-public-ip", rule,
                                 p.src.str() + " has no public or Elastic IP: the internet gateway cannot translate it", igw->id);
            Idx owner = eni_by_private(vpc, p.src);
            if (owner != kNone && net.enis[owner].deny_all_igw)
                return drop_step(c, Layer::Route, "block-public-access", rule, "the ENI denies all internet gateway traffic", igw->id);
            std::string nat = "1:1 NAT " + p.src.str() + " -> " + pip->public_ip->str();
            p.src = *pip->public_ip;
            natText = endpoint(p.src, p.has_ports(), p.sport);
            c.d->nat = natText;
            step(c, igw->id, "igw", "translate", {}, nat);
        } else {
            step(c, igw->id, "igw", "forward", {}, "IPv6 leaves untranslated");
        }
        path(c, igw->id);
        // The destination may be one of the modelled network's own public addresses
        // (hairpin through the internet): it re-enters through that address's gateway.
        if (++c.depth > 8) return drop_step(c, Layer::Route, "loop", rule, "routing loop");
        if (owns_public(p.dst)) {
            step(c, "internet", "internet", "forward", {}, p.dst.str() + " is a public address of this network: the packet re-enters");
            return from_internet(c, p);
        }
        return accept(c, "internet");
    }

    bool owns_public(const IpAddr& a) const {
        if (a.is_v4()) return eni_by_public(a).first != kNone;
        Idx v = vpc_containing(a);
        return v != kNone;
    }

    bool via_eigw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p) {
        Idx vpc = net.subnets[subnet].vpc;
        if (!edge_check(c, rule, "an egress-only internet gateway")) return false;
        const InternetGateway* g = net.egress_only_gateway(r.target);
        if (!g || net.eigw_of_vpc(vpc) == kNone || net.egress_only_gateways[net.eigw_of_vpc(vpc)].id != g->id) {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Route, "target-not-available", rule, r.target + " is not attached to " + net.vpcs[vpc].id);
        }
        if (p.src.is_v4()) return drop_step(c, Layer::Route, "egress-only", rule, "an egress-only internet gateway carries IPv6 only");
        if (!leave_subnet(c, subnet, p)) return false;
        c.auto_tracked = true;
        c.eigw.push_back(eigw_key(g->id, p, true));
        step(c, g->id, "eigw", "forward", {}, "outbound IPv6; replies may return");
        path(c, g->id);
        if (++c.depth > 8) return drop_step(c, Layer::Route, "loop", rule, "routing loop");
        if (owns_public(p.dst)) return from_internet(c, p);
        return accept(c, "internet");
    }

    // ---- §7 NAT gateway -----------------------------------------------------------------
    const NatAddress* nat_primary(const NatGateway& g) const {
        for (const auto& a : g.addresses)
            if (a.primary) return &a;
        return g.addresses.empty() ? nullptr : &g.addresses[0];
    }

    void nat_expire(double now) {
        for (auto it = nat_out.begin(); it != nat_out.end();) {
            if (now - it->second.last_seen > cfg.nat_idle_tcp) {
                NatInsideKey in{it->first.nat_id, it->first.proto, it->second.inside.inside_ip, it->first.remote,
                                it->second.inside.inside_port, it->first.rport};
                nat_in.erase(in);
                if (in.proto == 6) nat_idle_tcp.insert(in);
                it = nat_out.erase(it);
            } else {
                ++it;
            }
        }
    }

    bool via_nat(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p) {
        if (!edge_check(c, rule, "a NAT gateway")) return false;
        const NatGateway* g = net.nat_gateway(r.target);
        if (!g) {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Route, "blackhole", rule, r.target + " not in the export");
        }
        const NatAddress* a = nat_primary(*g);
        Idx natEni = a ? (net.eni(a->eni_id) ? net.index.eni.at(a->eni_id) : kNone) : kNone;
        Idx natSubnet = g->subnet;
        if (g->state != "available") {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Nat, "not-available", {}, g->id + " is " + g->state, g->id);
        }
        if (natSubnet != subnet && !leave_subnet(c, subnet, p)) return false;
        if (natSubnet != subnet && natSubnet != kNone && !nacl_check(c, natSubnet, false, p)) return false;
        if (!p.is_tcp() && !p.is_udp() && !(p.proto == 1)) {
            return drop_step(c, Layer::Nat, "protocol", {}, "a NAT gateway translates TCP, UDP and ICMP only", g->id);
        }
        if (!a || !a->private_ip) return drop_step(c, Layer::Nat, "not-available", {}, g->id + " has no address", g->id);
        c.auto_tracked = true;
        // Existing mapping for this inside flow?
        uint16_t inPort = p.is_icmp() ? p.icmp_id : p.sport;
        uint16_t rPort = p.is_icmp() ? 0 : p.dport;
        NatInsideKey ik{g->id, p.proto, p.src, p.dst, inPort, rPort};
        uint16_t natPort = 0;
        auto it = nat_in.find(ik);
        bool existing = false;
        if (it != nat_in.end()) {
            auto ot = nat_out.find(it->second);
            if (ot != nat_out.end() && c.now - ot->second.last_seen <= cfg.nat_idle_tcp) {
                natPort = it->second.nat_port;
                existing = true;
            } else {
                if (ot != nat_out.end()) nat_out.erase(ot);
                nat_in.erase(it);
                if (p.is_tcp() && !(p.tcp_flags & kTcpSyn)) {
                    c.d->notes.push_back(g->id + " answers with RST: the connection was idle for more than " +
                                         std::to_string(cfg.nat_idle_tcp) + " s");
                    return drop_step(c, Layer::Nat, "idle-timeout", {}, "idle connection timed out; the NAT gateway sends RST", g->id);
                }
            }
        }
        if (!existing) {
            nat_expire(c.now);
            if (p.is_tcp() && !(p.tcp_flags & kTcpSyn) && nat_idle_tcp.count(ik)) {
                c.d->notes.push_back(g->id + " answers with RST: the connection was idle for more than " +
                                     std::to_string(cfg.nat_idle_tcp) + " s");
                return drop_step(c, Layer::Nat, "idle-timeout", {}, "idle connection timed out; the NAT gateway sends RST", g->id);
            }
            nat_idle_tcp.erase(ik);
            // §7 CHOICE: keep the source port if >= 1024 and free, else the lowest free from 1024.
            choice(c, "nat_port");
            int used = 0;
            auto taken = [&](uint16_t port) {
                NatKey k{g->id, p.proto, *a->private_ip, p.dst, port, rPort};
                if (nat_out.count(k)) return true;
                for (const auto& pn : c.nat)
                    if (pn.out == k) return true;
                return false;
            };
            for (const auto& [k, v] : nat_out)
                if (k.nat_id == g->id && k.proto == p.proto && k.remote == p.dst && k.rport == rPort) ++used;
            if (used >= cfg.nat_max_flows_per_destination)
                return drop_step(c, Layer::Nat, "port-allocation", {}, "55,000 connections to this destination already", g->id);
            if (inPort >= cfg.nat_port_min && !taken(inPort)) {
                natPort = inPort;
            } else {
                bool found = false;
                for (int port = cfg.nat_port_min; port <= 65535; ++port)
                    if (!taken(static_cast<uint16_t>(port))) {
                        natPort = static_cast<uint16_t>(port);
                        found = true;
                        break;
                    }
                if (!found) return drop_step(c, Layer::Nat, "port-allocation", {}, "no free port", g->id);
            }
        }
        NatKey ok{g->id, p.proto, *a->private_ip, p.dst, natPort, rPort};
        c.nat.push_back(PendingNat{ok, ik, NatInside{p.src, inPort}});
        std::string before = endpoint(p.src, !p.is_icmp(), inPort);
        p.src = *a->private_ip;
        if (p.is_icmp()) p.icmp_id = natPort; else p.sport = natPort;
        std::string after = endpoint(p.src, !p.is_icmp(), natPort);
        step(c, g->id, "nat", "translate", {}, "source " + before + " -> " + after + (existing ? " (existing mapping)" : ""));
        path(c, g->id);
        c.d->nat = after;
        if (g->is_private) {
            // Private NAT: to TGW/VGW only; packets it sends to an IGW are dropped.
            Idx rtIdx = net.route_table_of_subnet(natSubnet);
            if (rtIdx != kNone) {
                RouteMatch m = lookup_route(c, net.route_tables[rtIdx], p.dst);
                if (m.route && m.route->kind == TargetKind::InternetGateway)
                    return drop_step(c, Layer::Nat, "private-nat-to-igw", {}, "a private NAT gateway cannot send to an internet gateway", g->id);
            }
        }
        if (++c.depth > 8) return drop_step(c, Layer::Route, "loop", rule, "routing loop");
        return route_from_subnet(c, natSubnet, natEni, p);
    }

    // A packet addressed to a NAT gateway's private IP (a reply): de-NAT and deliver inside.
    bool nat_inbound(Ctx& c, const NatGateway& g, Idx natEni, Packet p) {
        const NatAddress* a = nat_primary(g);
        if (g.state != "available" || !a || !a->private_ip)
            return drop_step(c, Layer::Nat, "not-available", {}, g.id + " is " + g.state, g.id);
        uint16_t port = p.is_icmp() ? p.icmp_id : p.dport;
        uint16_t rPort = p.is_icmp() ? 0 : p.sport;
        NatKey k{g.id, p.proto, p.dst, p.src, port, rPort};
        auto it = nat_out.find(k);
        if (it == nat_out.end() || c.now - it->second.last_seen > cfg.nat_idle_tcp)
            return drop_step(c, Layer::Nat, "no-mapping", {}, "no NAT mapping for " + endpoint(p.dst, !p.is_icmp(), port) + " from " + p.src.str(), g.id);
        c.auto_tracked = true;
        NatInside in = it->second.inside;
        std::string before = endpoint(p.dst, !p.is_icmp(), port);
        p.dst = in.inside_ip;
        if (p.is_icmp()) p.icmp_id = in.inside_port; else p.dport = in.inside_port;
        std::string after = endpoint(p.dst, !p.is_icmp(), in.inside_port);
        step(c, g.id, "nat", "translate", {}, "destination " + before + " -> " + after);
        path(c, g.id);
        c.d->nat = after;
        // Refresh the mapping on commit.
        NatInsideKey ik{g.id, p.proto, in.inside_ip, p.src, in.inside_port, rPort};
        c.nat.push_back(PendingNat{k, ik, in});
        if (++c.depth > 8) return drop_step(c, Layer::Route, "loop", {}, "routing loop");
        return route_from_subnet(c, net.enis[natEni].subnet, natEni, p);
    }

    // ---- §8 peering ----------------------------------------------------------------------
    bool via_peering(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p) {
        Idx vpc = net.subnets[subnet].vpc;
        if (!edge_check(c, rule, "peering")) return false;
        const PeeringConnection* pcx = net.peering(r.target);
        if (!pcx) {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Route, "blackhole", rule, r.target + " not in the export");
        }
        if (!leave_subnet(c, subnet, p)) return false;
        if (pcx->status != "active")
            return drop_step(c, Layer::Route, "peering-not-active", rule, pcx->id + " is " + pcx->status, pcx->id);
        const std::string& me = net.vpcs[vpc].id;
        const PeeringSide& other = pcx->requester.vpc_id == me ? pcx->accepter : pcx->requester;
        if (pcx->requester.vpc_id != me && pcx->accepter.vpc_id != me)
            return drop_step(c, Layer::Route, "blackhole", rule, pcx->id + " does not join " + me, pcx->id);
        step(c, pcx->id, "peering", "forward", {}, "to " + other.vpc_id);
        path(c, pcx->id);
        const Vpc* peer = net.vpc(other.vpc_id);
        if (!peer) {
            c.d->notes.push_back("the peer VPC " + other.vpc_id + " is not in the export");
            return accept(c, pcx->id);
        }
        return arrive_over_peering(c, net.index.vpc.at(peer->id), pcx->id, p);
    }

    bool arrive_over_peering(Ctx& c, Idx vpc, const std::string& pcxId, const Packet& p) {
        c.arrived_via_peering = true;
        if (!in_vpc(vpc, p.dst)) {
            // Where would this VPC send it? Never on (§8).
            Idx main = net.main_route_table(vpc);
            std::string reason = "edge-to-edge";
            if (main != kNone) {
                RouteMatch m = lookup_route(c, net.route_tables[main], p.dst);
                if (m.route && m.route->kind == TargetKind::Peering) reason = "peering-not-transitive";
            }
            return drop_step(c, Layer::Route, reason, pcxId,
                             "a packet that arrived over " + pcxId + " may only be delivered inside " + net.vpcs[vpc].id, pcxId);
        }
        Idx dst = eni_by_private(vpc, p.dst);
        if (dst == kNone)
            return drop_step(c, Layer::Route, "no-destination", pcxId, "no network interface has " + p.dst.str(), net.vpcs[vpc].id);
        return deliver_to_eni(c, dst, p, kNone);
    }

    // ---- §8 Transit Gateway ---------------------------------------------------------------
    const TgwAttachment* vpc_attachment(const std::string& tgw, const std::string& vpcId) const {
        for (const auto& a : net.tgw_attachments)
            if (a.tgw_id == tgw && a.resource_type == "vpc" && a.resource_id == vpcId) return &a;
        return nullptr;
    }
    Idx attachment_subnet_in_az(const TgwAttachment& a, const std::string& az) const {
        for (const auto& sid : a.subnet_ids) {
            const Subnet* s = net.subnet(sid);
            if (s && s->az == az) return net.index.subnet.at(sid);
        }
        return kNone;
    }

    struct TgwMatch {
        const TgwRoute* route = nullptr;
        TgwRoute synthesized;   // for propagated VPC routes derived here
        bool synth = false;
        int len = -1;
        int rank = 99;
    };
    static int tgw_rank(const TgwRoute& r, bool viaPrefixList) {
        if (r.type != "propagated") return viaPrefixList ? 1 : 0;
        if (r.propagated_from == "vpc" || r.propagated_from.empty()) return 2;
        if (r.propagated_from == "direct-connect-gateway") return 3;
        if (r.propagated_from == "connect") return 4;
        if (r.propagated_from == "vpn") return 5;
        return 6;
    }

    TgwMatch tgw_lookup(const TgwRouteTable& t, const IpAddr& dst) const {
        TgwMatch best;
        auto consider = [&](const TgwRoute& r, int len, bool viaPl, bool synth) {
            int rank = tgw_rank(r, viaPl);
            if (len > best.len || (len == best.len && rank < best.rank)) {
                best.len = len;
                best.rank = rank;
                best.synth = synth;
                if (synth) {
                    best.synthesized = r;
                    best.route = nullptr;
                } else {
                    best.route = &r;
                }
            }
        };
        for (const auto& r : t.routes) {
            if (r.dest) {
                if (r.dest->contains(dst)) consider(r, r.dest->len, false, false);
            } else if (const PrefixList* pl = net.prefix_list(r.dest_prefix_list)) {
                for (const auto& e : pl->entries)
                    if (e.contains(dst)) consider(r, e.len, true, false);
            }
        }
        // Propagations: attached VPCs' CIDRs (SEMANTICS §8); VPN/DX routes come from the export.
        for (const auto& attId : t.propagations) {
            const TgwAttachment* a = net.tgw_attachment(attId);
            if (!a || a->resource_type != "vpc") continue;
            const Vpc* v = net.vpc(a->resource_id);
            if (!v) continue;
            for (const auto* list : {&v->cidrs4, &v->cidrs6})
                for (const auto& cidr : *list)
                    if (cidr.contains(dst)) {
                        TgwRoute r;
                        r.dest = cidr;
                        r.attachments = {a->id};
                        r.type = "propagated";
                        r.propagated_from = "vpc";
                        consider(r, cidr.len, false, true);
                    }
        }
        return best;
    }

    bool via_tgw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p) {
        const Subnet& s = net.subnets[subnet];
        Idx vpc = s.vpc;
        if (!edge_check(c, rule, "a transit gateway")) return false;
        const TgwAttachment* att = vpc_attachment(r.target, net.vpcs[vpc].id);
        if (!att || att->state != "available") {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Tgw, "attachment-not-available", rule,
                             net.vpcs[vpc].id + " has no available attachment to " + r.target);
        }
        Idx attSubnet = attachment_subnet_in_az(*att, s.az);
        if (attSubnet == kNone) {
            if (!leave_subnet(c, subnet, p)) return false;
            return drop_step(c, Layer::Tgw, "no-attachment-in-az", rule,
                             att->id + " has no subnet in " + s.az + ": the packet cannot reach the transit gateway", att->id);
        }
        // NACLs around the attachment (AWS-FACTS §10): different subnets: source out, then
        // attachment subnet in; same subnet: that NACL's outbound and inbound.
        if (!nacl_check(c, subnet, true, p)) return false;
        if (!nacl_check(c, attSubnet, false, p)) return false;
        c.auto_tracked = true;
        step(c, att->id, "tgw", "enter", {}, "enters " + r.target + " in " + s.az);
        path(c, att->id);
        c.arrival_az = s.az;
        return tgw_route(c, *att, p);
    }

    // Route inside the TGW by the table associated with the arrival attachment.
    bool tgw_route(Ctx& c, const TgwAttachment& arrival, const Packet& p) {
        if (++c.depth > 8) return drop_step(c, Layer::Tgw, "loop", {}, "routing loop");
        const TgwRouteTable* t = net.tgw_route_table(arrival.association_rtb);
        if (!t)
            return drop_step(c, Layer::Tgw, "no-route", arrival.id + ":unassociated",
                             arrival.id + " is not associated with a route table", arrival.tgw_id);
        TgwMatch m = tgw_lookup(*t, p.dst);
        const TgwRoute* r = m.synth ? &m.synthesized : m.route;
        if (!r) return drop_step(c, Layer::Tgw, "no-route", t->id + ":none", "no route for " + p.dst.str(), t->id);
        std::string rule = t->id + ":" + (r->dest ? r->dest->str() : r->dest_prefix_list);
        if (r->state == "blackhole" || r->attachments.empty())
            return drop_step(c, Layer::Tgw, "blackhole", rule, "blackhole route", t->id);
        const TgwAttachment* out = net.tgw_attachment(r->attachments.front());
        step(c, t->id, "tgw-route", "route", rule, "-> " + r->attachments.front() + (r->type == "propagated" ? " (propagated)" : ""));
        path(c, rule);
        if (!out || out->state != "available")
            return drop_step(c, Layer::Tgw, "attachment-not-available", rule, r->attachments.front() + " is not available", t->id);
        if (out->resource_type != "vpc") {
            // VPN, Direct Connect, Connect, peering: the packet leaves AWS's view here.
            return accept(c, out->id);
        }
        const Vpc* v = net.vpc(out->resource_id);
        if (!v) return accept(c, out->id);
        std::string az = c.arrival_az;
        if (out->appliance_mode) {
            // §8 appliance mode: both directions of a flow use one AZ (the first one seen).
            ApplianceKey k;
            k.attachment = out->id;
            k.proto = p.proto;
            uint16_t sp = p.has_ports() ? p.sport : p.icmp_id, dp = p.has_ports() ? p.dport : p.icmp_id;
            bool srcLow = std::tie(p.src, sp) < std::tie(p.dst, dp);
            k.a = srcLow ? p.src : p.dst;
            k.b = srcLow ? p.dst : p.src;
            k.pa = srcLow ? sp : dp;
            k.pb = srcLow ? dp : sp;
            auto it = appliance_az.find(k);
            if (it != appliance_az.end()) az = it->second;
            c.appliance.push_back({k, az});
        }
        Idx outSubnet = attachment_subnet_in_az(*out, az);
        if (outSubnet == kNone)
            for (const auto& sid : out->subnet_ids)
                if (net.subnet(sid)) {
                    outSubnet = net.index.subnet.at(sid);
                    break;
                }
        if (outSubnet == kNone) return drop_step(c, Layer::Tgw, "attachment-not-available", rule, out->id + " has no subnets", t->id);
        step(c, out->id, "tgw", "leave", {}, "into " + v->id + " through " + net.subnets[outSubnet].id);
        path(c, out->id);
        c.arrived_from_tgw = true;
        c.auto_tracked = true;
        // Routed by the attachment subnet's route table (§8), NACLs as for any subnet.
        return route_from_subnet(c, outSubnet, kNone, p);
    }

    // ---- §8 VGW ---------------------------------------------------------------------------
    bool via_vgw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p) {
        Idx vpc = net.subnets[subnet].vpc;
        if (!edge_check(c, rule, "a virtual private gateway")) return false;
        const VpnGateway* g = net.vpn_gateway(r.target);
        if (!leave_subnet(c, subnet, p)) return false;
        if (!g || net.vgw_of_vpc(vpc) == kNone || net.vpn_gateways[net.vgw_of_vpc(vpc)].id != g->id)
            return drop_step(c, Layer::Route, "target-not-available", rule, r.target + " is not attached to " + net.vpcs[vpc].id);
        bool anyConn = false, anyBgp = false, covered = false;
        for (const auto& vc : net.vpn_connections) {
            if (vc.vgw_id != g->id || vc.state == "deleted" || vc.state == "deleting") continue;
            anyConn = true;
            if (!vc.static_routes_only) anyBgp = true;
            for (const auto& cidr : vc.routes)
                if (cidr.contains(p.dst)) covered = true;
        }
        choice(c, "vpn_ignore_tunnel_status");
        if (!covered) {
            if (anyBgp || !anyConn) {
                choice(c, "vpn_bgp_any_destination");
            } else {
                return drop_step(c, Layer::Route, "no-vpn-route", rule,
                                 "no VPN connection of " + g->id + " has a static route covering " + p.dst.str(), g->id);
            }
        }
        step(c, g->id, "vgw", "forward", {}, "to the VPN/Direct Connect side");
        path(c, g->id);
        return accept(c, g->id);
    }

    // ---- §8 gateway endpoints ---------------------------------------------------------------
    bool via_endpoint(Ctx& c, Idx subnet, const Route& r, const std::string& rule, const Packet& p) {
        if (!edge_check(c, rule, "a gateway endpoint")) return false;
        if (c.arrived_from_edge || c.arrived_from_tgw)
            return drop_step(c, Layer::Route, "edge-to-edge", rule, "a gateway endpoint is not usable from VPN, Direct Connect or TGW");
        const VpcEndpoint* ep = net.endpoint(r.target);
        if (!leave_subnet(c, subnet, p)) return false;
        if (!ep) return drop_step(c, Layer::Endpoint, "not-available", rule, r.target + " not in the export");
        std::string st = ep->state;
        std::transform(st.begin(), st.end(), st.begin(), ::tolower);
        if (st != "available") return drop_step(c, Layer::Endpoint, "not-available", rule, ep->id + " is " + ep->state, ep->id);
        if (ep->type == "GatewayLoadBalancer") {
            c.auto_tracked = true;
            c.d->notes.push_back("Gateway Load Balancer endpoint: the appliance behind it is not modelled");
        } else {
            c.d->notes.push_back("policy-not-evaluated");
            c.d->reason = "policy-not-evaluated";
        }
        step(c, ep->id, "endpoint", "deliver", {}, ep->service_name + " (endpoint policy not evaluated)");
        path(c, ep->id);
        return accept(c, ep->id);
    }

    // ---- from outside ---------------------------------------------------------------------
    bool from_internet(Ctx& c, Packet p) {
        if (p.dst.is_v4()) {
            auto [eniIdx, pip] = eni_by_public(p.dst);
            if (eniIdx == kNone) {
                bool priv = vpc_containing(p.dst) != kNone || eni_by_any_private(p.dst) != kNone ||
                            Cidr::parse("10.0.0.0/8")->contains(p.dst) || Cidr::parse("172.16.0.0/12")->contains(p.dst) ||
                            Cidr::parse("192.168.0.0/16")->contains(p.dst);
                return drop_step(c, Layer::Route, priv ? "private-destination" : "unassociated-public-ip", {},
                                 priv ? p.dst.str() + " is a private address: the internet gateway never delivers it"
                                      : p.dst.str() + " is not a public or Elastic IP associated in this network",
                                 "internet");
            }
            const Eni& e = net.enis[eniIdx];
            Idx vpc = e.vpc;
            Idx igwIdx = net.igw_of_vpc(vpc);
            if (igwIdx == kNone)
                return drop_step(c, Layer::Route, "no-igw", {}, net.vpcs[vpc].id + " has no internet gateway attached", "internet");
            const InternetGateway& igw = net.internet_gateways[igwIdx];
            if (bpa_blocks(vpc, e.subnet, true) || e.deny_all_igw)
                return drop_step(c, Layer::Route, "block-public-access", {}, "VPC Block Public Access blocks inbound internet traffic", igw.id);
            std::string nat = "1:1 NAT " + p.dst.str() + " -> " + pip->addr.str();
            p.dst = pip->addr;
            c.d->nat = endpoint(p.dst, p.has_ports(), p.dport);
            step(c, igw.id, "igw", "translate", {}, nat);
            path(c, igw.id);
            return enter_vpc_from_gateway(c, vpc, igw.id, p);
        }
        Idx vpc = vpc_containing(p.dst);
        if (vpc == kNone)
            return drop_step(c, Layer::Route, "unassociated-public-ip", {}, p.dst.str() + " is not in any VPC of this network", "internet");
        Idx igwIdx = net.igw_of_vpc(vpc);
        if (igwIdx == kNone) {
            Idx e = net.eigw_of_vpc(vpc);
            if (e != kNone) {
                const InternetGateway& g = net.egress_only_gateways[e];
                EigwKey k = eigw_key(g.id, p, false);
                auto it = eigw.find(k);
                if (it == eigw.end())
                    return drop_step(c, Layer::Route, "egress-only", {}, "an egress-only internet gateway admits replies only", g.id);
                c.auto_tracked = true;
                c.eigw.push_back(k);
                step(c, g.id, "eigw", "forward", {}, "reply to an outbound IPv6 flow");
                path(c, g.id);
                return enter_vpc_from_gateway(c, vpc, g.id, p);
            }
            return drop_step(c, Layer::Route, "no-igw", {}, net.vpcs[vpc].id + " has no internet gateway attached", "internet");
        }
        const InternetGateway& igw = net.internet_gateways[igwIdx];
        Idx dstEni = eni_by_private(vpc, p.dst);
        if (bpa_blocks(vpc, dstEni == kNone ? kNone : net.enis[dstEni].subnet, true))
            return drop_step(c, Layer::Route, "block-public-access", {}, "VPC Block Public Access blocks inbound internet traffic", igw.id);
        // Replies to flows that left through the egress-only gateway are tracked there.
        Idx e = net.eigw_of_vpc(vpc);
        if (e != kNone) {
            const InternetGateway& g = net.egress_only_gateways[e];
            EigwKey k = eigw_key(g.id, p, false);
            if (eigw.count(k)) {
                c.auto_tracked = true;
                c.eigw.push_back(k);
                step(c, g.id, "eigw", "forward", {}, "reply to an outbound IPv6 flow");
                path(c, g.id);
                return enter_vpc_from_gateway(c, vpc, g.id, p);
            }
        }
        step(c, igw.id, "igw", "forward", {}, "IPv6 enters untranslated");
        path(c, igw.id);
        return enter_vpc_from_gateway(c, vpc, igw.id, p);
    }

    // A packet entering a VPC through a gateway (IGW, EIGW, VGW): the gateway route table
    // (edge association) if any, matched on the destination; then NACL in and SG in.
    bool enter_vpc_from_gateway(Ctx& c, Idx vpc, const std::string& gw, const Packet& p) {
        Idx edge = net.edge_route_table(gw);
        if (edge != kNone) {
            const RouteTable& rt = net.route_tables[edge];
            RouteMatch m = lookup_route(c, rt, p.dst);
            if (m.route) {
                std::string rule = rt.id + ":" + m.route->dest_str();
                if (m.route->state != "active") return drop_step(c, Layer::Route, "blackhole", rule, "route state " + m.route->state, rt.id);
                step(c, rt.id, "route", "route", rule, "gateway route table -> " + m.route->target);
                path(c, rule);
                if (m.route->kind == TargetKind::NetworkInterface) {
                    const Eni* a = net.eni(m.route->target);
                    if (!a) return drop_step(c, Layer::Route, "blackhole", rule, m.route->target + " not in the export", rt.id);
                    Idx ai = net.index.eni.at(a->id);
                    if (a->source_dest_check && !eni_has_address(*a, p.dst))
                        return drop_step(c, Layer::Route, "source-dest-check", rule, a->id + " has source/destination check on", rt.id);
                    if (++c.depth > 8) return drop_step(c, Layer::Route, "loop", rule, "routing loop");
                    return deliver_to_eni(c, ai, p, kNone);
                }
                if (m.route->kind != TargetKind::Local && m.route->kind != TargetKind::VpcEndpoint)
                    return drop_step(c, Layer::Route, "unsupported-target", rule, "gateway route tables route to local, an ENI or a GWLB endpoint only", rt.id);
                if (m.route->kind == TargetKind::VpcEndpoint) {
                    c.auto_tracked = true;
                    c.d->notes.push_back("Gateway Load Balancer endpoint: the appliance behind it is not modelled");
                    return accept(c, m.route->target);
                }
            }
        }
        Idx dst = eni_by_private(vpc, p.dst);
        if (dst == kNone)
            return drop_step(c, Layer::Route, "no-destination", {}, "no network interface has " + p.dst.str(), net.vpcs[vpc].id);
        return deliver_to_eni(c, dst, p, kNone);
    }

    bool from_vgw(Ctx& c, const VpnGateway& g, const Packet& p) {
        Idx vpc = kNone;
        for (const auto& a : g.attachments)
            if (a.state == "attached" || a.state == "available")
                if (const Vpc* v = net.vpc(a.vpc_id)) vpc = net.index.vpc.at(v->id);
        if (vpc == kNone) return drop_step(c, Layer::Origin, "origin-not-available", {}, g.id + " is not attached to a VPC", g.id);
        c.arrived_from_edge = true;
        path(c, g.id);
        if (!in_vpc(vpc, p.dst))
            return drop_step(c, Layer::Route, "edge-to-edge", {}, "traffic from a VGW may only be delivered inside " + net.vpcs[vpc].id, g.id);
        return enter_vpc_from_gateway(c, vpc, g.id, p);
    }

    bool from_pcx(Ctx& c, const PeeringConnection& pcx, const Packet& p) {
        path(c, pcx.id);
        if (pcx.status != "active")
            return drop_step(c, Layer::Route, "peering-not-active", pcx.id, pcx.id + " is " + pcx.status, pcx.id);
        // It enters the VPC that holds the destination, else the side opposite its source.
        for (const auto* side : {&pcx.requester, &pcx.accepter}) {
            const Vpc* v = net.vpc(side->vpc_id);
            if (v && in_vpc(net.index.vpc.at(v->id), p.dst))
                return arrive_over_peering(c, net.index.vpc.at(v->id), pcx.id, p);
        }
        for (const auto* side : {&pcx.requester, &pcx.accepter}) {
            const PeeringSide& other = side == &pcx.requester ? pcx.accepter : pcx.requester;
            const Vpc* v = net.vpc(side->vpc_id);
            const Vpc* o = net.vpc(other.vpc_id);
            if (v && o && in_vpc(net.index.vpc.at(o->id), p.src))
                return arrive_over_peering(c, net.index.vpc.at(v->id), pcx.id, p);
        }
        c.arrived_via_peering = true;
        return drop_step(c, Layer::Route, "peering-not-transitive", pcx.id,
                         p.dst.str() + " is in neither VPC of " + pcx.id, pcx.id);
    }

    bool from_tgw_attachment(Ctx& c, const TgwAttachment& a, const Packet& p) {
        path(c, a.id);
        if (a.state != "available")
            return drop_step(c, Layer::Origin, "origin-not-available", {}, a.id + " is " + a.state, a.id);
        c.arrived_from_tgw = true;
        c.auto_tracked = true;
        if (a.resource_type == "vpc") {
            // Arriving from a VPC attachment: as if sent by that VPC into the TGW.
            if (!a.subnet_ids.empty())
                if (const Subnet* s = net.subnet(a.subnet_ids.front())) c.arrival_az = s->az;
        }
        return tgw_route(c, a, p);
    }

    // ---- origins (§2) -----------------------------------------------------------------------
    // Outside sources: the VPN/DX side whose routes cover the source, else the internet.
    std::string outside_origin(const IpAddr& src) const {
        for (const auto& vc : net.vpn_connections) {
            for (const auto& r : vc.routes) {
                if (!r.contains(src)) continue;
                if (!vc.vgw_id.empty()) return vc.vgw_id;
                for (const auto& a : net.tgw_attachments)
                    if (a.resource_type == "vpn" && a.resource_id == vc.id) return a.id;
            }
        }
        for (const auto& t : net.tgw_route_tables)
            for (const auto& r : t.routes) {
                if (!r.dest || !r.dest->contains(src) || r.attachments.empty()) continue;
                const TgwAttachment* a = net.tgw_attachment(r.attachments.front());
                if (a && a->resource_type != "vpc" && a->resource_type != "peering") return a->id;
            }
        return "internet";
    }

    Decision evaluate(const Packet& pkt, const std::string& fromSpec, double now) {
        Decision d;
        Ctx c;
        c.d = &d;
        c.now = now;
        d.flow = pkt.flow_str();
        Packet p = pkt;
        if (p.vlan >= 0) step(c, "", "parse", "strip", {}, "VLAN tag " + std::to_string(p.vlan) + " stripped before evaluation");

        // §11 non-first fragments follow their first fragment.
        if (p.frag == Frag::More || p.frag == Frag::Last) {
            FragKey k{p.src, p.dst, p.proto, p.frag_id};
            auto it = frags.find(k);
            choice(c, "fragment_window");
            if (it == frags.end() || now - it->second.first_seen > cfg.fragment_window) {
                if (it != frags.end()) frags.erase(it);
                if (fromSpec == "auto" || fromSpec.empty()) {
                    Idx e = eni_by_any_private(p.src);
                    d.from = e != kNone ? net.enis[e].id : outside_origin(p.src);
                    d.origin = e != kNone ? "ip" : "outside";
                } else {
                    d.from = fromSpec;
                    d.origin = "given";
                }
                step(c, "", "parse", "drop", {}, "a non-first fragment without its first fragment (within " +
                                                     std::to_string(cfg.fragment_window) + " s)");
                drop(c, Layer::Parse, "fragment-without-first");
                return d;
            }
            Decision f = it->second.decision;
            f.flow = d.flow;
            f.trace.insert(f.trace.begin(), TraceStep{"", "parse", "fragment", {}, "takes the decision of its first fragment"});
            f.choices = d.choices;
            return f;
        }

        // Origin.
        std::string from = fromSpec.empty() ? "auto" : fromSpec;
        bool ok = false;
        if (from == "auto") {
            // §2: the source MAC of an ENI names the sender before any address does.
            Idx macEni = kNone;
            if (p.has_src_mac) {
                std::string mac;
                for (unsigned b = 0; b < 6; ++b) {
                    if (b) mac += ':';
                    mac += "0123456789abcdef"[p.src_mac[b] >> 4];
                    mac += "0123456789abcdef"[p.src_mac[b] & 15];
                }
                for (Idx i = 0; i < net.enis.size() && macEni == kNone; ++i)
                    if (!net.enis[i].mac.empty() && net.enis[i].mac == mac) macEni = i;
            }
            Idx e = eni_by_any_private(p.src);
            if (macEni != kNone) {
                d.from = net.enis[macEni].id;
                d.origin = "mac";
                ok = from_eni(c, macEni, p);
            } else if (e != kNone) {
                d.from = net.enis[e].id;
                d.origin = "ip";
                ok = from_eni(c, e, p);
            } else if (auto [pe, pip] = p.src.is_v4() ? eni_by_public(p.src) : std::pair<Idx, const PrivateIp*>{kNone, nullptr};
                       pe != kNone) {
                // Seen on the internet side of the IGW: read back to the private source.
                d.from = net.enis[pe].id;
                d.origin = "ip";
                c.d->notes.push_back("source " + p.src.str() + " is the public address of " + net.enis[pe].id);
                p.src = pip->addr;
                ok = from_eni(c, pe, p);
            } else {
                std::string svc = aws_service(kNone, kNone, p, p.src);
                Idx dstEni = eni_by_any_private(p.dst);
                if (svc.empty() && dstEni != kNone) {
                    Idx dv = net.enis[dstEni].vpc;
                    if (!net.vpcs[dv].cidrs4.empty() && p.src == net.vpcs[dv].cidrs4[0].base.plus(2)) svc = "amazon-dns";
                    else if (!aws_service(dv, net.enis[dstEni].subnet, p, p.src).empty())
                        svc = aws_service(dv, net.enis[dstEni].subnet, p, p.src);
                }
                if (!svc.empty()) {
                    d.from = svc;
                    d.origin = "ip";
                    step(c, svc, "unfiltered", "allow", {}, "traffic from " + svc + " is never filtered (§9)");
                    if (dstEni != kNone) {
                        path(c, svc);
                        ok = accept(c, net.enis[dstEni].id);
                    } else {
                        ok = drop_step(c, Layer::Route, "no-destination", {}, "no network interface has " + p.dst.str());
                    }
                } else {
                    std::string outside = outside_origin(p.src);
                    d.from = outside;
                    d.origin = "outside";
                    if (outside == "internet" && dstEni != kNone && p.dst.is_v4() && cfg.capture_at_instance) {
                        ok = seen_at_instance(c, dstEni, p);
                    } else {
                        ok = dispatch_outside(c, outside, p);
                    }
                }
            }
        } else {
            d.from = from;
            d.origin = "given";
            if (from.rfind("eni-", 0) == 0) {
                auto it = net.index.eni.find(from);
                if (it == net.index.eni.end()) {
                    step(c, from, "origin", "drop", {}, "unknown ENI " + from);
                    drop(c, Layer::Origin, "unknown-origin");
                } else {
                    ok = from_eni(c, it->second, p);
                }
            } else {
                ok = dispatch_outside(c, from, p);
            }
        }

        if (ok) {
            commit_ct(c);
            for (const auto& pn : c.nat) {
                nat_out[pn.out] = NatEntry{pn.inside, now};
                nat_in[pn.in] = pn.out;
            }
            for (const auto& k : c.eigw) eigw[k] = now;
            for (const auto& [k, az] : c.appliance) appliance_az[k] = az;
        }
        d.tracked = ok && c.last_sg_seen && c.last_sg_tracked;
        if (!ok && c.last_sg_seen) d.tracked = false;
        if (pkt.frag == Frag::First) frags[FragKey{pkt.src, pkt.dst, pkt.proto, pkt.frag_id}] = FragEntry{now, d};
        if (d.action == Action::Drop && d.layer == Layer::None) d.layer = Layer::Route;
        return d;
    }

    bool dispatch_outside(Ctx& c, const std::string& from, const Packet& p) {
        if (from == "internet") return from_internet(c, p);
        if (const VpnGateway* g = net.vpn_gateway(from)) return from_vgw(c, *g, p);
        if (const PeeringConnection* pcx = net.peering(from)) return from_pcx(c, *pcx, p);
        if (const TgwAttachment* a = net.tgw_attachment(from)) return from_tgw_attachment(c, *a, p);
        step(c, from, "origin", "drop", {}, "unknown origin " + from);
        return drop(c, Layer::Origin, "unknown-origin");
    }

    // §2 CHOICE: an outside source addressed to an ENI's private IP, read as captured at the ENI
    // after AWS's translation: through the IGW to its public IP, or back through the NAT
    // gateway mapping of a tracked outbound flow.
    bool seen_at_instance(Ctx& c, Idx eni, Packet p) {
        const Eni& e = net.enis[eni];
        choice(c, "capture_at_instance");
        c.d->origin = "seen-at:" + e.id;
        // NAT gateway mapping whose inside end is this address?
        for (const auto& [k, v] : nat_out) {
            if (v.inside.inside_ip == p.dst && k.remote == p.src && k.proto == p.proto &&
                (p.is_icmp() ? v.inside.inside_port == p.icmp_id : (v.inside.inside_port == p.dport && k.rport == p.sport))) {
                Packet q = p;
                q.dst = k.nat_ip;
                if (p.is_icmp()) q.icmp_id = k.nat_port; else q.dport = k.nat_port;
                const NatGateway* g = net.nat_gateway(k.nat_id);
                if (g) {
                    const NatAddress* a = nat_primary(*g);
                    if (a && a->public_ip && !g->is_private) {
                        q.dst = *a->public_ip;
                        return from_internet(c, q);
                    }
                }
            }
        }
        for (const auto& pip : e.private_ips) {
            if (pip.addr == p.dst && pip.public_ip) {
                Packet q = p;
                q.dst = *pip.public_ip;
                return from_internet(c, q);
            }
        }
        if (!p.dst.is_v4()) return from_internet(c, p);
        return from_internet(c, p); // dropped at the IGW as a private destination
    }
};

// ---------------------------------------------------------------------------------------

ReferenceEvaluator::ReferenceEvaluator(Network net, Settings settings) : st_(std::make_unique<State>()) {
    fill_nat_public_ips(net);
    st_->net = std::move(net);
    st_->cfg = settings;
}
ReferenceEvaluator::~ReferenceEvaluator() = default;
ReferenceEvaluator::ReferenceEvaluator(ReferenceEvaluator&&) noexcept = default;
ReferenceEvaluator& ReferenceEvaluator::operator=(ReferenceEvaluator&&) noexcept = default;

const Network& ReferenceEvaluator::network() const { return st_->net; }
const Settings& ReferenceEvaluator::settings() const { return st_->cfg; }

Decision ReferenceEvaluator::evaluate(const Packet& packet, const std::string& from, double now) {
    return st_->evaluate(packet, from, now);
}

Result<ActionEffect> ReferenceEvaluator::apply(const std::string& action, const nlohmann::json& params, double now) {
    (void)now;
    // SG changes leave tracked entries alone (§4); NACL and route changes apply to the next
    // packet because nothing about them is cached; EIP re-association moves inbound traffic
    // at once because the IGW translation reads the current mapping.
    return apply_action(st_->net, action, params);
}

void ReferenceEvaluator::replace_network(Network net) {
    fill_nat_public_ips(net);
    st_->net = std::move(net);
}

size_t ReferenceEvaluator::tracked_entries() const { return st_->conntrack.size(); }

// ---------------------------------------------------------------------------------------

nlohmann::json decision_json(const Decision& d) {
    nlohmann::json j;
    j["action"] = action_name(d.action);
    if (d.action == Action::Drop) {
        j["layer"] = layer_name(d.layer);
        if (!d.reason.empty()) j["reason"] = d.reason;
        if (!d.rule.empty()) j["rule"] = d.rule;
    }
    j["from"] = d.from;
    if (!d.origin.empty()) j["origin"] = d.origin;
    if (d.action == Action::Accept) {
        j["to"] = d.to;
        if (!d.reason.empty()) j["reason"] = d.reason;
    }
    j["flow"] = d.flow;
    if (!d.nat.empty()) j["nat"] = d.nat;
    j["tracked"] = d.tracked;
    j["path"] = d.path;
    if (!d.choices.empty()) j["choices"] = d.choices;
    if (!d.notes.empty()) j["notes"] = d.notes;
    return j;
}

std::string decision_text(const Decision& d) {
    std::ostringstream o;
    o << d.flow << "  (from " << d.from;
    if (!d.origin.empty() && d.origin != "given") o << ", origin " << d.origin;
    o << ")\n";
    int n = 1;
    for (const auto& s : d.trace) {
        o << "  " << n++ << ". ";
        if (!s.hop.empty()) o << s.hop << "  ";
        o << s.layer << ": " << s.verdict;
        if (!s.rule.empty()) o << "  [" << s.rule << "]";
        if (!s.detail.empty()) {
            std::istringstream lines(s.detail);
            std::string line;
            bool firstLine = true;
            while (std::getline(lines, line)) {
                if (firstLine) o << "  " << line;
                else o << "\n       - " << line;
                firstLine = false;
            }
        }
        o << "\n";
    }
    o << "  => " << action_name(d.action);
    if (d.action == Action::Accept) o << " to " << d.to;
    else {
        o << " at " << layer_name(d.layer);
        if (!d.reason.empty()) o << " (" << d.reason << ")";
        if (!d.rule.empty()) o << " rule " << d.rule;
    }
    if (!d.nat.empty()) o << ", nat " << d.nat;
    o << (d.tracked ? ", tracked" : "");
    o << "\n";
    for (const auto& c : d.choices) o << "  rests on CHOICE " << c << " (SEMANTICS.md)\n";
    for (const auto& note : d.notes) o << "  note: " << note << "\n";
    return o.str();
}

} // namespace vpcfw
