// The loader's working state (internal to ruleset/, for loader.cpp and the loader_*.cpp
// files): `Loader` reads bundles one by one into a Table per kind of object, merged by id
// across files (the merging helpers below), and `finish()` resolves the references between
// them into a Network. Each kind is read by the file of its resource family (listed below);
// loader.cpp walks files and directories, reads each bundle and finishes. Cold path.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ruleset/loader_node.hpp"
#include "ruleset/model.hpp"

namespace vpcfw::load {

// ---------------------------------------------------------------------------------------
// Merging helpers: fill what is empty, add list elements not already there.

inline void fill(std::string& a, const std::string& b) {
    if (a.empty()) a = b;
}

template <typename T>
void add_unique(std::vector<T>& a, const std::vector<T>& b) {
    for (const T& x : b)
        if (std::find(a.begin(), a.end(), x) == a.end()) a.push_back(x);
}

// Adds the elements of `b` whose key is not among `a`'s keys; `same(old, new)` is called
// for duplicates so that a caller can complete the kept element.
template <typename T, typename Key, typename Same>
void add_unique_by(std::vector<T>& a, const std::vector<T>& b, Key key, Same same) {
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < a.size(); ++i) seen.emplace(key(a[i]), i);
    for (const T& x : b) {
        auto it = seen.find(key(x));
        if (it != seen.end()) {
            same(a[it->second], x);
            continue;
        }
        seen.emplace(key(x), a.size());
        a.push_back(x);
    }
}

template <typename T, typename Key>
void add_unique_by(std::vector<T>& a, const std::vector<T>& b, Key key) {
    add_unique_by(a, b, key, [](T&, const T&) {});
}

// A reference by id to an object that must be in the export, and where it was written.
struct Ref {
    std::string id;
    std::string file;
    std::string where;
};

inline Ref ref_of(const Node& n) { return Ref{n.str(), n.file(), n.where()}; }

// Objects of one kind while loading: merged by id; parent references resolved at the end.
template <typename T>
struct Table {
    std::vector<T> items;
    std::vector<Ref> vpc, subnet; // per item; empty id = none given
    std::unordered_map<std::string, Idx> by_id;

    Idx find(const std::string& id) const {
        auto it = by_id.find(id);
        return it == by_id.end() ? kNone : it->second;
    }
};

// Keeps one parent reference per object: a second, different one is a conflict.
inline void merge_ref(Ref& have, const Ref& incoming, const std::string& id, const char* what) {
    if (incoming.id.empty()) return;
    if (have.id.empty()) {
        have = incoming;
        return;
    }
    if (have.id != incoming.id)
        fail(incoming.file, incoming.where,
             id + " appears twice with different " + what + " (" + have.id + " and " + incoming.id + ")");
}

// Adds `obj` to `t`, or merges it into the object with the same id with `merge(old, new)`.
template <typename T, typename Merge>
Idx put(Table<T>& t, T obj, const Ref& vpc, const Ref& subnet, Merge merge) {
    Idx i = t.find(obj.id);
    if (i == kNone) {
        i = static_cast<Idx>(t.items.size());
        t.by_id.emplace(obj.id, i);
        t.items.push_back(std::move(obj));
        t.vpc.push_back(vpc);
        t.subnet.push_back(subnet);
        return i;
    }
    merge_ref(t.vpc[i], vpc, t.items[i].id, "VpcId");
    merge_ref(t.subnet[i], subnet, t.items[i].id, "SubnetId");
    merge(t.items[i], obj);
    return i;
}

// ---------------------------------------------------------------------------------------
// The loader proper: reads bundles one by one into tables, then builds the Network.

class Loader {
public:
    // Reads one parsed bundle. Returns false (with a warning) when it holds no AWS key.
    bool add_bundle(const json& doc, const std::string& file, const std::string& region);

    // How many bundles held AWS keys.
    size_t loaded() const { return net_.sources.size(); }

    void warn(const std::string& file, const std::string& where, const std::string& msg) {
        net_.warnings.push_back(Warning{file, where, msg});
    }

    // Checks the references that must resolve and builds the Network.
    Network finish();

private:
    bool skip(const std::string& file, const std::string& why) {
        net_.warnings.push_back(Warning{file, "", why + "; file skipped", true});
        return false;
    }

    // VPCs, subnets, route tables (loader_vpcs_routes.cpp)
    void vpc(const Node& n);
    void subnet(const Node& n);
    Route route(const Node& n);
    void route_table(const Node& n);

    // Security groups and their rules, prefix lists (loader_security_groups.cpp)
    void security_group(const Node& n);
    void security_group_rule(const Node& n);
    void prefix_list(const Node& n);
    void prefix_list_entries(const Node& n);

    // Network ACLs (loader_network_acls.cpp)
    void network_acl(const Node& n);

    // Network interfaces, instances, Elastic IPs (loader_interfaces.cpp)
    void eni(const Node& n, bool describe, const std::string& instance_id, const std::string& az);
    void instance(const Node& n);
    void address(const Node& n);

    // Gateways, peering, transit gateways, VPN, endpoints (loader_gateways.cpp)
    void internet_gateway(const Node& n, const char* id_key, const char* att_key, Table<InternetGateway>& t);
    void nat_gateway(const Node& n);
    void peering(const Node& n);
    void transit_gateway(const Node& n);
    void tgw_attachment(const Node& n, bool vpc_form);
    void tgw_peering_attachment(const Node& n);
    void tgw_route_table(const Node& n);
    void tgw_static_routes(const Node& n);
    void tgw_propagations(const Node& n);
    void vpn_gateway(const Node& n);
    void vpn_connection(const Node& n);
    void endpoint(const Node& n);

    // AWS Network Firewall: firewalls, policies, rule groups (loader_firewalls.cpp)
    void firewall(const Node& n);
    void firewall_policy(const Node& n);
    void rule_group(const Node& n);
    void finish_firewalls(Network& net);   // references, endpoints, variables (after reindex)

public:
    bool inert_rules = false;              // LoadOptions::inert_rules
    bool missing_groups_empty = false;     // LoadOptions::missing_groups_empty

private:
    std::string file_, region_;
    Network net_;
    Table<Vpc> vpcs_;
    Table<Subnet> subnets_;
    Table<RouteTable> route_tables_;
    Table<SecurityGroup> security_groups_;
    Table<NetworkAcl> network_acls_;
    Table<Eni> enis_;
    std::vector<bool> eni_described_;
    Table<Instance> instances_;
    std::vector<ElasticIp> eips_;
    std::unordered_map<std::string, size_t> eip_by_key_;
    Table<InternetGateway> igws_, eigws_;
    Table<NatGateway> nat_gateways_;
    Table<PeeringConnection> peerings_;
    Table<TransitGateway> tgws_;
    Table<TgwAttachment> tgw_attachments_;
    Table<TgwRouteTable> tgw_rtbs_;
    Table<VpnGateway> vgws_;
    Table<VpnConnection> vpn_connections_;
    Table<VpcEndpoint> endpoints_;
    Table<PrefixList> prefix_lists_;
    std::vector<Ref> need_subnet_; // NACL associations
    std::vector<NfwFirewall> firewalls_;
    std::vector<NfwPolicy> policies_;
    std::vector<NfwRuleGroup> rule_groups_;
    std::map<std::string, std::pair<std::string, Ref>> nfw_seen_; // ARN -> (object text, where first read)
    std::vector<Ref> fw_policy_ref_, fw_vpc_ref_;                    // per firewall
};

} // namespace vpcfw::load
