// The DPDK EAL for commands that compile rulesets (scenario, replay, compile, run): one
// initialisation per process, on first use, with defaults that work on any machine (no
// hugepages, no PCI scan, no shared config, no telemetry socket, quiet logs). Control
// thread only.
#pragma once

#include <string>
#include <vector>

#include "ruleset/status.hpp"

namespace vpcfw {

// The default EAL arguments (after the program name).
const std::vector<std::string>& default_eal_args();

// Initialises the EAL with `args` (default_eal_args() when empty) once; later calls return
// the first result. An error says what rte_eal_init reported.
Status ensure_eal(const std::vector<std::string>& args = {});

} // namespace vpcfw
