// Pictures of a loaded network (`vpcfw diagram`, the replay report): the request, the three
// views and what they share — which VPCs are in scope, how an object is named on the page
// (Name tag beside the id), which subnets are public (docs/aws-facts.md §3: a route to an
// internet gateway). Each view builds a Graph (diagram/graph.hpp); Graphviz lays it out.
// Cold path; reads the model only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "diagram/graph.hpp"
#include "ruleset/model.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

enum class DiagramView : unsigned char { Sg, Layers, Path };

// "sg" | "layers" | "path"; an unknown name is an Input error.
Result<DiagramView> diagram_view(const std::string& name);

// A graph larger than this many ENI nodes per subnet, or groups in the sg view, is
// shortened (and its label says how).
inline constexpr size_t kMaxEniNodesPerSubnet = 8;    // then "N more ENIs" nodes
inline constexpr size_t kCollapseIdenticalEnis = 3;   // identical ENIs (subnet, type, groups): one node from this many up
inline constexpr size_t kLargeSgGraph = 60;           // groups; then isolated groups are listed, not drawn
inline constexpr size_t kMaxSgGroupsDrawn = 250;      // groups drawn at most (layout time grows fast beyond)

// Packet counts laid over the layers view (the replay report): per AWS id on a decision's
// path (eni-, rtb-, nat-, igw-, pcx-, tgw-, vpce-, internet), and per pair of consecutive
// ids.
struct PathCounts {
    std::map<std::string, uint64_t> hops;
    std::map<std::pair<std::string, std::string>, uint64_t> steps;
};

struct DiagramRequest {
    DiagramView view = DiagramView::Layers;
    std::vector<std::string> vpcs;         // empty: every VPC
    std::optional<Packet> packet;          // path view
    std::string from = "auto";             // path view: origin of the packet
    const PathCounts* counts = nullptr;    // layers view: packet counts to show
};

// Builds the graph of a view. Input errors: an unknown VPC id, a path view without a
// packet, an origin that is not one.
Result<Graph> build_diagram(const Network& net, const DiagramRequest& req);

// ---- shared by the views (diagram/diagram.cpp) -----------------------------------------

// The VPC indexes in scope (all when `ids` is empty), or an Input error naming the first
// unknown id.
Result<std::set<Idx>> vpcs_in_scope(const Network& net, const std::vector<std::string>& ids);

// "name (id)" or "id" when there is no Name tag; names are shortened to 40 characters.
std::string titled(const std::string& name, const std::string& id);

// Whether a subnet's route table (explicit, else the VPC's main table) routes to an internet
// gateway (docs/aws-facts.md §3).
bool is_public_subnet(const Network& net, Idx subnet);

// Text safe for a Graphviz label: ends at `max` characters with "…".
std::string shorten(const std::string& s, size_t max);

} // namespace vpcfw
