// AWS API actions on Elastic IPs: AssociateAddress (to an instance's primary ENI or a
// given ENI and private IP, with AllowReassociation) and DisassociateAddress. Each reports
// the ENIs whose public mapping changed, so the evaluators move live flows as AWS does.
// Cold path; control thread.
#include "ruleset/action_request.hpp"

#include <algorithm>

namespace vpcfw::action {

namespace {

bool eip_assoc_taken(const Network& net, const std::string& id) {
    for (const auto& e : net.elastic_ips)
        if (e.association_id == id) return true;
    for (const auto& e : net.enis)
        for (const auto& p : e.private_ips)
            if (p.association_id == id) return true;
    return false;
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

} // namespace

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

} // namespace vpcfw::action
