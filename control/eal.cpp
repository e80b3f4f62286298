// EAL initialisation once per process; `vpcfw run`'s default arguments (control/eal.hpp).
#include "control/eal.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <ostream>

#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

namespace vpcfw {

const std::vector<std::string>& default_eal_args() {
    static const std::vector<std::string> args = {
        "--no-huge", "--no-pci", "-m", "1024", "--no-shconf", "--no-telemetry", "--lcores=0",
        "--log-level=lib.eal:error", "--force-max-simd-bitwidth=512",
    };
    return args;
}

namespace {

uint64_t free_hugepages() {
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("HugePages_Free:", 0) == 0) return std::strtoull(line.c_str() + 15, nullptr, 10);
    return 0;
}

} // namespace

std::vector<std::string> run_eal_args(const std::vector<std::string>& pci_devices, std::ostream& err) {
    std::vector<std::string> a = {"--lcores=0", "--log-level=lib.eal:error", "--log-level=lib.telemetry:error",
                                  "--force-max-simd-bitwidth=512",
                                  "--file-prefix=vpcfw-" + std::to_string(getpid())};
    if (free_hugepages() == 0) {
        err << "vpcfw run: no free hugepages: starting DPDK with --no-huge -m 1024 (right for af_packet, ring, pcap "
               "and tap ports; NIC ports need hugepages, see docs/run.md)\n";
        a.insert(a.end(), {"--no-huge", "-m", "1024", "--no-shconf"});
    } else {
        a.push_back("--in-memory");
    }
    for (const auto& d : pci_devices) {
        a.push_back("-a");
        a.push_back(d);
    }
    if (pci_devices.empty()) a.push_back("--no-pci");
    return a;
}

EalRuntime eal_runtime() {
    EalRuntime r;
    const char* dir = rte_eal_get_runtime_dir();
    if (!dir || !*dir) return r;
    r.dir = dir;
    r.prefix = std::filesystem::path(r.dir).filename().string();
    std::error_code ec;
    // DPDK 22.11's socket name (usertools/dpdk-telemetry.py connects to the same).
    std::string sock = r.dir + "/dpdk_telemetry.v2";
    if (std::filesystem::is_socket(sock, ec)) r.telemetry_socket = sock;
    return r;
}

void remove_eal_runtime_dir(const std::string& dir) {
    if (dir.empty()) return;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (!e.is_directory(ec)) std::filesystem::remove(e.path(), ec);
    std::filesystem::remove(dir, ec);
}

Status ensure_eal(const std::vector<std::string>& args) {
    static std::once_flag once;
    static Status result;
    std::call_once(once, [&] {
        std::vector<std::string> a = {"vpcfw"};
        const auto& use = args.empty() ? default_eal_args() : args;
        a.insert(a.end(), use.begin(), use.end());
        std::vector<char*> argv;
        for (auto& s : a) argv.push_back(s.data());
        argv.push_back(nullptr);
        int rc = rte_eal_init(static_cast<int>(a.size()), argv.data());
        if (rc < 0) result = make_error(std::string("DPDK EAL initialisation failed: ") + rte_strerror(rte_errno));
    });
    return result;
}

} // namespace vpcfw
