// The ruleset compiler (control/compiler.hpp). Every table transcribes a scan of the
// reference evaluator (ruleset/ref_*.cpp) into a lookup built once: the address owners (eni_by_private,
// eni_by_any_private, eni_by_public, private_ip_record, eni_has_address), the route
// winners per prefix (lookup_route, tgw_lookup: ranks and the prefix-list CHOICE are
// settled here, per prefix, so the FIB's longest match is the whole answer), the facts
// of each ENI, subnet, VPC and gateway (states decided, ids resolved to indices, so the
// pipeline reads no Network), and the names decisions print. Cold path.
#include "control/compiler.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "control/acl_compiler.hpp"
#include "dataplane/compiled_impl.hpp"
#include "dataplane/parse.hpp"
#include "ruleset/lint.hpp"

namespace vpcfw {

namespace {

// Bytes allocated from DPDK's heaps (rte_acl contexts, FIBs live there).
size_t heap_bytes() {
    size_t total = 0;
    for (unsigned s = 0; s < rte_socket_count(); ++s) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(s), &st) == 0) total += st.heap_allocsz_bytes;
    }
    return total;
}

std::string unique_name(const char* kind) {
    static std::atomic<uint64_t> counter{0};
    char buf[32];
    // "kind_N": the separator keeps "fib" + 63 and "fib6" + 3 apart (DPDK names the RIB
    // mempool after it, and two equal names fail the second create).
    std::snprintf(buf, sizeof buf, "%s_%llu", kind, static_cast<unsigned long long>(counter.fetch_add(1)));
    return buf;
}

// One candidate of a route lookup: an exact prefix, where it came from, its §6 rank.
struct Candidate {
    Cidr prefix;
    uint32_t route;
    int rank;
    std::string pl;
};

// Why an rte_fib could not be created. Out of memory zones is a property of the input (one
// table per route table, TGW route table and family; DPDK 22.11 has RTE_MAX_MEMZONE 2,560
// zones and a table takes 3): exit 2, naming the limit.
Error fib_create_error(const char* kind) {
    int e = rte_errno;
    Error err = make_error(std::string(kind) + " failed: " + rte_strerror(e));
    err.kind = ErrorKind::Runtime;
    if (e == ENOSPC || e == ENOMEM) {
        err.message = std::string("DPDK cannot create another ") + kind + " table (" + rte_strerror(e) +
                      "): one process holds about 850 (RTE_MAX_MEMZONE " + std::to_string(RTE_MAX_MEMZONE) +
                      " memory zones, 3 per table), and the compiled engine needs one per route table, TGW route "
                      "table and address family; `--engine reference` has no such limit";
        err.kind = ErrorKind::Input;
    }
    return err;
}

template <typename Nh>
Status build_fib(CompiledFib<Nh>& out, const std::vector<std::pair<Cidr, uint32_t>>& entries) {
    size_t n4 = 0, n6 = 0;
    for (const auto& e : entries) (e.first.family() == Family::V4 ? n4 : n6)++;
    if (n4) {
        rte_fib_conf conf{};
        conf.type = RTE_FIB_DUMMY;
        conf.default_nh = 0;
        conf.max_routes = static_cast<int>(n4 + 8);
        conf.rib_ext_sz = 0;
        out.fib4 = rte_fib_create(unique_name("fib").c_str(), SOCKET_ID_ANY, &conf);
        if (!out.fib4) return fib_create_error("rte_fib");
    }
    if (n6) {
        rte_fib6_conf conf{};
        conf.type = RTE_FIB6_DUMMY;
        conf.default_nh = 0;
        conf.max_routes = static_cast<int>(n6 + 8);
        conf.rib_ext_sz = 0;
        out.fib6 = rte_fib6_create(unique_name("fib6").c_str(), SOCKET_ID_ANY, &conf);
        if (!out.fib6) return fib_create_error("rte_fib6");
    }
    for (const auto& [cidr, nh] : entries) {
        int rc;
        if (cidr.family() == Family::V4)
            rc = rte_fib_add(out.fib4, cidr.base.v4_host(), cidr.len, nh + 1);
        else
            rc = rte_fib6_add(out.fib6, cidr.base.bytes.data(), cidr.len, nh + 1);
        if (rc != 0) return make_error("rte_fib_add " + cidr.str() + " failed: " + rte_strerror(-rc));
    }
    return {};
}

struct Builder {
    const Network& net;
    CompiledRuleset::Impl& t;
    Names& names;
    CompileStats& stats;

    uint32_t sym(const std::string& s, SymKind k = SymKind::Text) { return names.intern(s, k); }

    Status build() {
        symbols();
        enis();
        subnets_vpcs();
        gateways();
        addresses();
        if (auto s = route_tables(); !s) return s;
        if (auto s = tgw_tables(); !s) return s;
        return {};
    }

    void symbols() {
        for (int i = 0; i < static_cast<int>(Reason::Count); ++i) t.sym_reason[i] = sym(kReasonNames[i], SymKind::Reason);
        for (unsigned i = 0; i < kParseReasonCount && i < 16; ++i) t.sym_parse[i] = sym(kParseReasonNames[i], SymKind::Reason);
        for (int i = 1; i < 6; ++i) t.sym_service[i] = sym(kServiceNames[i], SymKind::Service);
        t.sym_internet = sym("internet", SymKind::Gateway);
        t.sym_sg_state[0] = sym("sg-ingress:state", SymKind::SgRule);
        t.sym_sg_state[1] = sym("sg-egress:state", SymKind::SgRule);
        t.sym_nacl_none[0] = sym("none:ingress:*", SymKind::NaclRule);
        t.sym_nacl_none[1] = sym("none:egress:*", SymKind::NaclRule);
        for (const auto& g : net.security_groups) {
            t.sym_sg_pass[0].push_back(sym("sg-ingress:" + g.id, SymKind::SgRule));
            t.sym_sg_pass[1].push_back(sym("sg-egress:" + g.id, SymKind::SgRule));
        }
        for (const auto& n : net.network_acls) {
            t.sym_nacl_star[0].push_back(sym(n.id + ":ingress:*", SymKind::NaclRule));
            t.sym_nacl_star[1].push_back(sym(n.id + ":egress:*", SymKind::NaclRule));
        }
        for (const auto& g : net.nat_gateways) {
            t.sym_nat.push_back(sym(g.id, SymKind::Gateway));
            t.sym_nat_rst.push_back(sym(g.id + " answers with RST: the connection was idle for more than " +
                                            std::to_string(settings_nat_idle) + " s",
                                        SymKind::Note));
        }
        for (const auto& p : net.peerings) {
            t.sym_pcx.push_back(sym(p.id, SymKind::Gateway));
            // via_peering's note when the far side is not exported: [2p] far = accepter,
            // [2p+1] far = requester.
            t.sym_pcx_missing_peer.push_back(sym("the peer VPC " + p.accepter.vpc_id + " is not in the export", SymKind::Note));
            t.sym_pcx_missing_peer.push_back(sym("the peer VPC " + p.requester.vpc_id + " is not in the export", SymKind::Note));
        }
        for (const auto& g : net.internet_gateways) t.sym_igw.push_back(sym(g.id, SymKind::Gateway));
        for (const auto& g : net.egress_only_gateways) t.sym_eigw.push_back(sym(g.id, SymKind::Gateway));
        for (const auto& g : net.vpn_gateways) t.sym_vgw.push_back(sym(g.id, SymKind::Gateway));
        for (const auto& a : net.tgw_attachments) {
            t.sym_att.push_back(sym(a.id, SymKind::Gateway));
            t.sym_att_unassoc.push_back(sym(a.id + ":unassociated", SymKind::TgwRoute));
        }
        for (const auto& e : net.endpoints) t.sym_endpoint.push_back(sym(e.id, SymKind::Endpoint));
        t.sym_gwlb_note = sym("Gateway Load Balancer endpoint: the appliance behind it is not modelled", SymKind::Note);
        t.sym_policy = sym("policy-not-evaluated", SymKind::Note);
        for (const auto& rt : net.route_tables) t.sym_rtb_none.push_back(sym(rt.id + ":none", SymKind::Route));
        for (const auto& tt : net.tgw_route_tables) t.sym_tgw_none.push_back(sym(tt.id + ":none", SymKind::TgwRoute));
        // Rule names by RuleRef (NACL entries and SG rules), as AclTables names them.
        const AclTables& acl = *acl_tables;
        t.rule_sym.reset(acl_rule_count + 16);
        for (Idx n = 0; n < net.network_acls.size(); ++n) {
            const auto& entries = net.network_acls[n].entries;
            for (uint32_t i = 0; i < entries.size(); ++i) {
                RuleRef r = acl.nacl_entry(static_cast<uint32_t>(n), i, entries[i].egress);
                if (const RuleSource* s = acl.rule_source(r)) t.rule_sym.put(r.raw, sym(s->str(), SymKind::NaclRule));
            }
        }
        for (Idx g = 0; g < net.security_groups.size(); ++g) {
            const auto& sg = net.security_groups[g];
            for (int dir = 0; dir < 2; ++dir) {
                const auto& rules = dir ? sg.egress : sg.ingress;
                for (uint32_t i = 0; i < rules.size(); ++i) {
                    RuleRef r = RuleRef::make(dir ? RuleLayer::SgEgress : RuleLayer::SgIngress, g, i);
                    if (const RuleSource* s = acl.rule_source(r)) t.rule_sym.put(r.raw, sym(s->str(), SymKind::SgRule));
                }
            }
        }
    }

    void enis() {
        t.enis.resize(net.enis.size());
        std::map<std::string, uint32_t> endpointOfEni, natOfEni;
        for (Idx i = 0; i < net.endpoints.size(); ++i)
            for (const auto& id : net.endpoints[i].eni_ids)
                if (!endpointOfEni.count(id)) endpointOfEni[id] = i;
        for (Idx i = 0; i < net.nat_gateways.size(); ++i)
            for (const auto& a : net.nat_gateways[i].addresses)
                if (!natOfEni.count(a.eni_id)) natOfEni[a.eni_id] = i;
        std::map<std::vector<std::string>, uint32_t> anySetOf;
        for (Idx i = 0; i < net.enis.size(); ++i) {
            const Eni& e = net.enis[i];
            CompiledEni& c = t.enis[i];
            c.id = sym(e.id, SymKind::Eni);
            c.subnet = e.subnet;
            c.vpc = e.vpc;
            c.source_dest_check = e.source_dest_check;
            c.deny_all_igw = e.deny_all_igw;
            c.timeouts = e.timeouts;
            c.has_prefixes = !e.prefixes4.empty() || !e.prefixes6.empty();
            if (auto it = endpointOfEni.find(e.id); it != endpointOfEni.end()) {
                c.endpoint = it->second;
                c.dest_name = sym(net.endpoints[it->second].id, SymKind::Endpoint);
            } else {
                c.dest_name = c.id;
            }
            if (auto it = natOfEni.find(e.id); it != natOfEni.end()) c.nat = it->second;
            std::string groups;
            for (const auto& g : e.groups) groups += (groups.empty() ? "" : ",") + g;
            c.groups = sym(groups, SymKind::SgGroups);
            // §1/§10 usable: as the reference's eni_usable.
            if (!(e.requester_managed || e.interface_type != "interface")) {
                bool attached = !e.attachment_id.empty() && e.status != "available" &&
                                (e.attachment_status.empty() || e.attachment_status == "attached");
                if (!attached) {
                    c.usable_reason = t.sym_reason[static_cast<int>(Reason::EniNotAttached)];
                } else if (!e.instance_id.empty()) {
                    const Instance* in = net.instance(e.instance_id);
                    if (in && in->state != "running") c.usable_reason = t.sym_reason[static_cast<int>(Reason::InstanceNotRunning)];
                }
            }
            // §4 untracked predicate inputs, per distinct group list.
            auto [it, fresh] = anySetOf.try_emplace(e.groups, static_cast<uint32_t>(t.any_sets.size()));
            if (fresh) t.any_sets.push_back(any_peer_rules(e.groups));
            c.any_set = it->second;
            c.pip_begin = static_cast<uint32_t>(t.private_ips.size());
            for (const auto& p : e.private_ips) {
                CompiledPrivateIp cp;
                cp.addr = p.addr;
                if (p.public_ip) {
                    cp.has_public = true;
                    cp.public_ip = *p.public_ip;
                    cp.public_source = sym("source " + p.public_ip->str() + " is the public address of " + e.id, SymKind::Note);
                }
                t.private_ips.push_back(cp);
            }
            c.pip_end = static_cast<uint32_t>(t.private_ips.size());
        }
    }

    AnyPeerRules any_peer_rules(const std::vector<std::string>& groups) {
        AnyPeerRules a;
        for (int dir = 0; dir < 2; ++dir)
            for (const auto& gid : groups) {
                const SecurityGroup* g = net.security_group(gid);
                if (!g) continue;
                for (const auto& r : dir ? g->egress : g->ingress) {
                    if (r.peer != PeerKind::Cidr || !r.cidr.is_any()) continue;
                    int fam = r.cidr.family() == Family::V4 ? 0 : 1;
                    a.rules[dir].push_back(
                        AnyPeerRules::Rule{r.proto, r.from_port, r.to_port, static_cast<uint8_t>(r.cidr.family())});
                    for (int pi = 0; pi < 2; ++pi) {
                        int proto = pi == 0 ? kProtoTcp : kProtoUdp;
                        if (r.proto == kProtoAll ||
                            (r.proto == proto && (r.from_port == -1 || (r.from_port <= 0 && r.to_port >= 65535))))
                            a.all_ports_any[dir][fam][pi] = true;
                    }
                }
            }
        return a;
    }

    void subnets_vpcs() {
        auto blocks = [](const std::string& mode, bool inbound) {
            return mode == "block-bidirectional" || (inbound && mode == "block-ingress");
        };
        t.vpcs.resize(net.vpcs.size());
        for (Idx v = 0; v < net.vpcs.size(); ++v) {
            CompiledVpc& c = t.vpcs[v];
            c.id = sym(net.vpcs[v].id, SymKind::Text);
            c.igw = net.igw_of_vpc(v);
            c.eigw = net.eigw_of_vpc(v);
            c.vgw = net.vgw_of_vpc(v);
            c.main_rtb = net.main_route_table(v);
            c.bpa_in = blocks(net.vpcs[v].bpa_mode, true);
            c.bpa_out = blocks(net.vpcs[v].bpa_mode, false);
            if (!net.vpcs[v].cidrs4.empty()) {
                c.has_dns4 = true;
                c.dns4 = net.vpcs[v].cidrs4[0].base.plus(2);
            }
            c.cidr_begin = static_cast<uint32_t>(t.vpc_cidrs.size());
            for (const auto& cidr : net.vpcs[v].cidrs4) t.vpc_cidrs.push_back(cidr);
            for (const auto& cidr : net.vpcs[v].cidrs6) t.vpc_cidrs.push_back(cidr);
            c.cidr_end = static_cast<uint32_t>(t.vpc_cidrs.size());
        }
        std::vector<std::pair<Cidr, uint32_t>> vpc_cidrs;
        for (uint32_t v = 0; v < t.vpcs.size(); ++v)
            for (uint32_t i = t.vpcs[v].cidr_begin; i < t.vpcs[v].cidr_end; ++i) vpc_cidrs.push_back({t.vpc_cidrs[i], v});
        t.vpc_by_addr.build(vpc_cidrs);
        t.subnets.resize(net.subnets.size());
        for (Idx s = 0; s < net.subnets.size(); ++s) {
            CompiledSubnet& c = t.subnets[s];
            c.id = sym(net.subnets[s].id);
            c.vpc = net.subnets[s].vpc;
            c.nacl = net.nacl_of_subnet(s);
            // §5 CHOICE missing_nacl_default: the loader's acl-default(VPC-ID), or (off) none.
            if (c.nacl != kNone && is_missing_nacl_default(net.network_acls[c.nacl])) {
                c.nacl_missing = true;
                if (!settings_missing_nacl_default) c.nacl = kNone;
            }
            c.rtb = net.route_table_of_subnet(s);
            c.az = sym(net.subnets[s].az);
            c.bpa_in = blocks(net.subnets[s].bpa_mode, true);
            c.bpa_out = blocks(net.subnets[s].bpa_mode, false);
            if (net.subnets[s].cidr4) {
                c.has_router4 = true;
                c.router4 = net.subnets[s].cidr4->base.plus(1);
            }
            c.router6_begin = static_cast<uint32_t>(t.subnet_routers6.size());
            for (const auto& cidr : net.subnets[s].cidrs6) t.subnet_routers6.push_back(cidr.base.plus(1));
            c.router6_end = static_cast<uint32_t>(t.subnet_routers6.size());
        }
        t.edge_rtb_igw.resize(net.internet_gateways.size());
        for (Idx i = 0; i < net.internet_gateways.size(); ++i) t.edge_rtb_igw[i] = net.edge_route_table(net.internet_gateways[i].id);
        t.edge_rtb_eigw.resize(net.egress_only_gateways.size());
        for (Idx i = 0; i < net.egress_only_gateways.size(); ++i)
            t.edge_rtb_eigw[i] = net.edge_route_table(net.egress_only_gateways[i].id);
        t.edge_rtb_vgw.resize(net.vpn_gateways.size());
        for (Idx i = 0; i < net.vpn_gateways.size(); ++i) t.edge_rtb_vgw[i] = net.edge_route_table(net.vpn_gateways[i].id);
    }

    static uint32_t find_index(const std::unordered_map<std::string, Idx>& index, const std::string& id) {
        auto it = index.find(id);
        return it == index.end() ? kNone : it->second;
    }

    // The gateways' facts the walk asks (the reference reads them from the model by id).
    void gateways() {
        auto iequals = [](const std::string& a, const char* b) {
            size_t n = std::strlen(b);
            if (a.size() != n) return false;
            for (size_t i = 0; i < n; ++i)
                if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
            return true;
        };
        for (const auto& g : net.nat_gateways) {
            CompiledNat c;
            c.subnet = g.subnet;
            c.available = g.state == "available";
            c.is_private = g.is_private;
            // nat_primary: the address marked primary, else the first.
            const NatAddress* a = g.addresses.empty() ? nullptr : &g.addresses[0];
            for (const auto& x : g.addresses)
                if (x.primary) {
                    a = &x;
                    break;
                }
            if (a) {
                c.eni = find_index(net.index.eni, a->eni_id);
                if (a->private_ip) {
                    c.has_private_ip = true;
                    c.private_ip = *a->private_ip;
                }
                if (a->public_ip) {
                    c.has_public_ip = true;
                    c.public_ip = *a->public_ip;
                }
            }
            t.nats.push_back(c);
        }
        for (const auto& p : net.peerings) {
            CompiledPeering c;
            c.active = p.status == "active";
            c.vpc[0] = find_index(net.index.vpc, p.requester.vpc_id);
            c.vpc[1] = find_index(net.index.vpc, p.accepter.vpc_id);
            t.peerings.push_back(c);
        }
        for (const auto& a : net.tgw_attachments) {
            CompiledAttachment c;
            c.available = a.state == "available";
            c.appliance_mode = a.appliance_mode;
            c.to_exported_vpc = a.resource_type == "vpc" && find_index(net.index.vpc, a.resource_id) != kNone;
            if (a.resource_type == "vpc" && !a.subnet_ids.empty())
                if (uint32_t s = find_index(net.index.subnet, a.subnet_ids.front()); s != kNone) {
                    c.has_arrival_az = true;
                    c.arrival_az = t.subnets[s].az;
                }
            c.rtb = find_index(net.index.tgw_route_table, a.association_rtb);
            c.tgw = sym(a.tgw_id);
            c.peering = a.resource_type == "peering";
            if (c.peering) {
                c.peer_tgw = sym(a.peer_tgw_id);
                c.peer_rtb = find_index(net.index.tgw_route_table, a.peer_association_rtb);
                // As the reference's via_tgw_peering: the TGW named and (associated or listed).
                auto known = [&](const std::string& tgw, const std::string& rtb) {
                    return !tgw.empty() && (!rtb.empty() || net.transit_gateway(tgw) != nullptr);
                };
                c.side_known[0] = known(a.tgw_id, a.association_rtb);
                c.side_known[1] = known(a.peer_tgw_id, a.peer_association_rtb);
            }
            c.subnet_begin = static_cast<uint32_t>(t.attachment_subnets.size());
            for (const auto& sid : a.subnet_ids)
                if (uint32_t s = find_index(net.index.subnet, sid); s != kNone) t.attachment_subnets.push_back(s);
            c.subnet_end = static_cast<uint32_t>(t.attachment_subnets.size());
            t.attachments.push_back(c);
        }
        for (const auto& g : net.vpn_gateways) {
            CompiledVgw c;
            for (const auto& a : g.attachments)
                if (a.state == "attached" || a.state == "available")
                    if (uint32_t v = find_index(net.index.vpc, a.vpc_id); v != kNone) c.attached_vpc = v;
            c.route_begin = static_cast<uint32_t>(t.vgw_routes.size());
            for (const auto& vc : net.vpn_connections) {
                if (vc.vgw_id != g.id || vc.state == "deleted" || vc.state == "deleting") continue;
                c.any_connection = true;
                if (!vc.static_routes_only) c.any_bgp = true;
                for (const auto& cidr : vc.routes) t.vgw_routes.push_back(cidr);
            }
            c.route_end = static_cast<uint32_t>(t.vgw_routes.size());
            t.vgws.push_back(c);
        }
        for (const auto& e : net.endpoints) t.endpoints.push_back(CompiledEndpoint{iequals(e.state, "available"), e.type == "GatewayLoadBalancer"});
        // outside_origin's candidates, in its order.
        for (const auto& vc : net.vpn_connections)
            for (const auto& r : vc.routes) {
                if (!vc.vgw_id.empty()) {
                    // A VGW that is not exported: unknown-origin (index kNone).
                    t.outside_routes.push_back({r, OriginSpec{OriginSpec::Kind::Vgw, find_index(net.index.vpn_gateway, vc.vgw_id)}});
                    continue;
                }
                for (Idx a = 0; a < net.tgw_attachments.size(); ++a)
                    if (net.tgw_attachments[a].resource_type == "vpn" && net.tgw_attachments[a].resource_id == vc.id) {
                        t.outside_routes.push_back({r, OriginSpec{OriginSpec::Kind::TgwAttachment, a}});
                        break;
                    }
            }
        for (const auto& tt : net.tgw_route_tables)
            for (const auto& r : tt.routes) {
                if (!r.dest || r.attachments.empty()) continue;
                uint32_t a = find_index(net.index.tgw_attachment, r.attachments.front());
                if (a == kNone) continue;
                const std::string& type = net.tgw_attachments[a].resource_type;
                if (type != "vpc" && type != "peering")
                    t.outside_routes.push_back({*r.dest, OriginSpec{OriginSpec::Kind::TgwAttachment, a}});
            }
    }

    void addresses() {
        size_t n = 16;
        for (const auto& e : net.enis) n += e.private_ips.size() + e.ipv6.size();
        t.private_in_vpc.reset(n);
        t.private_any.reset(n);
        t.eni_address.reset(n);
        t.public_owner.reset(n);
        t.private_record.reset(n);
        for (Idx i = 0; i < net.enis.size(); ++i) {
            const Eni& e = net.enis[i];
            auto own = [&](const IpAddr& a) {
                t.private_in_vpc.insert(ScopedAddr::make(e.vpc, a), i);
                t.private_any.insert(ScopedAddr::make(kNone, a), i);
                t.eni_address.insert(ScopedAddr::make(i, a), 1);
            };
            for (uint32_t k = 0; k < e.private_ips.size(); ++k) {
                const PrivateIp& p = e.private_ips[k];
                own(p.addr);
                t.private_record.insert(ScopedAddr::make(e.vpc, p.addr), PublicOwner{i, k});
                if (p.public_ip) t.public_owner.insert(ScopedAddr::make(kNone, *p.public_ip), PublicOwner{i, k});
            }
            for (const auto& a : e.ipv6) own(a);
            for (const auto& c : e.prefixes4) t.prefixes.push_back({c, i});
            for (const auto& c : e.prefixes6) t.prefixes.push_back({c, i});
        }
        stats.addresses = static_cast<uint32_t>(t.private_any.size() + t.public_owner.size());
        // Source MAC -> ENI (origin by MAC), first ENI in model order.
        t.mac_owner.reset(net.enis.size() + 1);
        for (Idx i = 0; i < net.enis.size(); ++i) {
            const std::string& m = net.enis[i].mac;
            unsigned b[6];
            if (m.size() == 17 && std::sscanf(m.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6) {
                MacKey k{};
                for (int j = 0; j < 6; ++j) k.mac[j] = static_cast<uint8_t>(b[j]);
                t.mac_owner.insert(k, i);
            }
        }
        // The model's public side (is_public_address).
        size_t np = 16 + net.elastic_ips.size();
        for (const auto& e : net.enis) np += e.private_ips.size() + e.ipv6.size();
        for (const auto& g : net.nat_gateways) np += g.addresses.size();
        t.public_address.reset(np);
        auto pub = [&](const IpAddr& a) { t.public_address.insert(ScopedAddr::make(kNone, a), 1); };
        for (const auto& e : net.enis) {
            for (const auto& p : e.private_ips)
                if (p.public_ip) pub(*p.public_ip);
            for (const auto& v6 : e.ipv6)
                if (!v6.is_v4()) pub(v6);
        }
        for (const auto& eip : net.elastic_ips)
            if (!eip.association_id.empty()) pub(eip.public_ip);
        for (const auto& ng : net.nat_gateways)
            for (const auto& na : ng.addresses)
                if (na.public_ip) pub(*na.public_ip);
    }

    uint32_t target_index(const RouteTable& rt, const Route& r) {
        switch (r.kind) {
        case TargetKind::NetworkInterface: {
            auto it = net.index.eni.find(r.target);
            return it == net.index.eni.end() ? kNone : it->second;
        }
        case TargetKind::InternetGateway: {
            auto it = net.index.internet_gateway.find(r.target);
            return it == net.index.internet_gateway.end() ? kNone : it->second;
        }
        case TargetKind::EgressOnlyIgw: {
            auto it = net.index.egress_only_gateway.find(r.target);
            return it == net.index.egress_only_gateway.end() ? kNone : it->second;
        }
        case TargetKind::NatGateway: {
            auto it = net.index.nat_gateway.find(r.target);
            return it == net.index.nat_gateway.end() ? kNone : it->second;
        }
        case TargetKind::Peering: {
            auto it = net.index.peering.find(r.target);
            return it == net.index.peering.end() ? kNone : it->second;
        }
        case TargetKind::TransitGateway: {
            // via_tgw: the attachment of this TGW to the route table's VPC.
            if (rt.vpc == kNone) return kNone;
            for (Idx a = 0; a < net.tgw_attachments.size(); ++a) {
                const auto& at = net.tgw_attachments[a];
                if (at.tgw_id == r.target && at.resource_type == "vpc" && at.resource_id == net.vpcs[rt.vpc].id) return a;
            }
            return kNone;
        }
        case TargetKind::VpnGateway: {
            auto it = net.index.vpn_gateway.find(r.target);
            return it == net.index.vpn_gateway.end() ? kNone : it->second;
        }
        case TargetKind::VpcEndpoint: {
            auto it = net.index.endpoint.find(r.target);
            return it == net.index.endpoint.end() ? kNone : it->second;
        }
        default: return kNone;
        }
    }

    Status route_tables() {
        auto t0 = std::chrono::steady_clock::now();
        t.route_tables.resize(net.route_tables.size());
        for (Idx ti = 0; ti < net.route_tables.size(); ++ti) {
            const RouteTable& rt = net.route_tables[ti];
            std::vector<Cidr> locals;
            for (const auto& r : rt.routes)
                if (r.kind == TargetKind::Local && r.dest) locals.push_back(*r.dest);
            // Candidates in the reference's order, grouped by exact prefix.
            std::map<Cidr, std::vector<Candidate>> byPrefix;
            std::vector<Cidr> order;
            auto add = [&](const Cidr& c, uint32_t ri, int rank, const std::string& pl) {
                // §6: a propagated route never beats local; one inside a local CIDR never wins.
                if (rank == 2)
                    for (const auto& l : locals)
                        if (l.contains(c)) return;
                auto& v = byPrefix[c];
                if (v.empty()) order.push_back(c);
                v.push_back(Candidate{c, ri, rank, pl});
            };
            for (uint32_t ri = 0; ri < rt.routes.size(); ++ri) {
                const Route& r = rt.routes[ri];
                if (r.dest) {
                    add(*r.dest, ri, r.propagated() ? 2 : 0, {});
                } else if (!r.dest_prefix_list.empty()) {
                    if (const PrefixList* pl = net.prefix_list(r.dest_prefix_list))
                        for (const auto& e : pl->entries) add(e, ri, r.propagated() ? 2 : 1, pl->id);
                }
            }
            std::vector<std::pair<Cidr, uint32_t>> entries;
            auto& out = t.route_tables[ti];
            for (const auto& c : order) {
                const Candidate* best = nullptr;
                bool tie = false;
                for (const auto& cand : byPrefix[c]) {
                    bool better = !best || cand.rank < best->rank;
                    if (best && cand.rank == best->rank && cand.rank == 1 && !best->pl.empty() && cand.pl != best->pl &&
                        rt.routes[best->route].target != rt.routes[cand.route].target) {
                        tie = true;
                        better = cand.pl < best->pl;
                    }
                    if (better) best = &cand;
                }
                const Route& r = rt.routes[best->route];
                RouteNh nh;
                nh.route = best->route;
                nh.rule = sym(rt.id + ":" + r.dest_str(), SymKind::Route);
                nh.kind = r.kind;
                nh.target = target_index(rt, r);
                nh.target_sym = sym(r.target, r.kind == TargetKind::VpcEndpoint ? SymKind::Endpoint : SymKind::Gateway);
                nh.active = r.state == "active";
                nh.tie_choice = tie;
                entries.push_back({c, static_cast<uint32_t>(out.nh.size())});
                out.nh.push_back(nh);
                (c.family() == Family::V4 ? stats.routes4 : stats.routes6)++;
            }
            if (auto s = build_fib(out, entries); !s) {
                Error e = s.error();
                e.message = "route table " + rt.id + " (" + std::to_string(net.route_tables.size()) + " in the network): " + e.message;
                return e;
            }
        }
        stats.route_tables = static_cast<uint32_t>(net.route_tables.size());
        stats.route_build_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return {};
    }

    // §8 routes learned by BGP (ruleset/ref_peering_tgw_vgw_endpoints.cpp learns_by_bgp).
    bool learns_by_bgp(const TgwAttachment& a) const {
        if (a.resource_type == "direct-connect-gateway") return true;
        if (a.resource_type != "vpn") return false;
        for (const auto& vc : net.vpn_connections)
            if (vc.id == a.resource_id) return !vc.static_routes_only;
        return true;
    }
    static bool has_propagated_routes(const TgwRouteTable& t, const std::string& attId) {
        for (const auto& r : t.routes)
            if (r.type == "propagated" && std::find(r.attachments.begin(), r.attachments.end(), attId) != r.attachments.end())
                return true;
        return false;
    }

    static int tgw_rank(const TgwRoute& r, bool viaPrefixList) {
        if (r.type != "propagated") return viaPrefixList ? 1 : 0;
        if (r.propagated_from == "vpc" || r.propagated_from.empty()) return 2;
        if (r.propagated_from == "direct-connect-gateway") return 3;
        if (r.propagated_from == "connect") return 4;
        if (r.propagated_from == "vpn") return 5;
        return 6;
    }

    Status tgw_tables() {
        auto t0 = std::chrono::steady_clock::now();
        t.tgw_tables.resize(net.tgw_route_tables.size());
        for (Idx ti = 0; ti < net.tgw_route_tables.size(); ++ti) {
            const TgwRouteTable& tt = net.tgw_route_tables[ti];
            struct Cand {
                int rank;
                TgwNh nh;
            };
            std::map<Cidr, Cand> best;   // first with the lowest rank wins, as tgw_lookup
            std::vector<Cidr> order;
            auto consider = [&](const Cidr& c, int rank, const TgwNh& nh) {
                auto it = best.find(c);
                if (it == best.end()) {
                    best.emplace(c, Cand{rank, nh});
                    order.push_back(c);
                } else if (rank < it->second.rank) {
                    it->second = Cand{rank, nh};
                }
            };
            auto nh_of = [&](const TgwRoute& r, const std::string& dest) {
                TgwNh nh;
                nh.rule = sym(tt.id + ":" + dest, SymKind::TgwRoute);
                nh.blackhole = r.state == "blackhole" || r.attachments.empty();
                if (!r.attachments.empty()) {
                    auto it = net.index.tgw_attachment.find(r.attachments.front());
                    nh.attachment = it == net.index.tgw_attachment.end() ? kNone : it->second;
                }
                nh.propagated = r.type == "propagated";
                return nh;
            };
            for (const auto& r : tt.routes) {
                if (r.dest) {
                    consider(*r.dest, tgw_rank(r, false), nh_of(r, r.dest->str()));
                } else if (const PrefixList* pl = net.prefix_list(r.dest_prefix_list)) {
                    for (const auto& e : pl->entries) consider(e, tgw_rank(r, true), nh_of(r, r.dest_prefix_list));
                }
            }
            for (const auto& attId : tt.propagations) {
                const TgwAttachment* a = net.tgw_attachment(attId);
                // §8 CHOICE tgw_bgp_any_destination (as the reference's tgw_lookup).
                if (a && settings_tgw_bgp_any && learns_by_bgp(*a) && !has_propagated_routes(tt, a->id)) {
                    for (const char* dflt : {"0.0.0.0/0", "::/0"}) {
                        TgwRoute r;
                        r.dest = *Cidr::parse(dflt);
                        r.attachments = {a->id};
                        r.type = "propagated";
                        r.propagated_from = a->resource_type;
                        TgwNh nh = nh_of(r, dflt);
                        nh.bgp_any = true;
                        consider(*r.dest, tgw_rank(r, false), nh);
                    }
                    continue;
                }
                if (!a || a->resource_type != "vpc") continue;
                const Vpc* v = net.vpc(a->resource_id);
                if (!v) continue;
                for (const auto* list : {&v->cidrs4, &v->cidrs6})
                    for (const auto& cidr : *list) {
                        TgwRoute r;
                        r.dest = cidr;
                        r.attachments = {a->id};
                        r.type = "propagated";
                        r.propagated_from = "vpc";
                        consider(cidr, 2, nh_of(r, cidr.str()));
                    }
            }
            std::vector<std::pair<Cidr, uint32_t>> entries;
            auto& out = t.tgw_tables[ti];
            for (const auto& c : order) {
                entries.push_back({c, static_cast<uint32_t>(out.nh.size())});
                out.nh.push_back(best[c].nh);
                ++stats.tgw_routes;
            }
            if (auto s = build_fib(out, entries); !s) return s;
        }
        stats.tgw_route_tables = static_cast<uint32_t>(net.tgw_route_tables.size());
        stats.route_build_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return {};
    }

    int settings_nat_idle = 350;
    bool settings_missing_nacl_default = true;
    bool settings_tgw_bgp_any = true;
    const AclTables* acl_tables = nullptr;
    size_t acl_rule_count = 0;
};

} // namespace

Result<std::shared_ptr<const CompiledRuleset>> compile_ruleset_impl(const Network& net, const Settings& settings,
                                                                     AclAlgorithm algorithm, uint64_t version,
                                                                     const CompiledRuleset* previous) {
    auto t0 = std::chrono::steady_clock::now();
    auto rs = std::shared_ptr<CompiledRuleset>(new CompiledRuleset());
    rs->version_ = previous ? std::max(version, previous->version() + 1) : version;
    rs->names_ = previous ? previous->shared_names() : std::make_shared<Names>();
    // The model as compiled (the result keeps only what is compiled from it).
    Network model = net;
    if (!previous) fill_nat_public_ips(model);
    model.reindex();
    // origin(): first ENI, then VGW, peering, TGW attachment with that id.
    for (const auto* index : {&model.index.eni, &model.index.vpn_gateway, &model.index.peering, &model.index.tgw_attachment}) {
        OriginSpec::Kind kind = index == &model.index.eni           ? OriginSpec::Kind::Eni
                                : index == &model.index.vpn_gateway ? OriginSpec::Kind::Vgw
                                : index == &model.index.peering     ? OriginSpec::Kind::Pcx
                                                                    : OriginSpec::Kind::TgwAttachment;
        for (const auto& [id, i] : *index) rs->origins_.emplace(id, OriginSpec{kind, i});
    }
    rs->settings_ = settings;
    AclCompileOptions ao;
    ao.algorithm = algorithm;
    size_t heap0 = heap_bytes();
    auto acl = AclCompiler::compile(model, ao);
    size_t heap1 = heap_bytes();
    if (!acl) return acl.error();
    rs->acl_ = std::move(*acl);
    rs->impl_ = std::make_unique<CompiledRuleset::Impl>();
    const auto& as = rs->acl_->stats();
    CompileStats& st = rs->stats_;
    st.nacl_rules4 = as.nacl_rules4;
    st.nacl_rules6 = as.nacl_rules6;
    st.sg_rules4 = as.sg_rules4;
    st.sg_rules6 = as.sg_rules6;
    st.group_sets = as.group_sets;
    st.remote_sets = as.remote_sets;
    st.acl_build_ms = as.build_ms;
    st.acl_bytes = heap1 > heap0 ? heap1 - heap0 : 0;
    Builder b{model, *rs->impl_, *rs->names_, st};
    b.settings_nat_idle = settings.nat_idle_tcp;
    b.settings_missing_nacl_default = settings.missing_nacl_default;
    b.settings_tgw_bgp_any = settings.tgw_bgp_any_destination;
    b.acl_tables = rs->acl_.get();
    size_t rules = 0;
    for (const auto& n : model.network_acls) rules += n.entries.size();
    for (const auto& g : model.security_groups) rules += g.ingress.size() + g.egress.size();
    b.acl_rule_count = rules;
    size_t heap2 = heap_bytes();
    if (auto s = b.build(); !s) return s.error();
    size_t heap3 = heap_bytes();
    st.route_bytes = heap3 > heap2 ? heap3 - heap2 : 0;
    auto& t = *rs->impl_;
    st.names = static_cast<uint32_t>(rs->names_->size());
    st.name_bytes = rs->names_->bytes();
    st.map_bytes = t.private_in_vpc.bytes() + t.private_any.bytes() + t.eni_address.bytes() + t.public_owner.bytes() +
                   t.private_record.bytes() + t.rule_sym.bytes() + t.mac_owner.bytes() + t.public_address.bytes() +
                   t.enis.size() * sizeof(CompiledEni) + t.private_ips.size() * sizeof(CompiledPrivateIp) +
                   t.subnets.size() * sizeof(CompiledSubnet);
    st.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return std::shared_ptr<const CompiledRuleset>(std::move(rs));
}

Result<std::shared_ptr<const CompiledRuleset>> compile_ruleset(const Network& net, const Settings& settings,
                                                               const CompileOptions& options) {
    // docs/inspection.md: the compiled inspection hop is not built yet. A network whose
    // routes lead to a Network Firewall endpoint is refused rather than answered wrongly.
    for (const auto& t : net.route_tables)
        for (const auto& r : t.routes)
            if (r.kind == TargetKind::VpcEndpoint && net.firewall_endpoint(r.target).first != kNoFw)
                return make_error(t.id + " routes " + r.dest_str() + " to Network Firewall endpoint " + r.target +
                                  ": the compiled pipeline does not implement inspection yet (use --engine reference)");
    return compile_ruleset_impl(net, settings, options.algorithm, options.version, options.previous);
}

} // namespace vpcfw
