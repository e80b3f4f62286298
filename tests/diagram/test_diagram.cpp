// The views of diagram/ checked on their structure: each graph rendered as DOT, read back
// with cgraph, and compared with the model — for the bundled example and every real export
// in shared/data/aws-snapshots: every security-group rule that references a group is an edge
// from the source to the group that admits it (egress: from the group to the one it reaches);
// every subnet is a node inside its VPC's cluster; identical ENIs collapse into one node with
// a label that says so; a path view draws the packet's drop in red. Bad requests are errors.
#include <gtest/gtest.h>
#include <graphviz/cgraph.h>

#include <filesystem>
#include <string>

#include "diagram/diagram.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;

namespace {

std::vector<std::string> networks() {
    std::vector<std::string> out = {std::string(VPCFW_SOURCE_DIR) + "/examples/network.json"};
    for (const char* d : {"test-nat-gateway", "test-public-private-subnet", "test-vpc-peering"})
        out.push_back(std::string(VPCFW_SHARED_DATA) + "/aws-snapshots/" + d);
    return out;
}

struct Dot {
    Agraph_t* g = nullptr;
    explicit Dot(const std::string& text) { g = agmemread(text.c_str()); }
    ~Dot() {
        if (g) agclose(g);
    }
    Agnode_t* node(const std::string& name) const {
        std::string n = name;
        return agnode(g, n.data(), 0);
    }
    bool edge(const std::string& t, const std::string& h) const {
        Agnode_t *a = node(t), *b = node(h);
        return a && b && agedge(g, a, b, nullptr, 0) != nullptr;
    }
    Agraph_t* cluster(const std::string& name) const {
        // Clusters nest (VPC > AZ > subnet): search the whole tree.
        return find(g, name);
    }
    static Agraph_t* find(Agraph_t* in, const std::string& name) {
        for (Agraph_t* s = agfstsubg(in); s; s = agnxtsubg(s)) {
            if (name == agnameof(s)) return s;
            if (Agraph_t* r = find(s, name)) return r;
        }
        return nullptr;
    }
    std::string label() const {
        char key[] = "label";
        char* v = agget(g, key);
        return v ? v : "";
    }
};

Network load(const std::string& path) {
    auto net = load_network(path);
    EXPECT_TRUE(net.ok()) << path << ": " << (net ? "" : net.error().str());
    return std::move(*net);
}

std::string dot_of(const Network& net, DiagramRequest req) {
    auto g = build_diagram(net, req);
    EXPECT_TRUE(g.ok()) << (g ? "" : g.error().message);
    auto text = g->render(DiagramFormat::Dot);
    EXPECT_TRUE(text.ok());
    return *text;
}

} // namespace

TEST(Diagram, EveryReferencingRuleIsAnEdge) {
    for (const auto& path : networks()) {
        Network net = load(path);
        DiagramRequest req;
        req.view = DiagramView::Sg;
        Dot dot(dot_of(net, req));
        ASSERT_NE(dot.g, nullptr) << path;
        size_t refs = 0;
        for (const auto& sg : net.security_groups) {
            EXPECT_NE(dot.node(sg.id), nullptr) << path << ": no node for " << sg.id;
            for (const auto& r : sg.ingress)
                if (r.peer == PeerKind::Group) {
                    ++refs;
                    EXPECT_TRUE(dot.edge(r.group_id, sg.id)) << path << ": ingress " << r.group_id << " -> " << sg.id;
                }
            for (const auto& r : sg.egress)
                if (r.peer == PeerKind::Group) {
                    ++refs;
                    EXPECT_TRUE(dot.edge(sg.id, r.group_id)) << path << ": egress " << sg.id << " -> " << r.group_id;
                }
        }
        EXPECT_GT(refs, 0u) << path << ": the network should reference groups";
    }
}

TEST(Diagram, InternetRulesAndAdminPortsAreShown) {
    Network net = load(std::string(VPCFW_SHARED_DATA) + "/aws-snapshots/test-public-private-subnet");
    DiagramRequest req;
    req.view = DiagramView::Sg;
    Dot dot(dot_of(net, req));
    ASSERT_NE(dot.g, nullptr);
    // launch-wizard groups admit tcp/22 from 0.0.0.0/0: `check` flags it, the edge is red.
    bool redAdmin = false;
    Agnode_t* inet = dot.node("internet 0.0.0.0/0");
    ASSERT_NE(inet, nullptr);
    for (Agedge_t* e = agfstout(dot.g, inet); e; e = agnxtout(dot.g, e)) {
        char c[] = "color";
        char* v = agget(e, c);
        if (v && std::string(v) == "red") redAdmin = true;
    }
    EXPECT_TRUE(redAdmin);
}

TEST(Diagram, EverySubnetIsANodeInItsVpcCluster) {
    for (const auto& path : networks()) {
        Network net = load(path);
        DiagramRequest req;
        req.view = DiagramView::Layers;
        Dot dot(dot_of(net, req));
        ASSERT_NE(dot.g, nullptr) << path;
        for (const auto& s : net.subnets) {
            const std::string vpc = net.vpcs[s.vpc].id;
            Agraph_t* c = dot.cluster("cluster_vpc_" + vpc);
            ASSERT_NE(c, nullptr) << path << ": no cluster for " << vpc;
            Agnode_t* n = dot.node(s.id);
            ASSERT_NE(n, nullptr) << path << ": no node for " << s.id;
            EXPECT_NE(agsubnode(c, n, 0), nullptr) << path << ": " << s.id << " outside " << vpc;
            // The subnet's own cluster says public or private, as its route table decides.
            Agraph_t* sc = dot.cluster("cluster_subnet_" + s.id);
            ASSERT_NE(sc, nullptr);
            char key[] = "label";
            std::string label = agget(sc, key);
            EXPECT_EQ(label.rfind(is_public_subnet(net, static_cast<Idx>(&s - net.subnets.data())) ? "public" : "private", 0), 0u)
                << label;
        }
        // ENIs are drawn (or collapsed) inside their subnet.
        for (const auto& e : net.enis)
            if (e.interface_type == "interface" && e.subnet != kNone) {
                bool found = false;
                for (Agnode_t* n = agfstnode(dot.g); n && !found; n = agnxtnode(dot.g, n))
                    found = std::string(agnameof(n)) == e.id;
                Agraph_t* sc = dot.cluster("cluster_subnet_" + net.subnets[e.subnet].id);
                if (found) {
                    EXPECT_NE(agsubnode(sc, dot.node(e.id), 0), nullptr) << e.id;
                }
            }
    }
}

TEST(Diagram, PublicAndPrivateFollowTheRouteTable) {
    Network net = load(std::string(VPCFW_SHARED_DATA) + "/aws-snapshots/test-public-private-subnet");
    EXPECT_TRUE(is_public_subnet(net, net.index.subnet.at("subnet-0cf7a93fbd779f3a3")));
    EXPECT_FALSE(is_public_subnet(net, net.index.subnet.at("subnet-0f263105946ad1a1d")));  // routes to a VGW only
}

TEST(Diagram, IdenticalEnisCollapseAndTheLabelSaysSo) {
    Network net = load(std::string(VPCFW_SOURCE_DIR) + "/examples/network.json");
    // Twenty copies of app-1: same subnet, same groups.
    const Eni base = *net.eni("eni-0a1b2c3d4e5f60201");
    for (int i = 0; i < 20; ++i) {
        Eni e = base;
        e.id = "eni-copy" + std::to_string(i);
        e.mac.clear();
        e.private_ips.clear();
        e.instance_id.clear();
        net.index.eni[e.id] = static_cast<Idx>(net.enis.size());
        net.enis.push_back(e);
    }
    DiagramRequest req;
    req.view = DiagramView::Layers;
    Dot dot(dot_of(net, req));
    ASSERT_NE(dot.g, nullptr);
    EXPECT_EQ(dot.node("eni-copy3"), nullptr);
    // The copies, app-1 and worker-1 (same subnet, same group prod-app): 22 ENIs, one node.
    EXPECT_NE(dot.label().find("collapsed: 22 ENIs with the same subnet and groups into 1 node"), std::string::npos) << dot.label();
}

TEST(Diagram, PathViewDrawsTheDropInRed) {
    Network net = load(std::string(VPCFW_SOURCE_DIR) + "/examples/network.json");
    DiagramRequest req;
    req.view = DiagramView::Path;
    req.packet = *parse_packet("tcp 8.8.8.8:40000 -> 203.0.113.20:22");
    req.from = "internet";
    Dot dot(dot_of(net, req));
    ASSERT_NE(dot.g, nullptr);
    Agnode_t* drop = dot.node("drop");
    ASSERT_NE(drop, nullptr);
    char key[] = "label";
    EXPECT_NE(std::string(agget(drop, key)).find("nacl-ingress"), std::string::npos);
    // Hop 1 leaves the internet for the IGW; the last hop is red.
    bool first = false;
    for (Agedge_t* e = agfstout(dot.g, dot.node("internet")); e; e = agnxtout(dot.g, e)) {
        std::string label = agget(e, key) ? agget(e, key) : "";
        if (label.rfind("1. igw", 0) == 0 && std::string(agnameof(aghead(e))) == "igw-0a1b2c3d4e5f60001") first = true;
    }
    EXPECT_TRUE(first);
    Agedge_t* last = agfstin(dot.g, drop);
    ASSERT_NE(last, nullptr);
    char color[] = "color";
    EXPECT_STREQ(agget(last, color), "red");
}

TEST(Diagram, BadRequestsAreInputErrors) {
    Network net = load(std::string(VPCFW_SOURCE_DIR) + "/examples/network.json");
    EXPECT_FALSE(diagram_view("chains").ok());
    DiagramRequest req;
    req.vpcs = {"vpc-nope"};
    auto g = build_diagram(net, req);
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.error().exit_code(), kExitUsage);
    EXPECT_NE(g.error().message.find("vpc-nope"), std::string::npos);
    DiagramRequest path;
    path.view = DiagramView::Path;
    EXPECT_FALSE(build_diagram(net, path).ok());
    EXPECT_FALSE(format_for_path("out.jpg").ok());
}

TEST(Diagram, VpcScopeDrawsOnlyThatVpc) {
    Network net = load(std::string(VPCFW_SOURCE_DIR) + "/examples/network.json");
    DiagramRequest req;
    req.view = DiagramView::Layers;
    req.vpcs = {"vpc-0a1b2c3d4e5f60002"};
    Dot dot(dot_of(net, req));
    ASSERT_NE(dot.g, nullptr);
    EXPECT_NE(dot.node("subnet-0a1b2c3d4e5f62011"), nullptr);
    EXPECT_EQ(dot.node("subnet-0a1b2c3d4e5f61011"), nullptr);
}
