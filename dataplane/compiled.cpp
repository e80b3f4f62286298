// CompiledRuleset: lifetime of the tables (FIBs live in DPDK memory), origin lookup and
// the public-address test of the live run.
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
    if (auto it = origins_.find(s); it != origins_.end()) return it->second;
    return make_error("unknown origin '" + s + "': not an ENI, vgw-, pcx- or tgw-attach- id of this network, "
                      "'internet' or 'auto'");
}

bool CompiledRuleset::is_public_address(const IpAddr& a) const {
    return impl_->public_address.find(ScopedAddr::make(kNone, a)) != nullptr;
}

} // namespace vpcfw
