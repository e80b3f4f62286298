// Compile time and memory of a ClassBench-derived network (default 100k rules) beside raw
// rte_acl on the same rules, in one run: for each form (nacl, sg, both) the time to load
// the bundle (JSON -> model), to compile it (AclCompiler: every NACL/SG context, side
// tables) and the rte_acl memory it holds, then rte_acl_add_rules + rte_acl_build of the
// same ClassBench rules as one 5-tuple context (dpdk-test-acl's layout). Memory is rte_acl's
// own runtime footprint (the "total: N bytes" rte_acl logs at the end of each build's gen
// phase) and the rte_malloc heap growth (adds the rule storage of the contexts).
// Then compile_ruleset (the whole CompiledRuleset a worker gets) on the same network.
// A plain program, not Google Benchmark: each figure is one build (they take seconds).
//   bench_compile [--count N] [--forms nacl,sg,both]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "control/acl_compiler.hpp"
#include "control/compiler.hpp"
#include "perf/bench_env.hpp"
#include "ruleset/loader.hpp"

using namespace vpcfw;
using namespace vpcfw::perf;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double mib(size_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

} // namespace

int main(int argc, char** argv) {
    size_t count = 100000;
    std::string forms = "nacl,sg,both";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--count" && i + 1 < argc) {
            count = std::stoul(argv[++i]);
        } else if (a == "--forms" && i + 1 < argc) {
            forms = argv[++i];
        } else {
            std::fprintf(stderr, "usage: bench_compile [--count N] [--forms nacl,sg,both]\n");
            return 2;
        }
    }
    if (!start_eal(argv[0])) return 3;
    auto w = cb::make_workload(files_for(count), count);
    if (!w.ok()) {
        std::fprintf(stderr, "bench_compile: %s\n", w.error().str().c_str());
        return 2;
    }
    std::printf("# %zu rules: %s\n", count, w->how.c_str());
    std::printf("%-22s %10s %10s %12s %12s %12s %10s\n", "what", "rte_rules", "load_ms", "compile_ms",
                "acl_build_ms", "runtime_MiB", "heap_MiB");

    // The baseline first, so its figures do not depend on what the network compile left.
    auto raw = build_raw_acl(w->rules, bench_rte_alg());
    std::printf("%-22s %10zu %10s %12.0f %12.0f %12.2f %10.2f\n", "raw rte_acl 5-tuple", w->rules.size(), "-",
                raw->build_ms, raw->build_ms, mib(raw->runtime_bytes), mib(raw->heap_bytes));
    const double raw_ms = raw->build_ms;
    const size_t raw_rt = raw->runtime_bytes, raw_heap = raw->heap_bytes;
    raw.reset();

    for (const char* f : {"nacl", "sg", "both"}) {
        if (forms.find(f) == std::string::npos) continue;
        cb::Form form;
        cb::parse_form(f, form);
        auto built = cb::build_network(w->rules, w->trace, options_for(count, form));
        if (!built.ok()) {
            std::fprintf(stderr, "bench_compile: %s\n", built.error().str().c_str());
            return 3;
        }
        std::string text = built->bundle.dump();
        auto t0 = std::chrono::steady_clock::now();
        auto net = load_network_text(text, "classbench");
        double load_ms = ms_since(t0);
        if (!net.ok()) {
            std::fprintf(stderr, "bench_compile: %s\n", net.error().str().c_str());
            return 3;
        }
        AclCompileOptions opt;
        opt.algorithm = bench_algorithm();
        size_t heap0 = heap_allocated_bytes();
        acl_memory_capture_begin();
        t0 = std::chrono::steady_clock::now();
        auto acl = AclCompiler::compile(*net, opt);
        double compile_ms = ms_since(t0);
        size_t runtime = acl_memory_capture_end();
        if (!acl.ok()) {
            std::fprintf(stderr, "bench_compile: %s\n", acl.error().str().c_str());
            return 3;
        }
        size_t heap = heap_allocated_bytes() - heap0;
        const auto& s = (*acl)->stats();
        char what[40];
        std::snprintf(what, sizeof what, "AclCompiler %s", f);
        std::printf("%-22s %10u %10.0f %12.0f %12.0f %12.2f %10.2f   (x%.2f time, x%.2f runtime mem, x%.2f heap vs raw)\n",
                    what, s.nacl_rules4 + s.nacl_rules6 + s.sg_rules4 + s.sg_rules6, load_ms, compile_ms, s.build_ms,
                    mib(runtime), mib(heap), compile_ms / raw_ms, static_cast<double>(runtime) / static_cast<double>(raw_rt),
                    static_cast<double>(heap) / static_cast<double>(raw_heap));
        acl->reset();
        // The whole CompiledRuleset (classifiers, FIBs, address maps, names), as workers get it.
        CompileOptions copt;
        copt.algorithm = opt.algorithm;
        t0 = std::chrono::steady_clock::now();
        auto rs = compile_ruleset(*net, Settings{}, copt);
        double rs_ms = ms_since(t0);
        if (rs.ok()) {
            const CompileStats& cs = (*rs)->stats();
            std::snprintf(what, sizeof what, "compile_ruleset %s", f);
            std::printf("%-22s %10u %10s %12.0f %12.0f %12.2f %10s   (x%.2f time vs raw; acl_bytes as the compiler reports)\n",
                        what, cs.nacl_rules4 + cs.nacl_rules6 + cs.sg_rules4 + cs.sg_rules6, "-", rs_ms, cs.acl_build_ms,
                        mib(cs.acl_bytes), "-", rs_ms / raw_ms);
        } else {
            std::printf("%-22s compile_ruleset failed: %s\n", f, rs.error().str().c_str());
        }
        std::fflush(stdout);
    }
    return 0;
}
