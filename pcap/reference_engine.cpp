// The reference replay engine, the engine factory and origin resolution. Cold-ish: the
// reference evaluator allocates per packet by design.
#include "pcap/reference_engine.hpp"

#include "pcap/compiled_engine.hpp"
#include "ruleset/name_lookup.hpp"

namespace vpcfw {

const char* engine_name(EngineKind k) { return k == EngineKind::Compiled ? "compiled" : "reference"; }

Result<OriginSpec> resolve_origin(const Network& net, std::string_view spec) {
    // Names (an ENI's Name tag, instance, private IP) become ids first (ruleset/name_lookup.hpp).
    auto id = origin_id(net, std::string(spec));
    if (!id) return id.error();
    const std::string& s = *id;
    auto find = [&](const auto& map, OriginSpec::Kind kind) -> Result<OriginSpec> {
        auto it = map.find(s);
        if (it == map.end()) return make_error("origin '" + s + "' is not in the network");
        return OriginSpec{kind, it->second};
    };
    if (s == "auto") return OriginSpec{};
    if (s == "internet") return OriginSpec{OriginSpec::Kind::Internet, 0};
    if (s.rfind("vgw-", 0) == 0) return find(net.index.vpn_gateway, OriginSpec::Kind::Vgw);
    if (s.rfind("pcx-", 0) == 0) return find(net.index.peering, OriginSpec::Kind::Pcx);
    if (s.rfind("tgw-attach-", 0) == 0) return find(net.index.tgw_attachment, OriginSpec::Kind::TgwAttachment);
    return find(net.index.eni, OriginSpec::Kind::Eni);
}

std::string origin_text(const Network& net, const OriginSpec& o) {
    switch (o.kind) {
    case OriginSpec::Kind::Auto: return "auto";
    case OriginSpec::Kind::Internet: return "internet";
    case OriginSpec::Kind::Eni: return o.index < net.enis.size() ? net.enis[o.index].id : "auto";
    case OriginSpec::Kind::Vgw: return o.index < net.vpn_gateways.size() ? net.vpn_gateways[o.index].id : "auto";
    case OriginSpec::Kind::Pcx: return o.index < net.peerings.size() ? net.peerings[o.index].id : "auto";
    case OriginSpec::Kind::TgwAttachment:
        return o.index < net.tgw_attachments.size() ? net.tgw_attachments[o.index].id : "auto";
    }
    return "auto";
}

Verdict parse_drop_verdict(ParseReason reason, uint32_t reason_sym, uint32_t from_sym) {
    (void)reason;
    Verdict v;
    v.action = Action::Drop;
    v.layer = Layer::Parse;
    v.reason = reason_sym;
    v.from = from_sym;
    v.origin_how = from_sym ? OriginHow::Given : OriginHow::None;
    return v;
}

ReferenceReplayEngine::ReferenceReplayEngine(const Network& net, const Settings& settings) : ref_(net, settings) {
    // Interned up front so that every engine numbers them alike (not required for output,
    // which goes through the strings, but it keeps the symbol tables comparable).
    for (unsigned r = 0; r < kParseReasonCount; ++r) parse_reasons_[r] = names_.intern(kParseReasonNames[r], SymKind::Reason);
}

void ReferenceReplayEngine::evaluate(const Frame* frames, const ParseResult* parsed, std::span<const uint32_t> which,
                                     Verdict* out) {
    const Network& net = ref_.network();
    for (uint32_t i : which) {
        const Frame& f = frames[i];
        std::string from = origin_text(net, f.origin);
        if (!parsed[i].ok()) {
            uint32_t fromSym = from == "auto" ? 0 : names_.intern(from, from.rfind("eni-", 0) == 0 ? SymKind::Eni : SymKind::Gateway);
            auto r = static_cast<unsigned>(parsed[i].reason);
            out[i] = parse_drop_verdict(parsed[i].reason, r < kParseReasonCount ? parse_reasons_[r] : 0, fromSym);
            continue;
        }
        Packet p = to_packet(parsed[i]);
        Decision d = ref_.evaluate(p, from, f.ts);
        out[i] = from_decision(d, names_);
    }
}

Result<std::unique_ptr<ReplayEngine>> make_engine(EngineKind kind, const Network& net, const Settings& settings,
                                                  unsigned workers, std::shared_ptr<const CompiledRuleset> compiled) {
    Settings share = settings;
    size_t n = std::max(1u, workers);
    share.conntrack_table_capacity = std::max<size_t>(1, (settings.conntrack_table_capacity + n - 1) / n);
    share.conntrack_capacity_per_eni = std::max<size_t>(1, (settings.conntrack_capacity_per_eni + n - 1) / n);
    if (kind == EngineKind::Reference) return std::unique_ptr<ReplayEngine>(new ReferenceReplayEngine(net, share));
    if (!compiled) return make_error("the compiled engine needs a compiled ruleset (internal error)");
    return std::unique_ptr<ReplayEngine>(new CompiledReplayEngine(std::move(compiled), share));
}

} // namespace vpcfw
