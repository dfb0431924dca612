#include <aileron/config/matcher.hpp>   // first: proves the header is self-contained

#include <catch2/catch.hpp>

#include <stdexcept>

namespace {

using namespace aileron;
using config::match_type;

string_matcher make(match_type t, std::vector<std::string> patterns) {
    return string_matcher{config::matcher_spec{.patterns = std::move(patterns), .type = t}};
}

bool glob(std::string_view pattern, std::string_view name) {
    bool bad = false;
    bool ok = path_match(pattern, name, bad);
    REQUIRE_FALSE(bad);
    return ok;
}

}  // namespace

TEST_CASE("a matcher with no patterns matches nothing", "[config][matcher]") {
    CHECK_FALSE(string_matcher{}.match(""));
    CHECK_FALSE(make(match_type::prefix, {}).match("/any"));
}

TEST_CASE("string match types compare as Go's strings functions", "[config][matcher]") {
    CHECK(make(match_type::exact, {"/a", "/b"}).match("/b"));
    CHECK_FALSE(make(match_type::exact, {"/a"}).match("/a/"));
    CHECK(make(match_type::prefix, {"/api/"}).match("/api/users"));
    CHECK_FALSE(make(match_type::prefix, {"/api/"}).match("/ap"));
    CHECK(make(match_type::suffix, {".json"}).match("/x.json"));
    CHECK_FALSE(make(match_type::suffix, {".json"}).match("/x.jsonp"));
    CHECK(make(match_type::contains, {"admin"}).match("/x/admin/y"));
    CHECK_FALSE(make(match_type::contains, {"admin"}).match("/x/adm/y"));
}

TEST_CASE("path globs follow Go's path.Match", "[config][matcher]") {
    CHECK(glob("/api/*", "/api/users"));
    CHECK_FALSE(glob("/api/*", "/api/users/1"));   // * does not cross /
    CHECK(glob("/api/*/items", "/api/7/items"));
    CHECK(glob("/a?c", "/abc"));
    CHECK_FALSE(glob("/a?c", "/a/c"));
    CHECK(glob("/[a-c]x", "/bx"));
    CHECK_FALSE(glob("/[^a-c]x", "/bx"));
    CHECK(glob("/\\*", "/*"));
    CHECK_FALSE(glob("/\\*", "/a"));
    CHECK(glob("*.txt", "notes.txt"));
    CHECK(glob("", ""));
    CHECK_FALSE(glob("", "x"));
    bool bad = false;
    CHECK_FALSE(path_match("/[a-", "/a", bad));
    CHECK(bad);
    path_match("/x\\", "/y", bad);   // a malformed remainder is reported even without a match
    CHECK(bad);
    CHECK(make(match_type::path, {"/v1/*"}).match("/v1/a"));
    CHECK(make(match_type::file_path, {"/v1/*"}).match("/v1/a"));
}

TEST_CASE("regular expressions search anywhere in the string", "[config][matcher]") {
    CHECK(make(match_type::regex, {"^/users/[0-9]+$"}).match("/users/42"));
    CHECK_FALSE(make(match_type::regex, {"^/users/[0-9]+$"}).match("/users/x"));
    CHECK(make(match_type::regex, {"[0-9]"}).match("/a1b"));
    CHECK(make(match_type::regex_posix, {"^/(a|b)+$"}).match("/abba"));
    CHECK_FALSE(make(match_type::regex_posix, {"^/(a|b)+$"}).match("/abc"));
}

TEST_CASE("bad patterns are reported for the match type and refused by the matcher", "[config][matcher]") {
    CHECK(config::pattern_problem(match_type::regex, "(").find("invalid pattern for Regex matcher") == 0);
    CHECK(config::pattern_problem(match_type::path, "[").find("invalid pattern for Path matcher") == 0);
    CHECK(config::pattern_problem(match_type::exact, "[").empty());
    CHECK_THROWS_AS(make(match_type::regex_posix, {"a{"}), std::invalid_argument);
}

TEST_CASE("url_path is the decoded path of a request target", "[config][matcher]") {
    CHECK(url_path("/a%20b?x=%20") == "/a b");
    CHECK(url_path("http://h:1/p/q?x") == "/p/q");
    CHECK(url_path("http://h") == "/");
    CHECK(url_path("/bad%zz") == "/bad%zz");
}

TEST_CASE("url_path with a scratch string gives a view of the target unless the path has an escape", "[config][matcher]") {
    std::string scratch;
    const std::string target = "http://h:1/a/long/path/without/escapes?x=%20";
    std::string_view p = url_path(target, scratch);
    CHECK(p == "/a/long/path/without/escapes");
    CHECK(p.data() >= target.data());
    CHECK(p.data() < target.data() + target.size());   // points into the target: nothing copied
    CHECK(scratch.empty());
    CHECK(url_path("/", scratch) == "/");
    CHECK(url_path("http://h", scratch) == "/");

    p = url_path("/a%20long%2Fpath?x=%20", scratch);
    CHECK(p == "/a long/path");
    CHECK(p.data() == scratch.data());
    CHECK(url_path("/bad%zz?q", scratch) == "/bad%zz");
}
