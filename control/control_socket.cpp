// The control-socket protocol and its Unix socket server (control/control_socket.hpp).
#include "control/control_socket.hpp"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ruleset/reference.hpp"

using nlohmann::json;

namespace vpcfw {

namespace {

std::string failure(const Error& e) {
    json r = {{"ok", false}, {"error", e.message}};
    if (!e.code.empty()) r["code"] = e.code;
    return r.dump();
}

std::string published(const Result<Published>& p) {
    if (!p) return failure(p.error());
    return json{{"ok", true}, {"applied", p->applied}, {"version", p->version}, {"compile_ms", p->compile_ms},
                {"publish_ms", p->publish_ms}}
        .dump();
}

std::string reply(LiveControl& live, const std::string& line) {
    json req;
    try {
        req = json::parse(line);
    } catch (const std::exception& e) {
        return json{{"ok", false}, {"error", std::string("not a JSON request: ") + e.what()}}.dump();
    }
    std::string cmd = req.value("cmd", "");
    if (cmd == "stats") return json{{"ok", true}, {"stats", live.stats()}}.dump();
    if (cmd == "apply") return published(live.apply(req.value("action", ""), req.value("params", json::object())));
    if (cmd == "reload") return published(live.reload(req.value("network", "")));
    if (cmd == "flows") {
        json r = live.flows();
        r["ok"] = true;
        return r.dump();
    }
    if (cmd == "explain") {
        auto pk = parse_packet(req.value("packet", ""));
        if (!pk) return json{{"ok", false}, {"error", pk.error().message}}.dump();
        Decision d = live.explain(*pk, req.value("from", "auto"));
        return json{{"ok", true}, {"text", decision_text(d)}, {"decision", decision_json(d)}}.dump();
    }
    return json{{"ok", false}, {"error", "unknown command '" + cmd + "' (apply, reload, stats, flows, explain)"}}.dump();
}

} // namespace

std::string control_reply(LiveControl& live, const std::string& request) {
    try {
        return reply(live, request);
    } catch (const std::exception& e) {
        return json{{"ok", false}, {"error", std::string("internal error: ") + e.what()}}.dump();
    }
}

// ---- the socket ----------------------------------------------------------------------------

Status ControlSocket::listen(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return make_error("--control " + path + ": path too long");
    path_ = path;
    std::strcpy(addr.sun_path, path.c_str());
    unlink(path.c_str());
    // Owner only, from the moment it exists: the umask covers the bind.
    mode_t old = umask(0177);
    int rc = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    umask(old);
    if (rc != 0 || ::listen(fd_, 8) != 0) return make_error("--control " + path + ": cannot listen: " + std::strerror(errno));
    chmod(path.c_str(), 0600);
    return {};
}

void ControlSocket::serve(LiveControl& live, const std::atomic<bool>& stopping) {
    while (!stopping.load()) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        std::string line;
        char buf[4096];
        while (line.find('\n') == std::string::npos) {
            pollfd q{fd, POLLIN, 0};
            if (poll(&q, 1, 5000) <= 0) break;
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0) break;
            line.append(buf, static_cast<size_t>(n));
        }
        std::string out = control_reply(live, line.substr(0, line.find('\n'))) + "\n";
        for (size_t off = 0; off < out.size();) {
            ssize_t n = write(fd, out.data() + off, out.size() - off);
            if (n <= 0) break;
            off += static_cast<size_t>(n);
        }
        ::close(fd);
    }
}

void ControlSocket::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        unlink(path_.c_str());
    }
    fd_ = -1;
}

} // namespace vpcfw
