// Graph (diagram/graph.hpp): cgraph objects named by the views, libgvc's dot layout and
// renderers. Graphviz's C API takes `char*`; every string is copied into a local buffer
// before it is handed over.
#include "diagram/graph.hpp"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace vpcfw {

namespace {

std::vector<char> cstr(const std::string& s) { return std::vector<char>(s.c_str(), s.c_str() + s.size() + 1); }

void set_attr(void* obj, const std::string& attr, const std::string& value) {
    auto a = cstr(attr), v = cstr(value), d = cstr("");
    agsafeset(obj, a.data(), v.data(), d.data());
}

} // namespace

Result<DiagramFormat> format_for_path(const std::string& path) {
    auto ends = [&](const char* ext) {
        std::string e(ext);
        return path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
    };
    if (path == "-" || ends(".dot") || ends(".gv")) return DiagramFormat::Dot;
    if (ends(".svg")) return DiagramFormat::Svg;
    if (ends(".png")) return DiagramFormat::Png;
    return make_error("--out must end in .svg, .png or .dot (or be - for DOT on stdout), not '" + path + "'");
}

Graph::Graph(const std::string& name) {
    agseterr(AGMAX);  // Graphviz prints nothing itself; failures come back as Errors
    auto n = cstr(name);
    root_ = agopen(n.data(), Agdirected, nullptr);
}

Graph::~Graph() {
    if (root_) agclose(root_);
}

Graph::Graph(Graph&& o) noexcept
    : root_(o.root_), clusters_(std::move(o.clusters_)), nodes_(std::move(o.nodes_)), edges_(o.edges_) {
    o.root_ = nullptr;
}

Graph& Graph::operator=(Graph&& o) noexcept {
    if (this != &o) {
        if (root_) agclose(root_);
        root_ = o.root_;
        clusters_ = std::move(o.clusters_);
        nodes_ = std::move(o.nodes_);
        edges_ = o.edges_;
        o.root_ = nullptr;
    }
    return *this;
}

void Graph::set(const std::string& attr, const std::string& value) { set_attr(root_, attr, value); }

void Graph::cluster(const std::string& name, const std::string& parent, const Attrs& attrs) {
    auto it = clusters_.find(name);
    Agraph_t* sg = nullptr;
    if (it != clusters_.end()) {
        sg = it->second;
    } else {
        Agraph_t* p = root_;
        if (!parent.empty()) {
            auto pit = clusters_.find(parent);
            if (pit != clusters_.end()) p = pit->second;
        }
        auto n = cstr(name.rfind("cluster", 0) == 0 ? name : "cluster_" + name);
        sg = agsubg(p, n.data(), 1);
        clusters_[name] = sg;
    }
    for (const auto& [k, v] : attrs) set_attr(sg, k, v);
}

void Graph::set_cluster(const std::string& name, const std::string& attr, const std::string& value) {
    auto it = clusters_.find(name);
    if (it != clusters_.end()) set_attr(it->second, attr, value);
}

void Graph::node(const std::string& name, const std::string& cluster, const Attrs& attrs) {
    Agnode_t* n = nullptr;
    auto it = nodes_.find(name);
    if (it != nodes_.end()) {
        n = it->second;
    } else {
        Agraph_t* g = root_;
        if (!cluster.empty()) {
            auto cit = clusters_.find(cluster);
            if (cit != clusters_.end()) g = cit->second;
        }
        auto nm = cstr(name);
        n = agnode(g, nm.data(), 1);
        nodes_[name] = n;
    }
    for (const auto& [k, v] : attrs) set_attr(n, k, v);
}

bool Graph::has_node(const std::string& name) const { return nodes_.count(name) > 0; }

void Graph::set_node(const std::string& name, const std::string& attr, const std::string& value) {
    auto it = nodes_.find(name);
    if (it != nodes_.end()) set_attr(it->second, attr, value);
}

void Graph::edge(const std::string& tail, const std::string& head, const Attrs& attrs) {
    auto t = nodes_.find(tail), h = nodes_.find(head);
    if (t == nodes_.end() || h == nodes_.end()) return;
    Agedge_t* e = agedge(root_, t->second, h->second, nullptr, 1);
    if (!e) return;
    ++edges_;
    for (const auto& [k, v] : attrs) set_attr(e, k, v);
}

Result<std::string> Graph::render(DiagramFormat format) {
    GVC_t* gvc = gvContext();
    if (!gvc) return Error{"Graphviz: cannot create a rendering context", "", "", "", ErrorKind::Runtime};
    std::string out;
    char* data = nullptr;
    unsigned int len = 0;
    int rc = 0;
    if (format == DiagramFormat::Dot) {
        // agwrite: the graph as cgraph writes it, without a layout (canon needs one).
        size_t size = 0;
        FILE* mem = open_memstream(&data, &size);
        rc = mem ? agwrite(root_, mem) : -1;
        if (mem) std::fclose(mem);
        if (rc == 0 && data) out.assign(data, size);
        std::free(data);
        data = nullptr;
    } else {
        rc = gvLayout(gvc, root_, "dot");
        if (rc == 0) {
            rc = gvRenderData(gvc, root_, format == DiagramFormat::Svg ? "svg" : "png", &data, &len);
            gvFreeLayout(gvc, root_);
        }
    }
    if (rc == 0 && data && format != DiagramFormat::Dot) out.assign(data, len);
    if (data) gvFreeRenderData(data);
    gvFreeContext(gvc);
    if (rc != 0) {
        const char* why = aglasterr();
        return Error{std::string("Graphviz could not lay out or render the graph") + (why ? std::string(": ") + why : ""), "", "",
                     "", ErrorKind::Runtime};
    }
    return out;
}

} // namespace vpcfw
