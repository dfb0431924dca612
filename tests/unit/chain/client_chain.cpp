#include <aileron/chain/client_chain.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <boost/asio/error.hpp>

#include <string>
#include <vector>

namespace {

using namespace aileron;

/// The end of a client chain: answers 200 and records the request headers named x-stamp.
struct recording_upstream {
    std::vector<std::string>* seen;
    int* calls;
    task<result<response>> operator()(request& req) const {
        ++*calls;
        seen->emplace_back(req["x-stamp"]);
        response res{http::status::ok, 11};
        res.body() = "upstream";
        co_return res;
    }
};

/// Appends its name to the request's x-stamp on the way out and to the response's x-back on
/// the way back, so that tests see the order both ways.
struct stamp {
    std::string name;
    template <round_tripper Next>
    task<result<response>> operator()(request& req, Next next) const {
        std::string s{req["x-stamp"]};
        req.set("x-stamp", s + name);
        result<response> res = co_await next(req);
        if (res) {
            std::string b{(*res)["x-back"]};
            res->set("x-back", b + name);
        }
        co_return res;
    }
};

/// Answers 503 itself without calling the rest of the chain.
struct short_circuit {
    template <round_tripper Next>
    task<result<response>> operator()(request&, Next) const {
        co_return response{http::status::service_unavailable, 11};
    }
};

/// Sends the request on twice when the first attempt failed: a tripperware may call `next`
/// more than once.
struct again_on_error {
    template <round_tripper Next>
    task<result<response>> operator()(request& req, Next next) const {
        result<response> res = co_await next(req);
        if (!res) res = co_await next(req);
        co_return res;
    }
};

/// Fails the first call with connection refused, then passes on.
struct fail_first {
    int* calls;
    template <round_tripper Next>
    task<result<response>> operator()(request& req, Next next) const {
        if ((*calls)++ == 0) co_return error_code{asio::error::connection_refused};
        co_return co_await next(req);
    }
};

}  // namespace

TEST_CASE("a static client chain runs tripperware outermost first, and back in reverse", "[chain][client]") {
    std::vector<std::string> seen;
    int calls = 0;
    static_client_chain chain{recording_upstream{&seen, &calls}, stamp{"a"}, stamp{"b"}, stamp{"c"}};
    STATIC_REQUIRE(round_tripper<decltype(chain)>);
    request req{http::verb::get, "/"};
    auto res = test::run_task(chain(req));
    REQUIRE(res.has_value());
    CHECK(seen == std::vector<std::string>{"abc"});
    CHECK((*res)["x-back"] == "cba");
    CHECK(res->body() == "upstream");
}

TEST_CASE("a dynamic client chain over the same tripperware types behaves like the static one", "[chain][client]") {
    std::vector<std::string> seen;
    int calls = 0;
    dynamic_client_chain chain{{any_tripperware{stamp{"a"}}, any_tripperware{stamp{"b"}}, any_tripperware{stamp{"c"}}},
                               any_round_tripper{recording_upstream{&seen, &calls}}};
    CHECK(chain.size() == 3);
    request req{http::verb::get, "/"};
    auto res = test::run_task(chain(req));
    REQUIRE(res.has_value());
    CHECK(seen == std::vector<std::string>{"abc"});
    CHECK((*res)["x-back"] == "cba");
}

TEST_CASE("an empty dynamic client chain is its round tripper", "[chain][client]") {
    std::vector<std::string> seen;
    int calls = 0;
    dynamic_client_chain chain{{}, any_round_tripper{recording_upstream{&seen, &calls}}};
    request req{http::verb::get, "/"};
    REQUIRE(test::run_task(chain(req)).has_value());
    CHECK(calls == 1);
}

TEST_CASE("a tripperware that answers itself keeps the request from the upstream", "[chain][client]") {
    std::vector<std::string> seen;
    int calls = 0;
    static_client_chain s{recording_upstream{&seen, &calls}, stamp{"a"}, short_circuit{}, stamp{"b"}};
    dynamic_client_chain d{{any_tripperware{stamp{"a"}}, any_tripperware{short_circuit{}}, any_tripperware{stamp{"b"}}},
                           any_round_tripper{recording_upstream{&seen, &calls}}};
    request r1{http::verb::get, "/"}, r2{http::verb::get, "/"};
    auto a = test::run_task(s(r1));
    auto b = test::run_task(d(r2));
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(a->result() == http::status::service_unavailable);
    CHECK(b->result() == http::status::service_unavailable);
    CHECK((*a)["x-back"] == "a");   // only the tripperware outside the short circuit saw it
    CHECK((*b)["x-back"] == "a");
    CHECK(calls == 0);
}

TEST_CASE("a tripperware may send through the rest of a chain more than once", "[chain][client]") {
    std::vector<std::string> seen;
    int calls = 0, failures = 0;
    dynamic_client_chain d{{any_tripperware{again_on_error{}}, any_tripperware{fail_first{&failures}}},
                           any_round_tripper{recording_upstream{&seen, &calls}}};
    request req{http::verb::get, "/"};
    auto res = test::run_task(d(req));
    REQUIRE(res.has_value());
    CHECK(res->result() == http::status::ok);
    CHECK(failures == 2);
    CHECK(calls == 1);
}

TEST_CASE("an upstream error passes back through the tripperware as a value", "[chain][client]") {
    int failures = 0;
    std::vector<std::string> seen;
    int calls = 0;
    static_client_chain s{recording_upstream{&seen, &calls}, stamp{"a"}, fail_first{&failures}};
    request req{http::verb::get, "/"};
    auto res = test::run_task(s(req));
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == asio::error::connection_refused);
    CHECK(calls == 0);
}

TEST_CASE("a dynamic client chain without a round tripper is a tripperware ending in the caller's next",
          "[chain][client]") {
    std::vector<std::string> seen;
    int calls = 0;
    // The inner chain (b, c) is itself the middle tripperware of the outer one.
    auto inner = std::make_shared<const dynamic_client_chain>(
        std::vector<any_tripperware>{any_tripperware{stamp{"b"}}, any_tripperware{stamp{"c"}}});
    STATIC_REQUIRE(tripperware<dynamic_client_chain, tripper_next>);
    dynamic_client_chain outer{{any_tripperware{stamp{"a"}}, any_tripperware{inner}, any_tripperware{stamp{"d"}}},
                               any_round_tripper{recording_upstream{&seen, &calls}}};
    request req{http::verb::get, "/"};
    auto res = test::run_task(outer(req));
    REQUIRE(res.has_value());
    CHECK(seen == std::vector<std::string>{"abcd"});
    CHECK((*res)["x-back"] == "dcba");
    const dynamic_client_chain empty{std::vector<any_tripperware>{}};
    dynamic_client_chain around_empty{{any_tripperware{std::shared_ptr<const dynamic_client_chain>(&empty, [](auto*) {})}},
                                      any_round_tripper{recording_upstream{&seen, &calls}}};
    request req2{http::verb::get, "/"};
    REQUIRE(test::run_task(around_empty(req2)).has_value());
    CHECK(calls == 2);
}
