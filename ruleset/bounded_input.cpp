// Bounded input (ruleset/bounded_input.hpp): regular files read with a size bound, JSON
// parsed with a depth limit.
#include "ruleset/bounded_input.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vpcfw {

std::string byte_size_text(size_t bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    while (u + 1 < std::size(units) && bytes >= 1024 && bytes % 1024 == 0) bytes /= 1024, ++u;
    return std::to_string(bytes) + " " + units[u];
}

namespace {

const char* kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory, not a file";
    if (S_ISFIFO(m)) return "a FIFO, not a regular file";
    if (S_ISCHR(m)) return "a character device, not a regular file";
    if (S_ISBLK(m)) return "a block device, not a regular file";
    if (S_ISSOCK(m)) return "a socket, not a regular file";
    if (!S_ISREG(m)) return "not a regular file";
    return "";
}

Error file_error(const std::string& path, std::string message) { return Error{std::move(message), {}, path, {}}; }

std::string over_limit(size_t max_bytes) { return "over the " + byte_size_text(max_bytes) + " limit for input files"; }

} // namespace

std::string not_a_regular_file(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return {};
    return kind_of(st.st_mode);
}

Result<std::string> read_input_file(const std::string& path, size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO with no writer must not wait for one.
    int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT) return file_error(path, "no such file or directory");
        return file_error(path, std::string("cannot read the file: ") + std::strerror(errno));
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return file_error(path, std::string("cannot read the file: ") + std::strerror(e));
    }
    if (std::string kind = kind_of(st.st_mode); !kind.empty()) {
        close(fd);
        return file_error(path, kind);
    }
    if (static_cast<unsigned long long>(st.st_size) > max_bytes) {
        close(fd);
        return file_error(path, std::to_string(st.st_size) + " bytes, " + over_limit(max_bytes));
    }
    std::string text;
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    for (;;) {
        if (got == text.size()) {
            if (text.size() > max_bytes) break;  // the file grew past the limit while read
            text.resize(std::min(max_bytes + 1, text.size() + 65536));
        }
        ssize_t n = read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return file_error(path, std::string("error while reading the file: ") + std::strerror(e));
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    close(fd);
    if (got > max_bytes) return file_error(path, over_limit(max_bytes));
    text.resize(got);
    return text;
}

JsonTooDeep::JsonTooDeep(int limit)
    : std::runtime_error("JSON nests deeper than the limit of " + std::to_string(limit) + " levels") {}

nlohmann::json parse_json_bounded(std::string_view text, int max_depth) {
    // One pass over the bytes first: the nesting of [ and { outside strings (0 levels at the
    // top, so the top-level value is level 1). Nothing deeper than the limit is ever built.
    // Not a parser callback: nlohmann's callback parser scans the parent of every closed
    // object for discarded values, O(n^2) for an array of n objects (32,766 NACL entries
    // took minutes).
    int depth = 0;
    bool inString = false, escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') inString = false;
            continue;
        }
        if (c == '"') inString = true;
        else if (c == '[' || c == '{') {
            if (++depth > max_depth) throw JsonTooDeep(max_depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return nlohmann::json::parse(text);
}

} // namespace vpcfw
