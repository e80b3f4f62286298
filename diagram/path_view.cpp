// The `path` view (diagram/views.hpp): the layers view of the VPCs in scope with the hops
// that `vpcfw explain` finds for one packet (the reference evaluator, ruleset/reference.hpp)
// drawn over it: numbered edges from hop to hop, each labelled with the layers passed there,
// their verdicts and deciding rules; a drop ends at a red node naming the layer, reason and
// rule. Hops the picture has no node for (a layer at the same place) join the next edge.
#include "diagram/views.hpp"
#include "ruleset/reference.hpp"

namespace vpcfw {

Result<Graph> build_path_view(const Network& net, const std::set<Idx>& vpcs, const Packet& packet, const std::string& from) {
    if (from != "auto" && from != "internet" && from.rfind("eni-", 0) != 0 && from.rfind("tgw-attach-", 0) != 0 &&
        from.rfind("vgw-", 0) != 0 && from.rfind("pcx-", 0) != 0)
        return make_error("--from must be auto, internet, or an eni-/tgw-attach-/vgw-/pcx- id, not '" + from + "'");
    LayersGraph lg = build_layers_view(net, vpcs, nullptr);
    Graph& g = lg.graph;
    ReferenceEvaluator ref(net);
    Decision d = ref.evaluate(packet, from, 0.0);

    auto nodeFor = [&](const std::string& hop) -> std::string {
        auto it = lg.node_of.find(hop);
        return it == lg.node_of.end() ? "" : it->second;
    };
    // The origin: where the packet enters.
    std::string start = d.from.empty() ? "" : nodeFor(d.from);
    if (start.empty()) {
        start = "origin";
        g.node(start, "", {{"shape", "ellipse"}, {"style", "filled"}, {"fillcolor", "gold"}, {"fontname", "Helvetica"},
                           {"label", "packet from " + (d.from.empty() ? std::string("?") : d.from)}});
    }
    g.set_node(start, "penwidth", "3");

    std::string cur = start, pending;
    int n = 0;
    bool dropped = d.action == Action::Drop;
    auto step = [&](const std::string& to, const std::string& text, bool red) {
        g.edge(cur, to, {{"label", std::to_string(++n) + ". " + text}, {"color", red ? "red" : "darkorange"},
                         {"fontcolor", red ? "red" : "darkorange3"}, {"penwidth", "2.5"}, {"fontname", "Helvetica"},
                         {"fontsize", "10"}, {"constraint", "false"}});
        cur = to;
    };
    for (size_t i = 0; i < d.trace.size(); ++i) {
        const TraceStep& s = d.trace[i];
        std::string text = s.layer + ": " + s.verdict + (s.rule.empty() ? "" : " " + s.rule);
        pending += (pending.empty() ? "" : "\n") + shorten(text, 90);
        bool last = i + 1 == d.trace.size();
        std::string to = nodeFor(s.hop);
        if (last && dropped) break;
        if (!to.empty() && to != cur) {
            step(to, pending, false);
            pending.clear();
        } else if (!to.empty() && to == cur && !last) {
            continue;  // more layers at the same node: one edge carries them all
        }
    }
    if (dropped) {
        std::string label = "DROP at " + std::string(layer_name(d.layer)) + (d.reason.empty() ? "" : " (" + d.reason + ")") +
                            (d.rule.empty() ? "" : "\nrule " + d.rule);
        g.node("drop", "", {{"shape", "octagon"}, {"style", "filled"}, {"fillcolor", "red"}, {"fontcolor", "white"},
                            {"fontname", "Helvetica"}, {"label", label}});
        step("drop", pending.empty() ? "drop" : pending, true);
    } else {
        std::string end = d.to.empty() ? "" : nodeFor(d.to);
        if (end.empty()) {
            end = "accepted";
            g.node(end, "", {{"shape", "ellipse"}, {"style", "filled"}, {"fillcolor", "palegreen"}, {"fontname", "Helvetica"},
                             {"label", "ACCEPT to " + d.to}});
        }
        if (end != cur || !pending.empty()) step(end, pending.empty() ? "deliver" : pending, false);
        g.set_node(end, "penwidth", "3");
    }
    g.set("label", "Path of " + d.flow + " from " + d.from + ": " + (dropped ? "DROP" : "ACCEPT") +
                       "\nnumbered orange edges: the hops explain finds, with each layer's verdict and deciding rule; "
                       "red: where the packet is dropped");
    return std::move(g);
}

} // namespace vpcfw
