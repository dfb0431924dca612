#include <aileron/meters/prometheus_meter.hpp>   // first: proves the header is self-contained

#include <aileron/chain/client_chain.hpp>
#include <aileron/chain/static_chain.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <charconv>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using meters::prometheus_meter;
using namespace std::chrono_literals;

// The clock durations end on: each fake handler moves it to the request's start plus the
// elapsed time it was asked for.
thread_local prometheus_meter::clock::time_point fake_time{};
prometheus_meter::clock::time_point fake_now() { return fake_time; }

std::chrono::microseconds elapsed_of(const request& req) {
    std::string_view v = req["x-elapsed-us"];
    long long us = 0;
    std::from_chars(v.data(), v.data() + v.size(), us);
    return std::chrono::microseconds{us};
}

/// Answers with the status in `x-status` after `x-elapsed-us` microseconds of fake time.
struct status_handler {
    task<response> operator()(request& req) const {
        fake_time = req.context().start + elapsed_of(req);
        response res{static_cast<http::status>(std::stoi(std::string{req["x-status"]})), req.version()};
        res.body() = "x";
        res.prepare_payload();
        co_return res;
    }
};

/// An upstream: the status in `x-status` ("fail": no response) after `x-elapsed-us`.
struct fake_upstream {
    task<result<response>> operator()(request& req) const {
        fake_time += elapsed_of(req);
        if (req["x-status"] == "fail") co_return error_code{asio::error::connection_refused};
        co_return response{static_cast<http::status>(std::stoi(std::string{req["x-status"]})), 11};
    }
};

/// Runs one request through the meter as server middleware in front of `status_handler`.
response serve(const prometheus_meter& meter, std::string_view method, std::string_view target, int status,
               std::chrono::microseconds elapsed, std::string_view host = "h") {
    request req{http::verb::get, target};
    req.method_string(method);
    req.set(http::field::host, host);
    req.set("x-status", std::to_string(status));
    req.set("x-elapsed-us", std::to_string(elapsed.count()));
    req.context().start = fake_time;
    return test::run_task(meter(req, status_handler{}));
}

/// Runs one request through the meter as tripperware in front of `fake_upstream`.
result<response> send(const prometheus_meter& meter, std::string_view target, std::string status,
                      std::chrono::microseconds elapsed) {
    request req{http::verb::get, target};
    req.set(http::field::host, "ignored.example");
    req.set("x-status", status);
    req.set("x-elapsed-us", std::to_string(elapsed.count()));
    return test::run_task(meter(req, fake_upstream{}));
}

/// The value of the sample whose line starts with `series` (name and labels), or -1.
double sample(const std::string& text, std::string_view series) {
    std::size_t at = 0;
    while ((at = text.find(series, at)) != std::string::npos) {
        if ((at == 0 || text[at - 1] == '\n') && text.size() > at + series.size() && text[at + series.size()] == ' ') {
            std::size_t begin = at + series.size() + 1;
            std::size_t end = text.find('\n', begin);
            return std::stod(text.substr(begin, end - begin));
        }
        at += series.size();
    }
    return -1;
}

/// The number of sample lines of metric family `name` (name followed by '{' or ' ').
std::size_t series_count(const std::string& text, std::string_view name) {
    std::size_t n = 0, at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        std::string_view line{text.data() + at, (end == std::string::npos ? text.size() : end) - at};
        if (line.starts_with(name) && line.size() > name.size() && (line[name.size()] == '{' || line[name.size()] == ' '))
            ++n;
        at = end == std::string::npos ? text.size() : end + 1;
    }
    return n;
}

}  // namespace

TEST_CASE("PrometheusMeter is a handler, a middleware and a tripperware", "[meters][prometheus]") {
    STATIC_REQUIRE(handler<prometheus_meter>);
    STATIC_REQUIRE(around_middleware<prometheus_meter>);
    STATIC_REQUIRE(tripperware<prometheus_meter, tripper_next>);
    STATIC_REQUIRE_FALSE(round_tripper<prometheus_meter>);
}

TEST_CASE("PrometheusMeter serves /metrics unless patterns are given", "[meters][prometheus]") {
    prometheus_meter::config c;
    CHECK(prometheus_meter{c}.patterns() == std::vector<std::string>{"/metrics"});
    c.patterns = {"/m", "/n"};
    CHECK(prometheus_meter{c}.patterns() == std::vector<std::string>{"/m", "/n"});
}

TEST_CASE("the exposition of a known set of server requests is exact", "[meters][prometheus]") {
    prometheus_meter meter{{}, &fake_now};
    serve(meter, "GET", "/a", 200, 500us);
    serve(meter, "GET", "/a?x=1", 200, 3000us);
    serve(meter, "POST", "/b%20c", 404, 20000us);      // the path label is decoded, as Go's URL.Path
    serve(meter, "GET", "/%22%5C%0A", 200, 1000us);    // '"', '\' and a line feed are escaped; 1 ms is le="0.001"
    serve(meter, "PURGE", "/%FF", 503, 12s);           // not UTF-8: %FF; an unknown method is OTHER in the histogram
    const std::string expected = R"(# HELP http_client_request_duration_seconds Time from sending a request upstream to receiving its response header, in seconds.
# TYPE http_client_request_duration_seconds histogram
# HELP http_client_requests_in_flight Requests sent upstream that are waiting for their response header.
# TYPE http_client_requests_in_flight gauge
http_client_requests_in_flight 0
# HELP http_client_requests_total Total number of sent http requests
# TYPE http_client_requests_total counter
# HELP http_request_duration_seconds Time from reading a request header to having its response header, in seconds.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.001"} 2
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.0025"} 2
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.005"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.01"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.025"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.05"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.1"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.25"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.5"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="1"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="2.5"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="5"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="10"} 3
http_request_duration_seconds_bucket{method="GET",status_class="2xx",le="+Inf"} 3
http_request_duration_seconds_sum{method="GET",status_class="2xx"} 0.0045
http_request_duration_seconds_count{method="GET",status_class="2xx"} 3
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.001"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.0025"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.005"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.01"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.025"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.05"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.1"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.25"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="0.5"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="1"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="2.5"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="5"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="10"} 0
http_request_duration_seconds_bucket{method="OTHER",status_class="5xx",le="+Inf"} 1
http_request_duration_seconds_sum{method="OTHER",status_class="5xx"} 12
http_request_duration_seconds_count{method="OTHER",status_class="5xx"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.001"} 0
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.0025"} 0
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.005"} 0
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.01"} 0
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.025"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.05"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.1"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.25"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="0.5"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="1"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="2.5"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="5"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="10"} 1
http_request_duration_seconds_bucket{method="POST",status_class="4xx",le="+Inf"} 1
http_request_duration_seconds_sum{method="POST",status_class="4xx"} 0.02
http_request_duration_seconds_count{method="POST",status_class="4xx"} 1
# HELP http_requests_in_flight Requests being handled.
# TYPE http_requests_in_flight gauge
http_requests_in_flight 0
# HELP http_requests_total Total number of received http requests
# TYPE http_requests_total counter
http_requests_total{code="200",host="h",method="GET",path="/\"\\\n"} 1
http_requests_total{code="200",host="h",method="GET",path="/a"} 2
http_requests_total{code="404",host="h",method="POST",path="/b c"} 1
http_requests_total{code="503",host="h",method="PURGE",path="/%FF"} 1
# HELP promhttp_metric_handler_requests_in_flight Scrapes being served.
# TYPE promhttp_metric_handler_requests_in_flight gauge
promhttp_metric_handler_requests_in_flight 0
# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.
# TYPE promhttp_metric_handler_requests_total counter
promhttp_metric_handler_requests_total{code="200"} 0
promhttp_metric_handler_requests_total{code="500"} 0
promhttp_metric_handler_requests_total{code="503"} 0
)";
    CHECK(meter.exposition(false) == expected);
}

TEST_CASE("the tripperware counts by upstream host and path, and a failed exchange as code 0",
          "[meters][prometheus]") {
    prometheus_meter meter{{}, &fake_now};
    CHECK(send(meter, "http://up.example:8080/x%2Fy?q=1", "200", 2000us)->result_int() == 200);
    CHECK(send(meter, "http://up.example:8080/x%2Fy", "502", 40000us)->result_int() == 502);
    CHECK_FALSE(send(meter, "https://other.example/z", "fail", 100us).has_value());
    const std::string text = meter.exposition(false);
    CHECK(sample(text, R"(http_client_requests_total{code="200",host="up.example:8080",method="GET",path="/x/y"})") == 1);
    CHECK(sample(text, R"(http_client_requests_total{code="502",host="up.example:8080",method="GET",path="/x/y"})") == 1);
    CHECK(sample(text, R"(http_client_requests_total{code="0",host="other.example",method="GET",path="/z"})") == 1);
    CHECK(sample(text, R"(http_client_request_duration_seconds_bucket{method="GET",status_class="2xx",le="0.0025"})") == 1);
    CHECK(sample(text, R"(http_client_request_duration_seconds_bucket{method="GET",status_class="5xx",le="0.025"})") == 0);
    CHECK(sample(text, R"(http_client_request_duration_seconds_bucket{method="GET",status_class="5xx",le="0.05"})") == 1);
    CHECK(sample(text, R"(http_client_request_duration_seconds_count{method="GET",status_class="error"})") == 1);
    CHECK(sample(text, R"(http_client_request_duration_seconds_sum{method="GET",status_class="error"})") == 0.0001);
    CHECK(sample(text, "http_client_requests_in_flight") == 0);
    CHECK(series_count(text, "http_requests_total") == 0);   // the server side saw nothing
}

TEST_CASE("the tripperware works in a dynamic client chain", "[meters][prometheus]") {
    auto meter = std::make_shared<const prometheus_meter>(prometheus_meter::config{}, &fake_now);
    std::vector<any_tripperware> ws;
    ws.emplace_back(meter);
    dynamic_client_chain chain{std::move(ws), any_round_tripper{fake_upstream{}}};
    request req{http::verb::put, "http://u/p"};
    req.set("x-status", "201");
    CHECK(test::run_task(chain(req))->result_int() == 201);
    CHECK(sample(meter->exposition(false), R"(http_client_requests_total{code="201",host="u",method="PUT",path="/p"})") == 1);
}

TEST_CASE("requests being handled are in flight, and no longer once answered", "[meters][prometheus]") {
    prometheus_meter meter{{}, &fake_now};
    std::string during;
    struct peek {
        const prometheus_meter* m;
        std::string* out;
        task<response> operator()(request& req) const {
            *out = m->exposition(false);
            co_return response{http::status::ok, req.version()};
        }
    };
    request req{http::verb::get, "/slow"};
    test::run_task(meter(req, peek{&meter, &during}));
    CHECK(sample(during, "http_requests_in_flight") == 1);
    CHECK(sample(meter.exposition(false), "http_requests_in_flight") == 0);
}

TEST_CASE("a handler that throws is counted as 500 and leaves nothing in flight", "[meters][prometheus]") {
    prometheus_meter meter{{}, &fake_now};
    struct thrower {
        task<response> operator()(request&) const {
            throw std::runtime_error{"boom"};
            co_return response{};
        }
    };
    request req{http::verb::get, "/t"};
    req.set(http::field::host, "h");
    CHECK_THROWS_AS(test::run_task(meter(req, thrower{})), std::runtime_error);
    const std::string text = meter.exposition(false);
    CHECK(sample(text, R"(http_requests_total{code="500",host="h",method="GET",path="/t"})") == 1);
    CHECK(sample(text, "http_requests_in_flight") == 0);
}

TEST_CASE("the handler serves the exposition with the process metrics and counts its scrapes", "[meters][prometheus]") {
    prometheus_meter meter{{}};
    request first{http::verb::get, "/metrics"};
    response res = test::run_task(meter(first));
    CHECK(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
    // A scrape sees itself in flight, and is counted once it is done (as promhttp does).
    CHECK(sample(res.body(), "promhttp_metric_handler_requests_in_flight") == 1);
    CHECK(sample(res.body(), R"(promhttp_metric_handler_requests_total{code="200"})") == 0);
    for (auto name : {"process_cpu_seconds_total", "process_open_fds", "process_max_fds", "process_resident_memory_bytes",
                      "process_virtual_memory_bytes", "process_virtual_memory_max_bytes", "process_start_time_seconds"})
        CHECK(sample(res.body(), name) > 0);
    // Started within the last day, and not in the future.
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    CHECK(sample(res.body(), "process_start_time_seconds") <= now + 1);
    CHECK(sample(res.body(), "process_start_time_seconds") > now - 86400);
    request second{http::verb::get, "/metrics"};
    CHECK(sample(test::run_task(meter(second)).body(), R"(promhttp_metric_handler_requests_total{code="200"})") == 1);
}

TEST_CASE("label sets beyond the limit are counted under _overflow_ and totals still add up", "[meters][prometheus]") {
    prometheus_meter meter{{}, &fake_now};
    constexpr std::size_t extra = 500;
    // All requests in one io_context: a coroutine per request would be slow to set up apart.
    asio::io_context ioc;
    asio::co_spawn(
        ioc,
        [&]() -> task<void> {
            for (std::size_t i = 0; i < prometheus_meter::max_series + extra; ++i) {
                request req{http::verb::get, "/item/" + std::to_string(i)};
                req.set(http::field::host, "h");
                req.set("x-status", "200");
                co_await meter(req, status_handler{});
            }
        },
        asio::detached);
    ioc.run();
    serve(meter, "GET", "/" + std::string(prometheus_meter::max_label_bytes + 1, 'a'), 200, 1us);
    const std::string text = meter.exposition(false);
    const std::size_t series = series_count(text, "http_requests_total");
    CHECK(series <= prometheus_meter::max_series / 2 + 1);   // a label set and its one code: two series' worth
    const double overflowed = sample(text, R"(http_requests_total{code="200",host="_overflow_",method="GET",path="_overflow_"})");
    CHECK(overflowed >= extra + 1);
    CHECK(static_cast<double>(series - 1) + overflowed == prometheus_meter::max_series + extra + 1);
    CHECK(sample(text, R"(http_request_duration_seconds_count{method="GET",status_class="2xx"})") ==
          prometheus_meter::max_series + extra + 1);
}

TEST_CASE("counts from concurrent threads add up while scrapes run", "[meters][prometheus]") {
    prometheus_meter meter{{}};
    constexpr int threads = 4, per_thread = 2000;
    std::atomic<bool> stop{false};
    std::atomic<int> scrapes{0}, bad_scrapes{0};
    std::thread scraper{[&] {
        while (!stop.load()) {
            if (meter.exposition(false).find("# TYPE http_requests_total counter\n") == std::string::npos) ++bad_scrapes;
            ++scrapes;
        }
    }};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            asio::io_context ioc;
            asio::co_spawn(
                ioc,
                [&]() -> task<void> {
                    for (int i = 0; i < per_thread; ++i) {
                        request req{http::verb::get, "/shared"};
                        req.set(http::field::host, "h");
                        req.set("x-status", "200");
                        co_await meter(req, status_handler{});
                        request own{http::verb::post, "/t" + std::to_string(t)};
                        own.set(http::field::host, "h");
                        own.set("x-status", "200");
                        co_await meter(own, status_handler{});
                    }
                },
                asio::detached);
            ioc.run();
        });
    for (auto& w : workers) w.join();
    stop = true;
    scraper.join();
    CHECK(scrapes > 0);
    CHECK(bad_scrapes == 0);
    const std::string text = meter.exposition(false);
    CHECK(sample(text, R"(http_requests_total{code="200",host="h",method="GET",path="/shared"})") == threads * per_thread);
    for (int t = 0; t < threads; ++t)
        CHECK(sample(text, R"(http_requests_total{code="200",host="h",method="POST",path="/t)" + std::to_string(t) + "\"}") ==
              per_thread);
    CHECK(sample(text, R"(http_request_duration_seconds_count{method="GET",status_class="2xx"})") == threads * per_thread);
    CHECK(sample(text, "http_requests_in_flight") == 0);
}
