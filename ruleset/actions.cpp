// AWS EC2 API actions on the model: the dispatch from an action's name to its handler, and
// the catch-all refusals (parameters that are not an object, an unknown action, an
// unexpected failure). The handlers live by resource family: action_security_groups.cpp,
// action_network_acls.cpp, action_routes.cpp, action_addresses.cpp (Elastic IPs),
// action_network_interfaces.cpp, sharing the request reading of action_request.hpp. Each
// reads AWS's request shape, validates as AWS does and refuses with AWS's error code, or
// applies AWS's effect; every action validates in full before it changes anything, so a
// refusal leaves the Network untouched. Cold path.
#include "ruleset/actions.hpp"

#include <functional>

#include "ruleset/action_request.hpp"

namespace vpcfw {

using namespace action;

namespace {

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
