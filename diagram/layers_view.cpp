// The `layers` view (diagram/views.hpp): each VPC a cluster holding its gateways, route
// tables and Availability Zones; each AZ its subnets, marked public or private (a route to an
// internet gateway, docs/aws-facts.md §3); each subnet a cluster whose node is its boundary (the
// NACL) and whose other nodes are its ENIs (instance Name, addresses, Elastic IP, groups)
// and NAT gateways. Route tables point at their targets (IGW, NAT, EIGW, peering, TGW, VGW,
// endpoints, appliances) and subnets at their route table; the internet enters at the IGW,
// a peer at its pcx-, a VPN at its VGW or TGW, the TGW at its attachment subnets. Identical
// ENIs (same subnet, type and groups) are drawn as one "N ENIs" node, and a subnet shows at
// most kMaxEniNodesPerSubnet ENI nodes; the graph label says what was collapsed. Packet
// counts (PathCounts) are added to the nodes and as green edges between consecutive hops.
#include <algorithm>
#include <cmath>
#include <map>

#include "diagram/views.hpp"

namespace vpcfw {

namespace {

const char* kFont = "Helvetica";

std::string count_text(uint64_t n) { return std::to_string(n) + (n == 1 ? " packet" : " packets"); }

std::string group_names(const Network& net, const std::vector<std::string>& groups) {
    std::string s;
    for (size_t i = 0; i < groups.size(); ++i) {
        if (i == 3) {
            s += ", +" + std::to_string(groups.size() - 3);
            break;
        }
        const SecurityGroup* sg = net.security_group(groups[i]);
        s += (i ? ", " : "") + (sg && !sg->name.empty() ? shorten(sg->name, 24) : groups[i]);
    }
    return s.empty() ? "no group" : s;
}

std::string eni_label(const Network& net, const Eni& e) {
    const Instance* ins = e.instance_id.empty() ? nullptr : net.instance(e.instance_id);
    std::string name = ins && !ins->name.empty() ? ins->name : e.name;
    std::string label = titled(name, e.id);
    if (ins) label += "\n" + ins->id;
    if (const PrivateIp* p = e.primary_ip()) {
        label += "\n" + p->addr.str();
        if (p->public_ip) label += (p->allocation_id.empty() ? " · public " : " · Elastic IP ") + p->public_ip->str();
    }
    if (!e.ipv6.empty()) label += "\n" + e.ipv6.front().str();
    label += "\nsg: " + group_names(net, e.groups);
    return label;
}

} // namespace

LayersGraph build_layers_view(const Network& net, const std::set<Idx>& vpcs, const PathCounts* counts) {
    LayersGraph lg;
    Graph& g = lg.graph;
    auto& node_of = lg.node_of;
    g.set("rankdir", "LR");  // traffic enters on the left: internet, gateways, route tables, subnets, ENIs
    g.set("compound", "true");
    g.set("fontname", kFont);
    g.set("labelloc", "t");
    g.set("nodesep", "0.25");
    g.set("ranksep", "0.6");

    auto outside = [&](const std::string& id, Attrs a) {
        if (!g.has_node(id)) {
            a["fontname"] = kFont;
            g.node(id, "", a);
            node_of[id] = id;
        }
    };
    auto internet = [&] {
        outside("internet", {{"shape", "ellipse"}, {"style", "filled"}, {"fillcolor", "lightblue"}, {"label", "internet"}});
    };

    size_t enisCollapsed = 0, collapsedNodes = 0, enisFolded = 0;
    std::string vpcNames;
    for (Idx vi : vpcs) {
        const Vpc& v = net.vpcs[vi];
        std::string vc = "vpc_" + v.id;
        std::string cidrs;
        for (const auto& c : v.cidrs4) cidrs += (cidrs.empty() ? "" : ", ") + c.str();
        for (const auto& c : v.cidrs6) cidrs += (cidrs.empty() ? "" : ", ") + c.str();
        g.cluster(vc, "", {{"label", "VPC " + titled(v.name, v.id) + "\n" + cidrs}, {"style", "rounded,bold"},
                           {"color", "gray30"}, {"fontname", kFont}});
        vpcNames += (vpcNames.empty() ? "" : ", ") + titled(v.name, v.id);
        // A node of the VPC itself: where the VPC router decides (explain names the VPC as a hop).
        g.node(v.id, vc, {{"shape", "circle"}, {"label", "VPC\nrouter"}, {"fontsize", "10"}, {"fontname", kFont},
                          {"width", "0.6"}, {"fixedsize", "true"}});
        node_of[v.id] = v.id;

        // Gateways attached to the VPC.
        for (const auto& igw : net.internet_gateways)
            for (const auto& a : igw.attachments)
                if (a.vpc_id == v.id) {
                    internet();
                    g.node(igw.id, vc, {{"shape", "house"}, {"style", "filled"}, {"fillcolor", "lightblue"}, {"fontname", kFont},
                                        {"label", "internet gateway\n" + titled(igw.name, igw.id)}});
                    node_of[igw.id] = igw.id;
                    g.edge("internet", igw.id, {{"dir", "both"}, {"color", "steelblue"}, {"label", "from the internet"},
                                                {"fontname", kFont}, {"fontsize", "10"}});
                }
        for (const auto& eigw : net.egress_only_gateways)
            for (const auto& a : eigw.attachments)
                if (a.vpc_id == v.id) {
                    internet();
                    g.node(eigw.id, vc, {{"shape", "house"}, {"style", "filled"}, {"fillcolor", "lightcyan"}, {"fontname", kFont},
                                         {"label", "egress-only IGW (IPv6 out)\n" + titled(eigw.name, eigw.id)}});
                    node_of[eigw.id] = eigw.id;
                    g.edge("internet", eigw.id, {{"dir", "back"}, {"color", "steelblue"}, {"label", "out only"}, {"fontname", kFont}, {"fontsize", "10"}});
                }
        for (const auto& vgw : net.vpn_gateways)
            for (const auto& a : vgw.attachments)
                if (a.vpc_id == v.id) {
                    g.node(vgw.id, vc, {{"shape", "house"}, {"style", "filled"}, {"fillcolor", "lavender"}, {"fontname", kFont},
                                        {"label", "virtual private gateway\n" + titled(vgw.name, vgw.id)}});
                    node_of[vgw.id] = vgw.id;
                }
        for (const auto& ep : net.endpoints)
            if (ep.vpc == vi) {
                g.node(ep.id, vc, {{"shape", "component"}, {"fontname", kFont},
                                   {"label", ep.type + " endpoint\n" + ep.id + "\n" + shorten(ep.service_name, 40)}});
                node_of[ep.id] = ep.id;
                for (const auto& e : ep.eni_ids) node_of[e] = ep.id;
            }

        // Availability Zones and subnets.
        for (Idx si = 0; si < net.subnets.size(); ++si) {
            const Subnet& s = net.subnets[si];
            if (s.vpc != vi) continue;
            std::string az = s.az.empty() ? s.az_id : s.az;
            std::string azc = "az_" + v.id + "_" + (az.empty() ? "unknown" : az);
            g.cluster(azc, vc, {{"label", az.empty() ? "AZ unknown" : "AZ " + az}, {"style", "dashed"}, {"color", "gray50"},
                                {"fontname", kFont}});
            bool pub = is_public_subnet(net, si);
            std::string sc = "subnet_" + s.id;
            std::string cidr = s.cidr4 ? s.cidr4->str() : "";
            for (const auto& c : s.cidrs6) cidr += (cidr.empty() ? "" : ", ") + c.str();
            g.cluster(sc, azc, {{"label", std::string(pub ? "public" : "private") + " subnet " + titled(s.name, s.id) + "\n" + cidr},
                                {"style", "filled,rounded"}, {"fillcolor", pub ? "#e6f5e6" : "#e8eef8"}, {"color", pub ? "darkgreen" : "navy"},
                                {"fontname", kFont}});
            Idx acl = net.nacl_of_subnet(si);
            std::string aclText = acl == kNone ? "no NACL" : "NACL " + titled(net.network_acls[acl].name, net.network_acls[acl].id);
            g.node(s.id, sc, {{"shape", "octagon"}, {"style", "filled"}, {"fillcolor", "white"}, {"fontname", kFont}, {"fontsize", "10"},
                              {"label", "subnet boundary\n" + aclText}});
            node_of[s.id] = s.id;
            Idx rt = net.route_table_of_subnet(si);
            if (rt != kNone) {
                const RouteTable& t = net.route_tables[rt];
                g.node(t.id, vc, {});  // attributes below, once per table
                g.edge(t.id, s.id, {{"style", "dotted"}, {"arrowhead", "none"}, {"color", "gray40"}});
            }

            // NAT gateways in this subnet.
            for (const auto& nat : net.nat_gateways)
                if (nat.subnet == si) {
                    std::string label = std::string(nat.is_private ? "private " : "") + "NAT gateway\n" + titled(nat.name, nat.id);
                    for (const auto& a : nat.addresses)
                        if (a.public_ip) label += "\nElastic IP " + a.public_ip->str();
                    g.node(nat.id, sc, {{"shape", "box"}, {"style", "filled"}, {"fillcolor", "wheat"}, {"fontname", kFont},
                                        {"label", label}});
                    node_of[nat.id] = nat.id;
                    for (const auto& a : nat.addresses)
                        if (!a.eni_id.empty()) node_of[a.eni_id] = nat.id;
                }

            // ENIs, identical ones collapsed.
            std::map<std::string, std::vector<const Eni*>> byKey;
            std::vector<std::string> order;
            for (const auto& e : net.enis) {
                if (e.subnet != si || node_of.count(e.id)) continue;  // NAT gateway / endpoint ENIs drawn as those
                if (e.interface_type == "transit_gateway") continue;  // drawn as the TGW attachment
                std::vector<std::string> gs = e.groups;
                std::sort(gs.begin(), gs.end());
                std::string key = e.interface_type;
                for (const auto& x : gs) key += "|" + x;
                if (!byKey.count(key)) order.push_back(key);
                byKey[key].push_back(&e);
            }
            std::vector<std::string> nodes;  // ENI node names in this subnet
            for (const auto& key : order) {
                const auto& list = byKey[key];
                if (list.size() >= kCollapseIdenticalEnis) {
                    std::string name = "enis_" + s.id + "_" + std::to_string(nodes.size());
                    std::string label = std::to_string(list.size()) + " ENIs, same groups\n" + group_names(net, list.front()->groups) +
                                        "\ne.g. " + list.front()->id;
                    g.node(name, sc, {{"shape", "box3d"}, {"style", "filled"}, {"fillcolor", "white"}, {"fontname", kFont},
                                      {"fontsize", "10"}, {"label", label}});
                    for (const Eni* e : list) node_of[e->id] = name;
                    enisCollapsed += list.size();
                    ++collapsedNodes;
                    nodes.push_back(name);
                } else {
                    for (const Eni* e : list) {
                        if (nodes.size() + 1 >= kMaxEniNodesPerSubnet) break;
                        g.node(e->id, sc, {{"shape", "box"}, {"style", "filled"}, {"fillcolor", "white"}, {"fontname", kFont},
                                           {"fontsize", "10"}, {"label", eni_label(net, *e)}});
                        node_of[e->id] = e->id;
                        nodes.push_back(e->id);
                    }
                }
            }
            for (const auto& n : nodes) g.edge(s.id, n, {{"style", "invis"}});  // ENIs beside their boundary
            for (const auto& nat : net.nat_gateways)
                if (nat.subnet == si) g.edge(s.id, nat.id, {{"style", "invis"}});
            // What did not fit: one node.
            std::vector<const Eni*> rest;
            for (const auto& key : order)
                for (const Eni* e : byKey[key])
                    if (!node_of.count(e->id)) rest.push_back(e);
            if (!rest.empty()) {
                std::string name = "more_enis_" + s.id;
                g.node(name, sc, {{"shape", "box3d"}, {"style", "filled"}, {"fillcolor", "white"}, {"fontname", kFont}, {"fontsize", "10"},
                                  {"label", std::to_string(rest.size()) + " more ENIs\ne.g. " + rest.front()->id}});
                for (const Eni* e : rest) node_of[e->id] = name;
                g.edge(s.id, name, {{"style", "invis"}});
                enisFolded += rest.size();
            }
        }

        // Route tables and their targets.
        for (const auto& t : net.route_tables) {
            if (t.vpc != vi) continue;
            bool main = false;
            std::string edgeOf;
            for (const auto& a : t.associations) {
                if (a.main) main = true;
                if (!a.gateway_id.empty()) edgeOf = a.gateway_id;
            }
            std::string label = std::string(main ? "main " : "") + "route table\n" + titled(t.name, t.id);
            if (!edgeOf.empty()) label += "\n(edge table of " + edgeOf + ")";
            std::map<std::string, std::vector<std::string>> byTarget;
            size_t shown = 0;
            for (const auto& r : t.routes) {
                std::string line = r.dest_str() + " → " + r.target + (r.state == "blackhole" ? " (blackhole)" : "");
                if (shown++ < 8) label += "\n" + line;
                if (r.kind != TargetKind::Local && r.state != "blackhole") byTarget[r.target].push_back(r.dest_str());
            }
            if (t.routes.size() > 8) label += "\n+" + std::to_string(t.routes.size() - 8) + " more routes";
            g.node(t.id, vc, {{"shape", "box"}, {"style", "filled"}, {"fillcolor", "lightyellow"}, {"fontname", kFont},
                              {"fontsize", "10"}, {"label", label}});
            node_of[t.id] = t.id;
            for (const auto& [target, dests] : byTarget) {
                std::string tnode = target;
                auto it = node_of.find(target);
                if (it != node_of.end()) {
                    tnode = it->second;
                } else if (target.rfind("pcx-", 0) == 0) {
                    const PeeringConnection* p = net.peering(target);
                    outside(target, {{"shape", "cds"}, {"style", "filled"}, {"fillcolor", "mistyrose"},
                                     {"label", "VPC peering " + titled(p ? p->name : "", target) +
                                                   (p ? "\n" + p->requester.vpc_id + " ↔ " + p->accepter.vpc_id : "")}});
                } else if (target.rfind("tgw-", 0) == 0) {
                    const TransitGateway* tg = net.transit_gateway(target);
                    outside(target, {{"shape", "doubleoctagon"}, {"style", "filled"}, {"fillcolor", "lavender"},
                                     {"label", "transit gateway\n" + titled(tg ? tg->name : "", target)}});
                } else {
                    outside(target, {{"shape", "box"}, {"style", "dashed"}, {"label", target + "\n(not in this picture)"}});
                }
                std::string dl;
                for (size_t i = 0; i < dests.size() && i < 3; ++i) dl += (i ? ", " : "") + dests[i];
                if (dests.size() > 3) dl += ", +" + std::to_string(dests.size() - 3);
                // Drawn target → table with the arrow reversed, so the layout ranks what traffic
                // comes through before the table that sends it there.
                g.edge(node_of.count(target) ? node_of[target] : tnode, t.id,
                       {{"dir", "back"}, {"label", dl}, {"fontname", kFont}, {"fontsize", "9"}, {"color", "gray30"}});
            }
        }
    }

    // Transit Gateway attachments of the VPCs in scope: the TGW enters at their subnets.
    for (const auto& a : net.tgw_attachments) {
        if (a.resource_type != "vpc") continue;
        auto vit = net.index.vpc.find(a.resource_id);
        if (vit == net.index.vpc.end() || !vpcs.count(vit->second)) continue;
        const TransitGateway* tg = net.transit_gateway(a.tgw_id);
        outside(a.tgw_id, {{"shape", "doubleoctagon"}, {"style", "filled"}, {"fillcolor", "lavender"},
                           {"label", "transit gateway\n" + titled(tg ? tg->name : "", a.tgw_id)}});
        node_of[a.id] = a.tgw_id;
        for (const auto& sid : a.subnet_ids)
            if (g.has_node(sid))
                g.edge(a.tgw_id, sid, {{"label", "attachment\n" + a.id}, {"fontname", kFont}, {"fontsize", "9"}, {"color", "purple"},
                                       {"style", "dashed"}});
    }
    // VPN connections: the customer network enters at a VGW or a TGW.
    for (const auto& vpn : net.vpn_connections) {
        std::string at = !vpn.vgw_id.empty() ? vpn.vgw_id : vpn.tgw_id;
        if (at.empty() || !g.has_node(at)) continue;
        std::string routes;
        for (size_t i = 0; i < vpn.routes.size() && i < 3; ++i) routes += (i ? ", " : "\n") + vpn.routes[i].str();
        outside(vpn.id, {{"shape", "cds"}, {"style", "filled"}, {"fillcolor", "lavender"},
                         {"label", "Site-to-Site VPN " + vpn.id + "\n" + vpn.customer_gateway_id + routes}});
        g.edge(vpn.id, at, {{"color", "purple"}, {"label", "from the VPN"}, {"fontname", kFont}, {"fontsize", "10"}});
    }

    // Packet counts: on the nodes, and green edges between consecutive hops.
    if (counts) {
        std::map<std::string, uint64_t> perNode;
        for (const auto& [id, n] : counts->hops) {
            auto it = node_of.find(id);
            if (it != node_of.end()) perNode[it->second] += n;
        }
        for (const auto& [node, n] : perNode) g.set_node(node, "xlabel", count_text(n));
        std::map<std::pair<std::string, std::string>, uint64_t> perEdge;
        for (const auto& [step, n] : counts->steps) {
            auto a = node_of.find(step.first), b = node_of.find(step.second);
            if (a == node_of.end() || b == node_of.end() || a->second == b->second) continue;
            perEdge[{a->second, b->second}] += n;
        }
        for (const auto& [e, n] : perEdge) {
            double w = 1.0 + std::min(4.0, std::log10(static_cast<double>(n) + 1.0));
            g.edge(e.first, e.second, {{"color", "darkgreen"}, {"fontcolor", "darkgreen"}, {"penwidth", std::to_string(w)},
                                       {"label", count_text(n)}, {"fontname", kFont}, {"fontsize", "9"}, {"constraint", "false"}});
        }
    }

    std::string label = "VPC layers of " + (vpcNames.empty() ? std::string("no VPC") : shorten(vpcNames, 200)) +
                        ": internet gateway → route table → NACL at the subnet boundary → security groups at each ENI";
    if (enisCollapsed) label += "\ncollapsed: " + std::to_string(enisCollapsed) + " ENIs with the same subnet and groups into " +
                                std::to_string(collapsedNodes) + (collapsedNodes == 1 ? " node" : " nodes");
    if (enisFolded) label += "\nfolded: " + std::to_string(enisFolded) + " ENIs beyond " + std::to_string(kMaxEniNodesPerSubnet) +
                             " nodes per subnet into one 'more ENIs' node each";
    g.set("label", label);
    return lg;
}

} // namespace vpcfw
