// The `sg` view (diagram/views.hpp): one node per security group (its name, id and the ENIs
// or instances that carry it), one per CIDR / prefix list / the internet that a rule names,
// one edge per (source, group, direction) with the rules' protocols and ports merged on it.
// Ingress: source → the group that admits it. Egress: the group → the destination it may
// reach, dashed blue. `check` findings are highlighted: a group reference the export lacks
// (sg-missing-group) and admin ports open to the internet (sg-open-admin-port), in red.
// AWS's default egress rule (all traffic to 0.0.0.0/0 or ::/0) is counted, not drawn. In a
// graph of more than kLargeSgGraph groups, groups that neither reference nor are referenced
// by a group are listed in the label instead of drawn, and at most kMaxSgGroupsDrawn groups
// (those with the most rules naming or named) are drawn; the label counts the others.
#include <algorithm>
#include <map>
#include <tuple>

#include "diagram/views.hpp"
#include "ruleset/lint.hpp"

namespace vpcfw {

namespace {

std::string peer_node(const SgRule& r) {
    switch (r.peer) {
    case PeerKind::Cidr: return r.cidr.is_any() ? "internet " + r.cidr.str() : "cidr " + r.cidr.str();
    case PeerKind::PrefixList: return r.prefix_list;
    case PeerKind::Group: return r.group_id;
    }
    return "?";
}

bool default_egress(const SgRule& r) { return r.egress && r.peer == PeerKind::Cidr && r.cidr.is_any() && r.proto == kProtoAll; }

std::string merged(const std::vector<std::string>& rules) {
    std::vector<std::string> u = rules;
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    std::string s;
    size_t shown = std::min<size_t>(u.size(), 4);
    for (size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + u[i];
    if (u.size() > shown) s += " +" + std::to_string(u.size() - shown) + " more";
    return s;
}

} // namespace

Graph build_sg_view(const Network& net, const std::set<Idx>& vpcs) {
    Graph g("security_groups");
    g.set("rankdir", "LR");
    g.set("fontname", "Helvetica");
    g.set("labelloc", "t");
    g.set("nodesep", "0.3");
    g.set("ranksep", "1.0");

    // Findings of `check` that this view shows.
    std::map<std::string, std::vector<std::string>> adminOpen;   // group -> messages
    for (const auto& f : lint_network(net))
        if (f.code == "sg-open-admin-port") adminOpen[f.object].push_back(f.message);

    // Who carries each group.
    std::map<std::string, std::vector<const Eni*>> carriers;
    for (const auto& e : net.enis)
        for (const auto& gid : e.groups) carriers[gid].push_back(&e);

    std::vector<Idx> groups;
    for (Idx i = 0; i < net.security_groups.size(); ++i) {
        const auto& sg = net.security_groups[i];
        if (sg.vpc == kNone ? vpcs.size() == net.vpcs.size() : vpcs.count(sg.vpc) > 0) groups.push_back(i);
    }

    // Edges: (tail, head, egress) -> rule texts.
    struct Key {
        std::string tail, head;
        bool egress;
        bool operator<(const Key& o) const { return std::tie(tail, head, egress) < std::tie(o.tail, o.head, o.egress); }
    };
    std::map<Key, std::vector<std::string>> edges;
    std::map<Key, bool> adminEdge;
    std::set<std::string> referencing, referenced;
    size_t defaultEgress = 0;
    for (Idx i : groups) {
        const auto& sg = net.security_groups[i];
        for (const auto* rules : {&sg.ingress, &sg.egress})
            for (const auto& r : *rules) {
                if (default_egress(r)) {
                    ++defaultEgress;
                    continue;
                }
                std::string peer = peer_node(r);
                Key k = r.egress ? Key{sg.id, peer, true} : Key{peer, sg.id, false};
                edges[k].push_back(r.proto_ports_str());
                if (!r.egress && r.peer == PeerKind::Cidr && r.cidr.is_any() && adminOpen.count(sg.id)) {
                    bool admin = r.proto == kProtoAll ||
                                 (r.proto == kProtoTcp && (r.from_port == -1 || (r.from_port <= 5986 && r.to_port >= 22)));
                    if (admin) adminEdge[k] = true;
                }
                if (r.peer == PeerKind::Group) {
                    referencing.insert(sg.id);
                    referenced.insert(r.group_id);
                }
            }
    }

    // Isolated groups are listed instead of drawn in a large graph.
    std::vector<std::string> listed;
    std::set<std::string> hidden;
    if (groups.size() > kLargeSgGraph)
        for (Idx i : groups) {
            const auto& sg = net.security_groups[i];
            if (!referencing.count(sg.id) && !referenced.count(sg.id)) {
                hidden.insert(sg.id);
                listed.push_back(titled(sg.name, sg.id));
            }
        }

    // Beyond kMaxSgGroupsDrawn, the groups with the most references are drawn, the others counted.
    size_t capped = 0;
    std::vector<std::pair<size_t, std::string>> byDegree;
    for (Idx i : groups)
        if (!hidden.count(net.security_groups[i].id)) byDegree.emplace_back(0, net.security_groups[i].id);
    if (byDegree.size() > kMaxSgGroupsDrawn) {
        std::map<std::string, size_t> degree;
        for (const auto& [k, rules] : edges) {
            degree[k.tail] += rules.size();
            degree[k.head] += rules.size();
        }
        for (auto& [d, id] : byDegree) d = degree[id];
        std::stable_sort(byDegree.begin(), byDegree.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        for (size_t i = kMaxSgGroupsDrawn; i < byDegree.size(); ++i) hidden.insert(byDegree[i].second);
        capped = byDegree.size() - kMaxSgGroupsDrawn;
    }

    auto vpcCluster = [&](Idx vpc) -> std::string {
        if (vpc == kNone) return "";
        const auto& v = net.vpcs[vpc];
        std::string c = "vpc_" + v.id;
        g.cluster(c, "", {{"label", "VPC " + titled(v.name, v.id)}, {"style", "rounded"}, {"color", "gray40"},
                          {"fontname", "Helvetica"}});
        return c;
    };

    auto groupNode = [&](const SecurityGroup& sg, bool inScope) {
        std::string label = titled(sg.name, sg.id);
        auto it = carriers.find(sg.id);
        size_t n = it == carriers.end() ? 0 : it->second.size();
        if (n == 0) {
            label += "\nno ENI";
        } else if (n <= 3) {
            for (const Eni* e : it->second) {
                std::string who = !e->instance_id.empty() ? e->instance_id : e->id;
                const Instance* ins = e->instance_id.empty() ? nullptr : net.instance(e->instance_id);
                std::string name = ins && !ins->name.empty() ? ins->name : e->name;
                label += "\n" + (name.empty() ? who : shorten(name, 24) + " " + who);
            }
        } else {
            label += "\n" + std::to_string(n) + " ENIs";
        }
        Attrs a{{"shape", "box"}, {"style", "rounded,filled"}, {"fillcolor", inScope ? "lightyellow" : "gray95"},
                {"fontname", "Helvetica"}, {"label", label}};
        auto ao = adminOpen.find(sg.id);
        if (ao != adminOpen.end()) {
            a["color"] = "red";
            a["penwidth"] = "2";
            a["tooltip"] = ao->second.front();
        }
        g.node(sg.id, vpcCluster(sg.vpc), a);
    };

    for (Idx i : groups)
        if (!hidden.count(net.security_groups[i].id)) groupNode(net.security_groups[i], true);

    // Peers that are not groups in scope.
    auto peerNode = [&](const std::string& name) {
        if (g.has_node(name)) return;
        if (name.rfind("internet ", 0) == 0) {
            g.node(name, "", {{"shape", "ellipse"}, {"style", "filled"}, {"fillcolor", "lightblue"}, {"fontname", "Helvetica"},
                              {"label", "internet\n" + name.substr(9)}});
        } else if (name.rfind("cidr ", 0) == 0) {
            g.node(name, "", {{"shape", "note"}, {"fontname", "Helvetica"}, {"label", name.substr(5)}});
        } else if (name.rfind("pl-", 0) == 0) {
            const PrefixList* pl = net.prefix_list(name);
            g.node(name, "", {{"shape", "note"}, {"fontname", "Helvetica"},
                              {"label", "prefix list\n" + titled(pl ? pl->name : "", name)}});
        } else if (const SecurityGroup* sg = net.security_group(name)) {
            groupNode(*sg, false);
        } else {
            g.node(name, "", {{"shape", "box"}, {"style", "dashed,rounded"}, {"color", "red"}, {"fontcolor", "red"},
                              {"fontname", "Helvetica"}, {"label", name + "\nnot in the export\n(sg-missing-group)"}});
        }
    };

    for (const auto& [k, rules] : edges) {
        if (hidden.count(k.tail) || hidden.count(k.head)) continue;
        peerNode(k.egress ? k.head : k.tail);
        Attrs a{{"label", (k.egress ? "egress " : "") + merged(rules)}, {"fontname", "Helvetica"}, {"fontsize", "10"}};
        if (k.egress) {
            a["style"] = "dashed";
            a["color"] = "blue";
            a["fontcolor"] = "blue";
        }
        const std::string& other = k.egress ? k.head : k.tail;
        if (other.rfind("sg-", 0) == 0 && !net.security_group(other)) {
            a["color"] = "red";
            a["fontcolor"] = "red";
        }
        if (adminEdge.count(k)) {
            a["color"] = "red";
            a["fontcolor"] = "red";
            a["penwidth"] = "2";
            a["label"] += "\nadmin port open to the internet";
        }
        g.edge(k.tail, k.head, a);
    }

    std::string label = "Security groups: an arrow runs from a source to the group that admits it (ingress rule); "
                        "dashed blue: egress rule, group to destination; red: admin port open to the internet or a "
                        "group missing from the export.";
    if (defaultEgress) label += "\nAWS's default egress rule (all traffic to anywhere) on " + std::to_string(defaultEgress) +
                                " rule(s) not drawn.";
    if (!listed.empty()) {
        label += "\n" + std::to_string(listed.size()) + " group(s) that neither reference nor are referenced by a group, not drawn: ";
        for (size_t i = 0; i < listed.size() && i < 30; ++i) label += (i ? ", " : "") + listed[i];
        if (listed.size() > 30) label += ", +" + std::to_string(listed.size() - 30) + " more";
    }
    if (capped)
        label += "\n" + std::to_string(capped) + " more group(s) with fewer references not drawn (at most " +
                 std::to_string(kMaxSgGroupsDrawn) + " groups are drawn; --vpc ID draws one VPC).";
    g.set("label", label);
    return g;
}

} // namespace vpcfw
