// `vpcfw ctl`, the client of a live run's control socket (control/ctl.hpp): builds one
// request line from the command line, sends it (MSG_NOSIGNAL: a server gone is an error,
// not a SIGPIPE), and prints the reply.
#include "control/ctl.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ruleset/bounded_input.hpp"
#include "ruleset/status.hpp"
#include "ruleset/output_text.hpp"

using nlohmann::json;

namespace vpcfw {

CtlReply ctl_request(const std::string& path, const std::string& request, int timeout_ms) {
    CtlReply r;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        close(fd);
        r.line = path + ": path too long";
        return r;
    }
    std::strcpy(addr.sun_path, path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        r.line = path + ": cannot connect: " + std::strerror(errno) + " (is `vpcfw run --control " + path + "` running?)";
        close(fd);
        return r;
    }
    std::string msg = request + "\n";
    for (size_t off = 0; off < msg.size();) {
        ssize_t n = send(fd, msg.data() + off, msg.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    std::string line;
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0) break;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    r.connected = true;
    while (!line.empty() && line.back() == '\n') line.pop_back();
    r.line = line;
    return r;
}

int cmd_ctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    const char* help =
        "vpcfw ctl --control PATH COMMAND [ARGS]\n\n"
        "Talks to a running `vpcfw run --control PATH`:\n"
        "  apply ACTION JSON   an AWS EC2 action with its request parameters, e.g.\n"
        "                      apply RevokeSecurityGroupIngress '{\"GroupId\":\"sg-1\",\"IpPermissions\":[...]}'\n"
        "                      (refused as AWS would: the error code, nothing changes; exit 1)\n"
        "  reload NET          load and publish a new network file or directory\n"
        "  stats               counters as JSON\n"
        "  flows               the workers' recent flows as JSON lines\n"
        "  explain [--from ORIGIN] PACKET\n"
        "                      the live rules' decision for a packet, hop by hop\n"
        "Changes are atomic: compiled off the workers, published with one pointer swap.\n";
    std::string path;
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--help" || args[i] == "-h") {
            out << help;
            return kExitOk;
        }
        if (args[i] == "--control" && i + 1 < args.size()) {
            path = args[++i];
        } else if (args[i].rfind("--control=", 0) == 0) {
            path = args[i].substr(10);
        } else {
            rest.push_back(args[i]);
        }
    }
    if (path.empty() || rest.empty()) {
        err << "vpcfw ctl: usage: vpcfw ctl --control PATH apply ACTION JSON | reload NET | stats | flows | explain PACKET\n";
        return kExitUsage;
    }
    json req;
    const std::string& cmd = rest[0];
    if (cmd == "apply") {
        if (rest.size() != 3) {
            err << "vpcfw ctl: apply ACTION JSON (the parameters as one JSON argument)\n";
            return kExitUsage;
        }
        try {
            req = {{"cmd", "apply"}, {"action", rest[1]}, {"params", parse_json_bounded(rest[2])}};
        } catch (const std::exception& e) {
            err << "vpcfw ctl: apply " << rest[1] << ": the parameters are not JSON: " << e.what() << "\n";
            return kExitUsage;
        }
    } else if (cmd == "reload") {
        if (rest.size() != 2) {
            err << "vpcfw ctl: reload NET\n";
            return kExitUsage;
        }
        char* abs = realpath(rest[1].c_str(), nullptr);
        if (!abs) {
            err << "vpcfw ctl: reload: " << rest[1] << ": " << std::strerror(errno) << "\n";
            return kExitUsage;
        }
        req = {{"cmd", "reload"}, {"network", std::string(abs)}};
        free(abs);
    } else if (cmd == "stats" || cmd == "flows") {
        req = {{"cmd", cmd}};
    } else if (cmd == "explain") {
        std::string from = "auto", packet;
        for (size_t i = 1; i < rest.size(); ++i) {
            if (rest[i] == "--from" && i + 1 < rest.size())
                from = rest[++i];
            else
                packet += (packet.empty() ? "" : " ") + rest[i];
        }
        req = {{"cmd", "explain"}, {"packet", packet}, {"from", from}};
    } else {
        err << "vpcfw ctl: unknown command '" << cmd << "' (apply, reload, stats, flows, explain)\n";
        return kExitUsage;
    }
    CtlReply r = ctl_request(path, json_text(req));
    if (!r.connected) {
        err << "vpcfw ctl: " << r.line << "\n";
        return kExitRuntime;
    }
    json reply;
    try {
        reply = parse_json_bounded(r.line);
    } catch (const std::exception&) {
        err << "vpcfw ctl: no reply from " << path << "\n";
        return kExitRuntime;
    }
    if (!reply.value("ok", false)) {
        std::string code = reply.value("code", "");
        err << "vpcfw ctl: " << cmd << ": " << printable_text((code.empty() ? "" : code + ": ") + reply.value("error", "")) << "\n";
        return kExitFail;
    }
    if (cmd == "stats") {
        out << json_text(reply["stats"], 2) << "\n";
    } else if (cmd == "flows") {
        // One JSON object per line: recent flows, then connection-tracking entries, then
        // NAT mappings, each tagged with its kind.
        for (auto f : reply["flows"]) f["kind"] = "flow", out << json_text(f) << "\n";
        for (auto c : reply.value("connections", json::array())) c["kind"] = "conntrack", out << json_text(c) << "\n";
        for (auto n : reply.value("nat", json::array())) n["kind"] = "nat", out << json_text(n) << "\n";
    } else if (cmd == "explain") {
        std::string text = printable_text(reply["text"].get<std::string>());
        out << text;
        if (!text.empty() && text.back() != '\n') out << "\n";
    } else {
        out << reply.value("applied", "") << ": ruleset version " << reply["version"] << " live (compile "
            << std::fixed << std::setprecision(1) << reply.value("compile_ms", 0.0) << " ms, publish "
            << reply.value("publish_ms", 0.0) << " ms)\n";
    }
    return kExitOk;
}

} // namespace vpcfw
