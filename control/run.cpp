// `vpcfw run` and `vpcfw ctl` (control/run.hpp): the live dataplane's setup (EAL, ports,
// topology, workers), its control thread (the Unix control socket, ruleset publication,
// DPDK telemetry, the Prometheus endpoint, periodic stats, decisions / flow logs /
// captures drained from the workers' log queues) and a clean stop on SIGINT/SIGTERM.
// Design notes: docs/run.md.
#include "control/run.hpp"

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "control/compiler.hpp"
#include "control/eal.hpp"
#include "dataplane/ports.hpp"
#include "dataplane/ruleset_slot.hpp"
#include "dataplane/topology.hpp"
#include "dataplane/worker.hpp"
#include "pcap/flow_logs.hpp"
#include "pcap/replay.hpp"
#include "pcap/shard.hpp"
#include "pcap/writer.hpp"
#include "ruleset/actions.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/reference.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace vpcfw {

namespace {


std::atomic<bool> g_signalled{false};
extern "C" void on_signal(int) { g_signalled.store(true); }

// ---- port specs --------------------------------------------------------------------------

Result<PortSpec> parse_spec(const std::string& text) {
    size_t at = text.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == text.size())
        return make_error("--port '" + text + "': expected DEVARGS@ATTACH[,ATTACH...], e.g. net_af_packet0,iface=veth0@subnet-0a1");
    PortSpec s;
    s.text = text;
    s.devargs = text.substr(0, at);
    std::stringstream ss(text.substr(at + 1));
    for (std::string a; std::getline(ss, a, ',');)
        if (!a.empty()) s.attach.push_back(a);
    if (s.attach.empty()) return make_error("--port '" + text + "': nothing named after '@'");
    return s;
}

// ---- EAL arguments -----------------------------------------------------------------------

uint64_t free_hugepages() {
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("HugePages_Free:", 0) == 0) return std::strtoull(line.c_str() + 15, nullptr, 10);
    return 0;
}

std::vector<std::string> run_eal_args(const std::vector<std::string>& given, const std::vector<PortSpec>& specs,
                                      std::ostream& err) {
    if (!given.empty()) return given;
    std::vector<std::string> a = {"--lcores=0", "--log-level=lib.eal:error", "--force-max-simd-bitwidth=512",
                                  "--file-prefix=vpcfw-" + std::to_string(getpid())};
    if (free_hugepages() == 0) {
        err << "vpcfw run: no free hugepages: starting DPDK with --no-huge -m 1024 (right for af_packet, ring, pcap "
               "and tap ports; NIC ports need hugepages, see docs/run.md)\n";
        a.insert(a.end(), {"--no-huge", "-m", "1024", "--no-shconf"});
    } else {
        a.push_back("--in-memory");
    }
    bool pci = false;
    for (const auto& s : specs)
        if (is_pci_address(s.devargs)) {
            a.push_back("-a");
            a.push_back(s.devargs);
            pci = true;
        }
    if (!pci) a.push_back("--no-pci");
    return a;
}

// ---- the live run ------------------------------------------------------------------------

unsigned shard_by_sharder(const void* ctx, const FlowKey& key, unsigned n) {
    return static_cast<const FlowSharder*>(ctx)->worker_of(key, n);
}

struct RunOptions {
    std::string network;
    std::vector<PortSpec> specs;
    unsigned workers = 1;
    std::string decisions, flow_logs, flow_log_format, capture, control;
    int flow_log_interval = 60;
    double stats_interval = 0;
    double duration = 0;
    int metrics_port = 0;
    size_t capacity = 1u << 18;
    bool busy_poll = false;
};

class LiveRun;
LiveRun* g_live = nullptr;   // for the telemetry callbacks, which take no context

class LiveRun {
public:
    LiveRun(RunOptions opt, Network net, std::ostream& out, std::ostream& err)
        : opt_(std::move(opt)), net_(std::move(net)), out_(out), err_(err) {}

    int main(const std::vector<std::string>& eal_given);

private:
    Status setup(const std::vector<std::string>& eal_given);
    void teardown();
    void control_thread();
    void metrics_thread();
    std::string handle(const std::string& line);
    json stats_json();
    std::string prometheus();
    void drain_logs();
    void print_stats_line(double elapsed);
    Result<uint64_t> publish(Network next, double& compile_ms, double& publish_ms);
    static int telemetry_stats(const char*, const char*, rte_tel_data* d);

    RunOptions opt_;
    Network net_;                          // the live model (control thread; under model_mu_)
    std::mutex model_mu_;
    std::ostream& out_;
    std::ostream& err_;
    Settings settings_;

    rte_mempool* pool_ = nullptr;
    std::vector<PortInfo> ports_;
    Topology topo_;
    std::unique_ptr<FlowSharder> sharder_;
    std::unique_ptr<RulesetSlot> slot_;
    WorkerShared shared_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::thread> threads_;
    bool lcores_launched_ = false;
    uint64_t version_ = 0;
    std::atomic<uint64_t> publishes_{0};

    // decision outputs (drained on the main thread)
    std::mutex versions_mu_;
    std::map<uint64_t, std::shared_ptr<const CompiledRuleset>> versions_;   // Names for the logs
    std::ofstream decisions_, flow_log_file_;
    std::unique_ptr<FlowLogWriter> flow_log_;
    PcapngWriter capture_;
    bool capturing_ = false;
    uint64_t seq_ = 0;

    int listen_fd_ = -1, metrics_fd_ = -1;
    std::thread control_, metrics_;
    std::atomic<bool> stopping_{false};
    double started_ = 0;
};

Status LiveRun::setup(const std::vector<std::string>& eal_given) {
    auto topo = build_topology(net_, opt_.specs);
    if (!topo) return topo.error();
    topo_ = std::move(*topo);

    if (Status s = ensure_eal(run_eal_args(eal_given, opt_.specs, err_)); !s) return s;
    // Ports x queues x descriptors, the hand-over rings, and bursts in flight.
    unsigned nports = static_cast<unsigned>(opt_.specs.size());
    unsigned mbufs = nports * opt_.workers * (1024 + 1024) + opt_.workers * (1024 + 4 * kMaxBurst * nports) + 4096;
    pool_ = rte_pktmbuf_pool_create(("vpcfw_run_" + std::to_string(getpid())).c_str(), mbufs, 256, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (!pool_) return make_error("cannot allocate " + std::to_string(mbufs) + " packet buffers: " + rte_strerror(rte_errno) +
                                  " (give the EAL more memory: -- -m 2048)");
    for (size_t p = 0; p < opt_.specs.size(); ++p) {
        auto port = open_port(opt_.specs[p].devargs, opt_.workers, pool_);
        if (!port) return port.error();
        topo_.ports[p].port_id = port->id;
        std::memcpy(topo_.ports[p].mac, port->mac, 6);
        ports_.push_back(*port);
    }

    auto rs = compile_ruleset(net_, settings_, {.version = ++version_});
    if (!rs) return rs.error();
    slot_ = std::make_unique<RulesetSlot>(opt_.workers);
    bool logging = !opt_.decisions.empty() || !opt_.flow_logs.empty() || !opt_.capture.empty();
    if (logging) versions_[version_] = *rs;
    slot_->publish(std::move(*rs));

    sharder_ = std::make_unique<FlowSharder>(net_);
    shared_.topology = &topo_;
    shared_.slot = slot_.get();
    shared_.pool = pool_;
    shared_.workers = opt_.workers;
    shared_.shard = shard_by_sharder;
    shared_.shard_ctx = sharder_.get();
    shared_.settings = settings_;
    shared_.capacity = opt_.capacity;
    shared_.log = logging;
    shared_.busy_poll = opt_.busy_poll;
    for (size_t p = 0; p < topo_.ports.size(); ++p) shared_.learned.push_back(std::make_unique<MacTable>());
    for (unsigned w = 0; w < opt_.workers; ++w) {
        std::string name = "vpcfw_in_" + std::to_string(getpid()) + "_" + std::to_string(w);
        rte_ring* r = rte_ring_create(name.c_str(), 1024, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
        if (!r) return make_error("cannot create the hand-over ring of worker " + std::to_string(w) + ": " + rte_strerror(rte_errno));
        shared_.inbound.push_back(r);
    }
    for (unsigned w = 0; w < opt_.workers; ++w) workers_.push_back(std::make_unique<Worker>(w, shared_));

    if (!opt_.decisions.empty()) {
        decisions_.open(opt_.decisions);
        if (!decisions_) return make_error(opt_.decisions + ": cannot write the decisions file");
    }
    if (!opt_.flow_logs.empty()) {
        auto fmt = parse_flow_log_format(opt_.flow_log_format.empty() ? kDefaultFlowLogFormat : opt_.flow_log_format);
        if (!fmt) return fmt.error();
        flow_log_file_.open(opt_.flow_logs);
        if (!flow_log_file_) return make_error(opt_.flow_logs + ": cannot write the flow logs");
        flow_log_file_ << fmt->header() << "\n";
        flow_log_ = std::make_unique<FlowLogWriter>(net_, *fmt, opt_.flow_log_interval, flow_log_file_);
    }
    if (!opt_.capture.empty()) {
        if (Status s = capture_.open(opt_.capture); !s) return s;
        capturing_ = true;
    }

    if (!opt_.control.empty()) {
        listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (opt_.control.size() >= sizeof addr.sun_path) return make_error("--control " + opt_.control + ": path too long");
        std::strcpy(addr.sun_path, opt_.control.c_str());
        unlink(opt_.control.c_str());
        // Owner only, from the moment it exists: the umask covers the bind.
        mode_t old = umask(0177);
        int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        umask(old);
        if (rc != 0 || listen(listen_fd_, 8) != 0)
            return make_error("--control " + opt_.control + ": cannot listen: " + std::strerror(errno));
        chmod(opt_.control.c_str(), 0600);
    }
    if (opt_.metrics_port > 0) {
        metrics_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(metrics_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(opt_.metrics_port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(metrics_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(metrics_fd_, 8) != 0)
            return make_error("--metrics-port " + std::to_string(opt_.metrics_port) + ": cannot listen on 127.0.0.1: " +
                              std::strerror(errno));
    }
    g_live = this;
    // Telemetry is optional (the EAL may run with --no-telemetry): registration is cheap
    // either way, and a second registration in the same process is refused harmlessly.
    rte_telemetry_register_cmd("/vpcfw/stats", telemetry_stats, "vpcfw run counters, summed over workers");
    return {};
}

int LiveRun::telemetry_stats(const char*, const char*, rte_tel_data* d) {
    if (!g_live) return -1;
    json j = g_live->stats_json();
    rte_tel_data_start_dict(d);
    for (auto& [k, v] : j.items())
        if (v.is_number_unsigned()) rte_tel_data_add_dict_u64(d, k.c_str(), v.get<uint64_t>());
    return 0;
}

json LiveRun::stats_json() {
    json j;
    PipelineCounters pc{};
    WorkerCounters wc{};
    for (const auto& w : workers_) {
        pc.add(w->pipeline_counters());
        const WorkerCounters& c = w->counters();
        const uint64_t* src = reinterpret_cast<const uint64_t*>(&c);
        uint64_t* dst = reinterpret_cast<uint64_t*>(&wc);
        for (size_t i = 0; i < sizeof(WorkerCounters) / 8; ++i) dst[i] += src[i];
    }
    for (const auto& f : kPipelineCounterFields) j[f.name] = pc.*f.member;
    j["dropped"] = pc.dropped_total();
    json by = json::object();
    for (size_t l = 0; l < kLayerCount; ++l)
        if (pc.dropped[l]) by[kLayerNames[l]] = pc.dropped[l];
    j["dropped_by_layer"] = by;
    const uint64_t* w = reinterpret_cast<const uint64_t*>(&wc);
    for (size_t i = 0; i < std::size(kWorkerCounterNames); ++i) j[kWorkerCounterNames[i].name] = w[i];
    j["ruleset_version"] = static_cast<uint64_t>(slot_ && slot_->current() ? slot_->current()->version() : 0);
    j["publishes"] = publishes_.load();
    j["workers"] = static_cast<uint64_t>(opt_.workers);
    json ports = json::array();
    for (size_t p = 0; p < ports_.size(); ++p) {
        rte_eth_stats st{};
        rte_eth_stats_get(ports_[p].id, &st);
        ports.push_back({{"port", topo_.ports[p].label}, {"ipackets", st.ipackets}, {"opackets", st.opackets},
                         {"imissed", st.imissed}, {"ierrors", st.ierrors}, {"oerrors", st.oerrors},
                         {"learned_macs", shared_.learned[p]->size()}});
    }
    j["ports"] = ports;
    return j;
}

std::string LiveRun::prometheus() {
    json j = stats_json();
    std::ostringstream o;
    auto metric = [&](const std::string& name, const char* type, const std::string& help) {
        o << "# HELP vpcfw_" << name << " " << help << "\n# TYPE vpcfw_" << name << " " << type << "\n";
    };
    for (const auto& f : kPipelineCounterFields) {
        if (f.kind == CounterKind::Counter) {
            metric(std::string(f.name) + "_total", "counter", f.help);
            o << "vpcfw_" << f.name << "_total " << j[f.name] << "\n";
        } else {
            metric(f.name, "gauge", f.help);
            o << "vpcfw_" << f.name << " " << j[f.name] << "\n";
        }
    }
    metric("dropped_total", "counter", "packets dropped, by layer");
    for (size_t l = 1; l < kLayerCount; ++l) {
        uint64_t v = j["dropped_by_layer"].value(kLayerNames[l], uint64_t{0});
        o << "vpcfw_dropped_total{layer=\"" << kLayerNames[l] << "\"} " << v << "\n";
    }
    for (const auto& c : kWorkerCounterNames) {
        metric(std::string(c.name) + "_total", "counter", c.help);
        o << "vpcfw_" << c.name << "_total " << j[c.name] << "\n";
    }
    metric("port_packets_total", "counter", "frames per port and direction (ethdev statistics)");
    for (const auto& p : j["ports"]) {
        std::string label = p["port"].get<std::string>();
        std::string esc;
        for (char ch : label) esc += (ch == '"' || ch == '\\') ? std::string("\\") + ch : std::string(1, ch);
        o << "vpcfw_port_packets_total{port=\"" << esc << "\",direction=\"rx\"} " << p["ipackets"] << "\n";
        o << "vpcfw_port_packets_total{port=\"" << esc << "\",direction=\"tx\"} " << p["opackets"] << "\n";
    }
    return o.str();
}

void LiveRun::print_stats_line(double elapsed) {
    json j = stats_json();
    std::ostringstream o;
    o << std::fixed << std::setprecision(1) << "[" << elapsed << "s] packets " << j["packets"] << " accepted " << j["accepted"]
      << " dropped " << j["dropped"];
    for (auto& [layer, n] : j["dropped_by_layer"].items()) o << " " << layer << "=" << n;
    o << " forwarded " << j["forwarded"] << " arp " << j["arp_replies"] << " nd " << j["nd_replies"] << " conntrack "
      << j["conntrack_entries"] << " version " << j["ruleset_version"] << "\n";
    err_ << o.str() << std::flush;
}

Result<uint64_t> LiveRun::publish(Network next, double& compile_ms, double& publish_ms) {
    auto t0 = std::chrono::steady_clock::now();
    auto rs = compile_ruleset(next, settings_, {.version = version_ + 1});
    if (!rs) return rs.error();
    compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ++version_;
    if (shared_.log) {
        std::lock_guard<std::mutex> lock(versions_mu_);
        versions_[version_] = *rs;
    }
    publish_ms = slot_->publish(std::move(*rs)).swap_to_quiescent_ms;
    net_ = std::move(next);
    ++publishes_;
    return version_;
}

std::string LiveRun::handle(const std::string& line) {
    json req;
    try {
        req = json::parse(line);
    } catch (const std::exception& e) {
        return json{{"ok", false}, {"error", std::string("not a JSON request: ") + e.what()}}.dump();
    }
    std::string cmd = req.value("cmd", "");
    if (cmd == "stats") return json{{"ok", true}, {"stats", stats_json()}}.dump();
    if (cmd == "apply" || cmd == "reload") {
        std::lock_guard<std::mutex> lock(model_mu_);
        Network next;
        std::string what;
        if (cmd == "apply") {
            next = net_;
            what = req.value("action", "");
            auto eff = apply_action(next, what, req.value("params", json::object()));
            if (!eff) return json{{"ok", false}, {"error", eff.error().message}, {"code", eff.error().code}}.dump();
        } else {
            auto loaded = load_network(req.value("network", ""));
            if (!loaded) return json{{"ok", false}, {"error", loaded.error().str()}}.dump();
            next = std::move(*loaded);
            what = "reload";
            // Ports were laid out for the first network: the subnets behind them must stay.
            if (Status s = check_attachments(next, opt_.specs); !s) return json{{"ok", false}, {"error", s.error().message}}.dump();
            if (next.enis.size() != net_.enis.size())
                err_ << "vpcfw run: reload: the ENI set changed; ports keep the ENI layout of the first network\n";
        }
        double compile_ms = 0, publish_ms = 0;
        auto v = publish(std::move(next), compile_ms, publish_ms);
        if (!v) return json{{"ok", false}, {"error", v.error().message}}.dump();
        return json{{"ok", true}, {"applied", what}, {"version", *v}, {"compile_ms", compile_ms}, {"publish_ms", publish_ms}}.dump();
    }
    if (cmd == "flows") {
        json flows = json::array(), conns = json::array(), nats = json::array();
        std::vector<FlowEntry> entries;
        std::lock_guard<std::mutex> lock(model_mu_);
        for (const auto& w : workers_) {
            if (!w->snapshot_flows(entries)) continue;
            for (const auto& e : entries) {
                json f = {{"worker", w->id()}, {"flow", to_packet(e.key).flow_str()}, {"packets", e.packets},
                          {"bytes", e.bytes}, {"first", e.first}, {"last", e.last},
                          {"action", e.action == Action::Accept ? "ACCEPT" : "DROP"},
                          {"in_port", e.in_port >= 0 ? topo_.ports[e.in_port].label : ""}};
                if (e.out_port >= 0) f["out_port"] = topo_.ports[e.out_port].label;
                if (e.to_eni != Verdict::kNoEni && e.to_eni < net_.enis.size()) f["to"] = net_.enis[e.to_eni].id;
                flows.push_back(f);
            }
            // The connection-tracking table itself (per ENI, §4) and the NAT mappings.
            auto ep = [](const IpAddr& a, uint16_t port) {
                return (a.is_v4() ? a.str() : "[" + a.str() + "]") + ":" + std::to_string(port);
            };
            for (const auto& c : w->snapshot_connections()) {
                json j = {{"worker", w->id()}, {"eni", c.eni < net_.enis.size() ? net_.enis[c.eni].id : "?"},
                          {"proto", c.proto}, {"local", ep(c.local, c.lport)}, {"remote", ep(c.remote, c.rport)},
                          {"opened", c.opened_by_local ? "outbound" : "inbound"}, {"established", c.established},
                          {"packets_out", c.pkts_out}, {"packets_in", c.pkts_in}, {"last_seen", c.last_seen},
                          {"expires", c.expires}};
                conns.push_back(j);
            }
            for (const auto& n : w->snapshot_nat()) {
                json j = {{"worker", w->id()}, {"nat", n.nat < net_.nat_gateways.size() ? net_.nat_gateways[n.nat].id : "?"},
                          {"proto", n.proto}, {"inside", ep(n.inside, n.inside_port)}, {"outside", ep(n.nat_ip, n.nat_port)},
                          {"remote", ep(n.remote, n.rport)}, {"last_seen", n.last_seen}};
                nats.push_back(j);
            }
        }
        return json{{"ok", true}, {"flows", flows}, {"connections", conns}, {"nat", nats}}.dump();
    }
    if (cmd == "explain") {
        auto pk = parse_packet(req.value("packet", ""));
        if (!pk) return json{{"ok", false}, {"error", pk.error().message}}.dump();
        std::lock_guard<std::mutex> lock(model_mu_);
        ReferenceEvaluator ref(net_, settings_);
        Decision d = ref.evaluate(*pk, req.value("from", "auto"), wall_seconds());
        return json{{"ok", true}, {"text", decision_text(d)}, {"decision", decision_json(d)}}.dump();
    }
    return json{{"ok", false}, {"error", "unknown command '" + cmd + "' (apply, reload, stats, flows, explain)"}}.dump();
}

void LiveRun::control_thread() {
    while (!stopping_.load()) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        std::string line;
        char buf[4096];
        while (line.find('\n') == std::string::npos) {
            pollfd q{fd, POLLIN, 0};
            if (poll(&q, 1, 5000) <= 0) break;
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0) break;
            line.append(buf, static_cast<size_t>(n));
        }
        std::string reply;
        try {
            reply = handle(line.substr(0, line.find('\n'))) + "\n";
        } catch (const std::exception& e) {
            reply = json{{"ok", false}, {"error", std::string("internal error: ") + e.what()}}.dump() + "\n";
        }
        for (size_t off = 0; off < reply.size();) {
            ssize_t n = write(fd, reply.data() + off, reply.size() - off);
            if (n <= 0) break;
            off += static_cast<size_t>(n);
        }
        close(fd);
    }
}

void LiveRun::metrics_thread() {
    while (!stopping_.load()) {
        pollfd p{metrics_fd_, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        int fd = accept4(metrics_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        char buf[2048];
        pollfd q{fd, POLLIN, 0};
        if (poll(&q, 1, 1000) > 0) (void)!read(fd, buf, sizeof buf);   // any request gets the metrics
        std::string body = prometheus();
        std::string resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        for (size_t off = 0; off < resp.size();) {
            ssize_t n = write(fd, resp.data() + off, resp.size() - off);
            if (n <= 0) break;
            off += static_cast<size_t>(n);
        }
        close(fd);
    }
}

void LiveRun::drain_logs() {
    if (!shared_.log) return;
    for (const auto& w : workers_) {
        LogQueue* q = w->log();
        for (const LogRecord* r; (r = q->front()) != nullptr; q->pop()) {
            std::shared_ptr<const CompiledRuleset> rs;
            {
                std::lock_guard<std::mutex> lock(versions_mu_);
                auto it = versions_.find(r->version);
                if (it != versions_.end()) rs = it->second;
            }
            if (!rs) continue;
            const Names& names = rs->names();
            bool ok = r->reason == ParseReason::Ok;
            std::string flow = ok ? to_packet(r->key).flow_str() : std::string();
            uint64_t seq = seq_++;
            int64_t ts_ns = std::llround(r->ts * 1e9);
            Decision d = to_decision(r->verdict, names, flow);
            if (decisions_.is_open()) {
                std::string body = decision_json(d).dump();
                std::string line = "{\"seq\":" + std::to_string(seq) + ",\"ts\":" + ts_text(ts_ns);
                if (ok) {
                    char hex[20];
                    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(flow_id(r->key)));
                    line += ",\"flow_id\":\"" + std::string(hex) + "\"";
                }
                line += ",\"version\":" + std::to_string(r->version) + ",\"port\":" + json(topo_.ports[r->in_port].label).dump();
                if (r->out_port >= 0) line += ",\"out_port\":" + json(topo_.ports[r->out_port].label).dump();
                decisions_ << line << "," << body.substr(1) << "\n";
            }
            if (flow_log_ && ok) flow_log_->add(seq, r->ts, r->key, r->verdict, names);
            if (capturing_) {
                std::string c = "vpcfw seq " + std::to_string(seq) + ": " + (d.action == Action::Accept ? "ACCEPT to " + d.to
                                                                                                     : std::string("DROP at ") + layer_name(d.layer));
                (void)capture_.write(r->frame, r->caplen, r->wirelen, ts_ns, LinkType::Ethernet, c);
            }
        }
    }
    if (decisions_.is_open()) decisions_.flush();
}

int LiveRun::main(const std::vector<std::string>& eal_given) {
    if (Status s = setup(eal_given); !s) {
        err_ << "vpcfw run: " << s.error().str() << "\n";
        teardown();
        return kExitRuntime;
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    // Workers: on EAL worker lcores when the EAL has enough (pinned, as on a NIC host),
    // else on threads registered with the EAL (laptops, tests, --lcores=0).
    unsigned lcore_workers = rte_lcore_count() - 1;
    if (lcore_workers >= opt_.workers) {
        unsigned w = 0;
        unsigned lcore;
        RTE_LCORE_FOREACH_WORKER(lcore) {
            if (w == opt_.workers) break;
            rte_eal_remote_launch([](void* p) { static_cast<Worker*>(p)->run(); return 0; }, workers_[w].get(), lcore);
            ++w;
        }
        lcores_launched_ = true;
    } else {
        unsigned ncpu = std::thread::hardware_concurrency();
        for (unsigned w = 0; w < opt_.workers; ++w)
            threads_.emplace_back([this, w, ncpu] {
                // One CPU each, after the main thread's (control, logs), when there are enough.
                pin_thread(ncpu > opt_.workers ? static_cast<int>(1 + w) : -1);
                rte_thread_register();
                workers_[w]->run();
                rte_thread_unregister();
            });
    }
    if (listen_fd_ >= 0) control_ = std::thread([this] { control_thread(); });
    if (metrics_fd_ >= 0) metrics_ = std::thread([this] { metrics_thread(); });

    err_ << "vpcfw run: " << opt_.workers << " worker(s), " << ports_.size() << " port(s)";
    for (size_t p = 0; p < ports_.size(); ++p) err_ << (p ? ", " : ": ") << topo_.ports[p].label << " [" << ports_[p].driver << "]";
    if (!opt_.control.empty()) err_ << "; control " << opt_.control;
    if (opt_.metrics_port) err_ << "; metrics http://127.0.0.1:" << opt_.metrics_port << "/metrics";
    err_ << "; ruleset version " << version_ << "\n" << std::flush;

    started_ = wall_seconds();
    double next_stats = started_ + opt_.stats_interval;
    while (!g_signalled.load()) {
        drain_logs();
        double now = wall_seconds();
        if (opt_.duration > 0 && now - started_ >= opt_.duration) break;
        if (opt_.stats_interval > 0 && now >= next_stats) {
            print_stats_line(now - started_);
            next_stats += opt_.stats_interval;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    double elapsed = wall_seconds() - started_;
    shared_.stop.store(true);
    for (auto& t : threads_) t.join();
    if (lcores_launched_) rte_eal_mp_wait_lcore();
    stopping_.store(true);
    if (control_.joinable()) control_.join();
    if (metrics_.joinable()) metrics_.join();
    drain_logs();
    if (flow_log_) flow_log_->finish();
    json j = stats_json();
    out_ << "vpcfw run: stopped after " << std::fixed << std::setprecision(1) << elapsed << " s\n";
    out_ << "  packets " << j["packets"] << " (" << j["bytes"] << " bytes), accepted " << j["accepted"] << ", dropped "
         << j["dropped"] << "\n";
    for (auto& [layer, n] : j["dropped_by_layer"].items()) out_ << "    dropped at " << layer << ": " << n << "\n";
    for (const auto& c : kWorkerCounterNames)
        if (j[c.name].get<uint64_t>()) out_ << "  " << c.name << " " << j[c.name] << "\n";
    for (const auto& p : j["ports"])
        out_ << "  port " << p["port"].get<std::string>() << ": rx " << p["ipackets"] << " tx " << p["opackets"] << " missed "
             << p["imissed"] << "\n";
    out_ << "  ruleset version " << j["ruleset_version"] << " (" << j["publishes"] << " live updates)\n";
    teardown();
    return kExitOk;
}

void LiveRun::teardown() {
    g_live = nullptr;
    if (capturing_) (void)capture_.close();
    capturing_ = false;
    if (listen_fd_ >= 0) {
        close(listen_fd_);
        unlink(opt_.control.c_str());
        listen_fd_ = -1;
    }
    if (metrics_fd_ >= 0) close(metrics_fd_);
    metrics_fd_ = -1;
    for (const auto& p : ports_) close_port(p);
    ports_.clear();
    workers_.clear();
    for (rte_ring* r : shared_.inbound) rte_ring_free(r);
    shared_.inbound.clear();
    slot_.reset();
    if (pool_) rte_mempool_free(pool_);
    pool_ = nullptr;
}

const char* kRunHelp =
    "vpcfw run --network NET --port SPEC [--port SPEC...] [options] [-- EAL ARGS]\n\n"
    "Runs the network live between DPDK ports: packets arriving on a port are judged as AWS\n"
    "would (security groups with connection tracking, NACLs, routes, IGW 1:1 NAT, NAT\n"
    "gateways), and accepted ones leave, translated, by the port where their destination\n"
    "lives, addressed to the ENI's MAC. The engine answers ARP and IPv6 neighbour\n"
    "discovery for each subnet's router (base + 1), for the ENI addresses of the model, and\n"
    "on the internet port for the public and Elastic IPs; it learns the MACs of hosts\n"
    "behind internet and attachment ports from what they send.\n\n"
    "SPEC is DEVARGS@ATTACH[,ATTACH...]: DEVARGS a PCI address or a vdev\n"
    "(net_af_packet0,iface=veth0  net_tap0  net_pcap0,...  net_ring0  net_memif0,...), ATTACH\n"
    "what is behind it: subnet ids, a VPC id (all its subnets), internet, or a\n"
    "tgw-attach-/vgw-/vpn-/pcx- id.\n\n"
    "Examples:\n"
    "  laptop, veth pairs (no hugepages needed):\n"
    "    vpcfw run --network lab.json --port 'net_af_packet0,iface=veth-pub@subnet-0a1' \\\n"
    "        --port 'net_af_packet1,iface=veth-inet@internet' --control /run/vpcfw.sock\n"
    "  NIC host (ports bound to vfio-pci, hugepages reserved, 2 workers on cores 2-3):\n"
    "    vpcfw run --network net.json --workers 2 --port 0000:3b:00.0@vpc-0abc \\\n"
    "        --port 0000:3b:00.1@internet -- -l 1-3 -a 0000:3b:00.0 -a 0000:3b:00.1\n\n"
    "Without EAL ARGS, vpcfw starts DPDK on one core with threads for the workers, with\n"
    "--no-huge when no hugepages are free (it says so). `vpcfw ctl --control PATH ...`\n"
    "changes rules live. docs/run.md has the details.\n\noptions";

} // namespace

int cmd_run(const std::vector<std::string>& all, std::ostream& out, std::ostream& err) {
    std::vector<std::string> args, eal;
    auto dd = std::find(all.begin(), all.end(), "--");
    args.assign(all.begin(), dd);
    if (dd != all.end()) eal.assign(dd + 1, all.end());

    RunOptions opt;
    std::vector<std::string> specs;
    po::options_description desc(kRunHelp);
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(&opt.network), "the network: a bundle file or a directory")
        ("port,p", po::value<std::vector<std::string>>(&specs), "DEVARGS@ATTACH[,ATTACH...] (repeat for each port)")
        ("workers,w", po::value<unsigned>(&opt.workers)->default_value(1), "worker threads/lcores; one RX/TX queue pair each per port")
        ("decisions", po::value<std::string>(&opt.decisions), "write every decision as JSONL (INTERFACE.md), with the port and ruleset version")
        ("flow-logs", po::value<std::string>(&opt.flow_logs), "write AWS VPC Flow Logs records")
        ("flow-log-format", po::value<std::string>(&opt.flow_log_format), "AWS ${field} list (default: version 2)")
        ("flow-log-interval", po::value<int>(&opt.flow_log_interval)->default_value(60), "aggregation interval, 60 or 600 s")
        ("capture", po::value<std::string>(&opt.capture), "write every evaluated frame as pcapng, with its decision as comment")
        ("stats-interval", po::value<double>(&opt.stats_interval)->default_value(0), "print a one-line summary every S seconds (0: never)")
        ("control", po::value<std::string>(&opt.control), "Unix socket for `vpcfw ctl` (created mode 0600)")
        ("metrics-port", po::value<int>(&opt.metrics_port)->default_value(0), "serve Prometheus metrics on 127.0.0.1:PORT")
        ("capacity", po::value<size_t>(&opt.capacity)->default_value(1u << 18), "state entries per worker (connections, NAT mappings)")
        ("duration", po::value<double>(&opt.duration)->default_value(0), "stop after S seconds (0: on SIGINT/SIGTERM)")
        ("busy-poll", "never sleep when idle (lowest latency; a full core per worker)");
    if (std::find(args.begin(), args.end(), "--help") != args.end() || std::find(args.begin(), args.end(), "-h") != args.end()) {
        out << desc << "\n";
        return kExitOk;
    }
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(desc).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        err << "vpcfw run: " << e.what() << "\n(see `vpcfw run --help`)\n";
        return kExitUsage;
    }
    opt.busy_poll = vm.count("busy-poll") > 0;
    if (opt.network.empty() || specs.empty()) {
        err << "vpcfw run: --network NET and at least one --port SPEC are required (see `vpcfw run --help`)\n";
        return kExitUsage;
    }
    if (opt.workers < 1 || opt.workers > 64) {
        err << "vpcfw run: --workers must be between 1 and 64\n";
        return kExitUsage;
    }
    if (opt.flow_log_interval != 60 && opt.flow_log_interval != 600) {
        err << "vpcfw run: --flow-log-interval must be 60 or 600 (AWS's aggregation intervals)\n";
        return kExitUsage;
    }
    if (opt.metrics_port < 0 || opt.metrics_port > 65535) {
        err << "vpcfw run: --metrics-port must be between 1 and 65535\n";
        return kExitUsage;
    }
    if (!opt.flow_log_format.empty()) {
        if (auto f = parse_flow_log_format(opt.flow_log_format); !f) {
            err << "vpcfw run: --flow-log-format: " << f.error().message << "\n";
            return kExitUsage;
        }
    }
    for (const auto& s : specs) {
        auto ps = parse_spec(s);
        if (!ps) {
            err << "vpcfw run: " << ps.error().message << "\n";
            return kExitUsage;
        }
        opt.specs.push_back(*ps);
    }
    auto net = load_network(opt.network);
    if (!net) {
        err << "vpcfw run: " << net.error().str() << "\n";
        return kExitUsage;
    }
    for (const auto& w : net->warnings) err << "warning: " << w.file << (w.where.empty() ? "" : ":" + w.where) << ": " << w.message << "\n";
    if (auto topo = build_topology(*net, opt.specs); !topo) {
        err << "vpcfw run: " << topo.error().message << "\n";
        return kExitUsage;
    }
    LiveRun run(std::move(opt), std::move(*net), out, err);
    return run.main(eal);
}

// ---- vpcfw ctl ---------------------------------------------------------------------------

CtlReply ctl_request(const std::string& path, const std::string& request, int timeout_ms) {
    CtlReply r;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        close(fd);
        r.line = path + ": path too long";
        return r;
    }
    std::strcpy(addr.sun_path, path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        r.line = path + ": cannot connect: " + std::strerror(errno) + " (is `vpcfw run --control " + path + "` running?)";
        close(fd);
        return r;
    }
    std::string msg = request + "\n";
    for (size_t off = 0; off < msg.size();) {
        ssize_t n = write(fd, msg.data() + off, msg.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    std::string line;
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0) break;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    r.connected = true;
    while (!line.empty() && line.back() == '\n') line.pop_back();
    r.line = line;
    return r;
}

int cmd_ctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const char* help =
        "vpcfw ctl --control PATH COMMAND [ARGS]\n\n"
        "Talks to a running `vpcfw run --control PATH`:\n"
        "  apply ACTION JSON   an AWS EC2 action with its request parameters, e.g.\n"
        "                      apply RevokeSecurityGroupIngress '{\"GroupId\":\"sg-1\",\"IpPermissions\":[...]}'\n"
        "                      (refused as AWS would: the error code, nothing changes; exit 1)\n"
        "  reload NET          load and publish a new network file or directory\n"
        "  stats               counters as JSON\n"
        "  flows               the workers' recent flows as JSON lines\n"
        "  explain [--from ORIGIN] PACKET\n"
        "                      the live rules' decision for a packet, hop by hop\n"
        "Changes are atomic: compiled off the workers, published with one pointer swap.\n";
    std::string path;
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--help" || args[i] == "-h") {
            out << help;
            return kExitOk;
        }
        if (args[i] == "--control" && i + 1 < args.size()) {
            path = args[++i];
        } else if (args[i].rfind("--control=", 0) == 0) {
            path = args[i].substr(10);
        } else {
            rest.push_back(args[i]);
        }
    }
    if (path.empty() || rest.empty()) {
        err << "vpcfw ctl: usage: vpcfw ctl --control PATH apply ACTION JSON | reload NET | stats | flows | explain PACKET\n";
        return kExitUsage;
    }
    json req;
    const std::string& cmd = rest[0];
    if (cmd == "apply") {
        if (rest.size() != 3) {
            err << "vpcfw ctl: apply ACTION JSON (the parameters as one JSON argument)\n";
            return kExitUsage;
        }
        try {
            req = {{"cmd", "apply"}, {"action", rest[1]}, {"params", json::parse(rest[2])}};
        } catch (const std::exception& e) {
            err << "vpcfw ctl: apply " << rest[1] << ": the parameters are not JSON: " << e.what() << "\n";
            return kExitUsage;
        }
    } else if (cmd == "reload") {
        if (rest.size() != 2) {
            err << "vpcfw ctl: reload NET\n";
            return kExitUsage;
        }
        char* abs = realpath(rest[1].c_str(), nullptr);
        if (!abs) {
            err << "vpcfw ctl: reload: " << rest[1] << ": " << std::strerror(errno) << "\n";
            return kExitUsage;
        }
        req = {{"cmd", "reload"}, {"network", std::string(abs)}};
        free(abs);
    } else if (cmd == "stats" || cmd == "flows") {
        req = {{"cmd", cmd}};
    } else if (cmd == "explain") {
        std::string from = "auto", packet;
        for (size_t i = 1; i < rest.size(); ++i) {
            if (rest[i] == "--from" && i + 1 < rest.size())
                from = rest[++i];
            else
                packet += (packet.empty() ? "" : " ") + rest[i];
        }
        req = {{"cmd", "explain"}, {"packet", packet}, {"from", from}};
    } else {
        err << "vpcfw ctl: unknown command '" << cmd << "' (apply, reload, stats, flows, explain)\n";
        return kExitUsage;
    }
    CtlReply r = ctl_request(path, req.dump());
    if (!r.connected) {
        err << "vpcfw ctl: " << r.line << "\n";
        return kExitRuntime;
    }
    json reply;
    try {
        reply = json::parse(r.line);
    } catch (const std::exception&) {
        err << "vpcfw ctl: no reply from " << path << "\n";
        return kExitRuntime;
    }
    if (!reply.value("ok", false)) {
        std::string code = reply.value("code", "");
        err << "vpcfw ctl: " << cmd << ": " << (code.empty() ? "" : code + ": ") << reply.value("error", "") << "\n";
        return kExitFail;
    }
    if (cmd == "stats") {
        out << reply["stats"].dump(2) << "\n";
    } else if (cmd == "flows") {
        // One JSON object per line: recent flows, then connection-tracking entries, then
        // NAT mappings, each tagged with its kind.
        for (auto f : reply["flows"]) f["kind"] = "flow", out << f.dump() << "\n";
        for (auto c : reply.value("connections", json::array())) c["kind"] = "conntrack", out << c.dump() << "\n";
        for (auto n : reply.value("nat", json::array())) n["kind"] = "nat", out << n.dump() << "\n";
    } else if (cmd == "explain") {
        out << reply["text"].get<std::string>();
        if (!reply["text"].get<std::string>().empty() && reply["text"].get<std::string>().back() != '\n') out << "\n";
    } else {
        out << reply.value("applied", "") << ": ruleset version " << reply["version"] << " live (compile "
            << std::fixed << std::setprecision(1) << reply.value("compile_ms", 0.0) << " ms, publish "
            << reply.value("publish_ms", 0.0) << " ms)\n";
    }
    return kExitOk;
}

} // namespace vpcfw
