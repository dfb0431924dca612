#include <aileron/middlewares/tracking.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>
#include <aileron/config/source.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <array>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace aileron;
using middlewares::tracking;

/// A handler that records the request headers it was given.
struct header_recorder {
    std::vector<std::pair<std::string, std::string>>* seen;
    task<response> operator()(request& req) const {
        for (const auto& f : req) seen->emplace_back(std::string{f.name_string()}, std::string{f.value()});
        response res{http::status::ok, req.version()};
        res.prepare_payload();
        co_return res;
    }
};

std::string header(const std::vector<std::pair<std::string, std::string>>& seen, std::string_view name) {
    for (auto& [k, v] : seen)
        if (beast::iequals(k, name)) return v;
    return {};
}

bool escaped_base32hex(const std::string& id) {
    return id.size() == 48 && id.find_first_not_of("0123456789BCDFGHJKLMNPQRSTUVWXYZ") == std::string::npos;
}

std::vector<std::string> problems(const std::string& spec_yaml) {
    config::diagnostics diag;
    auto docs = config::parse_documents(spec_yaml, "t.yaml", config::format::yaml, diag);
    REQUIRE(docs.size() == 1);
    tracking::config out;
    config::decode(docs[0].root, out, diag, "app/v1/TrackingMiddleware/default/t");
    std::vector<std::string> lines;
    for (const config::problem& p : diag.problems()) lines.push_back(p.path + ": " + p.message);
    return lines;
}

}  // namespace

TEST_CASE("tracking is a filter middleware", "[middlewares][tracking]") {
    STATIC_REQUIRE(filter_middleware<tracking>);
    STATIC_REQUIRE_FALSE(around_middleware<tracking>);
}

TEST_CASE("request IDs are 48 characters of the escaped base32hex alphabet and distinct", "[middlewares][tracking]") {
    std::set<std::string> ids;
    std::array<int, 32> counts{};
    for (int i = 0; i < 2000; ++i) {
        std::string id = tracking::new_request_id();
        REQUIRE(escaped_base32hex(id));
        for (char c : id) ++counts[std::string_view{"0123456789BCDFGHJKLMNPQRSTUVWXYZ"}.find(c)];
        ids.insert(std::move(id));
    }
    CHECK(ids.size() == 2000);
    for (int n : counts) CHECK(n > 2000 * 48 / 32 / 2);   // every digit is used, roughly evenly
    // Other threads have generators of their own, seeded apart.
    std::string other;
    std::thread{[&] { other = tracking::new_request_id(); }}.join();
    CHECK(escaped_base32hex(other));
    CHECK(ids.count(other) == 0);
}

TEST_CASE("without names nothing is added to the request", "[middlewares][tracking]") {
    std::vector<std::pair<std::string, std::string>> seen;
    static_chain chain{header_recorder{&seen}, tracking{}};
    request req{http::verb::get, "/"};
    req.set("X-Trace-Id", "abc");
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::ok);
    CHECK(seen.size() == 1);
}

TEST_CASE("the IDs go upstream as the configured request headers", "[middlewares][tracking]") {
    tracking::config c{.request_id_proxy_name = "X-Request-ID", .trace_id_proxy_name = "X-Trace-ID",
                       .trace_id_extract_name = "X-Trace-ID"};
    std::vector<std::pair<std::string, std::string>> seen;
    static_chain chain{header_recorder{&seen}, tracking{c}};
    {
        request req{http::verb::get, "/"};
        test::run_task(chain(req));
        const std::string rid = header(seen, "X-Request-ID");
        CHECK(escaped_base32hex(rid));
        CHECK(header(seen, "X-Trace-ID") == rid);   // no incoming trace ID: the request ID
    }
    seen.clear();
    request req{http::verb::get, "/"};
    req.set("x-trace-id", "trace-from-client");
    test::run_task(chain(req));
    CHECK(header(seen, "X-Trace-ID") == "trace-from-client");
    CHECK(escaped_base32hex(header(seen, "X-Request-ID")));
    int traces = 0;
    for (auto& [k, v] : seen) traces += beast::iequals(k, "X-Trace-ID");
    CHECK(traces == 1);   // set, not added
}

TEST_CASE("the trace ID can be extracted from one header and sent in another", "[middlewares][tracking]") {
    tracking::config c{.trace_id_proxy_name = "Upstream-Trace", .trace_id_extract_name = "Client-Trace"};
    std::vector<std::pair<std::string, std::string>> seen;
    static_chain chain{header_recorder{&seen}, tracking{c}};
    request req{http::verb::get, "/"};
    req.set("Client-Trace", "t-1");
    test::run_task(chain(req));
    CHECK(header(seen, "Upstream-Trace") == "t-1");
    CHECK(header(seen, "X-Request-ID").empty());
}

TEST_CASE("the IDs go into the request context for the logs, also without header names", "[middlewares][tracking]") {
    std::vector<std::pair<std::string, std::string>> seen;
    static_chain chain{header_recorder{&seen}, tracking{}};
    request req{http::verb::get, "/"};
    CHECK(req.context().ids.empty());
    test::run_task(chain(req));
    const request_ids& ids = req.context().ids;
    REQUIRE_FALSE(ids.empty());
    CHECK(escaped_base32hex(std::string{ids.request()}));
    CHECK(ids.trace() == ids.request());
    CHECK(seen.empty());   // no header was added
}

TEST_CASE("the context has the IDs sent upstream, the trace ID kept when its header is replaced",
          "[middlewares][tracking]") {
    // Extracted from and sent as the same header: the header the trace ID came from is replaced
    // by the one sent, and the context still holds the value (a copy, not a view of the old one).
    tracking::config c{.request_id_proxy_name = "X-Request-ID", .trace_id_proxy_name = "X-Trace-ID",
                       .trace_id_extract_name = "X-Trace-ID"};
    std::vector<std::pair<std::string, std::string>> seen;
    static_chain chain{header_recorder{&seen}, tracking{c}};
    request req{http::verb::get, "/"};
    const std::string long_trace(300, 't');
    req.set("X-Trace-ID", long_trace);
    test::run_task(chain(req));
    req.set("X-Trace-ID", "something else");   // whatever happens to the headers later
    CHECK(req.context().ids.request() == header(seen, "X-Request-ID"));
    CHECK(req.context().ids.trace() == long_trace);
    CHECK(header(seen, "X-Trace-ID") == long_trace);
}

TEST_CASE("a request ID the request already has is kept by a second TrackingMiddleware", "[middlewares][tracking]") {
    std::vector<std::pair<std::string, std::string>> seen;
    tracking::config inner{.request_id_proxy_name = "X-Request-ID", .trace_id_extract_name = "X-Trace-ID"};
    static_chain chain{header_recorder{&seen}, tracking{inner}};
    request req{http::verb::get, "/"};
    req.context().ids.assign("ID-FROM-AN-OUTER-TRACKING", "outer-trace");
    req.set("X-Trace-ID", "client-trace");
    test::run_task(chain(req));
    CHECK(header(seen, "X-Request-ID") == "ID-FROM-AN-OUTER-TRACKING");
    CHECK(req.context().ids.request() == "ID-FROM-AN-OUTER-TRACKING");
    CHECK(req.context().ids.trace() == "client-trace");   // this one's extraction
}

TEST_CASE("TrackingMiddleware config: header names must match ^[0-9a-zA-Z-_]*$", "[middlewares][tracking]") {
    CHECK(problems("requestIDProxyName: X-Request_ID\ntraceIDProxyName: ''\n").empty());
    auto lines = problems("requestIDProxyName: 'X Request'\ntraceIDExtractName: 'a:b'\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find("requestIDProxyName") != std::string::npos);
    CHECK(lines[1].find("traceIDExtractName") != std::string::npos);
}
