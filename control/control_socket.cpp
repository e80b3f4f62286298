// The control-socket protocol and its Unix socket server (control/control_socket.hpp).
#include "control/control_socket.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ruleset/bounded_input.hpp"
#include "ruleset/output_text.hpp"
#include "ruleset/reference.hpp"

using nlohmann::json;

namespace vpcfw {

namespace {

std::string refusal(const std::string& why) { return json_text(json{{"ok", false}, {"error", why}}); }

std::string failure(const Error& e) {
    json r = {{"ok", false}, {"error", e.message}};
    if (!e.code.empty()) r["code"] = e.code;
    return json_text(r);
}

std::string published(const Result<Published>& p) {
    if (!p) return failure(p.error());
    return json_text(json{{"ok", true}, {"applied", p->applied}, {"version", p->version}, {"compile_ms", p->compile_ms},
                          {"publish_ms", p->publish_ms}});
}

std::string reply(LiveControl& live, const std::string& line) {
    json req;
    try {
        req = parse_json_bounded(line);
    } catch (const std::exception& e) {  // malformed, or deeper than kMaxJsonDepth
        return refusal(std::string("not a JSON request: ") + e.what());
    }
    std::string cmd = req.value("cmd", "");
    if (cmd == "stats") return json_text(json{{"ok", true}, {"stats", live.stats()}});
    if (cmd == "apply") {
        // The parameters by reference: a request tree is never copied.
        static const json kNoParams = json::object();
        const json& params = req.is_object() && req.contains("params") ? req["params"] : kNoParams;
        return published(live.apply(req.value("action", ""), params));
    }
    if (cmd == "reload") return published(live.reload(req.value("network", "")));
    if (cmd == "flows") {
        json r = live.flows();
        r["ok"] = true;
        return json_text(r);
    }
    if (cmd == "explain") {
        auto pk = parse_packet(req.value("packet", ""));
        if (!pk) return refusal(pk.error().message);
        Decision d = live.explain(*pk, req.value("from", "auto"));
        return json_text(json{{"ok", true}, {"text", decision_text(d)}, {"decision", decision_json(d)}});
    }
    return refusal("unknown command '" + cmd + "' (apply, reload, stats, flows, explain)");
}

using Clock = std::chrono::steady_clock;

// One connected client: its request as read so far, then its reply as sent so far.
struct Client {
    int fd = -1;
    std::string in;
    size_t scanned = 0;          // bytes of `in` known to hold no newline
    std::string out;
    size_t sent = 0;
    bool replying = false;       // `out` holds the reply; no more reading
    Clock::time_point deadline;
};

// Sends what the client will take now; true when the whole reply is out (or the client is
// gone: nothing more to do for it either way).
bool send_some(Client& c) {
    while (c.sent < c.out.size()) {
        ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c.sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
        return true;  // EPIPE, ECONNRESET, ...: the client left
    }
    return true;
}

void start_reply(Client& c, std::string line, const ControlLimits& limits) {
    c.out = std::move(line) + "\n";
    c.sent = 0;
    c.replying = true;
    c.in.clear();
    c.in.shrink_to_fit();
    c.deadline = Clock::now() + std::chrono::milliseconds(limits.deadline_ms);
}

// Reads what the client sent; when a request line is complete (or the client ended it or
// went over the limit), prepares the reply. False when the client is to be closed.
bool read_some(Client& c, LiveControl& live, const ControlLimits& limits) {
    // Never more than one byte past the limit: enough to know the request is too long.
    size_t room = limits.max_request + 1 - std::min(c.in.size(), limits.max_request);
    size_t want = std::min<size_t>(room, 65536);
    size_t old = c.in.size();
    c.in.resize(old + want);
    ssize_t n = recv(c.fd, c.in.data() + old, want, MSG_DONTWAIT);
    if (n < 0) {
        c.in.resize(old);
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    c.in.resize(old + static_cast<size_t>(n));
    size_t nl = c.in.find('\n', c.scanned);
    if (nl != std::string::npos && nl <= limits.max_request) {
        start_reply(c, control_reply(live, c.in.substr(0, nl)), limits);
        return true;
    }
    c.scanned = c.in.size();
    if (c.in.size() > limits.max_request) {
        start_reply(c, refusal("request over the " + byte_size_text(limits.max_request) +
                               " limit (vpcfw run --control-max-request); nothing done"), limits);
        return true;
    }
    if (n == 0) {
        // The client ended its side: what it sent, without a newline, is its request.
        if (c.in.empty()) return false;
        start_reply(c, control_reply(live, c.in), limits);
    }
    return true;
}

void close_client(Client& c) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
}

} // namespace

std::string control_reply(LiveControl& live, const std::string& request) {
    try {
        return reply(live, request);
    } catch (const std::exception& e) {
        return refusal(std::string("internal error: ") + e.what());
    }
}

// ---- the socket ----------------------------------------------------------------------------

Status ControlSocket::listen(const std::string& path, ControlLimits limits) {
    limits_ = limits;
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
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
    if (rc != 0 || ::listen(fd_, 64) != 0) return make_error("--control " + path + ": cannot listen: " + std::strerror(errno));
    chmod(path.c_str(), 0600);
    return {};
}

void ControlSocket::serve(LiveControl& live, const std::atomic<bool>& stopping) {
    std::vector<Client> clients;
    std::vector<pollfd> fds;
    const auto deadline = std::chrono::milliseconds(limits_.deadline_ms);
    while (!stopping.load()) {
        // Wake for the listener, each client's next step, the nearest deadline, or every
        // 200 ms to see `stopping`.
        fds.assign(1, pollfd{fd_, POLLIN, 0});
        auto now = Clock::now();
        int timeout = 200;
        for (const Client& c : clients) {
            fds.push_back(pollfd{c.fd, static_cast<short>(c.replying ? POLLOUT : POLLIN), 0});
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - now).count();
            timeout = static_cast<int>(std::clamp<long long>(left + 1, 0, timeout));
        }
        if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
        for (size_t i = 0; i < clients.size(); ++i) {
            Client& c = clients[i];
            short ev = fds[i + 1].revents;
            if (!ev) continue;
            if (!c.replying && !read_some(c, live, limits_)) {
                close_client(c);
                continue;
            }
            if (c.replying && send_some(c)) close_client(c);
        }
        now = Clock::now();
        for (Client& c : clients) {
            if (c.fd < 0 || now < c.deadline) continue;
            if (!c.replying) {
                // Too slow to send its request: told so (best effort), then closed.
                std::string limit = limits_.deadline_ms % 1000 ? std::to_string(limits_.deadline_ms) + " ms"
                                                               : std::to_string(limits_.deadline_ms / 1000) + " s";
                start_reply(c, refusal("no complete request line within " + limit + " (the control socket's per-client deadline)"),
                            limits_);
                send_some(c);
            }
            close_client(c);
        }
        std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
        if (fds[0].revents & POLLIN) {
            for (int k = 0; k < 64; ++k) {
                int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) break;
                Client c;
                c.fd = fd;
                c.deadline = Clock::now() + deadline;
                if (clients.size() >= limits_.max_clients) {
                    start_reply(c, refusal("too many clients: the control socket serves " + std::to_string(limits_.max_clients) +
                                           " at a time; try again"), limits_);
                    send_some(c);
                    close_client(c);
                    continue;
                }
                clients.push_back(std::move(c));
            }
        }
    }
    for (Client& c : clients) close_client(c);
}

void ControlSocket::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        unlink(path_.c_str());
    }
    fd_ = -1;
}

} // namespace vpcfw
