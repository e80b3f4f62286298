// Decision: what vpcfw says about one packet, with the explanation trace, and the tables of
// the names a decision prints: the drop layers (VPCFW_LAYERS) and the AWS services that are
// never filtered. Produced by the reference evaluator, and by the compiled pipeline through
// its Verdict (dataplane/verdict.hpp); serialised (ruleset/decision.cpp) for decisions files,
// `explain --json` and scenarios. Plain value; cold path (the tables are constexpr).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace vpcfw {

enum class Action : uint8_t { Accept, Drop };

// Drop layers of docs/interface.md, in path order: the one table of layers (enum name, the
// name decisions and counters print). The enum, layer_name(), a worker's drop counters
// (dataplane/counters.hpp), the stats JSON, the Prometheus labels and the summaries all
// come from it: adding a layer is one row.
#define VPCFW_LAYERS(X)                                                                    \
    X(None, "") X(Parse, "parse") X(Origin, "origin") X(SgEgress, "sg-egress")             \
    X(NaclEgress, "nacl-egress") X(Route, "route") X(Nat, "nat") X(Tgw, "tgw")             \
    X(Endpoint, "endpoint") X(NaclIngress, "nacl-ingress") X(SgIngress, "sg-ingress")      \
    X(Conntrack, "conntrack") X(Inspect, "inspect")

enum class Layer : uint8_t {
#define VPCFW_X(id, name) id,
    VPCFW_LAYERS(VPCFW_X)
#undef VPCFW_X
};

inline constexpr const char* kLayerNames[] = {
#define VPCFW_X(id, name) name,
    VPCFW_LAYERS(VPCFW_X)
#undef VPCFW_X
};
inline constexpr size_t kLayerCount = std::size(kLayerNames);

inline const char* layer_name(Layer l) {  // "sg-egress", ...; "" for None
    return static_cast<size_t>(l) < kLayerCount ? kLayerNames[static_cast<size_t>(l)] : "";
}
const char* action_name(Action a);  // "ACCEPT" / "DROP"

// AWS services that are never filtered (docs/semantics.md §9): the `to` of a packet one of them
// answers (docs/decisions.md). One table for both evaluators and the flow logs.
enum class Service : uint8_t { None, AmazonDns, Metadata, TimeSync, Dhcp, VpcRouter };
inline constexpr const char* kServiceNames[] = {"", "amazon-dns", "instance-metadata", "time-sync", "dhcp",
                                                "vpc-router"};
inline const char* service_name(Service s) { return kServiceNames[static_cast<size_t>(s)]; }
// True for the name of a Service (not None).
inline bool is_service_name(std::string_view name) {
    for (size_t i = 1; i < std::size(kServiceNames); ++i)
        if (name == kServiceNames[i]) return true;
    return false;
}

// One line of the explanation: a hop or a layer passed (or the one that stopped it).
struct TraceStep {
    std::string hop;                 // where: "eni-0a1", "subnet-..", "igw-..", "tgw-rtb-.."
    std::string layer;               // "sg-egress", "route", "nacl-ingress", "igw-nat", ...
    std::string verdict;             // "allow", "deny", "state", "route", "translate", ...
    std::string rule;                // the deciding rule, when one decided
    std::string detail;              // why; for a stop, why the other rules did not match
};

struct Decision {
    Action action = Action::Drop;
    Layer layer = Layer::None;       // DROP only
    std::string reason;              // named reason for a drop or an unusual accept
    std::string rule;                // deciding rule (docs/interface.md forms)
    std::string from;                // origin id: eni-.., internet, tgw-attach-.., vgw-.., pcx-..
    std::string origin;              // how the origin was found: given | mac | ip | seen-at:eni-..
    std::string to;                  // ACCEPT: final destination
    std::string flow;                // "tcp 10.0.1.10:40000 -> 10.0.2.20:443"
    std::string nat;                 // translated address:port where a gateway rewrote it
    bool tracked = false;            // a tracked SG flow at some ENI on the path
    std::vector<std::string> path;   // compact hop list for JSON
    // The SG rule that admitted the packet at each SG passed by its rules (not by state), in
    // path order (`sg-ID:ingress:tcp/443:0.0.0.0/0`): counted as rule hits by replay; not in
    // the decision JSON (the path names the groups).
    std::vector<std::string> sg_rules;
    std::vector<TraceStep> trace;    // the explanation, one step per hop/layer
    std::vector<std::string> choices;// CHOICE settings the decision rested on
    std::vector<std::string> notes;  // extra facts (e.g. "nat-gateway answers with RST")
    // Inspection (docs/inspection.md §6, §10.1): the rule references that alerted on it.
    std::vector<std::string> alerts;
};

} // namespace vpcfw
