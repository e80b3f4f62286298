// The AWS JSON loader: `aws ec2 describe-*` output (one bundle, or a directory of files)
// into a Network. Objects seen in several files are merged by id; types, CIDRs, addresses
// and the references that must resolve are checked, and errors name file + JSON pointer.
#include "ruleset/loader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

namespace vpcfw {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// Inside this file a bad input throws InputError; the two public functions catch it (and
// anything else) and hand it back as an Error value. Nothing escapes them.
struct InputError {
    Error error;
};

[[noreturn]] void fail(const std::string& file, const std::string& where, const std::string& msg) {
    throw InputError{Error{msg, {}, file, where}};
}

// RFC 6901: "~" -> "~0", "/" -> "~1".
std::string pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// ---------------------------------------------------------------------------------------
// Node: a JSON value (or its absence) plus where it sits, so that every check can say
// where the input is wrong. Reading an absent or null member gives the empty value.

class Node {
public:
    Node(const json* v, std::string where, const std::string* file)
        : v_(v), where_(std::move(where)), file_(file) {}

    bool present() const { return v_ != nullptr && !v_->is_null(); }
    const std::string& where() const { return where_; }
    const std::string& file() const { return *file_; }
    [[noreturn]] void fail(const std::string& msg) const { vpcfw::fail(*file_, where_, msg); }

    // A member of an object. This node must be an object (or absent).
    Node operator[](const std::string& key) const {
        std::string w = where_ + "/" + pointer_token(key);
        if (!present()) return Node(nullptr, w, file_);
        if (!v_->is_object()) fail(std::string("expected an object, found ") + v_->type_name());
        auto it = v_->find(key);
        return Node(it == v_->end() ? nullptr : &*it, w, file_);
    }

    // The elements of an array (absent = none).
    std::vector<Node> items() const {
        std::vector<Node> out;
        if (!present()) return out;
        if (!v_->is_array()) fail(std::string("expected an array, found ") + v_->type_name());
        out.reserve(v_->size());
        for (size_t i = 0; i < v_->size(); ++i)
            out.emplace_back(&(*v_)[i], where_ + "/" + std::to_string(i), file_);
        return out;
    }

    // The elements of an array of objects.
    std::vector<Node> objects() const {
        std::vector<Node> out = items();
        for (const Node& n : out) n.need_object();
        return out;
    }

    void need_object() const {
        if (!present()) fail("missing (expected an object)");
        if (!v_->is_object()) fail(std::string("expected an object, found ") + v_->type_name());
    }

    // A string; "" when absent.
    std::string str() const {
        if (!present()) return {};
        if (!v_->is_string()) fail(std::string("expected a string, found ") + v_->type_name());
        return v_->get<std::string>();
    }

    // A required, non-empty string (an id).
    std::string need_str() const {
        if (!present()) fail("missing required value");
        std::string s = str();
        if (s.empty()) fail("must not be empty");
        return s;
    }

    bool boolean(bool def) const {
        if (!present()) return def;
        if (!v_->is_boolean()) fail(std::string("expected true or false, found ") + v_->type_name());
        return v_->get<bool>();
    }

    // An integer within [lo, hi]; `def` when absent.
    int integer(int lo, int hi, int def) const {
        if (!present()) return def;
        if (!v_->is_number_integer())
            fail(std::string("expected an integer, found ") +
                 (v_->is_number_float() ? "a non-integer number" : v_->type_name()));
        long long x;
        if (v_->is_number_unsigned()) {
            uint64_t u = v_->get<uint64_t>();
            x = u > uint64_t(hi) ? (long long)hi + 1 : (long long)u;
        } else {
            x = v_->get<int64_t>();
        }
        if (x < lo || x > hi)
            fail("integer out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
        return static_cast<int>(x);
    }

    std::optional<IpAddr> opt_ip() const {
        if (!present()) return std::nullopt;
        std::string s = str();
        auto a = IpAddr::parse(s);
        if (!a) fail("malformed IP address \"" + s + "\"");
        return a;
    }
    IpAddr ip() const {
        if (!present()) fail("missing required IP address");
        return *opt_ip();
    }

    std::optional<Cidr> opt_cidr() const {
        if (!present()) return std::nullopt;
        std::string s = str();
        auto c = Cidr::parse(s);
        if (!c) fail("malformed CIDR block \"" + s + "\"");
        return c;
    }
    Cidr cidr() const {
        if (!present()) fail("missing required CIDR block");
        return *opt_cidr();
    }

    // A required integer within [lo, hi].
    int need_integer(int lo, int hi) const {
        if (!present()) fail("missing required integer");
        return integer(lo, hi, 0);
    }

    bool is_array() const { return present() && v_->is_array(); }

    // The member names of an object (absent = none).
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        if (!present()) return out;
        need_object();
        for (auto it = v_->begin(); it != v_->end(); ++it) out.push_back(it.key());
        return out;
    }

    // An array of strings.
    std::vector<std::string> strings() const {
        std::vector<std::string> out;
        for (const Node& n : items()) out.push_back(n.str());
        return out;
    }

private:
    const json* v_;
    std::string where_;
    const std::string* file_;
};

// The Name tag of `Tags` / `TagSet`, type-checked.
std::string name_tag(const Node& tags) {
    std::string name;
    for (const Node& t : tags.objects())
        if (t["Key"].str() == "Name") name = t["Value"].str();
    return name;
}

// "tcp"/"6", "udp"/"17", "icmp"/"1", "icmpv6"/"58", "-1", or any protocol number.
int parse_protocol(const Node& n) {
    std::string s = lower(n.need_str());
    if (s == "-1") return kProtoAll;
    if (s == "tcp") return kProtoTcp;
    if (s == "udp") return kProtoUdp;
    if (s == "icmp") return kProtoIcmp;
    if (s == "icmpv6") return kProtoIcmpv6;
    if (s.size() <= 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        int p = std::stoi(s);
        if (p <= 255) return p;
    }
    n.fail("unknown IP protocol \"" + s + "\"");
}

// Route target kind from an id's prefix (GatewayId carries several kinds).
TargetKind kind_of_id(const std::string& id) {
    if (id == "local") return TargetKind::Local;
    if (starts_with(id, "igw-")) return TargetKind::InternetGateway;
    if (starts_with(id, "eigw-")) return TargetKind::EgressOnlyIgw;
    if (starts_with(id, "vgw-")) return TargetKind::VpnGateway;
    if (starts_with(id, "vpce-")) return TargetKind::VpcEndpoint;
    if (starts_with(id, "nat-")) return TargetKind::NatGateway;
    if (starts_with(id, "eni-")) return TargetKind::NetworkInterface;
    if (starts_with(id, "pcx-")) return TargetKind::Peering;
    if (starts_with(id, "tgw-")) return TargetKind::TransitGateway;
    if (starts_with(id, "lgw-")) return TargetKind::LocalGateway;
    if (starts_with(id, "cagw-")) return TargetKind::CarrierGateway;
    return TargetKind::Unknown;
}

// ---------------------------------------------------------------------------------------
// Merging helpers: fill what is empty, add list elements not already there.

void fill(std::string& a, const std::string& b) {
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

std::string sg_rule_key(const SgRule& r) {
    return std::to_string(r.egress) + "|" + std::to_string(r.proto) + "|" + std::to_string(r.from_port) +
           "|" + std::to_string(r.to_port) + "|" + std::to_string(int(r.peer)) + "|" + r.peer_str();
}

// A reference by id to an object that must be in the export, and where it was written.
struct Ref {
    std::string id;
    std::string file;
    std::string where;
};

Ref ref_of(const Node& n) { return Ref{n.str(), n.file(), n.where()}; }

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
void merge_ref(Ref& have, const Ref& incoming, const std::string& id, const char* what) {
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

const char* const kKnownKeys[] = {
    "Vpcs", "Subnets", "RouteTables", "SecurityGroups", "SecurityGroupRules", "NetworkAcls",
    "NetworkInterfaces", "Reservations", "Addresses", "InternetGateways",
    "EgressOnlyInternetGateways", "NatGateways", "VpcPeeringConnections", "TransitGateways",
    "TransitGatewayAttachments", "TransitGatewayVpcAttachments", "TransitGatewayRouteTables",
    "TransitGatewayStaticRoutes", "TransitGatewayPropagations", "VpcEndpoints", "PrefixLists",
    "VpcfwPrefixListEntries", "VpnGateways", "VpnConnections", "CustomerGateways",
};

class Loader {
public:
    // Reads one parsed bundle. Returns false (with a warning) when it holds no AWS key.
    bool add_bundle(const json& doc, const std::string& file, const std::string& region) {
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
        for (const Node& n : root["TransitGatewayRouteTables"].objects()) tgw_route_table(n);
        for (const Node& n : root["TransitGatewayStaticRoutes"].objects()) tgw_static_routes(n);
        for (const Node& n : root["TransitGatewayPropagations"].objects()) tgw_propagations(n);
        for (const Node& n : root["VpcEndpoints"].objects()) endpoint(n);
        for (const Node& n : root["PrefixLists"].objects()) prefix_list(n);
        prefix_list_entries(root["VpcfwPrefixListEntries"]);
        for (const Node& n : root["VpnGateways"].objects()) vpn_gateway(n);
        for (const Node& n : root["VpnConnections"].objects()) vpn_connection(n);
        for (const Node& n : root["CustomerGateways"].objects()) n["CustomerGatewayId"].need_str();
        return true;
    }

    // How many bundles held AWS keys.
    size_t loaded() const { return net_.sources.size(); }

    void warn(const std::string& file, const std::string& where, const std::string& msg) {
        net_.warnings.push_back(Warning{file, where, msg});
    }

    // Checks the references that must resolve and builds the Network.
    Network finish();

private:
    bool skip(const std::string& file, const std::string& why) {
        warn(file, "", why + "; file skipped");
        return false;
    }

    // --- VPCs and subnets ------------------------------------------------------------

    void vpc(const Node& n) {
        Vpc v;
        v.id = n["VpcId"].need_str();
        if (n["State"].present()) v.state = n["State"].str();
        v.owner = n["OwnerId"].str();
        v.name = name_tag(n["Tags"]);
        v.is_default = n["IsDefault"].boolean(false);
        v.region = region_;
        if (n["BlockPublicAccessStates"]["InternetGatewayBlockMode"].present())
            v.bpa_mode = n["BlockPublicAccessStates"]["InternetGatewayBlockMode"].str();
        auto primary = n["CidrBlock"].opt_cidr();
        for (const Node& a : n["CidrBlockAssociationSet"].objects()) {
            Cidr c = a["CidrBlock"].cidr();
            std::string state = a["CidrBlockState"]["State"].str();
            if (state.empty() || state == "associated") add_unique(v.cidrs4, {c});
        }
        if (primary) {
            // The primary CIDR comes first.
            auto it = std::find(v.cidrs4.begin(), v.cidrs4.end(), *primary);
            if (it != v.cidrs4.end()) v.cidrs4.erase(it);
            v.cidrs4.insert(v.cidrs4.begin(), *primary);
        }
        for (const Node& a : n["Ipv6CidrBlockAssociationSet"].objects()) {
            Cidr c = a["Ipv6CidrBlock"].cidr();
            std::string state = a["Ipv6CidrBlockState"]["State"].str();
            if (state.empty() || state == "associated") add_unique(v.cidrs6, {c});
        }
        if (v.cidrs4.empty() && v.cidrs6.empty()) n["CidrBlock"].fail("VPC " + v.id + " has no CIDR block");
        put(vpcs_, std::move(v), {}, {}, [](Vpc& a, const Vpc& b) {
            add_unique(a.cidrs4, b.cidrs4);
            add_unique(a.cidrs6, b.cidrs6);
            fill(a.owner, b.owner);
            fill(a.name, b.name);
            fill(a.region, b.region);
        });
    }

    void subnet(const Node& n) {
        Subnet s;
        s.id = n["SubnetId"].need_str();
        Ref vpc = ref_of(n["VpcId"]);
        if (vpc.id.empty()) n["VpcId"].need_str();
        s.az = n["AvailabilityZone"].str();
        s.az_id = n["AvailabilityZoneId"].str();
        if (n["State"].present()) s.state = n["State"].str();
        s.name = name_tag(n["Tags"]);
        s.cidr4 = n["CidrBlock"].opt_cidr();
        for (const Node& a : n["Ipv6CidrBlockAssociationSet"].objects()) {
            Cidr c = a["Ipv6CidrBlock"].cidr();
            std::string state = a["Ipv6CidrBlockState"]["State"].str();
            if (state.empty() || state == "associated") add_unique(s.cidrs6, {c});
        }
        s.map_public_ip_on_launch = n["MapPublicIpOnLaunch"].boolean(false);
        if (n["BlockPublicAccessStates"]["InternetGatewayBlockMode"].present())
            s.bpa_mode = n["BlockPublicAccessStates"]["InternetGatewayBlockMode"].str();
        put(subnets_, std::move(s), vpc, {}, [](Subnet& a, const Subnet& b) {
            if (!a.cidr4) a.cidr4 = b.cidr4;
            add_unique(a.cidrs6, b.cidrs6);
            fill(a.az, b.az);
            fill(a.az_id, b.az_id);
            fill(a.name, b.name);
        });
    }

    // --- Route tables ------------------------------------------------------------------

    Route route(const Node& n) {
        Route r;
        r.dest = n["DestinationCidrBlock"].opt_cidr();
        if (!r.dest) r.dest = n["DestinationIpv6CidrBlock"].opt_cidr();
        r.dest_prefix_list = n["DestinationPrefixListId"].str();
        if (!r.dest && r.dest_prefix_list.empty())
            n.fail("route has no DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId");
        if (r.dest && !r.dest_prefix_list.empty()) r.dest_prefix_list.clear();

        r.instance_id = n["InstanceId"].str();
        struct Field {
            const char* key;
            TargetKind kind;
        };
        // Specific target fields first; GatewayId last (it carries several kinds).
        static const Field fields[] = {
            {"NetworkInterfaceId", TargetKind::NetworkInterface},
            {"NatGatewayId", TargetKind::NatGateway},
            {"EgressOnlyInternetGatewayId", TargetKind::EgressOnlyIgw},
            {"VpcPeeringConnectionId", TargetKind::Peering},
            {"TransitGatewayId", TargetKind::TransitGateway},
            {"LocalGatewayId", TargetKind::LocalGateway},
            {"CarrierGatewayId", TargetKind::CarrierGateway},
            {"CoreNetworkArn", TargetKind::CoreNetwork},
        };
        for (const Field& f : fields) {
            std::string id = n[f.key].str();
            if (!id.empty() && r.target.empty()) {
                r.target = id;
                r.kind = f.kind;
            }
        }
        std::string gw = n["GatewayId"].str();
        if (r.target.empty() && !gw.empty()) {
            r.target = gw;
            r.kind = kind_of_id(gw);
        }
        if (r.target.empty() && !r.instance_id.empty()) r.kind = TargetKind::NetworkInterface; // resolved in finish()
        if (r.target.empty() && r.instance_id.empty()) {
            std::string other = n["OdbNetworkArn"].str();
            if (other.empty()) other = n["IpAddress"].str();
            r.target = other;
        }
        if (n["State"].present()) r.state = n["State"].str();
        if (n["Origin"].present()) r.origin = n["Origin"].str();
        return r;
    }

    void route_table(const Node& n) {
        RouteTable t;
        t.id = n["RouteTableId"].need_str();
        Ref vpc = ref_of(n["VpcId"]);
        if (vpc.id.empty()) n["VpcId"].need_str();
        t.name = name_tag(n["Tags"]);
        for (const Node& a : n["Associations"].objects()) {
            RouteTableAssociation as;
            as.id = a["RouteTableAssociationId"].str();
            as.main = a["Main"].boolean(false);
            as.subnet_id = a["SubnetId"].str();
            as.gateway_id = a["GatewayId"].str();
            if (a["AssociationState"]["State"].present()) as.state = a["AssociationState"]["State"].str();
            // A finished disassociation no longer applies.
            if (as.state == "disassociated" || as.state == "failed") continue;
            t.associations.push_back(as);
        }
        for (const Node& r : n["Routes"].objects()) t.routes.push_back(route(r));
        for (const Node& p : n["PropagatingVgws"].objects()) add_unique(t.propagating_vgws, {p["GatewayId"].need_str()});
        put(route_tables_, std::move(t), vpc, {}, [](RouteTable& a, const RouteTable& b) {
            fill(a.name, b.name);
            add_unique_by(a.associations, b.associations, [](const RouteTableAssociation& x) {
                return x.id + "|" + std::to_string(x.main) + "|" + x.subnet_id + "|" + x.gateway_id;
            });
            add_unique_by(a.routes, b.routes, [](const Route& r) { return r.dest_str(); });
            add_unique(a.propagating_vgws, b.propagating_vgws);
        });
    }

    // --- Security groups --------------------------------------------------------------

    // FromPort/ToPort as the model keeps them: -1/-1 wherever AWS ignores the ports.
    static void set_ports(SgRule& r, const Node& from, const Node& to) {
        r.from_port = from.integer(-1, 65535, -1);
        r.to_port = to.integer(-1, 65535, -1);
        if (r.ports_apply()) {
            if (r.from_port > r.to_port && r.to_port != -1) from.fail("FromPort is greater than ToPort");
        } else if (r.icmp()) {
            if (r.from_port > 255) from.fail("ICMP type out of range (-1 to 255)");
            if (r.to_port > 255) to.fail("ICMP code out of range (-1 to 255)");
        } else {
            r.from_port = r.to_port = -1;
        }
    }

    // One IpPermission: one SgRule per peer.
    static void permission(const Node& p, bool egress, std::vector<SgRule>& out) {
        SgRule base;
        base.egress = egress;
        base.proto = parse_protocol(p["IpProtocol"]);
        set_ports(base, p["FromPort"], p["ToPort"]);
        for (const Node& x : p["IpRanges"].objects()) {
            SgRule r = base;
            r.cidr = x["CidrIp"].cidr();
            if (!r.cidr.base.is_v4()) x["CidrIp"].fail("IpRanges holds an IPv6 CIDR");
            r.description = x["Description"].str();
            out.push_back(r);
        }
        for (const Node& x : p["Ipv6Ranges"].objects()) {
            SgRule r = base;
            r.cidr = x["CidrIpv6"].cidr();
            if (r.cidr.base.is_v4()) x["CidrIpv6"].fail("Ipv6Ranges holds an IPv4 CIDR");
            r.description = x["Description"].str();
            out.push_back(r);
        }
        for (const Node& x : p["PrefixListIds"].objects()) {
            SgRule r = base;
            r.peer = PeerKind::PrefixList;
            r.prefix_list = x["PrefixListId"].need_str();
            r.description = x["Description"].str();
            out.push_back(r);
        }
        for (const Node& x : p["UserIdGroupPairs"].objects()) {
            SgRule r = base;
            r.peer = PeerKind::Group;
            r.group_id = x["GroupId"].need_str();
            r.group_vpc = x["VpcId"].str();
            r.peering_id = x["VpcPeeringConnectionId"].str();
            r.description = x["Description"].str();
            out.push_back(r);
        }
    }

    static void merge_rules(std::vector<SgRule>& a, const std::vector<SgRule>& b) {
        add_unique_by(a, b, sg_rule_key, [](SgRule& kept, const SgRule& dup) {
            fill(kept.rule_id, dup.rule_id);
            fill(kept.description, dup.description);
            fill(kept.group_vpc, dup.group_vpc);
            fill(kept.peering_id, dup.peering_id);
        });
    }

    static void merge_group(SecurityGroup& a, const SecurityGroup& b) {
        fill(a.name, b.name);
        fill(a.description, b.description);
        fill(a.owner, b.owner);
        merge_rules(a.ingress, b.ingress);
        merge_rules(a.egress, b.egress);
    }

    void security_group(const Node& n) {
        SecurityGroup g;
        g.id = n["GroupId"].need_str();
        g.name = n["GroupName"].str();
        g.description = n["Description"].str();
        g.owner = n["OwnerId"].str();
        Ref vpc = ref_of(n["VpcId"]);
        std::vector<SgRule> in, out;
        for (const Node& p : n["IpPermissions"].objects()) permission(p, false, in);
        for (const Node& p : n["IpPermissionsEgress"].objects()) permission(p, true, out);
        merge_rules(g.ingress, in); // also drops duplicates within one group
        merge_rules(g.egress, out);
        put(security_groups_, std::move(g), vpc, {}, merge_group);
    }

    // describe-security-group-rules: one flat record per rule, merged into its group.
    void security_group_rule(const Node& n) {
        SgRule r;
        std::string gid = n["GroupId"].need_str();
        r.egress = n["IsEgress"].boolean(false);
        r.proto = parse_protocol(n["IpProtocol"]);
        set_ports(r, n["FromPort"], n["ToPort"]);
        r.rule_id = n["SecurityGroupRuleId"].str();
        r.description = n["Description"].str();
        Node ref = n["ReferencedGroupInfo"];
        if (n["CidrIpv4"].present()) {
            r.cidr = n["CidrIpv4"].cidr();
            if (!r.cidr.base.is_v4()) n["CidrIpv4"].fail("CidrIpv4 holds an IPv6 CIDR");
        } else if (n["CidrIpv6"].present()) {
            r.cidr = n["CidrIpv6"].cidr();
            if (r.cidr.base.is_v4()) n["CidrIpv6"].fail("CidrIpv6 holds an IPv4 CIDR");
        } else if (n["PrefixListId"].present()) {
            r.peer = PeerKind::PrefixList;
            r.prefix_list = n["PrefixListId"].need_str();
        } else if (ref.present()) {
            r.peer = PeerKind::Group;
            r.group_id = ref["GroupId"].need_str();
            r.group_vpc = ref["VpcId"].str();
            r.peering_id = ref["VpcPeeringConnectionId"].str();
        } else {
            n.fail("rule has none of CidrIpv4, CidrIpv6, PrefixListId, ReferencedGroupInfo");
        }
        SecurityGroup g;
        g.id = gid;
        g.owner = n["GroupOwnerId"].str();
        (r.egress ? g.egress : g.ingress).push_back(r);
        put(security_groups_, std::move(g), {}, {}, merge_group);
    }

    // --- Network ACLs -----------------------------------------------------------------

    void network_acl(const Node& n) {
        NetworkAcl a;
        a.id = n["NetworkAclId"].need_str();
        Ref vpc = ref_of(n["VpcId"]);
        if (vpc.id.empty()) n["VpcId"].need_str();
        a.is_default = n["IsDefault"].boolean(false);
        a.name = name_tag(n["Tags"]);
        for (const Node& e : n["Entries"].objects()) {
            NaclEntry x;
            x.rule_number = e["RuleNumber"].need_integer(1, 65535);
            x.egress = e["Egress"].boolean(false);
            x.proto = parse_protocol(e["Protocol"]);
            std::string action = e["RuleAction"].need_str();
            if (action != "allow" && action != "deny") e["RuleAction"].fail("RuleAction must be allow or deny");
            x.allow = action == "allow";
            if (e["CidrBlock"].present()) {
                x.cidr = e["CidrBlock"].cidr();
                if (!x.cidr.base.is_v4()) e["CidrBlock"].fail("CidrBlock holds an IPv6 CIDR");
            } else if (e["Ipv6CidrBlock"].present()) {
                x.cidr = e["Ipv6CidrBlock"].cidr();
                if (x.cidr.base.is_v4()) e["Ipv6CidrBlock"].fail("Ipv6CidrBlock holds an IPv4 CIDR");
            } else {
                e.fail("entry has neither CidrBlock nor Ipv6CidrBlock");
            }
            x.port_from = e["PortRange"]["From"].integer(-1, 65535, -1);
            x.port_to = e["PortRange"]["To"].integer(-1, 65535, -1);
            x.icmp_type = e["IcmpTypeCode"]["Type"].integer(-1, 255, -1);
            x.icmp_code = e["IcmpTypeCode"]["Code"].integer(-1, 255, -1);
            a.entries.push_back(x);
        }
        std::vector<Ref> subnets;
        for (const Node& s : n["Associations"].objects()) {
            NaclAssociation as;
            as.id = s["NetworkAclAssociationId"].str();
            as.subnet_id = s["SubnetId"].need_str();
            a.associations.push_back(as);
            need_subnet_.push_back(ref_of(s["SubnetId"]));
        }
        put(network_acls_, std::move(a), vpc, {}, [](NetworkAcl& x, const NetworkAcl& y) {
            fill(x.name, y.name);
            x.is_default = x.is_default || y.is_default;
            add_unique_by(x.entries, y.entries, [](const NaclEntry& e) {
                return std::to_string(e.egress) + "|" + std::to_string(e.rule_number);
            });
            add_unique_by(x.associations, y.associations,
                          [](const NaclAssociation& s) { return s.id + "|" + s.subnet_id; });
        });
    }

    // --- Network interfaces, instances, addresses --------------------------------------

    static void association(const Node& a, PrivateIp& ip) {
        if (!a["PublicIp"].present()) return;
        ip.public_ip = a["PublicIp"].ip();
        ip.allocation_id = a["AllocationId"].str();
        ip.association_id = a["AssociationId"].str();
    }

    static void merge_eni(Eni& a, const Eni& b) {
        add_unique_by(a.private_ips, b.private_ips, [](const PrivateIp& p) { return p.addr.str(); },
                      [](PrivateIp& kept, const PrivateIp& dup) {
                          if (!kept.public_ip && dup.public_ip) {
                              kept.public_ip = dup.public_ip;
                              kept.allocation_id = dup.allocation_id;
                              kept.association_id = dup.association_id;
                          }
                      });
        add_unique(a.ipv6, b.ipv6);
        add_unique(a.prefixes4, b.prefixes4);
        add_unique(a.prefixes6, b.prefixes6);
        add_unique(a.groups, b.groups);
        fill(a.az, b.az);
        fill(a.mac, b.mac);
        fill(a.description, b.description);
        fill(a.name, b.name);
        fill(a.attachment_id, b.attachment_id);
        fill(a.instance_id, b.instance_id);
        fill(a.attachment_status, b.attachment_status);
        if (a.device_index < 0) a.device_index = b.device_index;
        a.requester_managed = a.requester_managed || b.requester_managed;
    }

    // An ENI from describe-network-interfaces (`describe`) or from an instance's
    // NetworkInterfaces (then `instance_id`/`az` come from the instance).
    void eni(const Node& n, bool describe, const std::string& instance_id, const std::string& az) {
        Eni e;
        e.id = n["NetworkInterfaceId"].need_str();
        Ref subnet = ref_of(n["SubnetId"]);
        if (subnet.id.empty()) n["SubnetId"].need_str();
        Ref vpc = ref_of(n["VpcId"]);
        e.az = n["AvailabilityZone"].str();
        if (e.az.empty()) e.az = az;
        if (n["InterfaceType"].present()) e.interface_type = n["InterfaceType"].str();
        if (e.interface_type == "natGateway") e.interface_type = "nat_gateway"; // API enum vs real output
        if (n["Status"].present()) e.status = n["Status"].str();
        e.mac = lower(n["MacAddress"].str());

        std::string primary_text = n["PrivateIpAddress"].str();
        for (const Node& p : n["PrivateIpAddresses"].objects()) {
            PrivateIp ip;
            ip.addr = p["PrivateIpAddress"].ip();
            ip.primary = p["Primary"].boolean(false);
            association(p["Association"], ip);
            e.private_ips.push_back(ip);
        }
        if (auto primary = n["PrivateIpAddress"].opt_ip()) {
            auto it = std::find_if(e.private_ips.begin(), e.private_ips.end(),
                                   [&](const PrivateIp& p) { return p.addr == *primary; });
            if (it == e.private_ips.end()) {
                e.private_ips.insert(e.private_ips.begin(), PrivateIp{*primary, true, {}, {}, {}});
            } else if (std::none_of(e.private_ips.begin(), e.private_ips.end(),
                                    [](const PrivateIp& p) { return p.primary; })) {
                it->primary = true;
            }
        }
        std::stable_partition(e.private_ips.begin(), e.private_ips.end(),
                              [](const PrivateIp& p) { return p.primary; });
        // The interface-level Association is that of the primary private IP.
        if (!e.private_ips.empty() && !e.private_ips[0].public_ip) association(n["Association"], e.private_ips[0]);

        for (const Node& x : n["Ipv6Addresses"].objects()) e.ipv6.push_back(x["Ipv6Address"].ip());
        for (const Node& x : n["Ipv4Prefixes"].objects()) e.prefixes4.push_back(x["Ipv4Prefix"].cidr());
        for (const Node& x : n["Ipv6Prefixes"].objects()) e.prefixes6.push_back(x["Ipv6Prefix"].cidr());
        for (const Node& g : n["Groups"].objects()) add_unique(e.groups, {g["GroupId"].need_str()});
        e.source_dest_check = n["SourceDestCheck"].boolean(true);
        e.requester_managed = n["RequesterManaged"].boolean(false);
        e.deny_all_igw = n["DenyAllIgwTraffic"].boolean(false);
        e.description = n["Description"].str();
        e.name = name_tag(n["TagSet"]);
        Node att = n["Attachment"];
        e.attachment_id = att["AttachmentId"].str();
        e.instance_id = att["InstanceId"].str();
        if (e.instance_id.empty()) e.instance_id = instance_id;
        e.device_index = att["DeviceIndex"].integer(-1, 1 << 20, -1);
        e.attachment_status = att["Status"].str();
        Node ct = n["ConnectionTrackingConfiguration"];
        e.timeouts.tcp_established = ct["TcpEstablishedTimeout"].integer(0, 1 << 30, e.timeouts.tcp_established);
        e.timeouts.udp_stream = ct["UdpStreamTimeout"].integer(0, 1 << 30, e.timeouts.udp_stream);
        e.timeouts.udp = ct["UdpTimeout"].integer(0, 1 << 30, e.timeouts.udp);

        // describe-network-interfaces is the fuller record: it wins over an instance's copy.
        Idx have = enis_.find(e.id);
        if (have != kNone && describe && !eni_described_[have]) {
            std::swap(enis_.items[have], e);
            std::swap(enis_.subnet[have], subnet);
            std::swap(enis_.vpc[have], vpc);
        }
        Idx i = put(enis_, std::move(e), vpc, subnet, merge_eni);
        eni_described_.resize(enis_.items.size(), false);
        if (describe) eni_described_[i] = true;
    }

    void instance(const Node& n) {
        Instance in;
        in.id = n["InstanceId"].need_str();
        if (n["State"]["Name"].present()) in.state = n["State"]["Name"].str();
        in.subnet_id = n["SubnetId"].str();
        in.az = n["Placement"]["AvailabilityZone"].str();
        in.name = name_tag(n["Tags"]);
        for (const Node& ni : n["NetworkInterfaces"].objects()) {
            eni(ni, false, in.id, in.az);
            add_unique(in.enis, {ni["NetworkInterfaceId"].str()});
        }
        put(instances_, std::move(in), {}, {}, [](Instance& a, const Instance& b) {
            fill(a.subnet_id, b.subnet_id);
            fill(a.az, b.az);
            fill(a.name, b.name);
            add_unique(a.enis, b.enis);
        });
    }

    void address(const Node& n) {
        ElasticIp e;
        e.public_ip = n["PublicIp"].ip();
        e.allocation_id = n["AllocationId"].str();
        e.association_id = n["AssociationId"].str();
        e.eni_id = n["NetworkInterfaceId"].str();
        e.instance_id = n["InstanceId"].str();
        e.private_ip = n["PrivateIpAddress"].opt_ip();
        e.service_managed = n["ServiceManaged"].str();
        // Merge by AllocationId, or by the address itself for EC2-Classic ones.
        std::string key = e.allocation_id.empty() ? e.public_ip.str() : e.allocation_id;
        auto it = eip_by_key_.find(key);
        if (it == eip_by_key_.end()) {
            eip_by_key_.emplace(key, eips_.size());
            eips_.push_back(e);
            return;
        }
        ElasticIp& a = eips_[it->second];
        fill(a.association_id, e.association_id);
        fill(a.eni_id, e.eni_id);
        fill(a.instance_id, e.instance_id);
        if (!a.private_ip) a.private_ip = e.private_ip;
    }

    // --- Gateways ----------------------------------------------------------------------

    static std::vector<GatewayAttachment> attachments(const Node& list) {
        std::vector<GatewayAttachment> out;
        for (const Node& a : list.objects()) {
            GatewayAttachment g;
            g.vpc_id = a["VpcId"].need_str();
            if (a["State"].present()) g.state = a["State"].str();
            out.push_back(g);
        }
        return out;
    }

    static std::string attachment_key(const GatewayAttachment& g) { return g.vpc_id; }

    void internet_gateway(const Node& n, const char* id_key, const char* att_key, Table<InternetGateway>& t) {
        InternetGateway g;
        g.id = n[id_key].need_str();
        g.name = name_tag(n["Tags"]);
        g.attachments = attachments(n[att_key]);
        put(t, std::move(g), {}, {}, [](InternetGateway& a, const InternetGateway& b) {
            fill(a.name, b.name);
            add_unique_by(a.attachments, b.attachments, attachment_key);
        });
    }

    void nat_gateway(const Node& n) {
        NatGateway g;
        g.id = n["NatGatewayId"].need_str();
        Ref vpc = ref_of(n["VpcId"]);
        Ref subnet = ref_of(n["SubnetId"]);
        if (subnet.id.empty()) n["SubnetId"].need_str();
        if (n["State"].present()) g.state = n["State"].str();
        g.is_private = n["ConnectivityType"].str() == "private";
        g.name = name_tag(n["Tags"]);
        for (const Node& a : n["NatGatewayAddresses"].objects()) {
            NatAddress x;
            x.allocation_id = a["AllocationId"].str();
            x.eni_id = a["NetworkInterfaceId"].str();
            x.private_ip = a["PrivateIp"].opt_ip();
            x.public_ip = a["PublicIp"].opt_ip();
            x.primary = a["IsPrimary"].boolean(false);
            g.addresses.push_back(x);
        }
        // Older output has no IsPrimary: the first address is the primary one.
        if (!g.addresses.empty() &&
            std::none_of(g.addresses.begin(), g.addresses.end(), [](const NatAddress& a) { return a.primary; }))
            g.addresses[0].primary = true;
        std::stable_partition(g.addresses.begin(), g.addresses.end(), [](const NatAddress& a) { return a.primary; });
        put(nat_gateways_, std::move(g), vpc, subnet, [](NatGateway& a, const NatGateway& b) {
            fill(a.name, b.name);
            add_unique_by(a.addresses, b.addresses, [](const NatAddress& x) {
                return x.eni_id + "|" + (x.private_ip ? x.private_ip->str() : "") + "|" +
                       (x.public_ip ? x.public_ip->str() : "");
            });
        });
    }

    static PeeringSide peering_side(const Node& n) {
        PeeringSide s;
        s.vpc_id = n["VpcId"].str();
        s.owner = n["OwnerId"].str();
        s.region = n["Region"].str();
        if (auto c = n["CidrBlock"].opt_cidr()) s.cidrs4.push_back(*c);
        for (const Node& x : n["CidrBlockSet"].objects()) add_unique(s.cidrs4, {x["CidrBlock"].cidr()});
        for (const Node& x : n["Ipv6CidrBlockSet"].objects()) add_unique(s.cidrs6, {x["Ipv6CidrBlock"].cidr()});
        return s;
    }

    void peering(const Node& n) {
        PeeringConnection p;
        p.id = n["VpcPeeringConnectionId"].need_str();
        if (n["Status"]["Code"].present()) p.status = n["Status"]["Code"].str();
        p.requester = peering_side(n["RequesterVpcInfo"]);
        p.accepter = peering_side(n["AccepterVpcInfo"]);
        p.name = name_tag(n["Tags"]);
        put(peerings_, std::move(p), {}, {}, [](PeeringConnection& a, const PeeringConnection& b) {
            fill(a.name, b.name);
            for (auto [x, y] : {std::pair{&a.requester, &b.requester}, std::pair{&a.accepter, &b.accepter}}) {
                fill(x->vpc_id, y->vpc_id);
                fill(x->owner, y->owner);
                fill(x->region, y->region);
                add_unique(x->cidrs4, y->cidrs4);
                add_unique(x->cidrs6, y->cidrs6);
            }
        });
    }

    // --- Transit gateways --------------------------------------------------------------

    void transit_gateway(const Node& n) {
        TransitGateway t;
        t.id = n["TransitGatewayId"].need_str();
        if (n["State"].present()) t.state = n["State"].str();
        t.owner = n["OwnerId"].str();
        Node o = n["Options"];
        t.default_association_rtb = o["AssociationDefaultRouteTableId"].str();
        t.default_propagation_rtb = o["PropagationDefaultRouteTableId"].str();
        t.sg_referencing = o["SecurityGroupReferencingSupport"].str() == "enable";
        t.name = name_tag(n["Tags"]);
        put(tgws_, std::move(t), {}, {}, [](TransitGateway& a, const TransitGateway& b) {
            fill(a.owner, b.owner);
            fill(a.default_association_rtb, b.default_association_rtb);
            fill(a.default_propagation_rtb, b.default_propagation_rtb);
            a.sg_referencing = a.sg_referencing || b.sg_referencing;
            fill(a.name, b.name);
        });
    }

    // describe-transit-gateway-attachments, or (`vpc_form`) describe-transit-gateway-vpc-attachments.
    void tgw_attachment(const Node& n, bool vpc_form) {
        TgwAttachment a;
        a.id = n["TransitGatewayAttachmentId"].need_str();
        a.tgw_id = n["TransitGatewayId"].str();
        if (n["State"].present()) a.state = n["State"].str();
        a.name = name_tag(n["Tags"]);
        if (vpc_form) {
            a.resource_type = "vpc";
            a.resource_id = n["VpcId"].str();
            a.subnet_ids = n["SubnetIds"].strings();
            a.appliance_mode = n["Options"]["ApplianceModeSupport"].str() == "enable";
        } else {
            a.resource_type = n["ResourceType"].str();
            a.resource_id = n["ResourceId"].str();
            Node as = n["Association"];
            std::string state = as["State"].str();
            if (state.empty() || state == "associated") a.association_rtb = as["TransitGatewayRouteTableId"].str();
        }
        put(tgw_attachments_, std::move(a), {}, {}, [](TgwAttachment& x, const TgwAttachment& y) {
            fill(x.tgw_id, y.tgw_id);
            fill(x.resource_type, y.resource_type);
            fill(x.resource_id, y.resource_id);
            fill(x.association_rtb, y.association_rtb);
            add_unique(x.subnet_ids, y.subnet_ids);
            x.appliance_mode = x.appliance_mode || y.appliance_mode;
            fill(x.name, y.name);
        });
    }

    static void merge_tgw_rtb(TgwRouteTable& a, const TgwRouteTable& b) {
        fill(a.tgw_id, b.tgw_id);
        fill(a.name, b.name);
        add_unique_by(a.routes, b.routes, [](const TgwRoute& r) {
            std::string k = r.type + "|" + (r.dest ? r.dest->str() : r.dest_prefix_list);
            for (const auto& x : r.attachments) k += "|" + x;
            return k;
        });
        add_unique(a.propagations, b.propagations);
    }

    void tgw_route_table(const Node& n) {
        TgwRouteTable t;
        t.id = n["TransitGatewayRouteTableId"].need_str();
        t.tgw_id = n["TransitGatewayId"].str();
        if (n["State"].present()) t.state = n["State"].str();
        t.name = name_tag(n["Tags"]);
        put(tgw_rtbs_, std::move(t), {}, {}, merge_tgw_rtb);
    }

    // {"TransitGatewayRouteTableId", "Routes": [search-transit-gateway-routes output]}
    void tgw_static_routes(const Node& n) {
        TgwRouteTable t;
        t.id = n["TransitGatewayRouteTableId"].need_str();
        for (const Node& r : n["Routes"].objects()) {
            TgwRoute x;
            x.dest = r["DestinationCidrBlock"].opt_cidr();
            x.dest_prefix_list = r["PrefixListId"].str();
            if (!x.dest && x.dest_prefix_list.empty()) r.fail("route has neither DestinationCidrBlock nor PrefixListId");
            for (const Node& a : r["TransitGatewayAttachments"].objects()) {
                x.attachments.push_back(a["TransitGatewayAttachmentId"].need_str());
                if (x.propagated_from.empty()) x.propagated_from = a["ResourceType"].str();
            }
            if (r["Type"].present()) x.type = r["Type"].str();
            if (r["State"].present()) x.state = r["State"].str();
            if (x.type != "propagated") x.propagated_from.clear();
            t.routes.push_back(x);
        }
        if (n["AdditionalRoutesAvailable"].boolean(false))
            warn(n.file(), n["AdditionalRoutesAvailable"].where(),
                 "routes of " + t.id + " are capped (AdditionalRoutesAvailable): some routes are missing");
        put(tgw_rtbs_, std::move(t), {}, {}, merge_tgw_rtb);
    }

    // {"TransitGatewayRouteTableId", "TransitGatewayRouteTablePropagations": [...]}
    void tgw_propagations(const Node& n) {
        TgwRouteTable t;
        t.id = n["TransitGatewayRouteTableId"].need_str();
        for (const Node& p : n["TransitGatewayRouteTablePropagations"].objects()) {
            std::string id = p["TransitGatewayAttachmentId"].need_str();
            std::string state = p["State"].str();
            if (state.empty() || state == "enabled") add_unique(t.propagations, {id});
        }
        put(tgw_rtbs_, std::move(t), {}, {}, merge_tgw_rtb);
    }

    // --- VPN, endpoints, prefix lists -------------------------------------------------

    void vpn_gateway(const Node& n) {
        VpnGateway g;
        g.id = n["VpnGatewayId"].need_str();
        if (n["State"].present()) g.state = n["State"].str();
        g.attachments = attachments(n["VpcAttachments"]);
        g.name = name_tag(n["Tags"]);
        put(vgws_, std::move(g), {}, {}, [](VpnGateway& a, const VpnGateway& b) {
            fill(a.name, b.name);
            add_unique_by(a.attachments, b.attachments, attachment_key);
        });
    }

    void vpn_connection(const Node& n) {
        VpnConnection v;
        v.id = n["VpnConnectionId"].need_str();
        if (n["State"].present()) v.state = n["State"].str();
        v.vgw_id = n["VpnGatewayId"].str();
        v.tgw_id = n["TransitGatewayId"].str();
        v.customer_gateway_id = n["CustomerGatewayId"].str();
        v.static_routes_only = n["Options"]["StaticRoutesOnly"].boolean(false);
        for (const Node& r : n["Routes"].objects()) {
            Cidr c = r["DestinationCidrBlock"].cidr();
            std::string state = r["State"].str();
            if (state.empty() || state == "available") add_unique(v.routes, {c});
        }
        put(vpn_connections_, std::move(v), {}, {}, [](VpnConnection& a, const VpnConnection& b) {
            fill(a.vgw_id, b.vgw_id);
            fill(a.tgw_id, b.tgw_id);
            fill(a.customer_gateway_id, b.customer_gateway_id);
            add_unique(a.routes, b.routes);
        });
    }

    void endpoint(const Node& n) {
        VpcEndpoint e;
        e.id = n["VpcEndpointId"].need_str();
        e.type = n["VpcEndpointType"].str();
        Ref vpc = ref_of(n["VpcId"]);
        e.service_name = n["ServiceName"].str();
        // The CLI prints "available", the API model "Available": keep one spelling.
        if (n["State"].present()) e.state = lower(n["State"].str());
        e.route_table_ids = n["RouteTableIds"].strings();
        e.subnet_ids = n["SubnetIds"].strings();
        for (const Node& g : n["Groups"].objects()) e.group_ids.push_back(g["GroupId"].need_str());
        e.eni_ids = n["NetworkInterfaceIds"].strings();
        e.policy = n["PolicyDocument"].str();
        put(endpoints_, std::move(e), vpc, {}, [](VpcEndpoint& a, const VpcEndpoint& b) {
            fill(a.type, b.type);
            fill(a.service_name, b.service_name);
            add_unique(a.route_table_ids, b.route_table_ids);
            add_unique(a.subnet_ids, b.subnet_ids);
            add_unique(a.group_ids, b.group_ids);
            add_unique(a.eni_ids, b.eni_ids);
            fill(a.policy, b.policy);
        });
    }

    static void merge_prefix_list(PrefixList& a, const PrefixList& b) {
        fill(a.name, b.name);
        fill(a.family, b.family);
        fill(a.owner, b.owner);
        if (a.max_entries == 0) a.max_entries = b.max_entries;
        add_unique(a.entries, b.entries);
        a.entries_known = a.entries_known || b.entries_known;
    }

    // describe-prefix-lists (`Cidrs`) and describe-managed-prefix-lists (no entries).
    void prefix_list(const Node& n) {
        PrefixList p;
        p.id = n["PrefixListId"].need_str();
        p.name = n["PrefixListName"].str();
        p.family = n["AddressFamily"].str();
        p.owner = n["OwnerId"].str();
        p.max_entries = n["MaxEntries"].integer(0, 1 << 30, 0);
        if (n["Cidrs"].present()) {
            for (const Node& c : n["Cidrs"].items()) add_unique(p.entries, {c.cidr()});
            p.entries_known = true;
            if (p.owner.empty() && starts_with(p.name, "com.amazonaws.")) p.owner = "AWS";
        }
        put(prefix_lists_, std::move(p), {}, {}, merge_prefix_list);
    }

    // VpcfwPrefixListEntries: {"pl-...": [get-managed-prefix-list-entries Entries]}.
    void prefix_list_entries(const Node& n) {
        if (!n.present()) return;
        for (const std::string& id : n.keys()) {
            Node list = n[id];
            // The entries, or the whole get-managed-prefix-list-entries output.
            if (list.present() && !list.is_array()) list = list["Entries"];
            if (id.empty()) n.fail("empty prefix list id");
            PrefixList p;
            p.id = id;
            for (const Node& e : list.objects()) add_unique(p.entries, {e["Cidr"].cidr()});
            p.entries_known = true;
            put(prefix_lists_, std::move(p), {}, {}, merge_prefix_list);
        }
    }

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
};

// Resolves a parent reference that must exist; kNone when none was given.
Idx resolve_ref(const Ref& r, const std::unordered_map<std::string, Idx>& index, const char* what,
                const std::string& owner) {
    if (r.id.empty()) return kNone;
    auto it = index.find(r.id);
    if (it == index.end()) fail(r.file, r.where, owner + " names " + what + " " + r.id + ", which is not in the export");
    return it->second;
}

Network Loader::finish() {
    Network& net = net_;
    // Dangling references to objects that must be in the export.
    for (size_t i = 0; i < subnets_.items.size(); ++i)
        subnets_.items[i].vpc = resolve_ref(subnets_.vpc[i], vpcs_.by_id, "VPC", subnets_.items[i].id);
    for (size_t i = 0; i < route_tables_.items.size(); ++i)
        route_tables_.items[i].vpc = resolve_ref(route_tables_.vpc[i], vpcs_.by_id, "VPC", route_tables_.items[i].id);
    for (size_t i = 0; i < security_groups_.items.size(); ++i)
        security_groups_.items[i].vpc =
            resolve_ref(security_groups_.vpc[i], vpcs_.by_id, "VPC", security_groups_.items[i].id);
    for (size_t i = 0; i < network_acls_.items.size(); ++i)
        network_acls_.items[i].vpc = resolve_ref(network_acls_.vpc[i], vpcs_.by_id, "VPC", network_acls_.items[i].id);
    for (const Ref& r : need_subnet_) resolve_ref(r, subnets_.by_id, "subnet", "network ACL association");
    for (size_t i = 0; i < enis_.items.size(); ++i) {
        Eni& e = enis_.items[i];
        e.subnet = resolve_ref(enis_.subnet[i], subnets_.by_id, "subnet", e.id);
        e.vpc = resolve_ref(enis_.vpc[i], vpcs_.by_id, "VPC", e.id);
        if (e.vpc == kNone && e.subnet != kNone) e.vpc = subnets_.items[e.subnet].vpc;
    }
    for (size_t i = 0; i < nat_gateways_.items.size(); ++i) {
        NatGateway& g = nat_gateways_.items[i];
        g.subnet = resolve_ref(nat_gateways_.subnet[i], subnets_.by_id, "subnet", g.id);
        g.vpc = resolve_ref(nat_gateways_.vpc[i], vpcs_.by_id, "VPC", g.id);
        if (g.vpc == kNone && g.subnet != kNone) g.vpc = subnets_.items[g.subnet].vpc;
    }
    for (size_t i = 0; i < endpoints_.items.size(); ++i)
        endpoints_.items[i].vpc = resolve_ref(endpoints_.vpc[i], vpcs_.by_id, "VPC", endpoints_.items[i].id);

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
    return std::move(net_);
}

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
        return json::parse(text);
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

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) fail(p.string(), "", "cannot read the file");
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) fail(p.string(), "", "error while reading the file");
    return ss.str();
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

Result<Network> run(const std::function<void(Loader&)>& body) {
    try {
        Loader loader;
        body(loader);
        return loader.finish();
    } catch (const InputError& e) {
        return e.error;
    } catch (const std::exception& e) {
        return make_error(std::string("cannot load the network: ") + e.what());
    }
}

} // namespace

Result<Network> load_network(const std::string& path) {
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
    });
}

Result<Network> load_network_text(const std::string& json_text, const std::string& origin) {
    return run([&](Loader& loader) {
        json doc = parse_json(json_text, origin);
        if (!doc.is_object())
            fail(origin, "", std::string("the network must be a JSON object, found ") + doc.type_name());
        loader.add_bundle(doc, origin, "");
        if (loader.loaded() == 0) fail(origin, "", "no AWS describe keys at the top level (Vpcs, Subnets, ...)");
    });
}

} // namespace vpcfw
