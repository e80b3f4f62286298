// Flow-log records: which ENIs a packet met (stations), the record key per station, the
// aggregation per interval, and the text of each field. The rules are in docs/replay.md.
#include "pcap/flow_logs.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <ostream>
#include <tuple>

#include "ruleset/packet.hpp"

namespace vpcfw {

namespace {

struct FieldInfo {
    FlowLogField id;
    const char* name;
    int version;
};
constexpr FieldInfo kFields[] = {
#define VPCFW_X(id, name, version) {FlowLogField::id, name, version},
    VPCFW_FLOW_LOG_FIELDS(VPCFW_X)
#undef VPCFW_X
};

const FieldInfo& info(FlowLogField f) { return kFields[static_cast<unsigned>(f)]; }

} // namespace

std::string FlowLogFormat::header() const {
    std::string s;
    for (auto f : fields) s += (s.empty() ? "" : " ") + std::string(info(f).name);
    return s;
}

Result<FlowLogFormat> parse_flow_log_format(std::string_view text) {
    FlowLogFormat fmt;
    fmt.version = 2;
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == '\t') {
            ++i;
            continue;
        }
        size_t end = text.find_first_of(" \t", i);
        std::string_view tok = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        i = end == std::string_view::npos ? text.size() : end;
        if (tok.size() < 4 || tok.substr(0, 2) != "${" || tok.back() != '}')
            return make_error("flow-log format: '" + std::string(tok) + "' is not a ${field} token");
        std::string_view name = tok.substr(2, tok.size() - 3);
        const FieldInfo* found = nullptr;
        for (const auto& f : kFields)
            if (name == f.name) found = &f;
        if (!found) return make_error("flow-log format: unknown field '" + std::string(name) + "' (vpcfw writes the v2-v5 fields and reject-reason)");
        fmt.fields.push_back(found->id);
        fmt.version = std::max(fmt.version, found->version);
    }
    if (fmt.fields.empty()) return make_error("flow-log format: no fields");
    return fmt;
}

// What the records read from one network: its ENIs by address, NAT gateways' ENIs and the
// AWS service ranges. A live run changes the network (set_network); each record keeps the
// view it was observed under, so a later change never renames it.
struct FlowLogView {
    std::shared_ptr<const Network> owned;   // empty when the caller owns the network (replay)
    const Network& net;
    std::unordered_map<IpAddr, Idx, IpAddrHash> eni_of_addr;   // private, IPv6 and public addresses
    std::unordered_map<std::string, Idx> nat_eni;              // nat- id -> its ENI
    std::vector<bool> is_nat_eni;
    std::vector<std::pair<Cidr, std::string>> service_ranges;  // prefix-list entries -> AWS service

    FlowLogView(std::shared_ptr<const Network> own, const Network& n) : owned(std::move(own)), net(n) {
        is_nat_eni.assign(net.enis.size(), false);
        for (Idx i = 0; i < net.enis.size(); ++i) {
            const Eni& e = net.enis[i];
            for (const auto& p : e.private_ips) {
                eni_of_addr.emplace(p.addr, i);
                if (p.public_ip) eni_of_addr.emplace(*p.public_ip, i);
            }
            for (const auto& a : e.ipv6) eni_of_addr.emplace(a, i);
            if (e.interface_type == "nat_gateway") is_nat_eni[i] = true;
        }
        for (const auto& g : net.nat_gateways)
            for (const auto& a : g.addresses) {
                auto it = net.index.eni.find(a.eni_id);
                if (it == net.index.eni.end()) continue;
                if (a.primary || !nat_eni.count(g.id)) nat_eni[g.id] = it->second;
                is_nat_eni[it->second] = true;
                if (a.private_ip) eni_of_addr.emplace(*a.private_ip, it->second);
                if (a.public_ip) eni_of_addr.emplace(*a.public_ip, it->second);
            }
        for (const auto& eip : net.elastic_ips)
            if (eip.private_ip)
                if (auto it = eni_of_addr.find(*eip.private_ip); it != eni_of_addr.end()) eni_of_addr.emplace(eip.public_ip, it->second);
        for (const auto& pl : net.prefix_lists) {
            std::string svc;
            if (pl.name.find(".s3") != std::string::npos) svc = "S3";
            else if (pl.name.find(".dynamodb") != std::string::npos) svc = "DYNAMODB";
            if (svc.empty()) continue;
            for (const auto& c : pl.entries) service_ranges.emplace_back(c, svc);
        }
    }

    Idx owner(const IpAddr& a) const {
        auto it = eni_of_addr.find(a);
        return it == eni_of_addr.end() ? kNone : it->second;
    }

    std::string service_of(const IpAddr& a) const {
        for (const auto& [c, s] : service_ranges)
            if (c.contains(a)) return s;
        return "-";
    }
};

struct FlowLogWriter::Impl {
    std::shared_ptr<const FlowLogView> view;   // the network records are observed under now
    FlowLogFormat fmt;
    int interval;
    std::ostream& out;
    std::unordered_map<std::string, uint32_t> eni_keys;   // ENI id -> Key::eni, stable across networks

    struct Key {
        int64_t window;
        uint32_t eni;   // eni_keys: the same ENI keeps its key when the network changes
        bool egress;
        bool accept;
        uint8_t proto;
        IpAddr src, dst, psrc, pdst;
        uint16_t sport, dport;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const noexcept {
            IpAddrHash h;
            size_t x = std::hash<int64_t>()(k.window) ^ (static_cast<size_t>(k.eni) << 20) ^
                       (static_cast<size_t>(k.egress) << 1) ^ k.accept ^ (static_cast<size_t>(k.proto) << 8);
            x = x * 1000003 ^ h(k.src);
            x = x * 1000003 ^ h(k.dst);
            x = x * 1000003 ^ h(k.psrc);
            x = x * 1000003 ^ h(k.pdst);
            return x * 1000003 ^ (static_cast<size_t>(k.sport) << 16 | k.dport);
        }
    };
    struct Rec {
        Key key;
        std::shared_ptr<const FlowLogView> view;   // the network of its first packet
        Idx eni = kNone;                           // the ENI in view->net
        uint64_t first_seq = 0;
        uint64_t packets = 0, bytes = 0;
        int64_t start = 0, end = 0;
        uint8_t tcp_flags = 0;
        std::string traffic_path = "-";
        bool bpa = false;
    };
    std::unordered_map<Key, size_t, KeyHash> index;
    std::vector<Rec> recs;
    int64_t max_window = INT64_MIN;

    Impl(std::shared_ptr<const FlowLogView> v, FlowLogFormat f, int iv, std::ostream& o)
        : view(std::move(v)), fmt(std::move(f)), interval(iv), out(o) {}

    uint32_t eni_key(Idx e) {
        return eni_keys.emplace(view->net.enis[e].id, static_cast<uint32_t>(eni_keys.size())).first->second;
    }
    Idx owner(const IpAddr& a) const { return view->owner(a); }

    // traffic-path of an egress record: the first gateway or ENI after `pos` in the path.
    std::string traffic_path_after(const Verdict& v, const Names& names, unsigned pos) const {
        const Network& net = view->net;
        for (unsigned i = pos + 1; i < v.path_len; ++i) {
            const std::string& s = names.name(v.path[i]);
            if (s.rfind("igw-", 0) == 0 || s.rfind("eigw-", 0) == 0) return "2";
            if (s.rfind("vgw-", 0) == 0) return "3";
            if (s.rfind("pcx-", 0) == 0) {
                const PeeringConnection* p = net.peering(s);
                return p && !p->requester.region.empty() && p->requester.region != p->accepter.region ? "5" : "4";
            }
            if (s.rfind("vpce-", 0) == 0) {
                const VpcEndpoint* e = net.endpoint(s);
                return e && e->type == "Gateway" ? "2" : "1";
            }
            if (s.rfind("nat-", 0) == 0 || s.rfind("eni-", 0) == 0) return "1";
            if (s.rfind("tgw-", 0) == 0) return "-";
        }
        return "-";
    }

    void observe(uint64_t seq, double ts, const FlowKey& key, const Verdict& v, const Names& names, Idx eni, bool egress,
                 bool accept, const IpAddr& src, const IpAddr& dst, unsigned pos) {
        Key k;
        k.window = static_cast<int64_t>(std::floor(ts / interval));
        k.eni = eni_key(eni);
        k.egress = egress;
        k.accept = accept;
        k.proto = key.proto;
        k.src = src;
        k.dst = dst;
        k.psrc = addr_of(key.src, key.version);
        k.pdst = addr_of(key.dst, key.version);
        bool ports = !key.is_later_fragment() && (key.proto == 6 || key.proto == 17 || key.proto == 132);
        k.sport = ports ? key.sport.host() : 0;
        k.dport = ports ? key.dport.host() : 0;
        if (k.window > max_window) {
            flush(k.window);
            max_window = k.window;
        }
        auto [it, fresh] = index.emplace(k, recs.size());
        if (fresh) {
            Rec r;
            r.key = k;
            r.view = view;
            r.eni = eni;
            r.first_seq = seq;
            r.start = static_cast<int64_t>(std::floor(ts));
            r.end = r.start;
            if (egress) r.traffic_path = traffic_path_after(v, names, pos);
            recs.push_back(std::move(r));
        }
        Rec& r = recs[it->second];
        ++r.packets;
        r.bytes += key.l3_len.host();
        auto sec = static_cast<int64_t>(std::floor(ts));
        r.start = std::min(r.start, sec);
        r.end = std::max(r.end, sec);
        if (key.proto == 6 && !key.is_later_fragment()) {
            uint8_t f = key.tcp_flags & (kTcpFin | kTcpSyn | kTcpRst);
            if ((key.tcp_flags & kTcpSyn) && (key.tcp_flags & kTcpAck)) f |= kTcpAck;  // SYN-ACK = 18
            r.tcp_flags |= f;
        }
        if (!accept && names.name(v.reason) == "block-public-access") r.bpa = true;
    }

    void add(uint64_t seq, double ts, const FlowKey& key, const Verdict& v, const Names& names) {
        if (v.layer == Layer::Parse || v.layer == Layer::Origin) return;
        const std::string& from = names.name(v.from);
        const std::string& to = names.name(v.to);
        if (is_service_name(from) || is_service_name(to)) return;   // §9: never logged
        const Network& net = view->net;
        const auto& nat_eni = view->nat_eni;
        const auto& is_nat_eni = view->is_nat_eni;
        IpAddr psrc = addr_of(key.src, key.version), pdst = addr_of(key.dst, key.version);
        bool v4 = key.version == 4;

        // Stations: the ENIs the packet met, with their position in the path.
        struct Station {
            Idx eni;
            unsigned pos;
        };
        std::vector<Station> st;
        if (from.rfind("eni-", 0) == 0)
            if (auto it = net.index.eni.find(from); it != net.index.eni.end()) st.push_back({it->second, 0});
        for (unsigned i = 0; i < v.path_len; ++i) {
            const std::string& s = names.name(v.path[i]);
            Idx e = kNone;
            if (s.rfind("eni-", 0) == 0) {
                auto it = net.index.eni.find(s);
                if (it != net.index.eni.end()) e = it->second;
            } else if (s.rfind("nat-", 0) == 0) {
                auto it = nat_eni.find(s);
                if (it != nat_eni.end()) e = it->second;
            }
            if (e == kNone || (!st.empty() && st.back().eni == e && i <= 1)) continue;
            st.push_back({e, i});
        }
        bool accepted = v.action == Action::Accept;
        bool egressDrop = !accepted && (v.layer == Layer::SgEgress || v.layer == Layer::NaclEgress);
        bool ingressDrop = !accepted && (v.layer == Layer::SgIngress || v.layer == Layer::NaclIngress);
        // A packet stopped on its way into an ENI: that ENI logs the REJECT.
        if (ingressDrop) {
            auto seen = [&](Idx e) { return std::any_of(st.begin(), st.end(), [&](const Station& s) { return s.eni == e; }); };
            Idx t = owner(pdst);
            if ((t == kNone || seen(t)) && v.nat_family != 0) {
                IpAddr n;
                n.family = v.nat_family == 6 ? Family::V6 : Family::V4;
                std::memcpy(n.bytes.data(), v.nat_addr, v.nat_family == 6 ? 16 : 4);
                if (Idx u = owner(n); u != kNone && !seen(u)) t = u;
            }
            if (t != kNone && !seen(t)) st.push_back({t, v.path_len});
        }
        auto primary = [&](Idx e, const IpAddr& fallback) {
            const PrivateIp* p = net.enis[e].primary_ip();
            return v4 && p ? p->addr : fallback;
        };
        for (size_t i = 0; i < st.size(); ++i) {
            Idx e = st[i].eni;
            bool origin = i == 0 && from == net.enis[e].id;
            bool last = i + 1 == st.size();
            bool pathGoesOn = st[i].pos + 1 < v.path_len;
            bool natEni = is_nat_eni[e];
            // Outside -> NAT address (as captured there, or seen at the instance behind it).
            bool inbound = natEni && (owner(pdst) == e || from.rfind("eni-", 0) != 0);
            if (!origin) {
                bool acc = !(last && ingressDrop);
                IpAddr dst = natEni ? (inbound ? primary(e, pdst) : pdst) : primary(e, pdst);
                observe(seq, ts, key, v, names, e, false, acc, psrc, dst, st[i].pos);
                if (last && ingressDrop) continue;
            }
            bool sends = origin || (pathGoesOn && !(last && accepted && names.name(v.to) == net.enis[e].id));
            if (!sends) continue;
            if (!origin && last && !accepted && !egressDrop && !pathGoesOn) continue;
            bool acc = !(last && egressDrop);
            IpAddr src = origin ? primary(e, psrc) : (natEni && !inbound ? primary(e, psrc) : psrc);
            IpAddr dst = pdst;
            if (natEni && inbound && v.nat_family != 0) {
                dst.family = v.nat_family == 6 ? Family::V6 : Family::V4;
                dst.bytes = {};
                std::memcpy(dst.bytes.data(), v.nat_addr, v.nat_family == 6 ? 16 : 4);
            }
            observe(seq, ts, key, v, names, e, true, acc, src, dst, st[i].pos);
        }
    }

    std::string field(const Rec& r, FlowLogField f) const {
        const Network& net = r.view->net;
        const Eni& e = net.enis[r.eni];
        const Subnet* sn = e.subnet < net.subnets.size() ? &net.subnets[e.subnet] : nullptr;
        const Vpc* vpc = e.vpc < net.vpcs.size() ? &net.vpcs[e.vpc] : nullptr;
        auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
        switch (f) {
        case FlowLogField::Version: return std::to_string(fmt.version);
        case FlowLogField::AccountId: return dash(vpc ? vpc->owner : "");
        case FlowLogField::InterfaceId: return e.id;
        case FlowLogField::SrcAddr: return r.key.src.str();
        case FlowLogField::DstAddr: return r.key.dst.str();
        case FlowLogField::SrcPort: return std::to_string(r.key.sport);
        case FlowLogField::DstPort: return std::to_string(r.key.dport);
        case FlowLogField::Protocol: return std::to_string(r.key.proto);
        case FlowLogField::Packets: return std::to_string(r.packets);
        case FlowLogField::Bytes: return std::to_string(r.bytes);
        case FlowLogField::Start: return std::to_string(r.start);
        case FlowLogField::End: return std::to_string(r.end);
        case FlowLogField::Action: return r.key.accept ? "ACCEPT" : "REJECT";
        case FlowLogField::LogStatus: return "OK";
        case FlowLogField::VpcId: return dash(vpc ? vpc->id : "");
        case FlowLogField::SubnetId: return dash(sn ? sn->id : "");
        case FlowLogField::InstanceId:
            return r.view->is_nat_eni[r.eni] || e.requester_managed ? "-" : dash(e.instance_id);
        case FlowLogField::TcpFlags: return std::to_string(r.tcp_flags);
        case FlowLogField::Type: return r.key.psrc.is_v4() ? "IPv4" : "IPv6";
        case FlowLogField::PktSrcAddr: return r.key.psrc.str();
        case FlowLogField::PktDstAddr: return r.key.pdst.str();
        case FlowLogField::Region: {
            if (vpc && !vpc->region.empty()) return vpc->region;
            std::string az = sn ? sn->az : e.az;
            while (!az.empty() && std::isalpha(static_cast<unsigned char>(az.back()))) az.pop_back();
            return dash(az);
        }
        case FlowLogField::AzId: return dash(sn ? sn->az_id : "");
        case FlowLogField::SublocationType: return "-";
        case FlowLogField::SublocationId: return "-";
        case FlowLogField::PktSrcAwsService: return r.view->service_of(r.key.psrc);
        case FlowLogField::PktDstAwsService: return r.view->service_of(r.key.pdst);
        case FlowLogField::FlowDirection: return r.key.egress ? "egress" : "ingress";
        case FlowLogField::TrafficPath: return r.key.egress ? r.traffic_path : "-";
        case FlowLogField::RejectReason: return r.bpa ? "BPA" : "-";
        }
        return "-";
    }

    uint64_t flush(int64_t before) {
        std::vector<size_t> done;
        for (size_t i = 0; i < recs.size(); ++i)
            if (recs[i].key.window < before) done.push_back(i);
        if (done.empty()) return 0;
        std::sort(done.begin(), done.end(), [&](size_t a, size_t b) {
            return std::tie(recs[a].key.window, recs[a].first_seq, a) < std::tie(recs[b].key.window, recs[b].first_seq, b);
        });
        std::string line;
        for (size_t i : done) {
            line.clear();
            for (size_t k = 0; k < fmt.fields.size(); ++k) {
                if (k) line += ' ';
                line += field(recs[i], fmt.fields[k]);
            }
            line += '\n';
            out << line;
        }
        std::vector<Rec> keep;
        for (auto& r : recs)
            if (r.key.window >= before) keep.push_back(std::move(r));
        recs = std::move(keep);
        index.clear();
        for (size_t i = 0; i < recs.size(); ++i) index.emplace(recs[i].key, i);
        flushed += done.size();
        return done.size();
    }
    uint64_t flushed = 0;
};

FlowLogWriter::FlowLogWriter(const Network& net, FlowLogFormat format, int interval, std::ostream& out)
    : impl_(std::make_unique<Impl>(std::make_shared<const FlowLogView>(nullptr, net), std::move(format), interval, out)) {
    out << impl_->fmt.header() << "\n";
}
FlowLogWriter::~FlowLogWriter() = default;

void FlowLogWriter::add(uint64_t seq, double ts, const FlowKey& key, const Verdict& v, const Names& names) {
    impl_->add(seq, ts, key, v, names);
    written_ = impl_->flushed;
}

FlowLogWriter::FlowLogWriter(std::shared_ptr<const Network> net, FlowLogFormat format, int interval, std::ostream& out)
    : impl_(std::make_unique<Impl>(std::make_shared<const FlowLogView>(net, *net), std::move(format), interval, out)) {
    out << impl_->fmt.header() << "\n";
}

void FlowLogWriter::set_network(std::shared_ptr<const Network> net) {
    if (&impl_->view->net != net.get()) impl_->view = std::make_shared<const FlowLogView>(net, *net);
}

void FlowLogWriter::finish() {
    impl_->flush(INT64_MAX);
    written_ = impl_->flushed;
}

} // namespace vpcfw
