// `vpcfw check` findings about AWS Network Firewall (docs/inspection.md §1, §2):
// nfw-unsupported-keyword (a rule AWS accepts that vpcfw cannot evaluate: group, sid,
// keyword), nfw-missing-group (a policy naming a group the export lacks), nfw-managed-group
// (C12), nfw-asymmetric-route (a protected subnet whose return traffic does not come back
// through the endpoint it leaves by). Cold path; reads the model only.
#include <optional>

#include "ruleset/lint.hpp"

namespace vpcfw {

namespace {

// The longest CIDR route of `rt` covering `a` (prefix-list routes left aside: plain lint).
const Route* longest(const RouteTable& rt, const IpAddr& a) {
    const Route* best = nullptr;
    for (const Route& r : rt.routes)
        if (r.dest && r.dest->contains(a) && (!best || r.dest->len > best->dest->len)) best = &r;
    return best;
}

// The addresses whose traffic a subnet sends to the firewall: its own CIDR, or for a TGW
// attachment subnet the CIDRs of the other VPCs attached to that TGW.
std::vector<Cidr> protected_sources(const Network& net, Idx subnet) {
    const Subnet& s = net.subnets[subnet];
    for (const Eni& e : net.enis) {
        if (e.subnet != subnet || e.interface_type != "transit_gateway") continue;
        std::vector<Cidr> out;
        for (const TgwAttachment& a : net.tgw_attachments) {
            if (a.resource_type != "vpc" || a.resource_id == net.vpcs[s.vpc].id) continue;
            if (const Vpc* v = net.vpc(a.resource_id)) out.insert(out.end(), v->cidrs4.begin(), v->cidrs4.end());
        }
        return out;
    }
    if (s.cidr4) return {*s.cidr4};
    return {};
}

} // namespace

void lint_firewalls(const Network& net, std::vector<Finding>& out) {
    auto add = [&](Severity sev, const char* code, const std::string& obj, const std::string& msg) {
        out.push_back(Finding{sev, code, obj, msg});
    };
    for (const NfwRuleGroup& g : net.rule_groups) {
        if (g.missing)
            add(Severity::Error, "nfw-missing-group", g.arn, "a firewall policy references rule group " + g.arn +
                                                                ", which is not in the export");
        if (g.managed_unexported)
            add(Severity::Warning, "nfw-managed-group", g.arn, "AWS-managed rule group not in the export: evaluated as empty (C12)");
        for (const SuricataRule& r : g.rules)
            if (!r.unsupported_keyword.empty())
                add(Severity::Error, "nfw-unsupported-keyword", g.name + ":" + std::to_string(r.sid),
                    "rule group " + g.name + ", sid " + std::to_string(r.sid) + ", keyword " + r.unsupported_keyword +
                        ": accepted by AWS, not implemented by vpcfw (other commands refuse the network)");
    }
    // §2 symmetry: subnet S routes destination X to endpoint E; the firewall subnet sends X
    // on to an IGW or a NAT gateway; the return enters by that IGW's edge route table or the
    // NAT gateway's subnet, whose route to S's sources must be E again.
    for (const NfwFirewall& fw : net.firewalls)
        for (const NfwEndpoint& ep : fw.endpoints) {
            const Subnet* fs = net.subnet(ep.subnet_id);
            if (!fs) continue;
            Idx fsi = net.index.subnet.at(ep.subnet_id);
            Idx frt = net.route_table_of_subnet(fsi);
            if (frt == kNone) continue;
            for (Idx si = 0; si < net.subnets.size(); ++si) {
                if (si == fsi || net.subnets[si].vpc != fs->vpc) continue;
                Idx srt = net.route_table_of_subnet(si);
                if (srt == kNone) continue;
                for (const Route& r : net.route_tables[srt].routes) {
                    if (r.target != ep.endpoint_id || !r.dest) continue;
                    const Route* onward = longest(net.route_tables[frt], r.dest->base);
                    if (!onward) continue;
                    const RouteTable* entry = nullptr;
                    std::string via;
                    if (onward->kind == TargetKind::InternetGateway) {
                        Idx e = net.edge_route_table(onward->target);
                        via = onward->target;
                        if (e == kNone) {
                            add(Severity::Warning, "nfw-asymmetric-route", net.subnets[si].id,
                                net.subnets[si].id + " leaves through " + ep.endpoint_id + " to " + onward->target +
                                    ", but " + onward->target + " has no edge route table: replies bypass the firewall");
                            continue;
                        }
                        entry = &net.route_tables[e];
                    } else if (onward->kind == TargetKind::NatGateway) {
                        const NatGateway* n = net.nat_gateway(onward->target);
                        if (!n || n->subnet == kNone) continue;
                        Idx t = net.route_table_of_subnet(n->subnet);
                        if (t == kNone) continue;
                        entry = &net.route_tables[t];
                        via = onward->target;
                    } else {
                        continue;
                    }
                    for (const Cidr& src : protected_sources(net, si)) {
                        const Route* back = longest(*entry, src.base);
                        if (back && back->target == ep.endpoint_id) continue;
                        add(Severity::Warning, "nfw-asymmetric-route", net.subnets[si].id,
                            net.subnets[si].id + " sends " + r.dest->str() + " through " + ep.endpoint_id + " and " + via +
                                ", but " + entry->id + " returns " + src.str() + " to " +
                                (back ? back->target : std::string("nothing")) + ", not through the firewall");
                    }
                }
            }
        }
}

} // namespace vpcfw
