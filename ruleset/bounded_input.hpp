// Bounded input: every file and JSON text vpcfw reads from a user or a client goes through
// here. A file must be a regular file (not a FIFO, device, socket or directory) no larger
// than a limit, and is read with that bound; JSON is parsed with a nesting-depth limit, so
// that no input can block a reader, exhaust memory or overflow the stack. Errors name the
// limit. Cold path; stateless functions, safe from any thread.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ruleset/status.hpp"

namespace vpcfw {

// The largest network, scenario or other input file read whole (1 GiB).
inline constexpr size_t kMaxInputFileBytes = size_t{1} << 30;
// The deepest JSON nesting accepted anywhere (objects and arrays; AWS's own output
// nests fewer than 10 levels).
inline constexpr int kMaxJsonDepth = 128;

// "16 MiB", "1 GiB", "512 bytes": a limit as people read it.
std::string byte_size_text(size_t bytes);

// Why `path` cannot be read as an input file, or "" if it is a regular file: "a FIFO, not
// a regular file", "a directory, not a file", ... Does not open the file (no blocking).
std::string not_a_regular_file(const std::string& path);

// The whole content of the regular file `path`, at most `max_bytes`. Error (naming the
// file): missing or unreadable, not a regular file (checked on the opened descriptor,
// which is opened without blocking, so a FIFO is refused at once), or larger than the
// limit ("over the 1 GiB limit for input files").
Result<std::string> read_input_file(const std::string& path, size_t max_bytes = kMaxInputFileBytes);

// Thrown by parse_json_bounded when the input nests deeper than the limit.
class JsonTooDeep : public std::runtime_error {
public:
    explicit JsonTooDeep(int limit);
};

// nlohmann::json::parse with a nesting-depth limit: throws json::parse_error as parse does
// for malformed text, and JsonTooDeep ("JSON nests deeper than the limit of 128 levels")
// before building anything deeper than `max_depth`.
nlohmann::json parse_json_bounded(std::string_view text, int max_depth = kMaxJsonDepth);

} // namespace vpcfw
