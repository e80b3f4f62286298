// Shared set-up of the perf/ benchmark programs: the DPDK EAL (started once per process,
// --no-huge so it runs anywhere), the ClassBench workload of each benchmark size, the AWS
// network built from it and compiled with AclCompiler (cached per size and form), and the
// raw-rte_acl baseline: the same rules as a plain 5-tuple context, laid out as
// dpdk-test-acl lays them out. Cold set-up code; single-threaded benchmark processes only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/acl_tables.hpp"
#include "bench/classbench.hpp"
#include "ruleset/model.hpp"

struct rte_acl_ctx;

namespace vpcfw::perf {

// Starts the EAL once: --no-huge --no-pci -m 1024 --no-shconf --lcores=0 --no-telemetry,
// plus --force-max-simd-bitwidth=512 so AVX-512 methods run where the CPU has them.
// Returns false (and prints why) when it cannot.
bool start_eal(const char* program);

// The benchmark sizes and the ClassBench seed family (env VPCFW_CB_SET: acl1 (default),
// acl2..5, fw1..5, ipc1..2): 100 and 1000 rules start from SET_1k, 10000 and 100000 from
// SET_10k; files of the other families follow in a fixed order until the count is reached.
inline constexpr size_t kSizes[] = {100, 1000, 10000, 100000};
std::string cb_set();
std::vector<std::string> files_for(size_t count);

// The rte_acl classify method for every context the benchmarks build: env VPCFW_ACL_ALG
// (scalar, sse, avx2, avx512x16, avx512x32; default: rte_acl's own best choice).
AclAlgorithm bench_algorithm();
int bench_rte_alg();   // the same as enum rte_acl_classify_alg, -1 for the default

// NetOptions used for a size (also what perf/run.sh passes to vpcfw-cbnet).
cb::NetOptions options_for(size_t count, cb::Form form);

// One benchmark network: the workload, the generated bundle, the loaded model and the
// compiled classifiers. eni_index[i] = the model's dense index of Built::enis[i].
struct BenchNet {
    cb::Workload work;
    cb::Built built;
    Network net;
    std::unique_ptr<AclTables> acl;
    std::vector<uint32_t> eni_index;
    std::vector<uint16_t> client_nacl, server_nacl;   // NACL dense index per chunk
    double load_ms = 0, compile_ms = 0;
};

// Built on first use, then cached for the life of the process. Aborts with a message on
// failure (benchmark set-up has no caller to return to).
const BenchNet& bench_net(size_t count, cb::Form form);

// ---- raw rte_acl, the dpdk-test-acl way ----------------------------------------------------

// The 5-tuple input dpdk-test-acl classifies (app/test-acl: struct ipv4_5tuple), network
// byte order.
struct Raw5Tuple {
    uint8_t proto;
    uint8_t pad[3];
    uint32_t src, dst;
    uint16_t sport, dport;
};

struct RawAcl {
    rte_acl_ctx* ctx = nullptr;
    double build_ms = 0;          // rte_acl_add_rules + rte_acl_build
    size_t runtime_bytes = 0;     // rte_acl's own "runtime memory footprint" (gen phase)
    size_t heap_bytes = 0;        // rte_malloc heap growth across create + add + build
    int alg = 0;                  // enum rte_acl_classify_alg that classify uses
    ~RawAcl();
};

// Builds the rules as one context: line order = priority (first match), userdata = line+1,
// one category; `alg` < 0 keeps rte_acl's default choice.
std::unique_ptr<RawAcl> build_raw_acl(const std::vector<cb::Rule>& rules, int alg = -1);
Raw5Tuple raw_key(const cb::Header& h);
const char* rte_alg_name(int alg);

// rte_acl's runtime-memory figure: DPDK logs it at debug level during each rte_acl_build
// ("total: N bytes"); this captures the log between begin and end and sums the figures.
void acl_memory_capture_begin();
size_t acl_memory_capture_end();
size_t heap_allocated_bytes();   // rte_malloc, all sockets

} // namespace vpcfw::perf
