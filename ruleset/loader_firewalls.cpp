// Loading AWS Network Firewall from AWS JSON (docs/inspection.md §1): `Firewalls`,
// `FirewallPolicies`, `RuleGroups` as `aws network-firewall describe-firewall`,
// `describe-firewall-policy` and `describe-rule-group` print them (a bundle key holding a
// list of those outputs, or one raw output per file), then the checks AWS makes: every ARN
// resolves, types and rule orders agree with their references, priorities are unique,
// defaults are allowed, sids are present and unique, variables are defined. Stateful rules
// are parsed here (ruleset/suricata.hpp). Part of the Loader (loader_state.hpp). Cold path.
#include <set>

#include "ruleset/loader_state.hpp"

namespace vpcfw::load {

namespace {

std::string arn_name(const std::string& arn) {
    auto s = arn.rfind('/');
    return s == std::string::npos ? arn : arn.substr(s + 1);
}

void need_enum(const Node& n, const std::string& v, std::initializer_list<const char*> allowed) {
    for (const char* a : allowed)
        if (v == a) return;
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    n.fail("\"" + v + "\" is not one of " + list);
}

std::vector<Cidr> definitions(const Node& n) {
    std::vector<Cidr> out;
    for (const Node& d : n["Definition"].items()) out.push_back(d.cidr());
    return out;
}

std::vector<PortRange> port_definitions(const Node& n) {
    std::vector<PortRange> out;
    for (const Node& d : n["Definition"].items()) {
        std::string s = d.str();
        auto colon = s.find(':');
        try {
            size_t used = 0;
            int lo = std::stoi(s.substr(0, colon), &used);
            int hi = colon == std::string::npos ? lo : std::stoi(s.substr(colon + 1));
            if (lo < 0 || hi > 65535 || lo > hi) throw std::out_of_range("port");
            out.emplace_back(lo, hi);
        } catch (const std::exception&) {
            d.fail("bad port or port range \"" + s + "\"");
        }
    }
    return out;
}

std::vector<PortRange> port_ranges(const Node& n) {
    std::vector<PortRange> out;
    for (const Node& p : n.objects()) {
        int lo = p["FromPort"].need_integer(0, 65535);
        int hi = p["ToPort"].need_integer(0, 65535);
        if (lo > hi) p.fail("FromPort is above ToPort");
        out.emplace_back(lo, hi);
    }
    return out;
}

uint8_t tcp_flag_bits(const Node& list) {
    static const std::pair<const char*, uint8_t> names[] = {{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04},
                                                            {"PSH", 0x08}, {"ACK", 0x10}, {"URG", 0x20},
                                                            {"ECE", 0x40}, {"CWR", 0x80}};
    uint8_t bits = 0;
    for (const Node& f : list.items()) {
        std::string s = f.str();
        bool ok = false;
        for (auto& [nm, b] : names)
            if (s == nm) bits |= b, ok = true;
        if (!ok) f.fail("unknown TCP flag \"" + s + "\"");
    }
    return bits;
}

bool is_variable_name(const std::string& n) {
    if (n.empty() || n.size() > 32 || !std::isalpha(static_cast<unsigned char>(n[0]))) return false;
    for (char c : n)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

// §4.5: a 5-tuple rule as Suricata text.
std::string five_tuple_text(const Node& r) {
    const Node h = r["Header"];
    h.need_object();
    std::string action = lower(r["Action"].need_str());
    need_enum(r["Action"], r["Action"].str(), {"PASS", "DROP", "ALERT", "REJECT"});
    std::string dir = h["Direction"].need_str();
    auto any = [](const Node& x) {
        std::string v = x.need_str();
        return v == "ANY" ? std::string("any") : v;
    };
    need_enum(h["Direction"], dir, {"FORWARD", "ANY"});
    std::string text = action + " " + lower(h["Protocol"].need_str()) + " " + any(h["Source"]) + " " +
                       any(h["SourcePort"]) + " " + (dir == "ANY" ? "<>" : "->") + " " +
                       any(h["Destination"]) + " " + any(h["DestinationPort"]) + " (";
    for (const Node& o : r["RuleOptions"].objects()) {
        text += o["Keyword"].need_str();
        std::vector<std::string> settings = o["Settings"].strings();
        if (!settings.empty()) {
            text += ":";
            for (size_t i = 0; i < settings.size(); ++i) text += (i ? "," : "") + settings[i];
        }
        text += "; ";
    }
    return text + ")";
}

} // namespace

// Same ARN twice: equal objects merge, different ones are an error (§10.11).
static bool seen_before(std::map<std::string, std::pair<std::string, Ref>>& seen, const std::string& arn,
                        const Node& obj) {
    std::string text = obj.raw().dump();
    auto it = seen.find(arn);
    if (it == seen.end()) {
        seen.emplace(arn, std::make_pair(text, Ref{arn, obj.file(), obj.where()}));
        return false;
    }
    if (it->second.first != text)
        obj.fail(arn + " appears twice with different content (first at " + it->second.second.file + ": " +
                 it->second.second.where + ")");
    return true;
}

void Loader::firewall(const Node& n) {
    const Node f = n["Firewall"];
    if (!f.present()) {
        warn(n.file(), n.where(), "a firewall without `Firewall` (a list-firewalls summary?): skipped");
        return;
    }
    f.need_object();
    NfwFirewall fw;
    fw.arn = f["FirewallArn"].need_str();
    if (seen_before(nfw_seen_, fw.arn, f)) return;
    fw.name = f["FirewallName"].need_str();
    fw.policy_arn = f["FirewallPolicyArn"].need_str();
    fw.vpc_id = f["VpcId"].need_str();
    for (const Node& m : f["SubnetMappings"].objects()) fw.subnet_ids.push_back(m["SubnetId"].need_str());
    fw.transit_gateway = f["TransitGatewayId"].present() || n["FirewallStatus"]["TransitGatewayAttachmentSyncState"].present();
    const Node sync = n["FirewallStatus"]["SyncStates"];
    for (const std::string& az : sync.keys()) {
        const Node att = sync[az]["Attachment"];
        if (!att.present()) continue;
        NfwEndpoint e;
        e.az = az;
        e.subnet_id = att["SubnetId"].need_str();
        e.endpoint_id = att["EndpointId"].str();
        if (!e.endpoint_id.empty() && !starts_with(e.endpoint_id, "vpce-"))
            att["EndpointId"].fail("an endpoint id starts with vpce-, found \"" + e.endpoint_id + "\"");
        if (att["Status"].present()) e.status = att["Status"].str();
        if (std::find(fw.subnet_ids.begin(), fw.subnet_ids.end(), e.subnet_id) == fw.subnet_ids.end())
            att["SubnetId"].fail(e.subnet_id + " is not among the firewall's SubnetMappings");
        if (!e.endpoint_id.empty()) fw.endpoints.push_back(e);
    }
    fw_policy_ref_.push_back(Ref{fw.policy_arn, f.file(), f["FirewallPolicyArn"].where()});
    fw_vpc_ref_.push_back(Ref{fw.vpc_id, f.file(), f["VpcId"].where()});
    firewalls_.push_back(std::move(fw));
}

void Loader::firewall_policy(const Node& n) {
    const Node p = n["FirewallPolicy"];
    const Node resp = n["FirewallPolicyResponse"];
    if (!p.present()) {
        warn(n.file(), n.where(), "a firewall policy without `FirewallPolicy` (a list summary?): skipped");
        return;
    }
    p.need_object();
    resp.need_object();
    NfwPolicy pol;
    pol.arn = resp["FirewallPolicyArn"].need_str();
    pol.name = resp["FirewallPolicyName"].need_str();
    pol.stateless_default = p["StatelessDefaultActions"].strings();
    pol.stateless_fragment_default = p["StatelessFragmentDefaultActions"].strings();
    if (!p["StatelessDefaultActions"].present()) p["StatelessDefaultActions"].fail("missing required value");
    if (!p["StatelessFragmentDefaultActions"].present()) p["StatelessFragmentDefaultActions"].fail("missing required value");
    for (const Node& c : p["StatelessCustomActions"].objects()) pol.stateless_custom_actions.push_back(c["ActionName"].need_str());
    auto check_actions = [&](const Node& list, const std::vector<std::string>& acts) {
        int standard = 0;
        for (size_t i = 0; i < acts.size(); ++i) {
            const std::string& a = acts[i];
            if (a == "aws:pass" || a == "aws:drop" || a == "aws:forward_to_sfe") ++standard;
            else if (std::find(pol.stateless_custom_actions.begin(), pol.stateless_custom_actions.end(), a) ==
                     pol.stateless_custom_actions.end())
                list.items()[i].fail("undefined custom action \"" + a + "\"");
        }
        if (standard != 1) list.fail("needs exactly one of aws:pass, aws:drop, aws:forward_to_sfe");
    };
    check_actions(p["StatelessDefaultActions"], pol.stateless_default);
    check_actions(p["StatelessFragmentDefaultActions"], pol.stateless_fragment_default);
    std::set<int> prios;
    for (const Node& r : p["StatelessRuleGroupReferences"].objects()) {
        NfwGroupRef g;
        g.arn = r["ResourceArn"].need_str();
        g.priority = r["Priority"].need_integer(1, 65535);
        g.file = r.file();
        g.where = r.where();
        if (!prios.insert(g.priority).second) r["Priority"].fail("duplicate priority " + std::to_string(g.priority));
        pol.stateless_refs.push_back(g);
    }
    std::stable_sort(pol.stateless_refs.begin(), pol.stateless_refs.end(),
                     [](const NfwGroupRef& a, const NfwGroupRef& b) { return a.priority < b.priority; });
    const Node eng = p["StatefulEngineOptions"];
    if (eng["RuleOrder"].present()) {
        pol.rule_order = eng["RuleOrder"].str();
        need_enum(eng["RuleOrder"], pol.rule_order, {"DEFAULT_ACTION_ORDER", "STRICT_ORDER"});
    }
    if (eng["StreamExceptionPolicy"].present()) {
        pol.stream_exception = eng["StreamExceptionPolicy"].str();
        need_enum(eng["StreamExceptionPolicy"], pol.stream_exception, {"DROP", "CONTINUE", "REJECT"});
    }
    pol.tcp_idle_s = eng["FlowTimeouts"]["TcpIdleTimeoutSeconds"].integer(60, 6000, 350);
    prios.clear();
    for (const Node& r : p["StatefulRuleGroupReferences"].objects()) {
        NfwGroupRef g;
        g.arn = r["ResourceArn"].need_str();
        g.file = r.file();
        g.where = r.where();
        if (r["Priority"].present()) {
            if (pol.rule_order != "STRICT_ORDER") r["Priority"].fail("a priority needs StatefulEngineOptions.RuleOrder STRICT_ORDER");
            g.priority = r["Priority"].need_integer(1, 65535);
            if (!prios.insert(g.priority).second) r["Priority"].fail("duplicate priority " + std::to_string(g.priority));
        } else if (pol.rule_order == "STRICT_ORDER") {
            r["Priority"].fail("missing required value (STRICT_ORDER)");
        }
        if (r["Override"]["Action"].present()) {
            need_enum(r["Override"]["Action"], r["Override"]["Action"].str(), {"DROP_TO_ALERT"});
            g.drop_to_alert = true;
        }
        pol.stateful_refs.push_back(g);
    }
    if (pol.rule_order == "STRICT_ORDER")
        std::stable_sort(pol.stateful_refs.begin(), pol.stateful_refs.end(),
                         [](const NfwGroupRef& a, const NfwGroupRef& b) { return a.priority < b.priority; });
    pol.stateful_default = p["StatefulDefaultActions"].strings();
    if (!pol.stateful_default.empty() && pol.rule_order != "STRICT_ORDER")
        p["StatefulDefaultActions"].fail("stateful default actions need RuleOrder STRICT_ORDER");
    int drops = 0;
    for (size_t i = 0; i < pol.stateful_default.size(); ++i) {
        const std::string& a = pol.stateful_default[i];
        need_enum(p["StatefulDefaultActions"].items()[i], a,
                  {"aws:drop_strict", "aws:drop_established", "aws:alert_strict", "aws:alert_established"});
        if (a.rfind("aws:drop", 0) == 0) ++drops;
    }
    if (drops > 1) p["StatefulDefaultActions"].fail("at most one drop action");
    const Node hn = p["PolicyVariables"]["RuleVariables"]["HOME_NET"];
    if (hn.present()) {
        pol.home_net = definitions(hn);
        pol.has_home_net = true;
    }
    if (p["TLSInspectionConfigurationArn"].present())
        warn(n.file(), p["TLSInspectionConfigurationArn"].where(), "TLS inspection is not modelled (LATER): decrypted traffic is not inspected");
    if (seen_before(nfw_seen_, pol.arn, p)) return;
    policies_.push_back(std::move(pol));
}

void Loader::rule_group(const Node& n) {
    const Node g = n["RuleGroup"];
    const Node resp = n["RuleGroupResponse"];
    if (!g.present()) {
        warn(n.file(), n.where(), "a rule group without `RuleGroup` (a list summary?): skipped");
        return;
    }
    g.need_object();
    resp.need_object();
    NfwRuleGroup rg;
    rg.arn = resp["RuleGroupArn"].need_str();
    rg.name = resp["RuleGroupName"].need_str();
    rg.type = resp["Type"].need_str();
    need_enum(resp["Type"], rg.type, {"STATELESS", "STATEFUL"});
    rg.file = g.file();
    rg.where = g.where();
    if (g["StatefulRuleOptions"]["RuleOrder"].present()) {
        rg.rule_order = g["StatefulRuleOptions"]["RuleOrder"].str();
        need_enum(g["StatefulRuleOptions"]["RuleOrder"], rg.rule_order, {"DEFAULT_ACTION_ORDER", "STRICT_ORDER"});
    }
    const Node vars = g["RuleVariables"];
    for (const std::string& k : vars["IPSets"].keys()) {
        if (!is_variable_name(k)) vars["IPSets"][k].fail("bad variable name \"" + k + "\"");
        rg.ip_sets[k] = definitions(vars["IPSets"][k]);
    }
    for (const std::string& k : vars["PortSets"].keys()) {
        if (!is_variable_name(k)) vars["PortSets"][k].fail("bad variable name \"" + k + "\"");
        rg.port_sets[k] = port_definitions(vars["PortSets"][k]);
    }
    const Node refs = g["ReferenceSets"]["IPSetReferences"];
    for (const std::string& k : refs.keys()) rg.reference_sets[k] = refs[k]["ReferenceArn"].need_str();

    const Node src = g["RulesSource"];
    src.need_object();
    const char* kinds[] = {"StatelessRulesAndCustomActions", "RulesSourceList", "RulesString", "StatefulRules"};
    int count = 0;
    for (const char* k : kinds)
        if (src[k].present()) rg.source_kind = k, ++count;
    if (count != 1) src.fail("RulesSource must hold exactly one of StatelessRulesAndCustomActions, RulesSourceList, RulesString, StatefulRules");
    bool stateless = rg.source_kind == std::string("StatelessRulesAndCustomActions");
    if (stateless != (rg.type == "STATELESS"))
        resp["Type"].fail("type " + rg.type + " does not fit RulesSource." + rg.source_kind);

    if (stateless) {
        const Node sr = src["StatelessRulesAndCustomActions"];
        for (const Node& c : sr["CustomActions"].objects()) rg.custom_actions.push_back(c["ActionName"].need_str());
        std::set<int> prios;
        for (const Node& r : sr["StatelessRules"].objects()) {
            NfwStatelessRule x;
            x.priority = r["Priority"].need_integer(1, 65535);
            if (!prios.insert(x.priority).second) r["Priority"].fail("duplicate priority " + std::to_string(x.priority));
            const Node def = r["RuleDefinition"];
            def.need_object();
            const Node m = def["MatchAttributes"];
            for (const Node& a : m["Sources"].objects()) x.sources.push_back(a["AddressDefinition"].cidr());
            for (const Node& a : m["Destinations"].objects()) x.destinations.push_back(a["AddressDefinition"].cidr());
            x.source_ports = port_ranges(m["SourcePorts"]);
            x.destination_ports = port_ranges(m["DestinationPorts"]);
            for (const Node& p : m["Protocols"].items()) x.protocols.push_back(p.need_integer(0, 255));
            for (const Node& t : m["TCPFlags"].objects()) {
                uint8_t flags = tcp_flag_bits(t["Flags"]);
                uint8_t masks = t["Masks"].present() && !t["Masks"].items().empty() ? tcp_flag_bits(t["Masks"]) : 0xff;
                x.tcp_flags.emplace_back(flags, masks);
            }
            int standard = 0;
            std::vector<Node> acts = def["Actions"].items();
            for (const Node& a : acts) {
                std::string s = a.str();
                if (s == "aws:pass" || s == "aws:drop" || s == "aws:forward_to_sfe") {
                    x.action = s;
                    ++standard;
                } else if (std::find(rg.custom_actions.begin(), rg.custom_actions.end(), s) == rg.custom_actions.end()) {
                    a.fail("undefined custom action \"" + s + "\"");
                } else {
                    x.custom_actions.push_back(s);
                }
            }
            if (standard != 1) def["Actions"].fail("needs exactly one of aws:pass, aws:drop, aws:forward_to_sfe");
            rg.stateless.push_back(std::move(x));
        }
        std::stable_sort(rg.stateless.begin(), rg.stateless.end(),
                         [](const NfwStatelessRule& a, const NfwStatelessRule& b) { return a.priority < b.priority; });
    } else {
        std::vector<std::pair<std::string, std::string>> lines;   // (text, where)
        if (src["RulesSourceList"].present()) {
            const Node l = src["RulesSourceList"];
            for (const Node& t : l["Targets"].items()) {
                std::string d = lower(t.need_str());
                while (!d.empty() && d.back() == '.') d.pop_back();
                if (d.empty() || d.find_first_of(" \t\"';|\\") != std::string::npos) t.fail("bad domain \"" + t.str() + "\"");
                rg.domain_list.targets.push_back(d);
            }
            for (const Node& t : l["TargetTypes"].items()) {
                need_enum(t, t.str(), {"TLS_SNI", "HTTP_HOST"});
                rg.domain_list.target_types.push_back(t.str());
            }
            rg.domain_list.generated_rules_type = l["GeneratedRulesType"].need_str();
            need_enum(l["GeneratedRulesType"], rg.domain_list.generated_rules_type,
                      {"ALLOWLIST", "DENYLIST", "REJECTLIST", "ALERTLIST"});
            rg.rules = domain_list_rules(rg.domain_list.targets, rg.domain_list.target_types,
                                         rg.domain_list.generated_rules_type);
        } else if (src["RulesString"].present()) {
            std::string text = src["RulesString"].str();
            size_t start = 0;
            int line = 0;
            while (start <= text.size()) {
                size_t nl = text.find('\n', start);
                std::string l = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
                ++line;
                size_t a = l.find_first_not_of(" \t\r");
                if (a != std::string::npos && l[a] != '#') lines.emplace_back(l, "line " + std::to_string(line));
                if (nl == std::string::npos) break;
                start = nl + 1;
            }
            const Node rs = src["RulesString"];
            std::set<uint32_t> sids;
            int idx = 0;
            for (auto& [t, at] : lines) {
                SuricataRule r;
                if (auto err = parse_suricata_rule(t, std::stoi(at.substr(5)), r)) rs.fail(at + ": " + *err);
                if (!sids.insert(r.sid).second) rs.fail(at + ", sid " + std::to_string(r.sid) + ": duplicate sid");
                rg.rules.push_back(std::move(r));
                ++idx;
            }
        } else {
            std::set<uint32_t> sids;
            int idx = 0;
            for (const Node& r : src["StatefulRules"].objects()) {
                SuricataRule x;
                if (auto err = parse_suricata_rule(five_tuple_text(r), ++idx, x)) r.fail(*err);
                if (!sids.insert(x.sid).second) r.fail("sid " + std::to_string(x.sid) + ": duplicate sid");
                if (x.proto != "ip" && x.proto != "tcp" && x.proto != "udp" && x.proto != "icmp" && x.proto != "http" &&
                    x.proto != "tls" && x.proto != "dns" && x.unsupported_keyword.empty())
                    x.unsupported_keyword = "protocol " + x.proto;
                rg.rules.push_back(std::move(x));
            }
        }
        for (const SuricataRule& r : rg.rules)
            if (r.priority >= 0 && rg.rule_order == "STRICT_ORDER")
                src.fail("sid " + std::to_string(r.sid) + ", keyword priority: not allowed under STRICT_ORDER");
    }
    if (seen_before(nfw_seen_, rg.arn, g)) return;
    rule_groups_.push_back(std::move(rg));
}

// ---------------------------------------------------------------------------------------

namespace {

bool var_defined(const NfwRuleGroup& g, const SuriAddr& a) {
    if (a.kind == SuriAddr::Var)
        return a.name == "HOME_NET" || a.name == "EXTERNAL_NET" || g.ip_sets.count(a.name);
    if (a.kind == SuriAddr::Ref) return g.reference_sets.count(a.name) > 0;
    return true;
}

} // namespace

void Loader::finish_firewalls(Network& net) {
    // Rule groups: variables defined; unsupported keywords refused unless inert.
    for (NfwRuleGroup& g : rule_groups_) {
        for (SuricataRule& r : g.rules) {
            std::string at = g.file + ": " + g.where + "/RulesSource: ";
            for (const auto* list : {&r.src, &r.dst})
                for (const SuriAddr& a : *list)
                    if (!var_defined(g, a))
                        fail(g.file, g.where + "/RulesSource",
                             "line " + std::to_string(r.line) + ", sid " + std::to_string(r.sid) + ": undefined " +
                                 (a.kind == SuriAddr::Ref ? "@" : "$") + a.name);
            for (const auto* list : {&r.sport, &r.dport})
                for (const SuriPort& p : *list)
                    if (p.kind == SuriPort::Var && !g.port_sets.count(p.name))
                        fail(g.file, g.where + "/RulesSource",
                             "line " + std::to_string(r.line) + ", sid " + std::to_string(r.sid) + ": undefined $" + p.name);
            if (!r.unsupported_keyword.empty()) {
                std::string msg = "nfw-unsupported-keyword: rule group " + g.name + ", line " + std::to_string(r.line) +
                                  ", sid " + std::to_string(r.sid) + ", keyword " + r.unsupported_keyword +
                                  ": accepted by AWS, not implemented by vpcfw";
                if (!inert_rules) fail(g.file, g.where + "/RulesSource", msg + " (`vpcfw check` lists every such rule)");
                r.inert = true;
                warn(g.file, g.where + "/RulesSource", msg + "; loaded as never matching");
            }
        }
        for (const auto& [name, arn] : g.reference_sets) {
            std::string id = arn_name(arn);
            if (!net.prefix_list(id) && !net.prefix_list(arn))
                fail(g.file, g.where + "/ReferenceSets/IPSetReferences/" + pointer_token(name),
                     "names prefix list " + arn + ", which is not in the export");
        }
    }
    // Policies: every group reference resolves and fits (type, rule order); C12.
    for (NfwPolicy& p : policies_) {
        auto check = [&](const NfwGroupRef& ref, const char* type) {
            const NfwRuleGroup* g = nullptr;
            for (const auto& x : rule_groups_)
                if (x.arn == ref.arn) g = &x;
            if (!g) {
                bool managed = ref.arn.find(":aws-managed:") != std::string::npos;
                if (managed || missing_groups_empty) {
                    NfwRuleGroup m;
                    m.arn = ref.arn;
                    m.name = arn_name(ref.arn);
                    m.type = type;
                    m.rule_order = p.rule_order;
                    m.managed_unexported = managed;
                    m.missing = !managed;
                    m.file = ref.file;
                    m.where = ref.where;
                    rule_groups_.push_back(m);
                    if (managed)
                        warn(ref.file, ref.where, "AWS-managed rule group " + ref.arn +
                                                      " is not in the export: evaluated as empty (C12 nfw_managed_groups)");
                    return;
                }
                fail(ref.file, ref.where + "/ResourceArn", "names rule group " + ref.arn + ", which is not in the export");
            }
            if (g->type != type)
                fail(ref.file, ref.where + "/ResourceArn", "rule group " + g->name + " is " + g->type + ", referenced as " + type);
            if (std::string(type) == "STATEFUL" && g->rule_order != p.rule_order)
                fail(ref.file, ref.where + "/ResourceArn",
                     "rule group " + g->name + " has rule order " + g->rule_order + ", the policy " + p.rule_order);
        };
        for (const auto& r : p.stateless_refs) check(r, "STATELESS");
        for (const auto& r : p.stateful_refs) check(r, "STATEFUL");
    }
    // Firewalls: policy, VPC, subnets resolve; endpoints in their subnets.
    for (size_t i = 0; i < firewalls_.size(); ++i) {
        NfwFirewall& f = firewalls_[i];
        bool found = false;
        for (const auto& p : policies_) found = found || p.arn == f.policy_arn;
        if (!found)
            fail(fw_policy_ref_[i].file, fw_policy_ref_[i].where, "names firewall policy " + f.policy_arn + ", which is not in the export");
        const Vpc* v = net.vpc(f.vpc_id);
        if (!v) fail(fw_vpc_ref_[i].file, fw_vpc_ref_[i].where, "names VPC " + f.vpc_id + ", which is not in the export");
        for (const auto& s : f.subnet_ids) {
            const Subnet* sn = net.subnet(s);
            if (!sn) fail(fw_vpc_ref_[i].file, fw_vpc_ref_[i].where, f.name + " maps subnet " + s + ", which is not in the export");
            if (net.vpcs[sn->vpc].id != f.vpc_id)
                fail(fw_vpc_ref_[i].file, fw_vpc_ref_[i].where, f.name + " maps subnet " + s + " of another VPC");
        }
        for (const auto& e : f.endpoints) {
            for (size_t j = 0; j < firewalls_.size(); ++j)
                for (const auto& o : firewalls_[j].endpoints)
                    if (o.endpoint_id == e.endpoint_id && (j != i || &o != &e))
                        fail(fw_vpc_ref_[i].file, fw_vpc_ref_[i].where, "endpoint " + e.endpoint_id + " appears twice");
        }
    }
    net.firewalls = std::move(firewalls_);
    net.firewall_policies = std::move(policies_);
    net.rule_groups = std::move(rule_groups_);
}

} // namespace vpcfw::load
