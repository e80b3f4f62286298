// The DPDK EAL for commands that compile rulesets (scenario, replay, compile, run): one
// initialisation per process, on first use, with defaults that work on any machine (no
// hugepages, no PCI scan, no shared config, no telemetry socket, quiet logs); and the
// arguments `vpcfw run` starts it with when none are given, and the runtime directory it
// creates (shown at start, removed at exit). Control thread only.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "ruleset/status.hpp"

namespace vpcfw {

// The default EAL arguments (after the program name).
const std::vector<std::string>& default_eal_args();

// The EAL arguments of `vpcfw run` without `-- EAL ARGS`: one lcore, in memory (or
// --no-huge, saying so on `err`, when no hugepages are free), `-a ADDR` for each PCI
// device of `pci_devices`, --no-pci when there is none.
std::vector<std::string> run_eal_args(const std::vector<std::string>& pci_devices, std::ostream& err);

// Where the running EAL keeps its files: the runtime directory (/var/run/dpdk/PREFIX as
// root, $XDG_RUNTIME_DIR/dpdk/PREFIX otherwise), its file prefix (the directory's name) and
// the telemetry socket in it (empty when the EAL runs with --no-telemetry). After ensure_eal.
struct EalRuntime {
    std::string dir, prefix, telemetry_socket;
};
EalRuntime eal_runtime();

// Removes the runtime directory `dir` and the entries DPDK left in it (sockets, config
// files), for a process about to exit; not recursive; errors are ignored.
void remove_eal_runtime_dir(const std::string& dir);

// Initialises the EAL with `args` (default_eal_args() when empty) once; later calls return
// the first result. An error says what rte_eal_init reported.
Status ensure_eal(const std::vector<std::string>& args = {});

} // namespace vpcfw
