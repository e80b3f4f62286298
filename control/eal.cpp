// EAL initialisation once per process (control/eal.hpp).
#include "control/eal.hpp"

#include <mutex>

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
