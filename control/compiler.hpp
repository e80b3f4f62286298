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
};

// Compiles `net` (copied into the result, which owns it). Errors as values: sizes beyond
// the table widths, DPDK allocation failures.
Result<std::shared_ptr<const CompiledRuleset>> compile_ruleset(const Network& net, const Settings& settings,
                                                               const CompileOptions& options = {});

} // namespace vpcfw
