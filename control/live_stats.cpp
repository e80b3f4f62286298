// Live-run counters as JSON, Prometheus text, stats line and stop summary; the metrics
// endpoint (control/live_stats.hpp).
#include "control/live_stats.hpp"

#include <cerrno>
#include <cstring>
#include <iomanip>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using nlohmann::json;

namespace vpcfw {

json stats_json(const LiveCounters& c) {
    json j;
    const PipelineCounters& pc = c.pipeline;
    for (const auto& f : kPipelineCounterFields) j[f.name] = pc.*f.member;
    j["dropped"] = pc.dropped_total();
    json by = json::object();
    for (size_t l = 0; l < kLayerCount; ++l)
        if (pc.dropped[l]) by[kLayerNames[l]] = pc.dropped[l];
    j["dropped_by_layer"] = by;
    for (const auto& f : kWorkerCounterNames) j[f.name] = c.worker.*f.member;
    j["ruleset_version"] = c.ruleset_version;
    j["publishes"] = c.publishes;
    j["workers"] = c.workers;
    json ports = json::array();
    for (const auto& p : c.ports)
        ports.push_back({{"port", p.label}, {"ipackets", p.ipackets}, {"opackets", p.opackets},
                         {"imissed", p.imissed}, {"ierrors", p.ierrors}, {"oerrors", p.oerrors},
                         {"learned_macs", p.learned_macs}});
    j["ports"] = ports;
    return j;
}

std::string prometheus_text(const LiveCounters& c) {
    json j = stats_json(c);
    std::ostringstream o;
    auto metric = [&](const std::string& name, const char* type, const std::string& help) {
        o << "# HELP vpcfw_" << name << " " << help << "\n# TYPE vpcfw_" << name << " " << type << "\n";
    };
    for (const auto& f : kPipelineCounterFields) {
        if (f.kind == CounterKind::Counter) {
            metric(std::string(f.name) + "_total", "counter", f.help);
            o << "vpcfw_" << f.name << "_total " << j[f.name] << "\n";
        } else {
            metric(f.name, "gauge", f.help);
            o << "vpcfw_" << f.name << " " << j[f.name] << "\n";
        }
    }
    metric("dropped_total", "counter", "packets dropped, by layer");
    for (size_t l = 1; l < kLayerCount; ++l) {
        uint64_t v = j["dropped_by_layer"].value(kLayerNames[l], uint64_t{0});
        o << "vpcfw_dropped_total{layer=\"" << kLayerNames[l] << "\"} " << v << "\n";
    }
    for (const auto& w : kWorkerCounterNames) {
        metric(std::string(w.name) + "_total", "counter", w.help);
        o << "vpcfw_" << w.name << "_total " << j[w.name] << "\n";
    }
    metric("port_packets_total", "counter", "frames per port and direction (ethdev statistics)");
    for (const auto& p : j["ports"]) {
        std::string esc = prometheus_label(p["port"].get<std::string>());
        o << "vpcfw_port_packets_total{port=\"" << esc << "\",direction=\"rx\"} " << p["ipackets"] << "\n";
        o << "vpcfw_port_packets_total{port=\"" << esc << "\",direction=\"tx\"} " << p["opackets"] << "\n";
    }
    return o.str();
}

std::string prometheus_label(const std::string& value) {
    std::string esc;
    for (char ch : value) {
        if (ch == '\\') esc += "\\\\";
        else if (ch == '"') esc += "\\\"";
        else if (ch == '\n') esc += "\\n";
        else esc += ch;
    }
    return esc;
}

std::string stats_line(const LiveCounters& c, double elapsed) {
    json j = stats_json(c);
    std::ostringstream o;
    o << std::fixed << std::setprecision(1) << "[" << elapsed << "s] packets " << j["packets"] << " accepted " << j["accepted"]
      << " dropped " << j["dropped"];
    for (auto& [layer, n] : j["dropped_by_layer"].items()) o << " " << layer << "=" << n;
    o << " forwarded " << j["forwarded"] << " arp " << j["arp_replies"] << " nd " << j["nd_replies"] << " conntrack "
      << j["conntrack_entries"] << " version " << j["ruleset_version"] << "\n";
    return o.str();
}

std::string stop_summary(const LiveCounters& c, double elapsed) {
    json j = stats_json(c);
    std::ostringstream o;
    o << "vpcfw run: stopped after " << std::fixed << std::setprecision(1) << elapsed << " s\n";
    o << "  packets " << j["packets"] << " (" << j["bytes"] << " bytes), accepted " << j["accepted"] << ", dropped "
      << j["dropped"] << "\n";
    for (auto& [layer, n] : j["dropped_by_layer"].items()) o << "    dropped at " << layer << ": " << n << "\n";
    for (const auto& w : kWorkerCounterNames)
        if (j[w.name].get<uint64_t>()) o << "  " << w.name << " " << j[w.name] << "\n";
    for (const auto& p : j["ports"])
        o << "  port " << p["port"].get<std::string>() << ": rx " << p["ipackets"] << " tx " << p["opackets"] << " missed "
          << p["imissed"] << "\n";
    o << "  ruleset version " << j["ruleset_version"] << " (" << j["publishes"] << " live updates)\n";
    return o.str();
}

// ---- the metrics endpoint ----------------------------------------------------------------

Status MetricsEndpoint::listen(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0)
        return make_error("--metrics-port " + std::to_string(port) + ": cannot listen on 127.0.0.1: " + std::strerror(errno));
    return {};
}

std::string metrics_http_response(const std::string& request, const std::function<std::string()>& body_of) {
    auto reply = [](const char* status, const std::string& type, const std::string& body, bool head) {
        return std::string("HTTP/1.0 ") + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + (head ? "" : body);
    };
    size_t eol = request.find("\r\n");
    if (eol == std::string::npos) eol = request.find('\n');
    std::istringstream line(request.substr(0, eol));
    std::string method, target, version;
    if (eol == std::string::npos || !(line >> method >> target >> version) || version.rfind("HTTP/1.", 0) != 0)
        return reply("400 Bad Request", "text/plain", "bad request\n", false);
    std::string path = target.substr(0, target.find('?'));
    if (path != "/metrics") return reply("404 Not Found", "text/plain", "not found: only /metrics is served\n", method == "HEAD");
    if (method != "GET" && method != "HEAD")
        return reply("405 Method Not Allowed", "text/plain", "only GET and HEAD\n", false);
    return reply("200 OK", "text/plain; version=0.0.4", body_of(), method == "HEAD");
}

void MetricsEndpoint::serve(const std::function<std::string()>& body_of, const std::atomic<bool>& stopping) {
    while (!stopping.load()) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        // The request line (what the answer depends on) within a second and 2 KiB.
        std::string request;
        char buf[2048];
        for (int tries = 0; tries < 5 && request.find('\n') == std::string::npos && request.size() < sizeof buf; ++tries) {
            pollfd q{fd, POLLIN, 0};
            if (poll(&q, 1, 200) <= 0) continue;
            ssize_t n = read(fd, buf, sizeof buf - request.size());
            if (n <= 0) break;
            request.append(buf, static_cast<size_t>(n));
        }
        std::string resp = metrics_http_response(request, body_of);
        // A client that stops reading holds the endpoint one second at most; one that is
        // gone is an error here, not a SIGPIPE.
        timeval one_second{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &one_second, sizeof one_second);
        for (size_t off = 0; off < resp.size();) {
            ssize_t n = send(fd, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
            if (n <= 0) break;
            off += static_cast<size_t>(n);
        }
        ::close(fd);
    }
}

void MetricsEndpoint::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

} // namespace vpcfw
