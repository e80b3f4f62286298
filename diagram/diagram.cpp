// build_diagram and the helpers every view shares (diagram/diagram.hpp).
#include "diagram/diagram.hpp"

#include "diagram/views.hpp"

namespace vpcfw {

Result<DiagramView> diagram_view(const std::string& name) {
    if (name == "sg") return DiagramView::Sg;
    if (name == "layers") return DiagramView::Layers;
    if (name == "path") return DiagramView::Path;
    return make_error("--view must be sg, layers or path, not '" + name + "'");
}

Result<std::set<Idx>> vpcs_in_scope(const Network& net, const std::vector<std::string>& ids) {
    std::set<Idx> out;
    if (ids.empty()) {
        for (Idx i = 0; i < net.vpcs.size(); ++i) out.insert(i);
        return out;
    }
    for (const auto& id : ids) {
        auto it = net.index.vpc.find(id);
        if (it == net.index.vpc.end()) {
            std::string known;
            for (size_t i = 0; i < net.vpcs.size() && i < 10; ++i) known += (i ? ", " : "") + net.vpcs[i].id;
            return make_error("--vpc " + id + ": no such VPC in the network (VPCs: " + (known.empty() ? "none" : known) +
                         (net.vpcs.size() > 10 ? ", ..." : "") + ")");
        }
        out.insert(it->second);
    }
    return out;
}

std::string shorten(const std::string& s, size_t max) {
    if (s.size() <= max) return s;
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
    return s.substr(0, cut) + "…";
}

std::string titled(const std::string& name, const std::string& id) {
    return name.empty() ? id : shorten(name, 40) + " (" + id + ")";
}

bool is_public_subnet(const Network& net, Idx subnet) {
    Idx rt = net.route_table_of_subnet(subnet);
    if (rt == kNone) return false;
    for (const auto& r : net.route_tables[rt].routes)
        if (r.kind == TargetKind::InternetGateway) return true;
    return false;
}

Result<Graph> build_diagram(const Network& net, const DiagramRequest& req) {
    auto scope = vpcs_in_scope(net, req.vpcs);
    if (!scope) return scope.error();
    switch (req.view) {
    case DiagramView::Sg:
        return build_sg_view(net, *scope);
    case DiagramView::Layers:
        return std::move(build_layers_view(net, *scope, req.counts).graph);
    case DiagramView::Path:
        if (!req.packet) return make_error("--view path needs --packet P (and optionally --from ORIGIN)");
        return build_path_view(net, *scope, *req.packet, req.from);
    }
    return make_error("unknown view");
}

} // namespace vpcfw
