// The live run's lifecycle (control/live_run.hpp).
#include "control/live_run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "control/compiler.hpp"
#include "control/control_socket.hpp"
#include "control/eal.hpp"
#include "control/live_stats.hpp"
#include "dataplane/pipeline.hpp"
#include "dataplane/ports.hpp"
#include "dataplane/ruleset_slot.hpp"
#include "dataplane/worker.hpp"
#include "pcap/shard.hpp"
#include "ruleset/actions.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/reference.hpp"

using nlohmann::json;

namespace vpcfw {

namespace {

std::atomic<bool> g_signalled{false};
extern "C" void on_signal(int) { g_signalled.store(true); }

// The sharder of the published version: publish() swaps it before the ruleset, and frees
// the old one only after every worker has passed a quiescent state (RulesetSlot::publish),
// so a worker never reads a freed one and both directions of a flow keep meeting on one
// worker after an apply that adds an address (an Elastic IP, an ENI).
struct SharderSlot {
    std::atomic<const FlowSharder*> current{nullptr};
};

unsigned shard_by_sharder(const void* ctx, const FlowKey& key, unsigned n) {
    return static_cast<const SharderSlot*>(ctx)->current.load(std::memory_order_acquire)->worker_of(key, n);
}

class LiveRun;
LiveRun* g_live = nullptr;   // for the telemetry callbacks, which take no context

class LiveRun final : public LiveControl {
public:
    LiveRun(RunOptions opt, Network net, std::ostream& out, std::ostream& err)
        : opt_(std::move(opt)), net_(std::make_shared<const Network>(std::move(net))), out_(out), log_msgs_(err, opt_.log_format) {}

    int main(const std::vector<std::string>& eal_given);

    // LiveControl (the control thread)
    json stats() override { return stats_json(counters()); }
    Result<Published> apply(const std::string& action, const json& params) override;
    Result<Published> reload(const std::string& path) override;
    json flows() override;
    Decision explain(const Packet& packet, const std::string& from) override;

private:
    Status setup(const std::vector<std::string>& eal_given);
    void launch_workers();
    void teardown();
    LiveCounters counters();
    void drain_logs();
    Result<Published> publish(std::shared_ptr<const Network> next, std::string what);
    static int telemetry_stats(const char*, const char*, rte_tel_data* d);

    RunOptions opt_;
    // The live model (control thread; under model_mu_). Immutable once published: publish()
    // replaces the pointer, and the log keeps each version's own (LiveLog::keep_version).
    std::shared_ptr<const Network> net_;
    std::mutex model_mu_;
    std::ostream& out_;
    RunLog log_msgs_;                      // operational messages (stderr), text or JSON lines
    Settings settings_;

    rte_mempool* pool_ = nullptr;
    std::vector<PortInfo> ports_;
    Topology topo_;
    std::unique_ptr<FlowSharder> sharder_;   // the one sharder_slot_ points to
    SharderSlot sharder_slot_;
    std::unique_ptr<RulesetSlot> slot_;
    WorkerShared shared_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::thread> threads_;
    bool lcores_launched_ = false;
    uint64_t version_ = 0;
    std::atomic<uint64_t> publishes_{0};

    LiveLog log_;                          // decisions, flow logs, capture (drained on the main thread)
    ControlSocket control_socket_;
    MetricsEndpoint metrics_endpoint_;
    std::thread control_, metrics_;
    std::atomic<bool> stopping_{false};
    double started_ = 0;
    EalRuntime eal_rt_;                    // the EAL's runtime directory, prefix, telemetry socket
    bool own_runtime_dir_ = false;         // we chose the prefix (vpcfw-PID): removed at exit
};

Status LiveRun::setup(const std::vector<std::string>& eal_given) {
    auto topo = build_topology(*net_, opt_.specs);
    if (!topo) return topo.error();
    topo_ = std::move(*topo);

    std::vector<std::string> eal = eal_given;
    if (eal.empty()) {
        std::vector<std::string> pci;
        for (const auto& s : opt_.specs)
            if (is_pci_address(s.devargs)) pci.push_back(s.devargs);
        std::ostringstream notes;
        eal = run_eal_args(pci, notes);
        std::istringstream lines(notes.str());
        for (std::string line; std::getline(lines, line);)
            log_msgs_.warning(line.rfind("vpcfw run: ", 0) == 0 ? line.substr(11) : line);
    }
    if (Status s = ensure_eal(eal); !s) return s;
    eal_rt_ = eal_runtime();
    own_runtime_dir_ = eal_given.empty();
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

    auto rs = compile_ruleset(*net_, settings_, {.version = ++version_});
    if (!rs) return rs.error();
    slot_ = std::make_unique<RulesetSlot>(opt_.workers);
    std::vector<std::string> labels;
    for (const auto& p : topo_.ports) labels.push_back(p.label);
    bool logging = opt_.log.any();
    if (logging) log_.keep_version(version_, *rs, net_);
    slot_->publish(std::move(*rs));

    sharder_ = std::make_unique<FlowSharder>(*net_);
    sharder_slot_.current.store(sharder_.get(), std::memory_order_release);
    shared_.topology = &topo_;
    shared_.slot = slot_.get();
    shared_.pool = pool_;
    shared_.workers = opt_.workers;
    shared_.shard = shard_by_sharder;
    shared_.shard_ctx = &sharder_slot_;
    shared_.settings = settings_;
    // --capacity is the connection table's total: each worker holds its share of it, so the
    // table's size does not grow with the worker count (docs/run.md).
    shared_.capacity = std::max<size_t>(1, (opt_.capacity + opt_.workers - 1) / std::max(1u, opt_.workers));
    shared_.settings.conntrack_table_capacity = shared_.capacity;
    shared_.settings.conntrack_capacity_per_eni =
        std::max<size_t>(1, (settings_.conntrack_capacity_per_eni + opt_.workers - 1) / std::max(1u, opt_.workers));
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

    if (Status s = log_.open(opt_.log, net_, std::move(labels)); !s) return s;
    if (!opt_.control.empty())
        if (Status s = control_socket_.listen(opt_.control, opt_.control_limits); !s) return s;
    if (opt_.metrics_port > 0)
        if (Status s = metrics_endpoint_.listen(opt_.metrics_port); !s) return s;
    g_live = this;
    // Telemetry is optional (the EAL may run with --no-telemetry): registration is cheap
    // either way, and a second registration in the same process is refused harmlessly.
    rte_telemetry_register_cmd("/vpcfw/stats", telemetry_stats, "vpcfw run counters, summed over workers");
    return {};
}

int LiveRun::telemetry_stats(const char*, const char*, rte_tel_data* d) {
    if (!g_live) return -1;
    json j = g_live->stats();
    rte_tel_data_start_dict(d);
    for (auto& [k, v] : j.items())
        if (v.is_number_unsigned()) rte_tel_data_add_dict_u64(d, k.c_str(), v.get<uint64_t>());
    return 0;
}

LiveCounters LiveRun::counters() {
    LiveCounters c;
    for (const auto& w : workers_) {
        c.pipeline.add(w->pipeline_counters());
        c.worker.add(w->counters());
    }
    c.ruleset_version = slot_ && slot_->current() ? slot_->current()->version() : 0;
    c.publishes = publishes_.load();
    c.workers = opt_.workers;
    for (size_t p = 0; p < ports_.size(); ++p) {
        rte_eth_stats st{};
        rte_eth_stats_get(ports_[p].id, &st);
        c.ports.push_back({topo_.ports[p].label, st.ipackets, st.opackets, st.imissed, st.ierrors, st.oerrors,
                           shared_.learned[p]->size()});
    }
    return c;
}

// ---- live changes (the control thread) ------------------------------------------------------

Result<Published> LiveRun::publish(std::shared_ptr<const Network> next, std::string what) {
    Published p;
    p.applied = std::move(what);
    auto t0 = std::chrono::steady_clock::now();
    auto rs = compile_ruleset(*next, settings_, {.version = version_ + 1});
    if (!rs) return make_error(rs.error().message);
    p.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ++version_;
    if (shared_.log) log_.keep_version(version_, *rs, next);
    // The flow sharder of the new model first (addresses it owns may have changed), then the
    // ruleset; after publish() returns no worker reads the old sharder.
    auto sharder = std::make_unique<FlowSharder>(*next);
    sharder_slot_.current.store(sharder.get(), std::memory_order_release);
    p.publish_ms = slot_->publish(std::move(*rs)).swap_to_quiescent_ms;
    sharder_ = std::move(sharder);
    // Every worker now runs this version: older ones are freed once their records are written.
    if (shared_.log) log_.retire_before(version_);
    net_ = std::move(next);
    ++publishes_;
    p.version = version_;
    log_msgs_.info("published ruleset version " + std::to_string(version_) + " (" + p.applied + ")",
                   {{"ruleset_version", version_}, {"change", p.applied}, {"compile_ms", p.compile_ms}, {"publish_ms", p.publish_ms}});
    return p;
}

Result<Published> LiveRun::apply(const std::string& action, const json& params) {
    std::lock_guard<std::mutex> lock(model_mu_);
    Network next = *net_;
    auto eff = apply_action(next, action, params);
    if (!eff) return make_error(eff.error().message, eff.error().code);
    return publish(std::make_shared<const Network>(std::move(next)), action);
}

Result<Published> LiveRun::reload(const std::string& path) {
    std::lock_guard<std::mutex> lock(model_mu_);
    auto loaded = load_network(path);
    if (!loaded) return make_error(loaded.error().str());
    // Ports were laid out for the first network: the subnets behind them must stay.
    if (Status s = check_attachments(*loaded, opt_.specs); !s) return s.error();
    if (loaded->enis.size() != net_->enis.size())
        log_msgs_.warning("reload: the ENI set changed; ports keep the ENI layout of the first network");
    return publish(std::make_shared<const Network>(std::move(*loaded)), "reload");
}

json LiveRun::flows() {
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
            if (e.to_eni != Verdict::kNoEni && e.to_eni < net_->enis.size()) f["to"] = net_->enis[e.to_eni].id;
            flows.push_back(f);
        }
        // The connection-tracking table itself (per ENI, §4) and the NAT mappings.
        auto ep = [](const IpAddr& a, uint16_t port) {
            return (a.is_v4() ? a.str() : "[" + a.str() + "]") + ":" + std::to_string(port);
        };
        for (const auto& c : w->snapshot_connections()) {
            json j = {{"worker", w->id()}, {"eni", c.eni < net_->enis.size() ? net_->enis[c.eni].id : "?"},
                      {"proto", c.proto}, {"local", ep(c.local, c.lport)}, {"remote", ep(c.remote, c.rport)},
                      {"opened", c.opened_by_local ? "outbound" : "inbound"}, {"established", c.established},
                      {"packets_out", c.pkts_out}, {"packets_in", c.pkts_in}, {"last_seen", c.last_seen},
                      {"expires", c.expires}};
            conns.push_back(j);
        }
        for (const auto& n : w->snapshot_nat()) {
            json j = {{"worker", w->id()}, {"nat", n.nat < net_->nat_gateways.size() ? net_->nat_gateways[n.nat].id : "?"},
                      {"proto", n.proto}, {"inside", ep(n.inside, n.inside_port)}, {"outside", ep(n.nat_ip, n.nat_port)},
                      {"remote", ep(n.remote, n.rport)}, {"last_seen", n.last_seen}};
            nats.push_back(j);
        }
    }
    return json{{"flows", flows}, {"connections", conns}, {"nat", nats}};
}

// The rules' answer (the reference evaluator on the live model), then what the worker that
// owns the flow holds for it now: its connection-tracking entries (docs/semantics.md §4) and NAT
// mappings (§7), with the seconds each has left, as notes.
Decision LiveRun::explain(const Packet& packet, const std::string& from) {
    std::lock_guard<std::mutex> lock(model_mu_);
    ReferenceEvaluator ref(*net_, settings_);
    double now = wall_seconds();
    Decision d = ref.evaluate(packet, from, now);
    if (workers_.empty()) return d;
    FlowKey key = parsed_from_packet(packet, OriginSpec{}, now).key;
    const FlowSharder* sharder = sharder_slot_.current.load(std::memory_order_acquire);
    unsigned w = sharder->worker_of(key, opt_.workers);
    std::vector<FlowEntry> entries;
    if (w >= workers_.size() || !workers_[w]->snapshot_flows(entries)) return d;
    uint16_t sp = packet.has_ports() ? packet.sport : packet.icmp_id, dp = packet.has_ports() ? packet.dport : packet.icmp_id;
    // Addresses compared in the network's own form (a public or Elastic IP as its private
    // address), as the tables hold them.
    auto canon = [&](const IpAddr& a) {
        bool owned = false;
        return sharder->canonical(a, owned);
    };
    IpAddr src = canon(packet.src), dst = canon(packet.dst);
    auto ends = [&](const IpAddr& a0, uint16_t ap, const IpAddr& b0, uint16_t bp) {
        IpAddr a = canon(a0), b = canon(b0);
        bool icmp = packet.is_icmp();   // ICMP entries keep the identifier on one side only
        auto port = [&](uint16_t x, uint16_t y) { return icmp || x == y; };
        return (a == src && b == dst && port(ap, sp) && port(bp, dp)) || (a == dst && b == src && port(ap, dp) && port(bp, sp));
    };
    auto left = [&](double t) { return std::to_string(static_cast<long long>(std::max(0.0, t - now))) + " s left"; };
    std::string wid = "live (worker " + std::to_string(w) + "): ";
    size_t found = 0;
    for (const auto& c : workers_[w]->snapshot_connections())
        if (c.proto == packet.proto && ends(c.local, c.lport, c.remote, c.rport) && found++ < 8)
            d.notes.push_back(wid + "tracked at " + (c.eni < net_->enis.size() ? net_->enis[c.eni].id : "?") + ", opened " +
                              (c.opened_by_local ? "outbound" : "inbound") + (c.established ? ", established" : "") + ", " +
                              left(c.expires));
    for (const auto& n : workers_[w]->snapshot_nat())
        if (n.proto == packet.proto && (ends(n.inside, n.inside_port, n.remote, n.rport) || ends(n.nat_ip, n.nat_port, n.remote, n.rport)) &&
            found++ < 8)
            d.notes.push_back(wid + "NAT " + (n.nat < net_->nat_gateways.size() ? net_->nat_gateways[n.nat].id : "?") + " maps " +
                              n.inside.str() + ":" + std::to_string(n.inside_port) + " to " + n.nat_ip.str() + ":" +
                              std::to_string(n.nat_port) + ", idle " +
                              std::to_string(static_cast<long long>(std::max(0.0, now - n.last_seen))) + " s");
    if (found == 0) d.notes.push_back(wid + "no tracked connection or NAT mapping for this flow");
    return d;
}

// ---- running -------------------------------------------------------------------------------

void LiveRun::drain_logs() {
    if (!shared_.log) return;
    std::vector<LogQueue*> queues;
    for (const auto& w : workers_) queues.push_back(w->log());
    log_.drain_all(queues);
    log_.flush();
}

void LiveRun::launch_workers() {
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
}

int LiveRun::main(const std::vector<std::string>& eal_given) {
    if (Status s = setup(eal_given); !s) {
        log_msgs_.error(s.error().str());
        teardown();
        return kExitRuntime;
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // A client that leaves before its reply (control socket, metrics, a log reader) must
    // not end the run: writes to it fail with EPIPE instead.
    struct sigaction ignore{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, nullptr);

    launch_workers();
    if (control_socket_.is_open()) control_ = std::thread([this] { control_socket_.serve(*this, stopping_); });
    if (metrics_endpoint_.is_open())
        metrics_ = std::thread([this] { metrics_endpoint_.serve([this] { return prometheus_text(counters()); }, stopping_); });

    if (!eal_rt_.dir.empty()) {
        std::string msg = "EAL file prefix " + eal_rt_.prefix + ", runtime directory " + eal_rt_.dir +
                          (own_runtime_dir_ ? " (removed at exit)" : "") + "; telemetry ";
        msg += eal_rt_.telemetry_socket.empty() ? "off"
                                                : "socket " + eal_rt_.telemetry_socket + " (dpdk-telemetry.py -f " + eal_rt_.prefix + ")";
        log_msgs_.info(msg, {{"prefix", eal_rt_.prefix}, {"runtime_dir", eal_rt_.dir}, {"telemetry_socket", eal_rt_.telemetry_socket}});
    }
    std::ostringstream start;
    json port_list = json::array();
    start << opt_.workers << " worker(s), " << ports_.size() << " port(s)";
    for (size_t p = 0; p < ports_.size(); ++p) {
        start << (p ? ", " : ": ") << topo_.ports[p].label << " [" << ports_[p].driver << "]";
        port_list.push_back({{"port", topo_.ports[p].label}, {"driver", ports_[p].driver}});
    }
    if (!opt_.control.empty()) start << "; control " << opt_.control;
    if (opt_.metrics_port) start << "; metrics http://127.0.0.1:" << opt_.metrics_port << "/metrics";
    start << "; ruleset version " << version_;
    log_msgs_.info(start.str(), {{"workers", opt_.workers}, {"ports", port_list}, {"control", opt_.control},
                                 {"metrics_port", opt_.metrics_port}, {"ruleset_version", version_}});

    started_ = wall_seconds();
    double next_stats = started_ + opt_.stats_interval;
    while (!g_signalled.load()) {
        drain_logs();
        double now = wall_seconds();
        if (opt_.duration > 0 && now - started_ >= opt_.duration) break;
        if (opt_.stats_interval > 0 && now >= next_stats) {
            LiveCounters c = counters();
            log_msgs_.stats(stats_line(c, now - started_), stats_json(c));
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
    log_.finish();
    out_ << stop_summary(counters(), elapsed);
    teardown();
    return kExitOk;
}

void LiveRun::teardown() {
    g_live = nullptr;
    log_.close();
    control_socket_.close();
    metrics_endpoint_.close();
    for (const auto& p : ports_) close_port(p);
    ports_.clear();
    workers_.clear();
    for (rte_ring* r : shared_.inbound) rte_ring_free(r);
    shared_.inbound.clear();
    slot_.reset();
    if (pool_) rte_mempool_free(pool_);
    pool_ = nullptr;
    if (own_runtime_dir_) remove_eal_runtime_dir(eal_rt_.dir);
    own_runtime_dir_ = false;
}

} // namespace

int run_live(RunOptions opt, Network net, const std::vector<std::string>& eal, std::ostream& out, std::ostream& err) {
    LiveRun run(std::move(opt), std::move(net), out, err);
    return run.main(eal);
}

} // namespace vpcfw
