// FlowLogWriter: AWS VPC Flow Logs records (docs/aws-facts.md §13, docs/semantics.md §13) from replay
// verdicts: one record per ENI, direction, flow and action per aggregation interval, in the
// default version-2 format or any `${field}` list of v2-v5 fields (and v8 reject-reason).
// Which ENIs saw a packet comes from the verdict's path and the network model, never from
// engine internals, so both engines give the same records. Main thread only; cold.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/flow_key.hpp"
#include "dataplane/verdict.hpp"
#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

// The record fields vpcfw writes, with the flow-log version that introduced each.
#define VPCFW_FLOW_LOG_FIELDS(X)                                                             \
    X(Version, "version", 2) X(AccountId, "account-id", 2) X(InterfaceId, "interface-id", 2) \
    X(SrcAddr, "srcaddr", 2) X(DstAddr, "dstaddr", 2) X(SrcPort, "srcport", 2)               \
    X(DstPort, "dstport", 2) X(Protocol, "protocol", 2) X(Packets, "packets", 2)             \
    X(Bytes, "bytes", 2) X(Start, "start", 2) X(End, "end", 2) X(Action, "action", 2)        \
    X(LogStatus, "log-status", 2) X(VpcId, "vpc-id", 3) X(SubnetId, "subnet-id", 3)          \
    X(InstanceId, "instance-id", 3) X(TcpFlags, "tcp-flags", 3) X(Type, "type", 3)           \
    X(PktSrcAddr, "pkt-srcaddr", 3) X(PktDstAddr, "pkt-dstaddr", 3) X(Region, "region", 4)   \
    X(AzId, "az-id", 4) X(SublocationType, "sublocation-type", 4)                            \
    X(SublocationId, "sublocation-id", 4) X(PktSrcAwsService, "pkt-src-aws-service", 5)      \
    X(PktDstAwsService, "pkt-dst-aws-service", 5) X(FlowDirection, "flow-direction", 5)      \
    X(TrafficPath, "traffic-path", 5) X(RejectReason, "reject-reason", 8)

enum class FlowLogField : uint8_t {
#define VPCFW_X(id, name, version) id,
    VPCFW_FLOW_LOG_FIELDS(VPCFW_X)
#undef VPCFW_X
};

struct FlowLogFormat {
    std::vector<FlowLogField> fields;
    int version = 2;               // the highest version among the fields (AWS's rule)
    std::string header() const;    // the field names, space separated (S3 files start so)
};

inline constexpr const char* kDefaultFlowLogFormat =
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

// Parses AWS's `${field} ${field} ...` syntax; an error names the unknown token.
Result<FlowLogFormat> parse_flow_log_format(std::string_view text);

class FlowLogWriter {
public:
    // `interval` is the aggregation interval in seconds (AWS: 60 or 600).
    FlowLogWriter(const Network& net, FlowLogFormat format, int interval, std::ostream& out);
    // A live run's: the writer shares the network, and set_network() moves it to the
    // network of a later ruleset version (records already open keep the one they began in).
    FlowLogWriter(std::shared_ptr<const Network> net, FlowLogFormat format, int interval, std::ostream& out);
    void set_network(std::shared_ptr<const Network> net);
    ~FlowLogWriter();

    // One packet in input order: its parsed key (valid only when parsed), wire time, IP
    // bytes and verdict with the symbol table it points into.
    void add(uint64_t seq, double ts, const FlowKey& key, const Verdict& v, const Names& names);
    // Writes every record still open.
    void finish();
    uint64_t records() const { return written_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    uint64_t written_ = 0;
};

} // namespace vpcfw
