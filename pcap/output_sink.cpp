// OutputSink (pcap/output_sink.hpp).
#include "pcap/output_sink.hpp"

#include <ostream>

namespace vpcfw {

Status OutputSink::open(const std::string& path, std::ostream& std_out, const char* what) {
    path_ = path;
    if (is_stdout_path(path)) {
        s_ = &std_out;
        return {};
    }
    file_.open(path, std::ios::binary);
    if (!file_) {
        Error e{std::string("cannot create the ") + what + " file", {}, path, {}};
        e.kind = ErrorKind::Runtime;
        return e;
    }
    s_ = &file_;
    return {};
}

Status OutputSink::finish() {
    if (!s_) return {};
    s_->flush();
    if (!*s_) {
        Error e{"write failed", {}, is_stdout_path(path_) ? std::string("standard output") : path_, {}};
        e.kind = ErrorKind::Runtime;
        return e;
    }
    return {};
}

} // namespace vpcfw
