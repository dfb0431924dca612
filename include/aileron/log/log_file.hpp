#pragma once
/// @file
/// A log file that rotates: AILERON's `LogOutput` with `outputTarget: File`.
///
/// Records go to `<logDir>/<logFileName>`. The file is rotated when the next record would take
/// it over `rotateSize`, and on the `cron` schedule: it is renamed to a name made from
/// `archivedFilePattern` (`%Y %M %D %h %m %s` local date and time, `%u` unix seconds, `%i` a
/// counter, `%H` host name, `%U` uid, `%G` gid, `%p` pid, `%P` parent pid; a pattern without a
/// date or counter gets `.%i` appended, so the default is `application.log.1`, `.2`, ...), and
/// a new file is opened. Archived files are then moved to `backupDir` (gzip-compressed there
/// with `compressLevel` ≠ 0, adding `.gz`), and the oldest removed beyond `maxBackup` files,
/// `maxTotalSize` bytes or `maxAge` (ages need `%Y%M%D` or `%u` in the pattern). Compression and
/// clean-up run on a thread of their own, so a rotation never holds up the records behind it.
///
/// Used by the writer thread of a `log_writer` only.

#include <aileron/log/log_writer.hpp>
#include <aileron/log/time_zone.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace aileron {

/// A cron expression as AILERON's library reads it: `[TZ=<zone>|CRON_TZ=<zone>] [sec] min hour
/// day-of-month month day-of-week` (`*`, `a-b`, `*/n`, `a/n`, `a-b/n`, lists with `,`, `JAN`-`DEC`,
/// `SUN`-`SAT`; day of month AND day of week must both match), or an alias: `@hourly`,
/// `@daily`, `@weekly`, `@monthly`, `@sunday`..`@saturday`, `@every <duration>` (under 24h).
class cron_schedule {
public:
    /// The schedule, or the reason `expr` is not one.
    static bool parse(std::string_view expr, cron_schedule& out, std::string& error);

    /// The first scheduled instant (whole second) strictly after `t`.
    std::chrono::system_clock::time_point next_after(std::chrono::system_clock::time_point t) const;

private:
    std::uint64_t second_ = 0, minute_ = 0, hour_ = 0, day_ = 0, month_ = 0, weekday_ = 0;
    time_zone zone_ = time_zone::local();
};

struct log_file_options {
    std::string dir;                   ///< `logDir` ("" = the working directory)
    std::string backup_dir;            ///< `backupDir` ("" = dir)
    std::string file_name = "application.log";
    std::string pattern;               ///< `archivedFilePattern` ("" = file_name)
    std::uint64_t rotate_bytes = 0;    ///< 0: no size rotation
    int gzip_level = 0;                ///< 0: none; -2 Huffman only, -1 zlib's default, 1..9
    std::chrono::seconds max_age{0};   ///< 0: unlimited
    int max_backups = 0;               ///< 0: unlimited
    std::uint64_t max_total_bytes = 0; ///< 0: unlimited
    std::string cron;                  ///< "": no scheduled rotation
    int tee_fd = -1;                   ///< `outputRedirectTarget`: also write to this descriptor
};

/// Why `pattern` is not a valid archived-file pattern, or an empty string.
std::string archive_pattern_problem(std::string_view pattern);

class log_file_sink final : public log_sink {
public:
    /// Creates the directories, archives what a previous run left, opens the file. On failure
    /// returns nullptr with the reason in `error`.
    static std::unique_ptr<log_file_sink> open(log_file_options opt, std::string& error);
    ~log_file_sink() override;

    void write(std::string_view record) override;
    void flush() override;
    std::chrono::system_clock::time_point next_tick() const override { return next_rotation_; }
    void tick(std::chrono::system_clock::time_point now) override;

    /// Renames the current file to its archive name and opens a new one.
    void rotate();
    /// The path of the file written to.
    const std::string& path() const noexcept { return path_; }

    struct manager;

private:
    explicit log_file_sink(log_file_options opt);
    bool open_current(std::string& error);
    void write_out(std::string_view data);

    log_file_options opt_;
    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::string buf_;
    bool has_cron_ = false;
    cron_schedule cron_;
    std::chrono::system_clock::time_point next_rotation_ = std::chrono::system_clock::time_point::max();
    std::unique_ptr<manager> manager_;
};

}  // namespace aileron
