// AWS API actions on network interfaces: Attach/DetachNetworkInterface (device index,
// availability zone, the instance's other ENIs) and ModifyNetworkInterfaceAttribute
// (security groups, source/destination check, description). Cold path; control thread.
#include "ruleset/action_request.hpp"

#include <algorithm>

namespace vpcfw::action {

namespace {

// The availability zone of an ENI (its own, else its subnet's).
std::string eni_az(const Network& net, const Eni& e) {
    if (!e.az.empty()) return e.az;
    if (e.subnet < net.subnets.size()) return net.subnets[e.subnet].az;
    return {};
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

} // namespace

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
        // docs/aws-facts.md §1.4: min/max per field.
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

} // namespace vpcfw::action
