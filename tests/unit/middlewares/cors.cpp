#include <aileron/middlewares/cors.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using middlewares::cors;

cors::config policy(std::vector<std::string> origins) {
    cors::config c;
    c.cors_policy.allowed_origins = std::move(origins);
    return c;
}

std::vector<std::string> values(const response& res, http::field f) {
    std::vector<std::string> out;
    auto [b, e] = res.equal_range(f);
    for (auto it = b; it != e; ++it) out.emplace_back(it->value());
    return out;
}

}  // namespace

TEST_CASE("cors is a filter middleware", "[middlewares][cors]") {
    STATIC_REQUIRE(filter_middleware<cors>);
    STATIC_REQUIRE_FALSE(around_middleware<cors>);
}

TEST_CASE("a request without Origin is not a CORS request and passes untouched", "[middlewares][cors]") {
    int calls = 0;
    static_chain chain{test::text_handler{.calls = &calls}, cors{policy({"http://a.example"})}};
    request req{http::verb::put, "/"};   // PUT is not an allowed method: still untouched
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::ok);
    CHECK(calls == 1);
    CHECK(res.find(http::field::vary) == res.end());
    CHECK(res.find(http::field::access_control_allow_origin) == res.end());
}

TEST_CASE("an allowed origin gets the CORS headers on the handler's response", "[middlewares][cors]") {
    cors::config c = policy({"http://a.example"});
    c.cors_policy.allow_credentials = true;
    c.cors_policy.exposed_headers = {"X-One", "X-Two"};
    c.cors_policy.resource_policy = middlewares::cors_resource_policy::same_site;
    c.cors_policy.opener_policy = middlewares::cors_opener_policy::same_origin;
    c.cors_policy.embedder_policy = middlewares::cors_embedder_policy::require_corp;
    static_chain chain{test::text_handler{}, cors{c}};
    request req{http::verb::get, "/"};
    req.set(http::field::origin, "http://a.example");
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "ok");
    CHECK(res[http::field::access_control_allow_origin] == "http://a.example");
    CHECK(res[http::field::access_control_allow_credentials] == "true");
    CHECK(res[http::field::access_control_allow_methods] == "GET,OPTIONS,POST");
    CHECK(res[http::field::access_control_allow_headers] == "Content-Type,X-Requested-With");
    CHECK(res[http::field::access_control_expose_headers] == "X-One,X-Two");
    CHECK(values(res, http::field::vary) == std::vector<std::string>{"Origin"});
    CHECK(res["Cross-Origin-Resource-Policy"] == "same-site");
    CHECK(res["Cross-Origin-Opener-Policy"] == "same-origin");
    CHECK(res["Cross-Origin-Embedder-Policy"] == "require-corp");
}

TEST_CASE("the wildcard origin answers * without credentials, or echoes the origin when disabled", "[middlewares][cors]") {
    cors::config c;
    c.cors_policy.allow_credentials = true;
    {
        static_chain chain{test::text_handler{}, cors{c}};
        request req{http::verb::post, "/"};
        req.set(http::field::origin, "http://any.example");
        response res = test::run_task(chain(req));
        CHECK(res[http::field::access_control_allow_origin] == "*");
        CHECK(res.find(http::field::access_control_allow_credentials) == res.end());
    }
    c.cors_policy.disable_wildcard_origin = true;
    static_chain chain{test::text_handler{}, cors{c}};
    request req{http::verb::post, "/"};
    req.set(http::field::origin, "http://any.example");
    response res = test::run_task(chain(req));
    CHECK(res[http::field::access_control_allow_origin] == "http://any.example");
    CHECK(res[http::field::access_control_allow_credentials] == "true");
}

TEST_CASE("a disallowed origin or method gets 403 E3204 and the handler is not called", "[middlewares][cors]") {
    int calls = 0;
    static_chain chain{test::text_handler{.calls = &calls}, cors{policy({"http://a.example"})}};
    {
        request req{http::verb::get, "/"};
        req.set(http::field::origin, "http://evil.example");
        response res = test::run_task(chain(req));
        CHECK(res.result() == http::status::forbidden);
        CHECK(res.body() == R"({"status":403,"statusText":"Forbidden"})");
        CHECK(res.find(http::field::access_control_allow_origin) == res.end());
    }
    request req{http::verb::delete_, "/"};
    req.set(http::field::origin, "http://a.example");
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::forbidden);
    CHECK(calls == 0);
}

TEST_CASE("a preflight is answered with the policy and an empty body", "[middlewares][cors]") {
    int calls = 0;
    cors::config c = policy({"http://a.example"});
    c.cors_policy.allowed_methods = {http_method::put, http_method::get, http_method::put};
    c.cors_policy.max_age = 600;
    c.cors_policy.allow_private_network = true;
    static_chain chain{test::text_handler{.calls = &calls}, cors{c}};
    request req{http::verb::options, "/x"};
    req.set(http::field::origin, "http://a.example");
    req.set(http::field::access_control_request_method, "PUT");
    req.set(http::field::access_control_request_headers, "x-custom");
    req.set("Access-Control-Request-Private-Network", "true");
    response res = test::run_task(chain(req));
    CHECK(calls == 0);
    CHECK(res.result() == http::status::ok);
    CHECK(res.body().empty());
    CHECK(res[http::field::content_length] == "0");
    CHECK(res[http::field::access_control_allow_origin] == "http://a.example");
    CHECK(res[http::field::access_control_allow_methods] == "GET,PUT");
    CHECK(res[http::field::access_control_allow_headers] == "Content-Type,X-Requested-With");
    CHECK(res[http::field::access_control_max_age] == "600");
    CHECK(res["Access-Control-Allow-Private-Network"] == "true");
    CHECK(values(res, http::field::vary) ==
          std::vector<std::string>{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers",
                                   "Access-Control-Request-Private-Network"});
}

TEST_CASE("a preflight from a disallowed origin is 403 with an empty body; max-age 0 is not sent", "[middlewares][cors]") {
    static_chain chain{test::text_handler{}, cors{policy({"http://a.example"})}};
    request req{http::verb::options, "/x"};
    req.set(http::field::origin, "http://b.example");
    req.set(http::field::access_control_request_method, "GET");
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::forbidden);
    CHECK(res.body().empty());
    CHECK(res.find(http::field::access_control_allow_origin) == res.end());
    CHECK(res.find(http::field::access_control_max_age) == res.end());
    CHECK(res.find(http::field::access_control_allow_headers) == res.end());   // none were asked for
}

TEST_CASE("an OPTIONS request without Access-Control-Request-Method is an actual request", "[middlewares][cors]") {
    int calls = 0;
    static_chain chain{test::text_handler{.calls = &calls}, cors{}};
    request req{http::verb::options, "/x"};
    req.set(http::field::origin, "http://b.example");
    response res = test::run_task(chain(req));
    CHECK(calls == 1);
    CHECK(res[http::field::access_control_allow_origin] == "*");
}
