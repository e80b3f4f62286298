// The ruleset compiler: Network model -> one immutable CompiledRuleset version (SG and
// NACL classifiers on rte_acl, routes on rte_fib/rte_fib6, address maps, TGW tables,
// interned names). Control thread only, cold; needs an initialised DPDK EAL
// (control/eal.hpp). Design: dataplane/DESIGN-pipeline.md.
#pragma once

#include <memory>

#include "dataplane/compiled.hpp"
#include "ruleset/model.hpp"
#include "ruleset/reference.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

struct CompileOptions {
    AclAlgorithm algorithm = AclAlgorithm::Default;
    uint64_t version = 1;          // stamped into the result; publishers count up
    // The version this one replaces (after an `apply` or a reload), or null for the first.
    // A successor shares its predecessor's name table, so verdicts kept across the change
    // keep their meaning, and is numbered previous->version() + 1 unless `version` is
    // larger. The first version of a lineage copies each NAT gateway's addresses onto its
    // ENI (fill_nat_public_ips), as the reference evaluator does when it is constructed;
    // successors take the model as the actions left it.
    const CompiledRuleset* previous = nullptr;
};

// Compiles `net` into the tables of the result (which keeps no Network: every fact the
// fast path needs is compiled). Errors as values: sizes beyond the table widths, DPDK
// allocation failures.
Result<std::shared_ptr<const CompiledRuleset>> compile_ruleset(const Network& net, const Settings& settings,
                                                               const CompileOptions& options = {});

} // namespace vpcfw
