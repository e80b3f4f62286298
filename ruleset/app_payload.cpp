// Application payloads: builders of §7 and single-packet parsers of §4.7 (TLS ClientHello
// server_name, HTTP request Host and header names, DNS question name). Every read is
// bounds-checked; a malformed or cut payload yields absent buffers. Cold path.
#include "ruleset/app_payload.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace vpcfw {

namespace {

void put16(std::string& s, unsigned v) {
    s += static_cast<char>((v >> 8) & 0xff);
    s += static_cast<char>(v & 0xff);
}
void put24(std::string& s, unsigned v) {
    s += static_cast<char>((v >> 16) & 0xff);
    put16(s, v & 0xffff);
}
unsigned get8(std::string_view s, size_t i) { return static_cast<unsigned char>(s[i]); }
unsigned get16(std::string_view s, size_t i) { return get8(s, i) << 8 | get8(s, i + 1); }

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

const char* app_proto_name(AppProto a) {
    switch (a) {
    case AppProto::Tls: return "tls";
    case AppProto::Http: return "http";
    case AppProto::Dns: return "dns";
    default: return "";
    }
}

std::string tls_client_hello(const std::string& sni) {
    std::string ext;
    // server_name
    std::string sn;
    put16(sn, static_cast<unsigned>(sni.size() + 3));   // server name list length
    sn += '\0';                                           // host_name
    put16(sn, static_cast<unsigned>(sni.size()));
    sn += sni;
    put16(ext, 0x0000);
    put16(ext, static_cast<unsigned>(sn.size()));
    ext += sn;
    // supported_versions 0x0304 0x0303
    put16(ext, 0x002b);
    put16(ext, 5);
    ext += '\x04';
    put16(ext, 0x0304);
    put16(ext, 0x0303);
    std::string body;
    put16(body, 0x0303);
    body += std::string(32, '\0');      // random
    body += '\0';                       // session id length
    put16(body, 6);
    put16(body, 0x1301);
    put16(body, 0x1302);
    put16(body, 0xc02f);
    body += '\x01';
    body += '\0';                       // null compression
    put16(body, static_cast<unsigned>(ext.size()));
    body += ext;
    std::string hs;
    hs += '\x01';
    put24(hs, static_cast<unsigned>(body.size()));
    hs += body;
    std::string rec;
    rec += '\x16';
    put16(rec, 0x0301);
    put16(rec, static_cast<unsigned>(hs.size()));
    return rec + hs;
}

std::string http_request(const std::string& host) {
    return "GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: vpcfw\r\nAccept: */*\r\n\r\n";
}

std::string dns_query(const std::string& name, bool tcp) {
    std::string m;
    put16(m, 1);
    put16(m, 0x0100);
    put16(m, 1);
    put16(m, 0);
    put16(m, 0);
    put16(m, 0);
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        size_t end = dot == std::string::npos ? name.size() : dot;
        std::string label = name.substr(start, end - start);
        if (label.size() > 63) label.resize(63);
        m += static_cast<char>(label.size());
        m += label;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    m += '\0';
    put16(m, 1);   // A
    put16(m, 1);   // IN
    if (!tcp) return m;
    std::string t;
    put16(t, static_cast<unsigned>(m.size()));
    return t + m;
}

namespace {

// The SNI of a complete ClientHello record; nullopt when cut or absent.
void parse_tls(std::string_view p, AppBuffers& b) {
    if (p.size() < 6 || get8(p, 0) != 22 || get8(p, 1) != 3) return;
    b.proto = AppProto::Tls;
    size_t recLen = get16(p, 3);
    if (get8(p, 5) != 1) return;                       // not a ClientHello
    if (p.size() < 5 + recLen || recLen < 4) return;   // incomplete (C10: no reassembly here)
    std::string_view hs = p.substr(5, recLen);
    size_t hsLen = get8(hs, 1) << 16 | get16(hs, 2);
    if (hs.size() < 4 + hsLen) return;
    std::string_view h = hs.substr(4, hsLen);
    size_t i = 2 + 32;
    if (h.size() < i + 1) return;
    i += 1 + get8(h, i);                                // session id
    if (h.size() < i + 2) return;
    i += 2 + get16(h, i);                               // cipher suites
    if (h.size() < i + 1) return;
    i += 1 + get8(h, i);                                // compression
    b.client_hello = true;
    if (h.size() < i + 2) return;
    size_t extEnd = i + 2 + get16(h, i);
    i += 2;
    if (extEnd > h.size()) return;
    while (i + 4 <= extEnd) {
        unsigned type = get16(h, i), len = get16(h, i + 2);
        i += 4;
        if (i + len > extEnd) return;
        if (type == 0 && len >= 5) {
            std::string_view e = h.substr(i, len);
            size_t j = 2;
            while (j + 3 <= e.size()) {
                unsigned nt = get8(e, j), nl = get16(e, j + 1);
                j += 3;
                if (j + nl > e.size()) return;
                if (nt == 0) {
                    std::string name(e.substr(j, nl));
                    while (!name.empty() && name.back() == '.') name.pop_back();
                    b.tls_sni = name;
                    return;
                }
                j += nl;
            }
        }
        i += len;
    }
}

void parse_http(std::string_view p, AppBuffers& b) {
    static const char* methods[] = {"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "};
    bool isReq = false;
    for (const char* m : methods)
        if (p.substr(0, std::char_traits<char>::length(m)) == m) isReq = true;
    if (!isReq) return;
    size_t eol = p.find("\r\n");
    if (eol == std::string_view::npos) return;
    std::string_view line = p.substr(0, eol);
    if (line.find(" HTTP/1.") == std::string_view::npos) return;
    b.proto = AppProto::Http;
    size_t headEnd = p.find("\r\n\r\n");
    if (headEnd == std::string_view::npos || headEnd > 8192) return;   // C10: head incomplete
    // Absolute URI: its authority is the host (§4.7).
    std::optional<std::string> host;
    size_t sp = line.find(' ');
    std::string_view uri = line.substr(sp + 1, line.rfind(' ') - sp - 1);
    if (uri.substr(0, 7) == "http://" || uri.substr(0, 8) == "https://") {
        std::string_view rest = uri.substr(uri.find("//") + 2);
        host = std::string(rest.substr(0, rest.find('/')));
    }
    std::string names = "\r\n";
    size_t i = eol + 2;
    while (i < headEnd + 2) {
        size_t e = p.find("\r\n", i);
        std::string_view h = p.substr(i, e - i);
        size_t colon = h.find(':');
        if (colon != std::string_view::npos) {
            std::string name(h.substr(0, colon));
            names += name + "\r\n";
            if (!host && lower(name) == "host") {
                std::string_view v = h.substr(colon + 1);
                while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
                while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
                host = std::string(v);
            }
        }
        i = e + 2;
    }
    b.http_header_names = names + "\r\n";
    if (host) {
        std::string h = lower(*host);
        if (!h.empty() && h[0] == '[') {
            auto close = h.find(']');
            if (close != std::string::npos) h = h.substr(0, close + 1);
        } else if (auto c = h.find(':'); c != std::string::npos) {
            h.resize(c);
        }
        while (!h.empty() && h.back() == '.') h.pop_back();
        b.http_host = h;
    }
}

void parse_dns(std::string_view p, bool tcp, AppBuffers& b) {
    if (tcp) {
        if (p.size() < 2) return;
        size_t len = get16(p, 0);
        if (p.size() < 2 + len) return;
        p = p.substr(2, len);
    }
    if (p.size() < 12) return;
    b.proto = AppProto::Dns;
    if (get16(p, 4) == 0) return;
    size_t i = 12;
    std::string name;
    for (int labels = 0; labels < 128; ++labels) {
        if (i >= p.size()) return;
        unsigned l = get8(p, i++);
        if (l == 0) {
            b.dns_query = name;
            return;
        }
        if (l > 63 || i + l > p.size()) return;   // compression pointers are not in questions we build
        if (!name.empty()) name += '.';
        name += std::string(p.substr(i, l));
        i += l;
    }
}

} // namespace

AppBuffers parse_app_payload(std::string_view payload, bool tcp, bool dns_port) {
    AppBuffers b;
    if (payload.empty()) return b;
    if (dns_port) {
        parse_dns(payload, tcp, b);
        return b;
    }
    if (!tcp) return b;
    parse_tls(payload, b);
    if (b.proto == AppProto::None) parse_http(payload, b);
    return b;
}

} // namespace vpcfw
