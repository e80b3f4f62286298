// AclCompiler: builds the SG and NACL classifiers (dataplane/acl_tables.hpp) of one
// ruleset version from the Network model. Control thread only, cold: it allocates and
// calls rte_acl_build (not thread-safe), always into fresh contexts, never one a worker
// reads. Needs an initialised DPDK EAL. Design and rejected alternatives: DESIGN-acl.md.
#pragma once

#include <memory>

#include "dataplane/acl_tables.hpp"
#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw {

struct AclCompileOptions {
    AclAlgorithm algorithm = AclAlgorithm::Default;  // rte_acl_set_ctx_classify
    int socket_id = -1;                               // NUMA socket; -1 = any
    size_t max_size = 0;                              // rte_acl_config.max_size; 0 = no limit
};

class AclCompiler {
public:
    // Compiles every NACL and every ENI's security groups of `net`. Errors (as values):
    // an algorithm this CPU/EAL cannot run, model sizes beyond the key and RuleRef widths
    // (65535 group sets or remote sets; the list limits of ruleset/limits.hpp, which the
    // loader enforces),
    // rte_acl failures (memory).
    static Result<std::unique_ptr<AclTables>> compile(const Network& net,
                                                      const AclCompileOptions& options = {});

    // Switches the classify implementation of tables that are not yet published (tests
    // run one build under every algorithm). Fails, changing nothing, when unsupported.
    static Status select_algorithm(AclTables& tables, AclAlgorithm algorithm);

    // Whether this CPU and EAL (--force-max-simd-bitwidth) can run `algorithm`.
    static bool algorithm_supported(AclAlgorithm algorithm);
};

} // namespace vpcfw
