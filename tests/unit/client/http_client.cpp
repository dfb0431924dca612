#include <aileron/client/http_client.hpp>   // first: proves the header is self-contained

#include <aileron/config/source.hpp>

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace aileron;
using namespace aileron::client;
using std::chrono::milliseconds;

/// What a scripted upstream answers on one attempt: an error, or a status.
struct step {
    error_code error;
    unsigned status = 200;
    bool read_body = true;   ///< whether the fake takes the request body before answering
};

/// A fake round tripper: answers attempt i with script[i] (the last step repeats) and records
/// each body it received.
struct fake_upstream {
    std::vector<step> script;
    std::vector<std::string>* bodies;
    task<result<response>> operator()(request& req) const {
        const step s = script[std::min(bodies->size(), script.size() - 1)];
        std::string got;
        if (s.read_body) {
            for (;;) {
                auto piece = co_await req.body().next();
                if (!piece || piece->size() == 0) break;
                got.append(static_cast<const char*>(piece->data()), piece->size());
            }
        }
        bodies->push_back(std::move(got));
        if (s.error) co_return s.error;
        response res{static_cast<http::status>(s.status), 11};
        res.set_stream(std::make_unique<string_body_source>("answer " + std::to_string(bodies->size())));
        co_return res;
    }
};
static_assert(round_tripper<fake_upstream>);
static_assert(tripperware<retry, fake_upstream>);

retry_policy policy(std::uint32_t max_retry, std::vector<unsigned> statuses = {503}, std::uint64_t max_len = 0) {
    retry_policy p;
    p.max_retry = max_retry;
    p.statuses = std::move(statuses);
    p.max_content_length = max_len;
    return p;
}

struct outcome {
    result<response> res;
    std::vector<std::string> bodies;   ///< one per attempt
};

/// Sends `method` with `body` (none when empty) through retry{p} to a fake playing `script`.
outcome exchange(const retry_policy& p, http::verb method, std::vector<step> script, std::string body = "") {
    outcome out;
    string_body_source src{body};
    request req{method, "http://up.test/x"};
    if (!body.empty()) req.set_body(&src);
    body_source* const before = &req.body();
    retry r{p};
    out.res = test::run_task(r(req, fake_upstream{std::move(script), &out.bodies}));
    CHECK(&req.body() == before);   // the request's own body is back in place
    return out;
}

const error_code refused{asio::error::connection_refused};
const error_code reset{asio::error::connection_reset};

}  // namespace

TEST_CASE("the number of attempts is 1 + maxRetry", "[client][retry]") {
    for (std::uint32_t n : {0u, 1u, 3u}) {
        auto o = exchange(policy(n), http::verb::get, {{.status = 503}});
        CHECK(o.bodies.size() == n + 1);
        REQUIRE(o.res.has_value());
        CHECK(o.res->result_int() == 503);   // the last response, not an error
    }
}

TEST_CASE("a GET is retried on a listed status until it succeeds", "[client][retry]") {
    auto o = exchange(policy(5), http::verb::get, {{.status = 503}, {.status = 503}, {.status = 200}});
    CHECK(o.bodies.size() == 3);
    REQUIRE(o.res.has_value());
    CHECK(o.res->result_int() == 200);
}

TEST_CASE("an unlisted status is returned at once", "[client][retry]") {
    auto o = exchange(policy(5, {503}), http::verb::get, {{.status = 500}, {.status = 200}});
    CHECK(o.bodies.size() == 1);
    CHECK(o.res->result_int() == 500);
    auto none = exchange(policy(5, {}), http::verb::get, {{.status = 503}, {.status = 200}});
    CHECK(none.bodies.size() == 1);
}

TEST_CASE("after the last attempt the last error is returned", "[client][retry]") {
    auto o = exchange(policy(2), http::verb::get, {{.error = refused}});
    CHECK(o.bodies.size() == 3);
    REQUIRE_FALSE(o.res.has_value());
    CHECK(o.res.error() == refused);
}

TEST_CASE("a connect error is retried for any method; a reset only for idempotent ones", "[client][retry]") {
    CHECK(exchange(policy(1), http::verb::post, {{.error = refused}, {.status = 200}}).bodies.size() == 2);
    CHECK(exchange(policy(1), http::verb::get, {{.error = reset}, {.status = 200}}).bodies.size() == 2);
    CHECK(exchange(policy(1), http::verb::put, {{.error = reset}, {.status = 200}}).bodies.size() == 2);
    // A POST that broke after it was sent may have been applied.
    CHECK(exchange(policy(1), http::verb::post, {{.error = reset}, {.status = 200}}).bodies.size() == 1);
    CHECK(exchange(policy(1), http::verb::patch, {{.error = reset}, {.status = 200}}).bodies.size() == 1);
    // A timeout is not retried (the upstream may still be working on it).
    CHECK(exchange(policy(1), http::verb::get, {{.error = asio::error::timed_out}, {.status = 200}}).bodies.size() == 1);
}

TEST_CASE("a POST whose body was sent is not retried; one whose body was not is", "[client][retry]") {
    auto sent = exchange(policy(3), http::verb::post, {{.status = 503}, {.status = 200}}, "payload");
    CHECK(sent.bodies.size() == 1);
    CHECK(sent.res->result_int() == 503);
    // The upstream answered before reading the body: nothing of it went out.
    auto unsent = exchange(policy(3), http::verb::post, {{.status = 503, .read_body = false}, {.status = 200}}, "payload");
    CHECK(unsent.bodies.size() == 2);
    CHECK(unsent.bodies[1] == "payload");
    CHECK(unsent.res->result_int() == 200);
    // Bodiless POST with a listed status: nothing of a body was sent.
    CHECK(exchange(policy(3), http::verb::post, {{.status = 503}, {.status = 200}}).bodies.size() == 2);
}

TEST_CASE("a POST stays unretried even when its body is buffered", "[client][retry]") {
    auto o = exchange(policy(3, {503}, 1024), http::verb::post, {{.status = 503}, {.status = 200}}, "payload");
    CHECK(o.bodies.size() == 1);
}

TEST_CASE("an idempotent request body is replayed only when buffered", "[client][retry]") {
    // Small enough: buffered, sent again whole.
    auto small = exchange(policy(2, {503}, 16), http::verb::put, {{.status = 503}, {.status = 200}}, "0123456789");
    REQUIRE(small.bodies.size() == 2);
    CHECK(small.bodies[0] == "0123456789");
    CHECK(small.bodies[1] == "0123456789");
    CHECK(small.res->result_int() == 200);
    // Longer than maxContentLength: streamed, so not sent again once it started.
    auto big = exchange(policy(2, {503}, 4), http::verb::put, {{.status = 503}, {.status = 200}}, "0123456789");
    CHECK(big.bodies.size() == 1);
    CHECK(big.res->result_int() == 503);
    // ... but a connection that never took the body is retried.
    auto refused_big = exchange(policy(2, {503}, 4), http::verb::put, {{.error = refused, .read_body = false}, {.status = 200}},
                                "0123456789");
    REQUIRE(refused_big.bodies.size() == 2);
    CHECK(refused_big.bodies[1] == "0123456789");
}

TEST_CASE("should_retry decisions", "[client][retry]") {
    const retry_policy p = policy(2, {502, 503});
    using ex = retry_policy::exchange;
    CHECK(p.should_retry(0, ex{.method = http::verb::get, .status = 503}));
    CHECK(p.should_retry(1, ex{.method = http::verb::get, .status = 502}));
    CHECK_FALSE(p.should_retry(2, ex{.method = http::verb::get, .status = 503}));   // no attempts left
    CHECK_FALSE(p.should_retry(0, ex{.method = http::verb::get, .status = 504}));
    CHECK_FALSE(p.should_retry(0, ex{.method = http::verb::post, .body_sent = true, .status = 503}));
    CHECK_FALSE(p.should_retry(0, ex{.method = http::verb::post, .body_sent = true, .replayable = true, .status = 503}));
    CHECK(p.should_retry(0, ex{.method = http::verb::put, .body_sent = true, .replayable = true, .status = 503}));
    CHECK_FALSE(p.should_retry(0, ex{.method = http::verb::put, .body_sent = true, .status = 503}));
    CHECK(p.should_retry(0, ex{.method = http::verb::post, .error = refused}));
    CHECK_FALSE(p.should_retry(0, ex{.method = http::verb::post, .error = reset}));
    CHECK(p.should_retry(0, ex{.method = http::verb::delete_, .error = http::error::end_of_stream}));
    CHECK_FALSE(p.should_retry(0, ex{.method = http::verb::get, .error = http::error::partial_message}));
    for (auto v : {http::verb::get, http::verb::head, http::verb::options, http::verb::trace, http::verb::put,
                   http::verb::delete_})
        CHECK(retry_policy::idempotent(v));
    for (auto v : {http::verb::post, http::verb::patch, http::verb::connect})
        CHECK_FALSE(retry_policy::idempotent(v));
}

TEST_CASE("backoff doubles from 1 ms up to the 10 s cap, with full jitter", "[client][retry]") {
    const retry_policy p = policy(100);
    CHECK(p.backoff_bound(0) == milliseconds{1});
    CHECK(p.backoff_bound(1) == milliseconds{2});
    CHECK(p.backoff_bound(10) == milliseconds{1024});
    CHECK(p.backoff_bound(13) == milliseconds{8192});
    CHECK(p.backoff_bound(14) == milliseconds{10'000});
    CHECK(p.backoff_bound(99) == milliseconds{10'000});   // no overflow
    std::minstd_rand g{42};
    bool below_half = false;
    for (int i = 0; i < 200; ++i) {
        auto d = p.backoff(12, g);
        CHECK(d >= milliseconds{0});
        CHECK(d <= milliseconds{4096});
        if (d < milliseconds{2048}) below_half = true;
    }
    CHECK(below_half);   // jitter spreads over the whole range, not just near the bound
}

TEST_CASE("retries wait on a timer, briefly at first", "[client][retry]") {
    const auto start = std::chrono::steady_clock::now();
    auto o = exchange(policy(4), http::verb::get, {{.status = 503}});
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(o.bodies.size() == 5);
    CHECK(took < milliseconds{1 + 2 + 4 + 8 + 200});   // bounds 1+2+4+8 ms, plus slack
}

//----------------------------------------------------------------------------------------------
// Config

namespace {

std::vector<std::string> problems(const std::string& spec_yaml, http_client::config& out) {
    config::diagnostics diag;
    auto docs = config::parse_documents(spec_yaml, "t.yaml", config::format::yaml, diag);
    REQUIRE(docs.size() == 1);
    config::decode(docs[0].root, out, diag, "core/v1/HTTPClient/default/c");
    std::vector<std::string> lines;
    for (const config::problem& p : diag.problems()) lines.push_back(p.path + ": " + p.message);
    return lines;
}

std::vector<std::string> problems(const std::string& spec_yaml) {
    http_client::config c;
    return problems(spec_yaml, c);
}

bool has(const std::vector<std::string>& lines, std::string_view path_prefix) {
    for (auto& l : lines)
        if (l.starts_with(path_prefix)) return true;
    return false;
}

}  // namespace

TEST_CASE("HTTPClient config: honoured fields map onto the transport", "[client][config]") {
    http_client::config c;
    auto p = problems("retryConfig: {maxRetry: 3, maxContentLength: 1024, retryStatusCodes: [502, 503]}\n"
                      "httpTransportConfig:\n"
                      "  responseHeaderTimeout: 250\n"
                      "  idleConnTimeout: 5000\n"
                      "  maxIdleConnsPerHost: 8\n"
                      "  maxResponseHeaderBytes: 4096\n"
                      "  disableKeepAlives: true\n"
                      "  dialConfig: {timeout: 700}\n",
                      c);
    CHECK(p.empty());
    http_client client{to_transport_options(c.http_transport), retry_policy::from(c.retry)};
    CHECK(client.options().response_header_timeout == milliseconds{250});
    CHECK(client.options().idle_timeout == milliseconds{5000});
    CHECK(client.options().max_idle_per_host == 8);
    CHECK(client.options().max_response_header_bytes == 4096);
    CHECK(client.options().disable_keep_alives);
    CHECK(client.options().dial_timeout == milliseconds{700});
    CHECK(client.policy().max_retry == 3);
    CHECK(client.policy().max_content_length == 1024);
    CHECK(client.policy().statuses == std::vector<unsigned>{502, 503});
}

TEST_CASE("HTTPClient config: without a transport config AILERON's default transport is used", "[client][config]") {
    const transport_options def = to_transport_options(std::nullopt);
    CHECK(def.dial_timeout == milliseconds{10'000});
    CHECK(def.idle_timeout == milliseconds{60'000});
    CHECK(def.max_idle_per_host == 1024);
    // An empty httpTransportConfig is Go's zero transport: no dial timeout, no idle limit.
    const transport_options zero = to_transport_options(http_transport_config{});
    CHECK(zero.dial_timeout == milliseconds{0});
    CHECK(zero.idle_timeout == milliseconds{0});
    CHECK(zero.max_idle_per_host == 1024);
    CHECK(zero.max_response_header_bytes == 1u << 20);
}

TEST_CASE("HTTPClient config: what aileron cannot honour is rejected with its path", "[client][config]") {
    CHECK(has(problems("http2TransportConfig: {allowHTTP: true}"), "spec.http2TransportConfig: "));
    CHECK(has(problems("http3TransportConfig: {}"), "spec.http3TransportConfig: "));
    CHECK(has(problems("httpTransportConfig: {dialConfig: {tlsConfig: {}}}"),
              "spec.httpTransportConfig.dialConfig.tlsConfig: "));
    CHECK(has(problems("httpTransportConfig: {tlsConfig: {rootCAs: [/nonexistent.pem]}}"),
              "spec.httpTransportConfig.tlsConfig.rootCAs[0]: cannot load PEM certificates"));
    CHECK(has(problems("httpTransportConfig: {tlsConfig: {maxVersion: 771, minVersion: 772}}"),
              "spec.httpTransportConfig.tlsConfig.minVersion: is above maxVersion"));
    CHECK(has(problems("httpTransportConfig: {tlsConfig: {certKeyPairs: [{certFile: /nonexistent.pem}]}}"),
              "spec.httpTransportConfig.tlsConfig.certKeyPairs[0].certFile: "));
    CHECK(has(problems("httpTransportConfig: {allowHTTP2: true}"), "spec.httpTransportConfig.allowHTTP2: "));
    CHECK(has(problems("httpTransportConfig: {maxConnsPerHost: 4}"), "spec.httpTransportConfig.maxConnsPerHost: "));
    CHECK(has(problems("httpTransportConfig: {maxIdleConns: 4}"), "spec.httpTransportConfig.maxIdleConns: "));
    CHECK(has(problems("httpTransportConfig: {responseHeaderTimeout: -1}"),
              "spec.httpTransportConfig.responseHeaderTimeout: "));
    CHECK(has(problems("httpTransportConfig: {dialConfig: {localAddress: 127.0.0.2}}"),
              "spec.httpTransportConfig.dialConfig.localAddress: "));
    CHECK(has(problems("httpTransportConfig: {dialConfig: {replaceTargets: ['(tcp|a:80) > (unix|/s)']}}"),
              "spec.httpTransportConfig.dialConfig.replaceTargets: "));
    CHECK(has(problems("httpTransportConfig: {dialConfig: {fallbackDelay: 300}}"),
              "spec.httpTransportConfig.dialConfig.fallbackDelay: "));
    CHECK(has(problems("retryConfig: {maxRetry: 101}"), "spec.retryConfig.maxRetry: "));
    CHECK(has(problems("retryConfig: {maxContentLength: 16777217}"), "spec.retryConfig.maxContentLength: "));
    CHECK(has(problems("retryConfig: {retryStatusCodes: [503, 503]}"), "spec.retryConfig.retryStatusCodes[1]: "));
    CHECK(has(problems("retryConfig: {retryStatusCodes: [42]}"), "spec.retryConfig.retryStatusCodes[0]: "));
    CHECK(problems("retryConfig: {maxRetry: 100, maxContentLength: 16777216}").empty());
}
