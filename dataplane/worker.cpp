// The live-dataplane worker loop (dataplane/worker.hpp).
#include "dataplane/worker.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

namespace vpcfw {

double wall_seconds() {
    timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

void pin_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpu >= 0 && cpu < n) {
        CPU_SET(cpu, &set);
    } else {
        for (long c = 0; c < n && c < CPU_SETSIZE; ++c) CPU_SET(c, &set);
    }
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthArp = 0x0806, kEthIpv6 = 0x86DD;
constexpr uint8_t kNdRouterSolicit = 133, kNdRouterAdvert = 134, kNdSolicit = 135, kNdAdvert = 136,
                  kNdRedirect = 137;

IpAddr v4_of(uint32_t net_order) {
    IpAddr a;
    a.family = Family::V4;
    std::memcpy(a.bytes.data(), &net_order, 4);
    return a;
}

IpAddr v6_of(const uint8_t* p) {
    IpAddr a;
    a.family = Family::V6;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
}

// Direction-free id of a flow for the recent-flow table.
uint64_t flow_hash(const FlowKey& k) {
    struct alignas(8) End {   // rte_hash_crc reads 8-byte words
        Be32 a[4];
        Be16 p;
    };
    End x, y;
    std::memset(static_cast<void*>(&x), 0, sizeof x);   // padding too: both ends are compared and hashed as bytes
    std::memset(static_cast<void*>(&y), 0, sizeof y);
    std::memcpy(x.a, k.src, sizeof x.a);
    std::memcpy(y.a, k.dst, sizeof y.a);
    x.p = k.sport;
    y.p = k.dport;
    if (k.proto == 1 || k.proto == 58) x.p = y.p = k.icmp_id;
    if (std::memcmp(&x, &y, sizeof x) > 0) std::swap(x, y);
    uint32_t h1 = rte_hash_crc(&x, sizeof x, k.proto);
    uint32_t h2 = rte_hash_crc(&y, sizeof y, h1);
    return ((static_cast<uint64_t>(h1) << 32) | h2) | 1;
}

} // namespace

// ---- Worker ------------------------------------------------------------------------------

Worker::Worker(unsigned id, WorkerShared& shared)
    : id_(id), shared_(shared), topo_(*shared.topology), pipeline_(shared.settings, shared.capacity),
      flows_(new FlowEntry[kFlowSlots]), flows_copy_(new FlowEntry[kFlowSlots]) {
    if (shared.log) log_ = std::make_unique<LogQueue>(2048);
    tx_.resize(topo_.ports.size());
    last_resolve_.assign(topo_.ports.size(), 0.0);
    sym_ports_.reserve(64);
}

Worker::~Worker() = default;

void Worker::refresh_symbols() {
    // Symbols are interned per version: look the port names up again (cold, between bursts;
    // find() does not allocate and the vector keeps its reserved capacity).
    sym_ports_.clear();
    const Names& names = rs_->names();
    for (size_t p = 0; p < topo_.ports.size(); ++p) {
        const LivePort& lp = topo_.ports[p];
        if (lp.kind == LivePort::Kind::Internet) {
            if (uint32_t s = names.find("internet"); s && sym_ports_.size() < sym_ports_.capacity())
                sym_ports_.push_back({s, static_cast<int16_t>(p)});
        }
        for (const auto& a : lp.attachment_ids)
            if (uint32_t s = names.find(a); s && sym_ports_.size() < sym_ports_.capacity())
                sym_ports_.push_back({s, static_cast<int16_t>(p)});
    }
}

void Worker::run() {
    shared_.slot->register_worker(id_);
    while (!shared_.stop.load(std::memory_order_relaxed)) {
        const CompiledRuleset* rs = shared_.slot->current();
        if (rs != rs_) {
            rs_ = rs;
            pipeline_.set_ruleset(rs);
            refresh_symbols();
        }
        poll_once(wall_seconds());
        shared_.slot->quiescent(id_);
        if (snap_request_.load(std::memory_order_acquire) != snap_done_.load(std::memory_order_relaxed)) serve_snapshot();
    }
    flush();
    shared_.slot->unregister_worker(id_);
    // Packets other workers handed over after the stop are freed, not leaked.
    rte_mbuf* left[kMaxBurst];
    while (unsigned n = rte_ring_dequeue_burst(shared_.inbound[id_], reinterpret_cast<void**>(left), kMaxBurst, nullptr))
        rte_pktmbuf_free_bulk(left, n);
}

void Worker::poll_once(double now) {
    uint32_t got = 0;
    rte_mbuf* rx[kMaxBurst];
    for (uint16_t pi = 0; pi < topo_.ports.size(); ++pi) {
        uint16_t n = rte_eth_rx_burst(topo_.ports[pi].port_id, static_cast<uint16_t>(id_), rx, kMaxBurst);
        got += n;
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = rx[i];
            m->port = pi;   // the port index from here on
            ++counters_.rx_packets;
            counters_.rx_bytes += m->pkt_len;
            if (m->data_len < sizeof(rte_ether_hdr)) {
                local_[n_local_++] = m;   // the pipeline gives it its parse drop
            } else {
                auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
                uint16_t type = rte_be_to_cpu_16(eth->ether_type);
                if (type == kEthArp) {
                    handle_arp(pi, m);
                    continue;
                }
                if (type == kEthIpv6 && m->data_len >= sizeof(rte_ether_hdr) + 40 + 8) {
                    const uint8_t* ip6 = rte_pktmbuf_mtod_offset(m, const uint8_t*, sizeof(rte_ether_hdr));
                    uint8_t t = ip6[40];
                    if (ip6[6] == 58 && t >= kNdRouterSolicit && t <= kNdRedirect) {
                        handle_nd(pi, m, sizeof(rte_ether_hdr));
                        continue;
                    }
                }
                if (type != kEthIpv4 && type != kEthIpv6 && type != RTE_ETHER_TYPE_VLAN && type != RTE_ETHER_TYPE_QINQ) {
                    ++counters_.l2_other;
                    rte_pktmbuf_free(m);
                    continue;
                }
                if (shared_.workers > 1) {
                    ParseResult pr = parse_frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, m->pkt_len, LinkType::Ethernet);
                    unsigned owner = pr.ok() ? shared_.shard(shared_.shard_ctx, pr.key, shared_.workers) : 0;
                    if (owner != id_) {
                        if (rte_ring_enqueue(shared_.inbound[owner], m) != 0) {
                            ++counters_.redirect_dropped;
                            rte_pktmbuf_free(m);
                        } else {
                            ++counters_.redirected;
                        }
                        continue;
                    }
                }
                local_[n_local_++] = m;
            }
            if (n_local_ == kMaxBurst) process_local(now);
        }
    }
    if (shared_.workers > 1) {
        rte_mbuf* in[kMaxBurst];
        unsigned n = rte_ring_dequeue_burst(shared_.inbound[id_], reinterpret_cast<void**>(in), kMaxBurst, nullptr);
        got += n;
        for (unsigned i = 0; i < n; ++i) {
            local_[n_local_++] = in[i];
            if (n_local_ == kMaxBurst) process_local(now);
        }
    }
    if (n_local_) process_local(now);
    flush();
    if (got) {
        idle_loops_ = 0;
    } else if (!shared_.busy_poll && ++idle_loops_ > 256) {
        // Idle: yield the core (labs share machines); the first packet waits at most this.
        std::this_thread::sleep_for(std::chrono::microseconds(idle_loops_ > 4096 ? 200 : 20));
    }
}

void Worker::process_local(double now) {
    uint32_t n = n_local_;
    n_local_ = 0;
    const uint64_t probe_t0 = shared_.probes ? rte_rdtsc() : 0;
    if (!rs_) {   // no ruleset yet: nothing is judged, nothing passes
        for (uint32_t i = 0; i < n; ++i) rte_pktmbuf_free(local_[i]);
        return;
    }
    for (uint32_t i = 0; i < n; ++i) {
        rte_mbuf* m = local_[i];
        Frame& f = frames_[i];
        f.data = rte_pktmbuf_mtod(m, const uint8_t*);
        f.caplen = m->data_len;
        f.wirelen = m->pkt_len;
        f.link = LinkType::Ethernet;
        f.ts = now;
        f.origin = topo_.ports[m->port].origin;
    }
    pipeline_.process(std::span<const Frame>(frames_.data(), n), std::span<Verdict>(verdicts_.data(), n),
                      std::span<ParseResult>(parsed_.data(), n));
    for (uint32_t i = 0; i < n; ++i) {
        rte_mbuf* m = local_[i];
        const Verdict& v = verdicts_[i];
        const ParseResult& pr = parsed_[i];
        uint16_t pi = m->port;
        uint32_t bytes = m->pkt_len;
        if (pr.ok() && pr.has_src_mac && topo_.ports[pi].kind != LivePort::Kind::Subnet)
            shared_.learned[pi]->learn(addr_of(pr.key.src, pr.key.version), pr.src_mac);
        LogRecord* rec = nullptr;
        if (log_) {
            rec = log_->reserve();
            if (rec) {
                rec->version = rs_->version();
                rec->ts = now;
                rec->caplen = std::min<uint32_t>(m->data_len, kLogSnap);
                rec->wirelen = m->pkt_len;
                rec->in_port = pi;
                rec->reason = pr.reason;
                rec->key = pr.key;
                rec->verdict = v;
                std::memcpy(rec->frame, rte_pktmbuf_mtod(m, const uint8_t*), rec->caplen);
            } else {
                ++counters_.log_dropped;
            }
        }
        int16_t out = -1;
        if (v.action == Action::Accept) {
            forward(m, v, pr, out);
        } else {
            rte_pktmbuf_free(m);
        }
        if (rec) {
            rec->out_port = out;
            log_->commit();
        }
        if (pr.ok()) note_flow(pr, v, pi, out, bytes, now);
    }
    if (shared_.probes) shared_.probes[id_].record(rte_rdtsc() - probe_t0, n);
}

void Worker::note_flow(const ParseResult& pr, const Verdict& v, uint16_t in_port, int16_t out_port, uint32_t bytes,
                       double now) {
    uint64_t id = flow_hash(pr.key);
    FlowEntry& e = flows_[id & (kFlowSlots - 1)];
    if (e.id != id) {   // new, or replaces an older flow in its slot
        e.id = id;
        e.key = pr.key;
        e.packets = e.bytes = 0;
        e.first = now;
        e.in_port = static_cast<int16_t>(in_port);
    }
    ++e.packets;
    e.bytes += bytes;
    e.last = now;
    e.action = v.action;
    if (v.action == Action::Accept) {
        e.out_port = out_port;
        e.to_eni = v.to_eni;
    }
}

void Worker::serve_snapshot() {
    std::memcpy(static_cast<void*>(flows_copy_.get()), flows_.get(), sizeof(FlowEntry) * kFlowSlots);
    // On request only, between bursts: the one time a worker allocates outside start-up.
    double now = wall_seconds();
    pipeline_.connections(conns_copy_, kMaxSnapshotEntries, now);
    pipeline_.nat_mappings(nat_copy_, kMaxSnapshotEntries, now);
    snap_done_.store(snap_request_.load(std::memory_order_relaxed), std::memory_order_release);
}

bool Worker::snapshot_flows(std::vector<FlowEntry>& out, int timeout_ms) {
    uint64_t want = snap_request_.load(std::memory_order_relaxed) + 1;
    snap_request_.store(want, std::memory_order_release);
    for (int waited = 0; snap_done_.load(std::memory_order_acquire) != want; ++waited) {
        if (waited >= timeout_ms) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    out.clear();
    for (uint32_t i = 0; i < kFlowSlots; ++i)
        if (flows_copy_[i].id) out.push_back(flows_copy_[i]);
    return true;
}

// ---- ARP and neighbour discovery --------------------------------------------------------

bool Worker::answers(uint16_t pi, const IpAddr& target, const uint8_t* requester_mac) const {
    const LivePort& lp = topo_.ports[pi];
    for (const auto& r : lp.routers)
        if (r == target) return true;
    if (auto it = lp.private_addrs.find(target); it != lp.private_addrs.end()) {
        uint32_t eni = it->second;
        // A host asking for its own address (duplicate address detection) gets no answer.
        return !(eni < topo_.eni_mac.size() && std::memcmp(topo_.eni_mac[eni].data(), requester_mac, 6) == 0);
    }
    if (lp.kind == LivePort::Kind::Internet && rs_) return rs_->is_public_address(target);
    return false;
}

void Worker::handle_arp(uint16_t pi, rte_mbuf* m) {
    if (m->data_len < sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)) {
        ++counters_.l2_other;
        rte_pktmbuf_free(m);
        return;
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) || arp->arp_protocol != rte_cpu_to_be_16(kEthIpv4) ||
        arp->arp_hlen != 6 || arp->arp_plen != 4) {
        ++counters_.l2_other;
        rte_pktmbuf_free(m);
        return;
    }
    IpAddr sender = v4_of(arp->arp_data.arp_sip);
    IpAddr target = v4_of(arp->arp_data.arp_tip);
    const LivePort& lp = topo_.ports[pi];
    if (arp->arp_data.arp_sip != 0 && lp.kind != LivePort::Kind::Subnet)
        shared_.learned[pi]->learn(sender, arp->arp_data.arp_sha.addr_bytes);
    uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    if (op != RTE_ARP_OP_REQUEST || arp->arp_data.arp_sip == 0 || sender == target ||
        !answers(pi, target, arp->arp_data.arp_sha.addr_bytes)) {
        ++counters_.l2_other;
        rte_pktmbuf_free(m);
        return;
    }
    // The reply, in place: the port's MAC answers for the router and the model's addresses,
    // so every packet between hosts crosses the engine (AWS filters same-subnet traffic too).
    rte_ether_addr own;
    std::memcpy(own.addr_bytes, lp.mac, 6);
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = arp->arp_data.arp_sha;
    arp->arp_data.arp_sha = own;
    uint32_t sip = arp->arp_data.arp_sip, tip = arp->arp_data.arp_tip;
    arp->arp_data.arp_sip = tip;
    arp->arp_data.arp_tip = sip;
    eth->dst_addr = arp->arp_data.arp_tha;
    eth->src_addr = own;
    ++counters_.arp_replies;
    send(pi, m);
}

void Worker::handle_nd(uint16_t pi, rte_mbuf* m, uint32_t l3) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* ip6 = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l3);
    uint8_t* icmp = reinterpret_cast<uint8_t*>(ip6 + 1);
    uint32_t icmp_len = m->data_len - l3 - 40;
    const LivePort& lp = topo_.ports[pi];
    uint8_t type = icmp[0];
    static const uint8_t kUnspecified[16] = {};
    bool dad = std::memcmp(ip6->src_addr, kUnspecified, 16) == 0;
    if ((type == kNdSolicit || type == kNdAdvert) && icmp_len >= 24) {
        IpAddr target = v6_of(icmp + 8);
        // The link-layer address option (source on NS, target on NA) or the frame's source.
        const uint8_t* ll = eth->src_addr.addr_bytes;
        for (uint32_t off = 24; off + 8 <= icmp_len && icmp[off + 1]; off += icmp[off + 1] * 8u)
            if ((icmp[off] == 1 || icmp[off] == 2) && icmp[off + 1] == 1) ll = icmp + off + 2;
        if (!dad && lp.kind != LivePort::Kind::Subnet)
            shared_.learned[pi]->learn(type == kNdAdvert ? target : v6_of(ip6->src_addr), ll);
        if (type == kNdSolicit && !dad && icmp_len >= 24 && answers(pi, target, eth->src_addr.addr_bytes) &&
            static_cast<uint32_t>(m->buf_len - m->data_off) >= l3 + 40 + 32) {
            // Neighbour advertisement from the target, to the solicitor (RFC 4861 §7.2.4).
            std::memcpy(ip6->dst_addr, ip6->src_addr, 16);
            std::memcpy(ip6->src_addr, icmp + 8, 16);
            ip6->payload_len = rte_cpu_to_be_16(32);
            ip6->hop_limits = 255;
            ip6->proto = 58;
            icmp[0] = kNdAdvert;
            icmp[1] = 0;
            icmp[2] = icmp[3] = 0;
            bool router = std::find(lp.routers.begin(), lp.routers.end(), target) != lp.routers.end();
            icmp[4] = static_cast<uint8_t>((router ? 0x80 : 0) | 0x40 | 0x20);   // R, S, O
            icmp[5] = icmp[6] = icmp[7] = 0;
            icmp[24] = 2;   // target link-layer address
            icmp[25] = 1;
            std::memcpy(icmp + 26, lp.mac, 6);
            m->data_len = static_cast<uint16_t>(l3 + 40 + 32);
            m->pkt_len = m->data_len;
            uint16_t ck = rte_ipv6_udptcp_cksum(ip6, icmp);
            std::memcpy(icmp + 2, &ck, 2);
            eth->dst_addr = eth->src_addr;
            std::memcpy(eth->src_addr.addr_bytes, lp.mac, 6);
            ++counters_.nd_replies;
            send(pi, m);
            return;
        }
    }
    ++counters_.l2_other;   // router solicitations, redirects, DAD: AWS's router sends RAs only on its own
    rte_pktmbuf_free(m);
}

void Worker::resolve(uint16_t pi, const IpAddr& target, const IpAddr& sender) {
    // At most one request per port per 100 ms per worker: a miss costs a broadcast, not a storm.
    double now = wall_seconds();
    if (now - last_resolve_[pi] < 0.1) return;
    last_resolve_[pi] = now;
    rte_mbuf* m = rte_pktmbuf_alloc(shared_.pool);
    if (!m) return;
    const LivePort& lp = topo_.ports[pi];
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    std::memcpy(eth->src_addr.addr_bytes, lp.mac, 6);
    if (target.is_v4()) {
        std::memset(eth->dst_addr.addr_bytes, 0xff, 6);
        eth->ether_type = rte_cpu_to_be_16(kEthArp);
        auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
        arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
        arp->arp_protocol = rte_cpu_to_be_16(kEthIpv4);
        arp->arp_hlen = 6;
        arp->arp_plen = 4;
        arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
        std::memcpy(arp->arp_data.arp_sha.addr_bytes, lp.mac, 6);
        std::memcpy(&arp->arp_data.arp_sip, sender.bytes.data(), 4);
        std::memset(arp->arp_data.arp_tha.addr_bytes, 0, 6);
        std::memcpy(&arp->arp_data.arp_tip, target.bytes.data(), 4);
        m->data_len = m->pkt_len = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);
    } else {
        // Neighbour solicitation to the target's solicited-node multicast group.
        const uint8_t* t = target.bytes.data();
        uint8_t mcast[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, t[13], t[14], t[15]};
        uint8_t dmac[6] = {0x33, 0x33, 0xff, t[13], t[14], t[15]};
        std::memcpy(eth->dst_addr.addr_bytes, dmac, 6);
        eth->ether_type = rte_cpu_to_be_16(kEthIpv6);
        auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
        ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
        ip6->payload_len = rte_cpu_to_be_16(32);
        ip6->proto = 58;
        ip6->hop_limits = 255;
        std::memcpy(ip6->src_addr, sender.bytes.data(), 16);
        std::memcpy(ip6->dst_addr, mcast, 16);
        uint8_t* icmp = reinterpret_cast<uint8_t*>(ip6 + 1);
        std::memset(icmp, 0, 32);
        icmp[0] = kNdSolicit;
        std::memcpy(icmp + 8, t, 16);
        icmp[24] = 1;   // source link-layer address
        icmp[25] = 1;
        std::memcpy(icmp + 26, lp.mac, 6);
        uint16_t ck = rte_ipv6_udptcp_cksum(ip6, icmp);
        std::memcpy(icmp + 2, &ck, 2);
        m->data_len = m->pkt_len = sizeof(rte_ether_hdr) + 40 + 32;
    }
    ++counters_.resolve_requests;
    send(pi, m);
}

// ---- forwarding --------------------------------------------------------------------------

void Worker::forward(rte_mbuf* m, const Verdict& v, const ParseResult& pr, int16_t& out_port) {
    int16_t op = -1;
    uint8_t dmac[6];
    bool have_mac = false;
    if (v.to_eni != Verdict::kNoEni) {
        if (v.to_eni < topo_.eni_port.size()) {
            op = topo_.eni_port[v.to_eni];
            std::memcpy(dmac, topo_.eni_mac[v.to_eni].data(), 6);
            have_mac = true;
        }
    } else {
        for (const auto& sp : sym_ports_)
            if (sp.sym == v.to) {
                op = sp.port;
                break;
            }
    }
    if (op < 0) {
        if (rs_ && rs_->names().kind(v.to) == SymKind::Service)
            ++counters_.delivered_local;
        else
            ++counters_.no_port;
        rte_pktmbuf_free(m);
        return;
    }
    uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
    const FlowKey& k = pr.key;
    if (v.out_family && v.out_family != k.version) {
        ++counters_.translate_unsupported;
        rte_pktmbuf_free(m);
        return;
    }
    // Translations: write what changed, then the checksums that cover it.
    if (v.out_family && m->nb_segs == 1) {
        uint8_t* l3 = frame + pr.l3_offset;
        uint8_t* l4 = pr.l4_offset ? frame + pr.l4_offset : nullptr;
        bool l4_changed = false, l3_changed = false;
        if (k.version == 4) {
            auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
            if (ip->src_addr != v.out_src[0].raw || ip->dst_addr != v.out_dst[0].raw) {
                ip->src_addr = v.out_src[0].raw;
                ip->dst_addr = v.out_dst[0].raw;
                l3_changed = true;
            }
        } else {
            auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
            if (std::memcmp(ip->src_addr, v.out_src, 16) || std::memcmp(ip->dst_addr, v.out_dst, 16)) {
                std::memcpy(ip->src_addr, v.out_src, 16);
                std::memcpy(ip->dst_addr, v.out_dst, 16);
                l3_changed = true;
            }
        }
        if (l4 && !k.is_later_fragment()) {
            if (k.proto == 6 || k.proto == 17) {
                Be16 ports[2];
                std::memcpy(ports, l4, 4);
                if (ports[0] != v.out_sport || ports[1] != v.out_dport) {
                    ports[0] = v.out_sport;
                    ports[1] = v.out_dport;
                    std::memcpy(l4, ports, 4);
                    l4_changed = true;
                }
            } else if ((k.proto == 1 || k.proto == 58) && !(k.flags & kKeyIcmpError)) {
                Be16 id;
                std::memcpy(&id, l4 + 4, 2);
                if (id != v.out_icmp_id) {
                    std::memcpy(l4 + 4, &v.out_icmp_id, 2);
                    l4_changed = true;
                }
            }
        }
        if (k.version == 4 && l3_changed) {
            auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
            ip->hdr_checksum = 0;
            ip->hdr_checksum = rte_ipv4_cksum(ip);
        }
        // Full L4 recomputation: also right when the sender left the checksum to an offload.
        if (l4 && (l3_changed || l4_changed) && !k.is_later_fragment() && k.frag == FragState::None) {
            uint32_t l4_len = m->data_len - pr.l4_offset;
            if (k.proto == 6 && l4_len >= sizeof(rte_tcp_hdr)) {
                auto* tcp = reinterpret_cast<rte_tcp_hdr*>(l4);
                tcp->cksum = 0;
                tcp->cksum = k.version == 4 ? rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(l3), l4)
                                            : rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(l3), l4);
            } else if (k.proto == 17 && l4_len >= sizeof(rte_udp_hdr)) {
                auto* udp = reinterpret_cast<rte_udp_hdr*>(l4);
                if (k.version == 6 || udp->dgram_cksum != 0) {
                    udp->dgram_cksum = 0;
                    udp->dgram_cksum = k.version == 4 ? rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(l3), l4)
                                                      : rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(l3), l4);
                }
            } else if (k.proto == 1 && l4_len >= 8) {
                auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
                uint32_t len = std::min<uint32_t>(rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip), l4_len);
                std::memset(l4 + 2, 0, 2);
                uint16_t ck = static_cast<uint16_t>(~rte_raw_cksum(l4, len));
                std::memcpy(l4 + 2, &ck, 2);
            } else if (k.proto == 58 && l4_len >= 8) {
                std::memset(l4 + 2, 0, 2);
                uint16_t ck = rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(l3), l4);
                std::memcpy(l4 + 2, &ck, 2);
            }
        }
    }
    if (!have_mac) {
        IpAddr next = addr_of(v.out_family ? v.out_dst : k.dst, k.version);
        have_mac = shared_.learned[op]->lookup(next, dmac);
        if (!have_mac) {
            // Unknown host behind the port: ask for it and send this packet to everyone
            // there (the host's kernel takes it by IP), so the first packet is not lost.
            resolve(static_cast<uint16_t>(op), next, addr_of(v.out_family ? v.out_src : k.src, k.version));
            std::memset(dmac, 0xff, 6);
        }
    }
    std::memcpy(frame, dmac, 6);
    std::memcpy(frame + 6, topo_.ports[op].mac, 6);
    ++counters_.forwarded;
    out_port = op;
    send(static_cast<uint16_t>(op), m);
}

void Worker::send(uint16_t pi, rte_mbuf* m) {
    TxBuffer& b = tx_[pi];
    b.m[b.n++] = m;
    if (b.n == kMaxBurst) flush_port(pi);
}

void Worker::flush_port(size_t pi) {
    TxBuffer& b = tx_[pi];
    if (!b.n) return;
    // Bytes are summed first: the PMD may free what it sent before tx_burst returns.
    uint64_t bytes[kMaxBurst];
    for (uint32_t i = 0; i < b.n; ++i) bytes[i] = b.m[i]->pkt_len;
    uint16_t sent = rte_eth_tx_burst(topo_.ports[pi].port_id, static_cast<uint16_t>(id_), b.m.data(),
                                     static_cast<uint16_t>(b.n));
    for (uint16_t i = 0; i < sent; ++i) counters_.tx_bytes += bytes[i];
    counters_.tx_packets += sent;
    counters_.tx_dropped += b.n - sent;
    if (sent < b.n) rte_pktmbuf_free_bulk(b.m.data() + sent, b.n - sent);
    b.n = 0;
}

void Worker::flush() {
    for (size_t pi = 0; pi < tx_.size(); ++pi) flush_port(pi);
}

} // namespace vpcfw
