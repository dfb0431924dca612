#include <aileron/log/slogger.hpp>

namespace aileron {

void slogger::config::normalize(aileron::config::decoder& d) {
    // What issue-by-issue work has not reached yet is refused, not silently ignored.
    if (output.output_target == slog_target::file)
        d.error("logOutput.outputTarget", "File output is not supported by aileron yet (Stdout, Stderr, Discard are)");
    if (output_time_format != "2006-01-02 15:04:05" || date_format != "2006-01-02" || time_format != "15:04:05.000")
        d.error("outputTimeFormat", "custom time formats are not supported by aileron yet");
    if (!field_replacers.empty()) d.error("fieldReplacers", "field replacers are not supported by aileron yet");
    if (output.compress_level < -2 || output.compress_level > 9) d.error("logOutput.compressLevel", "must be in -2..9");
}

namespace {

logger::options to_options(const slogger::config& c) {
    logger::options o;
    switch (c.level) {
    case slog_level::trace: o.level = log_level::trace; break;
    case slog_level::debug: o.level = log_level::debug; break;
    case slog_level::warn: o.level = log_level::warn; break;
    case slog_level::error: o.level = log_level::error; break;
    case slog_level::fatal: o.level = log_level::fatal; break;
    default: o.level = log_level::info;
    }
    o.unstructured = c.unstructured;
    o.no_location = c.no_location;
    o.no_datetime = c.no_datetime;
    switch (c.output.output_target) {
    case slog_target::std_err: o.target = logger::output::stderr_; break;
    case slog_target::discard: o.target = logger::output::discard; break;
    default: o.target = logger::output::stdout_;
    }
    return o;
}

}  // namespace

slogger::slogger(const config& cfg) : logger(to_options(cfg)) {}

}  // namespace aileron
