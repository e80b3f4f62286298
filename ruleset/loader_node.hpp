// Reading AWS JSON with its location (internal to ruleset/, for the loader_*.cpp files):
// `Node` is a JSON value (or its absence) with the file and the JSON pointer where it sits,
// and typed getters that throw InputError naming both when the input is wrong; a few
// readers shared by several resource families (Name tag, IP protocol, route target kind)
// sit beside it. Definitions of the free functions in loader_node.cpp. Cold path.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ruleset/model.hpp"
#include "ruleset/status.hpp"

namespace vpcfw::load {

using json = nlohmann::json;

// Inside the loader a bad input throws InputError; the two public functions (loader.cpp)
// catch it (and anything else) and hand it back as an Error value. Nothing escapes them.
struct InputError {
    Error error;
};

[[noreturn]] void fail(const std::string& file, const std::string& where, const std::string& msg);

// RFC 6901: "~" -> "~0", "/" -> "~1".
std::string pointer_token(const std::string& key);
std::string lower(std::string s);
bool starts_with(const std::string& s, const char* prefix);

// ---------------------------------------------------------------------------------------
// Node: a JSON value (or its absence) plus where it sits, so that every check can say
// where the input is wrong. Reading an absent or null member gives the empty value.

class Node {
public:
    Node(const json* v, std::string where, const std::string* file)
        : v_(v), where_(std::move(where)), file_(file) {}

    bool present() const { return v_ != nullptr && !v_->is_null(); }
    const std::string& where() const { return where_; }
    const std::string& file() const { return *file_; }
    [[noreturn]] void fail(const std::string& msg) const { load::fail(*file_, where_, msg); }

    // A member of an object. This node must be an object (or absent).
    Node operator[](const std::string& key) const {
        std::string w = where_ + "/" + pointer_token(key);
        if (!present()) return Node(nullptr, w, file_);
        if (!v_->is_object()) fail(std::string("expected an object, found ") + v_->type_name());
        auto it = v_->find(key);
        return Node(it == v_->end() ? nullptr : &*it, w, file_);
    }

    // The elements of an array (absent = none).
    std::vector<Node> items() const {
        std::vector<Node> out;
        if (!present()) return out;
        if (!v_->is_array()) fail(std::string("expected an array, found ") + v_->type_name());
        out.reserve(v_->size());
        for (size_t i = 0; i < v_->size(); ++i)
            out.emplace_back(&(*v_)[i], where_ + "/" + std::to_string(i), file_);
        return out;
    }

    // The elements of an array of objects.
    std::vector<Node> objects() const {
        std::vector<Node> out = items();
        for (const Node& n : out) n.need_object();
        return out;
    }

    void need_object() const {
        if (!present()) fail("missing (expected an object)");
        if (!v_->is_object()) fail(std::string("expected an object, found ") + v_->type_name());
    }

    // A string; "" when absent.
    std::string str() const {
        if (!present()) return {};
        if (!v_->is_string()) fail(std::string("expected a string, found ") + v_->type_name());
        return v_->get<std::string>();
    }

    // A required, non-empty string (an id).
    std::string need_str() const {
        if (!present()) fail("missing required value");
        std::string s = str();
        if (s.empty()) fail("must not be empty");
        return s;
    }

    bool boolean(bool def) const {
        if (!present()) return def;
        if (!v_->is_boolean()) fail(std::string("expected true or false, found ") + v_->type_name());
        return v_->get<bool>();
    }

    // An integer within [lo, hi]; `def` when absent.
    int integer(int lo, int hi, int def) const {
        if (!present()) return def;
        if (!v_->is_number_integer())
            fail(std::string("expected an integer, found ") +
                 (v_->is_number_float() ? "a non-integer number" : v_->type_name()));
        long long x;
        if (v_->is_number_unsigned()) {
            uint64_t u = v_->get<uint64_t>();
            x = u > uint64_t(hi) ? (long long)hi + 1 : (long long)u;
        } else {
            x = v_->get<int64_t>();
        }
        if (x < lo || x > hi)
            fail("integer out of range (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
        return static_cast<int>(x);
    }

    std::optional<IpAddr> opt_ip() const {
        if (!present()) return std::nullopt;
        std::string s = str();
        auto a = IpAddr::parse(s);
        if (!a) fail("malformed IP address \"" + s + "\"");
        return a;
    }
    IpAddr ip() const {
        if (!present()) fail("missing required IP address");
        return *opt_ip();
    }

    std::optional<Cidr> opt_cidr() const {
        if (!present()) return std::nullopt;
        std::string s = str();
        auto c = Cidr::parse(s);
        if (!c) fail("malformed CIDR block \"" + s + "\"");
        return c;
    }
    Cidr cidr() const {
        if (!present()) fail("missing required CIDR block");
        return *opt_cidr();
    }

    // A required integer within [lo, hi].
    int need_integer(int lo, int hi) const {
        if (!present()) fail("missing required integer");
        return integer(lo, hi, 0);
    }

    bool is_array() const { return present() && v_->is_array(); }

    // The value itself (null when absent): for comparing whole objects.
    const json& raw() const {
        static const json kNull;
        return present() ? *v_ : kNull;
    }

    // The member names of an object (absent = none).
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        if (!present()) return out;
        need_object();
        for (auto it = v_->begin(); it != v_->end(); ++it) out.push_back(it.key());
        return out;
    }

    // An array of strings.
    std::vector<std::string> strings() const {
        std::vector<std::string> out;
        for (const Node& n : items()) out.push_back(n.str());
        return out;
    }

private:
    const json* v_;
    std::string where_;
    const std::string* file_;
};

// The Name tag of `Tags` / `TagSet`, type-checked.
std::string name_tag(const Node& tags);
// "tcp"/"6", "udp"/"17", "icmp"/"1", "icmpv6"/"58", "-1", or any protocol number.
int parse_protocol(const Node& n);
// Route target kind from an id's prefix (GatewayId carries several kinds).
TargetKind kind_of_id(const std::string& id);

} // namespace vpcfw::load
