// Shared benchmark set-up (perf/bench_env.hpp): EAL, cached ClassBench networks, raw
// rte_acl baseline contexts, rte_acl memory figures.
#include "perf/bench_env.hpp"

#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <regex>

#include <rte_acl.h>
#include <rte_eal.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "control/acl_compiler.hpp"
#include "ruleset/loader.hpp"

namespace vpcfw::perf {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

[[noreturn]] void die(const std::string& msg) {
    std::cerr << "benchmark set-up: " << msg << "\n";
    std::exit(3);
}

const char* kFamilies[] = {"acl1", "acl2", "acl3", "acl4", "acl5", "fw1",
                           "fw2",  "fw3",  "fw4",  "fw5",  "ipc1", "ipc2"};

} // namespace

bool start_eal(const char* program) {
    static int state = 0;  // 0 not tried, 1 up, -1 failed
    if (state != 0) return state > 0;
    static std::vector<std::string> args = {program, "--no-huge", "--no-pci", "-m", "1024", "--no-shconf",
                                            "--log-level=error", "--lcores=0", "--no-telemetry",
                                            "--force-max-simd-bitwidth=512"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    state = rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0 ? 1 : -1;
    if (state < 0) std::cerr << "rte_eal_init failed\n";
    return state > 0;
}

std::string cb_set() {
    const char* s = std::getenv("VPCFW_CB_SET");
    if (!s || !*s) return "acl1";
    for (const char* f : kFamilies)
        if (std::string(s) == f) return s;
    die(std::string("VPCFW_CB_SET=") + s + " is not one of acl1..acl5, fw1..fw5, ipc1, ipc2");
}

std::vector<std::string> files_for(size_t count) {
    std::string dir = std::string(VPCFW_SHARED_DATA) + "/classbench/";
    std::string suffix = count <= 1000 ? "_1k" : "_10k";
    std::vector<std::string> out = {dir + cb_set() + suffix};
    for (const char* f : kFamilies)
        if (cb_set() != f) out.push_back(dir + f + suffix);
    return out;
}

AclAlgorithm bench_algorithm() {
    const char* s = std::getenv("VPCFW_ACL_ALG");
    if (!s || !*s) return AclAlgorithm::Default;
    auto a = parse_acl_algorithm(s);
    if (!a) die(std::string("VPCFW_ACL_ALG=") + s + " is not scalar, sse, avx2, avx512x16 or avx512x32");
    return *a;
}

int bench_rte_alg() {
    switch (bench_algorithm()) {
    case AclAlgorithm::Default: return -1;
    case AclAlgorithm::Scalar: return RTE_ACL_CLASSIFY_SCALAR;
    case AclAlgorithm::Sse: return RTE_ACL_CLASSIFY_SSE;
    case AclAlgorithm::Avx2: return RTE_ACL_CLASSIFY_AVX2;
    case AclAlgorithm::Avx512x16: return RTE_ACL_CLASSIFY_AVX512X16;
    case AclAlgorithm::Avx512x32: return RTE_ACL_CLASSIFY_AVX512X32;
    }
    return -1;
}

cb::NetOptions options_for(size_t count, cb::Form form) {
    cb::NetOptions o;
    o.form = form;
    o.max_enis = 20000;
    o.max_flows = 100000;
    (void)count;
    return o;
}

const BenchNet& bench_net(size_t count, cb::Form form) {
    static std::map<std::pair<size_t, int>, std::unique_ptr<BenchNet>> cache;
    auto key = std::make_pair(count, static_cast<int>(form));
    auto it = cache.find(key);
    if (it != cache.end()) return *it->second;
    if (!start_eal("vpcfw-bench")) die("no EAL");

    auto b = std::make_unique<BenchNet>();
    auto w = cb::make_workload(files_for(count), count);
    if (!w.ok()) die(w.error().str());
    b->work = std::move(*w);
    auto built = cb::build_network(b->work.rules, b->work.trace, options_for(count, form));
    if (!built.ok()) die(built.error().str());
    b->built = std::move(*built);
    std::string text = b->built.bundle.dump();
    auto t0 = std::chrono::steady_clock::now();
    auto net = load_network_text(text, "classbench-" + std::to_string(count));
    if (!net.ok()) die(net.error().str());
    b->load_ms = ms_since(t0);
    b->net = std::move(*net);
    t0 = std::chrono::steady_clock::now();
    AclCompileOptions copt;
    copt.algorithm = bench_algorithm();
    auto acl = AclCompiler::compile(b->net, copt);
    if (!acl.ok()) die(acl.error().str());
    b->compile_ms = ms_since(t0);
    b->acl = std::move(*acl);
    for (const auto& e : b->built.enis) b->eni_index.push_back(b->net.index.eni.at(e.id));
    for (const auto& id : b->built.client_nacl)
        b->client_nacl.push_back(static_cast<uint16_t>(b->net.index.network_acl.at(id)));
    for (const auto& id : b->built.server_nacl)
        b->server_nacl.push_back(static_cast<uint16_t>(b->net.index.network_acl.at(id)));
    const auto& s = b->acl->stats();
    std::fprintf(stderr,
                 "# net %zu rules, form %s: %s\n#   %zu flows, %zu ENIs (skipped: %zu special, %zu role, %zu cap); "
                 "rte_acl rules: nacl4 %u, sg4 %u; load %.0f ms, AclCompiler %.0f ms (rte_acl_build %.0f ms); alg %s\n",
                 count, cb::form_name(form), b->work.how.c_str(), b->built.flows.size(), b->built.enis.size(),
                 b->built.skipped_special, b->built.skipped_role, b->built.skipped_cap, s.nacl_rules4, s.sg_rules4,
                 b->load_ms, b->compile_ms, s.build_ms, acl_algorithm_name(b->acl->algorithm()));
    return *(cache[key] = std::move(b));
}

// ---- raw rte_acl ---------------------------------------------------------------------------

namespace {

enum RawField : uint8_t { kRawProto, kRawSrc, kRawDst, kRawSport, kRawDport, kRawFields };
RTE_ACL_RULE_DEF(RawRule, kRawFields);

rte_acl_field_def raw_field(uint8_t type, uint8_t size, uint8_t index, uint8_t input, size_t offset) {
    rte_acl_field_def d{};
    d.type = type;
    d.size = size;
    d.field_index = index;
    d.input_index = input;
    d.offset = static_cast<uint32_t>(offset);
    return d;
}

FILE* g_capture = nullptr;
char* g_capture_buf = nullptr;
size_t g_capture_len = 0;
uint32_t g_saved_global_level = RTE_LOG_ERR;

} // namespace

RawAcl::~RawAcl() {
    if (ctx) rte_acl_free(ctx);
}

Raw5Tuple raw_key(const cb::Header& h) {
    Raw5Tuple k{};
    k.proto = h.proto;
    k.src = htonl(h.src);
    k.dst = htonl(h.dst);
    k.sport = htons(h.sport);
    k.dport = htons(h.dport);
    return k;
}

const char* rte_alg_name(int alg) {
    switch (alg) {
    case RTE_ACL_CLASSIFY_DEFAULT: return "default";
    case RTE_ACL_CLASSIFY_SCALAR: return "scalar";
    case RTE_ACL_CLASSIFY_SSE: return "sse";
    case RTE_ACL_CLASSIFY_AVX2: return "avx2";
    case RTE_ACL_CLASSIFY_AVX512X16: return "avx512x16";
    case RTE_ACL_CLASSIFY_AVX512X32: return "avx512x32";
    default: return "?";
    }
}

std::unique_ptr<RawAcl> build_raw_acl(const std::vector<cb::Rule>& rules, int alg) {
    if (!start_eal("vpcfw-bench")) die("no EAL");
    static int serial = 0;
    auto r = std::make_unique<RawAcl>();
    char name[32];
    std::snprintf(name, sizeof name, "raw-acl-%d", serial++);
    size_t heap0 = heap_allocated_bytes();
    rte_acl_param prm{};
    prm.name = name;
    prm.socket_id = SOCKET_ID_ANY;
    prm.rule_size = RTE_ACL_RULE_SZ(kRawFields);
    prm.max_rule_num = static_cast<uint32_t>(rules.size());
    r->ctx = rte_acl_create(&prm);
    if (!r->ctx) die("rte_acl_create failed");

    std::vector<RawRule> v(rules.size());
    for (size_t i = 0; i < rules.size(); ++i) {
        const cb::Rule& x = rules[i];
        RawRule& a = v[i];
        std::memset(&a, 0, sizeof a);
        a.data.category_mask = 1;
        a.data.priority = static_cast<int32_t>(RTE_ACL_MAX_PRIORITY - i);
        a.data.userdata = static_cast<uint32_t>(i + 1);
        a.field[kRawProto].value.u8 = x.proto;
        a.field[kRawProto].mask_range.u8 = x.proto_mask;
        a.field[kRawSrc].value.u32 = x.src;
        a.field[kRawSrc].mask_range.u32 = x.src_len;
        a.field[kRawDst].value.u32 = x.dst;
        a.field[kRawDst].mask_range.u32 = x.dst_len;
        a.field[kRawSport].value.u16 = x.sport_lo;
        a.field[kRawSport].mask_range.u16 = x.sport_hi;
        a.field[kRawDport].value.u16 = x.dport_lo;
        a.field[kRawDport].mask_range.u16 = x.dport_hi;
    }
    rte_acl_config cfg{};
    cfg.num_categories = 1;
    cfg.num_fields = kRawFields;
    cfg.defs[kRawProto] = raw_field(RTE_ACL_FIELD_TYPE_BITMASK, 1, kRawProto, 0, offsetof(Raw5Tuple, proto));
    cfg.defs[kRawSrc] = raw_field(RTE_ACL_FIELD_TYPE_MASK, 4, kRawSrc, 1, offsetof(Raw5Tuple, src));
    cfg.defs[kRawDst] = raw_field(RTE_ACL_FIELD_TYPE_MASK, 4, kRawDst, 2, offsetof(Raw5Tuple, dst));
    cfg.defs[kRawSport] = raw_field(RTE_ACL_FIELD_TYPE_RANGE, 2, kRawSport, 3, offsetof(Raw5Tuple, sport));
    cfg.defs[kRawDport] = raw_field(RTE_ACL_FIELD_TYPE_RANGE, 2, kRawDport, 3, offsetof(Raw5Tuple, dport));

    acl_memory_capture_begin();
    auto t0 = std::chrono::steady_clock::now();
    int rc = rte_acl_add_rules(r->ctx, reinterpret_cast<const rte_acl_rule*>(v.data()),
                               static_cast<uint32_t>(v.size()));
    if (rc == 0) rc = rte_acl_build(r->ctx, &cfg);
    r->build_ms = ms_since(t0);
    r->runtime_bytes = acl_memory_capture_end();
    if (rc != 0) die("raw rte_acl build failed: " + std::to_string(rc));
    r->heap_bytes = heap_allocated_bytes() - heap0;
    if (alg >= 0) {
        if (rte_acl_set_ctx_classify(r->ctx, static_cast<enum rte_acl_classify_alg>(alg)) != 0)
            die(std::string("rte_acl algorithm ") + rte_alg_name(alg) + " not supported here");
        r->alg = alg;
    } else {
        // What RTE_ACL_CLASSIFY_DEFAULT resolves to: rte_acl takes the first method of this
        // list that the CPU and --force-max-simd-bitwidth allow; set_ctx_classify checks the
        // same conditions, so the first that it accepts is the one the default uses.
        for (int a : {RTE_ACL_CLASSIFY_AVX512X32, RTE_ACL_CLASSIFY_AVX512X16, RTE_ACL_CLASSIFY_AVX2,
                      RTE_ACL_CLASSIFY_SSE, RTE_ACL_CLASSIFY_SCALAR})
            if (rte_acl_set_ctx_classify(r->ctx, static_cast<enum rte_acl_classify_alg>(a)) == 0) {
                r->alg = a;
                break;
            }
    }
    return r;
}

void acl_memory_capture_begin() {
    g_capture = open_memstream(&g_capture_buf, &g_capture_len);
    rte_openlog_stream(g_capture);
    g_saved_global_level = rte_log_get_global_level();
    rte_log_set_global_level(RTE_LOG_DEBUG);
    rte_log_set_level_pattern("lib.acl", RTE_LOG_DEBUG);
}

size_t acl_memory_capture_end() {
    rte_log_set_level_pattern("lib.acl", RTE_LOG_ERR);
    rte_log_set_global_level(g_saved_global_level);
    std::fflush(g_capture);
    rte_openlog_stream(nullptr);
    std::fclose(g_capture);
    std::string text = g_capture_buf ? std::string(g_capture_buf, g_capture_len) : std::string();
    std::free(g_capture_buf);
    g_capture = nullptr;
    g_capture_buf = nullptr;
    size_t total = 0;
    static const std::regex re("total: ([0-9]+) bytes");
    for (std::sregex_iterator i(text.begin(), text.end(), re), e; i != e; ++i)
        total += std::stoull((*i)[1].str());
    return total;
}

size_t heap_allocated_bytes() {
    size_t total = 0;
    for (unsigned s = 0; s < rte_socket_count(); ++s) {
        rte_malloc_socket_stats st{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(s), &st) == 0) total += st.heap_allocsz_bytes;
    }
    return total;
}

} // namespace vpcfw::perf
