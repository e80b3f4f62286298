// Levelled text or JSON lines for `vpcfw run`'s operational messages (control/run_log.hpp).
#include "control/run_log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <ostream>

#include "ruleset/output_text.hpp"

namespace vpcfw {

namespace {

std::string utc_now() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

} // namespace

void RunLog::write(const char* level, const std::string& msg, const nlohmann::json& fields) {
    std::lock_guard<std::mutex> lock(mu_);
    if (format_ == LogFormat::Json) {
        nlohmann::json j = {{"time", utc_now()}, {"level", level}, {"msg", msg}};
        if (fields.is_object())
            for (auto& [k, v] : fields.items()) j[k] = v;
        err_ << json_text(j) << "\n" << std::flush;
        return;
    }
    err_ << "vpcfw run: " << (std::string(level) == "info" ? "" : std::string(level) + ": ") << msg << "\n" << std::flush;
}

void RunLog::stats(const std::string& line, const nlohmann::json& stats) {
    if (format_ == LogFormat::Json) {
        write("info", "stats", {{"stats", stats}});
        return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    err_ << line << std::flush;
}

} // namespace vpcfw
