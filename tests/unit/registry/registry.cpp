#include <aileron/registry/registry.hpp>   // first: the header is self-contained

#include <aileron/config/source.hpp>
#include <aileron/registry/resource_graph.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

using namespace aileron;

namespace {

/// A user kind: a handler answering a configured text.
struct hello {
    static constexpr std::string_view api_version = "example/v1";
    static constexpr std::string_view kind = "HelloHandler";
    struct config {
        std::string text = "hello";
        std::vector<std::string> patterns;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("text", &config::text),
                              aileron::config::field("patterns", &config::patterns)};
        }
    };
    explicit hello(const config& c) : text_(c.text), patterns_(c.patterns) {}
    task<response> operator()(request& req) const {
        response res{http::status::ok, req.version()};
        res.body() = text_;
        co_return res;
    }
    std::vector<std::string> patterns() const { return patterns_; }
    std::vector<http::verb> methods() const { return {}; }
    std::string text_;
    std::vector<std::string> patterns_;
};

/// A user kind that is a filter middleware and refers to a handler.
struct wrap {
    static constexpr std::string_view api_version = "example/v1";
    static constexpr std::string_view kind = "Wrap";
    struct config {
        aileron::config::reference fallback;
        static constexpr auto fields() { return std::tuple{aileron::config::field("fallback", &config::fallback)}; }
    };
    wrap(const config& c, build_context& ctx) : fallback_(ctx.handler(c.fallback)) {}
    void on_response(request&, response& res) const { res.set("x-wrapped", "1"); }
    any_handler fallback_;
};

struct self_ref {
    static constexpr std::string_view api_version = "example/v1";
    static constexpr std::string_view kind = "Loop";
    struct config {
        aileron::config::reference next;
        static constexpr auto fields() { return std::tuple{aileron::config::field("next", &config::next)}; }
    };
    self_ref(const config& c, build_context& ctx) { ctx.handler(c.next); }
    task<response> operator()(request&) const { co_return response{}; }
};

std::vector<config::document> parse(std::string_view yaml, config::diagnostics& diag) {
    return config::parse_documents(yaml, "test.yaml", config::format::yaml, diag);
}

}  // namespace

TEST_CASE("a registered kind reports its roles from its type", "[registry]") {
    registry reg;
    reg.add<hello>();
    reg.add<wrap>();
    const kind_entry* h = reg.find("example/v1", "HelloHandler");
    REQUIRE(h);
    CHECK(h->roles == static_cast<unsigned>(role::handler));
    CHECK(reg.find("example/v1", "Wrap")->roles == static_cast<unsigned>(role::middleware));
    CHECK(reg.find("example/v1", "Nope") == nullptr);
    CHECK_THROWS_AS(reg.add<hello>(), std::logic_error);
}

TEST_CASE("the graph builds a referenced resource once and shares it", "[registry][graph]") {
    registry reg;
    reg.add<hello>();
    reg.add<wrap>();
    config::diagnostics diag;
    resource_graph g{reg, diag};
    g.add(parse(R"(apiVersion: example/v1
kind: HelloHandler
metadata: {name: h}
spec: {text: hi}
---
apiVersion: example/v1
kind: Wrap
spec:
  fallback: {apiVersion: example/v1, kind: HelloHandler, name: h}
)",
                diag));
    REQUIRE(diag.ok());
    const resource_object* w = g.build("example/v1/Wrap/default/default", role::middleware, "", {}, "");
    REQUIRE(w);
    const resource_object* h = g.build("example/v1/HelloHandler/default/h", role::handler, "", {}, "");
    REQUIRE(h);
    CHECK(g.build("example/v1/HelloHandler/default/h", role::handler, "", {}, "") == h);
    request req{http::verb::get, "/"};
    CHECK(test::run_task(h->handler(req)).body() == "hi");
}

TEST_CASE("graph problems name the file, line, resource and field path", "[registry][graph]") {
    registry reg;
    reg.add<hello>();
    reg.add<wrap>();
    config::diagnostics diag;
    resource_graph g{reg, diag};
    g.add(parse(R"(apiVersion: example/v1
kind: Wrap
spec:
  fallback: {apiVersion: example/v1, kind: Wrap}
---
apiVersion: example/v1
kind: Wrap
metadata: {name: other}
spec:
  fallback: {apiVersion: example/v1, kind: HelloHandler, name: missing}
)",
                diag));
    REQUIRE(diag.ok());
    CHECK(g.build("example/v1/Wrap/default/default", role::middleware, "", {}, "") == nullptr);
    CHECK(g.build("example/v1/Wrap/default/other", role::middleware, "", {}, "") == nullptr);
    REQUIRE(diag.problems().size() == 2);
    const config::problem& wrong_role = diag.problems()[0];
    CHECK(wrong_role.where.line == 4);
    CHECK(wrong_role.resource == "example/v1/Wrap/default/default");
    CHECK(wrong_role.path == "spec.fallback");
    CHECK(wrong_role.message == "example/v1/Wrap/default/default is a middleware, not a handler");
    const config::problem& missing = diag.problems()[1];
    CHECK(missing.where.line == 10);
    CHECK(missing.message == "no resource example/v1/HelloHandler/default/missing is defined");
}

TEST_CASE("unknown kinds, unknown envelope fields and duplicates are reported when added", "[registry][graph]") {
    registry reg;
    reg.add<hello>();
    config::diagnostics diag;
    resource_graph g{reg, diag};
    g.add(parse(R"(apiVersion: example/v1
kind: Hello
---
apiVersion: example/v1
kind: HelloHandler
extra: 1
---
apiVersion: example/v1
kind: HelloHandler
---
apiVersion: example/v1
kind: HelloHandler
)",
                diag));
    // The document with the unknown field still claims its id, so both later ones are duplicates.
    REQUIRE(diag.problems().size() == 4);
    CHECK(diag.problems()[0].message == "unknown kind example/v1/Hello; example/v1 has: HelloHandler");
    CHECK(diag.problems()[0].where.line == 2);
    CHECK(diag.problems()[1].message.starts_with("unknown field \"extra\""));
    CHECK(diag.problems()[2].message.starts_with("duplicate resource example/v1/HelloHandler/default/default"));
    CHECK(diag.problems()[2].where.line == 8);
    CHECK(diag.problems()[3].where.line == 11);
}

TEST_CASE("a reference cycle is an error, not a hang", "[registry][graph]") {
    registry reg;
    reg.add<self_ref>();
    config::diagnostics diag;
    resource_graph g{reg, diag};
    g.add(parse("apiVersion: example/v1\nkind: Loop\nspec:\n  next: {apiVersion: example/v1, kind: Loop}\n", diag));
    CHECK(g.build("example/v1/Loop/default/default", role::handler, "", {}, "") == nullptr);
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].message.starts_with("reference cycle"));
}
