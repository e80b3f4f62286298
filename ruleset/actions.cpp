// AWS EC2 API actions on the model: each reads AWS's request shape, validates as AWS does
// and refuses with AWS's error code, or applies AWS's effect. Every action validates in
// full before it changes anything, so a refusal leaves the Network untouched. Cold path.
#include "ruleset/actions.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <string_view>

namespace vpcfw {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------
// Errors and request parameters

Error refusal(std::string code, std::string message, std::string where = {}) {
    Error e = make_error(std::move(message), std::move(code));
    e.where = std::move(where);
    return e;
}

const json& null_json() {
    static const json kNull;
    return kNull;
}

// Reads one JSON object of request parameters. The first problem is kept in a shared slot
// (MissingParameter / InvalidParameterValue with the JSON pointer) and later reads return
// defaults, so an action reads everything and then checks `failed()` once.
class Reader {
public:
    Reader(const json& j, std::string where, std::optional<Error>* err)
        : j_(&j), where_(std::move(where)), err_(err) {}

    bool failed() const { return err_->has_value(); }
    const Error& error() const { return **err_; } // only when failed()
    std::string at(const std::string& key) const { return where_ + "/" + key; }
    const std::string& where() const { return where_; }

    bool has(const std::string& key) const {
        return j_->is_object() && j_->contains(key) && !(*j_)[key].is_null();
    }

    void fail(const std::string& code, const std::string& message, const std::string& key = {}) {
        if (!err_->has_value()) *err_ = refusal(code, message, key.empty() ? where_ : at(key));
    }

    void missing(const std::string& key) {
        fail("MissingParameter", "The request must contain the parameter " + key, key);
    }

    // A string; numbers are accepted and printed (the query API sends everything as text).
    std::string str(const std::string& key, bool required = false) {
        if (!has(key)) {
            if (required) missing(key);
            return {};
        }
        const json& v = (*j_)[key];
        if (v.is_string()) return v.get<std::string>();
        if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
        if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
        fail("InvalidParameterValue", "Value for parameter " + key + " must be a string", key);
        return {};
    }

    // An integer; numeric strings are accepted.
    std::optional<int64_t> integer(const std::string& key, bool required = false) {
        if (!has(key)) {
            if (required) missing(key);
            return std::nullopt;
        }
        const json& v = (*j_)[key];
        if (v.is_number_integer()) return v.get<int64_t>();
        if (v.is_number_unsigned()) {
            uint64_t u = v.get<uint64_t>();
            if (u <= uint64_t(INT64_MAX)) return int64_t(u);
        }
        if (v.is_string()) {
            const std::string s = v.get<std::string>();
            size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
            if (i < s.size() && s.size() - i <= 12 &&
                std::all_of(s.begin() + i, s.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return std::stoll(s); // at most 12 digits: cannot overflow
        }
        fail("InvalidParameterValue", "Value for parameter " + key + " must be an integer", key);
        return std::nullopt;
    }

    // A boolean, also as "true"/"false" or wrapped as AWS's AttributeBooleanValue {"Value": b}.
    std::optional<bool> boolean(const std::string& key, bool required = false) {
        if (!has(key)) {
            if (required) missing(key);
            return std::nullopt;
        }
        const json* v = &(*j_)[key];
        if (v->is_object() && v->contains("Value")) v = &(*v)["Value"];
        if (v->is_boolean()) return v->get<bool>();
        if (v->is_string()) {
            if (v->get<std::string>() == "true") return true;
            if (v->get<std::string>() == "false") return false;
        }
        fail("InvalidParameterValue", "Value for parameter " + key + " must be a boolean", key);
        return std::nullopt;
    }

    // A nested object (an empty reader when absent).
    Reader object(const std::string& key) {
        if (!has(key)) return Reader(null_json(), at(key), err_);
        const json& v = (*j_)[key];
        if (!v.is_object()) {
            fail("InvalidParameterValue", "Value for parameter " + key + " must be a structure", key);
            return Reader(null_json(), at(key), err_);
        }
        return Reader(v, at(key), err_);
    }

    // A list of objects (empty when absent).
    std::vector<Reader> objects(const std::string& key) {
        std::vector<Reader> out;
        if (!has(key)) return out;
        const json& v = (*j_)[key];
        if (!v.is_array()) {
            fail("InvalidParameterValue", "Value for parameter " + key + " must be a list", key);
            return out;
        }
        for (size_t i = 0; i < v.size(); ++i) {
            std::string w = at(key) + "/" + std::to_string(i);
            if (!v[i].is_object()) {
                if (!err_->has_value())
                    *err_ = refusal("InvalidParameterValue", "Each element of " + key + " must be a structure", w);
                continue;
            }
            out.emplace_back(v[i], w, err_);
        }
        return out;
    }

    // A list of strings (empty when absent).
    std::vector<std::string> strings(const std::string& key) {
        std::vector<std::string> out;
        if (!has(key)) return out;
        const json& v = (*j_)[key];
        if (!v.is_array()) {
            fail("InvalidParameterValue", "Value for parameter " + key + " must be a list", key);
            return out;
        }
        for (const json& x : v) {
            if (!x.is_string()) {
                fail("InvalidParameterValue", "Each element of " + key + " must be a string", key);
                return {};
            }
            out.push_back(x.get<std::string>());
        }
        return out;
    }

private:
    const json* j_;
    std::string where_;
    std::optional<Error>* err_;
};

// ---------------------------------------------------------------------------------------
// Small helpers

Idx find_in(const std::unordered_map<std::string, Idx>& m, const std::string& id) {
    auto it = m.find(id);
    return it == m.end() ? kNone : it->second;
}

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "tcp"/"6", "udp"/"17", "icmp"/"1", "icmpv6"/"58", "-1", or any protocol number 0..255:
// the loader's spellings.
std::optional<int> parse_protocol(const std::string& text) {
    std::string s = lower(text);
    if (s == "-1") return kProtoAll;
    if (s == "tcp") return kProtoTcp;
    if (s == "udp") return kProtoUdp;
    if (s == "icmp") return kProtoIcmp;
    if (s == "icmpv6") return kProtoIcmpv6;
    if (!s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        int p = std::stoi(s);
        if (p <= 255) return p;
    }
    return std::nullopt;
}

// Deterministic AWS-looking id suffixes: 17 hex digits of an FNV-1a hash of `seed`, salted
// until `taken` says the id is free.
uint64_t fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::string make_id(const std::string& prefix, const std::string& seed,
                    const std::function<bool(const std::string&)>& taken) {
    for (uint64_t salt = 0;; ++salt) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "%017llx",
                      static_cast<unsigned long long>(fnv1a(seed + "#" + std::to_string(salt))));
        std::string id = prefix + buf;
        if (!taken(id)) return id;
    }
}

// The availability zone of an ENI (its own, else its subnet's).
std::string eni_az(const Network& net, const Eni& e) {
    if (!e.az.empty()) return e.az;
    if (e.subnet < net.subnets.size()) return net.subnets[e.subnet].az;
    return {};
}

// An instance's primary ENI: the one attached at device index 0, else the first it lists.
Idx primary_eni(const Network& net, const Instance& in) {
    for (Idx i = 0; i < net.enis.size(); ++i)
        if (net.enis[i].instance_id == in.id && net.enis[i].device_index == 0) return i;
    for (const auto& id : in.enis)
        if (Idx i = find_in(net.index.eni, id); i != kNone) return i;
    return kNone;
}

// The ENIs attached to an instance, by its list and by the ENIs' own attachment.
std::vector<Idx> enis_of_instance(const Network& net, const Instance& in) {
    std::vector<Idx> out;
    for (Idx i = 0; i < net.enis.size(); ++i)
        if (net.enis[i].instance_id == in.id) out.push_back(i);
    for (const auto& id : in.enis)
        if (Idx i = find_in(net.index.eni, id); i != kNone && std::find(out.begin(), out.end(), i) == out.end())
            out.push_back(i);
    return out;
}

std::string instance_az(const Network& net, const Instance& in) {
    if (!in.az.empty()) return in.az;
    if (Idx p = primary_eni(net, in); p != kNone) {
        std::string az = eni_az(net, net.enis[p]);
        if (!az.empty()) return az;
    }
    if (const Subnet* s = net.subnet(in.subnet_id)) return s->az;
    return {};
}

bool gateway_attached(const std::vector<GatewayAttachment>& atts, const std::string& vpc_id) {
    for (const auto& a : atts)
        if (a.vpc_id == vpc_id && a.state != "detached" && a.state != "detaching") return true;
    return false;
}

std::string vpc_id_of(const Network& net, Idx vpc) { return vpc < net.vpcs.size() ? net.vpcs[vpc].id : std::string(); }

Error different_networks(const std::string& a, const std::string& b) {
    return refusal("InvalidParameterValue", a + " and " + b + " belong to different networks.");
}

// ---------------------------------------------------------------------------------------
// Security groups

// Two rules are the same rule for AWS when protocol, ports and peer agree (the description
// does not count).
bool same_rule(const SgRule& a, const SgRule& b) {
    return a.egress == b.egress && a.proto == b.proto && a.from_port == b.from_port && a.to_port == b.to_port &&
           a.peer == b.peer && a.peer_str() == b.peer_str();
}

std::string rule_text(const SgRule& r) {
    return "peer: " + r.peer_str() + ", " + r.proto_ports_str() + ", ALLOW";
}

bool well_formed_group_id(const std::string& id) {
    if (!starts_with(id, "sg-") || id.size() == 3) return false;
    return std::all_of(id.begin() + 3, id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// GroupId, or GroupName (a group of the default VPC, else a unique name).
Result<Idx> resolve_group(const Network& net, Reader& r) {
    if (r.has("GroupId")) {
        std::string id = r.str("GroupId");
        if (r.failed()) return r.error();
        if (!well_formed_group_id(id))
            return refusal("InvalidGroupId.Malformed", "Invalid id: \"" + id + "\" (expecting \"sg-...\")",
                           r.at("GroupId"));
        Idx g = find_in(net.index.security_group, id);
        if (g == kNone)
            return refusal("InvalidGroup.NotFound", "The security group '" + id + "' does not exist", r.at("GroupId"));
        return g;
    }
    if (r.has("GroupName")) {
        std::string name = r.str("GroupName");
        std::vector<Idx> all, in_default;
        for (Idx i = 0; i < net.security_groups.size(); ++i) {
            const SecurityGroup& g = net.security_groups[i];
            if (g.name != name) continue;
            all.push_back(i);
            if (g.vpc < net.vpcs.size() && net.vpcs[g.vpc].is_default) in_default.push_back(i);
        }
        if (in_default.size() == 1) return in_default[0];
        if (all.size() == 1) return all[0];
        return refusal("InvalidGroup.NotFound",
                       "The security group '" + name + "' does not exist in default VPC", r.at("GroupName"));
    }
    r.missing("GroupId");
    return r.error();
}

// FromPort/ToPort of one permission as the model keeps them (-1/-1 where AWS ignores ports).
void read_ports(Reader& p, SgRule& base) {
    std::optional<int64_t> from = p.integer("FromPort"), to = p.integer("ToPort");
    if (p.failed()) return;
    if (base.ports_apply()) {
        if (!from || !to) {
            p.fail("InvalidParameterValue",
                   "Invalid value 'null' for portRange. Must specify both from and to ports with TCP/UDP.",
                   from ? "ToPort" : "FromPort");
            return;
        }
        if (*from < 0 || *from > 65535 || *to < 0 || *to > 65535) {
            p.fail("InvalidParameterValue", "Invalid value for portRange: ports must be 0 to 65535.", "FromPort");
            return;
        }
        if (*from > *to) {
            p.fail("InvalidParameterValue",
                   "Invalid value for portRange: FromPort " + std::to_string(*from) + " is greater than ToPort " +
                       std::to_string(*to) + ".",
                   "FromPort");
            return;
        }
        base.from_port = int(*from);
        base.to_port = int(*to);
    } else if (base.icmp()) {
        int64_t type = from.value_or(-1), code = to.value_or(-1);
        if (type < -1 || type > 255) {
            p.fail("InvalidParameterValue", "Invalid value for ICMP type: " + std::to_string(type), "FromPort");
            return;
        }
        if (code < -1 || code > 255) {
            p.fail("InvalidParameterValue", "Invalid value for ICMP code: " + std::to_string(code), "ToPort");
            return;
        }
        if (type == -1 && code != -1) {
            p.fail("InvalidParameterValue",
                   "Invalid value for portRange: ICMP code must be -1 when the ICMP type (FromPort) is -1.", "ToPort");
            return;
        }
        base.from_port = int(type);
        base.to_port = int(code);
    } else {
        base.from_port = base.to_port = -1; // all ports, whatever was given
    }
}

// One IpPermission: one SgRule per peer element.
void read_permission(const Network& net, Reader& p, bool egress, Idx group_vpc, std::vector<SgRule>& out) {
    SgRule base;
    base.egress = egress;
    std::string proto_text = p.str("IpProtocol", true);
    if (p.failed()) return;
    std::optional<int> proto = parse_protocol(proto_text);
    if (!proto) {
        p.fail("InvalidParameterValue", "Invalid value '" + proto_text + "' for IP protocol. Unknown protocol.",
               "IpProtocol");
        return;
    }
    base.proto = *proto;
    read_ports(p, base);
    if (p.failed()) return;

    size_t before = out.size();
    std::vector<Reader> ranges = p.objects("IpRanges");
    if (p.has("CidrIp")) ranges.push_back(p); // the legacy top-level form of ingress
    for (Reader& x : ranges) {
        SgRule r = base;
        std::string text = x.str("CidrIp", true);
        if (x.failed()) return;
        std::optional<Cidr> c = Cidr::parse(text);
        if (!c || !c->base.is_v4()) {
            x.fail("InvalidParameterValue", "CIDR block " + text + " is malformed", "CidrIp");
            return;
        }
        r.cidr = *c;
        r.description = x.str("Description");
        out.push_back(r);
    }
    for (Reader& x : p.objects("Ipv6Ranges")) {
        SgRule r = base;
        std::string text = x.str("CidrIpv6", true);
        if (x.failed()) return;
        std::optional<Cidr> c = Cidr::parse(text);
        if (!c || c->base.is_v4()) {
            x.fail("InvalidParameterValue", "CIDR block " + text + " is malformed", "CidrIpv6");
            return;
        }
        r.cidr = *c;
        r.description = x.str("Description");
        out.push_back(r);
    }
    for (Reader& x : p.objects("PrefixListIds")) {
        SgRule r = base;
        r.peer = PeerKind::PrefixList;
        r.prefix_list = x.str("PrefixListId", true);
        if (x.failed()) return;
        if (!net.prefix_list(r.prefix_list)) {
            x.fail("InvalidPrefixListId.NotFound", "The prefix list '" + r.prefix_list + "' does not exist",
                   "PrefixListId");
            return;
        }
        r.description = x.str("Description");
        out.push_back(r);
    }
    for (Reader& x : p.objects("UserIdGroupPairs")) {
        SgRule r = base;
        r.peer = PeerKind::Group;
        r.group_id = x.str("GroupId");
        r.group_vpc = x.str("VpcId");
        r.peering_id = x.str("VpcPeeringConnectionId");
        r.description = x.str("Description");
        if (x.failed()) return;
        if (r.group_id.empty()) {
            // GroupName names a group of the same VPC.
            std::string name = x.str("GroupName");
            for (const auto& g : net.security_groups)
                if (!name.empty() && g.name == name && g.vpc == group_vpc) r.group_id = g.id;
            if (r.group_id.empty()) {
                if (name.empty()) x.missing("GroupId");
                else x.fail("InvalidGroup.NotFound", "The security group '" + name + "' does not exist", "GroupName");
                return;
            }
        } else if (!well_formed_group_id(r.group_id)) {
            x.fail("InvalidGroupId.Malformed", "Invalid id: \"" + r.group_id + "\" (expecting \"sg-...\")", "GroupId");
            return;
        } else if (!net.security_group(r.group_id) && r.peering_id.empty()) {
            // A group across a peering connection may belong to an account outside the export.
            x.fail("InvalidGroup.NotFound", "The security group '" + r.group_id + "' does not exist", "GroupId");
            return;
        }
        out.push_back(r);
    }
    if (out.size() == before && !p.failed())
        p.fail("InvalidParameterValue",
               "The permission must name at least one of IpRanges, Ipv6Ranges, PrefixListIds, UserIdGroupPairs");
}

// IpPermissions, or for ingress the legacy top-level IpProtocol/FromPort/ToPort/CidrIp.
std::vector<SgRule> read_permissions(const Network& net, Reader& r, bool egress, Idx group_vpc) {
    std::vector<SgRule> rules;
    if (r.has("IpPermissions")) {
        for (Reader& p : r.objects("IpPermissions")) {
            read_permission(net, p, egress, group_vpc, rules);
            if (p.failed()) break;
        }
    } else if (!egress && r.has("CidrIp")) {
        read_permission(net, r, egress, group_vpc, rules);
    } else if (!r.has("SecurityGroupRuleIds")) {
        r.missing("IpPermissions");
    }
    return rules;
}

std::string sg_rule_id(const SecurityGroup& g, const SgRule& r) {
    auto taken = [&g](const std::string& id) {
        for (const auto* list : {&g.ingress, &g.egress})
            for (const auto& x : *list)
                if (x.rule_id == id) return true;
        return false;
    };
    std::string seed = g.id + "|" + (r.egress ? "egress" : "ingress") + "|" + r.proto_ports_str() + "|" + r.peer_str();
    return make_id("sgr-", seed, taken);
}

Result<ActionEffect> authorize(Network& net, const json& params, bool egress, const std::string& action) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<Idx> g = resolve_group(net, r);
    if (err) return *err;
    if (!g) return g.error();
    SecurityGroup& group = net.security_groups[*g];
    std::vector<SgRule> rules = read_permissions(net, r, egress, group.vpc);
    if (err) return *err;

    const std::vector<SgRule>& have = egress ? group.egress : group.ingress;
    for (size_t i = 0; i < rules.size(); ++i) {
        bool dup = std::any_of(have.begin(), have.end(), [&](const SgRule& x) { return same_rule(x, rules[i]); }) ||
                   std::any_of(rules.begin(), rules.begin() + i, [&](const SgRule& x) { return same_rule(x, rules[i]); });
        if (dup)
            return refusal("InvalidPermission.Duplicate",
                           "the specified rule \"" + rule_text(rules[i]) + "\" already exists");
    }

    std::vector<SgRule>& list = egress ? group.egress : group.ingress;
    for (SgRule& x : rules) {
        x.rule_id = sg_rule_id(group, x);
        list.push_back(x);
    }
    return ActionEffect{action, {}};
}

Result<ActionEffect> revoke(Network& net, const json& params, bool egress, const std::string& action) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<Idx> g = resolve_group(net, r);
    if (err) return *err;
    if (!g) return g.error();
    SecurityGroup& group = net.security_groups[*g];
    const std::vector<SgRule>& have = egress ? group.egress : group.ingress;

    std::set<size_t> remove;
    for (const std::string& id : r.strings("SecurityGroupRuleIds")) {
        auto it = std::find_if(have.begin(), have.end(), [&](const SgRule& x) { return x.rule_id == id; });
        if (it == have.end())
            return refusal("InvalidSecurityGroupRuleId.NotFound",
                           "The security group rule ID '" + id + "' does not exist in " + group.id,
                           "/SecurityGroupRuleIds");
        remove.insert(size_t(it - have.begin()));
    }
    if (err) return *err;
    std::vector<SgRule> rules = read_permissions(net, r, egress, group.vpc);
    if (err) return *err;
    for (const SgRule& x : rules) {
        auto it = std::find_if(have.begin(), have.end(), [&](const SgRule& y) { return same_rule(x, y); });
        if (it == have.end())
            return refusal("InvalidPermission.NotFound",
                           "The specified rule \"" + rule_text(x) + "\" does not exist in this security group");
        remove.insert(size_t(it - have.begin()));
    }

    std::vector<SgRule>& list = egress ? group.egress : group.ingress;
    for (auto it = remove.rbegin(); it != remove.rend(); ++it) list.erase(list.begin() + long(*it));
    return ActionEffect{action, {}};
}

// ---------------------------------------------------------------------------------------
// Network ACLs

Result<Idx> resolve_acl(const Network& net, Reader& r) {
    std::string id = r.str("NetworkAclId", true);
    if (r.failed()) return r.error();
    Idx a = find_in(net.index.network_acl, id);
    if (a == kNone)
        return refusal("InvalidNetworkAclID.NotFound", "The network acl ID '" + id + "' does not exist",
                       r.at("NetworkAclId"));
    return a;
}

// RuleNumber and Egress, shared by create, replace and delete.
void read_entry_key(Reader& r, NaclEntry& e) {
    std::optional<int64_t> n = r.integer("RuleNumber", true);
    std::optional<bool> egress = r.boolean("Egress", true);
    if (r.failed()) return;
    if (*n < 1 || *n > 32766) {
        r.fail("InvalidParameterValue",
               "Invalid value '" + std::to_string(*n) + "' for ruleNumber. Rule numbers must be 1 to 32766.",
               "RuleNumber");
        return;
    }
    e.rule_number = int(*n);
    e.egress = *egress;
}

void read_entry(Reader& r, NaclEntry& e) {
    read_entry_key(r, e);
    std::string proto_text = r.str("Protocol", true);
    std::string action = r.str("RuleAction", true);
    if (r.failed()) return;
    std::optional<int> proto = parse_protocol(proto_text);
    if (!proto) {
        r.fail("InvalidParameterValue", "Invalid value '" + proto_text + "' for protocol.", "Protocol");
        return;
    }
    e.proto = *proto;
    if (lower(action) != "allow" && lower(action) != "deny") {
        r.fail("InvalidParameterValue", "Invalid value '" + action + "' for ruleAction: must be allow or deny.",
               "RuleAction");
        return;
    }
    e.allow = lower(action) == "allow";

    bool v4 = r.has("CidrBlock"), v6 = r.has("Ipv6CidrBlock");
    if (v4 == v6) {
        if (v4) r.fail("InvalidParameterCombination", "Specify either CidrBlock or Ipv6CidrBlock, not both.");
        else r.missing("CidrBlock");
        return;
    }
    const char* key = v4 ? "CidrBlock" : "Ipv6CidrBlock";
    std::string text = r.str(key);
    if (r.failed()) return;
    std::optional<Cidr> c = Cidr::parse(text);
    if (!c || c->base.is_v4() != v4) {
        r.fail("InvalidParameterValue", "Value (" + text + ") for parameter " + key + " is invalid.", key);
        return;
    }
    e.cidr = *c;

    if (e.proto == kProtoTcp || e.proto == kProtoUdp) {
        if (!r.has("PortRange")) {
            r.missing("PortRange");
            return;
        }
        Reader pr = r.object("PortRange");
        std::optional<int64_t> from = pr.integer("From", true), to = pr.integer("To", true);
        if (r.failed()) return;
        if (*from < 0 || *from > 65535 || *to < 0 || *to > 65535 || *from > *to) {
            pr.fail("InvalidParameterValue",
                    "Invalid port range " + std::to_string(*from) + "-" + std::to_string(*to) + ".", "From");
            return;
        }
        e.port_from = int(*from);
        e.port_to = int(*to);
    }
    bool icmp_needed = e.proto == kProtoIcmp || (e.proto == kProtoIcmpv6 && !v4);
    if (icmp_needed || (e.proto == kProtoIcmpv6 && r.has("IcmpTypeCode"))) {
        if (!r.has("IcmpTypeCode")) {
            r.missing("IcmpTypeCode");
            return;
        }
        Reader ic = r.object("IcmpTypeCode");
        std::optional<int64_t> type = ic.integer("Type"), code = ic.integer("Code");
        if (r.failed()) return;
        int64_t t = type.value_or(-1), c2 = code.value_or(-1);
        if (t < -1 || t > 255 || c2 < -1 || c2 > 255) {
            ic.fail("InvalidParameterValue", "Invalid ICMP type or code.", "Type");
            return;
        }
        e.icmp_type = int(t);
        e.icmp_code = int(c2);
    }
}

std::vector<NaclEntry>::iterator find_entry(NetworkAcl& a, const NaclEntry& key) {
    return std::find_if(a.entries.begin(), a.entries.end(), [&](const NaclEntry& x) {
        return x.egress == key.egress && x.rule_number == key.rule_number;
    });
}

void sort_entries(NetworkAcl& a) {
    std::stable_sort(a.entries.begin(), a.entries.end(), [](const NaclEntry& x, const NaclEntry& y) {
        return std::pair(x.egress, x.rule_number) < std::pair(y.egress, y.rule_number);
    });
}

Result<ActionEffect> create_nacl_entry(Network& net, const json& params, bool replace, const std::string& action) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<Idx> a = resolve_acl(net, r);
    if (err) return *err;
    if (!a) return a.error();
    NaclEntry e;
    read_entry(r, e);
    if (err) return *err;
    NetworkAcl& acl = net.network_acls[*a];
    auto it = find_entry(acl, e);
    std::string id = std::to_string(e.rule_number);
    if (replace) {
        if (it == acl.entries.end())
            return refusal("InvalidNetworkAclEntry.NotFound",
                           "The network acl entry identified by " + id + " could not be found.");
        *it = e;
    } else {
        if (it != acl.entries.end())
            return refusal("NetworkAclEntryAlreadyExists",
                           "The network acl entry identified by " + id + " already exists.");
        acl.entries.push_back(e);
        sort_entries(acl);
    }
    return ActionEffect{action, {}};
}

Result<ActionEffect> delete_nacl_entry(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<Idx> a = resolve_acl(net, r);
    if (err) return *err;
    if (!a) return a.error();
    NaclEntry key;
    read_entry_key(r, key);
    if (err) return *err;
    NetworkAcl& acl = net.network_acls[*a];
    auto it = find_entry(acl, key);
    if (it == acl.entries.end())
        return refusal("InvalidNetworkAclEntry.NotFound", "The network acl entry identified by " +
                                                              std::to_string(key.rule_number) + " could not be found.");
    acl.entries.erase(it);
    return ActionEffect{"DeleteNetworkAclEntry", {}};
}

bool assoc_id_taken(const Network& net, const std::string& id) {
    for (const auto& a : net.network_acls)
        for (const auto& s : a.associations)
            if (s.id == id) return true;
    for (const auto& t : net.route_tables)
        for (const auto& s : t.associations)
            if (s.id == id) return true;
    return false;
}

// Where association `id` lives: (table index, position), table kNone when nowhere.
template <typename Table>
std::pair<Idx, size_t> find_association(const std::vector<Table>& tables, const std::string& id) {
    for (Idx i = 0; i < tables.size(); ++i)
        for (size_t j = 0; j < tables[i].associations.size(); ++j)
            if (tables[i].associations[j].id == id) return {i, j};
    return {kNone, 0};
}

Result<ActionEffect> replace_nacl_association(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    std::string assoc = r.str("AssociationId", true);
    if (err) return *err;
    Result<Idx> target = resolve_acl(net, r);
    if (err) return *err;
    if (!target) return target.error();

    auto [from, pos] = find_association(net.network_acls, assoc);
    if (from == kNone)
        return refusal("InvalidAssociationID.NotFound", "The association ID '" + assoc + "' does not exist",
                       "/AssociationId");
    NetworkAcl& to = net.network_acls[*target];
    if (net.network_acls[from].vpc != to.vpc)
        return different_networks(to.id, net.network_acls[from].associations[pos].subnet_id);

    NaclAssociation moved = net.network_acls[from].associations[pos];
    moved.id = make_id("aclassoc-", assoc + "|" + to.id, [&net](const std::string& id) { return assoc_id_taken(net, id); });
    net.network_acls[from].associations.erase(net.network_acls[from].associations.begin() + long(pos));
    to.associations.push_back(moved);
    return ActionEffect{"ReplaceNetworkAclAssociation", {}};
}

// ---------------------------------------------------------------------------------------
// Routes

Result<Idx> resolve_route_table(const Network& net, Reader& r) {
    std::string id = r.str("RouteTableId", true);
    if (r.failed()) return r.error();
    Idx t = find_in(net.index.route_table, id);
    if (t == kNone)
        return refusal("InvalidRouteTableID.NotFound", "The routeTable ID '" + id + "' does not exist",
                       r.at("RouteTableId"));
    return t;
}

// The destination of a route request: exactly one of the three destination keys.
struct RouteDest {
    std::optional<Cidr> cidr;
    std::string prefix_list;
    std::string str() const { return cidr ? cidr->str() : prefix_list; }
    bool matches(const Route& x) const {
        return cidr ? (x.dest && *x.dest == *cidr) : (!x.dest && x.dest_prefix_list == prefix_list);
    }
};

RouteDest read_dest(const Network& net, Reader& r) {
    RouteDest d;
    int n = int(r.has("DestinationCidrBlock")) + int(r.has("DestinationIpv6CidrBlock")) +
            int(r.has("DestinationPrefixListId"));
    if (n == 0) {
        r.fail("MissingParameter",
               "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock or "
               "destinationPrefixListId");
        return d;
    }
    if (n > 1) {
        r.fail("InvalidParameterCombination",
               "Specify only one of DestinationCidrBlock, DestinationIpv6CidrBlock, DestinationPrefixListId.");
        return d;
    }
    if (r.has("DestinationPrefixListId")) {
        d.prefix_list = r.str("DestinationPrefixListId");
        if (!r.failed() && !net.prefix_list(d.prefix_list))
            r.fail("InvalidPrefixListId.NotFound", "The prefix list '" + d.prefix_list + "' does not exist",
                   "DestinationPrefixListId");
        return d;
    }
    bool v4 = r.has("DestinationCidrBlock");
    const char* key = v4 ? "DestinationCidrBlock" : "DestinationIpv6CidrBlock";
    std::string text = r.str(key);
    if (r.failed()) return d;
    std::optional<Cidr> c = Cidr::parse(text);
    if (!c || c->base.is_v4() != v4) {
        r.fail("InvalidParameterValue",
               "Value (" + text + ") for parameter " + key + " is invalid. This is not a valid CIDR block.", key);
        return d;
    }
    d.cidr = *c;
    return d;
}

bool is_local(const Route& x) { return x.kind == TargetKind::Local || x.origin == "CreateRouteTable"; }

// The target of a route request: exactly one target key. Fills kind/target/instance_id.
void read_target(const Network& net, Reader& r, const RouteTable& table, Route& out, bool allow_local) {
    static const char* const kKeys[] = {"GatewayId", "NatGatewayId", "NetworkInterfaceId", "InstanceId",
                                        "VpcPeeringConnectionId", "TransitGatewayId", "EgressOnlyInternetGatewayId",
                                        "VpcEndpointId", "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn"};
    int n = 0;
    std::string key;
    for (const char* k : kKeys)
        if (r.has(k)) {
            ++n;
            key = k;
        }
    std::optional<bool> local_target = r.boolean("LocalTarget");
    if (r.failed()) return;
    if (local_target.value_or(false)) {
        ++n;
        key = "LocalTarget";
    }
    if (n == 0) {
        r.fail("MissingParameter",
               "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, instanceId, "
               "vpcPeeringConnectionId, transitGatewayId, egressOnlyInternetGatewayId, vpcEndpointId, "
               "localGatewayId, carrierGatewayId or coreNetworkArn");
        return;
    }
    if (n > 1) {
        r.fail("InvalidParameterCombination", "The request must contain exactly one route target.");
        return;
    }
    const std::string vpc = vpc_id_of(net, table.vpc);
    std::string id = key == "LocalTarget" ? std::string("local") : r.str(key);
    if (r.failed()) return;
    out.target = id;
    out.instance_id.clear();

    auto not_found = [&](const std::string& code, const std::string& what) {
        r.fail(code, "The " + what + " ID '" + id + "' does not exist", key);
    };
    auto same_vpc = [&](Idx other_vpc) {
        if (other_vpc != kNone && table.vpc != kNone && other_vpc != table.vpc)
            r.fail("InvalidParameterValue", "route table " + table.id + " and network gateway " + id +
                                                " belong to different networks", key);
    };
    auto attached_elsewhere = [&](const std::vector<GatewayAttachment>& atts) {
        if (!atts.empty() && !vpc.empty() && !gateway_attached(atts, vpc))
            r.fail("InvalidParameterValue", "route table " + table.id + " and network gateway " + id +
                                                " belong to different networks", key);
    };

    if (key == "GatewayId" || key == "LocalTarget") {
        if (id == "local") {
            out.kind = TargetKind::Local;
            if (!allow_local)
                r.fail("InvalidParameterValue", "The target 'local' can only restore a local route.", key);
        } else if (const InternetGateway* g = net.internet_gateway(id)) {
            out.kind = TargetKind::InternetGateway;
            attached_elsewhere(g->attachments);
        } else if (const VpnGateway* v = net.vpn_gateway(id)) {
            out.kind = TargetKind::VpnGateway;
            attached_elsewhere(v->attachments);
        } else if (const InternetGateway* e = net.egress_only_gateway(id)) {
            out.kind = TargetKind::EgressOnlyIgw;
            attached_elsewhere(e->attachments);
        } else if (const VpcEndpoint* ep = net.endpoint(id)) {
            out.kind = TargetKind::VpcEndpoint;
            same_vpc(ep->vpc);
        } else {
            r.fail("InvalidGatewayID.NotFound", "The gateway ID '" + id + "' does not exist", key);
        }
    } else if (key == "EgressOnlyInternetGatewayId") {
        out.kind = TargetKind::EgressOnlyIgw;
        if (const InternetGateway* e = net.egress_only_gateway(id)) attached_elsewhere(e->attachments);
        else not_found("InvalidGatewayID.NotFound", "gateway");
    } else if (key == "NatGatewayId") {
        out.kind = TargetKind::NatGateway;
        if (const NatGateway* g = net.nat_gateway(id)) same_vpc(g->vpc);
        else not_found("InvalidNatGatewayID.NotFound", "natGateway");
    } else if (key == "NetworkInterfaceId") {
        out.kind = TargetKind::NetworkInterface;
        if (const Eni* e = net.eni(id)) same_vpc(e->vpc);
        else not_found("InvalidNetworkInterfaceID.NotFound", "networkInterface");
    } else if (key == "InstanceId") {
        out.kind = TargetKind::NetworkInterface;
        out.instance_id = id;
        const Instance* in = net.instance(id);
        if (!in) {
            r.fail("InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist", key);
            return;
        }
        std::vector<Idx> enis = enis_of_instance(net, *in);
        if (enis.size() > 1) {
            r.fail("InvalidInstanceID", "There are multiple interfaces attached to instance '" + id +
                                            "'. Please specify an interface ID for the operation instead.", key);
            return;
        }
        Idx p = primary_eni(net, *in);
        if (p == kNone) {
            r.fail("InvalidInstanceID", "The instance '" + id + "' has no network interface.", key);
            return;
        }
        out.target = net.enis[p].id;
        same_vpc(net.enis[p].vpc);
    } else if (key == "VpcPeeringConnectionId") {
        out.kind = TargetKind::Peering;
        const PeeringConnection* p = net.peering(id);
        if (!p) not_found("InvalidVpcPeeringConnectionID.NotFound", "vpcPeeringConnection");
        else if (!vpc.empty() && !p->requester.vpc_id.empty() && !p->accepter.vpc_id.empty() &&
                 p->requester.vpc_id != vpc && p->accepter.vpc_id != vpc)
            r.fail("InvalidParameterValue", "route table " + table.id + " and VPC peering connection " + id +
                                                " belong to different networks", key);
    } else if (key == "TransitGatewayId") {
        out.kind = TargetKind::TransitGateway;
        if (!net.transit_gateway(id)) not_found("InvalidTransitGatewayID.NotFound", "transitGateway");
    } else if (key == "VpcEndpointId") {
        out.kind = TargetKind::VpcEndpoint;
        if (const VpcEndpoint* ep = net.endpoint(id)) same_vpc(ep->vpc);
        else r.fail("InvalidVpcEndpointId.NotFound", "The VpcEndpoint ID '" + id + "' does not exist", key);
    } else if (key == "LocalGatewayId") {
        out.kind = TargetKind::LocalGateway; // Outposts: not in the model, not checked
    } else if (key == "CarrierGatewayId") {
        out.kind = TargetKind::CarrierGateway;
    } else {
        out.kind = TargetKind::CoreNetwork;
    }
}

// AWS lets a route be more specific than a local route only when it names a whole subnet
// CIDR and targets a NAT gateway, an ENI (or instance) or a Gateway Load Balancer endpoint.
std::optional<Error> check_against_local(const Network& net, const RouteTable& table, const Route& route) {
    if (!route.dest) return std::nullopt;
    const Cidr& d = *route.dest;
    bool inside_local = false;
    for (const Route& x : table.routes)
        if (is_local(x) && x.dest && x.dest->family() == d.family() && x.dest->contains(d) && *x.dest != d)
            inside_local = true;
    if (!inside_local) return std::nullopt;
    bool whole_subnet = false;
    for (const Subnet& s : net.subnets) {
        if (s.vpc != table.vpc) continue;
        if (s.cidr4 && *s.cidr4 == d) whole_subnet = true;
        for (const Cidr& c : s.cidrs6)
            if (c == d) whole_subnet = true;
    }
    bool middlebox = route.kind == TargetKind::NatGateway || route.kind == TargetKind::NetworkInterface ||
                     route.kind == TargetKind::VpcEndpoint;
    if (whole_subnet && middlebox) return std::nullopt;
    return refusal("InvalidParameterValue",
                   "The destination CIDR block " + d.str() +
                       " is equal to or more specific than one of this VPC's CIDR blocks. This route can target "
                       "only an interface, an instance, a NAT gateway or a Gateway Load Balancer endpoint for a whole "
                       "subnet CIDR.");
}

// Index of the non-propagated route with this destination, or -1.
long find_route(const RouteTable& t, const RouteDest& d) {
    for (size_t i = 0; i < t.routes.size(); ++i)
        if (!t.routes[i].propagated() && d.matches(t.routes[i])) return long(i);
    return -1;
}

// The route table and destination a route action names, and where that route sits in
// the table (-1 when absent). Shared by CreateRoute, ReplaceRoute and DeleteRoute.
struct RouteSite {
    RouteTable* table = nullptr;
    RouteDest dest;
    long at = -1;
};

Result<RouteSite> locate_route(Network& net, Reader& r, std::optional<Error>& err) {
    Result<Idx> t = resolve_route_table(net, r);
    if (err) return *err;
    if (!t) return t.error();
    RouteSite site;
    site.table = &net.route_tables[*t];
    site.dest = read_dest(net, r);
    if (err) return *err;
    site.at = find_route(*site.table, site.dest);
    return site;
}

Result<ActionEffect> create_route(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<RouteSite> site = locate_route(net, r, err);
    if (!site) return site.error();
    RouteTable& table = *site->table;
    const RouteDest& d = site->dest;
    Route route;
    route.dest = d.cidr;
    route.dest_prefix_list = d.prefix_list;
    route.origin = "CreateRoute";
    route.state = "active";
    read_target(net, r, table, route, false);
    if (err) return *err;
    if (site->at >= 0)
        return refusal("RouteAlreadyExists", "The route identified by " + d.str() + " already exists.");
    if (auto e = check_against_local(net, table, route)) return *e;
    table.routes.push_back(route);
    return ActionEffect{"CreateRoute", {}};
}

Result<ActionEffect> replace_route(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<RouteSite> site = locate_route(net, r, err);
    if (!site) return site.error();
    RouteTable& table = *site->table;
    const RouteDest& d = site->dest;
    long at = site->at;
    // AWS answers a ReplaceRoute of a missing route with InvalidParameterValue (as moto
    // mirrors it), not InvalidRoute.NotFound.
    if (at < 0)
        return refusal("InvalidParameterValue",
                       "There is no route defined for '" + d.str() + "' in the route table. Use CreateRoute instead.");
    Route route = table.routes[size_t(at)];
    bool local = is_local(route);
    read_target(net, r, table, route, local);
    if (err) return *err;
    if (local && route.kind != TargetKind::Local && route.kind != TargetKind::NetworkInterface &&
        route.kind != TargetKind::VpcEndpoint)
        return refusal("InvalidParameterValue", "The local route " + d.str() +
                                                    " can only target local, a network interface or a Gateway Load "
                                                    "Balancer endpoint.");
    if (!local)
        if (auto e = check_against_local(net, table, route)) return *e;
    route.state = "active";
    table.routes[size_t(at)] = route;
    return ActionEffect{"ReplaceRoute", {}};
}

Result<ActionEffect> delete_route(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    Result<RouteSite> site = locate_route(net, r, err);
    if (!site) return site.error();
    RouteTable& table = *site->table;
    const RouteDest& d = site->dest;
    long at = site->at;
    if (at < 0)
        return refusal("InvalidRoute.NotFound",
                       "no route with destination " + d.str() + " in route table " + table.id);
    // AWS refuses this with InvalidParameterValue ("cannot remove local route").
    if (is_local(table.routes[size_t(at)]))
        return refusal("InvalidParameterValue",
                       "cannot remove local route " + d.str() + " in route table " + table.id);
    table.routes.erase(table.routes.begin() + at);
    return ActionEffect{"DeleteRoute", {}};
}

Result<ActionEffect> replace_route_table_association(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    std::string assoc = r.str("AssociationId", true);
    if (err) return *err;
    Result<Idx> target = resolve_route_table(net, r);
    if (err) return *err;
    if (!target) return target.error();

    auto [from, pos] = find_association(net.route_tables, assoc);
    if (from == kNone)
        return refusal("InvalidAssociationID.NotFound", "The association ID '" + assoc + "' does not exist",
                       "/AssociationId");
    RouteTable& to = net.route_tables[*target];
    if (net.route_tables[from].vpc != to.vpc)
        return different_networks(to.id, net.route_tables[from].id);

    RouteTableAssociation moved = net.route_tables[from].associations[pos];
    moved.id = make_id("rtbassoc-", assoc + "|" + to.id, [&net](const std::string& id) { return assoc_id_taken(net, id); });
    moved.state = "associated";
    net.route_tables[from].associations.erase(net.route_tables[from].associations.begin() + long(pos));
    to.associations.push_back(moved);
    return ActionEffect{"ReplaceRouteTableAssociation", {}};
}

// ---------------------------------------------------------------------------------------
// Elastic IPs

bool eip_assoc_taken(const Network& net, const std::string& id) {
    for (const auto& e : net.elastic_ips)
        if (e.association_id == id) return true;
    for (const auto& e : net.enis)
        for (const auto& p : e.private_ips)
            if (p.association_id == id) return true;
    return false;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Clears every ENI private-IP mapping that carries this Elastic IP; returns the ENIs touched.
void clear_eip_mappings(Network& net, const ElasticIp& eip, std::vector<std::string>& touched) {
    for (auto& e : net.enis)
        for (auto& p : e.private_ips) {
            bool mine = (!eip.allocation_id.empty() && p.allocation_id == eip.allocation_id) ||
                        (!eip.association_id.empty() && p.association_id == eip.association_id);
            if (!mine) continue;
            p.public_ip.reset();
            p.allocation_id.clear();
            p.association_id.clear();
            add_unique(touched, e.id);
        }
}

Result<ActionEffect> associate_address(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    std::string alloc = r.str("AllocationId"), public_ip = r.str("PublicIp");
    std::string eni_id = r.str("NetworkInterfaceId"), instance_id = r.str("InstanceId");
    std::string private_text = r.str("PrivateIpAddress");
    bool reassociate = r.boolean("AllowReassociation").value_or(false);
    if (err) return *err;

    // The address.
    Idx ei = kNone;
    if (!alloc.empty()) {
        ei = find_in(net.index.elastic_ip, alloc);
        if (ei == kNone)
            return refusal("InvalidAllocationID.NotFound", "The allocation ID '" + alloc + "' does not exist",
                           "/AllocationId");
    } else if (!public_ip.empty()) {
        for (Idx i = 0; i < net.elastic_ips.size(); ++i)
            if (net.elastic_ips[i].public_ip.str() == public_ip) ei = i;
        if (ei == kNone)
            return refusal("InvalidAddress.NotFound", "Address '" + public_ip + "' not found.", "/PublicIp");
    } else {
        return refusal("MissingParameter", "The request must contain the parameter AllocationId", "/AllocationId");
    }

    // The target ENI and private IP.
    if (!eni_id.empty() && !instance_id.empty())
        return refusal("InvalidParameterCombination",
                       "Specify either the instance ID or the network interface ID, but not both.");
    std::vector<Idx> candidates; // ENIs whose private IPs may be named
    if (!eni_id.empty()) {
        Idx i = find_in(net.index.eni, eni_id);
        if (i == kNone)
            return refusal("InvalidNetworkInterfaceID.NotFound",
                           "The networkInterface ID '" + eni_id + "' does not exist", "/NetworkInterfaceId");
        candidates.push_back(i);
    } else if (!instance_id.empty()) {
        const Instance* in = net.instance(instance_id);
        if (!in)
            return refusal("InvalidInstanceID.NotFound", "The instance ID '" + instance_id + "' does not exist",
                           "/InstanceId");
        Idx p = primary_eni(net, *in);
        if (p == kNone)
            return refusal("InvalidInstanceID", "The instance '" + instance_id + "' has no network interface.",
                           "/InstanceId");
        candidates.push_back(p);
        for (Idx i : enis_of_instance(net, *in))
            if (i != p) candidates.push_back(i);
    } else {
        return refusal("MissingParameter", "The request must contain the parameter InstanceId or NetworkInterfaceId");
    }

    Idx target_eni = kNone;
    size_t target_ip = 0;
    if (!private_text.empty()) {
        std::optional<IpAddr> want = IpAddr::parse(private_text);
        if (!want || !want->is_v4())
            return refusal("InvalidParameterValue", "Invalid value '" + private_text + "' for PrivateIpAddress",
                           "/PrivateIpAddress");
        for (Idx c : candidates) {
            const auto& ips = net.enis[c].private_ips;
            for (size_t j = 0; j < ips.size() && target_eni == kNone; ++j)
                if (ips[j].addr == *want) {
                    target_eni = c;
                    target_ip = j;
                }
            if (target_eni != kNone) break;
        }
        if (target_eni == kNone)
            return refusal("InvalidParameterValue",
                           "The private IP address " + private_text + " is not assigned to the network interface",
                           "/PrivateIpAddress");
    } else {
        target_eni = candidates[0];
        const auto& ips = net.enis[target_eni].private_ips;
        auto it = std::find_if(ips.begin(), ips.end(), [](const PrivateIp& p) { return p.primary && p.addr.is_v4(); });
        if (it == ips.end())
            it = std::find_if(ips.begin(), ips.end(), [](const PrivateIp& p) { return p.addr.is_v4(); });
        if (it == ips.end())
            return refusal("InvalidParameterValue",
                           "The network interface '" + net.enis[target_eni].id + "' has no private IPv4 address");
        target_ip = size_t(it - ips.begin());
    }

    ElasticIp& eip = net.elastic_ips[ei];
    Eni& eni = net.enis[target_eni];
    PrivateIp& slot = eni.private_ips[target_ip];
    bool associated = !eip.association_id.empty() || !eip.eni_id.empty() || !eip.instance_id.empty();
    bool same_target = associated && eip.eni_id == eni.id && eip.private_ip && *eip.private_ip == slot.addr;
    if (same_target) return ActionEffect{"AssociateAddress", {}};
    if (associated && !reassociate)
        return refusal("Resource.AlreadyAssociated",
                       "resource " + (eip.allocation_id.empty() ? eip.public_ip.str() : eip.allocation_id) +
                           " is already associated with associate-id " + eip.association_id);

    // Validated: move the address.
    ActionEffect effect{"AssociateAddress", {}};
    clear_eip_mappings(net, eip, effect.remapped_public_ips);
    if (!slot.allocation_id.empty() && slot.allocation_id != eip.allocation_id) {
        // Another Elastic IP held this private IP: it becomes unassociated.
        if (Idx other = find_in(net.index.elastic_ip, slot.allocation_id); other != kNone) {
            ElasticIp& o = net.elastic_ips[other];
            o.association_id.clear();
            o.eni_id.clear();
            o.instance_id.clear();
            o.private_ip.reset();
        }
    }
    std::string seed = eip.allocation_id + "|" + eip.association_id + "|" + eni.id + "|" + slot.addr.str();
    std::string assoc = make_id("eipassoc-", seed, [&net](const std::string& id) { return eip_assoc_taken(net, id); });
    slot.public_ip = eip.public_ip; // replaces an auto-assigned public IP there
    slot.allocation_id = eip.allocation_id;
    slot.association_id = assoc;
    eip.association_id = assoc;
    eip.eni_id = eni.id;
    eip.instance_id = eni.attachment_id.empty() ? std::string() : eni.instance_id;
    eip.private_ip = slot.addr;
    add_unique(effect.remapped_public_ips, eni.id);
    return effect;
}

Result<ActionEffect> disassociate_address(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    std::string assoc = r.str("AssociationId"), public_ip = r.str("PublicIp");
    if (err) return *err;
    if (assoc.empty() && public_ip.empty())
        return refusal("MissingParameter", "The request must contain the parameter AssociationId", "/AssociationId");

    ElasticIp* eip = nullptr;
    for (auto& e : net.elastic_ips) {
        bool hit = !assoc.empty() ? e.association_id == assoc : (e.public_ip.str() == public_ip);
        if (hit) eip = &e;
    }
    ActionEffect effect{"DisassociateAddress", {}};
    if (eip && (eip->association_id.empty() && eip->eni_id.empty())) eip = nullptr; // by PublicIp, not associated
    if (eip) {
        clear_eip_mappings(net, *eip, effect.remapped_public_ips);
        eip->association_id.clear();
        eip->eni_id.clear();
        eip->instance_id.clear();
        eip->private_ip.reset();
        return effect;
    }
    // An association seen only on an ENI (the export had no describe-addresses).
    if (!assoc.empty())
        for (auto& e : net.enis)
            for (auto& p : e.private_ips)
                if (p.association_id == assoc && !p.allocation_id.empty()) {
                    p.public_ip.reset();
                    p.allocation_id.clear();
                    p.association_id.clear();
                    add_unique(effect.remapped_public_ips, e.id);
                    return effect;
                }
    if (!assoc.empty())
        return refusal("InvalidAssociationID.NotFound", "The association ID '" + assoc + "' does not exist",
                       "/AssociationId");
    return refusal("InvalidAssociationID.NotFound", "The address '" + public_ip + "' is not associated",
                   "/PublicIp");
}

// ---------------------------------------------------------------------------------------
// Network interfaces

Result<ActionEffect> attach_network_interface(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    std::string eni_id = r.str("NetworkInterfaceId", true);
    std::string instance_id = r.str("InstanceId", true);
    std::optional<int64_t> device = r.integer("DeviceIndex", true);
    if (err) return *err;
    Idx ei = find_in(net.index.eni, eni_id);
    if (ei == kNone)
        return refusal("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '" + eni_id + "' does not exist",
                       "/NetworkInterfaceId");
    Idx ii = find_in(net.index.instance, instance_id);
    if (ii == kNone)
        return refusal("InvalidInstanceID.NotFound", "The instance ID '" + instance_id + "' does not exist",
                       "/InstanceId");
    if (*device < 0 || *device > 1023)
        return refusal("InvalidParameterValue", "Invalid value '" + std::to_string(*device) + "' for deviceIndex",
                       "/DeviceIndex");
    Eni& eni = net.enis[ei];
    Instance& in = net.instances[ii];
    if (!eni.attachment_id.empty() || eni.status == "in-use")
        return refusal("InvalidNetworkInterface.InUse", "Interface: [" + eni.id + "] in use.");
    if (in.state == "terminated" || in.state == "shutting-down")
        return refusal("IncorrectInstanceState", "The instance '" + in.id + "' is not in a valid state.");
    std::string a = eni_az(net, eni), b = instance_az(net, in);
    if (!a.empty() && !b.empty() && a != b)
        return refusal("InvalidParameterCombination",
                       "You may not attach a network interface to an instance if they are not in the same "
                       "availability zone");
    for (Idx i : enis_of_instance(net, in))
        if (net.enis[i].device_index == int(*device) && !net.enis[i].attachment_id.empty())
            return refusal("InvalidParameterValue", "Instance '" + in.id +
                                                        "' already has an interface attached at device index '" +
                                                        std::to_string(*device) + "'.");

    auto taken = [&net](const std::string& id) {
        return std::any_of(net.enis.begin(), net.enis.end(), [&](const Eni& e) { return e.attachment_id == id; });
    };
    eni.attachment_id = make_id("eni-attach-", eni.id + "|" + in.id + "|" + std::to_string(*device), taken);
    eni.instance_id = in.id;
    eni.device_index = int(*device);
    eni.attachment_status = "attached";
    eni.status = "in-use";
    if (std::find(in.enis.begin(), in.enis.end(), eni.id) == in.enis.end()) in.enis.push_back(eni.id);
    for (auto& eip : net.elastic_ips)
        if (eip.eni_id == eni.id) eip.instance_id = in.id;
    return ActionEffect{"AttachNetworkInterface", {}};
}

Result<ActionEffect> detach_network_interface(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    std::string att = r.str("AttachmentId", true);
    if (err) return *err;
    Idx ei = kNone;
    for (Idx i = 0; i < net.enis.size(); ++i)
        if (net.enis[i].attachment_id == att) ei = i;
    if (ei == kNone)
        return refusal("InvalidAttachmentID.NotFound",
                       "The network interface attachment ID '" + att + "' does not exist", "/AttachmentId");
    Eni& eni = net.enis[ei];
    if (eni.device_index == 0)
        return refusal("OperationNotPermitted", "The network interface at device index 0 cannot be detached.");

    if (Idx ii = find_in(net.index.instance, eni.instance_id); ii != kNone) {
        auto& list = net.instances[ii].enis;
        list.erase(std::remove(list.begin(), list.end(), eni.id), list.end());
    }
    for (auto& eip : net.elastic_ips)
        if (eip.eni_id == eni.id) eip.instance_id.clear();
    eni.attachment_id.clear();
    eni.instance_id.clear();
    eni.device_index = -1;
    eni.attachment_status = "detached";
    eni.status = "available";
    return ActionEffect{"DetachNetworkInterface", {}};
}

Result<ActionEffect> modify_network_interface_attribute(Network& net, const json& params) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    std::string eni_id = r.str("NetworkInterfaceId", true);
    if (err) return *err;
    Idx ei = find_in(net.index.eni, eni_id);
    if (ei == kNone)
        return refusal("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '" + eni_id + "' does not exist",
                       "/NetworkInterfaceId");
    Eni& eni = net.enis[ei];

    static const char* const kAttrs[] = {"SourceDestCheck", "Groups", "ConnectionTrackingSpecification",
                                         "Description"};
    int n = 0;
    for (const char* k : kAttrs) n += r.has(k) ? 1 : 0;
    if (n == 0)
        return refusal("MissingParameter", "The request must contain one attribute to modify: SourceDestCheck, "
                                           "Groups, ConnectionTrackingSpecification or Description");
    if (n > 1) return refusal("InvalidParameterCombination", "Fields for multiple attribute types specified");
    if (eni.requester_managed)
        return refusal("OperationNotPermitted",
                       "The network interface '" + eni.id + "' is managed by an AWS service and cannot be modified.");

    if (r.has("SourceDestCheck")) {
        std::optional<bool> v = r.boolean("SourceDestCheck");
        if (err) return *err;
        eni.source_dest_check = *v;
    } else if (r.has("Groups")) {
        std::vector<std::string> groups = r.strings("Groups");
        if (err) return *err;
        if (groups.empty()) return refusal("MissingParameter", "The request must contain the parameter Groups", "/Groups");
        std::vector<std::string> unique;
        for (const auto& g : groups) {
            if (!well_formed_group_id(g))
                return refusal("InvalidGroupId.Malformed", "Invalid id: \"" + g + "\" (expecting \"sg-...\")", "/Groups");
            const SecurityGroup* sg = net.security_group(g);
            if (!sg) return refusal("InvalidGroup.NotFound", "The security group '" + g + "' does not exist", "/Groups");
            if (sg->vpc != kNone && eni.vpc != kNone && sg->vpc != eni.vpc)
                return refusal("InvalidParameterValue",
                               "The security group '" + g + "' and the network interface belong to different networks.",
                               "/Groups");
            add_unique(unique, g);
        }
        eni.groups = unique;
    } else if (r.has("ConnectionTrackingSpecification")) {
        Reader c = r.object("ConnectionTrackingSpecification");
        std::optional<int64_t> tcp = c.integer("TcpEstablishedTimeout");
        std::optional<int64_t> stream = c.integer("UdpStreamTimeout");
        std::optional<int64_t> udp = c.integer("UdpTimeout");
        if (err) return *err;
        // AWS-FACTS §1.4: min/max per field.
        struct Bound {
            const char* name;
            std::optional<int64_t> v;
            int64_t lo, hi;
        } bounds[] = {{"TcpEstablishedTimeout", tcp, 60, 432000},
                      {"UdpStreamTimeout", stream, 60, 180},
                      {"UdpTimeout", udp, 30, 60}};
        for (const Bound& b : bounds)
            if (b.v && (*b.v < b.lo || *b.v > b.hi))
                return refusal("InvalidParameterValue",
                               std::string(b.name) + " must be between " + std::to_string(b.lo) + " and " +
                                   std::to_string(b.hi) + " seconds; got " + std::to_string(*b.v),
                               std::string("/ConnectionTrackingSpecification/") + b.name);
        if (tcp) eni.timeouts.tcp_established = int(*tcp);
        if (stream) eni.timeouts.udp_stream = int(*stream);
        if (udp) eni.timeouts.udp = int(*udp);
    } else {
        // Description {Value} (AttributeValue), or a plain string.
        std::string text = params["Description"].is_object() ? r.object("Description").str("Value")
                                                              : r.str("Description");
        if (err) return *err;
        eni.description = text;
    }
    return ActionEffect{"ModifyNetworkInterfaceAttribute", {}};
}

// ---------------------------------------------------------------------------------------
// Dispatch

using Handler = std::function<Result<ActionEffect>(Network&, const json&)>;

const std::vector<std::pair<std::string, Handler>>& handlers() {
    static const std::vector<std::pair<std::string, Handler>> kHandlers = {
        {"AuthorizeSecurityGroupIngress",
         [](Network& n, const json& p) { return authorize(n, p, false, "AuthorizeSecurityGroupIngress"); }},
        {"AuthorizeSecurityGroupEgress",
         [](Network& n, const json& p) { return authorize(n, p, true, "AuthorizeSecurityGroupEgress"); }},
        {"RevokeSecurityGroupIngress",
         [](Network& n, const json& p) { return revoke(n, p, false, "RevokeSecurityGroupIngress"); }},
        {"RevokeSecurityGroupEgress",
         [](Network& n, const json& p) { return revoke(n, p, true, "RevokeSecurityGroupEgress"); }},
        {"CreateNetworkAclEntry",
         [](Network& n, const json& p) { return create_nacl_entry(n, p, false, "CreateNetworkAclEntry"); }},
        {"ReplaceNetworkAclEntry",
         [](Network& n, const json& p) { return create_nacl_entry(n, p, true, "ReplaceNetworkAclEntry"); }},
        {"DeleteNetworkAclEntry", delete_nacl_entry},
        {"ReplaceNetworkAclAssociation", replace_nacl_association},
        {"CreateRoute", create_route},
        {"ReplaceRoute", replace_route},
        {"DeleteRoute", delete_route},
        {"ReplaceRouteTableAssociation", replace_route_table_association},
        {"AssociateAddress", associate_address},
        {"DisassociateAddress", disassociate_address},
        {"AttachNetworkInterface", attach_network_interface},
        {"DetachNetworkInterface", detach_network_interface},
        {"ModifyNetworkInterfaceAttribute", modify_network_interface_attribute},
    };
    return kHandlers;
}

} // namespace

const std::vector<std::string>& supported_actions() {
    static const std::vector<std::string> kNames = [] {
        std::vector<std::string> v;
        for (const auto& h : handlers()) v.push_back(h.first);
        return v;
    }();
    return kNames;
}

Result<ActionEffect> apply_action(Network& net, const std::string& action, const nlohmann::json& params) {
    if (!params.is_null() && !params.is_object())
        return refusal("InvalidParameterValue", "The parameters of " + action + " must be a JSON object");
    for (const auto& [name, fn] : handlers()) {
        if (name != action) continue;
        try {
            return fn(net, params.is_null() ? json::object() : params);
        } catch (const std::exception& e) {
            return refusal("InternalError", std::string("unexpected failure in ") + action + ": " + e.what());
        }
    }
    std::string list;
    for (const auto& n : supported_actions()) list += (list.empty() ? "" : ", ") + n;
    return refusal("InvalidAction", "The action " + action + " is not supported; supported: " + list);
}

} // namespace vpcfw
