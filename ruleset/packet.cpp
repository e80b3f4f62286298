// The packet language of docs/interface.md: parsing and printing. Cold path.
#include "ruleset/packet.hpp"

#include "ruleset/app_payload.hpp"

#include <charconv>
#include <vector>

namespace vpcfw {

static std::vector<std::string_view> split_ws(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        size_t j = i;
        bool quoted = false;   // payload="a b": a quoted value is one token
        while (j < s.size() && (quoted || (s[j] != ' ' && s[j] != '\t'))) {
            if (s[j] == '\\' && quoted && j + 1 < s.size()) {
                j += 2;
                continue;
            }
            if (s[j] == '"') quoted = !quoted;
            ++j;
        }
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

static bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out <= max;
}

static Error perr(std::string_view text, std::string msg) {
    return make_error("packet '" + std::string(text) + "': " + msg);
}

// "10.0.0.1:80", "[2001:db8::1]:80", "10.0.0.1", "[2001:db8::1]", "2001:db8::1"
static bool parse_endpoint(std::string_view s, IpAddr& addr, std::optional<uint16_t>& port) {
    port.reset();
    std::string_view host = s;
    std::string_view portText;
    if (!s.empty() && s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string_view::npos) return false;
        host = s.substr(1, close - 1);
        auto rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':' || rest.size() < 2) return false;
            portText = rest.substr(1);
        }
    } else {
        auto colon = s.find(':');
        if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
            host = s.substr(0, colon);
            portText = s.substr(colon + 1);
            if (portText.empty()) return false;
        }
    }
    auto a = IpAddr::parse(host);
    if (!a) return false;
    addr = *a;
    if (!portText.empty()) {
        uint64_t v;
        if (!parse_uint(portText, 65535, v)) return false;
        port = static_cast<uint16_t>(v);
    }
    return true;
}

Result<uint8_t> parse_tcp_flags(std::string_view letters) {
    static constexpr std::string_view kLetters = "FSRPAUEC";
    if (letters == "0") return uint8_t{0};  // no flags, as tcp_flags_str prints it
    uint8_t f = 0;
    for (char c : letters) {
        auto pos = kLetters.find(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
        if (pos == std::string_view::npos)
            return make_error(std::string("unknown TCP flag '") + c + "' (use letters FSRPAUEC)");
        f |= static_cast<uint8_t>(1u << pos);
    }
    return f;
}

std::string tcp_flags_str(uint8_t flags) {
    static constexpr const char* kLetters = "FSRPAUEC";
    std::string s;
    // Print in the conventional order S, A, F, R, P, U, E, C for readability.
    static constexpr int order[] = {1, 4, 0, 2, 3, 5, 6, 7};
    for (int bit : order)
        if (flags & (1u << bit)) s += kLetters[bit];
    return s.empty() ? "0" : s;
}

Result<Packet> parse_packet(std::string_view text) {
    auto tok = split_ws(text);
    if (tok.size() < 4 || tok[2] != "->")
        return perr(text, "expected 'PROTO SRC -> DST [key=value ...]'");
    Packet p;
    std::string_view proto = tok[0];
    if (proto == "tcp") p.proto = 6;
    else if (proto == "udp") p.proto = 17;
    else if (proto == "icmp") p.proto = 1;
    else if (proto == "icmpv6") p.proto = 58;
    else {
        uint64_t v;
        if (!parse_uint(proto, 255, v))
            return perr(text, "unknown protocol '" + std::string(proto) +
                                  "' (tcp, udp, icmp, icmpv6 or a number 0-255)");
        p.proto = static_cast<uint8_t>(v);
    }
    std::optional<uint16_t> sport, dport;
    if (!parse_endpoint(tok[1], p.src, sport))
        return perr(text, "bad source '" + std::string(tok[1]) + "'");
    if (!parse_endpoint(tok[3], p.dst, dport))
        return perr(text, "bad destination '" + std::string(tok[3]) + "'");
    if (p.src.family != p.dst.family) return perr(text, "source and destination differ in IP version");
    if (p.proto == 1 && !p.src.is_v4()) return perr(text, "icmp needs IPv4 addresses (use icmpv6)");
    if (p.proto == 58 && p.src.is_v4()) return perr(text, "icmpv6 needs IPv6 addresses");
    if (p.is_icmp()) p.icmp_type = p.proto == 1 ? 8 : 128;

    bool flagsGiven = false, lenGiven = false;
    std::string sni, host, query;
    for (size_t i = 4; i < tok.size(); ++i) {
        auto kv = tok[i];
        auto eq = kv.find('=');
        if (eq == std::string_view::npos) return perr(text, "expected key=value, got '" + std::string(kv) + "'");
        auto key = kv.substr(0, eq), val = kv.substr(eq + 1);
        uint64_t v = 0;
        auto num = [&](uint64_t max) -> bool { return parse_uint(val, max, v); };
        if (key == "flags") {
            auto f = parse_tcp_flags(val);
            if (!f) return perr(text, f.error().message);
            p.tcp_flags = *f;
            flagsGiven = true;
        } else if (key == "type") {
            if (!num(255)) return perr(text, "type= must be 0-255");
            p.icmp_type = static_cast<uint8_t>(v);
        } else if (key == "code") {
            if (!num(255)) return perr(text, "code= must be 0-255");
            p.icmp_code = static_cast<uint8_t>(v);
        } else if (key == "icmp-id") {
            if (!num(65535)) return perr(text, "icmp-id= must be 0-65535");
            p.icmp_id = static_cast<uint16_t>(v);
        } else if (key == "len") {
            if (!num(65535)) return perr(text, "len= must be 0-65535");
            p.payload_len = static_cast<uint32_t>(v);
            lenGiven = true;
        } else if (key == "payload" || key == "tls-sni" || key == "http-host" || key == "dns-query") {
            // docs/inspection.md §7: at most one payload key, not with len=.
            if (!p.payload_key.empty()) return perr(text, "at most one of payload=, tls-sni=, http-host=, dns-query=");
            if (val.empty() || val.size() > 4096) return perr(text, std::string(key) + "= needs a value of 1-4096 characters");
            p.payload_key = std::string(kv);
            if (key == "payload") {
                std::string bytes;
                if (val.substr(0, 4) == "hex:") {
                    auto hv = val.substr(4);
                    if (hv.empty() || hv.size() % 2) return perr(text, "payload=hex: needs an even number of hex digits");
                    for (size_t k = 0; k < hv.size(); k += 2) {
                        uint64_t b;
                        auto [q, ec] = std::from_chars(hv.data() + k, hv.data() + k + 2, b, 16);
                        if (ec != std::errc() || q != hv.data() + k + 2) return perr(text, "payload=hex: bad hex digit");
                        bytes += static_cast<char>(b);
                    }
                } else if (val.size() >= 2 && val.front() == '"' && val.back() == '"') {
                    for (size_t k = 1; k + 1 < val.size(); ++k) {
                        char ch = val[k];
                        if (ch != '\\') {
                            bytes += ch;
                            continue;
                        }
                        if (k + 2 >= val.size()) return perr(text, "payload: a lone \\ at the end");
                        char e = val[++k];
                        if (e == 'n') bytes += '\n';
                        else if (e == 'r') bytes += '\r';
                        else if (e == 't') bytes += '\t';
                        else if (e == '\\' || e == '"') bytes += e;
                        else if (e == 'x' && k + 2 < val.size()) {
                            uint64_t b;
                            auto [q, ec] = std::from_chars(val.data() + k + 1, val.data() + k + 3, b, 16);
                            if (ec != std::errc() || q != val.data() + k + 3) return perr(text, "payload: bad \\xHH escape");
                            bytes += static_cast<char>(b);
                            k += 2;
                        } else return perr(text, std::string("payload: unknown escape \\") + e);
                    }
                } else {
                    return perr(text, "payload= takes \"TEXT\" or hex:HEX");
                }
                if (bytes.empty()) return perr(text, "payload= is empty");
                p.payload = bytes;
            } else if (key == "tls-sni") {
                sni = std::string(val);
            } else if (key == "http-host") {
                host = std::string(val);
            } else {
                query = std::string(val);
            }
        } else if (key == "ttl") {
            if (!num(255)) return perr(text, "ttl= must be 0-255");
            p.ttl = static_cast<uint8_t>(v);
        } else if (key == "vlan") {
            if (!num(4095)) return perr(text, "vlan= must be 0-4095");
            p.vlan = static_cast<int>(v);
        } else if (key == "id") {
            if (!num(0xffffffffull)) return perr(text, "id= must be a 32-bit number");
            p.frag_id = static_cast<uint32_t>(v);
        } else if (key == "frag") {
            if (val == "first") p.frag = Frag::First;
            else if (val == "more") p.frag = Frag::More;
            else if (val == "last") p.frag = Frag::Last;
            else return perr(text, "frag= must be first, more or last");
        } else {
            return perr(text, "unknown key '" + std::string(key) + "'");
        }
    }
    if (p.src.is_v4() && p.frag_id > 0xffff && p.frag != Frag::None)
        return perr(text, "id= of an IPv4 fragment must be 0-65535");
    bool needPorts = (p.is_tcp() || p.is_udp()) && p.has_l4();
    if (needPorts) {
        if (!sport || !dport) return perr(text, "tcp/udp packets need SRC:PORT and DST:PORT");
        p.sport = *sport;
        p.dport = *dport;
    } else if (sport || dport) {
        return perr(text, p.has_l4() ? "ports are only for tcp and udp"
                                     : "non-first fragments carry no ports");
    }
    if (!p.is_tcp() && flagsGiven) return perr(text, "flags= is only for tcp");
    if (!p.is_tcp()) p.tcp_flags = 0;
    if (!p.payload_key.empty()) {
        if (lenGiven) return perr(text, "len= cannot be combined with a payload key");
        if (!p.has_l4()) return perr(text, "a payload key needs a packet with its transport header");
        if (!sni.empty()) p.payload = tls_client_hello(sni);
        if (!host.empty()) p.payload = http_request(host);
        if (!query.empty()) p.payload = dns_query(query, p.is_tcp());
        p.payload_len = static_cast<uint32_t>(p.payload.size());
        if (p.is_tcp() && !flagsGiven) p.tcp_flags = kTcpPsh | kTcpAck;
    }
    return p;
}

uint32_t Packet::ip_bytes() const {
    uint32_t n = src.is_v4() ? 20 : 40;
    if (!src.is_v4() && frag != Frag::None) n += 8;
    if (has_l4()) {
        if (is_tcp()) n += 20;
        else if (is_udp() || is_icmp()) n += 8;
    }
    return n + payload_len;
}

static std::string proto_word(uint8_t proto) {
    switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: return std::to_string(proto);
    }
}

static std::string endpoint_str(const IpAddr& a, bool withPort, uint16_t port) {
    std::string s = a.is_v4() ? a.str() : "[" + a.str() + "]";
    if (withPort) s += ":" + std::to_string(port);
    return s;
}

std::string Packet::flow_str() const {
    bool ports = has_ports();
    std::string word = has_l4() ? proto_word(proto) : std::to_string(proto);
    return word + " " + endpoint_str(src, ports, sport) + " -> " + endpoint_str(dst, ports, dport);
}

std::string Packet::str() const {
    std::string s = flow_str();
    if (is_tcp() && has_l4()) s += " flags=" + tcp_flags_str(tcp_flags);
    if (is_icmp() && has_l4()) {
        s += " type=" + std::to_string(icmp_type) + " code=" + std::to_string(icmp_code);
        if (icmp_id) s += " icmp-id=" + std::to_string(icmp_id);
    }
    if (!payload_key.empty()) s += " " + payload_key;
    else if (payload_len) s += " len=" + std::to_string(payload_len);
    if (ttl != 64) s += " ttl=" + std::to_string(ttl);
    if (vlan >= 0) s += " vlan=" + std::to_string(vlan);
    if (frag != Frag::None) {
        s += std::string(" frag=") + (frag == Frag::First ? "first" : frag == Frag::More ? "more" : "last");
        s += " id=" + std::to_string(frag_id);
    }
    return s;
}

Packet reply_of(const Packet& p, uint8_t tcp_flags) {
    Packet r = p;
    std::swap(r.src, r.dst);
    std::swap(r.sport, r.dport);
    if (p.is_tcp()) r.tcp_flags = tcp_flags;
    if (p.proto == 1) {
        switch (p.icmp_type) {
        case 8: r.icmp_type = 0; break;
        case 13: r.icmp_type = 14; break;
        case 15: r.icmp_type = 16; break;
        case 17: r.icmp_type = 18; break;
        default: break;
        }
    } else if (p.proto == 58 && p.icmp_type == 128) {
        r.icmp_type = 129;
    }
    return r;
}

} // namespace vpcfw
