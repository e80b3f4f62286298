// The control socket's server (control/control_socket.hpp) under hostile clients, against
// a fake live run over a real Unix socket: a client that closes before its reply (no
// SIGPIPE: this test process would die of it), an idle client that must not delay another
// one, an oversized request, a client past its deadline, more clients than the limit.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/control_socket.hpp"
#include "control/ctl.hpp"

using namespace vpcfw;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

class SlowStatsLive : public LiveControl {
public:
    json stats() override { return {{"packets", 7}}; }
    Result<Published> apply(const std::string& a, const json&) override { return Published{a, 2, 0, 0}; }
    Result<Published> reload(const std::string&) override { return make_error("no"); }
    json flows() override { return {{"flows", json::array()}}; }
    Decision explain(const Packet&, const std::string&) override { return {}; }
};

// A server on a fresh socket path, stopped and removed at the end of the test.
struct Server {
    SlowStatsLive live;
    ControlSocket sock;
    std::atomic<bool> stopping{false};
    std::thread thread;
    std::string path;

    explicit Server(ControlLimits limits = {}) {
        static int n = 0;
        path = (std::filesystem::temp_directory_path() /
                ("vpcfw-ctl-limits-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".sock")).string();
        EXPECT_TRUE(sock.listen(path, limits));
        thread = std::thread([this] { sock.serve(live, stopping); });
    }
    ~Server() {
        stopping = true;
        thread.join();
        sock.close();
    }
};

int connect_to(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    return fd;
}

// Everything the server sends until it closes (or `ms` pass).
std::string read_all(int fd, int ms = 5000) {
    std::string got;
    char buf[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, ms) <= 0) break;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
    }
    return got;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

} // namespace

TEST(ControlSocketLimits, ClientClosingBeforeItsReplyIsNoSigpipe) {
    Server s;
    // Each client is gone before the server writes its reply: EPIPE, never SIGPIPE.
    for (int i = 0; i < 50; ++i) {
        int fd = connect_to(s.path);
        std::string req = "{\"cmd\":\"stats\"}\n";
        ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
        close(fd);
    }
    // Still alive and serving (once the burst, partly refused as over the client limit,
    // has been dealt with).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CtlReply r = ctl_request(s.path, R"({"cmd":"stats"})", 5000);
    ASSERT_TRUE(r.connected) << r.line;
    EXPECT_EQ(json::parse(r.line)["stats"]["packets"], 7) << r.line;
}

TEST(ControlSocketLimits, AnIdleClientDoesNotDelayAnother) {
    Server s;
    int idle = connect_to(s.path);
    ASSERT_EQ(send(idle, "{\"cmd\"", 6, MSG_NOSIGNAL), 6);  // and then nothing
    auto t = Clock::now();
    CtlReply r = ctl_request(s.path, R"({"cmd":"stats"})", 5000);
    EXPECT_LT(seconds_since(t), 1.0);
    ASSERT_TRUE(r.connected);
    EXPECT_EQ(json::parse(r.line)["ok"], true) << r.line;
    close(idle);
}

TEST(ControlSocketLimits, OversizedRequestIsRefusedNamingTheLimit) {
    ControlLimits limits;
    limits.max_request = 1 << 20;
    Server s(limits);
    int fd = connect_to(s.path);
    auto t = Clock::now();
    // 8 MiB without a newline, sent by a thread (the server stops reading at the limit).
    std::thread writer([fd] {
        std::string chunk(1 << 16, 'x');
        for (int i = 0; i < 128; ++i)
            if (send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;
    });
    std::string got = read_all(fd);
    writer.join();
    close(fd);
    EXPECT_LT(seconds_since(t), 2.0);
    ASSERT_FALSE(got.empty());
    json r = json::parse(got);
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["error"], "request over the 1 MiB limit (vpcfw run --control-max-request); nothing done");
    // A request of exactly the limit is still read.
    std::string big = R"({"cmd":"stats","pad":")";
    big += std::string(limits.max_request - big.size() - 2, 'y') + "\"}";
    ASSERT_EQ(big.size(), limits.max_request);
    CtlReply ok = ctl_request(s.path, big, 5000);
    EXPECT_EQ(json::parse(ok.line)["ok"], true) << ok.line.substr(0, 200);
}

TEST(ControlSocketLimits, SlowClientIsToldItsDeadline) {
    ControlLimits limits;
    limits.deadline_ms = 300;
    Server s(limits);
    int fd = connect_to(s.path);
    ASSERT_EQ(send(fd, "{", 1, MSG_NOSIGNAL), 1);
    auto t = Clock::now();
    std::string got = read_all(fd);
    close(fd);
    EXPECT_LT(seconds_since(t), 2.0);
    json r = json::parse(got);
    EXPECT_EQ(r["error"], "no complete request line within 300 ms (the control socket's per-client deadline)");
}

TEST(ControlSocketLimits, ClientsOverTheLimitAreRefused) {
    ControlLimits limits;
    limits.max_clients = 2;
    Server s(limits);
    int a = connect_to(s.path), b = connect_to(s.path);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // both accepted
    int c = connect_to(s.path);
    json r = json::parse(read_all(c));
    EXPECT_EQ(r["error"], "too many clients: the control socket serves 2 at a time; try again");
    close(a);
    close(b);
    close(c);
    // The two slots come back once those clients are gone.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CtlReply ok = ctl_request(s.path, R"({"cmd":"stats"})", 5000);
    EXPECT_EQ(json::parse(ok.line)["ok"], true) << ok.line;
}
