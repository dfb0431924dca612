#pragma once
/// @file
/// `core/v1 SLogger`: the application logger as a config resource: level, JSON or text, time
/// layouts and zone, field replacers (masking), and output to stdout, stderr or a rotating file,
/// always through a background writer (log_writer.hpp).

#include <aileron/config/decode.hpp>
#include <aileron/config/replacer.hpp>
#include <aileron/log/logger.hpp>

namespace aileron {

enum class slog_level { unknown = 0, trace, debug, info, warn, error, fatal };
enum class slog_target { unknown = 0, std_out, std_err, discard, file };

}  // namespace aileron

template <>
struct aileron::config::enum_traits<aileron::slog_level> {
    static constexpr std::array values{
        std::pair{std::string_view{"LogLevelUnknown"}, slog_level::unknown},
        std::pair{std::string_view{"Trace"}, slog_level::trace},
        std::pair{std::string_view{"Debug"}, slog_level::debug},
        std::pair{std::string_view{"Info"}, slog_level::info},
        std::pair{std::string_view{"Warn"}, slog_level::warn},
        std::pair{std::string_view{"Error"}, slog_level::error},
        std::pair{std::string_view{"Fatal"}, slog_level::fatal},
    };
};

template <>
struct aileron::config::enum_traits<aileron::slog_target> {
    static constexpr std::array values{
        std::pair{std::string_view{"OutputTargetUnknown"}, slog_target::unknown},
        std::pair{std::string_view{"Stdout"}, slog_target::std_out},
        std::pair{std::string_view{"Stderr"}, slog_target::std_err},
        std::pair{std::string_view{"Discard"}, slog_target::discard},
        std::pair{std::string_view{"File"}, slog_target::file},
    };
};

namespace aileron {

class build_context;

class slogger final : public logger {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "SLogger";

    struct log_output {
        slog_target output_target = slog_target::std_out;
        std::string log_dir;
        std::string backup_dir;
        std::string log_file_name = "application.log";
        std::string archived_file_pattern;
        std::string cron;
        std::uint32_t rotate_size = 1024;
        std::string time_layout;
        std::string time_zone = "Local";
        std::int32_t compress_level = 0;
        std::int32_t max_age = 0;
        std::int32_t max_backup = 0;
        std::uint32_t max_total_size = 0;
        slog_target output_redirect_target = slog_target::unknown;
        static constexpr auto fields() {
            using c = log_output;
            return std::tuple{
                aileron::config::field("outputTarget", "OutputTarget", &c::output_target),
                aileron::config::field("logDir", "LogDir", &c::log_dir),
                aileron::config::field("backupDir", "BackupDir", &c::backup_dir),
                aileron::config::field("logFileName", "LogFileName", &c::log_file_name),
                aileron::config::field("archivedFilePattern", "ArchivedFilePattern", &c::archived_file_pattern),
                aileron::config::field("cron", "Cron", &c::cron),
                aileron::config::field("rotateSize", "RotateSize", &c::rotate_size),
                aileron::config::field("timeLayout", "TimeLayout", &c::time_layout),
                aileron::config::field("timeZone", "TimeZone", &c::time_zone),
                aileron::config::field("compressLevel", "CompressLevel", &c::compress_level),
                aileron::config::field("maxAge", "MaxAge", &c::max_age),
                aileron::config::field("maxBackup", "MaxBackup", &c::max_backup),
                aileron::config::field("maxTotalSize", "MaxTotalSize", &c::max_total_size),
                aileron::config::field("outputRedirectTarget", "OutputRedirectTarget", &c::output_redirect_target)};
        }
    };

    /// AILERON's `FieldReplacerSpec`.
    struct field_replacer_config {
        std::string field;   ///< "a.b.c"
        std::optional<aileron::config::replacer_spec> replacer;   ///< absent: remove the field
        static constexpr auto fields() {
            using c = field_replacer_config;
            return std::tuple{aileron::config::field("field", "Field", &c::field),
                              aileron::config::field("replacer", "Replacer", &c::replacer)};
        }
    };

    struct config {
        slog_level level = slog_level::info;
        log_output output;
        bool unstructured = false;
        std::string output_time_format = "2006-01-02 15:04:05";
        std::string date_format = "2006-01-02";
        std::string time_format = "15:04:05.000";
        bool no_location = false;
        bool no_datetime = false;
        std::vector<field_replacer_config> field_replacers;
        static constexpr auto fields() {
            using c = config;
            return std::tuple{aileron::config::field("level", "Level", &c::level),
                              aileron::config::field("logOutput", "LogOutput", &c::output),
                              aileron::config::field("unstructured", "Unstructured", &c::unstructured),
                              aileron::config::field("outputTimeFormat", "OutputTimeFormat", &c::output_time_format),
                              aileron::config::field("dateFormat", "DateFormat", &c::date_format),
                              aileron::config::field("timeFormat", "TimeFormat", &c::time_format),
                              aileron::config::field("noLocation", "NoLocation", &c::no_location),
                              aileron::config::field("noDatetime", "NoDatetime", &c::no_datetime),
                              aileron::config::field("fieldReplacers", "FieldReplacers", &c::field_replacers)};
        }
        void normalize(aileron::config::decoder& d);
    };

    /// Opens the log file for `File` output; a failure (directory or file not writable) is
    /// reported through `ctx`, and the logger then writes to stderr.
    slogger(const config& cfg, build_context& ctx);
    /// Without a context a file that cannot be opened throws std::runtime_error.
    explicit slogger(const config& cfg);
};

}  // namespace aileron
