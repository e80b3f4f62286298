// The reference evaluator (ref_state.hpp): origins (docs/semantics.md §2) and packets arriving
// from outside. Which ENI or outside side sent a packet (given, or for "auto" from its MAC,
// its addresses, the VPN/TGW routes covering its source, else the internet), captures read
// as seen at an instance (back through the IGW, a NAT gateway or a gateway endpoint), and
// the arrivals through an IGW / EIGW, a VGW, a peering connection or a TGW attachment.
#include "ruleset/ref_state.hpp"

#include <algorithm>

namespace vpcfw::ref {

// §2: names the origin of a packet in the decision (given, or for "auto" found from its MAC,
// its addresses or the outside side its source belongs to) and walks the path from it.
bool State::walk_from_origin(Ctx& c, const std::string& fromSpec, Packet p) {
    Decision& d = *c.d;
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
                const VpcEndpoint* ep = outside == "internet" && dstEni != kNone && cfg.capture_at_instance
                                            ? gateway_endpoint_of_reply(c, dstEni, p.src)
                                            : nullptr;
                if (ep) {
                    ok = from_gateway_endpoint(c, *ep, dstEni, p);
                } else if (outside == "internet" && dstEni != kNone && p.dst.is_v4() && cfg.capture_at_instance) {
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
    return ok;
}

// Outside sources: the VPN/DX side whose routes cover the source, else the internet.
std::string State::outside_origin(const IpAddr& src) const {
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

bool State::dispatch_outside(Ctx& c, const std::string& from, const Packet& p) {
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
bool State::seen_at_instance(Ctx& c, Idx eni, Packet p) {
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

// §2 CHOICE capture_at_instance, replies of a gateway endpoint's service: the endpoint a
// source came back through, when the destination ENI's subnet routes that source (longest
// prefix, as its own packets) to an available gateway endpoint by an active route. nullptr
// otherwise, and then the lookup leaves no trace in the decision.
const VpcEndpoint* State::gateway_endpoint_of_reply(Ctx& c, Idx eni, const IpAddr& src) {
    Idx rt = net.route_table_of_subnet(net.enis[eni].subnet);
    if (rt == kNone) return nullptr;
    std::vector<std::string> choices = c.d->choices;
    RouteMatch m = lookup_route(c, net.route_tables[rt], src);
    const VpcEndpoint* ep = nullptr;
    if (m.route && m.route->kind == TargetKind::VpcEndpoint && m.route->state == "active")
        ep = net.endpoint(m.route->target);
    if (ep) {
        std::string st = ep->state;
        std::transform(st.begin(), st.end(), st.begin(), ::tolower);
        if (st != "available" || ep->type == "GatewayLoadBalancer") ep = nullptr;
    }
    if (!ep) c.d->choices = std::move(choices);
    return ep;
}

// The reply came back through the gateway endpoint: origin the endpoint, then the
// destination subnet's NACL inbound and the ENI's SG (its state of the request).
bool State::from_gateway_endpoint(Ctx& c, const VpcEndpoint& ep, Idx eni, const Packet& p) {
    choice(c, "capture_at_instance");
    c.d->from = ep.id;
    c.d->origin = "seen-at:" + net.enis[eni].id;
    step(c, ep.id, "endpoint", "forward", {},
         "reply from " + (ep.service_name.empty() ? std::string("the service") : ep.service_name) +
             " through the gateway endpoint");
    path(c, ep.id);
    return deliver_to_eni(c, eni, p, kNone);
}

// ---- from outside ---------------------------------------------------------------------
bool State::from_internet(Ctx& c, Packet p) {
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
bool State::enter_vpc_from_gateway(Ctx& c, Idx vpc, const std::string& gw, const Packet& p) {
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
            if (m.route->kind == TargetKind::VpcEndpoint && net.firewall_endpoint(m.route->target).first != kNoFw)
                return via_firewall(c, kNone, m.route->target, rule, p);
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

bool State::from_vgw(Ctx& c, const VpnGateway& g, const Packet& p) {
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

bool State::from_pcx(Ctx& c, const PeeringConnection& pcx, const Packet& p) {
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

bool State::from_tgw_attachment(Ctx& c, const TgwAttachment& a, const Packet& p) {
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

} // namespace vpcfw::ref
