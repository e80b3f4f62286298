// gen_trace: sessions picked from the network's own rules and routes, built into Ethernet
// frames with correct IPv4/TCP/UDP/ICMP/ICMPv6 checksums, sorted by time, written as pcap
// (microseconds). The pcap file format is four fields; written by hand to keep gen-trace
// free of libpcap's dumper state.
#include "pcap/gen_trace.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "pcap/wire_write.hpp"

namespace vpcfw {

namespace {

struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
    double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
    template <typename T>
    const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
};

using Mac = std::array<uint8_t, 6>;
constexpr Mac kRouterMac = {0x0e, 0x00, 0x5e, 0x00, 0x00, 0x01};  // the VPC router's side

Mac parse_mac(const std::string& s) {
    Mac m{};
    unsigned v[6];
    if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6)
        for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
    return m;
}

struct Host {
    Idx eni;
    IpAddr ip;
    std::optional<IpAddr> public_ip;
    std::optional<IpAddr> ip6;
    Mac mac;
    Idx vpc;
    bool nat_route = false;     // 0.0.0.0/0 -> nat-
    bool igw_route = false;     // 0.0.0.0/0 -> igw-
    std::vector<Cidr> endpoint_ranges;  // prefix-list routes to gateway endpoints
};

struct Pkt {
    double t;
    uint64_t order;
    std::vector<uint8_t> frame;
};

using wire::fold;
using wire::put16;
using wire::put32;
using wire::sum16;

struct L4 {
    uint8_t proto = 6;
    uint16_t sport = 0, dport = 0;
    uint8_t flags = 0;
    uint32_t seq = 0, ack = 0;
    uint8_t icmp_type = 0, icmp_code = 0;
    uint16_t icmp_id = 0, icmp_seq = 0;
    uint32_t payload = 0;
};

std::vector<uint8_t> build(const Mac& smac, const Mac& dmac, const IpAddr& src, const IpAddr& dst, const L4& l4,
                           uint16_t ipid) {
    bool v6 = !src.is_v4();
    size_t l4len = (l4.proto == 6 ? 20 : 8) + l4.payload;
    size_t iplen = (v6 ? 40 : 20) + l4len;
    std::vector<uint8_t> f(14 + iplen, 0);
    std::memcpy(f.data(), dmac.data(), 6);
    std::memcpy(f.data() + 6, smac.data(), 6);
    put16(&f[12], v6 ? 0x86dd : 0x0800);
    uint8_t* ip = &f[14];
    uint8_t* t = ip + (v6 ? 40 : 20);
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, static_cast<uint16_t>(l4len));
        ip[6] = l4.proto;
        ip[7] = 64;
        std::memcpy(ip + 8, src.bytes.data(), 16);
        std::memcpy(ip + 24, dst.bytes.data(), 16);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, static_cast<uint16_t>(iplen));
        put16(ip + 4, ipid);
        put16(ip + 6, 0x4000);  // DF
        ip[8] = 64;
        ip[9] = l4.proto;
        std::memcpy(ip + 12, src.bytes.data(), 4);
        std::memcpy(ip + 16, dst.bytes.data(), 4);
        put16(ip + 10, fold(sum16(ip, 20)));
    }
    for (uint32_t i = 0; i < l4.payload; ++i) t[(l4.proto == 6 ? 20 : 8) + i] = static_cast<uint8_t>('a' + (i % 26));
    size_t ck = 0;
    if (l4.proto == 6) {
        put16(t, l4.sport);
        put16(t + 2, l4.dport);
        put32(t + 4, l4.seq);
        put32(t + 8, l4.ack);
        t[12] = 5 << 4;
        t[13] = l4.flags;
        put16(t + 14, 62727);
        ck = 16;
    } else if (l4.proto == 17) {
        put16(t, l4.sport);
        put16(t + 2, l4.dport);
        put16(t + 4, static_cast<uint16_t>(l4len));
        ck = 6;
    } else {
        t[0] = l4.icmp_type;
        t[1] = l4.icmp_code;
        put16(t + 4, l4.icmp_id);
        put16(t + 6, l4.icmp_seq);
        ck = 2;
    }
    uint32_t s = 0;
    if (l4.proto != 1) {  // pseudo-header (ICMPv4 has none)
        s = sum16(ip + (v6 ? 8 : 12), v6 ? 32 : 8);
        s += l4.proto + static_cast<uint32_t>(l4len);
    }
    uint16_t c = fold(sum16(t, l4len, s));
    if (l4.proto == 17 && c == 0) c = 0xffff;
    put16(t + ck, c);
    return f;
}

class Gen {
public:
    Gen(const Network& net, const GenTraceOptions& opt) : net_(net), opt_(opt), rng_{opt.seed * 0x2545f4914f6cdd1dull + 7} {}

    Status setup() {
        for (Idx i = 0; i < net_.enis.size(); ++i) {
            const Eni& e = net_.enis[i];
            if (e.interface_type != "interface" || e.instance_id.empty() || !e.primary_ip()) continue;
            // A stopped instance sends nothing (its traffic would only be origin drops).
            if (const Instance* in = net_.instance(e.instance_id); in && in->state != "running") continue;
            Host h;
            h.eni = i;
            h.ip = e.primary_ip()->addr;
            h.public_ip = e.primary_ip()->public_ip;
            if (!e.ipv6.empty()) h.ip6 = e.ipv6[0];
            h.mac = parse_mac(e.mac);
            h.vpc = e.vpc;
            Idx rt = e.subnet == kNone ? kNone : net_.route_table_of_subnet(e.subnet);
            if (rt != kNone)
                for (const auto& r : net_.route_tables[rt].routes) {
                    if (r.dest && r.dest->is_any() && r.dest->family() == Family::V4) {
                        h.nat_route = r.kind == TargetKind::NatGateway;
                        h.igw_route = r.kind == TargetKind::InternetGateway;
                    }
                    if (!r.dest_prefix_list.empty() && r.kind == TargetKind::VpcEndpoint)
                        if (const PrefixList* pl = net_.prefix_list(r.dest_prefix_list))
                            for (const auto& c : pl->entries)
                                if (c.family() == Family::V4) h.endpoint_ranges.push_back(c);
                }
            hosts_.push_back(h);
        }
        if (hosts_.empty()) return make_error("the network has no ENI attached to an instance with a private IPv4: nothing to generate");
        for (const auto& h : hosts_) {
            if (h.public_ip) public_.push_back(h);
            if (h.nat_route) natted_.push_back(h);
            if (!h.endpoint_ranges.empty()) endpoint_.push_back(h);
            if (h.ip6) v6_.push_back(h);
        }
        return Status::Ok();
    }

    // Adds sessions until `packets` frames exist; returns them sorted by time.
    std::vector<Pkt> run() {
        while (pkts_.size() < opt_.packets) {
            ++sessions_;
            double t0 = rng_.unit() * opt_.duration;
            uint64_t k = rng_.below(100);
            if (k < 30) east_west(t0);
            else if (k < 50 && !public_.empty()) inbound(t0);
            else if (k < 62 && !natted_.empty()) natted(t0);
            else if (k < 70 && !endpoint_.empty()) endpoint(t0);
            else if (k < 80) dns(t0);
            else if (k < 86 && !public_.empty()) probes(t0);
            else if (k < 88 && !public_.empty()) scan(t0);
            else if (k < 94) ping(t0);
            else if (!v6_.empty()) ipv6(t0);
            else east_west(t0);
        }
        std::stable_sort(pkts_.begin(), pkts_.end(), [](const Pkt& a, const Pkt& b) {
            return a.t != b.t ? a.t < b.t : a.order < b.order;
        });
        if (pkts_.size() > opt_.packets) pkts_.resize(opt_.packets);
        return std::move(pkts_);
    }
    uint64_t sessions() const { return sessions_; }

private:
    IpAddr internet_v4() {
        // Documentation and public-looking ranges outside every VPC.
        static const uint32_t bases[] = {0xC6336400 /*198.51.100.0*/, 0x2D4F1000 /*45.79.16.0*/,
                                         0x5DB8D800 /*93.184.216.0*/, 0x08080800 /*8.8.8.0*/};
        for (;;) {
            IpAddr a = IpAddr::v4(bases[rng_.below(4)] + 1 + static_cast<uint32_t>(rng_.below(250)));
            if (!owned(a)) return a;
        }
    }
    bool owned(const IpAddr& a) const {
        for (const auto& e : net_.enis)
            for (const auto& p : e.private_ips)
                if (p.addr == a || (p.public_ip && *p.public_ip == a)) return true;
        for (const auto& eip : net_.elastic_ips)
            if (eip.public_ip == a) return true;
        for (const auto& g : net_.nat_gateways)
            for (const auto& ad : g.addresses)
                if ((ad.public_ip && *ad.public_ip == a) || (ad.private_ip && *ad.private_ip == a)) return true;
        return false;
    }
    uint16_t eph() { return static_cast<uint16_t>(32768 + rng_.below(28000)); }
    uint32_t payload(uint32_t max) { return static_cast<uint32_t>(rng_.below(max + 1)); }

    void emit(double t, const Mac& sm, const Mac& dm, const IpAddr& s, const IpAddr& d, const L4& l4) {
        pkts_.push_back(Pkt{t, order_++, build(sm, dm, s, d, l4, static_cast<uint16_t>(rng_.next()))});
    }
    double rtt() { return 0.0005 + rng_.unit() * 0.04; }

    // A TCP session: a (client) -> b (server). `replies` false: only the client's SYNs.
    void tcp(double t, const Mac& am, const Mac& bm, const IpAddr& a, const IpAddr& b, uint16_t sp, uint16_t dp,
             int exchanges, bool replies = true) {
        L4 c;
        c.sport = sp;
        c.dport = dp;
        uint32_t cs = static_cast<uint32_t>(rng_.next()), ss = static_cast<uint32_t>(rng_.next());
        c.flags = kSyn;
        c.seq = cs;
        emit(t, am, bm, a, b, c);
        if (!replies) {
            emit(t + 1.0, am, bm, a, b, c);  // retransmitted SYN
            return;
        }
        double r = rtt();
        L4 s;
        s.sport = dp;
        s.dport = sp;
        s.flags = kSyn | kAck;
        s.seq = ss;
        s.ack = ++cs;
        t += r / 2;
        emit(t, bm, am, b, a, s);
        ++ss;
        c.flags = kAck;
        c.seq = cs;
        c.ack = ss;
        t += r / 2;
        emit(t, am, bm, a, b, c);
        for (int x = 0; x < exchanges; ++x) {
            c.flags = kAck | kPsh;
            c.payload = 20 + payload(200);
            t += 0.001 + rng_.unit() * 0.05;
            emit(t, am, bm, a, b, c);
            cs += c.payload;
            s.flags = kAck | kPsh;
            s.seq = ss;
            s.ack = cs;
            s.payload = 40 + payload(400);
            t += r / 2;
            emit(t, bm, am, b, a, s);
            ss += s.payload;
            c.payload = 0;
            c.flags = kAck;
            c.seq = cs;
            c.ack = ss;
            t += r / 2;
            emit(t, am, bm, a, b, c);
        }
        c.flags = kFin | kAck;
        t += 0.01;
        emit(t, am, bm, a, b, c);
        s.flags = kFin | kAck;
        s.payload = 0;
        s.seq = ss;
        s.ack = ++cs;
        t += r / 2;
        emit(t, bm, am, b, a, s);
        c.flags = kAck;
        c.seq = cs;
        c.ack = ss + 1;
        t += r / 2;
        emit(t, am, bm, a, b, c);
    }

    // Server ports of b's security groups (TCP rules; the low end of a range), with the
    // groups the rule admits, so a client can be chosen that the rule allows.
    struct Service {
        uint16_t port;
        std::string peer_group;
        bool from_anywhere;
    };
    std::vector<Service> services(Idx eni) {
        std::vector<Service> out;
        for (const auto& gid : net_.enis[eni].groups)
            if (const SecurityGroup* g = net_.security_group(gid))
                for (const auto& r : g->ingress)
                    if (r.proto == kProtoTcp && r.from_port > 0)
                        out.push_back(Service{static_cast<uint16_t>(r.from_port), r.peer == PeerKind::Group ? r.group_id : "",
                                              r.peer == PeerKind::Cidr && r.cidr.is_any()});
        return out;
    }

    void east_west(double t) {
        const Host& b = rng_.pick(hosts_);
        auto svc = services(b.eni);
        const Host* a = &rng_.pick(hosts_);
        uint16_t port = 22;
        if (!svc.empty() && rng_.below(10) < 8) {
            const Service& s = rng_.pick(svc);
            port = s.port;
            std::vector<const Host*> members;
            for (const auto& h : hosts_) {
                const auto& gs = net_.enis[h.eni].groups;
                if (!s.peer_group.empty() && std::find(gs.begin(), gs.end(), s.peer_group) != gs.end() && h.eni != b.eni)
                    members.push_back(&h);
            }
            if (!members.empty()) a = members[rng_.below(members.size())];
        } else {
            static const uint16_t others[] = {22, 3306, 8080, 5432, 9100, 6379};
            port = others[rng_.below(6)];
        }
        if (a->eni == b.eni) a = &hosts_[(&b - hosts_.data() + 1) % hosts_.size()];
        if (a->eni == b.eni) return dns(t);
        tcp(t, a->mac, b.mac, a->ip, b.ip, eph(), port, 1 + static_cast<int>(rng_.below(4)));
    }

    void inbound(double t) {
        const Host& b = rng_.pick(public_);
        auto svc = services(b.eni);
        std::vector<uint16_t> open;
        for (const auto& s : svc)
            if (s.from_anywhere) open.push_back(s.port);
        uint16_t port = open.empty() ? 443 : open[rng_.below(open.size())];
        IpAddr c = internet_v4();
        // Request to the public address (as on the internet side); replies from the instance.
        L4 l;
        (void)l;
        double r = rtt();
        uint16_t sp = eph();
        int ex = 1 + static_cast<int>(rng_.below(3));
        // Client packets: router MAC -> instance MAC, to the public IP; server packets from
        // the instance's private IP with its MAC.
        tcp_split(t, c, *b.public_ip, b.ip, b.mac, sp, port, ex, r);
    }

    // A session whose client is outside: client packets address `pub`, the server answers
    // from `priv` (a capture that sees both sides of the IGW's translation).
    void tcp_split(double t, const IpAddr& c, const IpAddr& pub, const IpAddr& priv, const Mac& bm, uint16_t sp,
                   uint16_t dp, int ex, double r) {
        size_t first = pkts_.size();
        tcp(t, kRouterMac, bm, c, pub, sp, dp, ex);
        for (size_t i = first; i < pkts_.size(); ++i) {
            auto& f = pkts_[i].frame;
            bool fromServer = std::memcmp(f.data() + 6, bm.data(), 6) == 0;
            if (!fromServer) continue;
            // Rewrite the source from the public to the private address, fix the checksums.
            rewrite_src(f, priv);
        }
        (void)r;
    }

    void rewrite_src(std::vector<uint8_t>& f, const IpAddr& a) {
        uint8_t* ip = f.data() + 14;
        std::memcpy(ip + 12, a.bytes.data(), 4);
        put16(ip + 10, 0);
        put16(ip + 10, fold(sum16(ip, 20)));
        uint8_t* t = ip + 20;
        size_t l4len = f.size() - 34;
        size_t ck = ip[9] == 6 ? 16 : ip[9] == 17 ? 6 : 2;
        put16(t + ck, 0);
        uint32_t s = ip[9] == 1 ? 0 : sum16(ip + 12, 8) + ip[9] + static_cast<uint32_t>(l4len);
        put16(t + ck, fold(sum16(t, l4len, s)));
    }

    void natted(double t) {
        const Host& a = rng_.pick(natted_);
        IpAddr s = internet_v4();
        // Captured at the instance: private source out, the server's replies to the private
        // address (after the NAT gateway's translation back).
        tcp(t, a.mac, kRouterMac, a.ip, s, eph(), rng_.below(4) ? 443 : 80, 1 + static_cast<int>(rng_.below(3)));
    }

    void endpoint(double t) {
        const Host& a = rng_.pick(endpoint_);
        const Cidr& c = rng_.pick(a.endpoint_ranges);
        uint32_t span = c.len >= 32 ? 1 : (c.len <= 8 ? (1u << 24) : (1u << (32 - c.len)));
        IpAddr d = IpAddr::v4(c.base.v4_host() + 1 + static_cast<uint32_t>(rng_.below(span > 2 ? span - 2 : 1)));
        tcp(t, a.mac, kRouterMac, a.ip, d, eph(), 443, 2 + static_cast<int>(rng_.below(4)));
    }

    void dns(double t) {
        const Host& a = rng_.pick(hosts_);
        const Vpc& v = net_.vpcs[a.vpc];
        if (v.cidrs4.empty()) return;
        IpAddr r = v.cidrs4[0].base.plus(2);
        L4 q;
        q.proto = 17;
        q.sport = eph();
        q.dport = 53;
        q.payload = 30 + payload(20);
        emit(t, a.mac, kRouterMac, a.ip, r, q);
        L4 ans = q;
        std::swap(ans.sport, ans.dport);
        ans.payload = 60 + payload(100);
        emit(t + 0.0008, kRouterMac, a.mac, r, a.ip, ans);
    }

    void probes(double t) {
        const Host& b = rng_.pick(public_);
        IpAddr c = internet_v4();
        static const uint16_t ports[] = {22, 23, 3389, 445, 5432, 1433};
        tcp(t, kRouterMac, b.mac, c, *b.public_ip, eph(), ports[rng_.below(6)], 0, false);
    }

    void scan(double t) {
        const Host& b = rng_.pick(public_);
        IpAddr c = internet_v4();
        uint16_t sp = eph();
        for (uint16_t p = 1; p <= 40; ++p) {
            L4 l;
            l.sport = sp;
            l.dport = static_cast<uint16_t>(p * 7 % 1024 + 1);
            l.flags = kSyn;
            emit(t + p * 0.002, kRouterMac, b.mac, c, *b.public_ip, l);
        }
    }

    void ping(double t) {
        const Host& a = rng_.pick(hosts_);
        bool out = rng_.below(2) == 0 || hosts_.size() < 2;
        const Host& b = rng_.pick(hosts_);
        IpAddr d = out ? internet_v4() : b.ip;
        Mac dm = out ? kRouterMac : b.mac;
        uint16_t id = static_cast<uint16_t>(rng_.next());
        for (uint16_t s = 1; s <= 3; ++s) {
            L4 e;
            e.proto = 1;
            e.icmp_type = 8;
            e.icmp_id = id;
            e.icmp_seq = s;
            e.payload = 56;
            emit(t + s, a.mac, dm, a.ip, d, e);
            e.icmp_type = 0;
            emit(t + s + rtt(), dm, a.mac, d, a.ip, e);
        }
    }

    void ipv6(double t) {
        const Host& a = rng_.pick(v6_);
        IpAddr s = *IpAddr::parse("2001:db8:5::7");
        s.bytes[15] = static_cast<uint8_t>(1 + rng_.below(250));
        tcp(t, a.mac, kRouterMac, *a.ip6, s, eph(), 443, 1 + static_cast<int>(rng_.below(3)));
    }

    static constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;

    const Network& net_;
    GenTraceOptions opt_;
    Rng rng_;
    std::vector<Host> hosts_, public_, natted_, endpoint_, v6_;
    std::vector<Pkt> pkts_;
    uint64_t order_ = 0;
    uint64_t sessions_ = 0;
};

} // namespace

Result<std::vector<GenFrame>> gen_trace_frames(const Network& net, const GenTraceOptions& opt, uint64_t* sessions) {
    Gen g(net, opt);
    if (Status s = g.setup(); !s) return s.error();
    std::vector<Pkt> pkts = g.run();
    std::vector<GenFrame> out;
    out.reserve(pkts.size());
    for (auto& p : pkts) out.push_back(GenFrame{p.t, std::move(p.frame)});
    if (sessions) *sessions = g.sessions();
    return out;
}

Result<GenTraceResult> gen_trace(const Network& net, const GenTraceOptions& opt, const std::string& out_path) {
    uint64_t sessions = 0;
    auto frames = gen_trace_frames(net, opt, &sessions);
    if (!frames) return frames.error();
    std::FILE* f = std::fopen(out_path.c_str(), "wb");
    if (!f) return Error{std::string("cannot create: ") + std::strerror(errno), {}, out_path, {}, ErrorKind::Runtime};
    GenTraceResult res;
    uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    bool ok = std::fwrite(hdr, 4, 6, f) == 6;
    res.bytes = 24;
    for (const auto& p : *frames) {
        int64_t us = opt.start_unix * 1000000 + static_cast<int64_t>(p.t * 1e6 + 0.5);
        uint32_t rec[4] = {static_cast<uint32_t>(us / 1000000), static_cast<uint32_t>(us % 1000000),
                           static_cast<uint32_t>(p.frame.size()), static_cast<uint32_t>(p.frame.size())};
        ok = ok && std::fwrite(rec, 4, 4, f) == 4 && std::fwrite(p.frame.data(), 1, p.frame.size(), f) == p.frame.size();
        res.bytes += 16 + p.frame.size();
        ++res.packets;
    }
    if (std::fclose(f) != 0 || !ok) return Error{"write failed", {}, out_path, {}, ErrorKind::Runtime};
    res.sessions = sessions;
    return res;
}

} // namespace vpcfw
