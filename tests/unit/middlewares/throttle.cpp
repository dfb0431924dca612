#include <aileron/middlewares/throttle.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <atomic>
#include <stdexcept>
#include <thread>

namespace {

using namespace aileron;
using middlewares::throttle;
using namespace std::chrono_literals;

throttle::api_throttler_config any_path() {
    return throttle::api_throttler_config{.matcher = {.patterns = {"/"}, .type = config::match_type::prefix}};
}

throttle one(throttle::api_throttler_config c) {
    throttle::config cfg;
    cfg.api_throttlers.push_back(std::move(c));
    return throttle{cfg};
}

template <class Chain>
http::status status_of(const Chain& chain, std::string_view target = "/", http::verb v = http::verb::get) {
    request req{v, target};
    return test::run_task(chain(req)).result();
}

}  // namespace

TEST_CASE("throttle is an around middleware", "[middlewares][throttle]") {
    STATIC_REQUIRE(around_middleware<throttle, next_ref>);
}

TEST_CASE("a fixed window admits limit requests, then 429 with Retry-After and AILERON's body", "[middlewares][throttle]") {
    auto c = any_path();
    c.fixed_window = throttle::fixed_window_config{.window_size = 60'000, .limit = 3};
    int calls = 0;
    static_chain chain{test::text_handler{.calls = &calls}, one(c)};
    for (int i = 0; i < 3; ++i) CHECK(status_of(chain) == http::status::ok);
    request req{http::verb::get, "/"};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::too_many_requests);
    CHECK(res.body() == R"({"status":429,"statusText":"Too Many Requests"})");
    int retry = std::stoi(std::string{res[http::field::retry_after]});
    CHECK(retry >= 1);
    CHECK(retry <= 60);
    CHECK(calls == 3);
}

TEST_CASE("a fixed window opens again when the next window starts", "[middlewares][throttle]") {
    auto c = any_path();
    c.fixed_window = throttle::fixed_window_config{.window_size = 50, .limit = 1};
    static_chain chain{test::text_handler{}, one(c)};
    CHECK(status_of(chain) == http::status::ok);
    CHECK(status_of(chain) == http::status::too_many_requests);
    std::this_thread::sleep_for(120ms);
    CHECK(status_of(chain) == http::status::ok);
}

TEST_CASE("a fixed window counts exactly under concurrent threads", "[middlewares][throttle]") {
    auto c = any_path();
    c.fixed_window = throttle::fixed_window_config{.window_size = 600'000, .limit = 1000};
    static_chain chain{test::text_handler{}, one(c)};
    std::atomic<int> ok{0}, rejected{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 400; ++i)
                (status_of(chain) == http::status::ok ? ok : rejected).fetch_add(1);
        });
    for (auto& t : threads) t.join();
    CHECK(ok == 1000);
    CHECK(rejected == 600);
}

TEST_CASE("a token bucket spends its tokens and refills by fillRate per interval", "[middlewares][throttle]") {
    auto c = any_path();
    c.token_bucket = throttle::token_bucket_config{.bucket_size = 2, .fill_interval = 50, .fill_rate = 1};
    static_chain chain{test::text_handler{}, one(c)};
    CHECK(status_of(chain) == http::status::ok);
    CHECK(status_of(chain) == http::status::ok);
    CHECK(status_of(chain) == http::status::too_many_requests);
    std::this_thread::sleep_for(120ms);   // at least two fills, capped at the bucket size
    CHECK(status_of(chain) == http::status::ok);
}

TEST_CASE("a leaky bucket admits a burst of bucketSize, then one per leak interval", "[middlewares][throttle]") {
    auto c = any_path();
    c.leaky_bucket = throttle::leaky_bucket_config{.bucket_size = 3, .leak_interval = 60'000};
    static_chain chain{test::text_handler{}, one(c)};
    for (int i = 0; i < 3; ++i) CHECK(status_of(chain) == http::status::ok);
    request req{http::verb::get, "/"};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::too_many_requests);
    CHECK(std::stoi(std::string{res[http::field::retry_after]}) > 50);
}

TEST_CASE("maxConnections limits requests in flight and frees the slot when they finish", "[middlewares][throttle]") {
    auto c = any_path();
    c.max_connections = throttle::max_connections_config{.max_conns = 1};
    throttle mw = one(c);
    // A Next with no members: GCC 12 crashed destroying a by-value Next with a std::string
    // member (test::text_handler) on the early-return path of the coroutine.
    struct ok_handler {
        task<response> operator()(request& req) const {
            response res{http::status::ok, req.version()};
            co_return res;
        }
    };
    // The handler of the first request runs a second request through the same middleware.
    struct nested {
        const throttle* mw;
        http::status* inner;
        task<response> operator()(request& req) const {
            request again{http::verb::get, "/"};
            response r = co_await (*mw)(again, ok_handler{});
            *inner = r.result();
            co_return co_await ok_handler{}(req);
        }
    };
    http::status inner{};
    request req{http::verb::get, "/"};
    CHECK(test::run_task(mw(req, nested{&mw, &inner})).result() == http::status::ok);
    CHECK(inner == http::status::too_many_requests);
    request after{http::verb::get, "/"};
    CHECK(test::run_task(mw(after, ok_handler{})).result() == http::status::ok);
}

TEST_CASE("only the first entry whose methods and path match decides", "[middlewares][throttle]") {
    throttle::config cfg;
    auto api = throttle::api_throttler_config{.matcher = {.patterns = {"/api/*"}, .type = config::match_type::path},
                                              .methods = {http_method::post}};
    api.fixed_window = throttle::fixed_window_config{.window_size = 60'000, .limit = 1};
    cfg.api_throttlers.push_back(api);
    auto rest = any_path();
    rest.fixed_window = throttle::fixed_window_config{.window_size = 60'000, .limit = 2};
    cfg.api_throttlers.push_back(rest);
    static_chain chain{test::text_handler{}, throttle{cfg}};
    CHECK(status_of(chain, "/api/a", http::verb::post) == http::status::ok);
    CHECK(status_of(chain, "/api/a", http::verb::post) == http::status::too_many_requests);
    CHECK(status_of(chain, "/api/a", http::verb::get) == http::status::ok);   // second entry
    CHECK(status_of(chain, "/other") == http::status::ok);
    CHECK(status_of(chain, "/other") == http::status::too_many_requests);
    throttle::config none;
    none.api_throttlers.push_back(throttle::api_throttler_config{.matcher = {.patterns = {"/x"}}});
    static_chain unmatched{test::text_handler{}, throttle{}};
    CHECK(status_of(unmatched) == http::status::ok);
    CHECK_THROWS_AS(throttle{none}, std::invalid_argument);
}

TEST_CASE("maxRetry waits with backoff and admits a request once the limiter does", "[middlewares][throttle]") {
    auto c = any_path();
    c.fixed_window = throttle::fixed_window_config{.window_size = 5, .limit = 1};
    c.max_retry = 12;   // every wait is >= 1 ms: 12 retries outlast a 5 ms window
    static_chain chain{test::text_handler{}, one(c)};
    CHECK(status_of(chain) == http::status::ok);
    CHECK(status_of(chain) == http::status::ok);
}
