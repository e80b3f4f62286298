// The three views' builders, called by build_diagram (diagram/diagram.cpp), and what the
// path view borrows from the layers view: which graph node stands for an AWS id. Cold path.
#pragma once

#include <set>
#include <string>
#include <unordered_map>

#include "diagram/diagram.hpp"

namespace vpcfw {

// The security-group chain (diagram/sg_view.cpp).
Graph build_sg_view(const Network& net, const std::set<Idx>& vpcs);

// The VPC layers (diagram/layers_view.cpp). `node_of` receives, for every AWS id drawn
// (eni-, subnet-, rtb-, nat-, igw-, eigw-, vgw-, pcx-, tgw-, tgw-attach-, vpce-, vpc-) and for
// `internet`, the node that stands for it (collapsed ENIs share one).
struct LayersGraph {
    Graph graph{"layers"};
    std::unordered_map<std::string, std::string> node_of;
};
LayersGraph build_layers_view(const Network& net, const std::set<Idx>& vpcs, const PathCounts* counts);

// The layers view with the hop path of one packet (diagram/path_view.cpp).
Result<Graph> build_path_view(const Network& net, const std::set<Idx>& vpcs, const Packet& packet,
                              const std::string& from);

} // namespace vpcfw
