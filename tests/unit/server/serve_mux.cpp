#include <aileron/server/serve_mux.hpp>   // first: proves the header is self-contained

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace {

using aileron::server::serve_mux;

/// A mux whose value is the pattern itself; every registration must succeed.
serve_mux<std::string> make_mux(std::initializer_list<std::string_view> patterns) {
    serve_mux<std::string> mux;
    for (std::string_view p : patterns) {
        auto err = mux.handle(p, std::string{p});
        INFO(p << ": " << err.value_or(""));
        REQUIRE_FALSE(err);
    }
    return mux;
}

/// One line per outcome: the matched value, "301 <location>" or "404".
std::string route(const serve_mux<std::string>& mux, std::string_view target, std::string_view host = "example.com") {
    auto r = mux.match(host, target);
    if (r.redirect()) {
        return "301 " + r.location;
    }
    if (!r) {
        return "404";
    }
    return *r.value;
}

}  // namespace

TEST_CASE("an exact pattern matches only its own path", "[server][serve_mux]") {
    auto mux = make_mux({"/a", "/a/b"});
    CHECK(route(mux, "/a") == "/a");
    CHECK(route(mux, "/a/b") == "/a/b");
    CHECK(route(mux, "/a/b/c") == "404");
    CHECK(route(mux, "/a/") == "404");
    CHECK(route(mux, "/ab") == "404");
    CHECK(route(mux, "/") == "404");
}

TEST_CASE("a pattern ending in a slash matches its whole subtree", "[server][serve_mux]") {
    auto mux = make_mux({"/static/"});
    CHECK(route(mux, "/static/") == "/static/");
    CHECK(route(mux, "/static/css/site.css") == "/static/");
    CHECK(route(mux, "/staticfoo") == "404");
    CHECK(route(mux, "/other/") == "404");
    auto r = mux.match("example.com", "/static/x/y");
    REQUIRE(r);
    CHECK(r.pattern == "/static/");
    CHECK(r.params.empty());   // the anonymous subtree wildcard records nothing
}

TEST_CASE("the most specific matching pattern wins", "[server][serve_mux]") {
    SECTION("subtrees, a literal subtree and a single wildcard") {
        auto mux = make_mux({"/a/", "/a/b/", "/a/{x}"});
        CHECK(route(mux, "/a/") == "/a/");
        CHECK(route(mux, "/a/z") == "/a/{x}");
        CHECK(route(mux, "/a/b/") == "/a/b/");
        CHECK(route(mux, "/a/b/c") == "/a/b/");
        CHECK(route(mux, "/a/z/c") == "/a/");
    }
    SECTION("a wildcard followed by a literal beats the subtree") {
        auto mux = make_mux({"/a/", "/a/{x}", "/a/{x}/c"});
        CHECK(route(mux, "/a/q/c") == "/a/{x}/c");
        CHECK(route(mux, "/a/q/d") == "/a/");
        CHECK(route(mux, "/a/q") == "/a/{x}");
    }
    SECTION("a literal beats a wildcard in the same position, with backtracking") {
        // Registration order must not matter.
        auto mux = make_mux({"/a/{x}/c", "/a/b/z", "/a/b/c"});
        CHECK(route(mux, "/a/b/c") == "/a/b/c");
        CHECK(route(mux, "/a/b/z") == "/a/b/z");
        CHECK(route(mux, "/a/q/c") == "/a/{x}/c");
        CHECK(route(mux, "/a/b/q") == "404");
    }
}

TEST_CASE("{$} matches the trailing slash and nothing below it", "[server][serve_mux]") {
    auto mux = make_mux({"/{$}", "/a/{$}", "/"});
    CHECK(route(mux, "/") == "/{$}");
    CHECK(route(mux, "/a/") == "/a/{$}");
    CHECK(route(mux, "/a/b") == "/");
    CHECK(route(mux, "/x") == "/");
    // "/a" exactly matches nothing but "/a/" exactly matches "/a/{$}": redirect.
    CHECK(route(mux, "/a") == "301 /a/");

    // A single wildcard never matches the trailing slash, so these are disjoint, not
    // overlapping (the first segment alone would make them overlap).
    auto pair = make_mux({"/a/{x}", "/{y}/{$}"});
    CHECK(route(pair, "/a/") == "/{y}/{$}");
    CHECK(route(pair, "/a/b") == "/a/{x}");
    auto reversed = make_mux({"/{y}/{$}", "/a/{x}"});
    CHECK(route(reversed, "/a/") == "/{y}/{$}");
}

TEST_CASE("a {name...} wildcard captures the decoded rest of the path", "[server][serve_mux]") {
    auto mux = make_mux({"/files/{path...}", "/u/{id}/{rest...}"});
    auto r = mux.match("h", "/files/docs/a%20b.txt?dl=1");
    REQUIRE(r);
    CHECK(*r.value == "/files/{path...}");
    CHECK(r.param("path") == "docs/a b.txt");
    CHECK(route(mux, "/files") == "301 /files/");

    auto empty = mux.match("h", "/files/");
    REQUIRE(empty);
    CHECK(empty.param("path") == "");

    auto two = mux.match("h", "/u/42/x/y/");
    REQUIRE(two);
    REQUIRE(two.params.size() == 2);
    CHECK(two.params[0].name == "id");
    CHECK(two.params[0].value == "42");
    CHECK(two.params[1].name == "rest");
    CHECK(two.params[1].value == "x/y/");
    CHECK_FALSE(two.param("missing"));
}

TEST_CASE("wildcard values are percent-decoded and %2F stays inside one segment", "[server][serve_mux]") {
    auto mux = make_mux({"/a/{name}", "/caf%C3%A9"});
    auto r = mux.match("h", "/a/x%2Fy");
    REQUIRE(r);
    CHECK(*r.value == "/a/{name}");
    CHECK(r.param("name") == "x/y");
    CHECK(route(mux, "/a/x/y") == "404");
    // Literal segments are unescaped when parsed and compared decoded.
    CHECK(route(mux, "/caf%c3%a9") == "/caf%C3%A9");
    CHECK(route(mux, "/caf\xC3\xA9") == "/caf%C3%A9");
    // An invalid escape is compared as is.
    auto bad = mux.match("h", "/a/%zz");
    REQUIRE(bad);
    CHECK(bad.param("name") == "%zz");
}

TEST_CASE("host-specific patterns win over host-less ones", "[server][serve_mux]") {
    auto mux = make_mux({"/", "/api/", "api.example.com/", "api.example.com/v1/{x}"});
    CHECK(route(mux, "/api/users", "api.example.com") == "api.example.com/");
    CHECK(route(mux, "/v1/users", "api.example.com") == "api.example.com/v1/{x}");
    CHECK(route(mux, "/api/users", "www.example.com") == "/api/");
    CHECK(route(mux, "/api/users", "") == "/api/");

    // When the host's patterns don't match, the host-less ones still apply.
    auto partial = make_mux({"/api/", "api.example.com/v1/"});
    CHECK(route(partial, "/api/x", "api.example.com") == "/api/");
    CHECK(route(partial, "/v1/x", "api.example.com") == "api.example.com/v1/");
    CHECK(route(partial, "/v1/x", "other.example.com") == "404");
}

TEST_CASE("the request host is matched without its port and regardless of case", "[server][serve_mux]") {
    auto mux = make_mux({"Example.com/", "::1/", "/"});
    CHECK(route(mux, "/x", "example.com:8080") == "Example.com/");
    CHECK(route(mux, "/x", "EXAMPLE.COM") == "Example.com/");
    CHECK(route(mux, "/x", "example.com.") == "/");
    CHECK(route(mux, "/x", "[::1]:80") == "::1/");
    CHECK(route(mux, "/x", "[::1]") == "/");   // no port: kept with its brackets, as in Go
    CHECK(route(mux, "/x", "other:80") == "/");
}

TEST_CASE("equivalent patterns are reported as conflicts", "[server][serve_mux]") {
    serve_mux<int> mux;
    REQUIRE_FALSE(mux.handle("/a/{x}", 1));
    auto err = mux.handle("/a/{y}", 2);
    REQUIRE(err);
    CHECK(*err == "pattern \"/a/{y}\" conflicts with pattern \"/a/{x}\":\n/a/{y} matches the same requests as /a/{x}");
    CHECK(mux.size() == 1);
    CHECK_FALSE(mux.contains("/a/{y}"));
    CHECK(*mux.match("h", "/a/q").value == 1);

    REQUIRE_FALSE(mux.handle("/b/", 3));
    CHECK(mux.handle("/b/", 4));
    CHECK(mux.handle("/b/{rest...}", 5));   // same as the anonymous subtree
    REQUIRE_FALSE(mux.handle("/c/{$}", 6));
    CHECK(mux.handle("/c/%2F", 7));   // a decoded "/" literal is the same as {$}

    // Hosts compare case-insensitively; different hosts never conflict.
    REQUIRE_FALSE(mux.handle("example.com/a/{x}", 8));
    CHECK(mux.handle("EXAMPLE.com/a/{z}", 9));
    CHECK_FALSE(mux.handle("other.com/a/{z}", 10));
    CHECK(mux.size() == 5);
}

TEST_CASE("overlapping patterns where neither is more specific are reported as conflicts", "[server][serve_mux]") {
    serve_mux<int> mux;
    REQUIRE_FALSE(mux.handle("/a/{y}", 1));
    auto err = mux.handle("/{x}/b", 2);
    REQUIRE(err);
    CHECK(*err ==
          "pattern \"/{x}/b\" conflicts with pattern \"/a/{y}\":\n"
          "/{x}/b and /a/{y} both match some paths, like \"/a/b\".\n"
          "But neither is more specific than the other.\n"
          "/{x}/b matches \"/x/b\", but /a/{y} doesn't.\n"
          "/a/{y} matches \"/a/y\", but /{x}/b doesn't.");

    // "/a/b/c" matches both; "/a/z/c" only the first; "/a/b/d" only the second.
    serve_mux<int> sub;
    REQUIRE_FALSE(sub.handle("/a/b/", 1));
    CHECK(sub.handle("/a/{x}/c", 2));
    // More specific, more general and disjoint patterns coexist.
    CHECK_FALSE(sub.handle("/a/b/c", 3));
    CHECK_FALSE(sub.handle("/a/", 4));
    CHECK_FALSE(sub.handle("/a/{x}", 5));
    CHECK_FALSE(sub.handle("/a/b/{$}", 6));
}

TEST_CASE("invalid patterns are rejected with the reason", "[server][serve_mux]") {
    struct bad {
        std::string_view pattern;
        std::string_view reason;
    };
    const bad cases[] = {
        {"", "invalid pattern"},
        {"example.com", "host/path missing /"},
        {"a{b}/c", "host contains '{'"},
        {"/a{x}", "must start with '{'"},
        {"/{x", "must end with '}'"},
        {"/{$}/a", "{$} not at end"},
        {"/{x...}/a", "{...} wildcard not at end"},
        {"/{}", "empty wildcard"},
        {"/{...}", "empty wildcard"},
        {"/{1x}", "bad wildcard name \"1x\""},
        {"/{a-b}", "bad wildcard name \"a-b\""},
        {"/{x}/{x}", "duplicate wildcard name \"x\""},
        {"GET /a", "methods are not part of patterns"},
    };
    serve_mux<int> mux;
    for (const bad& c : cases) {
        auto err = mux.handle(c.pattern, 0);
        INFO(c.pattern);
        REQUIRE(err);
        CHECK_THAT(*err, Catch::Contains(std::string{c.reason}));
    }
    CHECK(mux.size() == 0);
    CHECK(*mux.handle("/{x}/{x}", 0) == "parsing \"/{x}/{x}\": at offset 5: duplicate wildcard name \"x\"");
    // Valid names: letters, digits after the first, underscores.
    CHECK_FALSE(mux.handle("/{_a1}/{B_2...}", 0));
}

TEST_CASE("unclean paths are redirected to the cleaned path with the query kept", "[server][serve_mux]") {
    auto mux = make_mux({"/a/b", "/"});
    CHECK(route(mux, "//a//b?x=1&y") == "301 /a/b?x=1&y");
    CHECK(route(mux, "/a/./b") == "301 /a/b");
    CHECK(route(mux, "/a/c/../b/") == "301 /a/b/");
    CHECK(route(mux, "/../../a/b") == "301 /a/b");
    CHECK(route(mux, "/a/b/.") == "301 /a/b");
    CHECK(route(mux, "/a/b?") == "/a/b");
    // Escapes are kept as they came: %2e%2e is not "..".
    CHECK(route(mux, "/a/%2e%2e/b") == "/");
    CHECK(route(mux, "/x/../a%20b?q") == "301 /a%20b?q");
    // Unclean paths are redirected even when nothing would match.
    auto empty = make_mux({"/only"});
    CHECK(route(empty, "/nope//") == "301 /nope/");
}

TEST_CASE("a subtree root without its trailing slash is redirected to it", "[server][serve_mux]") {
    auto mux = make_mux({"/contents/", "/"});
    CHECK(route(mux, "/contents") == "301 /contents/");
    CHECK(route(mux, "/contents?page=2") == "301 /contents/?page=2");
    // One hop when the path is unclean as well.
    CHECK(route(mux, "//contents?page=2") == "301 /contents/?page=2");
    CHECK(route(mux, "/contents/x") == "/contents/");
    // Only an exact match of path + "/" redirects: "/" matching "/other/" does not count.
    CHECK(route(mux, "/other") == "/");
    // Host-specific subtrees redirect for their host only.
    auto hosted = make_mux({"example.com/docs/", "/"});
    CHECK(route(hosted, "/docs", "example.com:443") == "301 /docs/");
    CHECK(route(hosted, "/docs", "other.com") == "/");
}

TEST_CASE("no trailing-slash redirect when the path itself is registered", "[server][serve_mux]") {
    auto mux = make_mux({"/contents/", "/contents", "/"});
    CHECK(route(mux, "/contents") == "/contents");
    CHECK(route(mux, "/contents/") == "/contents/");
    // A single wildcard matching exactly also suppresses the redirect.
    auto wild = make_mux({"/{name}", "/dir/"});
    CHECK(route(wild, "/dir") == "/{name}");
}

TEST_CASE("requests that match nothing find nothing", "[server][serve_mux]") {
    auto mux = make_mux({"/a", "example.com/b/"});
    auto r = mux.match("other.com", "/b/c");
    CHECK(r.status == aileron::server::route_status::not_found);
    CHECK_FALSE(r);
    CHECK(r.value == nullptr);
    CHECK(route(serve_mux<std::string>{}, "/") == "404");
    CHECK(route(mux, "*") == "404");
    CHECK(route(mux, "example.com:80") == "404");   // authority form
}

TEST_CASE("absolute-form request targets are routed on their path", "[server][serve_mux]") {
    auto mux = make_mux({"/a", "/"});
    CHECK(route(mux, "http://example.com/a?x") == "/a");
    CHECK(route(mux, "https://example.com:8443//a") == "301 /a");
    CHECK(route(mux, "http://example.com") == "301 /");
    CHECK(route(mux, "http://example.com?q=1") == "301 /?q=1");
}

TEST_CASE("contains reports exactly the registered pattern strings", "[server][serve_mux]") {
    auto mux = make_mux({"/a/", "example.com/b"});
    CHECK(mux.contains("/a/"));
    CHECK(mux.contains("example.com/b"));
    CHECK_FALSE(mux.contains("/a"));
    CHECK_FALSE(mux.contains("/b"));
    CHECK_FALSE(mux.contains("EXAMPLE.COM/b"));
    CHECK(mux.size() == 2);
}

TEST_CASE("a matched lookup carries the value registered with its pattern", "[server][serve_mux]") {
    serve_mux<int> mux;
    REQUIRE_FALSE(mux.handle("/one", 1));
    REQUIRE(mux.handle("/one", 99));   // the rejected value is not stored
    REQUIRE_FALSE(mux.handle("/two/{id}", 2));
    auto r = mux.match("h", "/two/7");
    REQUIRE(r);
    CHECK(*r.value == 2);
    CHECK(r.pattern == "/two/{id}");
    CHECK(r.index == 1);
    CHECK(*mux.match("h", "/one").value == 1);
}
