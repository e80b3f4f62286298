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
    desc.add_options()
        ("help,h", "this help")
        ("network,n", po::value<std::string>()->required(), "the network: a bundle file or a directory")
        ("from,f", po::value<std::string>()->default_value("auto"), "origin of every packet: ENI id, internet, tgw-attach-/vgw-/pcx- id, or auto")
        ("at", po::value<double>()->default_value(0.0), "time of the first packet (seconds); each next packet is 1 s later")
        ("json", "one JSON decision per line (INTERFACE.md \"Decisions\")")
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
    for (const auto& w : net->warnings) err << printable_text("warning: " + w.file + (w.where.empty() ? "" : ":" + w.where) + ": " + w.message) << "\n";
    ReferenceEvaluator ref(std::move(*net));
    std::string from = p.vm["from"].as<std::string>();
    if (from != "auto" && from != "internet" && from.rfind("eni-", 0) != 0 && from.rfind("tgw-attach-", 0) != 0 &&
        from.rfind("vgw-", 0) != 0 && from.rfind("pcx-", 0) != 0) {
        err << "vpcfw explain: --from must be auto, internet, or an eni-/tgw-attach-/vgw-/pcx- id, not '" << printable_text(from) << "'\n";
        return kExitUsage;
    }
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
            out << json_text(j) << "\n";
        } else {
            if (i) out << "\n";
            out << printable_text(decision_text(d));
        }
    }
    return kExitOk;
}

} // namespace vpcfw
