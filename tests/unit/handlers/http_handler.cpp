#include <aileron/handlers/http_handler.hpp>   // first: the header is self-contained

#include <aileron/config/source.hpp>
#include <aileron/registry/resource_graph.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

using namespace aileron;
using handlers::http_handler;

namespace {

/// A handler with configurable patterns and methods, answering its text.
struct child {
    static constexpr std::string_view api_version = "example/v1";
    static constexpr std::string_view kind = "Child";
    struct config {
        std::vector<std::string> patterns;
        std::vector<http_method> methods;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("patterns", &config::patterns),
                              aileron::config::field("methods", &config::methods)};
        }
    };
    explicit child(const config& c) : patterns_(c.patterns), methods_(to_verbs(c.methods)) {}
    task<response> operator()(request& req) const {
        response res{http::status::ok, req.version()};
        res.body() = "child";
        co_return res;
    }
    std::vector<std::string> patterns() const { return patterns_; }
    std::vector<http::verb> methods() const { return methods_; }
    std::vector<std::string> patterns_;
    std::vector<http::verb> methods_;
};

/// A filter middleware adding a response header.
struct stamp {
    static constexpr std::string_view api_version = "example/v1";
    static constexpr std::string_view kind = "Stamp";
    struct config {
        std::string value = "1";
        static constexpr auto fields() { return std::tuple{aileron::config::field("value", &config::value)}; }
    };
    explicit stamp(const config& c) : value_(c.value) {}
    void on_response(request&, response& res) const { res.insert("x-stamp", value_); }
    std::string value_;
};

struct fixture {
    registry reg;
    config::diagnostics diag;
    resource_graph g{reg, diag};
    explicit fixture(std::string_view yaml) {
        register_builtins(reg);
        reg.add<child>();
        reg.add<stamp>();
        g.add(config::parse_documents(yaml, "test.yaml", config::format::yaml, diag));
    }
    const resource_object* build() { return g.build("core/v1/HTTPHandler/default/h", role::handler, "", {}, ""); }
};

}  // namespace

TEST_CASE("http_handler: patterns are the child's under pattern, trailing slashes kept", "[handlers][http_handler]") {
    using V = std::vector<std::string>;
    CHECK(http_handler::join_patterns("/api", {"/users", "/files/", "/"}) == V{"/api/users", "/api/files/", "/api/"});
    CHECK(http_handler::join_patterns("api/", {"/a/../b", "x"}) == V{"/api/b", "/api/x"});
    CHECK(http_handler::join_patterns("", {"/", "/a"}) == V{"/", "/a"});
    CHECK(http_handler::join_patterns("/", {"/"}) == V{"/"});
    CHECK(http_handler::join_patterns("/api", {}).empty());
}

TEST_CASE("http_handler: built from config, middleware in front, methods inherited", "[handlers][http_handler]") {
    fixture f{R"(apiVersion: example/v1
kind: Child
metadata: {name: c}
spec: {patterns: ["/users", "/files/"], methods: [POST, GET, POST]}
---
apiVersion: example/v1
kind: Stamp
metadata: {name: a}
spec: {value: outer}
---
apiVersion: example/v1
kind: Stamp
metadata: {name: b}
spec: {value: inner}
---
apiVersion: core/v1
kind: HTTPHandler
metadata: {name: h}
spec:
  pattern: /api
  middleware:
    - {apiVersion: example/v1, kind: Stamp, name: a}
    - {apiVersion: example/v1, kind: Stamp, name: b}
  handler: {apiVersion: example/v1, kind: Child, name: c}
)"};
    REQUIRE(f.diag.ok());
    const resource_object* h = f.build();
    INFO(f.diag.to_string());
    REQUIRE(h);
    CHECK(h->patterns == std::vector<std::string>{"/api/users", "/api/files/"});
    CHECK(h->methods == std::vector<http::verb>{http::verb::get, http::verb::post});
    request req{http::verb::get, "/api/users"};
    response res = test::run_task(h->handler(req));
    CHECK(res.body() == "child");
    std::vector<std::string> stamps;
    for (auto& fld : res) if (fld.name_string() == "x-stamp") stamps.emplace_back(fld.value());
    CHECK(stamps == std::vector<std::string>{"inner", "outer"});
}

TEST_CASE("http_handler: the handler is required and must be a handler", "[handlers][http_handler]") {
    SECTION("missing") {
        fixture f{"apiVersion: core/v1\nkind: HTTPHandler\nmetadata: {name: h}\nspec: {pattern: /x}\n"};
        if (f.diag.ok()) CHECK(f.build() == nullptr);
        CHECK_THAT(f.diag.to_string(), Catch::Contains("spec.handler") && Catch::Contains("is required"));
    }
    SECTION("a middleware") {
        fixture f{"apiVersion: core/v1\nkind: HTTPHandler\nmetadata: {name: h}\n"
                  "spec: {handler: {apiVersion: example/v1, kind: Stamp}}\n---\n"
                  "apiVersion: example/v1\nkind: Stamp\n"};
        REQUIRE(f.diag.ok());
        CHECK(f.build() == nullptr);
        CHECK_THAT(f.diag.to_string(), Catch::Contains("spec.handler"));
    }
}
