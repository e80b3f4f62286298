// Decisions, flow logs and capture of a live run from the workers' records
// (control/live_log.hpp).
#include "control/live_log.hpp"

#include <cmath>

#include "pcap/decision_log.hpp"
#include "pcap/shard.hpp"

namespace vpcfw {

LiveLog::~LiveLog() { close(); }

Status LiveLog::open(const LiveLogOptions& opt, std::shared_ptr<const Network> net, std::vector<std::string> port_labels) {
    port_labels_ = std::move(port_labels);
    if (!opt.decisions.empty()) {
        decisions_.open(opt.decisions);
        if (!decisions_) return make_error(opt.decisions + ": cannot write the decisions file");
    }
    if (!opt.flow_logs.empty()) {
        auto fmt = parse_flow_log_format(opt.flow_log_format.empty() ? kDefaultFlowLogFormat : opt.flow_log_format);
        if (!fmt) return fmt.error();
        flow_log_file_.open(opt.flow_logs);
        if (!flow_log_file_) return make_error(opt.flow_logs + ": cannot write the flow logs");
        flow_log_ = std::make_unique<FlowLogWriter>(std::move(net), *fmt, opt.flow_log_interval, flow_log_file_);
    }
    if (!opt.capture.empty()) {
        if (Status s = capture_.open(opt.capture); !s) return s;
        capturing_ = true;
    }
    return {};
}

void LiveLog::keep_version(uint64_t version, std::shared_ptr<const CompiledRuleset> rs, std::shared_ptr<const Network> net) {
    std::lock_guard<std::mutex> lock(versions_mu_);
    versions_[version] = Version{std::move(rs), std::move(net)};
}

size_t LiveLog::versions_kept() const {
    std::lock_guard<std::mutex> lock(versions_mu_);
    return versions_.size();
}

void LiveLog::write(const LogRecord& r) {
    Version ver;
    {
        std::lock_guard<std::mutex> lock(versions_mu_);
        auto it = versions_.find(r.version);
        if (it != versions_.end()) ver = it->second;
    }
    if (!ver.rs) {
        ++unknown_versions_;
        return;
    }
    const Names& names = ver.rs->names();
    bool ok = r.reason == ParseReason::Ok;
    std::string flow = ok ? to_packet(r.key).flow_str() : std::string();
    uint64_t seq = seq_++;
    int64_t ts_ns = std::llround(r.ts * 1e9);
    Decision d = to_decision(r.verdict, names, flow);
    if (decisions_.is_open()) {
        LiveDecisionFields live{r.version, port_labels_[r.in_port], std::nullopt};
        if (r.out_port >= 0) live.out_port = port_labels_[r.out_port];
        DecisionLineHead head{seq, ts_ns, ok ? std::optional<uint64_t>(flow_id(r.key)) : std::nullopt, &live, ver.net.get()};
        decisions_ << decision_line(head, d) << "\n";
    }
    if (flow_log_ && ok) {
        flow_log_->set_network(ver.net);
        flow_log_->add(seq, r.ts, r.key, r.verdict, names);
    }
    if (capturing_) (void)capture_.write(r.frame, r.caplen, r.wirelen, ts_ns, LinkType::Ethernet, decision_comment(seq, d));
}

void LiveLog::drain(LogQueue& q) {
    for (const LogRecord* r; (r = q.front()) != nullptr; q.pop()) write(*r);
}

void LiveLog::drain_all(const std::vector<LogQueue*>& queues) {
    // Read the mark first: every record of a version below it is already in a queue.
    uint64_t retire = retire_before_.load(std::memory_order_acquire);
    for (LogQueue* q : queues) drain(*q);
    std::lock_guard<std::mutex> lock(versions_mu_);
    versions_.erase(versions_.begin(), versions_.lower_bound(retire));
}

void LiveLog::flush() {
    if (decisions_.is_open()) decisions_.flush();
}

void LiveLog::finish() {
    if (flow_log_) flow_log_->finish();
    if (flow_log_file_.is_open()) flow_log_file_.flush();
}

void LiveLog::close() {
    if (capturing_) (void)capture_.close();
    capturing_ = false;
}

} // namespace vpcfw
