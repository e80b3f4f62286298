// The reference evaluator (ref_state.hpp): internet, egress-only and NAT gateways
// (docs/semantics.md §7). Outbound through an IGW (1:1 NAT to the public or Elastic IP, Block
// Public Access), through an egress-only IGW (IPv6, replies only), and through a NAT
// gateway (port choice, mappings, idle timeout and RST) together with its replies.
#include "ruleset/ref_state.hpp"

namespace vpcfw::ref {

// ---- §7 internet gateway ------------------------------------------------------------
bool State::bpa_blocks(Idx vpc, Idx subnet, bool inbound) const {
    auto blocks = [&](const std::string& mode) {
        return mode == "block-bidirectional" || (inbound && mode == "block-ingress");
    };
    return blocks(net.vpcs[vpc].bpa_mode) || (subnet != kNone && blocks(net.subnets[subnet].bpa_mode));
}

bool State::via_igw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p) {
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

bool State::owns_public(const IpAddr& a) const {
    if (a.is_v4()) return eni_by_public(a).first != kNone;
    Idx v = vpc_containing(a);
    return v != kNone;
}

bool State::via_eigw(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p) {
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
const NatAddress* State::nat_primary(const NatGateway& g) const {
    for (const auto& a : g.addresses)
        if (a.primary) return &a;
    return g.addresses.empty() ? nullptr : &g.addresses[0];
}

void State::nat_expire(double now) {
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

bool State::via_nat(Ctx& c, Idx subnet, const Route& r, const std::string& rule, Packet p) {
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
bool State::nat_inbound(Ctx& c, const NatGateway& g, Idx natEni, Packet p) {
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

} // namespace vpcfw::ref
