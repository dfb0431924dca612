#include <aileron/chain/static_chain.hpp>   // first: the header is self-contained

#include <aileron/chain/dynamic_chain.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

namespace {

using namespace aileron;

/// A filter that records its name on the way in and out.
struct tag_filter {
    std::string name;
    std::vector<std::string>* trace;
    std::optional<response> on_request(request& req) const {
        trace->push_back(name + ">");
        req.set("x-seen-" + name, "1");
        return std::nullopt;
    }
    void on_response(request&, response& res) const {
        trace->push_back("<" + name);
        res.insert("x-by", name);
    }
};

/// A filter that answers 403 when the request has no x-key header.
struct guard_filter {
    std::optional<response> on_request(request& req) const {
        if (req.find("x-key") != req.end()) return std::nullopt;
        response res{http::status::forbidden, 11};
        res.body() = "no key";
        return res;
    }
};

/// An around middleware that wraps the rest of the chain.
struct around_tag {
    std::string name;
    std::vector<std::string>* trace;
    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        trace->push_back(name + "(");
        response res = co_await next(req);
        trace->push_back(")" + name);
        res.insert("x-by", name);
        co_return res;
    }
};

struct only_response {
    void on_response(request&, response& res) const { res.set("x-only", "1"); }
};

}  // namespace

TEST_CASE("middleware concepts accept both shapes and reject other types", "[chain][concepts]") {
    STATIC_REQUIRE(filter_middleware<tag_filter>);
    STATIC_REQUIRE(filter_middleware<only_response>);
    STATIC_REQUIRE(around_middleware<around_tag>);
    STATIC_REQUIRE(middleware<guard_filter>);
    STATIC_REQUIRE_FALSE(middleware<int>);
    STATIC_REQUIRE_FALSE(middleware<test::text_handler>);
    STATIC_REQUIRE(handler<test::text_handler>);
}

TEST_CASE("a static chain runs filters in order in and in reverse order out", "[chain][static]") {
    std::vector<std::string> trace;
    static_chain chain{test::text_handler{}, tag_filter{"a", &trace}, tag_filter{"b", &trace}};
    request req{http::verb::get, "/"};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::ok);
    CHECK(trace == std::vector<std::string>{"a>", "b>", "<b", "<a"});
    CHECK(req["x-seen-a"] == "1");
    CHECK(req["x-seen-b"] == "1");
}

TEST_CASE("a filter that answers early stops the chain and only outer filters see the answer", "[chain][static]") {
    std::vector<std::string> trace;
    int calls = 0;
    static_chain chain{test::text_handler{"ok", &calls}, tag_filter{"outer", &trace}, guard_filter{},
                       tag_filter{"inner", &trace}};
    request req{http::verb::get, "/"};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::forbidden);
    CHECK(calls == 0);
    CHECK(trace == std::vector<std::string>{"outer>", "<outer"});
}

TEST_CASE("around middleware and filters mix in a static chain in list order", "[chain][static]") {
    std::vector<std::string> trace;
    static_chain chain{test::text_handler{}, tag_filter{"f1", &trace}, around_tag{"a1", &trace},
                       tag_filter{"f2", &trace}, only_response{}};
    request req{http::verb::get, "/"};
    req.set("x-key", "k");
    response res = test::run_task(chain(req));
    CHECK(trace == std::vector<std::string>{"f1>", "a1(", "f2>", "<f2", ")a1", "<f1"});
    CHECK(res["x-only"] == "1");
    // The response hooks ran innermost first: f2, then a1, then f1.
    std::vector<std::string> by;
    for (auto& f : res)
        if (f.name_string() == "x-by") by.emplace_back(f.value());
    CHECK(by == std::vector<std::string>{"f2", "a1", "f1"});
}

TEST_CASE("a dynamic chain over the same middleware types behaves like the static chain", "[chain][dynamic]") {
    std::vector<std::string> s_trace, d_trace;
    static_chain s{test::text_handler{}, tag_filter{"f1", &s_trace}, around_tag{"a1", &s_trace},
                   guard_filter{}, tag_filter{"f2", &s_trace}};
    dynamic_chain d{{any_middleware{tag_filter{"f1", &d_trace}}, any_middleware{around_tag{"a1", &d_trace}},
                     any_middleware{guard_filter{}}, any_middleware{tag_filter{"f2", &d_trace}}},
                    any_handler{test::text_handler{}}};
    for (bool with_key : {true, false}) {
        s_trace.clear();
        d_trace.clear();
        request r1{http::verb::get, "/"}, r2{http::verb::get, "/"};
        if (with_key) {
            r1.set("x-key", "1");
            r2.set("x-key", "1");
        }
        response a = test::run_task(s(r1));
        response b = test::run_task(d(r2));
        CHECK(a.result() == b.result());
        CHECK(s_trace == d_trace);
        CHECK(a.body() == b.body());
    }
}

TEST_CASE("an empty dynamic chain is its handler", "[chain][dynamic]") {
    int calls = 0;
    dynamic_chain d{{}, any_handler{test::text_handler{"hi", &calls}}};
    request req{http::verb::get, "/"};
    CHECK(test::run_task(d(req)).body() == "hi");
    CHECK(calls == 1);
}

#include <aileron/core/round_tripper.hpp>

namespace {
struct fake_transport {
    aileron::task<aileron::result<aileron::response>> operator()(aileron::request&) const {
        co_return aileron::response{aileron::http::status::ok, 11};
    }
};
struct retry_once {
    template <aileron::round_tripper Next>
    aileron::task<aileron::result<aileron::response>> operator()(aileron::request& req, Next next) const {
        auto res = co_await next(req);
        if (!res) res = co_await next(req);
        co_return res;
    }
};
}  // namespace

TEST_CASE("round trippers and tripperware are recognised by their signatures", "[chain][concepts]") {
    STATIC_REQUIRE(aileron::round_tripper<fake_transport>);
    STATIC_REQUIRE(aileron::tripperware<retry_once, fake_transport>);
    STATIC_REQUIRE_FALSE(aileron::round_tripper<aileron::test::text_handler>);
    aileron::request req{aileron::http::verb::get, "/"};
    auto res = aileron::test::run_task(retry_once{}(req, fake_transport{}));
    REQUIRE(res.has_value());
    CHECK(res->result() == aileron::http::status::ok);
}

namespace {
struct count_request {
    int* seen;
    std::optional<aileron::response> on_request(aileron::request&) const {
        ++*seen;
        return std::nullopt;
    }
};
}  // namespace

TEST_CASE("request-only filters run without a frame of their own and can still answer early", "[chain]") {
    using namespace aileron;
    int seen = 0, calls = 0;
    static_chain s{test::text_handler{"ok", &calls}, count_request{&seen}, guard_filter{}, count_request{&seen}};
    dynamic_chain d{{any_middleware{count_request{&seen}}, any_middleware{guard_filter{}},
                     any_middleware{count_request{&seen}}},
                    any_handler{test::text_handler{"ok", &calls}}};
    request denied1{http::verb::get, "/"}, denied2{http::verb::get, "/"};
    CHECK(test::run_task(s(denied1)).result() == http::status::forbidden);
    CHECK(test::run_task(d(denied2)).result() == http::status::forbidden);
    CHECK(seen == 2);   // only the filter before the guard ran, in each chain
    CHECK(calls == 0);
    request ok1{http::verb::get, "/"}, ok2{http::verb::get, "/"};
    ok1.set("x-key", "1");
    ok2.set("x-key", "1");
    CHECK(test::run_task(s(ok1)).body() == "ok");
    CHECK(test::run_task(d(ok2)).body() == "ok");
    CHECK(seen == 6);
    CHECK(calls == 2);
}
