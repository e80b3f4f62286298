// `vpcfw explain` (control/commands.hpp): packets through the reference evaluator one after
// the other (with state), printed hop by hop or as decision JSON lines. Text is printed
// with control characters escaped, JSON with invalid UTF-8 replaced (ruleset/output_text.hpp).
#include "control/commands.hpp"

#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "control/cli_options.hpp"
#include "ruleset/loader.hpp"
#include "ruleset/name_lookup.hpp"
#include "ruleset/output_text.hpp"
#include "ruleset/packet.hpp"
#include "ruleset/reference.hpp"

namespace po = boost::program_options;

namespace vpcfw {

int cmd_explain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description desc(
        "vpcfw explain --network NET [--from ORIGIN] [--at SECONDS] [--json] PACKET...\n\n"
        "Evaluates each PACKET in order with the reference evaluator (state carries from one\n"
        "packet to the next, so a request then its reply shows connection tracking) and\n"
        "prints one line per hop and layer: the rule that matched and, where a layer stopped\n"
        "the packet, why the other rules did not match.\n\noptions");
    std::vector<std::string> packets;
    add_quiet_option(desc);
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>()->required(), "the network: a bundle file or a directory")
        ("from,f", po::value<std::string>()->default_value("auto"), "origin of every packet: auto, internet, a tgw-attach-/vgw-/pcx- id, or an ENI (its id, Name tag, instance id or Name tag, or private IP)")
        ("at", po::value<double>()->default_value(0.0), "time of the first packet (seconds); each next packet is 1 s later")
        ("json", "one JSON decision per line (docs/interface.md \"Decisions\"), with its trace and the Name tags of its ids")
        ("packet", po::value<std::vector<std::string>>(&packets), "packets in the packet language");
    Parsed p;
    bool wantsHelp = std::find(args.begin(), args.end(), "--help") != args.end() ||
                     std::find(args.begin(), args.end(), "-h") != args.end();
    if (wantsHelp) {
        out << desc << "\n";
        return kExitOk;
    }
    if (!parse(args, desc, "packet", p, err, "explain")) return kExitUsage;
    if (packets.empty()) {
        err << "vpcfw explain: give at least one PACKET, e.g. 'tcp 10.0.1.10:40000 -> 10.0.2.20:443'\n";
        return kExitUsage;
    }
    std::vector<Packet> parsed;
    for (const auto& text : packets) {
        auto pk = parse_packet(text);
        if (!pk) {
            err << "vpcfw explain: " << printable_text(pk.error().message) << "\n";
            return kExitUsage;
        }
        parsed.push_back(*pk);
    }
    auto net = load_network(p.vm["network"].as<std::string>());
    if (!net) {
        err << "vpcfw explain: " << printable_text(net.error().str()) << "\n";
        return kExitUsage;
    }
    print_load_warnings(*net, p.vm.count("quiet") > 0, err);
    // An unknown or ambiguous origin is a usage error (exit 2), never a DROP.
    auto fromId = origin_id(*net, p.vm["from"].as<std::string>());
    if (!fromId) {
        err << "vpcfw explain: --from: " << printable_text(fromId.error().message) << "\n";
        return kExitUsage;
    }
    std::string from = *fromId;
    ReferenceEvaluator ref(std::move(*net));
    double t = p.vm["at"].as<double>();
    if (!std::isfinite(t)) {
        err << "vpcfw explain: --at must be a finite number of seconds, not " << t << "\n";
        return kExitUsage;
    }
    bool json = p.vm.count("json") > 0;
    for (size_t i = 0; i < parsed.size(); ++i) {
        Decision d = ref.evaluate(parsed[i], from, t + static_cast<double>(i));
        if (json) {
            nlohmann::json j = decision_json(d);
            nlohmann::json trace = nlohmann::json::array();
            for (const auto& s : d.trace)
                trace.push_back({{"hop", s.hop}, {"layer", s.layer}, {"verdict", s.verdict}, {"rule", s.rule}, {"detail", s.detail}});
            j["trace"] = trace;
            if (auto n = names_in(ref.network(), d); !n.empty()) j["names"] = n;
            out << json_text(j) << "\n";
        } else {
            if (i) out << "\n";
            out << printable_text(decision_text(d));
            if (auto n = names_in(ref.network(), d); !n.empty()) {
                std::string line = "  names:";
                for (const auto& [id, name] : n) line += " " + id + "=" + name;
                out << printable_text(line) << "\n";
            }
        }
    }
    return kExitOk;
}

} // namespace vpcfw
