// libFuzzer target for scenario files (control/scenario.hpp): any bytes as a scenario file
// beside a copy of examples/network.json (so "network": "network.json" resolves), run
// through the reference evaluator (options.compiled = false: no EAL in a fuzzer). The
// runner must return a result or an error naming the file, never crash or hang, however
// deep or malformed the steps and their apply parameters are.
// Built and run by tests/fuzz/run.sh (linked against the normal build's compiler
// libraries, which scenario.cpp references).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "control/scenario.hpp"

#ifndef VPCFW_SOURCE_DIR
#error "VPCFW_SOURCE_DIR must name the source tree (for examples/network.json)"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fs = std::filesystem;
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("vpcfw-scenario-fuzz-" + std::to_string(getpid()));
        fs::create_directories(d);
        fs::copy_file(fs::path(VPCFW_SOURCE_DIR) / "examples/network.json", d / "network.json",
                      fs::copy_options::overwrite_existing);
        return d;
    }();
    const std::string path = (dir / "scenario.json").string();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    vpcfw::ScenarioOptions options;
    options.compiled = false;
    auto r = vpcfw::run_scenario_file(path, options);
    if (!r && r.error().message.empty()) __builtin_trap();  // an error must say what is wrong
    return 0;
}
