// The reference evaluator (ref_state.hpp): security groups and connection tracking
// (docs/semantics.md §4). Rule matching (CIDR, prefix list, referenced group), the untracked-flow
// predicate, per-ENI connection-tracking keys, timeouts and capacity, the SG check at an ENI
// and the commit of its pending entries once a packet is accepted.
#include "ruleset/ref_state.hpp"

#include <algorithm>

namespace vpcfw::ref {

// ---- §4 security groups -----------------------------------------------------------
bool State::prefix_list_contains(const std::string& id, const IpAddr& a) const {
    const PrefixList* pl = net.prefix_list(id);
    if (!pl) return false;
    for (const auto& c : pl->entries)
        if (c.contains(a)) return true;
    return false;
}

bool State::peered_active(Idx a, Idx b) const {
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
bool State::group_matches(const SecurityGroup& owner, const SgRule& r, const IpAddr& a) const {
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
std::string State::sg_rule_mismatch(const SecurityGroup& g, const SgRule& r, const Packet& p,
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

std::string State::sg_rule_name(const SecurityGroup& g, const SgRule& r) {
    return g.id + (r.egress ? ":egress:" : ":ingress:") + r.proto_ports_str() + ":" + r.peer_str();
}

// §4 untracked predicate (one place, as the spec asks): a TCP or UDP flow is untracked at
// an ENI when the packet that opened it was admitted by a rule whose peer is 0.0.0.0/0
// (::/0) and the ENI's rules in the other direction include a rule with that peer covering
// every port of the protocol. A packet met without state may be either the opener or a
// response of an untracked flow, so the predicate is asked of both orientations: for this
// packet in its direction, and for its reverse in the other direction. ICMP and other
// protocols are always tracked.
bool State::admitted_by_any_peer(const Eni& e, bool egress, const Packet& p) const {
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

bool State::all_ports_to_any(const Eni& e, bool egress, const Packet& p) const {
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

bool State::untracked_by_rules(const Eni& e, bool egress, const Packet& p) const {
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

CtKey State::ct_key(Idx eni, bool egress, const Packet& p) const {
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

double State::ct_timeout(const Eni& e, const CtKey& k, const CtEntry& ce) const {
    double t;
    bool connection;   // an established TCP connection or a UDP stream
    if (k.proto == 6) {
        connection = !(ce.rst || (ce.fin_local && ce.fin_remote) || !ce.established);
        t = connection ? e.timeouts.tcp_established : cfg.tcp_transitory_timeout;
    } else if (k.proto == 17) {
        uint32_t n = static_cast<uint32_t>(cfg.udp_stream_packets_each_way);
        connection = ce.pkts_out >= n && ce.pkts_in >= n;
        t = connection ? e.timeouts.udp_stream : e.timeouts.udp;
    } else {
        connection = false;
        t = (k.proto == 1 || k.proto == 58) ? cfg.icmp_timeout : cfg.other_timeout;
    }
    // CHOICE conntrack_emergency: in emergency mode every other entry expires sooner.
    if (ct_emergency && !connection) t = std::min<double>(t, cfg.conntrack_emergency_timeout);
    return t;
}

// Removes the expired entries of one ENI (before refusing a new one for capacity).
void State::ct_sweep(Idx eni, double now) {
    if (now <= ct_expiry_bound) return;   // nothing can have expired yet
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

// Removes the expired entries of every ENI.
void State::ct_sweep_all(double now) {
    if (now <= ct_expiry_bound) return;   // nothing can have expired yet
    ct_expiry_bound = kNoExpiry;
    for (auto it = conntrack.begin(); it != conntrack.end();) {
        double timeout = ct_timeout(net.enis[it->first.eni], it->first, it->second);
        if (now - it->second.last_seen > timeout) {
            if (ct_count[it->first.eni] > 0) --ct_count[it->first.eni];
            it = conntrack.erase(it);
        } else {
            note_expiry(it->second.last_seen + timeout);
            ++it;
        }
    }
}

// §4 the table's capacity and CHOICE conntrack_emergency, before a packet that may create
// an entry: the table enters emergency mode when its live entries reach 7/8 of its
// capacity and leaves it when they are fewer than half. What expired under the emergency
// timeouts is gone before they end.
void State::ct_admission(double now) {
    size_t cap = cfg.conntrack_table_capacity;
    size_t high = cap - cap / 8, low = cap / 2;
    if (conntrack.size() >= high || ct_emergency) ct_sweep_all(now);
    if (!cfg.conntrack_emergency) return;
    if (!ct_emergency && conntrack.size() >= high) {
        ct_emergency = true;
        ++ct_emergencies;
        ct_expiry_bound = -kNoExpiry;   // shorter timeouts: the bound no longer holds
        ct_sweep_all(now);
    } else if (ct_emergency && conntrack.size() < low) {
        ct_emergency = false;
    }
}

CtEntry* State::ct_find(const CtKey& k, double now) {
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
bool State::sg_check(Ctx& c, Idx eniIdx, bool egress, const Packet& p) {
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
    if (tracked && mayCreate) {
        ct_admission(c.now);
        if (ct_count[eniIdx] >= cfg.conntrack_capacity_per_eni) ct_sweep(eniIdx, c.now);
        bool eniFull = ct_count[eniIdx] >= cfg.conntrack_capacity_per_eni;
        if (eniFull || conntrack.size() >= cfg.conntrack_table_capacity) {
            step(c, e.id, lname, "deny", first,
                 eniFull ? "connection tracking table full (the ENI's capacity)" : "connection tracking table full");
            return drop(c, Layer::Conntrack, "table_full");
        }
    }
    step(c, e.id, lname, "allow", first, tracked ? "flow will be tracked" : "untracked flow (§4: rules judge every packet)");
    path(c, lname + ":" + first.substr(0, first.find(':')));
    c.d->sg_rules.push_back(first);
    c.ct.push_back(PendingCt{key, egress, needsEntry, tracked, p.tcp_flags, p.icmp_type});
    c.last_sg_seen = true;
    c.last_sg_tracked = tracked;
    c.last_sg_eni = eniIdx;
    return true;
}

void State::commit_ct(Ctx& c) {
    for (const auto& pc : c.ct) {
        CtEntry* ce = ct_find(pc.key, c.now);
        if (!ce) {
            if (!pc.create) continue;
            bool tracked = pc.tracked_by_rules || c.auto_tracked;
            if (!tracked) continue;
            // At capacity, what has expired makes room first (as before a refusal).
            if (ct_count[pc.key.eni] >= cfg.conntrack_capacity_per_eni) ct_sweep(pc.key.eni, c.now);
            if (conntrack.size() >= cfg.conntrack_table_capacity) ct_sweep_all(c.now);
            if (ct_count[pc.key.eni] >= cfg.conntrack_capacity_per_eni ||
                conntrack.size() >= cfg.conntrack_table_capacity)
                continue;
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
        note_expiry(ce->last_seen + ct_timeout(net.enis[pc.key.eni], pc.key, *ce));
    }
    // The decision's `tracked` when auto-tracking applies to the last ENI.
    if (c.last_sg_seen && c.auto_tracked) c.last_sg_tracked = true;
}

} // namespace vpcfw::ref
