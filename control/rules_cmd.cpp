// `vpcfw rules` (control/commands.hpp): an ENI's or a subnet's effective rules in the order
// AWS evaluates them — the union of the ENI's security groups per direction, its subnet's
// NACL entries in rule-number order per direction (ending with `*`), the subnet's route
// table longest prefix first — each with its hit count from a replay summary (`--hits
// SUMMARY.json`, its `rule_hits`), and the rules that never matched. Rule names are those
// of decisions and rule_hits (pcap/rule_hits.hpp). Cold path.
#include <algorithm>
#include <boost/program_options.hpp>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>

#include "control/cli_options.hpp"
#include "control/commands.hpp"
#include "ruleset/bounded_input.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/name_lookup.hpp"
#include "ruleset/output_text.hpp"

namespace po = boost::program_options;

namespace vpcfw {

namespace {

struct Row {
    std::string section;   // "sg-ingress", "sg-egress", "nacl-ingress", "nacl-egress", "route"
    std::string rule;      // the hit key
    std::string text;      // what it says
    uint64_t hits = 0;
};

std::string proto_text(int p) {
    switch (p) {
    case kProtoAll: return "all";
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: return std::to_string(p);
    }
}

std::string nacl_text(const NaclEntry& e) {
    std::string s = std::string(e.allow ? "allow " : "deny ") + proto_text(e.proto);
    if ((e.proto == 6 || e.proto == 17) && e.port_from >= 0)
        s += e.port_from == e.port_to ? "/" + std::to_string(e.port_from)
                                      : "/" + std::to_string(e.port_from) + "-" + std::to_string(e.port_to);
    if ((e.proto == 1 || e.proto == 58) && e.icmp_type >= 0) s += " type " + std::to_string(e.icmp_type);
    return s + (e.egress ? " to " : " from ") + e.cidr.str();
}

void add_sg_rows(const Network& net, const Eni& e, std::vector<Row>& rows) {
    for (bool egress : {false, true}) {
        std::string section = egress ? "sg-egress" : "sg-ingress";
        std::string groups;
        for (const auto& gid : e.groups) {
            groups += (groups.empty() ? "" : ",") + gid;
            const SecurityGroup* g = net.security_group(gid);
            if (!g) continue;
            for (const auto& r : egress ? g->egress : g->ingress) {
                std::string name = g->id + (egress ? ":egress:" : ":ingress:") + r.proto_ports_str() + ":" + r.peer_str();
                rows.push_back({section, name, "allow " + r.proto_ports_str() + (egress ? " to " : " from ") + r.peer_str(), 0});
            }
        }
        if (!groups.empty())
            rows.push_back({section, groups + (egress ? ":egress:*" : ":ingress:*"), "deny (no rule matched)", 0});
    }
}

void add_subnet_rows(const Network& net, Idx subnet, std::vector<Row>& rows, nlohmann::json& info) {
    Idx acl = net.nacl_of_subnet(subnet);
    if (acl != kNone) {
        const NetworkAcl& a = net.network_acls[acl];
        info["nacl"] = a.id;
        for (bool egress : {false, true}) {
            std::string section = egress ? "nacl-egress" : "nacl-ingress";
            std::vector<const NaclEntry*> es;
            for (const auto& en : a.entries)
                if (en.egress == egress) es.push_back(&en);
            std::stable_sort(es.begin(), es.end(), [](auto* x, auto* y) { return x->rule_number < y->rule_number; });
            bool star = false;
            for (const auto* en : es) {
                std::string num = en->is_default_deny() ? "*" : std::to_string(en->rule_number);
                std::string name = a.id + (egress ? ":egress:" : ":ingress:") + num;
                if (en->is_default_deny() && star) continue;  // 32767 and 32768 share the name `*`
                star = star || en->is_default_deny();
                rows.push_back({section, name, num + " " + nacl_text(*en), 0});
            }
            if (!star) rows.push_back({section, a.id + (egress ? ":egress:*" : ":ingress:*"), "* deny all", 0});
        }
    }
    Idx rt = net.route_table_of_subnet(subnet);
    if (rt != kNone) {
        const RouteTable& t = net.route_tables[rt];
        info["route_table"] = t.id;
        std::vector<const Route*> rs;
        for (const auto& r : t.routes) rs.push_back(&r);
        // Longest prefix first (prefix-list routes after the CIDRs of their family size).
        std::stable_sort(rs.begin(), rs.end(), [](const Route* x, const Route* y) {
            int lx = x->dest ? static_cast<int>(x->dest->len) : -1, ly = y->dest ? static_cast<int>(y->dest->len) : -1;
            return lx > ly;
        });
        for (const auto* r : rs)
            rows.push_back({"route", t.id + ":" + r->dest_str(),
                            r->dest_str() + " -> " + (r->target.empty() ? std::string("?") : r->target) +
                                (r->state == "active" ? "" : " (" + r->state + ")"),
                            0});
        rows.push_back({"route", t.id + ":none", "no route matches", 0});
    }
}

} // namespace

int cmd_rules(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw rules --network NET (--eni X | --subnet X) [--hits SUMMARY.json] [--json]\n\n"
        "Lists an ENI's or a subnet's effective rules in the order AWS evaluates them: the union\n"
        "of the ENI's security groups per direction, the subnet's network ACL entries in\n"
        "rule-number order per direction, the subnet's route table longest prefix first. With\n"
        "--hits (a `replay --summary-json` or `replay --json` output), each rule's packet count\n"
        "and the rules that never matched. X is an id or a Name tag (an ENI also by its\n"
        "instance's id or Name tag, or a private IP).\n\noptions");
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>(), "the network: a bundle file or a directory")
        ("eni", po::value<std::string>(), "the ENI: id, Name tag, instance id or Name tag, or private IP")
        ("subnet", po::value<std::string>(), "the subnet: id or Name tag")
        ("hits", po::value<std::string>(), "a replay summary JSON whose rule_hits give the counts")
        ("json", "one JSON object instead of the table")
        ("quiet,q", "no warnings about files without network data (e.g. AvailabilityZones.json)");
    Parsed p;
    if (!parse(args, desc, nullptr, p, err, "rules")) return kExitUsage;
    if (p.help) {
        out << desc << "\n";
        return kExitOk;
    }
    if (!p.vm.count("network") || (p.vm.count("eni") > 0) == (p.vm.count("subnet") > 0)) {
        err << "vpcfw rules: --network NET and one of --eni X or --subnet X are required (see `vpcfw rules --help`)\n";
        return kExitUsage;
    }
    std::map<std::string, uint64_t> hits;
    bool haveHits = p.vm.count("hits") > 0;
    if (haveHits) {
        std::string path = p.vm["hits"].as<std::string>();
        auto text = read_input_file(path);
        if (!text) {
            err << "vpcfw rules: " << printable_text(text.error().str()) << "\n";
            return kExitUsage;
        }
        try {
            nlohmann::json j = parse_json_bounded(*text);
            if (!j.is_object() || !j.contains("rule_hits") || !j["rule_hits"].is_object())
                throw std::runtime_error("not a replay summary: no \"rule_hits\" object (write one with replay --summary-json)");
            for (const auto& [k, v] : j["rule_hits"].items()) {
                if (!v.is_number_unsigned()) throw std::runtime_error("rule_hits/" + k + ": not a count");
                hits[k] = v.get<uint64_t>();
            }
        } catch (const std::exception& e) {
            err << "vpcfw rules: " << printable_text(path + ": " + e.what()) << "\n";
            return kExitUsage;
        }
    }
    auto net = load_network(p.vm["network"].as<std::string>());
    if (!net) {
        err << "vpcfw rules: " << printable_text(net.error().str()) << "\n";
        return kExitUsage;
    }
    print_load_warnings(*net, p.vm.count("quiet") > 0, err);

    std::vector<Row> rows;
    nlohmann::json info = nlohmann::json::object();
    Idx subnet = kNone;
    if (p.vm.count("eni")) {
        auto e = find_eni(*net, p.vm["eni"].as<std::string>());
        if (!e) {
            err << "vpcfw rules: --eni: " << printable_text(e.error().message) << "\n";
            return kExitUsage;
        }
        const Eni& eni = net->enis[*e];
        info["eni"] = eni.id;
        info["groups"] = eni.groups;
        add_sg_rows(*net, eni, rows);
        subnet = eni.subnet;
    } else {
        auto s = find_subnet(*net, p.vm["subnet"].as<std::string>());
        if (!s) {
            err << "vpcfw rules: --subnet: " << printable_text(s.error().message) << "\n";
            return kExitUsage;
        }
        subnet = *s;
    }
    if (subnet != kNone) {
        info["subnet"] = net->subnets[subnet].id;
        add_subnet_rows(*net, subnet, rows, info);
    }
    for (auto& r : rows)
        if (auto it = hits.find(r.rule); it != hits.end()) r.hits = it->second;

    std::map<std::string, std::string> names;
    for (const auto& r : rows) {
        Decision d;   // names_in reads the ids of a decision; here the rule's
        d.rule = r.rule;
        for (const auto& [id, n] : names_in(*net, d)) names.emplace(id, n);
    }
    for (const char* k : {"eni", "subnet", "nacl", "route_table"})
        if (info.contains(k))
            if (std::string n = name_of(*net, info[k].get<std::string>()); !n.empty()) names.emplace(info[k].get<std::string>(), n);

    if (p.vm.count("json")) {
        nlohmann::json j = info;
        j["rules"] = nlohmann::json::array();
        j["never_matched"] = nlohmann::json::array();
        for (const auto& r : rows) {
            nlohmann::json o = {{"section", r.section}, {"rule", r.rule}, {"text", r.text}};
            if (haveHits) o["hits"] = r.hits;
            j["rules"].push_back(o);
            if (haveHits && !r.hits) j["never_matched"].push_back(r.rule);
        }
        if (!haveHits) j.erase("never_matched");
        j["names"] = names;
        out << json_text(j) << "\n";
        return kExitOk;
    }
    auto label = [&](const std::string& id) {
        auto it = names.find(id);
        return it == names.end() ? id : id + " (" + it->second + ")";
    };
    if (info.contains("eni")) {
        std::string gs;
        for (const auto& g : info["groups"]) gs += (gs.empty() ? "" : ", ") + label(g.get<std::string>());
        out << "ENI " << label(info["eni"].get<std::string>()) << ", security groups " << (gs.empty() ? "(none)" : gs) << "\n";
    }
    if (info.contains("subnet")) out << "subnet " << label(info["subnet"].get<std::string>()) << "\n";
    const char* titles[][2] = {{"sg-egress", "security groups, outbound (the union: any rule admits)"},
                               {"nacl-egress", "network ACL %, outbound (first match by rule number)"},
                               {"route", "route table %, longest prefix first"},
                               {"nacl-ingress", "network ACL %, inbound (first match by rule number)"},
                               {"sg-ingress", "security groups, inbound (the union: any rule admits)"}};
    for (const auto& t : titles) {
        bool any = false;
        for (const auto& r : rows) {
            if (r.section != t[0]) continue;
            if (!any) {
                std::string title = t[1];
                if (auto pct = title.find('%'); pct != std::string::npos)
                    title.replace(pct, 1, label(info[std::string(t[0]) == "route" ? "route_table" : "nacl"].get<std::string>()));
                out << "\n" << title << ":\n";
                if (haveHits) out << "  " << std::setw(10) << "packets" << "  rule\n";
                any = true;
            }
            out << "  ";
            if (haveHits) out << std::setw(10) << r.hits << "  ";
            out << printable_text(r.rule + "   " + r.text) << "\n";
        }
    }
    if (haveHits) {
        std::vector<std::string> never;
        for (const auto& r : rows)
            if (!r.hits) never.push_back(r.rule);
        out << "\nnever matched (" << never.size() << "):\n";
        for (const auto& r : never) out << "  " << printable_text(r) << "\n";
    }
    return kExitOk;
}

} // namespace vpcfw
