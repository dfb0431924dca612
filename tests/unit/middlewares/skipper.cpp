#include <aileron/middlewares/skipper.hpp>   // first: proves the header is self-contained

#include <aileron/chain/dynamic_chain.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using middlewares::skipper;

/// A filter that records its name on the way in and out.
struct tag_filter {
    std::string name;
    std::vector<std::string>* trace;
    std::optional<response> on_request(request&) const {
        trace->push_back(name + ">");
        return std::nullopt;
    }
    void on_response(request&, response& res) const {
        trace->push_back("<" + name);
        res.insert("x-by", name);
    }
};

/// An around middleware that wraps the rest of the chain.
struct around_tag {
    std::string name;
    std::vector<std::string>* trace;
    task<response> operator()(request& req, next_ref next) const {
        trace->push_back(name + "(");
        response res = co_await next(req);
        trace->push_back(")" + name);
        co_return res;
    }
};

/// A filter that answers 403 itself.
struct deny_filter {
    std::optional<response> on_request(request&) const {
        response res{http::status::forbidden, 11};
        res.body() = "denied";
        return res;
    }
};

skipper::condition_config when(std::vector<std::string> patterns, config::match_type t,
                               std::vector<http_method> methods = {}) {
    skipper::condition_config c;
    c.matcher.patterns = std::move(patterns);
    c.matcher.type = t;
    c.methods = std::move(methods);
    return c;
}

/// outer filter -> skipper(wrapped...) -> inner filter -> handler
struct fixture {
    std::vector<std::string> trace;
    int calls = 0;
    dynamic_chain chain(skipper::config cfg, std::vector<any_middleware> wrapped) {
        return dynamic_chain{{any_middleware{tag_filter{"outer", &trace}},
                              any_middleware{skipper{cfg, std::move(wrapped)}},
                              any_middleware{tag_filter{"inner", &trace}}},
                             any_handler{test::text_handler{"hi", &calls}}};
    }
    response send(const dynamic_chain& c, http::verb m, std::string target) {
        trace.clear();
        request req{m, target};
        return test::run_task(c(req));
    }
};

}  // namespace

TEST_CASE("skipper is an around middleware", "[middlewares][skipper]") {
    STATIC_REQUIRE(around_middleware<skipper, next_ref>);
}

TEST_CASE("the wrapped middleware runs unless a condition matches", "[middlewares][skipper]") {
    fixture f;
    skipper::config cfg;
    cfg.skip_conditions = {when({"/health"}, config::match_type::prefix)};
    auto c = f.chain(cfg, {any_middleware{tag_filter{"w1", &f.trace}}, any_middleware{around_tag{"a", &f.trace}},
                           any_middleware{tag_filter{"w2", &f.trace}}});

    response res = f.send(c, http::verb::get, "/api/x");
    CHECK(res.body() == "hi");
    CHECK(f.trace == std::vector<std::string>{"outer>", "w1>", "a(", "w2>", "inner>", "<inner", "<w2", ")a", "<w1",
                                              "<outer"});

    res = f.send(c, http::verb::get, "/health/live?x=1");
    CHECK(res.body() == "hi");
    CHECK(f.trace == std::vector<std::string>{"outer>", "inner>", "<inner", "<outer"});
    CHECK(f.calls == 2);
}

TEST_CASE("methods narrow a condition; an empty list means every method", "[middlewares][skipper]") {
    fixture f;
    skipper::config cfg;
    cfg.skip_conditions = {when({"/a"}, config::match_type::exact, {http_method::get, http_method::head}),
                           when({"/b/*"}, config::match_type::path)};
    auto c = f.chain(cfg, {any_middleware{deny_filter{}}});
    CHECK(f.send(c, http::verb::get, "/a").result() == http::status::ok);
    CHECK(f.send(c, http::verb::head, "/a").result() == http::status::ok);
    CHECK(f.send(c, http::verb::post, "/a").result() == http::status::forbidden);
    CHECK(f.send(c, http::verb::post, "/b/c").result() == http::status::ok);
    CHECK(f.send(c, http::verb::delete_, "/b/c").result() == http::status::ok);
    CHECK(f.send(c, http::verb::get, "/b/c/d").result() == http::status::forbidden);
    CHECK(f.send(c, http::verb::get, "/c").result() == http::status::forbidden);
}

TEST_CASE("a wrapped middleware that answers stops the chain", "[middlewares][skipper]") {
    fixture f;
    auto c = f.chain(skipper::config{}, {any_middleware{deny_filter{}}});
    response res = f.send(c, http::verb::get, "/");
    CHECK(res.result() == http::status::forbidden);
    CHECK(res.body() == "denied");
    CHECK(f.calls == 0);
    CHECK(f.trace == std::vector<std::string>{"outer>", "<outer"});
}

TEST_CASE("a condition without patterns never matches; no wrapped middleware passes through",
          "[middlewares][skipper]") {
    fixture f;
    skipper::config cfg;
    cfg.skip_conditions = {skipper::condition_config{}};
    auto denying = f.chain(cfg, {any_middleware{deny_filter{}}});
    CHECK(f.send(denying, http::verb::get, "/").result() == http::status::forbidden);
    auto empty = f.chain(cfg, {});
    CHECK(f.send(empty, http::verb::get, "/").body() == "hi");
}

TEST_CASE("a handlerless dynamic chain is an around middleware ending in the caller's next",
          "[middlewares][skipper][chain]") {
    STATIC_REQUIRE(around_middleware<dynamic_chain, next_ref>);
    std::vector<std::string> trace;
    int calls = 0;
    dynamic_chain inner{{any_middleware{around_tag{"i1", &trace}}, any_middleware{tag_filter{"i2", &trace}}}};
    dynamic_chain outer{{any_middleware{around_tag{"o", &trace}}, any_middleware{inner}},
                        any_handler{test::text_handler{"hi", &calls}}};
    request req{http::verb::get, "/"};
    response res = test::run_task(outer(req));
    CHECK(res.body() == "hi");
    CHECK(trace == std::vector<std::string>{"o(", "i1(", "i2>", "<i2", ")i1", ")o"});
}
