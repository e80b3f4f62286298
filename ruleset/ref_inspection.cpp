// docs/inspection.md, the reference's transcription: the Network Firewall hop (§2: NACL out
// of the subnet left, NACL in of the firewall subnet, endpoint status C11, inspection, then
// the firewall subnet's routes), the stateless engine (§3) and the stateful engine (§4:
// flows and stream exceptions, DEFAULT_ACTION_ORDER and STRICT_ORDER, defaults, the
// Suricata subset over single-packet buffers). Plain linear scans and a naive content
// search: this is the oracle. Part of ref::State (ref_state.hpp). Cold path.
#include <algorithm>
#include <cctype>

#include "ruleset/ref_state.hpp"

namespace vpcfw::ref {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool in_ranges(const std::vector<PortRange>& r, int port) {
    if (r.empty()) return true;
    for (auto [lo, hi] : r)
        if (port >= lo && port <= hi) return true;
    return false;
}

bool in_cidrs(const std::vector<Cidr>& c, const IpAddr& a) {
    if (c.empty()) return true;
    for (const Cidr& x : c)
        if (x.contains(a)) return true;
    return false;
}

// §3: every present attribute must match (C20 for TCP flags).
bool stateless_matches(const NfwStatelessRule& r, const Packet& p) {
    if (!in_cidrs(r.sources, p.src) || !in_cidrs(r.destinations, p.dst)) return false;
    if (!r.protocols.empty() && std::find(r.protocols.begin(), r.protocols.end(), p.proto) == r.protocols.end())
        return false;
    bool ports = !r.source_ports.empty() || !r.destination_ports.empty();
    if (ports) {
        if (!p.has_ports()) return false;
        if (!in_ranges(r.source_ports, p.sport) || !in_ranges(r.destination_ports, p.dport)) return false;
    }
    if (!r.tcp_flags.empty()) {
        if (!p.is_tcp() || !p.has_l4()) return false;
        bool any = false;
        for (auto [flags, mask] : r.tcp_flags) any = any || (p.tcp_flags & mask) == flags;
        if (!any) return false;
    }
    return true;
}

std::string standard_action(const std::vector<std::string>& acts) {
    for (const auto& a : acts)
        if (a == "aws:pass" || a == "aws:drop" || a == "aws:forward_to_sfe") return a;
    return "aws:drop";
}

// Naive content search (§4.6): offset, depth (from offset, §10.14), startswith, endswith.
bool content_in(const SuriContent& c, std::string buf) {
    if (c.dotprefix) buf = "." + buf;
    std::string needle = c.bytes;
    if (c.nocase) {
        buf = lower(buf);
        needle = lower(needle);
    }
    size_t start = static_cast<size_t>(c.offset);
    size_t end = buf.size();
    if (c.depth >= 0) end = std::min(end, start + static_cast<size_t>(c.depth));
    if (start > end || end - start < needle.size()) return false;
    if (c.startswith) {
        if (buf.compare(start, needle.size(), needle) != 0) return false;
        return !c.endswith || start + needle.size() == buf.size();
    }
    if (c.endswith) return end == buf.size() && buf.compare(buf.size() - needle.size(), needle.size(), needle) == 0;
    for (size_t i = start; i + needle.size() <= end; ++i)
        if (buf.compare(i, needle.size(), needle) == 0) return true;
    return false;
}

struct Vars {
    const NfwRuleGroup* group;
    const std::vector<Cidr>* home;   // HOME_NET (§4.3)
    const Network* net;
};

bool addr_term(const SuriAddr& t, const IpAddr& a, const Vars& v) {
    switch (t.kind) {
    case SuriAddr::Any: return true;
    case SuriAddr::Cidr_: return t.cidr.contains(a);
    case SuriAddr::Var: {
        if (t.name == "HOME_NET") {
            if (auto it = v.group->ip_sets.find("HOME_NET"); it != v.group->ip_sets.end()) return in_cidrs(it->second, a);
            return in_cidrs(*v.home, a);
        }
        if (t.name == "EXTERNAL_NET") return !in_cidrs(*v.home, a);   // §10.5
        auto it = v.group->ip_sets.find(t.name);
        return it != v.group->ip_sets.end() && !it->second.empty() && in_cidrs(it->second, a);
    }
    case SuriAddr::Ref: {
        auto it = v.group->reference_sets.find(t.name);
        if (it == v.group->reference_sets.end()) return false;
        std::string id = it->second.substr(it->second.rfind('/') + 1);
        const PrefixList* pl = v.net->prefix_list(id);
        if (!pl) pl = v.net->prefix_list(it->second);
        if (!pl) return false;
        for (const Cidr& c : pl->entries)
            if (c.contains(a)) return true;
        return false;
    }
    }
    return false;
}

bool addrs_match(const std::vector<SuriAddr>& list, const IpAddr& a, const Vars& v) {
    if (list.empty()) return true;
    bool anyPos = false, posHit = false;
    for (const SuriAddr& t : list) {
        bool hit = addr_term(t, a, v);
        if (t.negated) {
            if (hit) return false;
        } else {
            anyPos = true;
            posHit = posHit || hit;
        }
    }
    return !anyPos || posHit;
}

bool ports_match(const std::vector<SuriPort>& list, int port, const Vars& v) {
    if (list.empty()) return true;
    bool anyPos = false, posHit = false;
    for (const SuriPort& t : list) {
        bool hit = t.kind == SuriPort::Any ? true
                 : t.kind == SuriPort::Range ? port >= t.lo && port <= t.hi
                 : [&] {
                       auto it = v.group->port_sets.find(t.name);
                       return it != v.group->port_sets.end() && in_ranges(it->second, port);
                   }();
        if (t.negated) {
            if (hit) return false;
        } else {
            anyPos = true;
            posHit = posHit || hit;
        }
    }
    return !anyPos || posHit;
}

bool has_negated_dst(const SuricataRule& r) {
    return std::any_of(r.dst.begin(), r.dst.end(), [](const SuriAddr& a) { return a.negated; });
}

struct PacketView {
    const Packet* p;
    bool to_server;
    bool established;      // §10.8: the packet completing setup counts
    bool first_of_dir;     // first packet of its direction in the flow
    bool midstream;        // adopted by CONTINUE: app-layer rules never match
    AppProto app;          // the flow's detected application protocol
    const AppBuffers* buf;
};

std::optional<std::string> buffer_of(SuriBuffer b, const PacketView& pv) {
    switch (b) {
    case SuriBuffer::Raw:
        if (pv.p->payload.empty()) return std::nullopt;
        return pv.p->payload;
    case SuriBuffer::TlsSni: return pv.buf->tls_sni;
    case SuriBuffer::HttpHost: return pv.buf->http_host;
    case SuriBuffer::DnsQuery: return pv.buf->dns_query;
    case SuriBuffer::HttpHeaderNames: return pv.buf->http_header_names;
    }
    return std::nullopt;
}

bool header_side(const SuricataRule& r, const IpAddr& s, int sp, const IpAddr& d, int dp, bool ports, const Vars& v) {
    if (!addrs_match(r.src, s, v) || !addrs_match(r.dst, d, v)) return false;
    if (!ports) return (r.sport.empty() || r.sport.size() == 1 && r.sport[0].kind == SuriPort::Any) &&
                       (r.dport.empty() || r.dport.size() == 1 && r.dport[0].kind == SuriPort::Any);
    return ports_match(r.sport, sp, v) && ports_match(r.dport, dp, v);
}

// One rule against one packet (§4.6, §4.7).
bool rule_matches(const SuricataRule& r, const PacketView& pv, const Vars& v) {
    if (r.inert) return false;
    const Packet& p = *pv.p;
    const std::string& pr = r.proto;
    if (pr == "tcp" && !p.is_tcp()) return false;
    if (pr == "udp" && !p.is_udp()) return false;
    if (pr == "icmp" && !p.is_icmp()) return false;
    bool app = pr == "tls" || pr == "http" || pr == "dns";
    if (app) {
        if (pv.midstream) return false;
        AppProto want = pr == "tls" ? AppProto::Tls : pr == "http" ? AppProto::Http : AppProto::Dns;
        if (pv.app != want) return false;
    }
    if (r.ip_proto >= 0 && p.proto != r.ip_proto) return false;
    if (!r.app_layer_protocol.empty()) {
        std::string want = r.app_layer_protocol;
        bool neg = !want.empty() && want[0] == '!';
        if (neg) want = want.substr(1);
        bool is = want == app_proto_name(pv.app) && pv.app != AppProto::None;
        if (neg == is) return false;
    }
    bool ports = p.has_ports();
    bool fwd = header_side(r, p.src, p.sport, p.dst, p.dport, ports, v);
    if (!fwd && r.bidirectional) fwd = header_side(r, p.dst, p.dport, p.src, p.sport, ports, v);
    if (!fwd) return false;
    if (r.flow_established && !pv.established) return false;
    if (r.flow_not_established && pv.established) return false;
    if (r.flow_to_server && !pv.to_server) return false;
    if (r.flow_to_client && pv.to_server) return false;
    bool flowKw = r.flow_established || r.flow_not_established || r.flow_to_server || r.flow_to_client || r.flow_stateless;
    if (pr == "ip" && !flowKw && r.contents.empty() && !r.ssl_client_hello && !has_negated_dst(r) && !pv.first_of_dir)
        return false;   // §4.6: checked on each direction's first packet only
    if (r.ssl_client_hello && (!pv.buf->client_hello || pv.midstream)) return false;
    for (const SuriContent& c : r.contents) {
        if (c.buffer != SuriBuffer::Raw && pv.midstream) return false;
        auto b = buffer_of(c.buffer, pv);
        if (!b) return false;
        if (content_in(c, *b) == c.negated) return false;
    }
    return true;
}

int action_rank(SuriAction a) {
    switch (a) {
    case SuriAction::Pass: return 0;
    case SuriAction::Drop: return 1;
    case SuriAction::Reject: return 2;
    case SuriAction::Alert: return 3;
    }
    return 4;
}

} // namespace

// §2: the hop. `from_subnet` is kNone when the packet comes from a gateway (IGW edge route).
bool State::via_firewall(Ctx& c, Idx from_subnet, const std::string& vpce, const std::string& rule, const Packet& p) {
    auto [fi, ei] = net.firewall_endpoint(vpce);
    const NfwFirewall& fw = net.firewalls[fi];
    const NfwEndpoint& ep = fw.endpoints[ei];
    const Subnet* fs = net.subnet(ep.subnet_id);
    Idx fsi = net.index.subnet.at(ep.subnet_id);
    if (from_subnet == fsi) {   // C3
        choice(c, "nfw_own_subnet");
        return drop_step(c, Layer::Route, "firewall-own-subnet", rule,
                         vpce + " is in the subnet being left: AWS does not support it");
    }
    if (++c.depth > 8) return drop_step(c, Layer::Route, "loop", rule, "routing loop");
    if (from_subnet != kNone && !leave_subnet(c, from_subnet, p)) return false;
    choice(c, "nfw_hop");
    if (!nacl_check(c, fsi, false, p)) return false;
    std::string st = ep.status;
    choice(c, "nfw_endpoint_status");
    if (st != "READY" && st != "SCALING") {
        step(c, vpce, "endpoint", "drop", vpce, fw.name + " endpoint in " + ep.az + " is " + st);
        return drop(c, Layer::Endpoint, "not-available", vpce);
    }
    path(c, vpce);
    c.auto_tracked = true;
    if (fw.transit_gateway) {
        step(c, vpce, "inspect", "drop", fw.name, "transit-gateway-attached firewalls are not modelled");
        return drop(c, Layer::Inspect, "not-modelled", fw.name);
    }
    if (!inspect(c, fw, ep, p)) return false;
    step(c, fs->id, "route", "route", {}, "onward by the firewall subnet's route table");
    return route_from_subnet(c, fsi, kNone, p);
}

// §3 then §4 at endpoint `ep`.
bool State::inspect(Ctx& c, const NfwFirewall& fw, const NfwEndpoint& ep, const Packet& p) {
    const NfwPolicy& pol = *net.firewall_policy(fw.policy_arn);
    const std::string hop = ep.endpoint_id;
    auto group_of = [this](const std::string& arn) { return net.rule_group(arn); };
    auto drop_inspect = [&](const std::string& reason, const std::string& r, const std::string& detail) {
        step(c, hop, "inspect", "drop", r, detail);
        return drop(c, Layer::Inspect, reason, r);
    };

    // C19 fragments: UDP first fragments take the stateless rules then the fragment
    // defaults; other first fragments are dropped.
    bool fragment = p.frag == Frag::First;
    if (fragment) {
        choice(c, "nfw_fragments");
        if (!p.is_udp()) return drop_inspect("fragment-not-udp", pol.name + ":fragment-not-udp", "only UDP fragments are inspected");
    }

    // §3 stateless engine.
    std::string sAction;
    std::string sRule;
    for (const NfwGroupRef& ref : pol.stateless_refs) {
        const NfwRuleGroup* g = group_of(ref.arn);
        for (const NfwStatelessRule& r : g->stateless)
            if (stateless_matches(r, p)) {
                sAction = r.action;
                sRule = g->name + ":stateless:" + std::to_string(r.priority);
                break;
            }
        if (!sAction.empty()) break;
    }
    std::string sReason = "stateless-drop";
    if (sAction.empty()) {
        sAction = standard_action(fragment ? pol.stateless_fragment_default : pol.stateless_default);
        sRule = pol.name + (fragment ? ":fragment-default:" : ":default:") + sAction;
        sReason = fragment ? "fragment-default" : "stateless-default";
    }
    step(c, hop, "inspect", sAction == "aws:drop" ? "drop" : "stateless", sRule, "stateless engine: " + sAction);
    if (sAction == "aws:drop") {
        path(c, "inspect:" + sRule);
        return drop(c, Layer::Inspect, sReason, sRule);
    }
    if (sAction == "aws:pass") {
        path(c, "inspect:" + sRule);
        return true;
    }

    // §4.1 flows.
    NfwFlowKey key{ep.endpoint_id, p.proto, p.src, p.dst, p.has_ports() ? p.sport : p.icmp_id,
                   p.has_ports() ? p.dport : p.icmp_id};
    if (std::tie(key.b, key.pb) < std::tie(key.a, key.pa)) {
        std::swap(key.a, key.b);
        std::swap(key.pa, key.pb);
    }
    choice(c, "nfw_endpoint_state");
    auto it = nfw_flows.find(key);
    if (it != nfw_flows.end()) {
        const NfwFlow& f = it->second;
        double idle = p.is_tcp() ? pol.tcp_idle_s : (f.established ? 300 : 30);
        if (c.now - f.last_seen > idle) {
            nfw_flows.erase(it);
            it = nfw_flows.end();
        }
    }
    bool syn = p.is_tcp() && (p.tcp_flags & kTcpSyn) && !(p.tcp_flags & kTcpAck);
    bool exception = false;
    if (it == nfw_flows.end()) {
        if (p.is_tcp() && !syn) exception = true;
        NfwFlow f;
        f.client = p.src;
        f.client_port = p.has_ports() ? p.sport : 0;
        // C13: mid-stream, the sender is the client unless it sent a SYN-ACK.
        if (p.is_tcp() && (p.tcp_flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck)) {
            f.client = p.dst;
            f.client_port = p.dport;
        }
        if (!exception || pol.stream_exception == "CONTINUE") it = nfw_flows.emplace(key, f).first;
    }
    bool toServer = true;
    if (it != nfw_flows.end()) {
        NfwFlow& f = it->second;
        toServer = p.src == f.client && (!p.has_ports() || p.sport == f.client_port);
        if (p.is_tcp() && !exception && !f.midstream && f.verdict == NfwVerdict::None) {
            bool synack = (p.tcp_flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck);
            if (!toServer && synack) f.synack = true;
            else if (toServer && !syn && !f.synack) exception = true;    // client data or ACK before a SYN-ACK (§10.8)
        }
    } else {
        toServer = true;
    }
    if (exception) {
        choice(c, "nfw_stream_exception");
        std::string r = pol.name + ":stream-exception:" + pol.stream_exception;
        if (pol.stream_exception == "DROP") return drop_inspect("stream-exception", r, "the packet fits no tracked TCP state");
        if (pol.stream_exception == "REJECT") {
            c.d->notes.push_back("the firewall answers the client with a TCP RST");
            return drop_inspect("stream-exception", r, "the packet fits no tracked TCP state");
        }
        NfwFlow& f = it->second;
        if (!f.midstream && !f.established) {
            f.midstream = true;
            f.established = true;
        }
        step(c, hop, "inspect", "continue", r, "stream exception: adopted as established (app-layer rules never match)");
    }
    NfwFlow& f = it->second;
    f.last_seen = c.now;

    // §10.2: a decided flow keeps its verdict.
    if (f.verdict != NfwVerdict::None) {
        path(c, "inspect:" + f.verdict_rule);
        if (f.verdict == NfwVerdict::Pass) {
            step(c, hop, "inspect", "pass", f.verdict_rule, "the flow's verdict");
            return true;
        }
        if (f.verdict == NfwVerdict::Reject && p.is_tcp()) c.d->notes.push_back("the firewall answers with a TCP RST");
        return drop_inspect(f.verdict_reason, f.verdict_rule, "the flow's verdict");
    }

    // Flow state for this packet (§4.1, §10.8).
    bool firstOfDir = toServer ? f.pkts_to_server == 0 : f.pkts_to_client == 0;
    (toServer ? f.pkts_to_server : f.pkts_to_client)++;
    bool finalAck = false;
    if (p.is_tcp()) {
        if (!f.established && toServer && f.synack && (p.tcp_flags & kTcpAck) && !(p.tcp_flags & kTcpSyn)) {
            f.established = true;
            finalAck = true;
        }
    } else if (!toServer) {
        f.established = true;
    }
    AppBuffers buf = parse_app_payload(p.payload, p.is_tcp(),
                                       p.has_ports() && (p.sport == 53 || p.dport == 53));
    if (f.app == AppProto::None && buf.proto != AppProto::None && !f.midstream) f.app = buf.proto;
    choice(c, "nfw_app_detect");
    PacketView pv{&p, toServer, f.established, firstOfDir, f.midstream, f.app, &buf};
    std::vector<Cidr> home = pol.home_net;
    if (!pol.has_home_net) {   // C9
        choice(c, "nfw_home_net");
        if (const Vpc* v = net.vpc(fw.vpc_id)) {
            home = v->cidrs4;
            home.insert(home.end(), v->cidrs6.begin(), v->cidrs6.end());
        }
    }

    // Matching rules, in reference order then line (C15).
    struct Hit {
        const SuricataRule* r;
        const NfwRuleGroup* g;
        SuriAction act;
        size_t ref;
        std::string name;
    };
    std::vector<Hit> hits;
    for (size_t ri = 0; ri < pol.stateful_refs.size(); ++ri) {
        const NfwGroupRef& ref = pol.stateful_refs[ri];
        const NfwRuleGroup* g = group_of(ref.arn);
        Vars v{g, &home, &net};
        for (const SuricataRule& r : g->rules)
            if (rule_matches(r, pv, v)) {
                SuriAction a = r.action;
                if (ref.drop_to_alert && a == SuriAction::Drop) a = SuriAction::Alert;
                hits.push_back(Hit{&r, g, a, ri, g->name + ":" + std::to_string(r.sid)});
            }
    }
    auto alert_rule = [&](const Hit& h) {
        choice(c, "nfw_alert_once");
        if (f.alerted.insert({h.name, toServer}).second) c.d->alerts.push_back(h.name);
    };
    const Hit* decider = nullptr;
    if (pol.rule_order == "STRICT_ORDER") {
        for (const Hit& h : hits) {
            if (h.act == SuriAction::Alert) {
                if (!h.r->noalert) alert_rule(h);
                continue;
            }
            decider = &h;
            break;
        }
    } else {
        for (const Hit& h : hits) {
            if (!decider) {
                decider = &h;
                continue;
            }
            auto rank = [](const Hit& x) {
                return std::make_tuple(action_rank(x.act), x.r->priority < 0 ? 1 << 20 : x.r->priority, x.ref, x.r->line);
            };
            if (rank(h) < rank(*decider)) decider = &h;
        }
        choice(c, "nfw_rule_tiebreak");
        if (decider && decider->act == SuriAction::Alert) decider = nullptr;
        if (!decider || decider->act != SuriAction::Pass)
            for (const Hit& h : hits)
                if (h.act == SuriAction::Alert && !h.r->noalert) alert_rule(h);
    }
    if (decider) {
        const Hit& h = *decider;
        path(c, "inspect:" + h.name);
        std::string text = h.r->text;
        if (h.act == SuriAction::Pass) {
            if (h.r->alert) alert_rule(h);
            f.verdict = NfwVerdict::Pass;
            f.verdict_rule = h.name;
            step(c, hop, "inspect", "pass", h.name, text);
            return true;
        }
        if (!h.r->noalert) alert_rule(h);
        bool reject = h.act == SuriAction::Reject;
        f.verdict = reject ? NfwVerdict::Reject : NfwVerdict::Drop;
        f.verdict_rule = h.name;
        f.verdict_reason = reject ? "stateful-reject" : "stateful-drop";
        if (reject) {
            choice(c, "nfw_list_actions");
            c.d->notes.push_back(p.is_tcp() ? "the firewall answers with a TCP RST" : "reject without TCP: dropped");
        }
        return drop_inspect(f.verdict_reason, h.name, text);
    }

    // Defaults (STRICT_ORDER; per packet, C22).
    if (pol.rule_order == "STRICT_ORDER") {
        choice(c, "nfw_default_per_packet");
        bool setupOrReply = p.is_tcp() && (!toServer || !f.established || (finalAck && p.payload.empty()));
        bool hitsEstablished = !setupOrReply;
        if (!p.is_tcp()) {
            choice(c, "nfw_drop_established_udp");
            hitsEstablished = true;
        }
        std::string dropRule;
        for (const std::string& a : pol.stateful_default) {
            bool applies = a == "aws:drop_strict" || a == "aws:alert_strict" ||
                           ((a == "aws:drop_established" || a == "aws:alert_established") && hitsEstablished);
            if (!applies) continue;
            if (a.rfind("aws:alert", 0) == 0) c.d->alerts.push_back(pol.name + ":default:" + a);
            else dropRule = pol.name + ":default:" + a;
        }
        if (!dropRule.empty()) {
            path(c, "inspect:" + dropRule);
            return drop_inspect("default-drop", dropRule, "no rule decided: default action");
        }
    } else {
        choice(c, "nfw_no_match_pass");
    }
    step(c, hop, "inspect", "pass", {}, "no stateful rule decided: pass");
    return true;
}

} // namespace vpcfw::ref
