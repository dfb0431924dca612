#include <aileron/middlewares/timeout.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using middlewares::timeout;
using namespace std::chrono_literals;

/// A handler that waits `delay` on a timer, then answers 200; records how the wait ended.
struct slow_handler {
    std::chrono::milliseconds delay;
    bool* finished = nullptr;    // the wait ran to its end
    bool* cancelled = nullptr;   // the wait was cancelled
    task<response> operator()(request& req) const {
        asio::steady_timer t{co_await asio::this_coro::executor, delay};
        auto [ec] = co_await t.async_wait(use_nothrow);
        if (ec && cancelled) *cancelled = true;
        if (!ec && finished) *finished = true;
        response res{http::status::ok, req.version()};
        res.body() = "slow";
        res.prepare_payload();
        co_return res;
    }
};

timeout::config with_default(std::int32_t ms) {
    timeout::config c;
    c.default_timeout = ms;
    return c;
}

}  // namespace

TEST_CASE("timeout is an around middleware", "[middlewares][timeout]") {
    STATIC_REQUIRE(around_middleware<timeout, next_ref>);
}

TEST_CASE("a response ready before the deadline passes through", "[middlewares][timeout]") {
    bool finished = false;
    static_chain chain{slow_handler{.delay = 1ms, .finished = &finished}, timeout{with_default(2000)}};
    request req{http::verb::get, "/"};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "slow");
    CHECK(finished);
}

TEST_CASE("when the deadline passes the work is cancelled and the client gets 504 E3202", "[middlewares][timeout]") {
    bool finished = false, cancelled = false;
    static_chain chain{slow_handler{.delay = 10s, .finished = &finished, .cancelled = &cancelled},
                       timeout{with_default(30)}};
    request req{http::verb::get, "/"};
    auto start = std::chrono::steady_clock::now();
    response res = test::run_task(chain(req));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(res.result() == http::status::gateway_timeout);
    CHECK(res.body() == R"({"status":504,"statusText":"Gateway Timeout"})");
    CHECK(cancelled);
    CHECK_FALSE(finished);
}

TEST_CASE("the first matching apiTimeouts entry picks the timeout, else the default", "[middlewares][timeout]") {
    timeout::config c = with_default(100);
    c.api_timeouts.push_back({.matcher = {.patterns = {"/slow/"}, .type = config::match_type::prefix},
                              .methods = {http_method::post},
                              .timeout = 5000});
    c.api_timeouts.push_back({.matcher = {.patterns = {"/slow/*"}, .type = config::match_type::path},
                              .timeout = 7000});
    c.api_timeouts.push_back({.matcher = {.patterns = {"/zero"}}, .timeout = 0});   // skipped
    timeout t{c};
    request post{http::verb::post, "/slow/a?x=1"};
    CHECK(t.timeout_for(post) == 5000ms);
    request get{http::verb::get, "/slow/a"};
    CHECK(t.timeout_for(get) == 7000ms);
    request other{http::verb::get, "/fast"};
    CHECK(t.timeout_for(other) == 100ms);
    request zero{http::verb::get, "/zero"};
    CHECK(t.timeout_for(zero) == 100ms);
    CHECK(timeout{}.timeout_for(other) == 0ms);
}

TEST_CASE("no timeout means the work is not raced against a timer", "[middlewares][timeout]") {
    bool finished = false;
    static_chain chain{slow_handler{.delay = 50ms, .finished = &finished}, timeout{}};
    request req{http::verb::get, "/"};
    CHECK(test::run_task(chain(req)).result() == http::status::ok);
    CHECK(finished);
}
