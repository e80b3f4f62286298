// CompiledRuleset: one immutable, versioned compilation of a Network for the fast path —
// the SG/NACL classifiers (AclTables, rte_acl), one rte_fib/rte_fib6 per route table and
// per TGW route table, flat address maps (address -> ENI / public IP / NAT gateway /
// endpoint / AWS service), per-object facts in dense arrays indexed like the model, and
// every printable name interned (Names). It keeps no Network: the compiler turns every
// fact the fast path needs into symbols and dense arrays (compiled_impl.hpp). Built only
// by control/compiler; shared read-only by all workers; published and reclaimed by
// RulesetSlot (dataplane/ruleset_slot.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/acl_tables.hpp"
#include "dataplane/flow_key.hpp"
#include "dataplane/verdict.hpp"
#include "ruleset/model.hpp"
#include "ruleset/settings.hpp"
#include "ruleset/status.hpp"

struct rte_fib;
struct rte_fib6;

namespace vpcfw {

// Where a packet enters (docs/interface.md "Origins"), resolved once per run or per step.
struct OriginSpec {
    enum class Kind : uint8_t { Auto, Eni, Internet, Vgw, Pcx, TgwAttachment };
    Kind kind = Kind::Auto;
    uint32_t index = 0;            // dense model index for Eni, Vgw, Pcx, TgwAttachment
};

struct CompileStats {
    double compile_ms = 0;         // whole compilation
    double acl_build_ms = 0;       // rte_acl_build, all contexts
    double route_build_ms = 0;     // rte_fib / rte_fib6 builds
    uint32_t nacl_rules4 = 0, nacl_rules6 = 0, sg_rules4 = 0, sg_rules6 = 0;
    uint32_t group_sets = 0, remote_sets = 0;
    uint32_t route_tables = 0, routes4 = 0, routes6 = 0;
    uint32_t tgw_route_tables = 0, tgw_routes = 0;
    uint32_t addresses = 0;        // entries of the address map
    uint32_t names = 0;
    size_t acl_bytes = 0;          // rte_acl_ctx memory (rte_acl_dump's figure)
    size_t route_bytes = 0;        // FIB memory (dataplane + rib)
    size_t map_bytes = 0;          // address maps and dense arrays
    size_t name_bytes = 0;
};

class CompiledRuleset {
public:
    CompiledRuleset();
    ~CompiledRuleset();
    CompiledRuleset(const CompiledRuleset&) = delete;
    CompiledRuleset& operator=(const CompiledRuleset&) = delete;

    uint64_t version() const { return version_; }
    const Settings& settings() const { return settings_; }
    const Names& names() const { return *names_; }
    // The name table, shared with the versions compiled after this one.
    const std::shared_ptr<Names>& shared_names() const { return names_; }
    const AclTables& acl() const { return *acl_; }
    const CompileStats& stats() const { return stats_; }

    // "auto", an ENI id, "internet", a vgw-, pcx- or tgw-attach- id. Error for ids the
    // network does not have (the caller reports them; AWS has no such origin).
    Result<OriginSpec> origin(std::string_view spec) const;

    // True when an address belongs to the model's public side: a public or Elastic IP of
    // an ENI, a NAT gateway's public address, or an ENI's IPv6 address (reached through
    // the IGW). The live run answers ARP / ND for these on its internet port.
    bool is_public_address(const IpAddr& a) const;

    struct Impl;                   // the tables; defined in dataplane/compiled_impl.hpp
    const Impl& impl() const { return *impl_; }

private:
    friend Result<std::shared_ptr<const CompiledRuleset>> compile_ruleset_impl(const Network&, const Settings&,
                                                                                AclAlgorithm, uint64_t,
                                                                                const CompiledRuleset*);
    uint64_t version_ = 0;
    std::unordered_map<std::string, OriginSpec> origins_;  // origin(): ENI, vgw-, pcx-, tgw-attach- ids
    Settings settings_;
    std::shared_ptr<Names> names_;
    std::unique_ptr<AclTables> acl_;
    std::unique_ptr<Impl> impl_;
    CompileStats stats_;
};

} // namespace vpcfw
