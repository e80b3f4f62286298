// LiveLog: the decision outputs of a live run (`vpcfw run --decisions / --flow-logs /
// --capture`), fed with the records the workers leave in their log queues. Each record is
// rendered by the same writer as replay's (pcap/decision_log.hpp): the decisions line with
// the live-only fields (version, port, out_port) and the capture comment; flow logs go
// through pcap/flow_logs.hpp. It keeps every published ruleset version (their Names name
// the records' symbols). Main thread only, except keep_version (any thread). Cold.
#pragma once

#include <cstdint>
#include <fstream>
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

    // Opens the outputs `opt` names. `net` is the live model the flow logs read names from
    // (it must outlive this); `port_labels` name the ports of LogRecord::in_port/out_port.
    Status open(const LiveLogOptions& opt, const Network& net, std::vector<std::string> port_labels);
    // Keeps a published version for the records it judged. Any thread.
    void keep_version(uint64_t version, std::shared_ptr<const CompiledRuleset> rs);

    // Writes one record, numbered in the order written (records of an unknown version are
    // skipped, unnumbered).
    void write(const LogRecord& r);
    // Writes and releases every record in `q`.
    void drain(LogQueue& q);
    // Flushes the decisions file.
    void flush();
    // Writes the flow-log records still open (at the end of the run).
    void finish();
    // Closes the capture (also done by the destructor).
    void close();

private:
    std::vector<std::string> port_labels_;
    std::mutex versions_mu_;
    std::map<uint64_t, std::shared_ptr<const CompiledRuleset>> versions_;
    std::ofstream decisions_, flow_log_file_;
    std::unique_ptr<FlowLogWriter> flow_log_;
    PcapngWriter capture_;
    bool capturing_ = false;
    uint64_t seq_ = 0;
};

} // namespace vpcfw
