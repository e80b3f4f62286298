// LiveLog: the decision outputs of a live run (`vpcfw run --decisions / --flow-logs /
// --capture`), fed with the records the workers leave in their log queues. Each record is
// rendered by the same writer as replay's (pcap/decision_log.hpp): the decisions line with
// the live-only fields (version, port, out_port) and the capture comment; flow logs go
// through pcap/flow_logs.hpp. It keeps each published ruleset version (its Names name the
// records' symbols) with the network it was compiled from (the flow logs read ENIs,
// subnets and VPCs from the record's own version, never from the live model that a change
// replaces), until retire_before() says no worker can make a record of it any more and
// every record already made has been written. Main thread only, except keep_version and
// retire_before (the control thread). Cold.
#pragma once

#include <cstdint>
#include <fstream>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/compiled.hpp"
#include "dataplane/log_queue.hpp"
#include "pcap/flow_logs.hpp"
#include "pcap/writer.hpp"
#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

struct LiveLogOptions {
    std::string decisions, flow_logs, flow_log_format, capture;   // empty: not written
    int flow_log_interval = 60;
    bool any() const { return !decisions.empty() || !flow_logs.empty() || !capture.empty(); }
};

class LiveLog {
public:
    LiveLog() = default;
    ~LiveLog();
    LiveLog(const LiveLog&) = delete;
    LiveLog& operator=(const LiveLog&) = delete;

    // Opens the outputs `opt` names. `net` is the first version's network; `port_labels`
    // name the ports of LogRecord::in_port/out_port.
    Status open(const LiveLogOptions& opt, std::shared_ptr<const Network> net, std::vector<std::string> port_labels);
    // Keeps a published version, and the network it was compiled from, for the records it
    // judges. Control thread.
    void keep_version(uint64_t version, std::shared_ptr<const CompiledRuleset> rs, std::shared_ptr<const Network> net);
    // Every worker has passed version `v` (RulesetSlot::publish returned): records of older
    // versions are all in the queues, and the next drain_all() frees those versions after
    // writing them. Control thread.
    void retire_before(uint64_t v) { retire_before_.store(v, std::memory_order_release); }

    // Writes one record, numbered in the order written. A record of an unknown version (a
    // defect: versions are freed only once drained) is counted in unknown_versions().
    void write(const LogRecord& r);
    // Writes and releases every record in `q`.
    void drain(LogQueue& q);
    // Writes every record in `queues`, then frees the versions retired before the drain.
    void drain_all(const std::vector<LogQueue*>& queues);
    size_t versions_kept() const;
    uint64_t unknown_versions() const { return unknown_versions_; }
    // Flushes the decisions file.
    void flush();
    // Writes the flow-log records still open (at the end of the run).
    void finish();
    // Closes the capture (also done by the destructor).
    void close();

private:
    std::vector<std::string> port_labels_;
    struct Version {
        std::shared_ptr<const CompiledRuleset> rs;
        std::shared_ptr<const Network> net;
    };
    mutable std::mutex versions_mu_;
    std::map<uint64_t, Version> versions_;
    std::atomic<uint64_t> retire_before_{0};
    uint64_t unknown_versions_ = 0;
    std::ofstream decisions_, flow_log_file_;
    std::unique_ptr<FlowLogWriter> flow_log_;
    PcapngWriter capture_;
    bool capturing_ = false;
    uint64_t seq_ = 0;
};

} // namespace vpcfw
