#pragma once
/// @file
/// The application logger: structured lines (JSON by default, or text) with AILERON's record
/// shape: `{"time":..,"level":"INFO","msg":..,"datetime":{..},"location":{..}, attrs...}`.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>

namespace aileron {

enum class log_level { trace, debug, info, warn, error, fatal };

/// One key/value of a log record. `json` values are written raw (already JSON).
struct log_attr {
    std::string_view key;
    std::string_view value;
    bool json = false;
};

/**
 * A logger writes one record per call, whole, with one write(2): lines from several threads
 * never interleave. It is used for startup, shutdown and errors, not per request, so a record
 * is formatted on the calling thread.
 */
class logger {
public:
    enum class output { stdout_, stderr_, discard };
    struct options {
        log_level level = log_level::info;
        bool unstructured = false;   ///< text lines instead of JSON
        bool no_location = false;
        bool no_datetime = false;
        output target = output::stdout_;
    };

    explicit logger(options opt);
    /// Options from AILERON's environment: GATEWAY_LOG_LEVEL, GATEWAY_LOG_LOCATION,
    /// GATEWAY_LOG_DATETIME (the built-in default logger).
    static options options_from_env();

    bool enabled(log_level l) const noexcept { return l >= opt_.level && opt_.target != output::discard; }
    void write(log_level l, std::string_view msg, std::initializer_list<log_attr> attrs = {},
               std::source_location where = std::source_location::current()) const;

    void debug(std::string_view msg, std::initializer_list<log_attr> attrs = {},
               std::source_location where = std::source_location::current()) const {
        if (enabled(log_level::debug)) write(log_level::debug, msg, attrs, where);
    }
    void info(std::string_view msg, std::initializer_list<log_attr> attrs = {},
              std::source_location where = std::source_location::current()) const {
        if (enabled(log_level::info)) write(log_level::info, msg, attrs, where);
    }
    void warn(std::string_view msg, std::initializer_list<log_attr> attrs = {},
              std::source_location where = std::source_location::current()) const {
        if (enabled(log_level::warn)) write(log_level::warn, msg, attrs, where);
    }
    void error(std::string_view msg, std::initializer_list<log_attr> attrs = {},
               std::source_location where = std::source_location::current()) const {
        if (enabled(log_level::error)) write(log_level::error, msg, attrs, where);
    }

    /// The process default logger (from the environment until the Entrypoint replaces it).
    static const logger& get_default() noexcept;
    static void set_default(std::shared_ptr<const logger> l);

private:
    options opt_;
};

/// Appends `s` to `out` as a JSON string literal (quotes included), escaping like Go's
/// encoding/json (including `<`, `>` and `&` as \u003c, \u003e, \u0026).
void append_json_string(std::string& out, std::string_view s);

}  // namespace aileron
