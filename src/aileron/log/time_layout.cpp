#include <aileron/log/time_layout.hpp>

#include <algorithm>
#include <charconv>

namespace aileron {

enum class time_layout::element : std::uint8_t {
    literal,
    long_month, month, num_month, zero_month,
    long_weekday, weekday,
    day, under_day, zero_day, under_year_day, zero_year_day,
    hour, hour12, zero_hour12,
    minute, zero_minute, second, zero_second,
    long_year, year,
    pm_upper, pm_lower,
    tz,
    iso8601_tz, iso8601_seconds_tz, iso8601_short_tz, iso8601_colon_tz, iso8601_colon_seconds_tz,
    num_tz, num_seconds_tz, num_short_tz, num_colon_tz, num_colon_seconds_tz,
    frac0, frac9,
};

namespace {

using el = time_layout::element;

bool starts_lower(std::string_view s) noexcept { return !s.empty() && s[0] >= 'a' && s[0] <= 'z'; }
bool is_digit_at(std::string_view s, std::size_t i) noexcept { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }

/// Go's nextStdChunk: the element starting at `i`, and its length; literal when none.
std::pair<el, std::size_t> element_at(std::string_view s, std::size_t i) {
    auto has = [&](std::string_view w) { return s.substr(i, w.size()) == w; };
    switch (s[i]) {
    case 'J':
        if (has("Jan")) {
            if (has("January")) return {el::long_month, 7};
            if (!starts_lower(s.substr(i + 3))) return {el::month, 3};
        }
        break;
    case 'M':
        if (has("Mon")) {
            if (has("Monday")) return {el::long_weekday, 6};
            if (!starts_lower(s.substr(i + 3))) return {el::weekday, 3};
        }
        if (has("MST")) return {el::tz, 3};
        break;
    case '0':
        if (i + 1 < s.size() && s[i + 1] >= '1' && s[i + 1] <= '6') {
            static constexpr el zeros[] = {el::zero_month, el::zero_day, el::zero_hour12,
                                           el::zero_minute, el::zero_second, el::year};
            return {zeros[s[i + 1] - '1'], 2};
        }
        if (has("002")) return {el::zero_year_day, 3};
        break;
    case '1':
        if (has("15")) return {el::hour, 2};
        return {el::num_month, 1};
    case '2':
        if (has("2006")) return {el::long_year, 4};
        return {el::day, 1};
    case '_':
        if (has("_2")) {
            // "_2006" is a literal '_' then the year.
            if (has("_2006")) return {el::literal, 1};
            return {el::under_day, 2};
        }
        if (has("__2")) return {el::under_year_day, 3};
        break;
    case '3': return {el::hour12, 1};
    case '4': return {el::minute, 1};
    case '5': return {el::second, 1};
    case 'P':
        if (has("PM")) return {el::pm_upper, 2};
        break;
    case 'p':
        if (has("pm")) return {el::pm_lower, 2};
        break;
    case '-':
        if (has("-070000")) return {el::num_seconds_tz, 7};
        if (has("-07:00:00")) return {el::num_colon_seconds_tz, 9};
        if (has("-0700")) return {el::num_tz, 5};
        if (has("-07:00")) return {el::num_colon_tz, 6};
        if (has("-07")) return {el::num_short_tz, 3};
        break;
    case 'Z':
        if (has("Z070000")) return {el::iso8601_seconds_tz, 7};
        if (has("Z07:00:00")) return {el::iso8601_colon_seconds_tz, 9};
        if (has("Z0700")) return {el::iso8601_tz, 5};
        if (has("Z07:00")) return {el::iso8601_colon_tz, 6};
        if (has("Z07")) return {el::iso8601_short_tz, 3};
        break;
    case '.':
    case ',':
        if (i + 1 < s.size() && (s[i + 1] == '0' || s[i + 1] == '9')) {
            const char ch = s[i + 1];
            std::size_t j = i + 1;
            while (j < s.size() && s[j] == ch) ++j;
            if (!is_digit_at(s, j)) return {ch == '0' ? el::frac0 : el::frac9, j - i};
        }
        break;
    default: break;
    }
    return {el::literal, 0};
}

constexpr std::string_view long_months[] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
constexpr std::string_view long_days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

void append_int(std::string& out, std::int64_t v, int width, char pad = '0') {
    if (v >= 0 && v < 100 && width <= 2) {
        // The usual case (months, days, hours, minutes, seconds): no conversion loop.
        char two[2] = {static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)};
        if (v >= 10) out.append(two, 2);
        else if (width == 2) (out += pad) += two[1];
        else out += two[1];
        return;
    }
    if (v < 0) {
        out += '-';
        v = -v;
    }
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    for (auto n = end - buf; n < width; ++n) out += pad;
    out.append(buf, end);
}

void append_zone(std::string& out, std::int32_t offset, el e) {
    const bool iso = e == el::iso8601_tz || e == el::iso8601_seconds_tz || e == el::iso8601_short_tz ||
                     e == el::iso8601_colon_tz || e == el::iso8601_colon_seconds_tz;
    if (iso && offset == 0) {
        out += 'Z';
        return;
    }
    std::int32_t zone = offset / 60;
    std::int32_t abs = offset;
    if (zone < 0) {
        out += '-';
        zone = -zone;
        abs = -abs;
    } else {
        out += '+';
    }
    append_int(out, zone / 60, 2);
    if (e == el::iso8601_colon_tz || e == el::num_colon_tz || e == el::iso8601_colon_seconds_tz ||
        e == el::num_colon_seconds_tz)
        out += ':';
    if (e != el::num_short_tz && e != el::iso8601_short_tz) append_int(out, zone % 60, 2);
    if (e == el::iso8601_seconds_tz || e == el::num_seconds_tz || e == el::iso8601_colon_seconds_tz ||
        e == el::num_colon_seconds_tz) {
        if (e == el::num_colon_seconds_tz || e == el::iso8601_colon_seconds_tz) out += ':';
        append_int(out, abs % 60, 2);
    }
}

}  // namespace

time_layout::time_layout(std::string_view layout) : layout_(layout) {
    std::string literal;
    for (std::size_t i = 0; i < layout.size();) {
        auto [e, n] = element_at(layout, i);
        if (e == el::literal) {
            literal += layout[i];
            ++i;
            continue;
        }
        if (!literal.empty()) {
            parts_.push_back(part{el::literal, 0, '.', std::move(literal)});
            literal.clear();
        }
        part p{e, 0, '.', {}};
        if (e == el::frac0 || e == el::frac9) {
            p.sep = layout[i];
            p.digits = static_cast<std::uint8_t>(std::min<std::size_t>(n - 1, 9));
            fraction_digits_ = std::max<unsigned>(fraction_digits_, p.digits);
        }
        parts_.push_back(std::move(p));
        i += n;
    }
    if (!literal.empty()) parts_.push_back(part{el::literal, 0, '.', std::move(literal)});
}

void time_layout::append(std::string& out, std::chrono::system_clock::time_point t, const time_zone& zone) const {
    using namespace std::chrono;
    const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
    std::int64_t secs = ns / 1'000'000'000;
    std::int64_t frac = ns % 1'000'000'000;
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    append(out, zone.at(secs), static_cast<std::uint32_t>(frac));
}

void time_layout::append(std::string& out, const civil_time& c, std::uint32_t nanos) const {
    for (const part& p : parts_) {
        switch (p.el) {
        case el::literal: out += p.literal; break;
        case el::long_month: out += long_months[c.month - 1]; break;
        case el::month: out += long_months[c.month - 1].substr(0, 3); break;
        case el::num_month: append_int(out, c.month, 0); break;
        case el::zero_month: append_int(out, c.month, 2); break;
        case el::long_weekday: out += long_days[c.weekday]; break;
        case el::weekday: out += long_days[c.weekday].substr(0, 3); break;
        case el::day: append_int(out, c.day, 0); break;
        case el::under_day: append_int(out, c.day, 2, ' '); break;
        case el::zero_day: append_int(out, c.day, 2); break;
        case el::under_year_day: append_int(out, c.year_day, 3, ' '); break;
        case el::zero_year_day: append_int(out, c.year_day, 3); break;
        case el::hour: append_int(out, c.hour, 2); break;
        case el::hour12: append_int(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 0); break;
        case el::zero_hour12: append_int(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 2); break;
        case el::minute: append_int(out, c.minute, 0); break;
        case el::zero_minute: append_int(out, c.minute, 2); break;
        case el::second: append_int(out, c.second, 0); break;
        case el::zero_second: append_int(out, c.second, 2); break;
        case el::long_year: append_int(out, c.year, 4); break;
        case el::year: append_int(out, ((c.year % 100) + 100) % 100, 2); break;
        case el::pm_upper: out += c.hour >= 12 ? "PM" : "AM"; break;
        case el::pm_lower: out += c.hour >= 12 ? "pm" : "am"; break;
        case el::tz:
            if (!c.abbrev.empty()) {
                out += c.abbrev;
            } else {
                // Go: "-0700" when the zone has no abbreviation.
                std::int32_t zone = c.offset / 60;
                out += zone < 0 ? '-' : '+';
                if (zone < 0) zone = -zone;
                append_int(out, zone / 60, 2);
                append_int(out, zone % 60, 2);
            }
            break;
        case el::frac0:
        case el::frac9: {
            char digits[9];
            std::uint32_t v = nanos;
            for (int i = 8; i >= 0; --i) {
                digits[i] = static_cast<char>('0' + v % 10);
                v /= 10;
            }
            std::size_t n = p.digits;
            if (p.el == el::frac9) {
                while (n > 0 && digits[n - 1] == '0') --n;
                if (n == 0) break;   // all zeros: no separator either
            }
            out += p.sep;
            out.append(digits, n);
            break;
        }
        default: append_zone(out, c.offset, p.el); break;
        }
    }
}

}  // namespace aileron
