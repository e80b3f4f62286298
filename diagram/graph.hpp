// Graph: a directed Graphviz graph built with the cgraph API and rendered by libgvc (dot
// layout) as SVG, PNG or DOT. The one place vpcfw talks to Graphviz: the views
// (diagram/*_view.cpp) add nodes, clusters and edges by name; Graphviz lays them out and
// writes every output byte (vpcfw never writes SVG itself). Cold path; one thread per Graph.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ruleset/status.hpp"

struct Agraph_s;
struct Agnode_s;

namespace vpcfw {

enum class DiagramFormat : unsigned char { Svg, Png, Dot };

// The format a file name asks for: `.svg`, `.png`, `.dot`, or `-` (DOT on stdout).
Result<DiagramFormat> format_for_path(const std::string& path);

using Attrs = std::map<std::string, std::string>;

class Graph {
public:
    explicit Graph(const std::string& name);
    ~Graph();
    Graph(Graph&&) noexcept;
    Graph& operator=(Graph&&) noexcept;
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;

    // Attributes of the graph itself (label, rankdir, ...).
    void set(const std::string& attr, const std::string& value);

    // A cluster (drawn as a box around its nodes) named `name` inside `parent` (empty: the
    // root graph); created on first use, so a second call returns the same cluster.
    void cluster(const std::string& name, const std::string& parent, const Attrs& attrs);
    void set_cluster(const std::string& name, const std::string& attr, const std::string& value);

    // A node named `name` in `cluster` (empty: the root graph). Adding an existing node
    // updates its attributes and leaves its cluster as it was.
    void node(const std::string& name, const std::string& cluster, const Attrs& attrs);
    bool has_node(const std::string& name) const;
    void set_node(const std::string& name, const std::string& attr, const std::string& value);

    // A new edge between two existing nodes (several may join the same pair).
    void edge(const std::string& tail, const std::string& head, const Attrs& attrs);

    size_t node_count() const { return nodes_.size(); }
    size_t edge_count() const { return edges_; }

    // Lays the graph out with dot and renders it (DOT: the graph as Graphviz writes it,
    // as cgraph's agwrite prints it, without layout). Errors are ErrorKind::Runtime.
    Result<std::string> render(DiagramFormat format);

private:
    Agraph_s* root_ = nullptr;
    std::map<std::string, Agraph_s*> clusters_;
    std::map<std::string, Agnode_s*> nodes_;
    size_t edges_ = 0;
};

} // namespace vpcfw
