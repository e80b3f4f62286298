// The Suricata subset's parser and the domain-list generator (docs/inspection.md §4.4,
// §4.6). Hand-written: a rule is a header of seven tokens and `keyword[:value];` options,
// and no Debian library parses Suricata rules without running Suricata. Cold path.
#include "ruleset/suricata.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace vpcfw {

const char* suri_buffer_name(SuriBuffer b) {
    switch (b) {
    case SuriBuffer::Raw: return "content";
    case SuriBuffer::TlsSni: return "tls.sni";
    case SuriBuffer::HttpHost: return "http.host";
    case SuriBuffer::DnsQuery: return "dns.query";
    case SuriBuffer::HttpHeaderNames: return "http.header_names";
    }
    return "";
}

const char* suri_action_name(SuriAction a) {
    switch (a) {
    case SuriAction::Pass: return "pass";
    case SuriAction::Drop: return "drop";
    case SuriAction::Reject: return "reject";
    case SuriAction::Alert: return "alert";
    }
    return "";
}

namespace {

std::string trim(std::string_view s) {
    size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    return std::string(s.substr(a, b - a));
}

// Header tokens: whitespace-separated, a [...] list is one token.
std::vector<std::string> header_tokens(std::string_view h) {
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    for (char ch : h) {
        if (ch == '[') ++depth;
        if (ch == ']') --depth;
        if (std::isspace(static_cast<unsigned char>(ch)) && depth <= 0) {
            if (!cur.empty()) out.push_back(cur), cur.clear();
            continue;
        }
        cur += ch;
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

// Splits "a, [b, c], !d" at top-level commas.
std::vector<std::string> split_list(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    for (char ch : s) {
        if (ch == '[') ++depth;
        if (ch == ']') --depth;
        if (ch == ',' && depth == 0) {
            out.push_back(trim(cur));
            cur.clear();
            continue;
        }
        cur += ch;
    }
    out.push_back(trim(cur));
    return out;
}

bool valid_var_name(const std::string& n) {
    if (n.empty() || n.size() > 128) return false;
    if (!std::isalpha(static_cast<unsigned char>(n[0]))) return false;
    return std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::optional<std::string> parse_addrs(std::string tok, std::vector<SuriAddr>& out, bool neg = false, int depth = 0) {
    if (depth > 4) return "address list nested too deep";
    tok = trim(tok);
    if (tok.empty()) return "empty address";
    if (tok[0] == '!') return parse_addrs(tok.substr(1), out, !neg, depth + 1);
    if (tok[0] == '[') {
        if (tok.back() != ']') return "unbalanced [ in address " + tok;
        for (const std::string& e : split_list(std::string_view(tok).substr(1, tok.size() - 2)))
            if (auto err = parse_addrs(e, out, neg, depth + 1)) return err;
        return std::nullopt;
    }
    SuriAddr a;
    a.negated = neg;
    if (tok == "any") {
        if (neg) return "!any matches nothing";
        a.kind = SuriAddr::Any;
    } else if (tok[0] == '$') {
        a.kind = SuriAddr::Var;
        a.name = tok.substr(1);
        if (!valid_var_name(a.name)) return "bad variable name " + tok;
    } else if (tok[0] == '@') {
        a.kind = SuriAddr::Ref;
        a.name = tok.substr(1);
        if (!valid_var_name(a.name)) return "bad reference name " + tok;
    } else {
        auto c = Cidr::parse(tok.find('/') == std::string::npos ? tok + (tok.find(':') == std::string::npos ? "/32" : "/128")
                                                                : tok);
        if (!c) return "bad address " + tok;
        a.kind = SuriAddr::Cidr_;
        a.cidr = *c;
    }
    out.push_back(a);
    return std::nullopt;
}

std::optional<int> port_num(const std::string& s) {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
    int v = std::stoi(s);
    if (v > 65535) return std::nullopt;
    return v;
}

std::optional<std::string> parse_ports(std::string tok, std::vector<SuriPort>& out, bool neg = false, int depth = 0) {
    if (depth > 4) return "port list nested too deep";
    tok = trim(tok);
    if (tok.empty()) return "empty port";
    if (tok[0] == '!') return parse_ports(tok.substr(1), out, !neg, depth + 1);
    if (tok[0] == '[') {
        if (tok.back() != ']') return "unbalanced [ in port " + tok;
        for (const std::string& e : split_list(std::string_view(tok).substr(1, tok.size() - 2)))
            if (auto err = parse_ports(e, out, neg, depth + 1)) return err;
        return std::nullopt;
    }
    SuriPort p;
    p.negated = neg;
    if (tok == "any") {
        if (neg) return "!any matches nothing";
    } else if (tok[0] == '$') {
        p.kind = SuriPort::Var;
        p.name = tok.substr(1);
        if (!valid_var_name(p.name)) return "bad port variable name " + tok;
    } else {
        p.kind = SuriPort::Range;
        auto colon = tok.find(':');
        if (colon == std::string::npos) {
            auto v = port_num(tok);
            if (!v) return "bad port " + tok;
            p.lo = p.hi = *v;
        } else {
            auto lo = port_num(tok.substr(0, colon));
            std::string his = tok.substr(colon + 1);
            auto hi = his.empty() ? std::optional<int>(65535) : port_num(his);
            if (!lo || !hi || *lo > *hi) return "bad port range " + tok;
            p.lo = *lo;
            p.hi = *hi;
        }
    }
    out.push_back(p);
    return std::nullopt;
}

// Options "k1; k2:v; k3:\"a;b\";" into (keyword, value) pairs.
std::optional<std::string> split_options(std::string_view s, std::vector<std::pair<std::string, std::string>>& out) {
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < s.size(); ++i) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < s.size()) {
            cur += ch;
            cur += s[++i];
            continue;
        }
        if (ch == '"') quoted = !quoted;
        if (ch == ';' && !quoted) {
            std::string opt = trim(cur);
            cur.clear();
            if (opt.empty()) continue;
            auto colon = opt.find(':');
            if (colon == std::string::npos) out.emplace_back(opt, "");
            else out.emplace_back(trim(opt.substr(0, colon)), trim(opt.substr(colon + 1)));
            continue;
        }
        cur += ch;
    }
    if (quoted) return "unterminated quoted string";
    if (!trim(cur).empty()) return "option \"" + trim(cur) + "\" not terminated by ;";
    return std::nullopt;
}

std::optional<std::string> unquote(const std::string& v, std::string& out) {
    if (v.size() < 2 || v.front() != '"' || v.back() != '"') return "expected a quoted string";
    out.clear();
    for (size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] == '\\' && i + 2 < v.size()) {
            out += v[++i];
            continue;
        }
        out += v[i];
    }
    return std::nullopt;
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// content:"abc|0d 0a|" -> bytes.
std::optional<std::string> content_bytes(const std::string& s, std::string& out) {
    out.clear();
    bool hex = false;
    int pending = -1;
    for (char ch : s) {
        if (ch == '|') {
            if (hex && pending >= 0) return "odd number of hex digits";
            hex = !hex;
            continue;
        }
        if (!hex) {
            out += ch;
            continue;
        }
        if (ch == ' ') continue;
        int v = hexval(ch);
        if (v < 0) return std::string("bad hex digit '") + ch + "'";
        if (pending < 0) {
            pending = v;
        } else {
            out += static_cast<char>(pending * 16 + v);
            pending = -1;
        }
    }
    if (hex) return "unterminated |hex|";
    if (out.empty()) return "empty content";
    return std::nullopt;
}

std::optional<int> small_int(const std::string& v, int lo, int hi) {
    if (v.empty() || v.size() > 9) return std::nullopt;
    size_t i = v[0] == '-' ? 1 : 0;
    if (i == v.size() || !std::all_of(v.begin() + i, v.end(), ::isdigit)) return std::nullopt;
    long x = std::stol(v);
    if (x < lo || x > hi) return std::nullopt;
    return static_cast<int>(x);
}

// Keywords AWS accepts that this subset does not implement (docs/inspection.md §4.6
// SHOULD/LATER): reported, never ignored.
const std::set<std::string> kKnownUnsupported = {
    "pcre", "http.uri", "http.method", "flowbits", "tcp.flags", "dsize", "window", "ssl_version",
    "ja3.hash", "ja3s.hash", "tls.cert_issuer", "tls.cert_subject", "geoip", "ssh.software", "xbits",
    "http.user_agent", "http.request_header", "http.header", "http.cookie", "http.content_type",
    "tls.version", "distance", "within", "bsize", "fast_pattern", "reference", "classtype",
    "metadata", "target", "byte_test", "byte_jump", "isdataat", "itype", "icode", "flags",
    "threshold", "detection_filter", "dataset", "iprep", "lua", "luajit", "tls_sni", "http_host",
};
// Keywords that are metadata only: accepted, no effect on matching.
const std::set<std::string> kMetadata = {"msg", "sid", "rev", "priority", "gid"};

} // namespace

std::optional<std::string> parse_suricata_rule(std::string_view textIn, int line, SuricataRule& r) {
    r = SuricataRule{};
    r.line = line;
    std::string text = trim(textIn);
    r.text = text;
    auto open = text.find('(');
    if (open == std::string::npos || text.back() != ')') return std::string("expected 'HEADER (OPTIONS)'");
    std::vector<std::string> h = header_tokens(std::string_view(text).substr(0, open));
    if (h.size() != 7) return "header has " + std::to_string(h.size()) + " fields, expected 7 (action proto src port dir dst port)";
    const std::string& act = h[0];
    if (act == "pass") r.action = SuriAction::Pass;
    else if (act == "drop") r.action = SuriAction::Drop;
    else if (act == "reject") r.action = SuriAction::Reject;
    else if (act == "alert") r.action = SuriAction::Alert;
    else return "unknown action \"" + act + "\"";
    static const std::set<std::string> protos = {"ip", "tcp", "udp", "icmp", "http", "tls", "dns"};
    static const std::set<std::string> laterProtos = {"ssh", "smb", "ftp", "smtp", "krb5", "dhcp", "ntp", "http2",
                                                      "dcerpc", "ikev2", "nfs", "tftp", "snmp", "sip", "rdp",
                                                      "mqtt", "quic", "imap", "ftp-data", "pkthdr"};
    r.proto = h[1];
    std::transform(r.proto.begin(), r.proto.end(), r.proto.begin(), ::tolower);
    if (!protos.count(r.proto)) {
        if (!laterProtos.count(r.proto)) return "unknown protocol \"" + h[1] + "\"";
        r.unsupported_keyword = "protocol " + r.proto;
    }
    if (auto e = parse_addrs(h[2], r.src)) return "source: " + *e;
    if (auto e = parse_ports(h[3], r.sport)) return "source port: " + *e;
    if (h[4] == "<>") r.bidirectional = true;
    else if (h[4] != "->") return "direction must be -> or <>, found \"" + h[4] + "\"";
    if (auto e = parse_addrs(h[5], r.dst)) return "destination: " + *e;
    if (auto e = parse_ports(h[6], r.dport)) return "destination port: " + *e;

    std::vector<std::pair<std::string, std::string>> opts;
    if (auto e = split_options(std::string_view(text).substr(open + 1, text.size() - open - 2), opts)) return *e;
    SuriBuffer sticky = SuriBuffer::Raw;
    bool haveSid = false, pendingDotprefix = false, stickyUsed = false;
    auto lastContent = [&]() -> SuriContent* { return r.contents.empty() ? nullptr : &r.contents.back(); };
    for (const auto& kv : opts) {
        // Named references, not a structured binding: clang 14 cannot capture bindings in a lambda.
        const std::string& k = kv.first;
        const std::string& v = kv.second;
        auto need = [&](bool ok) -> std::optional<std::string> {
            if (!ok) return "keyword " + k + ": bad value \"" + v + "\"";
            return std::nullopt;
        };
        if (k == "msg") {
            if (auto e = unquote(v, r.msg)) return "keyword msg: " + *e;
        } else if (k == "sid") {
            auto x = small_int(v, 1, 999999999);
            if (!x) return *need(false);
            r.sid = static_cast<uint32_t>(*x);
            haveSid = true;
        } else if (k == "rev") {
            auto x = small_int(v, 0, 999999999);
            if (!x) return *need(false);
            r.rev = static_cast<uint32_t>(*x);
        } else if (k == "priority") {
            auto x = small_int(v, 1, 255);
            if (!x) return *need(false);
            r.priority = *x;
        } else if (k == "gid") {
        } else if (k == "flow") {
            for (const std::string& f : split_list(v)) {
                if (f == "established") r.flow_established = true;
                else if (f == "not_established") r.flow_not_established = true;
                else if (f == "to_server" || f == "from_client") r.flow_to_server = true;
                else if (f == "to_client" || f == "from_server") r.flow_to_client = true;
                else if (f == "stateless") r.flow_stateless = true;
                else if (f == "no_stream" || f == "only_stream" || f == "no_frag" || f == "only_frag") {
                    if (r.unsupported_keyword.empty()) r.unsupported_keyword = "flow:" + f;
                } else return "keyword flow: unknown value \"" + f + "\"";
            }
        } else if (k == "tls.sni" || k == "http.host" || k == "dns.query" || k == "http.header_names") {
            sticky = k == "tls.sni" ? SuriBuffer::TlsSni
                   : k == "http.host" ? SuriBuffer::HttpHost
                   : k == "dns.query" ? SuriBuffer::DnsQuery : SuriBuffer::HttpHeaderNames;
            stickyUsed = false;
        } else if (k == "dotprefix") {
            pendingDotprefix = true;
        } else if (k == "content") {
            SuriContent c;
            std::string q = v;
            if (!q.empty() && q[0] == '!') {
                c.negated = true;
                q = trim(q.substr(1));
            }
            std::string raw;
            if (auto e = unquote(q, raw)) return "keyword content: " + *e;
            if (auto e = content_bytes(raw, c.bytes)) return "keyword content: " + *e;
            c.buffer = sticky;
            c.dotprefix = pendingDotprefix;   // the buffer gets a leading dot, not the content
            pendingDotprefix = false;
            stickyUsed = true;
            r.contents.push_back(c);
        } else if (k == "nocase" || k == "startswith" || k == "endswith") {
            SuriContent* c = lastContent();
            if (!c) return "keyword " + k + " without a preceding content";
            if (k == "nocase") c->nocase = true;
            if (k == "startswith") c->startswith = true;
            if (k == "endswith") c->endswith = true;
        } else if (k == "depth" || k == "offset") {
            SuriContent* c = lastContent();
            if (!c) return "keyword " + k + " without a preceding content";
            auto x = small_int(v, k == "depth" ? 1 : 0, 65535);
            if (!x) return *need(false);
            (k == "depth" ? c->depth : c->offset) = *x;
        } else if (k == "ssl_state") {
            if (v != "client_hello") {
                if (r.unsupported_keyword.empty()) r.unsupported_keyword = "ssl_state:" + v;
            } else {
                r.ssl_client_hello = true;
            }
        } else if (k == "noalert") {
            r.noalert = true;
        } else if (k == "alert") {
            r.alert = true;
        } else if (k == "ip_proto") {
            auto x = small_int(v, 0, 255);
            if (x) r.ip_proto = *x;
            else if (v == "tcp") r.ip_proto = 6;
            else if (v == "udp") r.ip_proto = 17;
            else if (v == "icmp") r.ip_proto = 1;
            else return *need(false);
        } else if (k == "app-layer-protocol") {
            r.app_layer_protocol = v;
        } else if (kKnownUnsupported.count(k)) {
            if (k == "dataset" || k == "iprep" || k == "lua" || k == "luajit" || k == "threshold" ||
                k == "detection_filter")
                return "keyword " + k + ": AWS Network Firewall refuses it";
            if (r.unsupported_keyword.empty()) r.unsupported_keyword = k;
        } else {
            return "unknown keyword \"" + k + "\"";
        }
    }
    (void)stickyUsed;
    if (pendingDotprefix) return "keyword dotprefix without a following content";
    if (!haveSid) return std::string("missing sid");
    return std::nullopt;
}

std::vector<SuricataRule> domain_list_rules(const std::vector<std::string>& targets,
                                            const std::vector<std::string>& types,
                                            const std::string& generated_type) {
    std::vector<SuricataRule> out;
    std::string act = generated_type == "ALLOWLIST" ? "pass"
                    : generated_type == "DENYLIST" ? "drop"
                    : generated_type == "REJECTLIST" ? "reject" : "alert";
    bool tls = std::find(types.begin(), types.end(), "TLS_SNI") != types.end();
    bool http = std::find(types.begin(), types.end(), "HTTP_HOST") != types.end();
    uint32_t sid = 1;
    auto add = [&](const std::string& text) {
        SuricataRule r;
        parse_suricata_rule(text, static_cast<int>(sid), r);
        out.push_back(std::move(r));
        ++sid;
    };
    auto escape = [](const std::string& d) {
        std::string s;
        for (char c : d) {
            if (c == '"' || c == ';' || c == '\\' || c == '|') {
                char buf[8];
                snprintf(buf, sizeof buf, "|%02x|", static_cast<unsigned char>(c));
                s += buf;
            } else {
                s += c;
            }
        }
        return s;
    };
    for (const std::string& t : targets) {
        std::string m = !t.empty() && t[0] == '.' ? "dotprefix; content:\"" + escape(t) + "\"; nocase; endswith;"
                                                 : "content:\"" + escape(t) + "\"; nocase; startswith; endswith;";
        if (tls)
            add(act + " tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; " + m +
                " flow:to_server,established; ssl_state:client_hello; sid:" + std::to_string(sid) + ";)");
        if (http)
            add(act + " http $HOME_NET any -> $EXTERNAL_NET any (http.host; " + m +
                " flow:to_server,established; sid:" + std::to_string(sid) + ";)");
    }
    if (generated_type == "ALLOWLIST") {
        if (tls)
            add("drop tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; sid:" + std::to_string(sid) + ";)");
        if (http)
            add("drop http $HOME_NET any -> $EXTERNAL_NET any (http.header_names; content:\"|0d 0a|\"; startswith; sid:" +
                std::to_string(sid) + ";)");
    }
    return out;
}

} // namespace vpcfw
