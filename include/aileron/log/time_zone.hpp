#pragma once
/// @file
/// Time zones as Go's `time.LoadLocation` knows them: `Local`, `UTC`, and IANA names read from
/// the system's zoneinfo files (TZif), for the timestamps of log records and log file names.
///
/// aileron does not use `localtime_r`: glibc takes a process-wide lock in it, and it knows only
/// the one zone of `TZ`. A `time_zone` is immutable once loaded, cheap to copy and safe to use
/// from every thread.

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace aileron {

/// A civil date and time, as a zone sees an instant.
struct civil_time {
    std::int64_t year;
    int month;        ///< 1..12
    int day;          ///< 1..31
    int hour;         ///< 0..23
    int minute;       ///< 0..59
    int second;       ///< 0..59
    int weekday;      ///< 0 = Sunday
    int year_day;     ///< 1..366
    std::int32_t offset;       ///< seconds east of UTC
    std::string_view abbrev;   ///< "JST", "CEST", "UTC"; valid as long as the zone
};

class time_zone {
public:
    /// UTC.
    time_zone();

    /**
     * The zone Go's `time.LoadLocation(name)` would return: `""` and `"UTC"` are UTC, `"Local"`
     * is the process's local zone (below), anything else an IANA name looked up in
     * `$ZONEINFO` (a directory) or `/usr/share/zoneinfo`. Fails with `no_such_file_or_directory`
     * for an unknown name and `invalid_argument` for a file that is not TZif, or a name with
     * `..` in it.
     */
    static boost::system::result<time_zone> load(std::string_view name);

    /// Go's `time.Local`: `$TZ` when set (empty = UTC, a leading `:` ignored, an IANA name
    /// or a POSIX rule such as `JST-9`), else `/etc/localtime`, else UTC. Named "Local".
    static const time_zone& local();

    /// A zone from a POSIX TZ rule (`"CET-1CEST,M3.5.0,M10.5.0/3"`), named `name`. Fails with
    /// `invalid_argument` when the rule does not parse.
    static boost::system::result<time_zone> from_posix(std::string_view rule, std::string name);

    /// What `load` was given ("Local", "UTC", "Asia/Tokyo"): Go's `Location.String()`.
    const std::string& name() const noexcept;

    /// The civil time at `unix_seconds` (seconds since 1970-01-01 UTC).
    civil_time at(std::int64_t unix_seconds) const noexcept;

    /// The offset from UTC at `unix_seconds`, in seconds.
    std::int32_t offset_at(std::int64_t unix_seconds) const noexcept;

    /// The instant of a civil time in this zone (when the time is skipped or repeated by a
    /// transition, the offset in effect just before it is used).
    std::int64_t to_unix(std::int64_t year, int month, int day, int hour, int minute, int second) const noexcept;

    struct data;

private:
    explicit time_zone(std::shared_ptr<const data> d) noexcept : d_(std::move(d)) {}
    std::shared_ptr<const data> d_;
};

/// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

}  // namespace aileron
