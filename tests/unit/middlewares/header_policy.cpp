#include <aileron/middlewares/header_policy.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <stdexcept>

namespace {

using namespace aileron;
using middlewares::header_policy;

/// A handler that records the request headers it saw and answers with a few headers.
struct recording_handler {
    std::vector<std::string>* seen;
    task<response> operator()(request& req) const {
        for (auto& f : req.header()) seen->push_back(std::string{f.name_string()} + "=" + std::string{f.value()});
        response res{http::status::ok, req.version()};
        res.set("X-Internal", "secret");
        res.set(http::field::server, "backend");
        res.set(http::field::content_type, "text/plain");
        res.body() = "ok";
        res.prepare_payload();
        co_return res;
    }
};

header_policy mimes(std::vector<std::string> allowed) {
    header_policy::config c;
    c.allow_mimes = std::move(allowed);
    return header_policy{c};
}

}  // namespace

TEST_CASE("header_policy is a filter middleware", "[middlewares][header_policy]") {
    STATIC_REQUIRE(filter_middleware<header_policy>);
}

TEST_CASE("allowMIMEs checks the media type and lets a request without body or Content-Type pass", "[middlewares][header_policy]") {
    int calls = 0;
    static_chain chain{test::text_handler{.calls = &calls}, mimes({"application/json"})};
    {
        request req{http::verb::get, "/"};
        CHECK(test::run_task(chain(req)).result() == http::status::ok);
    }
    {
        request req{http::verb::post, "/"};
        req.set(http::field::content_type, "Application/JSON; charset=utf-8");
        req.set(http::field::content_length, "2");
        CHECK(test::run_task(chain(req)).result() == http::status::ok);
    }
    CHECK(calls == 2);
    {
        request req{http::verb::post, "/"};
        req.set(http::field::content_type, "text/plain");
        response res = test::run_task(chain(req));
        CHECK(res.result() == http::status::unsupported_media_type);
        CHECK(res.body() == R"({"status":415,"statusText":"Unsupported Media Type"})");
    }
    {
        request req{http::verb::post, "/"};   // a body without Content-Type
        req.set(http::field::content_length, "5");
        CHECK(test::run_task(chain(req)).result() == http::status::unsupported_media_type);
    }
    {
        request req{http::verb::post, "/"};
        req.set(http::field::transfer_encoding, "chunked");
        CHECK(test::run_task(chain(req)).result() == http::status::unsupported_media_type);
    }
    CHECK(calls == 2);
}

TEST_CASE("maxContentLength answers 411 for unknown lengths and 413 for larger ones", "[middlewares][header_policy]") {
    header_policy::config c;
    c.max_content_length = 10;
    static_chain chain{test::text_handler{}, header_policy{c}};
    request chunked{http::verb::post, "/"};
    chunked.set(http::field::transfer_encoding, "chunked");
    CHECK(test::run_task(chain(chunked)).result() == http::status::length_required);
    request big{http::verb::post, "/"};
    big.set(http::field::content_length, "11");
    CHECK(test::run_task(chain(big)).result() == http::status::payload_too_large);
    request fits{http::verb::post, "/"};
    fits.set(http::field::content_length, "10");
    CHECK(test::run_task(chain(fits)).result() == http::status::ok);
    request none{http::verb::get, "/"};
    CHECK(test::run_task(chain(none)).result() == http::status::ok);
}

TEST_CASE("request policies apply allows, removes, add and set in that order", "[middlewares][header_policy]") {
    header_policy::config c;
    c.request_policy.emplace();
    c.request_policy->allows = {"x-keep", "X-Drop", "x-set"};
    c.request_policy->removes = {"x-drop"};
    c.request_policy->add = {{"X-Keep", "added"}};
    c.request_policy->set = {{"X-Set", "new"}, {"X-Fresh", "1"}};
    std::vector<std::string> seen;
    static_chain chain{recording_handler{&seen}, header_policy{c}};
    request req{http::verb::get, "/"};
    req.set(http::field::host, "h");
    req.set("X-Keep", "k");
    req.set("X-Drop", "d");
    req.set("X-Set", "old");
    req.set("X-Other", "o");
    req.set(http::field::content_length, "0");
    CHECK(test::run_task(chain(req)).result() == http::status::ok);
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<std::string>{"Content-Length=0", "Host=h", "X-Fresh=1", "X-Keep=added", "X-Keep=k",
                                           "X-Set=new"});
}

TEST_CASE("response policies edit the handler's response headers", "[middlewares][header_policy]") {
    header_policy::config c;
    c.response_policy.emplace();
    c.response_policy->removes = {"X-Internal"};
    c.response_policy->set = {{"Server", "aileron"}};
    c.response_policy->add = {{"X-Frame-Options", "DENY"}};
    std::vector<std::string> seen;
    static_chain chain{recording_handler{&seen}, header_policy{c}};
    request req{http::verb::get, "/"};
    response res = test::run_task(chain(req));
    CHECK(res.find("X-Internal") == res.end());
    CHECK(res[http::field::server] == "aileron");
    CHECK(res["X-Frame-Options"] == "DENY");
    CHECK(res[http::field::content_length] == "2");
}

TEST_CASE("rewrites are refused: replacers are not supported yet", "[middlewares][header_policy]") {
    header_policy::config c;
    c.request_policy.emplace();
    c.request_policy->rewrites.push_back({.name = "X-A"});
    CHECK_THROWS_AS(header_policy{c}, std::invalid_argument);
}
