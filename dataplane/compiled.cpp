// CompiledRuleset: lifetime of the tables (FIBs live in DPDK memory) and origin lookup.
#include "dataplane/compiled.hpp"

#include <rte_fib.h>
#include <rte_fib6.h>

#include "dataplane/compiled_impl.hpp"

namespace vpcfw {

CompiledRuleset::CompiledRuleset() = default;

CompiledRuleset::~CompiledRuleset() {
    if (!impl_) return;
    auto free_fibs = [](auto& tables) {
        for (auto& t : tables) {
            if (t.fib4) rte_fib_free(t.fib4);
            if (t.fib6) rte_fib6_free(t.fib6);
        }
    };
    free_fibs(impl_->route_tables);
    free_fibs(impl_->tgw_tables);
}

Result<OriginSpec> CompiledRuleset::origin(std::string_view spec) const {
    std::string s(spec);
    OriginSpec o;
    if (s.empty() || s == "auto") return o;
    if (s == "internet") {
        o.kind = OriginSpec::Kind::Internet;
        return o;
    }
    auto find = [&](const auto& index, OriginSpec::Kind kind) -> bool {
        auto it = index.find(s);
        if (it == index.end()) return false;
        o.kind = kind;
        o.index = it->second;
        return true;
    };
    if (find(net_.index.eni, OriginSpec::Kind::Eni) || find(net_.index.vpn_gateway, OriginSpec::Kind::Vgw) ||
        find(net_.index.peering, OriginSpec::Kind::Pcx) ||
        find(net_.index.tgw_attachment, OriginSpec::Kind::TgwAttachment))
        return o;
    return make_error("unknown origin '" + s + "': not an ENI, vgw-, pcx- or tgw-attach- id of this network, "
                      "'internet' or 'auto'");
}

} // namespace vpcfw
