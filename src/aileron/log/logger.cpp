#include <aileron/log/logger.hpp>

#include <aileron/detail/quote.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <vector>
#include <unistd.h>

namespace aileron {

void append_json_string(std::string& out, std::string_view s) {
    detail::append_quoted(out, s, detail::go_json_quote);
}

namespace {

std::string_view level_name(log_level l) noexcept {
    switch (l) {   // AILERON prints Trace as DEBUG and Fatal as ERROR
    case log_level::trace:
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO";
    case log_level::warn: return "WARN";
    default: return "ERROR";
    }
}

bool env_is_false(const char* name) {
    const char* v = std::getenv(name);
    if (!v) return false;
    std::string s{v};
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s == "false" || s == "0";
}

std::mutex default_mutex;
std::shared_ptr<const logger> default_logger;   // guarded by default_mutex (set rarely)
std::atomic<const logger*> default_raw{nullptr};

}  // namespace

logger::logger(options opt) : opt_(opt) {}

logger::options logger::options_from_env() {
    options o;
    if (const char* v = std::getenv("GATEWAY_LOG_LEVEL")) {
        std::string s{v};
        for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (s == "TRACE") o.level = log_level::trace;
        else if (s == "DEBUG") o.level = log_level::debug;
        else if (s == "WARN") o.level = log_level::warn;
        else if (s == "ERROR") o.level = log_level::error;
        else if (s == "FATAL") o.level = log_level::fatal;
    }
    o.no_location = env_is_false("GATEWAY_LOG_LOCATION");
    o.no_datetime = env_is_false("GATEWAY_LOG_DATETIME");
    return o;
}

void logger::write(log_level l, std::string_view msg, std::initializer_list<log_attr> attrs,
                   std::source_location where) const {
    if (!enabled(l)) return;
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    localtime_r(&t, &tm);
    char stamp[32], date[16], clock[24], zone[16];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::snprintf(clock, sizeof clock, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    std::strftime(zone, sizeof zone, "%Z", &tm);

    std::string line;
    line.reserve(256);
    std::string_view file = where.file_name();
    if (auto p = file.rfind("/src/"); p != std::string_view::npos) file.remove_prefix(p + 5);
    else if (auto q = file.rfind("/include/"); q != std::string_view::npos) file.remove_prefix(q + 9);
    if (opt_.unstructured) {
        line += stamp;
        line += ' ';
        line += level_name(l);
        line += ' ';
        line += msg;
        for (auto& a : attrs) {
            line += ' ';
            line += a.key;
            line += '=';
            line += a.value;
        }
    } else {
        line += R"({"time":")";
        line += stamp;
        line += R"(","level":")";
        line += level_name(l);
        line += R"(","msg":)";
        append_json_string(line, msg);
        if (!opt_.no_datetime) {
            line += R"(,"datetime":{"date":")";
            line += date;
            line += R"(","time":")";
            line += clock;
            line += R"(","zone":")";
            line += zone;
            line += R"("})";
        }
        if (!opt_.no_location) {
            line += R"(,"location":{"file":)";
            append_json_string(line, file);
            line += R"(,"func":)";
            append_json_string(line, where.function_name());
            line += R"(,"line":)";
            line += std::to_string(where.line());
            line += '}';
        }
        for (auto& a : attrs) {
            line += ',';
            append_json_string(line, a.key);
            line += ':';
            if (a.json) line += a.value.empty() ? std::string_view{"null"} : a.value;
            else append_json_string(line, a.value);
        }
        line += '}';
    }
    line += '\n';
    int fd = opt_.target == output::stderr_ ? STDERR_FILENO : STDOUT_FILENO;
    // One write(2) per record keeps lines whole across threads.
    for (std::string_view rest = line; !rest.empty();) {
        ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n <= 0) break;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

const logger& logger::get_default() noexcept {
    if (const logger* l = default_raw.load(std::memory_order_acquire)) return *l;
    std::lock_guard lock{default_mutex};
    if (!default_logger) {
        default_logger = std::make_shared<const logger>(options_from_env());
        default_raw.store(default_logger.get(), std::memory_order_release);
    }
    return *default_logger;
}

void logger::set_default(std::shared_ptr<const logger> l) {
    std::lock_guard lock{default_mutex};
    // The previous default stays alive: references to it may still be in use. Loggers are
    // set a handful of times per process, so keeping them is cheap and safe.
    static std::vector<std::shared_ptr<const logger>> retired;
    if (default_logger) retired.push_back(default_logger);
    default_logger = std::move(l);
    default_raw.store(default_logger.get(), std::memory_order_release);
}

}  // namespace aileron
