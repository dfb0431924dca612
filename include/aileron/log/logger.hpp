#pragma once
/// @file
/// The application logger: structured records (JSON by default, or text) with AILERON's record
/// shape: `{"time":..,"level":"INFO","msg":..,"datetime":{..},"location":{..}, attrs...}`.
///
/// A record is formatted on the thread that logs it (into a buffer of that thread's, reused)
/// and queued to the logger's `log_writer`, whose own thread writes it out: logging never makes
/// the caller wait for a disk or a pipe. See log_writer.hpp for what happens when a queue is full.

#include <aileron/config/replacer.hpp>
#include <aileron/core/request_ids.hpp>
#include <aileron/log/log_writer.hpp>
#include <aileron/log/time_layout.hpp>
#include <aileron/log/time_zone.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

namespace aileron {

enum class log_level { trace, debug, info, warn, error, fatal };

/// One key/value of a log record. `json` values are written raw (already JSON).
struct log_attr {
    std::string_view key;
    std::string_view value;
    bool json = false;
};

/// SLogger's `fieldReplacers` entry: the field at `path` ("request.header.Authorization") is
/// rewritten by `replace` when it is a string, or removed when there is no replacer.
struct field_replacer {
    std::vector<std::string> path;
    std::optional<replacer> replace;
};

class logger;

/**
 * The attributes of one record being written: strings, numbers and nested objects, in the
 * order they are added. Field replacers apply as values are added. Made by `logger::log`.
 */
class log_record {
public:
    void add(std::string_view key, std::string_view value);
    void add(std::string_view key, const char* value) { add(key, std::string_view{value}); }
    void add(std::string_view key, std::int64_t value);
    /// A value that is already JSON (written as is; text output writes it as is too).
    void add_raw(std::string_view key, std::string_view json);
    /// Starts a nested object under `key`; `close` ends it.
    void open(std::string_view key);
    void close();
    /// A request's context attribute, as AILERON's logger adds it to the records of a request:
    /// `"ids":{"request":..,"trace":..}` when a TrackingMiddleware gave it IDs, else nothing.
    void add(const request_ids& ids);

private:
    friend class logger;
    void begin_value(std::string_view key);
    void append_text_key(std::string_view key);
    /// The replacer for path + key: nullptr none; sets `remove` when the field goes.
    const field_replacer* match(std::string_view key) const;

    const logger* log_ = nullptr;
    std::string line_;
    std::vector<std::string_view> path_;   ///< keys of the open objects
    std::vector<bool> first_;              ///< per open object (JSON): no member written yet
    int skip_depth_ = 0;                   ///< > 0: inside an object a replacer removed
    std::string scratch_;                  ///< a replaced value
    std::string stamp_;                    ///< formatted times
};

class logger {
public:
    enum class output { stdout_, stderr_, discard, file };
    struct options {
        log_level level = log_level::info;
        bool unstructured = false;   ///< text lines instead of JSON
        bool no_location = false;
        bool no_datetime = false;
        output target = output::stdout_;
        std::string output_time_format = "2006-01-02 15:04:05";   ///< Go layout of `time`
        std::string date_format = "2006-01-02";                   ///< of `datetime.date`
        std::string time_format = "15:04:05.000";                 ///< of `datetime.time`
        time_zone zone = time_zone::local();                      ///< for all three
        std::vector<field_replacer> field_replacers;
        std::size_t queue_bytes = std::size_t{1} << 20;           ///< per logging thread
    };

    /// A logger writing to stdout, stderr or nowhere (`target` file needs the constructor
    /// taking a sink).
    explicit logger(options opt);
    /// A logger writing to `sink` through a background writer (any target).
    logger(options opt, std::unique_ptr<log_sink> sink);
    virtual ~logger();
    logger(const logger&) = delete;
    logger& operator=(const logger&) = delete;

    /// Options from AILERON's environment: GATEWAY_LOG_LEVEL, GATEWAY_LOG_LOCATION,
    /// GATEWAY_LOG_DATETIME (the built-in default logger).
    static options options_from_env();

    bool enabled(log_level l) const noexcept { return l >= opt_.level && writer_ != nullptr; }

    /// Writes one record whose attributes `fill(log_record&)` adds.
    template <class F>
    void log(log_level l, std::string_view msg, F&& fill,
             std::source_location where = std::source_location::current()) const {
        if (!enabled(l)) return;
        log_record& r = begin(l, msg, std::chrono::system_clock::now(), where);
        fill(r);
        end(r);
    }

    /// The same with the record's time given (a caller that read the clock already).
    template <class F>
    void log_at(log_level l, std::string_view msg, std::chrono::system_clock::time_point when, F&& fill,
                std::source_location where = std::source_location::current()) const {
        if (!enabled(l)) return;
        log_record& r = begin(l, msg, when, where);
        fill(r);
        end(r);
    }

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

    /// A record of a request: its context attribute (`ids`, see `log_record::add(const
    /// request_ids&)`) after `datetime` and `location`, then `attrs`, as AILERON writes records
    /// logged with a request's context.
    void write(const request_ids& ids, log_level l, std::string_view msg, std::initializer_list<log_attr> attrs = {},
               std::source_location where = std::source_location::current()) const;

    void debug(const request_ids& ids, std::string_view msg, std::initializer_list<log_attr> attrs = {},
               std::source_location where = std::source_location::current()) const {
        if (enabled(log_level::debug)) write(ids, log_level::debug, msg, attrs, where);
    }
    void info(const request_ids& ids, std::string_view msg, std::initializer_list<log_attr> attrs = {},
              std::source_location where = std::source_location::current()) const {
        if (enabled(log_level::info)) write(ids, log_level::info, msg, attrs, where);
    }
    void warn(const request_ids& ids, std::string_view msg, std::initializer_list<log_attr> attrs = {},
              std::source_location where = std::source_location::current()) const {
        if (enabled(log_level::warn)) write(ids, log_level::warn, msg, attrs, where);
    }
    void error(const request_ids& ids, std::string_view msg, std::initializer_list<log_attr> attrs = {},
               std::source_location where = std::source_location::current()) const {
        if (enabled(log_level::error)) write(ids, log_level::error, msg, attrs, where);
    }

    /// Queues bytes as they are (HTTPLogger's `logFormat` lines): no record around them.
    void write_raw(std::string_view line) const;

    /// Waits until everything logged so far is written out.
    void flush() const;
    /// Records dropped because a queue was full.
    std::uint64_t dropped() const noexcept { return writer_ ? writer_->dropped() : 0; }

    const options& opts() const noexcept { return opt_; }

    /// The process default logger (from the environment until the Entrypoint replaces it).
    static const logger& get_default() noexcept;
    static void set_default(std::shared_ptr<const logger> l);

private:
    friend class log_record;
    log_record& begin(log_level l, std::string_view msg, std::chrono::system_clock::time_point now,
                      const std::source_location& where) const;
    void end(log_record& r) const;
    /// `{"time":"..."` and `,"datetime":{...}` of the current tick, per thread.
    struct stamp_cache {
        std::uint64_t owner = 0;   ///< the logger's serial (addresses get reused)
        std::int64_t key = -1;
        std::string time, datetime;
    };
    const stamp_cache& stamps(const civil_time& c, std::int64_t ns) const;
    /// `,"location":{...}` of a call site, formatted once per thread.
    std::string_view location_json(const std::source_location& where) const;
    static std::string format_dropped(std::uint64_t n, const void* self);

    options opt_;
    time_layout output_layout_, date_layout_, time_layout_;
    std::int64_t tick_ns_ = 1'000'000;     ///< the finest unit the layouts print
    std::uint64_t serial_;                 ///< unique per logger in the process
    std::unique_ptr<log_writer> writer_;   ///< null: discard
};

/// Appends `s` to `out` as a JSON string literal (quotes included), escaping like Go's
/// encoding/json (including `<`, `>` and `&` as \u003c, \u003e, \u0026).
void append_json_string(std::string& out, std::string_view s);

/// Appends `s` as a JSON string literal the way Go's log/slog does: no HTML escaping, invalid
/// UTF-8 as \ufffd, U+2028 and U+2029 escaped.
void append_log_json_string(std::string& out, std::string_view s);

}  // namespace aileron
