// The AWS JSON loader: `aws ec2 describe-*` output (one bundle, or a directory of files)
// into a Network. Objects seen in several files are merged by id; types, CIDRs, addresses
// and the references that must resolve are checked, and errors name file + JSON pointer.
// The families are read in loader_vpcs_routes.cpp, loader_security_groups.cpp,
// loader_network_acls.cpp, loader_interfaces.cpp and loader_gateways.cpp; this file holds
// the walk over files and directories (each file read and parsed within the limits of
// ruleset/bounded_input.hpp), the reading of one bundle and the final Network (with AWS's
// default NACL for a VPC whose NACLs the export left out, §5 CHOICE missing_nacl_default).
#include "ruleset/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <unordered_map>
#include <utility>

#include "ruleset/bounded_input.hpp"
#include "ruleset/limits.hpp"
#include "ruleset/lint.hpp"
#include "ruleset/loader_state.hpp"

namespace vpcfw {

namespace load {

namespace fs = std::filesystem;

// §5 CHOICE missing_nacl_default: a subnet with no NACL in the export (no association and
// no default NACL of its VPC) has AWS's default NACL as AWS creates it, one per VPC, named
// `acl-default(VPC-ID)` (kMissingNaclPrefix): allow everything in and out (rule 100 IPv4;
// rule 101 IPv6 for a VPC with IPv6), then `*`. Appended after the exported NACLs, so
// their indexes do not move; both evaluators read it as any default NACL, and `check`
// reports `nacl-missing` for the subnets that use it.
void add_missing_default_nacls(Network& net) {
    std::vector<bool> associated(net.subnets.size(), false), has_default(net.vpcs.size(), false);
    std::unordered_map<std::string, Idx> subnet_at;
    for (Idx s = 0; s < net.subnets.size(); ++s) subnet_at.emplace(net.subnets[s].id, s);
    for (const auto& a : net.network_acls) {
        if (a.is_default && a.vpc < net.vpcs.size()) has_default[a.vpc] = true;
        for (const auto& x : a.associations)
            if (auto it = subnet_at.find(x.subnet_id); it != subnet_at.end()) associated[it->second] = true;
    }
    for (Idx s = 0; s < net.subnets.size(); ++s) {
        Idx v = net.subnets[s].vpc;
        if (associated[s] || v >= net.vpcs.size() || has_default[v]) continue;
        has_default[v] = true;
        NetworkAcl acl;
        acl.id = std::string(kMissingNaclPrefix) + net.vpcs[v].id + ")";
        acl.vpc = v;
        acl.is_default = true;
        acl.name = "AWS default NACL (not in the export)";
        bool v6 = !net.vpcs[v].cidrs6.empty();
        for (bool egress : {false, true}) {
            NaclEntry e;
            e.egress = egress;
            e.proto = kProtoAll;
            e.allow = true;
            e.rule_number = 100;
            e.cidr = *Cidr::parse("0.0.0.0/0");
            acl.entries.push_back(e);
            if (v6) {
                e.rule_number = 101;
                e.cidr = *Cidr::parse("::/0");
                acl.entries.push_back(e);
            }
            e.allow = false;
            e.rule_number = 32767;
            e.cidr = *Cidr::parse("0.0.0.0/0");
            acl.entries.push_back(e);
            if (v6) {
                e.rule_number = 32768;
                e.cidr = *Cidr::parse("::/0");
                acl.entries.push_back(e);
            }
        }
        std::stable_sort(acl.entries.begin(), acl.entries.end(), [](const NaclEntry& x, const NaclEntry& y) {
            return std::pair(x.egress, x.rule_number) < std::pair(y.egress, y.rule_number);
        });
        net.network_acls.push_back(std::move(acl));
    }
}

const char* const kKnownKeys[] = {
    "Vpcs", "Subnets", "RouteTables", "SecurityGroups", "SecurityGroupRules", "NetworkAcls",
    "NetworkInterfaces", "Reservations", "Addresses", "InternetGateways",
    "EgressOnlyInternetGateways", "NatGateways", "VpcPeeringConnections", "TransitGateways",
    "TransitGatewayAttachments", "TransitGatewayVpcAttachments", "TransitGatewayPeeringAttachments",
    "TransitGatewayRouteTables",
    "TransitGatewayStaticRoutes", "TransitGatewayPropagations", "VpcEndpoints", "PrefixLists",
    "VpcfwPrefixListEntries", "VpnGateways", "VpnConnections", "CustomerGateways",
    "Firewalls", "FirewallPolicies", "RuleGroups", "Firewall", "FirewallPolicy", "RuleGroup",
    "FirewallPolicyResponse", "RuleGroupResponse",
};

// ---------------------------------------------------------------------------------------
// Reading one bundle

bool Loader::add_bundle(const json& doc, const std::string& file, const std::string& region) {
    file_ = file;
    region_ = region;
    Node root(&doc, "", &file_);
    if (!doc.is_object()) return skip(file, std::string("top level is ") + doc.type_name() + ", not an object");
    bool any = false;
    for (const char* k : kKnownKeys) any = any || doc.contains(k);
    if (!any) {
        std::string keys;
        for (auto it = doc.begin(); it != doc.end() && keys.size() < 120; ++it)
            keys += (keys.empty() ? "" : ", ") + it.key();
        return skip(file, keys.empty() ? "empty object: no AWS describe keys"
                                        : "holds no network data vpcfw reads (top-level keys: " + keys + ")");
    }
    net_.sources.push_back(file);

    for (const Node& n : root["Vpcs"].objects()) vpc(n);
    for (const Node& n : root["Subnets"].objects()) subnet(n);
    for (const Node& n : root["RouteTables"].objects()) route_table(n);
    for (const Node& n : root["SecurityGroups"].objects()) security_group(n);
    for (const Node& n : root["SecurityGroupRules"].objects()) security_group_rule(n);
    for (const Node& n : root["NetworkAcls"].objects()) network_acl(n);
    for (const Node& n : root["NetworkInterfaces"].objects()) eni(n, true, {}, {});
    for (const Node& n : root["Reservations"].objects())
        for (const Node& i : n["Instances"].objects()) instance(i);
    for (const Node& n : root["Addresses"].objects()) address(n);
    for (const Node& n : root["InternetGateways"].objects())
        internet_gateway(n, "InternetGatewayId", "Attachments", igws_);
    for (const Node& n : root["EgressOnlyInternetGateways"].objects())
        internet_gateway(n, "EgressOnlyInternetGatewayId", "Attachments", eigws_);
    for (const Node& n : root["NatGateways"].objects()) nat_gateway(n);
    for (const Node& n : root["VpcPeeringConnections"].objects()) peering(n);
    for (const Node& n : root["TransitGateways"].objects()) transit_gateway(n);
    for (const Node& n : root["TransitGatewayAttachments"].objects()) tgw_attachment(n, false);
    for (const Node& n : root["TransitGatewayVpcAttachments"].objects()) tgw_attachment(n, true);
    for (const Node& n : root["TransitGatewayPeeringAttachments"].objects()) tgw_peering_attachment(n);
    for (const Node& n : root["TransitGatewayRouteTables"].objects()) tgw_route_table(n);
    for (const Node& n : root["TransitGatewayStaticRoutes"].objects()) tgw_static_routes(n);
    for (const Node& n : root["TransitGatewayPropagations"].objects()) tgw_propagations(n);
    for (const Node& n : root["VpcEndpoints"].objects()) endpoint(n);
    for (const Node& n : root["PrefixLists"].objects()) prefix_list(n);
    prefix_list_entries(root["VpcfwPrefixListEntries"]);
    for (const Node& n : root["VpnGateways"].objects()) vpn_gateway(n);
    for (const Node& n : root["VpnConnections"].objects()) vpn_connection(n);
    for (const Node& n : root["CustomerGateways"].objects()) n["CustomerGatewayId"].need_str();
    // AWS Network Firewall: bundle keys, or one raw describe output per file (§1).
    for (const Node& n : root["Firewalls"].objects()) firewall(n);
    for (const Node& n : root["FirewallPolicies"].objects()) firewall_policy(n);
    for (const Node& n : root["RuleGroups"].objects()) rule_group(n);
    if (doc.contains("Firewall") || doc.contains("FirewallStatus")) firewall(root);
    if (doc.contains("FirewallPolicy") || doc.contains("FirewallPolicyResponse")) firewall_policy(root);
    if (doc.contains("RuleGroup") || doc.contains("RuleGroupResponse")) rule_group(root);
    return true;
}

// Resolves a parent reference that must exist; kNone when none was given.
Idx resolve_ref(const Ref& r, const std::unordered_map<std::string, Idx>& index, const char* what,
                const std::string& owner) {
    if (r.id.empty()) return kNone;
    auto it = index.find(r.id);
    if (it == index.end()) fail(r.file, r.where, owner + " names " + what + " " + r.id + ", which is not in the export");
    return it->second;
}

// Resolves the VPC reference of every object in `t`.
template <typename T>
void resolve_vpcs(Table<T>& t, const Table<Vpc>& vpcs) {
    for (size_t i = 0; i < t.items.size(); ++i)
        t.items[i].vpc = resolve_ref(t.vpc[i], vpcs.by_id, "VPC", t.items[i].id);
}

// Resolves the subnet, then the VPC reference of every object in `t`; without a VpcId the
// object is in its subnet's VPC.
template <typename T>
void resolve_subnets_and_vpcs(Table<T>& t, const Table<Subnet>& subnets, const Table<Vpc>& vpcs) {
    for (size_t i = 0; i < t.items.size(); ++i) {
        T& x = t.items[i];
        x.subnet = resolve_ref(t.subnet[i], subnets.by_id, "subnet", x.id);
        x.vpc = resolve_ref(t.vpc[i], vpcs.by_id, "VPC", x.id);
        if (x.vpc == kNone && x.subnet != kNone) x.vpc = subnets.items[x.subnet].vpc;
    }
}

namespace {

// ruleset/limits.hpp: a list past its limit is refused, naming the file and the object
// (where its VpcId was read) and the limit.
void check_limits(const Table<SecurityGroup>& security_groups_, const Table<NetworkAcl>& network_acls_,
                  const std::string& file_) {
    auto object_where = [](const Ref& vpc) {
        std::string w = vpc.where;
        if (w.size() >= 6 && w.compare(w.size() - 6, 6, "/VpcId") == 0) w.resize(w.size() - 6);
        return w;
    };
    auto over = [&](const Ref& at, const std::string& id, size_t n, size_t limit, const char* what) {
        fail(at.file, object_where(at),
             id + " has " + std::to_string(n) + " " + what + ", over vpcfw's limit of " + std::to_string(limit) +
                 " (ruleset/limits.hpp)");
    };
    if (security_groups_.items.size() > kMaxSecurityGroups)
        fail(file_, "", std::to_string(security_groups_.items.size()) + " security groups, over vpcfw's limit of " +
                            std::to_string(kMaxSecurityGroups) + " in one network (ruleset/limits.hpp)");
    if (network_acls_.items.size() > kMaxNetworkAcls)
        fail(file_, "", std::to_string(network_acls_.items.size()) + " network ACLs, over vpcfw's limit of " +
                            std::to_string(kMaxNetworkAcls) + " in one network (ruleset/limits.hpp)");
    for (size_t i = 0; i < security_groups_.items.size(); ++i) {
        const SecurityGroup& g = security_groups_.items[i];
        if (g.ingress.size() > kMaxSgRulesPerDirection)
            over(security_groups_.vpc[i], g.id, g.ingress.size(), kMaxSgRulesPerDirection, "inbound rules");
        if (g.egress.size() > kMaxSgRulesPerDirection)
            over(security_groups_.vpc[i], g.id, g.egress.size(), kMaxSgRulesPerDirection, "outbound rules");
    }
    size_t allEntries = 0;
    for (size_t i = 0; i < network_acls_.items.size(); ++i) {
        const NetworkAcl& a = network_acls_.items[i];
        size_t n[2] = {0, 0};
        for (const NaclEntry& e : a.entries) ++n[e.egress ? 1 : 0];
        if (n[0] > kMaxNaclEntriesPerDirection) over(network_acls_.vpc[i], a.id, n[0], kMaxNaclEntriesPerDirection, "inbound entries");
        if (n[1] > kMaxNaclEntriesPerDirection) over(network_acls_.vpc[i], a.id, n[1], kMaxNaclEntriesPerDirection, "outbound entries");
        allEntries += a.entries.size();
    }
    if (allEntries > kMaxNaclEntriesInNetwork)
        fail(file_, "", std::to_string(allEntries) + " network ACL entries, over vpcfw's limit of " +
                            std::to_string(kMaxNaclEntriesInNetwork) + " in one network (ruleset/limits.hpp)");
}

} // namespace

Network Loader::finish() {
    Network& net = net_;
    // Dangling references to objects that must be in the export.
    resolve_vpcs(subnets_, vpcs_);
    resolve_vpcs(route_tables_, vpcs_);
    resolve_vpcs(security_groups_, vpcs_);
    resolve_vpcs(network_acls_, vpcs_);
    for (const Ref& r : need_subnet_) resolve_ref(r, subnets_.by_id, "subnet", "network ACL association");
    resolve_subnets_and_vpcs(enis_, subnets_, vpcs_);
    resolve_subnets_and_vpcs(nat_gateways_, subnets_, vpcs_);
    resolve_vpcs(endpoints_, vpcs_);
    check_limits(security_groups_, network_acls_, file_);

    net.vpcs = std::move(vpcs_.items);
    net.subnets = std::move(subnets_.items);
    net.route_tables = std::move(route_tables_.items);
    net.security_groups = std::move(security_groups_.items);
    net.network_acls = std::move(network_acls_.items);
    net.enis = std::move(enis_.items);
    net.instances = std::move(instances_.items);
    net.elastic_ips = std::move(eips_);
    net.internet_gateways = std::move(igws_.items);
    net.egress_only_gateways = std::move(eigws_.items);
    net.nat_gateways = std::move(nat_gateways_.items);
    net.peerings = std::move(peerings_.items);
    net.transit_gateways = std::move(tgws_.items);
    net.tgw_attachments = std::move(tgw_attachments_.items);
    net.tgw_route_tables = std::move(tgw_rtbs_.items);
    net.vpn_gateways = std::move(vgws_.items);
    net.vpn_connections = std::move(vpn_connections_.items);
    net.endpoints = std::move(endpoints_.items);
    net.prefix_lists = std::move(prefix_lists_.items);

    for (auto& a : net.network_acls)
        std::stable_sort(a.entries.begin(), a.entries.end(), [](const NaclEntry& x, const NaclEntry& y) {
            return std::pair(x.egress, x.rule_number) < std::pair(y.egress, y.rule_number);
        });
    for (auto& p : net.prefix_lists)
        if (p.family.empty() && !p.entries.empty()) p.family = p.entries[0].base.is_v4() ? "IPv4" : "IPv6";
    add_missing_default_nacls(net);
    net.reindex();

    // An instance's primary ENI: device index 0, else the first one listed.
    auto primary_eni = [&net](const std::string& instance_id) -> Eni* {
        Eni* first = nullptr;
        for (auto& e : net.enis) {
            if (e.instance_id != instance_id) continue;
            if (e.device_index == 0) return &e;
            if (!first) first = &e;
        }
        if (first) return first;
        if (const Instance* in = net.instance(instance_id))
            for (const auto& id : in->enis)
                if (auto it = net.index.eni.find(id); it != net.index.eni.end()) return &net.enis[it->second];
        return nullptr;
    };

    // Routes that name only an instance go to its primary ENI.
    for (auto& t : net.route_tables)
        for (auto& r : t.routes)
            if (r.target.empty() && !r.instance_id.empty()) {
                Eni* e = primary_eni(r.instance_id);
                r.target = e ? e->id : r.instance_id;
            }

    // Elastic IPs associated with an ENI's private address: that address's public IP.
    for (const auto& eip : net.elastic_ips) {
        if (eip.association_id.empty() && eip.eni_id.empty()) continue;
        Eni* e = nullptr;
        if (!eip.eni_id.empty()) {
            auto it = net.index.eni.find(eip.eni_id);
            if (it != net.index.eni.end()) e = &net.enis[it->second];
        } else if (!eip.instance_id.empty()) {
            e = primary_eni(eip.instance_id);
        }
        if (!e) continue;
        PrivateIp* p = nullptr;
        for (auto& ip : e->private_ips)
            if (eip.private_ip ? ip.addr == *eip.private_ip : ip.primary) p = &ip;
        if (!p) continue;
        p->public_ip = eip.public_ip;
        p->allocation_id = eip.allocation_id;
        p->association_id = eip.association_id;
    }
    fill_nat_public_ips(net);
    finish_firewalls(net);
    return std::move(net_);
}

} // namespace load

namespace {

using namespace load;

// ---------------------------------------------------------------------------------------
// Reading files.

// Line and column (1-based) of byte offset `pos` in `text`.
std::pair<size_t, size_t> line_col(const std::string& text, size_t pos) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

json parse_json(const std::string& text, const std::string& file) {
    try {
        return parse_json_bounded(text);
    } catch (const JsonTooDeep& e) {
        fail(file, "", e.what());
    } catch (const json::parse_error& e) {
        // e.byte counts the characters read, including the offending one.
        auto [line, col] = line_col(text, e.byte > 0 ? e.byte - 1 : 0);
        std::string detail = e.what();
        auto p = detail.find(": ", detail.find("parse error"));
        if (p != std::string::npos) detail = detail.substr(p + 2);
        fail(file, "", "invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(col) + ": " +
                           detail);
    }
}

// A regular file of at most kMaxInputFileBytes (ruleset/bounded_input.hpp): a FIFO,
// a device or an oversized file is an input error, never a wait or an allocation.
std::string read_file(const fs::path& p) {
    auto text = read_input_file(p.string());
    if (!text) fail(p.string(), "", text.error().message);
    return std::move(*text);
}

// REGION when the file sits at accounts/ACCOUNT/REGION/FILE.json, else "".
std::string region_of(const fs::path& file) {
    fs::path region = file.parent_path();
    fs::path accounts = region.parent_path().parent_path();
    if (accounts.filename() == "accounts" && !region.filename().empty()) return region.filename().string();
    return {};
}

void add_file(Loader& loader, const fs::path& p, bool must_be_object) {
    std::string text = read_file(p);
    json doc = parse_json(text, p.string());
    if (must_be_object && !doc.is_object())
        fail(p.string(), "", std::string("the network must be a JSON object, found ") + doc.type_name());
    loader.add_bundle(doc, p.string(), region_of(p));
}

Result<Network> run(const std::function<void(Loader&)>& body, const LoadOptions& options) {
    try {
        Loader loader;
        loader.inert_rules = options.inert_rules;
        loader.missing_groups_empty = options.missing_groups_empty;
        body(loader);
        return loader.finish();
    } catch (const InputError& e) {
        return e.error;
    } catch (const std::exception& e) {
        return make_error(std::string("cannot load the network: ") + e.what());
    }
}

} // namespace

Result<Network> load_network(const std::string& path, const LoadOptions& options) {
    return run([&path](Loader& loader) {
        std::error_code ec;
        fs::path root(path);
        auto st = fs::status(root, ec);
        if (ec || !fs::exists(st)) fail(path, "", "no such file or directory");
        if (!fs::is_directory(st)) {
            add_file(loader, root, true);
            if (loader.loaded() == 0) fail(path, "", "no AWS describe keys at the top level (Vpcs, Subnets, ...)");
            return;
        }
        std::vector<fs::path> files;
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
        if (ec) fail(path, "", "cannot list the directory: " + ec.message());
        for (; it != end; it.increment(ec)) {
            if (ec) fail(path, "", "cannot list the directory: " + ec.message());
            std::error_code fec;
            if (it->path().extension() == ".json" && it->is_regular_file(fec)) files.push_back(it->path());
        }
        if (files.empty()) fail(path, "", "the directory holds no *.json files");
        std::sort(files.begin(), files.end());
        for (const auto& f : files) add_file(loader, f, false);
        if (loader.loaded() == 0)
            fail(path, "", "none of the " + std::to_string(files.size()) + " *.json files holds AWS describe output");
    }, options);
}

Result<Network> load_network_text(const std::string& json_text, const std::string& origin,
                                  const LoadOptions& options) {
    return run([&](Loader& loader) {
        json doc = parse_json(json_text, origin);
        if (!doc.is_object())
            fail(origin, "", std::string("the network must be a JSON object, found ") + doc.type_name());
        loader.add_bundle(doc, origin, "");
        if (loader.loaded() == 0) fail(origin, "", "no AWS describe keys at the top level (Vpcs, Subnets, ...)");
    }, options);
}

} // namespace vpcfw
