// OutputSink: an output named on the command line, where "-" means standard output (so
// `--decisions - | jq` works); any other name is a file created or truncated. Main thread
// only; cold. The caller allows at most one "-" per run and then prints its own summary
// on standard error.
#pragma once

#include <fstream>
#include <iosfwd>
#include <string>

#include "ruleset/status.hpp"

namespace vpcfw {

inline bool is_stdout_path(const std::string& path) { return path == "-"; }

class OutputSink {
public:
    // Opens `path`; "-" is `std_out`. Error (runtime, naming the file): cannot create it.
    Status open(const std::string& path, std::ostream& std_out, const char* what);
    bool is_open() const { return s_ != nullptr; }
    std::ostream& stream() { return *s_; }
    // Flushes; error (naming the file) when a write failed.
    Status finish();

private:
    std::ofstream file_;
    std::ostream* s_ = nullptr;
    std::string path_;
};

} // namespace vpcfw
