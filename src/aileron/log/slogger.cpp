#include <aileron/log/slogger.hpp>

#include <aileron/log/log_file.hpp>
#include <aileron/registry/registry.hpp>
#include <aileron/registry/resource_graph.hpp>

#include <stdexcept>
#include <unistd.h>

namespace aileron {

void slogger::config::normalize(aileron::config::decoder& d) {
    if (output.compress_level < -2 || output.compress_level > 9) d.error("logOutput.compressLevel", "must be in -2..9");
    if (output.output_redirect_target == slog_target::file)
        d.error("logOutput.outputRedirectTarget", "must be Stdout, Stderr or Discard");
    if (auto zone = time_zone::load(output.time_zone); !zone)
        d.error("logOutput.timeZone", "unknown time zone \"" + output.time_zone + "\"");
    if (output.output_target == slog_target::file) {
        const std::string& pattern = output.archived_file_pattern.empty() ? output.log_file_name : output.archived_file_pattern;
        if (auto p = archive_pattern_problem(pattern); !p.empty())
            d.error(output.archived_file_pattern.empty() ? "logOutput.logFileName" : "logOutput.archivedFilePattern", p);
        if (output.log_file_name.find('/') != std::string::npos)
            d.error("logOutput.logFileName", "must be a file name; put the directory in logDir");
        if (!output.cron.empty()) {
            cron_schedule c;
            std::string error;
            if (!cron_schedule::parse(output.cron, c, error)) d.error("logOutput.cron", error);
        }
    }
    for (std::size_t i = 0; i < field_replacers.size(); ++i) {
        const std::string& f = field_replacers[i].field;
        if (f.empty()) continue;   // AILERON skips entries without a field
        if (f.front() == '.' || f.back() == '.' || f.find("..") != std::string::npos)
            d.error("fieldReplacers[" + std::to_string(i) + "].field", "\"" + f + "\" is not a field path (a.b.c)");
    }
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
    case slog_target::file: o.target = logger::output::file; break;
    default: o.target = logger::output::stdout_;
    }
    o.output_time_format = c.output_time_format;
    o.date_format = c.date_format;
    o.time_format = c.time_format;
    if (auto z = time_zone::load(c.output.time_zone)) o.zone = *z;
    for (const auto& fr : c.field_replacers) {
        if (fr.field.empty()) continue;
        field_replacer r;
        for (std::size_t i = 0, j; i <= fr.field.size(); i = j + 1) {
            j = fr.field.find('.', i);
            if (j == std::string::npos) j = fr.field.size();
            r.path.push_back(fr.field.substr(i, j - i));
        }
        if (fr.replacer) r.replace.emplace(*fr.replacer, replacer::mode::text);
        o.field_replacers.push_back(std::move(r));
    }
    return o;
}

std::unique_ptr<log_sink> make_sink(const slogger::config& c, std::string& error) {
    const auto& out = c.output;
    switch (out.output_target) {
    case slog_target::std_err: return std::make_unique<fd_sink>(STDERR_FILENO);
    case slog_target::discard: return nullptr;
    case slog_target::file: break;
    default: return std::make_unique<fd_sink>(STDOUT_FILENO);
    }
    log_file_options f;
    f.dir = out.log_dir;
    f.backup_dir = out.backup_dir;
    f.file_name = out.log_file_name;
    f.pattern = out.archived_file_pattern;
    f.rotate_bytes = std::uint64_t{out.rotate_size} * 1024 * 1024;
    f.gzip_level = out.compress_level;
    f.max_age = std::chrono::seconds{out.max_age > 0 ? out.max_age : 0};
    f.max_backups = out.max_backup > 0 ? out.max_backup : 0;
    f.max_total_bytes = std::uint64_t{out.max_total_size} * 1024 * 1024;
    f.cron = out.cron;
    // outputRedirectTarget copies the file's records to stdout or stderr (0 and Discard: no copy).
    if (out.output_redirect_target == slog_target::std_out) f.tee_fd = STDOUT_FILENO;
    else if (out.output_redirect_target == slog_target::std_err) f.tee_fd = STDERR_FILENO;
    auto sink = log_file_sink::open(std::move(f), error);
    if (!sink) return std::make_unique<fd_sink>(STDERR_FILENO);   // where AILERON falls back to
    return sink;
}

std::unique_ptr<log_sink> sink_or_throw(const slogger::config& c) {
    std::string error;
    auto s = make_sink(c, error);
    if (!error.empty()) throw std::runtime_error("SLogger: " + error);
    return s;
}

std::unique_ptr<log_sink> sink_or_report(const slogger::config& c, build_context& ctx) {
    std::string error;
    auto s = make_sink(c, error);
    if (!error.empty()) {
        const auto* e = ctx.graph().find(ctx.resource_id());
        ctx.error(e ? e->where : aileron::config::mark{}, "spec.logOutput", error);
    }
    return s;
}

}  // namespace

slogger::slogger(const config& cfg) : logger(to_options(cfg), sink_or_throw(cfg)) {}

slogger::slogger(const config& cfg, build_context& ctx) : logger(to_options(cfg), sink_or_report(cfg, ctx)) {}

}  // namespace aileron
