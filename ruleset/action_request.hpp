// The request reading shared by the AWS API actions (action_*.cpp, dispatched by
// actions.cpp): AWS's refusals, the parameter Reader (the first problem is kept with its JSON
// pointer), lookups several resource families use (deterministic ids, an instance's ENIs,
// association ids), and the handler of each action, grouped by resource family. Internal to
// ruleset/; cold path; control thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ruleset/actions.hpp"
#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw::action {

using nlohmann::json;

// ---------------------------------------------------------------------------------------
// Errors and request parameters (action_request.cpp)

// An AWS refusal: `code` is AWS's error code, `where` the JSON pointer of the parameter.
Error refusal(std::string code, std::string message, std::string where = {});
const json& null_json();

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
// Lookups shared by several families (action_request.cpp)

Idx find_in(const std::unordered_map<std::string, Idx>& m, const std::string& id);
std::string lower(std::string s);
// "tcp"/"6", "udp"/"17", "icmp"/"1", "icmpv6"/"58", "-1", or any protocol number 0..255.
std::optional<int> parse_protocol(const std::string& text);
// Deterministic AWS-looking id suffixes: 17 hex digits of an FNV-1a hash of `seed`, salted
// until `taken` says the id is free.
std::string make_id(const std::string& prefix, const std::string& seed,
                    const std::function<bool(const std::string&)>& taken);
Idx primary_eni(const Network& net, const Instance& in);
std::vector<Idx> enis_of_instance(const Network& net, const Instance& in);
Error different_networks(const std::string& a, const std::string& b);
bool well_formed_group_id(const std::string& id);  // "sg-" and alphanumerics
bool assoc_id_taken(const Network& net, const std::string& id);  // NACL or route table association
void add_unique(std::vector<std::string>& v, const std::string& s);

// Where association `id` lives: (table index, position), table kNone when nowhere.
template <typename Table>
std::pair<Idx, size_t> find_association(const std::vector<Table>& tables, const std::string& id) {
    for (Idx i = 0; i < tables.size(); ++i)
        for (size_t j = 0; j < tables[i].associations.size(); ++j)
            if (tables[i].associations[j].id == id) return {i, j};
    return {kNone, 0};
}

// What a Replace*Association request names: the association (the table that holds it and
// its position there) and the table it moves to, read by `resolve` (NetworkAclId,
// RouteTableId). Refuses a missing parameter, an unknown table, or an unknown association
// (InvalidAssociationID.NotFound).
struct AssociationSite {
    std::string id;     // AssociationId
    Idx from = kNone;
    size_t pos = 0;
    Idx to = kNone;
};
template <typename Table, typename Resolve>
Result<AssociationSite> locate_association(const Network& net, const std::vector<Table>& tables, const json& params,
                                           Resolve resolve) {
    std::optional<Error> err;
    Reader r(params, "", &err);
    std::string assoc = r.str("AssociationId", true);
    if (err) return *err;
    Result<Idx> target = resolve(net, r);
    if (err) return *err;
    if (!target) return target.error();

    auto [from, pos] = find_association(tables, assoc);
    if (from == kNone)
        return refusal("InvalidAssociationID.NotFound", "The association ID '" + assoc + "' does not exist",
                       "/AssociationId");
    return AssociationSite{assoc, from, pos, *target};
}

// ---------------------------------------------------------------------------------------
// The actions, by resource family (dispatched by name in actions.cpp)

// action_security_groups.cpp
Result<ActionEffect> authorize(Network& net, const json& params, bool egress, const std::string& action);
Result<ActionEffect> revoke(Network& net, const json& params, bool egress, const std::string& action);
// action_network_acls.cpp
Result<ActionEffect> create_nacl_entry(Network& net, const json& params, bool replace, const std::string& action);
Result<ActionEffect> delete_nacl_entry(Network& net, const json& params);
Result<ActionEffect> replace_nacl_association(Network& net, const json& params);
// action_routes.cpp
Result<ActionEffect> create_route(Network& net, const json& params);
Result<ActionEffect> replace_route(Network& net, const json& params);
Result<ActionEffect> delete_route(Network& net, const json& params);
Result<ActionEffect> replace_route_table_association(Network& net, const json& params);
// action_addresses.cpp
Result<ActionEffect> associate_address(Network& net, const json& params);
Result<ActionEffect> disassociate_address(Network& net, const json& params);
// action_network_interfaces.cpp
Result<ActionEffect> attach_network_interface(Network& net, const json& params);
Result<ActionEffect> detach_network_interface(Network& net, const json& params);
Result<ActionEffect> modify_network_interface_attribute(Network& net, const json& params);

} // namespace vpcfw::action
