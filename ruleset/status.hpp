// Status and Result<T>: errors as values on the control path (loader, actions, CLI).
// Cold code only; never used per packet. Plain value types, not thread-shared.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vpcfw {

// An error with a human message and, where it applies, an AWS error code
// (`InvalidPermission.Duplicate`) and the place in the input (file + JSON pointer).
struct Error {
    std::string message;
    std::string code;  // AWS error code for refused actions; empty otherwise
    std::string file;  // input file, when the error is about one
    std::string where; // JSON pointer (`/SecurityGroups/3/IpPermissions/0/FromPort`)

    std::string str() const {
        std::string s;
        if (!file.empty()) s += file;
        if (!where.empty()) s += (s.empty() ? "" : ":") + where;
        if (!s.empty()) s += ": ";
        if (!code.empty()) s += code + ": ";
        return s + message;
    }
};

template <typename T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result of an operation that produces nothing but may fail.
class Status {
public:
    Status() = default;
    Status(Error e) : err_(std::move(e)) {}
    static Status Ok() { return Status(); }
    bool ok() const { return !err_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *err_; }

private:
    std::optional<Error> err_;
};

inline Error make_error(std::string message, std::string code = {}) {
    return Error{std::move(message), std::move(code), {}, {}};
}

} // namespace vpcfw
