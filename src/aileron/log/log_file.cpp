#include <aileron/log/log_file.hpp>

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <pthread.h>
#include <sys/stat.h>
#include <system_error>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace aileron {

namespace fs = std::filesystem;
using namespace std::chrono;

//----------------------------------------------------------------------------------------------
// cron

namespace {

std::string upper(std::string_view s) {
    std::string out{s};
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool to_int(std::string_view s, int& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

/// `*`, `n`, `a-b`
bool parse_range(std::string_view e, int min, int max, int& lo, int& hi) {
    if (e == "*") {
        lo = min;
        hi = max;
        return true;
    }
    auto dash = e.find('-');
    if (dash == std::string_view::npos) {
        if (!to_int(e, lo) || lo < min || lo > max) return false;
        hi = lo;
        return true;
    }
    if (!to_int(e.substr(0, dash), lo) || !to_int(e.substr(dash + 1), hi)) return false;
    return lo <= hi && lo >= min && hi <= max;
}

bool parse_field(std::string_view exp, int min, int max, std::uint64_t& bits) {
    bits = 0;
    while (true) {
        auto comma = exp.find(',');
        std::string_view e = exp.substr(0, comma);
        int lo, hi, step = 1;
        if (auto slash = e.find('/'); slash != std::string_view::npos) {
            if (!to_int(e.substr(slash + 1), step) || step <= 0) return false;
            if (!parse_range(e.substr(0, slash), min, max, lo, hi)) return false;
            if (lo == hi) hi = max;
        } else if (!parse_range(e, min, max, lo, hi)) {
            return false;
        }
        for (int i = lo; i <= hi; i += step) bits |= std::uint64_t{1} << i;
        if (comma == std::string_view::npos) return true;
        exp.remove_prefix(comma + 1);
    }
}

/// JAN..DEC or SUN..SAT to numbers (case-insensitive); false when letters remain.
bool replace_names(std::string& s, const std::vector<std::pair<std::string, std::string>>& names) {
    int run = 0;
    for (char c : s) {
        run = std::isalpha(static_cast<unsigned char>(c)) ? run + 1 : 0;
        if (run >= 4) return false;
    }
    s = upper(s);
    for (auto& [from, to] : names)
        for (std::size_t p; (p = s.find(from)) != std::string::npos;) s.replace(p, from.size(), to);
    return std::none_of(s.begin(), s.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

/// Go's time.ParseDuration for what @every takes (h, m, s, ms; fractions allowed).
bool parse_go_duration(std::string_view s, double& seconds) {
    seconds = 0;
    if (s.empty()) return false;
    while (!s.empty()) {
        std::size_t i = 0;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
        if (i == 0) return false;
        double v = std::strtod(std::string{s.substr(0, i)}.c_str(), nullptr);
        s.remove_prefix(i);
        std::size_t j = 0;
        while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
        std::string_view unit = s.substr(0, j);
        s.remove_prefix(j);
        if (unit == "h") v *= 3600;
        else if (unit == "m") v *= 60;
        else if (unit == "s") v *= 1;
        else if (unit == "ms") v /= 1000;
        else if (unit == "us" || unit == "µs") v /= 1e6;
        else if (unit == "ns") v /= 1e9;
        else return false;
        seconds += v;
    }
    return true;
}

}  // namespace

bool cron_schedule::parse(std::string_view expr, cron_schedule& out, std::string& error) {
    std::string e{expr};
    // Trim " \n\r\t\f," at both ends, as the Go library does.
    auto trim_set = std::string_view{" \n\r\t\f,"};
    while (!e.empty() && trim_set.find(e.front()) != std::string_view::npos) e.erase(0, 1);
    while (!e.empty() && trim_set.find(e.back()) != std::string_view::npos) e.pop_back();
    for (std::size_t p; (p = e.find("CRON_TZ=")) != std::string::npos;) e.replace(p, 8, "TZ=");
    std::vector<std::string> fields;
    for (std::size_t i = 0; i < e.size();) {
        while (i < e.size() && std::isspace(static_cast<unsigned char>(e[i]))) ++i;
        std::size_t j = i;
        while (j < e.size() && !std::isspace(static_cast<unsigned char>(e[j]))) ++j;
        if (j > i) fields.emplace_back(e.substr(i, j - i));
        i = j;
    }
    if (fields.empty()) {
        error = "empty cron expression";
        return false;
    }
    cron_schedule c;
    if (fields[0].starts_with("TZ=")) {
        auto zone = time_zone::load(std::string_view{fields[0]}.substr(3));
        if (!zone) {
            error = "unknown time zone \"" + fields[0].substr(3) + "\"";
            return false;
        }
        c.zone_ = *zone;
        fields.erase(fields.begin());
    }
    // Aliases.
    if (fields.size() >= 1 && fields[0].starts_with('@')) {
        const std::string alias = upper(fields[0]);
        static const std::map<std::string, std::string> aliases{
            {"@MONTHLY", "0 0 1 * *"}, {"@WEEKLY", "0 0 * * 0"},    {"@DAILY", "0 0 * * *"},
            {"@HOURLY", "0 * * * *"},  {"@SUNDAY", "0 0 * * 0"},    {"@MONDAY", "0 0 * * 1"},
            {"@TUESDAY", "0 0 * * 2"}, {"@WEDNESDAY", "0 0 * * 3"}, {"@THURSDAY", "0 0 * * 4"},
            {"@FRIDAY", "0 0 * * 5"},  {"@SATURDAY", "0 0 * * 6"}};
        std::string replacement;
        if (alias == "@EVERY" && fields.size() == 2) {
            double d = 0;
            std::string lower = fields[1];
            for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (!parse_go_duration(lower, d) || d < 1 || d >= 86400) {
                error = "@every needs a duration from 1s to under 24h";
                return false;
            }
            auto total = static_cast<long>(d);
            std::string s = "*", m = "*", h = "*";
            if (long hours = total / 3600) {
                total -= hours * 3600;
                h = "*/" + std::to_string(hours);
                m = s = "0";
            }
            if (long minutes = total / 60) {
                total -= minutes * 60;
                m = "*/" + std::to_string(minutes);
                s = "0";
            }
            if (total) s = "*/" + std::to_string(total);
            replacement = s + " " + m + " " + h + " * * *";
        } else if (auto it = aliases.find(alias); it != aliases.end() && fields.size() == 1) {
            replacement = it->second;
        } else {
            error = "unknown cron alias \"" + fields[0] + "\"";
            return false;
        }
        fields.clear();
        for (std::size_t i = 0, j; i < replacement.size(); i = j + 1) {
            j = replacement.find(' ', i);
            if (j == std::string::npos) j = replacement.size();
            fields.push_back(replacement.substr(i, j - i));
        }
    }
    if (fields.size() == 5) fields.insert(fields.begin(), "0");
    if (fields.size() != 6) {
        error = "a cron expression has 5 or 6 fields ([second] minute hour day-of-month month day-of-week)";
        return false;
    }
    static const std::vector<std::pair<std::string, std::string>> months{
        {"JAN", "1"}, {"FEB", "2"}, {"MAR", "3"}, {"APR", "4"}, {"MAY", "5"},  {"JUN", "6"},
        {"JUL", "7"}, {"AUG", "8"}, {"SEP", "9"}, {"OCT", "10"}, {"NOV", "11"}, {"DEC", "12"}};
    static const std::vector<std::pair<std::string, std::string>> days{
        {"SUN", "0"}, {"MON", "1"}, {"TUE", "2"}, {"WED", "3"}, {"THU", "4"}, {"FRI", "5"}, {"SAT", "6"}};
    if (!parse_field(fields[0], 0, 59, c.second_)) return error = "invalid second \"" + fields[0] + "\"", false;
    if (!parse_field(fields[1], 0, 59, c.minute_)) return error = "invalid minute \"" + fields[1] + "\"", false;
    if (!parse_field(fields[2], 0, 23, c.hour_)) return error = "invalid hour \"" + fields[2] + "\"", false;
    if (!parse_field(fields[3], 1, 31, c.day_)) return error = "invalid day of month \"" + fields[3] + "\"", false;
    std::string month = fields[4], weekday = fields[5];
    if (!replace_names(month, months) || !parse_field(month, 1, 12, c.month_))
        return error = "invalid month \"" + fields[4] + "\"", false;
    if (!replace_names(weekday, days) || !parse_field(weekday, 0, 6, c.weekday_))
        return error = "invalid day of week \"" + fields[5] + "\"", false;
    // Unschedulable (e.g. February 30th): no matching day within ten years.
    const auto now = system_clock::now();
    if (c.next_after(now) - now > hours{24 * 366 * 10}) {
        error = "the cron expression never matches";
        return false;
    }
    out = std::move(c);
    return true;
}

system_clock::time_point cron_schedule::next_after(system_clock::time_point tp) const {
    std::int64_t t = duration_cast<seconds>(tp.time_since_epoch()).count() + 1;
    const std::int64_t limit = t + std::int64_t{86400} * 366 * 10 + 86400;
    auto bit = [](std::uint64_t bits, int i) { return (bits >> i) & 1; };
    while (t < limit) {
        civil_time c = zone_.at(t);
        // The next local midnight (days_from_civil takes day 32 as the 1st of the next month).
        auto next_day = [&] {
            const std::int64_t n = zone_.to_unix(c.year, c.month, c.day + 1, 0, 0, 0);
            return n > t ? n : t + 3600;
        };
        if (!bit(month_, c.month) || !bit(day_, c.day) || !bit(weekday_, c.weekday)) {
            t = next_day();
            continue;
        }
        // Within this day: the first (hour, minute, second) at or after the current one.
        for (int h = c.hour; h < 24; ++h) {
            if (!bit(hour_, h)) continue;
            for (int m = h == c.hour ? c.minute : 0; m < 60; ++m) {
                if (!bit(minute_, m)) continue;
                for (int s = (h == c.hour && m == c.minute) ? c.second : 0; s < 60; ++s) {
                    if (!bit(second_, s)) continue;
                    std::int64_t at = zone_.to_unix(c.year, c.month, c.day, h, m, s);
                    if (at >= t) return system_clock::time_point{seconds{at}};
                }
            }
        }
        t = next_day();
    }
    return system_clock::time_point::max();
}

//----------------------------------------------------------------------------------------------
// archive names

namespace {

/// Splits at the first `%x`: the text before, the specifier (0 when none), the rest.
void scan_format(std::string_view f, std::string_view& prefix, std::string_view& rest, char& spec) {
    for (std::size_t i = 0; i + 1 < f.size(); ++i)
        if (f[i] == '%') {
            prefix = f.substr(0, i);
            spec = f[i + 1];
            rest = f.substr(i + 2);
            return;
        }
    prefix = f;
    rest = {};
    spec = 0;
}

bool format_name(std::string_view f, std::int64_t unix_now, int index, std::string& out) {
    out.clear();
    const civil_time c = time_zone::local().at(unix_now);
    auto pad = [&](std::int64_t v, int w) {
        std::string s = std::to_string(v);
        if (static_cast<int>(s.size()) < w) s.insert(0, static_cast<std::size_t>(w) - s.size(), '0');
        out += s;
    };
    while (!f.empty()) {
        std::string_view prefix, rest;
        char spec;
        scan_format(f, prefix, rest, spec);
        out += prefix;
        if (!spec) return true;
        switch (spec) {
        case 'Y': pad(c.year, 4); break;
        case 'M': pad(c.month, 2); break;
        case 'D': pad(c.day, 2); break;
        case 'h': pad(c.hour, 2); break;
        case 'm': pad(c.minute, 2); break;
        case 's': pad(c.second, 2); break;
        case 'u': out += std::to_string(unix_now); break;
        case 'i': out += std::to_string(index); break;
        default: return false;
        }
        f = rest;
    }
    return true;
}

struct archived {
    std::string name;
    std::string path;
    std::uint64_t size = 0;
    std::int64_t age = 0;   ///< seconds; 0 when the name has no date
    int index = 0;
};

/// Parses a name made by `format_name`: its date (as unix seconds, 0 when none) and index.
bool scan_name(std::string_view f, std::string_view s, std::int64_t& created, int& index) {
    std::int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, unix_s = 0, idx = 0;
    auto number = [&](int digits, std::int64_t& v) {
        std::size_t n = 0;
        v = 0;
        while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n])) && (digits < 0 || n < static_cast<std::size_t>(digits))) {
            v = v * 10 + (s[n] - '0');
            ++n;
        }
        if (n == 0 || (digits > 0 && n != static_cast<std::size_t>(digits))) return false;
        s.remove_prefix(n);
        return true;
    };
    while (!f.empty()) {
        std::string_view prefix, rest;
        char spec;
        scan_format(f, prefix, rest, spec);
        if (!s.starts_with(prefix)) return false;
        s.remove_prefix(prefix.size());
        f = rest;
        if (!spec) break;
        bool ok = false;
        switch (spec) {
        case 'Y': ok = number(4, year); break;
        case 'M': ok = number(2, month); break;
        case 'D': ok = number(2, day); break;
        case 'h': ok = number(2, hour); break;
        case 'm': ok = number(2, minute); break;
        case 's': ok = number(2, second); break;
        case 'u': ok = number(-1, unix_s); break;
        case 'i': ok = number(-1, idx); break;
        default: break;
        }
        if (!ok) return false;
    }
    if (month > 12 || day > 31 || hour > 23 || minute > 59 || second > 59) return false;
    created = 0;
    if (unix_s > 0) created = unix_s;
    else if (year > 0 && month > 0 && day > 0)
        created = time_zone::local().to_unix(year, static_cast<int>(month), static_cast<int>(day), static_cast<int>(hour),
                                             static_cast<int>(minute), static_cast<int>(second));
    index = static_cast<int>(idx);
    return s.empty() && f.empty();
}

std::vector<archived> list_archived(const std::string& pattern, const std::string& dir) {
    std::vector<archived> out;
    const std::int64_t now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator{dir, ec}) {
        std::error_code e2;
        if (!entry.is_regular_file(e2)) continue;
        const std::string name = entry.path().filename().string();
        std::int64_t created = 0;
        int index = 0;
        if (!scan_name(pattern, name, created, index)) continue;
        archived a;
        a.name = name;
        a.path = entry.path().string();
        a.size = entry.file_size(e2);
        a.age = created > 0 ? now - created : 0;
        a.index = index;
        out.push_back(std::move(a));
    }
    std::stable_sort(out.begin(), out.end(), [](const archived& a, const archived& b) {
        if (a.age != b.age) return a.age < b.age;
        return a.index > b.index;
    });
    return out;
}

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return {};
    return buf;
}

bool gzip_file(const std::string& src, const std::string& dst, int level) {
    int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return false;
    std::string mode = "wb";
    if (level == -2) mode += "1h";
    else if (level >= 1 && level <= 9) mode += std::to_string(level);
    gzFile out = gzopen(dst.c_str(), mode.c_str());
    if (!out) {
        ::close(in);
        return false;
    }
    char buf[32 * 1024];
    bool ok = true;
    for (;;) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) ok = false;
        if (n <= 0) break;
        if (gzwrite(out, buf, static_cast<unsigned>(n)) != n) {
            ok = false;
            break;
        }
    }
    ok = gzclose(out) == Z_OK && ok;
    ::close(in);
    if (ok) ::unlink(src.c_str());
    else ::unlink(dst.c_str());
    return ok;
}

std::string clean_dir(const std::string& d) {
    if (d.empty()) return ".";
    std::string s = fs::path{d}.lexically_normal().string();
    if (s.size() > 1 && s.back() == '/') s.pop_back();
    return s.empty() ? "." : s;
}

}  // namespace

std::string archive_pattern_problem(std::string_view pattern) {
    if (pattern.find('/') != std::string_view::npos || pattern.find('\\') != std::string_view::npos)
        return "must be a file name, not a path";
    std::string out;
    // %H %U %G %p %P are fixed at startup; any other specifier must be a known one.
    std::string p{pattern};
    for (const char* fixed : {"%H", "%U", "%G", "%p", "%P"})
        for (std::size_t i; (i = p.find(fixed)) != std::string::npos;) p.replace(i, 2, "x");
    if (!format_name(p, 0, 1, out)) return "unknown specifier (use %Y %M %D %h %m %s %u %i %H %U %G %p %P)";
    return {};
}

//----------------------------------------------------------------------------------------------
// The archive manager: a thread that moves, compresses and removes archived files.

struct log_file_sink::manager {
    manager(const log_file_options& o, std::string pattern_)
        : src(clean_dir(o.dir)), dst(clean_dir(o.backup_dir.empty() ? o.dir : o.backup_dir)),
          pattern(std::move(pattern_)), gzip_level(o.gzip_level), max_age(o.max_age.count()),
          max_backups(o.max_backups), max_total(o.max_total_bytes) {}

    ~manager() {
        {
            std::lock_guard lock{m};
            stop = true;
        }
        cv.notify_one();
        if (thread.joinable()) thread.join();
    }

    void start() {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        thread = std::thread{[this] {
            std::unique_lock lock{m};
            for (;;) {
                cv.wait(lock, [this] { return stop || pending; });
                if (pending) {
                    pending = false;
                    lock.unlock();
                    manage();
                    lock.lock();
                    continue;
                }
                if (stop) return;
            }
        }};
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }

    /// The path an archived file is renamed to (in src); takes the next index.
    std::string new_file() {
        std::lock_guard lock{m};
        ++index;
        std::string name;
        format_name(pattern, duration_cast<seconds>(system_clock::now().time_since_epoch()).count(), index, name);
        return src + "/" + name;
    }

    void request() {
        {
            std::lock_guard lock{m};
            pending = true;
        }
        cv.notify_one();
    }

    /// Archives src's files into dst, then applies the limits there.
    void manage() {
        std::lock_guard lock{manage_mutex};
        if (src != dst || gzip_level != 0) {
            for (const archived& a : list_archived(pattern, src)) {
                if (gzip_level == 0) {
                    std::error_code ec;
                    fs::rename(a.path, dst + "/" + a.name, ec);
                } else {
                    gzip_file(a.path, dst + "/" + a.name + ".gz", gzip_level);
                }
            }
        }
        auto files = list_archived(gzip_level != 0 ? pattern + ".gz" : pattern, dst);
        {
            std::lock_guard lock2{m};
            if (!files.empty() && files.front().index >= index) index = files.front().index;
        }
        std::uint64_t total = 0;
        for (std::size_t i = 0; i < files.size(); ++i) {
            const archived& f = files[i];
            bool remove = max_backups > 0 && i >= static_cast<std::size_t>(max_backups);
            remove = remove || (max_age > 0 && f.age > max_age);
            total += f.size;
            remove = remove || (max_total > 0 && total > max_total);
            if (remove) ::unlink(f.path.c_str());
        }
    }

    const std::string src, dst, pattern;
    const int gzip_level;
    const std::int64_t max_age;
    const int max_backups;
    const std::uint64_t max_total;
    std::mutex m;   ///< guards index, pending, stop
    std::mutex manage_mutex;
    std::condition_variable cv;
    int index = 0;
    bool pending = false;
    bool stop = false;
    std::thread thread;
};

//----------------------------------------------------------------------------------------------

log_file_sink::log_file_sink(log_file_options opt) : opt_(std::move(opt)) {}

log_file_sink::~log_file_sink() {
    flush();
    if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<log_file_sink> log_file_sink::open(log_file_options opt, std::string& error) {
    if (opt.file_name.empty()) opt.file_name = "application.log";
    std::string pattern = opt.pattern.empty() ? opt.file_name : opt.pattern;
    if (auto p = archive_pattern_problem(pattern); !p.empty()) {
        error = "archivedFilePattern " + p;
        return nullptr;
    }
    // Fixed specifiers once; a pattern without a date or a counter gets a counter.
    const std::pair<const char*, std::string> fixed[] = {{"%H", host_name()},
                                                          {"%U", std::to_string(::getuid())},
                                                          {"%G", std::to_string(::getegid())},
                                                          {"%p", std::to_string(::getpid())},
                                                          {"%P", std::to_string(::getppid())}};
    for (auto& [spec, value] : fixed)
        for (std::size_t i; (i = pattern.find(spec)) != std::string::npos;) pattern.replace(i, 2, value);
    {
        std::string_view prefix, rest;
        char spec;
        scan_format(pattern, prefix, rest, spec);
        if (!spec || std::string_view{"YMDhmsui"}.find(spec) == std::string_view::npos) pattern += ".%i";
    }
    std::unique_ptr<log_file_sink> sink{new log_file_sink{std::move(opt)}};
    log_file_options& o = sink->opt_;
    if (!o.cron.empty()) {
        std::string cerr;
        if (!cron_schedule::parse(o.cron, sink->cron_, cerr)) {
            error = "cron: " + cerr;
            return nullptr;
        }
        sink->has_cron_ = true;
        sink->next_rotation_ = sink->cron_.next_after(system_clock::now());
    }
    sink->manager_ = std::make_unique<manager>(o, pattern);
    for (const std::string* d : {&sink->manager_->src, &sink->manager_->dst}) {
        std::error_code ec;
        fs::create_directories(*d, ec);
        if (ec) {
            error = "cannot create directory " + *d + ": " + ec.message();
            return nullptr;
        }
    }
    sink->path_ = sink->manager_->src + "/" + o.file_name;
    sink->manager_->manage();   // what a previous run left
    if (!sink->open_current(error)) return nullptr;
    sink->manager_->start();
    return sink;
}

bool log_file_sink::open_current(std::string& error) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        error = "cannot open " + path_ + ": " + std::strerror(errno);
        return false;
    }
    struct stat st{};
    size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    return true;
}

void log_file_sink::write_out(std::string_view data) {
    for (std::string_view rest = data; !rest.empty();) {
        const int fd = fd_ >= 0 ? fd_ : STDERR_FILENO;   // AILERON falls back to stderr too
        ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (opt_.tee_fd >= 0)
        for (std::string_view rest = data; !rest.empty();) {
            ssize_t n = ::write(opt_.tee_fd, rest.data(), rest.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
}

void log_file_sink::write(std::string_view record) {
    // Rotate before a record that would take the file over its size (a record larger than the
    // whole size still goes into a file of its own).
    if (opt_.rotate_bytes > 0 && size_ + buf_.size() + record.size() > opt_.rotate_bytes && size_ + buf_.size() > 0) {
        flush();
        rotate();
    }
    buf_ += record;
    if (buf_.size() >= 256 * 1024) flush();
}

void log_file_sink::flush() {
    if (buf_.empty()) return;
    write_out(buf_);
    size_ += buf_.size();
    buf_.clear();
}

void log_file_sink::rotate() {
    flush();
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
        std::error_code ec;
        fs::rename(path_, manager_->new_file(), ec);
    }
    manager_->request();
    std::string error;
    if (!open_current(error)) {
        const std::string line = "log file rotation failed: " + error + "\n";
        (void)!::write(STDERR_FILENO, line.data(), line.size());
    }
}

void log_file_sink::tick(system_clock::time_point now) {
    if (!has_cron_ || now < next_rotation_) return;
    rotate();
    next_rotation_ = cron_.next_after(now);
}

}  // namespace aileron
