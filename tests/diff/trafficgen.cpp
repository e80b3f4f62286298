// The packet-sequence generator of the differential suite. Each step is one of a weighted
// set of intents; the network's addresses are read from the live model (rebuilt after each
// apply step) and the rest from the shared vocabulary of netgen.hpp.
#include "tests/diff/trafficgen.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace vpcfw::diff {

using json = nlohmann::json;

namespace {

IpAddr ip(const std::string& s) { return *IpAddr::parse(s); }

bool starts(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// What the generator remembers of an evaluated packet, to continue or answer its flow.
struct Flow {
    Packet p;
    std::string from;      // the spec it was sent with
    Decision d;            // the reference decision (trace dropped)
    int stage = 0;         // TCP: 0 SYN sent, 1 SYN-ACK seen, 2 established
    double at = 0;
};

// Where a packet's reply comes from (the origin spec) and how it is addressed.
struct ReplyPlan {
    Packet p;
    std::string from;
};

} // namespace

struct TrafficGen::Impl {
    Rng rng;
    Settings cfg;
    TrafficOptions opt;
    double now = 0;
    uint64_t steps = 0;
    bool dirty = true;
    bool after_jump = false;
    std::vector<Flow> flows;           // recent flows, newest last
    std::vector<Flow> firsts;          // recent first fragments
    std::map<std::string, uint64_t> intents;
    uint32_t next_frag_id = 1;

    // ---- the network as the generator sees it ---------------------------------------
    struct EniView {
        Idx idx = kNone;
        std::string id, type;
        Idx vpc = kNone, subnet = kNone;
        std::vector<IpAddr> v4, v6, pub;
        std::vector<Cidr> prefixes;
        bool managed = false;
    };
    std::vector<EniView> enis;
    std::vector<size_t> senders;       // instance ENIs
    std::vector<IpAddr> publics, eips;
    std::vector<std::string> vgws, tgw_vpn_atts, tgw_vpc_atts, pcxs;
    std::vector<IpAddr> nat_private;

    Impl(uint64_t seed, const Settings& s, TrafficOptions o) : rng(seed), cfg(s), opt(o) {}

    void rebuild(const Network& net) {
        enis.clear();
        senders.clear();
        publics.clear();
        eips.clear();
        vgws.clear();
        tgw_vpn_atts.clear();
        tgw_vpc_atts.clear();
        pcxs.clear();
        nat_private.clear();
        for (Idx i = 0; i < net.enis.size(); ++i) {
            const Eni& e = net.enis[i];
            EniView v;
            v.idx = i;
            v.id = e.id;
            v.type = e.interface_type;
            v.vpc = e.vpc;
            v.subnet = e.subnet;
            v.managed = e.requester_managed;
            for (const auto& p : e.private_ips) {
                v.v4.push_back(p.addr);
                if (p.public_ip) {
                    v.pub.push_back(*p.public_ip);
                    publics.push_back(*p.public_ip);
                }
            }
            v.v6 = e.ipv6;
            v.prefixes = e.prefixes4;
            if (e.interface_type == "interface") senders.push_back(enis.size());
            if (e.interface_type == "nat_gateway")
                for (const auto& p : e.private_ips) nat_private.push_back(p.addr);
            enis.push_back(std::move(v));
        }
        for (const auto& e : net.elastic_ips) eips.push_back(e.public_ip);
        for (const auto& g : net.vpn_gateways) vgws.push_back(g.id);
        for (const auto& a : net.tgw_attachments) (a.resource_type == "vpc" ? tgw_vpc_atts : tgw_vpn_atts).push_back(a.id);
        for (const auto& p : net.peerings) pcxs.push_back(p.id);
        dirty = false;
    }

    // ---- time ---------------------------------------------------------------------------
    void advance() {
        if (rng.chance(opt.jump_rate)) {
            // Past (or exactly at) one of the timeouts, so that state expires or just survives.
            std::vector<int> t = {cfg.icmp_timeout, cfg.tcp_transitory_timeout, cfg.other_timeout,
                                  cfg.nat_idle_tcp, cfg.fragment_window, cfg.conntrack_emergency_timeout, 30, 60, 180};
            double base = rng.pick(t);
            static const double deltas[] = {-1.0 / 1024, 0, 1.0 / 1024, 1, 5};
            if (rng.chance(0.02)) base = 432000;
            now += base + rng.pick(deltas);
            after_jump = true;
            return;
        }
        // Mostly a few milliseconds apart, so that per-ENI tables fill and flows stay alive.
        int k = rng.chance(0.15) ? 0 : rng.range(1, rng.chance(0.1) ? 4096 : 64);
        now += k / 1024.0;
    }

    // ---- helpers ------------------------------------------------------------------------
    const EniView& random_sender() {
        if (!senders.empty() && rng.chance(0.93)) return enis[senders[rng.below(uint32_t(senders.size()))]];
        return enis[rng.below(uint32_t(enis.size()))];
    }

    IpAddr address_of(const EniView& e, bool v6) {
        if (v6 && !e.v6.empty()) return rng.pick(e.v6);
        if (!e.prefixes.empty() && rng.chance(0.2)) return rng.pick(e.prefixes).base.plus(rng.below(16));
        if (!e.v4.empty()) return rng.chance(0.8) ? e.v4[0] : rng.pick(e.v4);
        return ip("10.1.1.10");
    }

    static IpAddr vpc_base(const Network& net, Idx vpc, int plus) {
        if (vpc == kNone || net.vpcs[vpc].cidrs4.empty()) return ip("10.1.0.2");
        return net.vpcs[vpc].cidrs4[0].base.plus(uint64_t(plus));
    }

    // A destination for a packet sent by `src` in family v6 (or v4).
    IpAddr destination(const Network& net, const EniView& src, bool v6, const char** what) {
        int r = int(rng.below(100));
        if (v6) {
            if (r < 45) {
                // Another ENI's IPv6 address (same VPC most of the time).
                std::vector<const EniView*> c;
                for (const auto& e : enis)
                    if (!e.v6.empty() && &e != &src) c.push_back(&e);
                if (!c.empty()) {
                    *what = "v6-eni";
                    return rng.pick(c[rng.below(uint32_t(c.size()))]->v6);
                }
            }
            if (r < 80) {
                *what = "v6-internet";
                return ip(rng.pick(vocab::kInternet6));
            }
            if (r < 88) {
                *what = "v6-service";
                static const char* s[] = {"fd00:ec2::253", "fd00:ec2::254", "fd00:ec2::123", "fd00:ec2::1"};
                return ip(rng.pick(s));
            }
            *what = "v6-nowhere";
            return rng.chance(0.5) ? ip("2600:1f18:0:199::5") : ip("2600:1f18:0:101::99");
        }
        if (r < 18) {
            // Same subnet.
            std::vector<const EniView*> c;
            for (const auto& e : enis)
                if (e.subnet == src.subnet && &e != &src && !e.v4.empty()) c.push_back(&e);
            if (!c.empty()) {
                *what = "same-subnet";
                return address_of(*c[rng.below(uint32_t(c.size()))], false);
            }
        }
        if (r < 45) {
            std::vector<const EniView*> c;
            for (const auto& e : enis)
                if (&e != &src && !e.v4.empty() && (rng.chance(0.5) || e.vpc != src.vpc)) c.push_back(&e);
            if (!c.empty()) {
                const EniView* e = c[rng.below(uint32_t(c.size()))];
                *what = e->vpc == src.vpc ? "same-vpc" : "other-vpc";
                return address_of(*e, false);
            }
        }
        if (r < 65) {
            *what = "internet";
            return ip(rng.pick(vocab::kInternet4));
        }
        if (r < 70 && !publics.empty()) {
            *what = "hairpin-public";
            return rng.pick(publics);
        }
        if (r < 76) {
            *what = "vpn-side";
            return ip(rng.chance(0.5) ? rng.pick(vocab::kVgwSide) : rng.pick(vocab::kTgwVpnSide));
        }
        if (r < 84) {
            *what = "service";
            switch (rng.below(7)) {
            case 0: return vpc_base(net, src.vpc, 2);
            case 1: return ip("169.254.169.254");
            case 2: return ip("169.254.169.123");
            case 3: return ip("169.254.169.253");
            case 4:
                if (src.subnet != kNone && net.subnets[src.subnet].cidr4) return net.subnets[src.subnet].cidr4->base.plus(1);
                return ip("10.1.1.1");
            case 5: return ip("255.255.255.255");
            default: return ip("169.254.168.5");   // a range AWS never routes
            }
        }
        if (r < 88 && !nat_private.empty()) {
            *what = "nat-private";
            return rng.pick(nat_private);
        }
        *what = "nowhere";
        switch (rng.below(5)) {
        case 0: return vpc_base(net, src.vpc, 0x0199);
        case 1: return ip("10.99.1.1");
        case 2: return ip("10.9.0.5");
        case 3: return ip("10.250.3.7");   // beyond a TGW peering when the network has one
        default: return ip("100.64.1.99");
        }
    }

    void set_l4(Packet& p, bool reply_like = false) {
        bool v6 = !p.src.is_v4();
        int r = int(rng.below(100));
        if (r < 55) {
            p.proto = 6;
            p.sport = rng.pick(vocab::kClientPorts);
            p.dport = rng.pick(vocab::kServerPorts);
            p.tcp_flags = reply_like ? kTcpAck : kTcpSyn;
        } else if (r < 75) {
            p.proto = 17;
            p.sport = rng.pick(vocab::kClientPorts);
            p.dport = rng.pick(vocab::kServerPorts);
        } else if (r < 88) {
            p.proto = v6 ? 58 : 1;
            p.icmp_type = v6 ? 128 : 8;
            p.icmp_id = rng.pick(vocab::kIcmpIds);
        } else if (r < 93) {
            p.proto = v6 ? 58 : 1;
            static const uint8_t t4[] = {3, 11, 0, 13, 5, 17};
            static const uint8_t t6[] = {1, 2, 3, 129, 135};
            p.icmp_type = v6 ? rng.pick(t6) : rng.pick(t4);
            p.icmp_code = static_cast<uint8_t>(rng.chance(0.5) ? 0 : rng.range(1, 4));
            if (p.icmp_type == 13 || p.icmp_type == 17) p.icmp_id = rng.pick(vocab::kIcmpIds);
        } else {
            static const uint8_t other[] = {47, 50, 132, 41, 0, 255, 2};
            p.proto = rng.pick(other);
            if (!v6 && p.proto == 41) p.proto = 47;
        }
        if (p.proto == 17 && rng.chance(0.05)) {   // DHCP-looking
            p.sport = 68;
            p.dport = 67;
        }
        if (rng.chance(0.03)) p.payload_len = static_cast<uint32_t>(rng.range(0, 1400));
        if (rng.chance(0.01)) p.vlan = rng.range(0, 4095);
        if (rng.chance(0.01)) p.ttl = static_cast<uint8_t>(rng.range(0, 2));
    }

    // Every generated packet is normalised through its own text so that a dumped scenario
    // replays the exact packet (fields the language does not carry take their defaults).
    Packet normalise(const Packet& p) {
        auto q = parse_packet(p.str());
        if (!q) {
            std::fprintf(stderr, "trafficgen: generated packet does not round-trip: %s: %s\n", p.str().c_str(),
                         q.error().message.c_str());
            std::abort();
        }
        return *q;
    }

    Step packet_step(Packet p, std::string from, const char* what) {
        Step s;
        s.kind = Step::Kind::Packet;
        s.at = now;
        s.packet = normalise(p);
        s.from = std::move(from);
        s.what = what;
        ++intents[what];
        return s;
    }

    // ---- intents ------------------------------------------------------------------------
    Step new_flow_from_eni(const Network& net) {
        const EniView& src = random_sender();
        bool v6 = !src.v6.empty() && rng.chance(0.25);
        Packet p;
        p.src = address_of(src, v6);
        const char* what = "eni";
        if (rng.chance(0.04)) {   // a source the ENI does not own (source/destination check)
            p.src = v6 ? ip("2600:1f18:0:101::77") : ip(rng.chance(0.5) ? "10.1.1.77" : "198.51.100.7");
            what = "spoofed-source";
        }
        p.dst = destination(net, src, v6 && p.src.family == Family::V6, &what);
        if (p.dst.family != p.src.family) p.dst = v6 ? ip("2001:db8:ffff::7") : ip("8.8.8.8");
        set_l4(p);
        std::string from = src.id;
        int r = int(rng.below(100));
        if (r < 20) from = "auto";
        else if (r < 23) from = enis[rng.below(uint32_t(enis.size()))].id;   // maybe the wrong ENI
        else if (r < 25) from = "eni-0nope";                                   // unknown: skipped
        return packet_step(p, from, what);
    }

    Step from_internet(const Network& net) {
        (void)net;
        Packet p;
        bool v6 = rng.chance(0.2);
        const char* what = "inbound";
        if (v6) {
            p.src = ip(rng.pick(vocab::kInternet6));
            std::vector<IpAddr> c;
            for (const auto& e : enis)
                for (const auto& a : e.v6) c.push_back(a);
            p.dst = c.empty() || rng.chance(0.1) ? ip("2600:1f18:0:101::10") : rng.pick(c);
            what = "inbound-v6";
        } else {
            p.src = ip(rng.pick(vocab::kInternet4));
            int r = int(rng.below(100));
            if (r < 60 && !publics.empty()) {
                p.dst = rng.pick(publics);
                what = "inbound-public";
            } else if (r < 75 && !eips.empty()) {
                p.dst = rng.pick(eips);
                what = "inbound-eip";
            } else if (r < 92 && !enis.empty()) {
                const EniView& e = enis[rng.below(uint32_t(enis.size()))];
                p.dst = address_of(e, false);
                what = "inbound-private";   // seen at the instance (auto) or dropped at the IGW
            } else {
                p.dst = ip("203.0.113.250");
                what = "inbound-unknown";
            }
        }
        set_l4(p);
        return packet_step(p, rng.chance(0.5) ? "internet" : "auto", what);
    }

    Step from_gateway_side(const Network& net) {
        Packet p;
        std::string from;
        const char* what = "gateway-side";
        int r = int(rng.below(3));
        if (r == 0 && !vgws.empty()) {
            p.src = ip(rng.pick(vocab::kVgwSide));
            from = rng.chance(0.6) ? rng.pick(vgws) : "auto";
            what = "from-vgw";
        } else if (r == 1 && !(tgw_vpn_atts.empty() && tgw_vpc_atts.empty())) {
            if (!tgw_vpn_atts.empty() && rng.chance(0.7)) {
                p.src = ip(rng.pick(vocab::kTgwVpnSide));
                from = rng.chance(0.6) ? rng.pick(tgw_vpn_atts) : "auto";
                what = "from-tgw-vpn";
            } else {
                p.src = ip("10.9.9.9");
                from = tgw_vpc_atts.empty() ? "auto" : rng.pick(tgw_vpc_atts);
                what = "from-tgw-vpc";
            }
        } else if (!pcxs.empty()) {
            p.src = enis.empty() ? ip("10.2.1.10") : address_of(enis[rng.below(uint32_t(enis.size()))], false);
            from = rng.pick(pcxs);
            what = "from-pcx";
        } else {
            return from_internet(net);
        }
        p.dst = enis.empty() ? ip("10.1.1.10") : address_of(enis[rng.below(uint32_t(enis.size()))], false);
        if (!p.src.is_v4()) p.src = ip("192.168.100.5");
        set_l4(p);
        if (p.proto == 58) p.proto = 1;
        return packet_step(p, from, what);
    }

    // The reply (or the next packet) of a remembered flow.
    static bool parse_nat(const std::string& text, IpAddr& a, int& port) {
        port = -1;
        std::string s = text;
        std::string portText;
        if (!s.empty() && s.front() == '[') {
            auto close = s.find(']');
            if (close == std::string::npos) return false;
            if (close + 1 < s.size() && s[close + 1] == ':') portText = s.substr(close + 2);
            s = s.substr(1, close - 1);
        } else if (auto colon = s.find(':'); colon != std::string::npos) {
            portText = s.substr(colon + 1);
            s = s.substr(0, colon);
        }
        auto x = IpAddr::parse(s);
        if (!x) return false;
        a = *x;
        if (!portText.empty()) port = std::stoi(portText);
        return true;
    }

    std::string reply_origin(const Network& net, const Flow& f) {
        const std::string& to = f.d.to;
        bool auto_ = rng.chance(0.3);
        if (starts(to, "eni-")) return auto_ ? "auto" : to;
        if (to == "internet") return auto_ ? "auto" : "internet";
        if (starts(to, "vgw-") || starts(to, "tgw-attach-")) return auto_ ? "auto" : to;
        if (starts(to, "vpce-")) {
            if (const VpcEndpoint* ep = net.endpoint(to))
                if (!ep->eni_ids.empty() && !auto_) return ep->eni_ids[0];
            return "auto";
        }
        if (starts(to, "pcx-")) return to;
        return "auto";
    }

    ReplyPlan reply(const Network& net, const Flow& f, uint8_t flags) {
        ReplyPlan r;
        r.p = reply_of(f.p, flags);
        r.p.frag = Frag::None;
        r.p.vlan = -1;
        r.p.payload_len = 0;
        if (!f.d.nat.empty()) {
            IpAddr a;
            int port;
            if (parse_nat(f.d.nat, a, port) && a.family == r.p.src.family) {
                bool src_translated = starts(f.d.from, "eni-");
                if (src_translated) {
                    r.p.dst = a;
                    if (port >= 0) {
                        if (r.p.has_ports()) r.p.dport = uint16_t(port);
                        else if (r.p.is_icmp()) r.p.icmp_id = uint16_t(port);
                    }
                } else {
                    r.p.src = a;
                    if (port >= 0 && r.p.has_ports()) r.p.sport = uint16_t(port);
                }
            }
        }
        r.from = reply_origin(net, f);
        return r;
    }

    Step continue_flow(const Network& net) {
        // After a clock jump, prefer the newest flow: its state is just at the timeout.
        size_t i = after_jump && rng.chance(0.7) ? flows.size() - 1
                                                 : flows.size() - 1 - rng.below(uint32_t(std::min<size_t>(flows.size(), 24)));
        after_jump = false;
        Flow& f = flows[i];
        Packet p = f.p;
        p.frag = Frag::None;
        p.vlan = -1;
        const char* what = "continue";
        std::string from = f.from;
        if (p.is_tcp()) {
            if (f.stage == 0) {
                ReplyPlan r = reply(net, f, kTcpSyn | kTcpAck);
                f.stage = 1;
                return packet_step(r.p, r.from, f.d.nat.empty() ? "tcp-synack" : "tcp-synack-nat");
            }
            if (f.stage == 1) {
                p.tcp_flags = kTcpAck;
                f.stage = 2;
                return packet_step(p, from, "tcp-ack");
            }
            static const uint8_t fl[] = {kTcpAck | kTcpPsh, kTcpAck, kTcpFin | kTcpAck, kTcpRst, kTcpRst | kTcpAck};
            uint8_t flags = rng.pick(fl);
            if (rng.chance(0.5)) {
                ReplyPlan r = reply(net, f, flags);
                return packet_step(r.p, r.from, f.d.nat.empty() ? "tcp-reply" : "tcp-reply-nat");
            }
            p.tcp_flags = flags;
            return packet_step(p, from, "tcp-more");
        }
        if (p.is_icmp() && rng.chance(0.15)) {
            // An ICMP error about the flow, from its far end.
            ReplyPlan r = reply(net, f, 0);
            Packet e = r.p;
            e.proto = e.src.is_v4() ? 1 : 58;
            e.icmp_type = e.src.is_v4() ? 3 : 1;
            e.icmp_code = 4;
            e.icmp_id = 0;
            e.sport = e.dport = 0;
            return packet_step(e, r.from, "icmp-error");
        }
        if (rng.chance(0.6)) {
            ReplyPlan r = reply(net, f, 0);
            return packet_step(r.p, r.from, f.d.nat.empty() ? "reply" : "reply-nat");
        }
        (void)what;
        return packet_step(p, from, "repeat");
    }

    Step icmp_error_about_flow(const Network& net) {
        const Flow& f = flows[flows.size() - 1 - rng.below(uint32_t(std::min<size_t>(flows.size(), 16)))];
        ReplyPlan r = reply(net, f, 0);
        Packet e;
        e.src = r.p.src;
        e.dst = r.p.dst;
        bool v4 = e.src.is_v4();
        e.proto = v4 ? 1 : 58;
        static const uint8_t t4[] = {3, 11, 12};
        static const uint8_t t6[] = {1, 2, 3, 4};
        e.icmp_type = v4 ? rng.pick(t4) : rng.pick(t6);
        e.icmp_code = static_cast<uint8_t>(rng.range(0, 4));
        e.tcp_flags = 0;
        return packet_step(e, r.from, "icmp-error");
    }

    Step fragment(const Network& net) {
        int r = int(rng.below(100));
        if (r < 45 || firsts.empty()) {
            // A first fragment of a new flow (its later fragments follow).
            Step s = rng.chance(0.7) ? new_flow_from_eni(net) : from_internet(net);
            Packet p = s.packet;
            if (!p.has_l4()) return s;
            p.frag = Frag::First;
            p.frag_id = rng.chance(0.3) ? 7 : (next_frag_id++ & 0xffff);
            s.packet = normalise(p);
            s.what = "frag-first";
            ++intents["frag-first"];
            return s;
        }
        Packet p;
        std::string from;
        const char* what;
        if (r < 85) {
            const Flow& f = firsts[firsts.size() - 1 - rng.below(uint32_t(std::min<size_t>(firsts.size(), 8)))];
            p = f.p;
            from = f.from;
            what = "frag-later";
        } else {
            Step s = new_flow_from_eni(net);
            p = s.packet;
            from = s.from;
            p.frag_id = 30000 + rng.below(100);
            what = "frag-orphan";
        }
        Packet q;
        q.proto = p.proto;
        q.src = p.src;
        q.dst = p.dst;
        q.frag = rng.chance(0.5) ? Frag::More : Frag::Last;
        q.frag_id = p.frag_id;
        q.payload_len = static_cast<uint32_t>(rng.range(8, 1400));
        return packet_step(q, from, what);
    }

    Step junk(const Network& net) {
        Packet p;
        static const char* srcs4[] = {"0.0.0.0", "255.255.255.255", "224.0.0.1", "127.0.0.1", "10.1.1.1",
                                      "169.254.169.254", "10.1.0.2", "100.64.1.7", "203.0.113.1"};
        static const char* srcs6[] = {"::1", "ff02::1", "fe80::1", "fd00:ec2::254", "2600:1f18:0:101::1", "::"};
        bool v6 = rng.chance(0.3);
        if (!enis.empty() && rng.chance(0.4)) {
            p.src = address_of(enis[rng.below(uint32_t(enis.size()))], v6);
            v6 = !p.src.is_v4();
        } else {
            p.src = ip(v6 ? rng.pick(srcs6) : rng.pick(srcs4));
        }
        p.dst = ip(v6 ? rng.pick(srcs6) : rng.pick(srcs4));
        if (!enis.empty() && rng.chance(0.4)) {
            IpAddr d = address_of(enis[rng.below(uint32_t(enis.size()))], v6);
            if (d.family == p.src.family) p.dst = d;
        }
        set_l4(p);
        if (p.is_tcp()) {
            p.tcp_flags = static_cast<uint8_t>(rng.range(1, 255));
            p.sport = static_cast<uint16_t>(rng.below(65536));
            p.dport = static_cast<uint16_t>(rng.below(3) == 0 ? 0 : rng.below(65536));
        }
        static const char* froms[] = {"auto", "internet", "auto"};
        std::string from = rng.pick(froms);
        if (rng.chance(0.2) && !enis.empty()) from = enis[rng.below(uint32_t(enis.size()))].id;
        if (rng.chance(0.05)) from = rng.chance(0.5) ? "vgw-0nope" : "pcx-0nope";
        (void)net;
        return packet_step(p, from, "junk");
    }

    // ---- apply steps --------------------------------------------------------------------
    static std::string proto_text(int proto) {
        switch (proto) {
        case -1: return "-1";
        case 6: return "tcp";
        case 17: return "udp";
        case 1: return "icmp";
        case 58: return "icmpv6";
        default: return std::to_string(proto);
        }
    }

    static json permission_of(const SgRule& r) {
        json p = {{"IpProtocol", proto_text(r.proto)}};
        if (r.ports_apply() || r.icmp()) {
            p["FromPort"] = r.from_port;
            p["ToPort"] = r.to_port;
        }
        switch (r.peer) {
        case PeerKind::Cidr:
            if (r.cidr.base.is_v4()) p["IpRanges"] = json::array({{{"CidrIp", r.cidr.str()}}});
            else p["Ipv6Ranges"] = json::array({{{"CidrIpv6", r.cidr.str()}}});
            break;
        case PeerKind::PrefixList: p["PrefixListIds"] = json::array({{{"PrefixListId", r.prefix_list}}}); break;
        case PeerKind::Group: {
            json pair = {{"GroupId", r.group_id}};
            if (!r.group_vpc.empty()) pair["VpcId"] = r.group_vpc;
            if (!r.peering_id.empty()) pair["VpcPeeringConnectionId"] = r.peering_id;
            p["UserIdGroupPairs"] = json::array({pair});
            break;
        }
        }
        return p;
    }

    json random_permission(const Network& net, const SecurityGroup& g) {
        json p;
        int k = int(rng.below(10));
        if (k < 5) {
            p["IpProtocol"] = rng.chance(0.8) ? "tcp" : "udp";
            static const std::pair<int, int> ranges[] = {{22, 22}, {80, 80}, {443, 443}, {1024, 65535}, {0, 65535},
                                                         {53, 53}, {5000, 5010}, {3306, 3310}};
            auto r = rng.pick(ranges);
            p["FromPort"] = r.first;
            p["ToPort"] = r.second;
        } else if (k < 7) {
            p["IpProtocol"] = rng.chance(0.7) ? "icmp" : "icmpv6";
            bool v6 = p["IpProtocol"] == "icmpv6";
            p["FromPort"] = rng.chance(0.5) ? -1 : (v6 ? 128 : 8);
            p["ToPort"] = -1;
        } else if (k < 9) {
            p["IpProtocol"] = "-1";
        } else {
            p["IpProtocol"] = rng.chance(0.5) ? "47" : "132";
        }
        int peer = int(rng.below(10));
        if (peer < 5) {
            static const char* c4[] = {"0.0.0.0/0", "10.0.0.0/8", "198.51.100.0/24", "198.51.100.7/32",
                                       "192.168.100.0/24", "172.16.0.0/12", "10.1.0.0/16", "10.2.0.0/16"};
            p["IpRanges"] = json::array({{{"CidrIp", rng.pick(c4)}}});
        } else if (peer < 7) {
            static const char* c6[] = {"::/0", "2001:db8:ffff::/48", "2600:1f18::/32"};
            p["Ipv6Ranges"] = json::array({{{"CidrIpv6", rng.pick(c6)}}});
        } else if (peer < 8) {
            static const char* pl[] = {"pl-0c0000000000001", "pl-0c0000000000006", "pl-63a5400a"};
            p["PrefixListIds"] = json::array({{{"PrefixListId", rng.pick(pl)}}});
        } else {
            std::vector<std::string> same;
            for (const auto& x : net.security_groups)
                if (x.vpc == g.vpc) same.push_back(x.id);
            p["UserIdGroupPairs"] = json::array({{{"GroupId", same.empty() ? g.id : rng.pick(same)}}});
        }
        return p;
    }

    json nacl_entry_params(const NetworkAcl& a, int number, bool egress) {
        json e = {{"NetworkAclId", a.id}, {"RuleNumber", number}, {"Egress", egress},
                  {"RuleAction", rng.chance(0.5) ? "allow" : "deny"}};
        bool v6 = rng.chance(0.2);
        int k = int(rng.below(10));
        if (k < 5) {
            e["Protocol"] = rng.chance(0.7) ? "6" : "17";
            static const std::pair<int, int> r[] = {{22, 22}, {80, 80}, {443, 443}, {1024, 65535}, {0, 65535}, {53, 53}};
            auto pr = rng.pick(r);
            e["PortRange"] = {{"From", pr.first}, {"To", pr.second}};
        } else if (k < 7) {
            e["Protocol"] = v6 ? "58" : "1";
            e["IcmpTypeCode"] = {{"Type", rng.chance(0.5) ? -1 : (v6 ? 128 : 8)}, {"Code", -1}};
        } else {
            e["Protocol"] = "-1";
        }
        if (v6) {
            static const char* c6[] = {"::/0", "2001:db8:ffff::/48", "2600:1f18::/32"};
            e["Ipv6CidrBlock"] = rng.pick(c6);
        } else {
            static const char* c4[] = {"0.0.0.0/0", "10.0.0.0/8", "198.51.100.0/24", "192.168.100.0/24",
                                       "10.1.0.0/16", "10.2.1.0/24", "8.8.8.8/32"};
            e["CidrBlock"] = rng.pick(c4);
        }
        return e;
    }

    // A route target of VPC `vpc`, as the request key and id.
    std::pair<std::string, std::string> route_target(const Network& net, Idx vpc) {
        std::vector<std::pair<std::string, std::string>> c;
        if (Idx i = net.igw_of_vpc(vpc); i != kNone) c.push_back({"GatewayId", net.internet_gateways[i].id});
        if (Idx i = net.eigw_of_vpc(vpc); i != kNone) c.push_back({"EgressOnlyInternetGatewayId", net.egress_only_gateways[i].id});
        if (Idx i = net.vgw_of_vpc(vpc); i != kNone) c.push_back({"GatewayId", net.vpn_gateways[i].id});
        for (const auto& n : net.nat_gateways)
            if (n.vpc == vpc) c.push_back({"NatGatewayId", n.id});
        for (const auto& e : net.enis)
            if (e.vpc == vpc && e.interface_type == "interface" && rng.chance(0.5)) c.push_back({"NetworkInterfaceId", e.id});
        for (const auto& p : net.peerings) c.push_back({"VpcPeeringConnectionId", p.id});
        for (const auto& t : net.transit_gateways) c.push_back({"TransitGatewayId", t.id});
        for (const auto& e : net.endpoints)
            if (e.vpc == vpc) c.push_back({"GatewayId", e.id});
        if (c.empty()) return {"GatewayId", "igw-0nope"};
        return rng.pick(c);
    }

    static json dest_param(const std::string& d) {
        if (starts(d, "pl-")) return {{"DestinationPrefixListId", d}};
        if (d.find(':') != std::string::npos) return {{"DestinationIpv6CidrBlock", d}};
        return {{"DestinationCidrBlock", d}};
    }

    Step apply(const Network& net) {
        Step s;
        s.kind = Step::Kind::Apply;
        s.at = now;
        json& p = s.params;
        p = json::object();
        int k = int(rng.below(17));
        auto sg = [&]() -> const SecurityGroup& { return rng.pick(net.security_groups); };
        switch (k) {
        case 0: case 1: {
            const SecurityGroup& g = sg();
            s.action = k == 0 ? "AuthorizeSecurityGroupIngress" : "AuthorizeSecurityGroupEgress";
            p = {{"GroupId", g.id}, {"IpPermissions", json::array({random_permission(net, g)})}};
            break;
        }
        case 2: case 3: {
            const SecurityGroup& g = sg();
            bool egress = k == 3;
            s.action = egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress";
            const auto& rules = egress ? g.egress : g.ingress;
            json perm = rules.empty() || rng.chance(0.15) ? random_permission(net, g) : permission_of(rng.pick(rules));
            p = {{"GroupId", g.id}, {"IpPermissions", json::array({perm})}};
            break;
        }
        case 4: case 5: case 6: {
            const NetworkAcl& a = rng.pick(net.network_acls);
            bool egress = rng.chance(0.5);
            std::vector<int> have;
            for (const auto& e : a.entries)
                if (e.egress == egress && !e.is_default_deny()) have.push_back(e.rule_number);
            if (k == 4 || have.empty()) {
                s.action = "CreateNetworkAclEntry";
                int n = !have.empty() && rng.chance(0.15) ? rng.pick(have) : (rng.chance(0.6) ? 10 * rng.range(1, 60) : rng.range(1, 999));
                p = nacl_entry_params(a, n, egress);
            } else if (k == 5) {
                s.action = "ReplaceNetworkAclEntry";
                p = nacl_entry_params(a, rng.chance(0.9) ? rng.pick(have) : 777, egress);
            } else {
                s.action = "DeleteNetworkAclEntry";
                p = {{"NetworkAclId", a.id}, {"RuleNumber", rng.chance(0.9) ? rng.pick(have) : 32767}, {"Egress", egress}};
            }
            break;
        }
        case 7: {
            // Move a subnet to another NACL of its VPC.
            const NetworkAcl& a = rng.pick(net.network_acls);
            if (a.associations.empty()) return apply(net);
            const auto& as = rng.pick(a.associations);
            std::vector<std::string> others;
            for (const auto& b : net.network_acls)
                if (b.vpc == a.vpc && b.id != a.id) others.push_back(b.id);
            s.action = "ReplaceNetworkAclAssociation";
            p = {{"AssociationId", as.id}, {"NetworkAclId", others.empty() ? a.id : rng.pick(others)}};
            break;
        }
        case 8: case 9: case 10: {
            const RouteTable& t = rng.pick(net.route_tables);
            std::vector<std::string> dests;
            for (const auto& r : t.routes) dests.push_back(r.dest_str());
            static const char* vocab[] = {"0.0.0.0/0", "::/0", "198.51.100.0/24", "8.8.8.0/24", "172.16.0.0/12",
                                          "192.168.100.0/24", "10.2.0.0/16", "10.1.0.0/16", "10.3.0.0/16",
                                          "pl-63a5400a", "pl-0c0000000000001", "2001:db8:ffff::/48", "10.1.2.0/24"};
            auto [key, target] = route_target(net, t.vpc);
            if (k == 8 || dests.empty()) {
                s.action = "CreateRoute";
                p = dest_param(rng.chance(0.2) && !dests.empty() ? rng.pick(dests) : std::string(rng.pick(vocab)));
            } else if (k == 9) {
                s.action = "ReplaceRoute";
                p = dest_param(rng.chance(0.9) ? rng.pick(dests) : std::string(rng.pick(vocab)));
            } else {
                s.action = "DeleteRoute";
                p = dest_param(rng.chance(0.9) ? rng.pick(dests) : std::string(rng.pick(vocab)));
            }
            p["RouteTableId"] = t.id;
            if (k != 10) p[key] = target;
            break;
        }
        case 11: {
            const RouteTable& t = rng.pick(net.route_tables);
            std::vector<const RouteTableAssociation*> subs;
            for (const auto& a : t.associations)
                if (!a.subnet_id.empty()) subs.push_back(&a);
            std::vector<std::string> others;
            for (const auto& b : net.route_tables)
                if (b.vpc == t.vpc && b.id != t.id) others.push_back(b.id);
            if (subs.empty() || others.empty()) return apply(net);
            s.action = "ReplaceRouteTableAssociation";
            p = {{"AssociationId", subs[rng.below(uint32_t(subs.size()))]->id}, {"RouteTableId", rng.pick(others)}};
            break;
        }
        case 12: {
            if (net.elastic_ips.empty()) return apply(net);
            const ElasticIp& e = rng.pick(net.elastic_ips);
            std::vector<const Eni*> c;
            for (const auto& x : net.enis)
                if (x.interface_type == "interface") c.push_back(&x);
            if (c.empty()) return apply(net);
            const Eni* t = c[rng.below(uint32_t(c.size()))];
            s.action = "AssociateAddress";
            p = {{"AllocationId", e.allocation_id}, {"NetworkInterfaceId", t->id}};
            if (t->private_ips.size() > 1 && rng.chance(0.5)) p["PrivateIpAddress"] = rng.pick(t->private_ips).addr.str();
            if (rng.chance(0.7)) p["AllowReassociation"] = true;
            break;
        }
        case 13: {
            std::vector<const ElasticIp*> c;
            for (const auto& e : net.elastic_ips)
                if (!e.association_id.empty()) c.push_back(&e);
            s.action = "DisassociateAddress";
            if (c.empty() || rng.chance(0.1)) p = {{"PublicIp", "203.0.113.250"}};
            else if (rng.chance(0.5)) p = {{"AssociationId", c[rng.below(uint32_t(c.size()))]->association_id}};
            else p = {{"PublicIp", c[rng.below(uint32_t(c.size()))]->public_ip.str()}};
            break;
        }
        case 14: {
            const Eni& e = rng.pick(net.enis);
            s.action = "ModifyNetworkInterfaceAttribute";
            p = {{"NetworkInterfaceId", e.id}};
            switch (rng.below(4)) {
            case 0: p["SourceDestCheck"] = {{"Value", rng.chance(0.5)}}; break;
            case 1: {
                json groups = json::array();
                for (const auto& g : net.security_groups)
                    if (g.vpc == e.vpc && rng.chance(0.4)) groups.push_back(g.id);
                if (groups.empty() && !net.security_groups.empty()) groups.push_back(net.security_groups[0].id);
                p["Groups"] = groups;
                break;
            }
            case 2:
                p["ConnectionTrackingSpecification"] = {{"TcpEstablishedTimeout", rng.chance(0.5) ? 60 : 432000},
                                                        {"UdpStreamTimeout", rng.chance(0.5) ? 60 : 180},
                                                        {"UdpTimeout", rng.chance(0.5) ? 30 : 60}};
                break;
            default: p["Description"] = {{"Value", "changed"}}; break;
            }
            break;
        }
        case 15: {
            std::vector<const Eni*> detached;
            for (const auto& e : net.enis)
                if (e.interface_type == "interface" && e.attachment_id.empty()) detached.push_back(&e);
            const Eni* e = detached.empty() ? &rng.pick(net.enis) : detached[rng.below(uint32_t(detached.size()))];
            if (net.instances.empty()) return apply(net);
            std::vector<const Instance*> same;
            for (const auto& in : net.instances)
                if (in.az == e->az || rng.chance(0.1)) same.push_back(&in);
            const Instance* in = same.empty() ? &rng.pick(net.instances) : same[rng.below(uint32_t(same.size()))];
            s.action = "AttachNetworkInterface";
            p = {{"NetworkInterfaceId", e->id}, {"InstanceId", in->id}, {"DeviceIndex", rng.range(1, 3)}};
            break;
        }
        default: {
            std::vector<const Eni*> c;
            for (const auto& e : net.enis)
                if (!e.attachment_id.empty() && (e.device_index != 0 || rng.chance(0.2))) c.push_back(&e);
            if (c.empty()) return apply(net);
            s.action = "DetachNetworkInterface";
            p = {{"AttachmentId", c[rng.below(uint32_t(c.size()))]->attachment_id}};
            break;
        }
        }
        s.what = "apply";
        ++intents["apply:" + s.action];
        return s;
    }

    Step next(const Network& net) {
        if (dirty) rebuild(net);
        ++steps;
        advance();
        if (steps > 8 && rng.chance(opt.apply_rate)) return apply(net);
        if (enis.empty()) return junk(net);
        if (after_jump && !flows.empty()) return continue_flow(net);
        int r = int(rng.below(100));
        if (r < 30 || flows.empty()) return new_flow_from_eni(net);
        if (r < 60) return continue_flow(net);
        if (r < 72) return from_internet(net);
        if (r < 79) return from_gateway_side(net);
        if (r < 86) return fragment(net);
        if (r < 89) return icmp_error_about_flow(net);
        return junk(net);
    }

    void observe(const Step& s, const Decision* d, bool applied) {
        if (s.kind == Step::Kind::Apply) {
            if (applied) dirty = true;
            return;
        }
        if (!d) return;
        Flow f;
        f.p = s.packet;
        f.from = s.from;
        f.d = *d;
        f.d.trace.clear();
        f.at = s.at;
        if (s.packet.frag == Frag::First) {
            firsts.push_back(f);
            if (firsts.size() > 16) firsts.erase(firsts.begin());
        }
        if (s.packet.frag != Frag::None) return;
        // Remember new accepted flows (and a few dropped ones: their replies are unsolicited).
        bool opener = !s.packet.is_tcp() || (s.packet.tcp_flags & kTcpSyn);
        if (!opener) return;
        if (d->action != Action::Accept && !rng.chance(0.1)) return;
        if (s.packet.is_tcp() && (s.packet.tcp_flags & kTcpAck)) f.stage = 2;
        flows.push_back(std::move(f));
        if (flows.size() > 48) flows.erase(flows.begin());
    }
};

TrafficGen::TrafficGen(uint64_t seed, const Settings& settings, TrafficOptions options)
    : impl_(std::make_shared<Impl>(seed, settings, options)) {}

Step TrafficGen::next(const Network& net) { return impl_->next(net); }

void TrafficGen::observe(const Step& step, const Decision* d, bool applied) { impl_->observe(step, d, applied); }

std::vector<std::pair<std::string, uint64_t>> TrafficGen::intents() const {
    return {impl_->intents.begin(), impl_->intents.end()};
}

} // namespace vpcfw::diff
