// Status and Result<T>: errors as values on the control path (loader, actions, CLI), the
// kind of an error, and the exit codes of every vpcfw program (defined once, here). Cold
// code only; never used per packet. Plain value types, not thread-shared.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vpcfw {

// Exit codes of every vpcfw program (docs/interface.md), defined once.
enum ExitCode : int {
    kExitOk = 0,       // success
    kExitFail = 1,     // a scenario expectation failed, or `check` found errors
    kExitUsage = 2,    // bad usage or bad input (the message names file, place, problem)
    kExitRuntime = 3,  // runtime failure (an output cannot be written, DPDK failed, ...)
};

// What kind of failure an Error is, and so which exit code it ends a command with.
enum class ErrorKind : unsigned char {
    Input,    // bad input or usage: exit 2
    Runtime,  // the input was fine but the work failed: exit 3
};

// An error with a human message and, where it applies, an AWS error code
// (`InvalidPermission.Duplicate`) and the place in the input (file + JSON pointer).
struct Error {
    std::string message;
    std::string code;  // AWS error code for refused actions; empty otherwise
    std::string file;  // input file, when the error is about one
    std::string where; // JSON pointer (`/SecurityGroups/3/IpPermissions/0/FromPort`)
    ErrorKind kind = ErrorKind::Input;

    int exit_code() const { return kind == ErrorKind::Runtime ? kExitRuntime : kExitUsage; }

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
