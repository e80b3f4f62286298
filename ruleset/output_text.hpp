// Output encoding: text and JSON that vpcfw prints are safe for any input bytes. JSON is
// dumped with invalid UTF-8 replaced by U+FFFD (so a file name or packet text that is not
// UTF-8 never makes an output invalid or a command fail); text meant for a terminal shows
// control characters as tcpdump does (^[ for ESC, ^? for DEL), keeping newlines and tabs.
// Cold; pure functions, safe from any thread. Documented in docs/interface.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace vpcfw {

// j.dump(indent), never throwing: invalid UTF-8 in strings becomes U+FFFD.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `text` with each control character other than newline and tab written as ^X (X = the
// byte + 0x40, DEL as ^?), as tcpdump prints them; every other byte is unchanged.
inline std::string printable_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            out += '^';
            out += static_cast<char>(c ^ 0x40);
        } else {
            out += ch;
        }
    }
    return out;
}

} // namespace vpcfw
