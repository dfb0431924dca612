#include <aileron/log/time_layout.hpp>   // first: the header is self-contained
#include <aileron/log/time_zone.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>

using namespace aileron;
using namespace std::chrono;

namespace {

// 2025-05-23 16:32:46.496789 UTC, a Friday, day 143 of the year.
constexpr std::int64_t stamp = 1748017966;
const system_clock::time_point t = system_clock::time_point{seconds{stamp}} + microseconds{496789};

std::string fmt(std::string_view layout, const time_zone& z = time_zone{}) { return time_layout{layout}.format(t, z); }

}  // namespace

TEST_CASE("Go's default layouts format a UTC instant", "[log][time_layout]") {
    CHECK(fmt("2006-01-02 15:04:05") == "2025-05-23 16:32:46");
    CHECK(fmt("2006-01-02 15:04:05.000") == "2025-05-23 16:32:46.496");
    CHECK(fmt("2006-01-02") == "2025-05-23");
    CHECK(fmt("15:04:05.000") == "16:32:46.496");
}

TEST_CASE("every element of Go's layout language is understood", "[log][time_layout]") {
    CHECK(fmt("Jan January 1 01") == "May May 5 05");
    CHECK(fmt("Mon Monday") == "Fri Friday");
    CHECK(fmt("2 02 _2 __2 002") == "23 23 23 143 143");
    CHECK(fmt("06 2006") == "25 2025");
    CHECK(fmt("15 3 03 PM pm") == "16 4 04 PM pm");
    CHECK(fmt("4 04 5 05") == "32 32 46 46");
    CHECK(fmt("MST -0700 -07:00 -07 Z07:00 Z0700 Z07") == "UTC +0000 +00:00 +00 Z Z Z");
    CHECK(fmt("-070000 -07:00:00") == "+000000 +00:00:00");
}

TEST_CASE("fractional seconds: zeros are kept, nines are trimmed with their separator", "[log][time_layout]") {
    CHECK(fmt(".0") == ".4");
    CHECK(fmt(".000000") == ".496789");
    CHECK(fmt(".999999999") == ".496789");
    CHECK(fmt(",000") == ",496");
    const auto whole = system_clock::time_point{seconds{stamp}};
    CHECK(time_layout{"05.999"}.format(whole, time_zone{}) == "46");
    CHECK(time_layout{"05.000"}.format(whole, time_zone{}) == "46.000");
}

TEST_CASE("text that is not an element is copied, including near misses", "[log][time_layout]") {
    CHECK(fmt("Janet") == "Janet");   // "Jan" followed by a lower-case letter is not a month
    CHECK(fmt("Mondays") == "Fridays");
    CHECK(fmt("_2006") == "_2025");
    CHECK(fmt("T") == "T");
    // ".0001": zeros followed by a digit are no fraction; "01" in them is then the month, as in Go.
    CHECK(fmt("1.0001") == "5.0005");
}

TEST_CASE("a named zone shifts the time and names its abbreviation", "[log][time_layout][time_zone]") {
    auto tokyo = time_zone::load("Asia/Tokyo");
    REQUIRE(tokyo.has_value());
    CHECK(tokyo->name() == "Asia/Tokyo");
    CHECK(fmt("2006-01-02 15:04:05 MST -07:00", *tokyo) == "2025-05-24 01:32:46 JST +09:00");
}

TEST_CASE("daylight saving time follows the zone's rules, past the last transition too", "[log][time_zone]") {
    auto berlin = time_zone::load("Europe/Berlin");
    REQUIRE(berlin.has_value());
    CHECK(berlin->offset_at(stamp) == 7200);        // May: CEST
    CHECK(berlin->offset_at(1737000000) == 3600);   // January: CET
    // 2100-07-01 and 2100-01-01 are beyond any transition table: the footer rule decides.
    CHECK(berlin->offset_at(4118083200) == 7200);
    CHECK(berlin->offset_at(4102444800) == 3600);
    CHECK(berlin->at(stamp).abbrev == "CEST");
}

TEST_CASE("a POSIX rule is a zone of its own", "[log][time_zone]") {
    auto z = time_zone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3", "rule");
    REQUIRE(z.has_value());
    CHECK(z->offset_at(stamp) == 7200);
    CHECK(z->offset_at(1737000000) == 3600);
    // Southern hemisphere: daylight time spans the new year.
    auto sydney = time_zone::from_posix("AEST-10AEDT,M10.1.0,M4.1.0/3", "syd");
    REQUIRE(sydney.has_value());
    CHECK(sydney->offset_at(1737000000) == 11 * 3600);   // January
    CHECK(sydney->offset_at(stamp) == 10 * 3600);        // May
    CHECK_FALSE(time_zone::from_posix("no digits", "x").has_value());
}

TEST_CASE("unknown zone names and names leaving the zoneinfo directory fail", "[log][time_zone]") {
    CHECK_FALSE(time_zone::load("Mars/Olympus_Mons").has_value());
    CHECK_FALSE(time_zone::load("../../etc/passwd").has_value());
    CHECK(time_zone::load("UTC")->name() == "UTC");
    CHECK(time_zone::load("")->name() == "UTC");
    CHECK(time_zone::load("Local")->name() == "Local");
}

TEST_CASE("to_unix inverts at", "[log][time_zone]") {
    auto ny = time_zone::load("America/New_York");
    REQUIRE(ny.has_value());
    const civil_time c = ny->at(stamp);
    CHECK(ny->to_unix(c.year, c.month, c.day, c.hour, c.minute, c.second) == stamp);
    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(days_from_civil(2000, 3, 1) == 11017);
}
