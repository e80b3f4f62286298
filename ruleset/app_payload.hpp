// Application payloads of the inspection layer (docs/inspection.md §4.7, §7, C21): the
// bytes the packet language's `tls-sni=`, `http-host=`, `dns-query=` keys write, and the
// single-packet extraction of the buffers rules match (TLS SNI, HTTP Host and header
// names, DNS query name). Bounded parsers over a byte string; never throw. Cold path for
// the reference evaluator and the packet language.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vpcfw {

// §7 payload builders.
std::string tls_client_hello(const std::string& sni);
std::string http_request(const std::string& host);
std::string dns_query(const std::string& name, bool tcp);

enum class AppProto : uint8_t { None, Tls, Http, Dns };
const char* app_proto_name(AppProto a);   // "", "tls", "http", "dns"

// What one packet's payload carries (C21 detection, §4.7 buffers; absent = incomplete or
// not there).
struct AppBuffers {
    AppProto proto = AppProto::None;
    bool client_hello = false;
    std::optional<std::string> tls_sni;        // as sent, trailing dot removed (§10.7)
    std::optional<std::string> http_host;      // lowercased, port and trailing dot stripped
    std::optional<std::string> http_header_names; // "\r\nName1\r\nName2\r\n\r\n"
    std::optional<std::string> dns_query;      // first query name, no trailing dot
};

// `dns_port`: the packet's source or destination port is 53 (C21).
AppBuffers parse_app_payload(std::string_view payload, bool tcp, bool dns_port);

} // namespace vpcfw
