#include <aileron/core/cookie.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

#include <vector>

using namespace aileron;

TEST_CASE("cookies get AILERON's default attributes when a resource has no cookie spec", "[core][cookie]") {
    cookie_attributes a;
    CHECK(a.set_cookie("sid", "abc") == "sid=abc; Path=/; HttpOnly; Secure");
    CHECK(a.delete_cookie("sid") == "sid=; Path=/; Max-Age=0");
    CHECK_FALSE(a.has_expiry());
}

TEST_CASE("a given cookie spec is used as written, in Go's attribute order", "[core][cookie]") {
    cookie_spec s;
    s.path = "/app";
    s.domain = ".example.com";
    s.max_age = 600;
    s.secure = true;
    s.same_site = same_site::strict;
    cookie_attributes a{s};
    CHECK(a.set_cookie("t", "v") == "t=v; Path=/app; Domain=example.com; Max-Age=600; Secure; SameSite=Strict");
    CHECK(a.delete_cookie("t") == "t=; Path=/app; Domain=example.com; Max-Age=0");
    CHECK(a.has_expiry());

    cookie_spec bare;   // nothing set: no attributes at all
    CHECK(cookie_attributes{bare}.set_cookie("t", "v") == "t=v");
    bare.max_age = -1;
    bare.http_only = true;
    bare.same_site = same_site::none;
    CHECK(cookie_attributes{bare}.set_cookie("t", "v") == "t=v; Max-Age=0; HttpOnly; SameSite=None");
    bare.same_site = same_site::default_mode;
    CHECK(cookie_attributes{bare}.set_cookie("t", "v") == "t=v; Max-Age=0; HttpOnly");
}

TEST_CASE("expiresIn writes an IMF-fixdate that far in the future", "[core][cookie]") {
    cookie_spec s;
    s.expires_in = 3600;
    std::string c = cookie_attributes{s}.set_cookie("t", "v");
    REQUIRE(c.rfind("t=v; Expires=", 0) == 0);
    CHECK(c.size() == std::string_view{"t=v; Expires=Sun, 06 Nov 1994 08:49:37 GMT"}.size());
    CHECK(c.substr(c.size() - 4) == " GMT");
}

TEST_CASE("cookie values that need it are quoted, bytes a cookie cannot hold are dropped", "[core][cookie]") {
    cookie_attributes a{cookie_spec{}};
    CHECK(a.set_cookie("t", "a b") == "t=\"a b\"");
    CHECK(a.set_cookie("t", "a;b\"c\\d") == "t=abcd");
    CHECK(a.set_cookie("t", "+/=") == "t=+/=");
}

TEST_CASE("the Cookie header is read as Go reads it", "[core][cookie]") {
    cookie_reader r{" a=1;b=\"two\" ;  ; bad name=3; c=; d=x\"y; e=ok"};
    std::vector<std::pair<std::string, std::string>> seen;
    std::string_view n, v;
    while (r.next(n, v)) seen.emplace_back(n, v);
    CHECK(seen == std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "two"}, {"c", ""}, {"e", "ok"}});

    boost::beast::http::fields f;
    f.insert(boost::beast::http::field::cookie, "x=1");
    f.insert(boost::beast::http::field::cookie, "sid=first; sid=second");
    CHECK(find_cookie(f, "sid") == std::optional<std::string_view>{"first"});
    CHECK(find_cookie(f, "x") == std::optional<std::string_view>{"1"});
    CHECK_FALSE(find_cookie(f, "y"));
}
