// The operational messages of `vpcfw run` (start-up facts, warnings, errors, the periodic
// stats, live changes), each with a level, in one of two formats (--log-format):
//   text  "vpcfw run: MSG", "vpcfw run: warning: MSG", "vpcfw run: error: MSG"
//   json  one object a line: {"time": ISO-8601 UTC, "level": "info"|"warning"|"error",
//         "msg": MSG, ...fields} (e.g. "prefix", "telemetry_socket", "stats")
// Decisions, flow logs and the stop summary are not log messages (control/live_log.hpp,
// stdout). Thread-safe (the control thread logs live changes). Cold.
#pragma once

#include <iosfwd>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace vpcfw {

enum class LogFormat { Text, Json };

class RunLog {
public:
    RunLog(std::ostream& err, LogFormat format) : err_(err), format_(format) {}

    // `fields` (an object) are added to the JSON line; the text line is MSG alone.
    void info(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object()) { write("info", msg, fields); }
    void warning(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object()) { write("warning", msg, fields); }
    void error(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object()) { write("error", msg, fields); }
    // The periodic stats: the text line as given (control/live_stats.hpp stats_line), or an
    // info line {"msg": "stats", "stats": {...}}.
    void stats(const std::string& line, const nlohmann::json& stats);
    LogFormat format() const { return format_; }

private:
    void write(const char* level, const std::string& msg, const nlohmann::json& fields);

    std::ostream& err_;
    LogFormat format_;
    std::mutex mu_;
};

} // namespace vpcfw
