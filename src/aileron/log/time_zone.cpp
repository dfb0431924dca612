#include <aileron/log/time_zone.hpp>

#include <boost/system/errc.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

namespace aileron {

namespace {

using boost::system::errc::make_error_code;
namespace errc = boost::system::errc;

constexpr std::int64_t seconds_per_day = 86400;

/// One offset a zone uses.
struct zone_type {
    std::int32_t offset = 0;
    bool dst = false;
    std::string abbrev;
};

/// When a POSIX rule switches between standard and daylight time.
struct rule_date {
    enum kind_t { julian1, julian0, month_week_day } kind = month_week_day;
    int day = 0;      ///< Jn: 1..365 (no Feb 29); n: 0..365
    int month = 0;    ///< Mm.w.d
    int week = 0;
    int weekday = 0;
    std::int32_t time = 7200;   ///< seconds after local midnight (may be negative or > 24h)
};

/// A POSIX TZ rule: `std offset [dst [offset] [,start[/time],end[/time]]]`.
struct posix_rule {
    zone_type std_type;
    std::optional<zone_type> dst_type;
    rule_date start, end;
};

}  // namespace

struct time_zone::data {
    std::string name;
    std::vector<std::int64_t> transitions;   ///< ascending instants
    std::vector<std::uint8_t> transition_types;
    std::vector<zone_type> types{zone_type{0, false, "UTC"}};
    std::optional<posix_rule> rule;          ///< after the last transition (the TZif footer)
};

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

namespace {

void civil_from_days(std::int64_t z, std::int64_t& y, int& m, int& d) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

bool is_leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, int m) noexcept {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/// Weekday (0 = Sunday) of a day count since the epoch (a Thursday).
int weekday_of(std::int64_t days) noexcept {
    std::int64_t w = (days + 4) % 7;
    return static_cast<int>(w < 0 ? w + 7 : w);
}

//----------------------------------------------------------------------------------------------
// POSIX TZ rules

class rule_parser {
public:
    explicit rule_parser(std::string_view s) : s_(s) {}

    std::optional<posix_rule> parse() {
        posix_rule r;
        if (!name(r.std_type.abbrev)) return std::nullopt;
        std::int32_t off = 0;
        if (!offset(off)) return std::nullopt;
        r.std_type.offset = -off;   // POSIX offsets are west of UTC
        if (done()) return r;
        zone_type dst;
        dst.dst = true;
        if (!name(dst.abbrev)) return std::nullopt;
        dst.offset = r.std_type.offset + 3600;
        if (!done() && peek() != ',') {
            if (!offset(off)) return std::nullopt;
            dst.offset = -off;
        }
        r.dst_type = dst;
        if (done()) {
            // No dates: the US rules, as Go and glibc assume.
            r.start = rule_date{rule_date::month_week_day, 0, 3, 2, 0, 7200};
            r.end = rule_date{rule_date::month_week_day, 0, 11, 1, 0, 7200};
            return r;
        }
        if (!eat(',') || !date(r.start) || !eat(',') || !date(r.end) || !done()) return std::nullopt;
        return r;
    }

private:
    bool done() const noexcept { return i_ >= s_.size(); }
    char peek() const noexcept { return done() ? '\0' : s_[i_]; }
    bool eat(char c) noexcept {
        if (peek() != c) return false;
        ++i_;
        return true;
    }
    bool number(int& out, int max_digits = 9) noexcept {
        std::size_t start = i_;
        out = 0;
        while (!done() && s_[i_] >= '0' && s_[i_] <= '9' && i_ - start < static_cast<std::size_t>(max_digits))
            out = out * 10 + (s_[i_++] - '0');
        return i_ > start;
    }
    bool name(std::string& out) {
        if (eat('<')) {
            auto close = s_.find('>', i_);
            if (close == std::string_view::npos) return false;
            out.assign(s_.substr(i_, close - i_));
            i_ = close + 1;
            return !out.empty();
        }
        std::size_t start = i_;
        while (!done() && ((s_[i_] >= 'A' && s_[i_] <= 'Z') || (s_[i_] >= 'a' && s_[i_] <= 'z'))) ++i_;
        out.assign(s_.substr(start, i_ - start));
        return out.size() >= 3;
    }
    /// [+-]hh[:mm[:ss]] in seconds.
    bool offset(std::int32_t& out) noexcept {
        int sign = 1;
        if (eat('-')) sign = -1;
        else eat('+');
        int h = 0, m = 0, sec = 0;
        if (!number(h, 3)) return false;
        if (eat(':')) {
            if (!number(m, 2)) return false;
            if (eat(':') && !number(sec, 2)) return false;
        }
        if (h > 167 || m > 59 || sec > 59) return false;
        out = sign * (h * 3600 + m * 60 + sec);
        return true;
    }
    bool date(rule_date& d) noexcept {
        if (eat('J')) {
            d.kind = rule_date::julian1;
            if (!number(d.day, 3) || d.day < 1 || d.day > 365) return false;
        } else if (eat('M')) {
            d.kind = rule_date::month_week_day;
            if (!number(d.month, 2) || !eat('.') || !number(d.week, 1) || !eat('.') || !number(d.weekday, 1))
                return false;
            if (d.month < 1 || d.month > 12 || d.week < 1 || d.week > 5 || d.weekday > 6) return false;
        } else {
            d.kind = rule_date::julian0;
            if (!number(d.day, 3) || d.day > 365) return false;
        }
        d.time = 7200;
        if (eat('/')) {
            std::int32_t t = 0;
            if (!offset(t)) return false;
            d.time = t;
        }
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

/// Local midnight (as seconds since the epoch, not adjusted for any offset) of a rule's day in
/// `year`, plus the rule's time.
std::int64_t rule_local_time(const rule_date& d, std::int64_t year) noexcept {
    const std::int64_t jan1 = days_from_civil(year, 1, 1);
    std::int64_t day = 0;
    switch (d.kind) {
    case rule_date::julian1:
        day = jan1 + d.day - 1;
        if (is_leap(year) && d.day >= 60) ++day;   // Jn never counts Feb 29
        break;
    case rule_date::julian0: day = jan1 + d.day; break;
    case rule_date::month_week_day: {
        const std::int64_t first = days_from_civil(year, static_cast<unsigned>(d.month), 1);
        int delta = d.weekday - weekday_of(first);
        if (delta < 0) delta += 7;
        std::int64_t dom = 1 + delta + (d.week - 1) * 7;
        while (dom > days_in_month(year, d.month)) dom -= 7;
        day = first + dom - 1;
        break;
    }
    }
    return day * seconds_per_day + d.time;
}

const zone_type& rule_type_at(const posix_rule& r, std::int64_t t) noexcept {
    if (!r.dst_type) return r.std_type;
    std::int64_t y;
    int m, d;
    const std::int64_t local = t + r.std_type.offset;
    civil_from_days(local / seconds_per_day - (local % seconds_per_day < 0 ? 1 : 0), y, m, d);
    // The switches of this year, in UTC: the start is given in standard time, the end in
    // daylight time.
    const std::int64_t start = rule_local_time(r.start, y) - r.std_type.offset;
    const std::int64_t end = rule_local_time(r.end, y) - r.dst_type->offset;
    const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? *r.dst_type : r.std_type;
}

//----------------------------------------------------------------------------------------------
// TZif files (RFC 8536)

class tzif_reader {
public:
    explicit tzif_reader(std::string_view bytes) : b_(bytes) {}

    bool read(time_zone::data& out) {
        std::size_t counts[6];
        int version = 0;
        if (!header(version, counts)) return false;
        if (version >= '2') {
            // Skip the 32-bit block; the 64-bit one follows with its own header.
            pos_ += block_size(counts, 4);
            if (!header(version, counts)) return false;
            if (!block(out, counts, 8)) return false;
            // The footer: "\n<rule>\n".
            if (pos_ < b_.size() && b_[pos_] == '\n') {
                auto nl = b_.find('\n', pos_ + 1);
                if (nl != std::string_view::npos && nl > pos_ + 1) {
                    if (auto r = rule_parser{b_.substr(pos_ + 1, nl - pos_ - 1)}.parse()) out.rule = std::move(*r);
                }
            }
            return true;
        }
        return block(out, counts, 4);
    }

private:
    static std::size_t block_size(const std::size_t* c, std::size_t time_size) noexcept {
        // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
        return c[3] * time_size + c[3] + c[4] * 6 + c[5] + c[2] * (time_size + 4) + c[1] + c[0];
    }
    bool header(int& version, std::size_t* counts) {
        if (b_.size() < pos_ + 44 || b_.substr(pos_, 4) != "TZif") return false;
        version = static_cast<unsigned char>(b_[pos_ + 4]);
        pos_ += 20;
        for (int i = 0; i < 6; ++i) counts[i] = static_cast<std::size_t>(u32());
        return true;
    }
    std::uint32_t u32() noexcept {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_++]);
        return v;
    }
    std::int64_t s64() noexcept {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_++]);
        return static_cast<std::int64_t>(v);
    }
    bool block(time_zone::data& out, const std::size_t* c, std::size_t time_size) {
        if (b_.size() < pos_ + block_size(c, time_size)) return false;
        const std::size_t timecnt = c[3], typecnt = c[4], charcnt = c[5];
        if (typecnt == 0) return false;
        out.transitions.resize(timecnt);
        for (auto& t : out.transitions)
            t = time_size == 8 ? s64() : static_cast<std::int64_t>(static_cast<std::int32_t>(u32()));
        out.transition_types.resize(timecnt);
        for (auto& t : out.transition_types) {
            t = static_cast<std::uint8_t>(b_[pos_++]);
            if (t >= typecnt) return false;
        }
        std::vector<std::pair<zone_type, std::size_t>> types(typecnt);
        for (auto& [t, abbr] : types) {
            t.offset = static_cast<std::int32_t>(u32());
            t.dst = b_[pos_++] != 0;
            abbr = static_cast<unsigned char>(b_[pos_++]);
        }
        std::string_view chars = b_.substr(pos_, charcnt);
        pos_ += charcnt;
        out.types.clear();
        for (auto& [t, abbr] : types) {
            if (abbr < chars.size()) {
                auto end = chars.find('\0', abbr);
                t.abbrev.assign(chars.substr(abbr, end == std::string_view::npos ? end : end - abbr));
            }
            out.types.push_back(std::move(t));
        }
        pos_ += c[2] * (time_size + 4) + c[1] + c[0];
        return true;
    }

    std::string_view b_;
    std::size_t pos_ = 0;
};

boost::system::result<std::shared_ptr<time_zone::data>> load_file(const std::string& path, std::string name) {
    std::ifstream in{path, std::ios::binary};
    if (!in) return make_error_code(errc::no_such_file_or_directory);
    std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    auto d = std::make_shared<time_zone::data>();
    if (!tzif_reader{bytes}.read(*d)) return make_error_code(errc::invalid_argument);
    d->name = std::move(name);
    return d;
}

std::shared_ptr<const time_zone::data> utc_data() {
    static const auto d = [] {
        auto p = std::make_shared<time_zone::data>();
        p->name = "UTC";
        return std::shared_ptr<const time_zone::data>{std::move(p)};
    }();
    return d;
}

std::string zoneinfo_dir() {
    if (const char* z = std::getenv("ZONEINFO"); z && *z) return z;
    return "/usr/share/zoneinfo";
}

}  // namespace

time_zone::time_zone() : d_(utc_data()) {}

const std::string& time_zone::name() const noexcept { return d_->name; }

boost::system::result<time_zone> time_zone::load(std::string_view name) {
    if (name.empty() || name == "UTC") return time_zone{};
    if (name == "Local") return local();
    // Go refuses names that could leave the zoneinfo directory.
    if (name.find("..") != std::string_view::npos || name.front() == '/' || name.find('\\') != std::string_view::npos)
        return make_error_code(errc::invalid_argument);
    auto d = load_file(zoneinfo_dir() + "/" + std::string{name}, std::string{name});
    if (!d) return d.error();
    return time_zone{std::shared_ptr<const data>{std::move(*d)}};
}

boost::system::result<time_zone> time_zone::from_posix(std::string_view rule, std::string name) {
    auto r = rule_parser{rule}.parse();
    if (!r) return make_error_code(errc::invalid_argument);
    auto d = std::make_shared<data>();
    d->name = std::move(name);
    d->types = {r->std_type};
    d->rule = std::move(*r);
    return time_zone{std::shared_ptr<const data>{std::move(d)}};
}

const time_zone& time_zone::local() {
    static const time_zone zone = [] {
        auto named_local = [](time_zone z) {
            auto d = std::make_shared<data>(*z.d_);
            d->name = "Local";
            return time_zone{std::shared_ptr<const data>{std::move(d)}};
        };
        if (const char* tz = std::getenv("TZ")) {
            std::string_view v{tz};
            if (!v.empty() && v.front() == ':') v.remove_prefix(1);
            if (v.empty()) return named_local(time_zone{});
            if (v.front() == '/') {
                if (auto d = load_file(std::string{v}, "Local")) return time_zone{std::shared_ptr<const data>{std::move(*d)}};
            } else if (auto z = load(v)) {
                return named_local(*z);
            }
            if (auto z = from_posix(v, "Local")) return *z;
            return named_local(time_zone{});
        }
        if (auto d = load_file("/etc/localtime", "Local")) return time_zone{std::shared_ptr<const data>{std::move(*d)}};
        return named_local(time_zone{});
    }();
    return zone;
}

namespace {

const zone_type& type_at(const time_zone::data& d, std::int64_t t) noexcept {
    const auto& tr = d.transitions;
    if (tr.empty() || t < tr.front()) {
        if (tr.empty() && d.rule) return rule_type_at(*d.rule, t);
        // Before the first transition: the first standard-time type (RFC 8536 §3.2).
        for (const auto& ty : d.types)
            if (!ty.dst) return ty;
        return d.types.front();
    }
    if (t >= tr.back() && d.rule) return rule_type_at(*d.rule, t);
    auto it = std::upper_bound(tr.begin(), tr.end(), t);
    return d.types[d.transition_types[static_cast<std::size_t>(it - tr.begin()) - 1]];
}

}  // namespace

std::int32_t time_zone::offset_at(std::int64_t unix_seconds) const noexcept {
    return type_at(*d_, unix_seconds).offset;
}

civil_time time_zone::at(std::int64_t unix_seconds) const noexcept {
    const zone_type& ty = type_at(*d_, unix_seconds);
    const std::int64_t local = unix_seconds + ty.offset;
    std::int64_t days = local / seconds_per_day;
    std::int64_t secs = local % seconds_per_day;
    if (secs < 0) {
        secs += seconds_per_day;
        --days;
    }
    civil_time c{};
    civil_from_days(days, c.year, c.month, c.day);
    c.hour = static_cast<int>(secs / 3600);
    c.minute = static_cast<int>(secs / 60 % 60);
    c.second = static_cast<int>(secs % 60);
    c.weekday = weekday_of(days);
    c.year_day = static_cast<int>(days - days_from_civil(c.year, 1, 1)) + 1;
    c.offset = ty.offset;
    c.abbrev = ty.abbrev;
    return c;
}

std::int64_t time_zone::to_unix(std::int64_t year, int month, int day, int hour, int minute, int second) const noexcept {
    const std::int64_t local = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * seconds_per_day +
                               hour * 3600 + minute * 60 + second;
    // Guess with the offset a day earlier, then correct once with the offset at the guess.
    std::int64_t guess = local - offset_at(local - seconds_per_day);
    std::int64_t t = local - offset_at(guess);
    return t;
}

}  // namespace aileron
