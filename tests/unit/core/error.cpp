#include <aileron/core/error.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

using namespace aileron;

namespace {
response render(std::string_view accept, http::status s = http::status::not_found) {
    request req{http::verb::get, "/x"};
    if (!accept.empty()) req.set(http::field::accept, accept);
    return default_error_handler::instance().make(req, http_error{.status = s});
}
}  // namespace

TEST_CASE("the default error body is JSON when Accept is absent or unknown", "[core][error]") {
    for (auto accept : {"", "*/*", "text/html", "image/png, text/xml"}) {
        response res = render(accept);
        CHECK(res.body() == R"({"status":404,"statusText":"Not Found"})");
        CHECK(res[http::field::content_type] == "application/json; charset=utf-8");
        CHECK(res["X-Content-Type-Options"] == "nosniff");
        CHECK(res[http::field::vary] == "Accept");
    }
}

TEST_CASE("the default error body follows the first parsable media range of Accept", "[core][error]") {
    CHECK(render("text/xml").body() == "<result><status>404</status><statusText>Not Found</statusText><errors></errors></result>");
    CHECK(render("text/xml")[http::field::content_type] == "text/xml; charset=utf-8");
    CHECK(render("application/xml;q=0.1, application/json").body().starts_with("<result>"));
    CHECK(render("text/plain").body() == "status: 404\nstatusText: Not Found\n");
    CHECK(render("application/yaml")[http::field::content_type] == "application/yaml; charset=utf-8");
    CHECK(render("text/json").body() == R"({"status":404,"statusText":"Not Found"})");
    CHECK(render("text/json")[http::field::content_type] == "text/json; charset=utf-8");
    CHECK(render("a/b/c, text/plain").body().starts_with("status: 404"));   // a/b/c does not parse
    CHECK(render("garbage, text/xml").body().starts_with("{"));              // a bare token does
    CHECK(render("Text/XML")[http::field::content_type] == "text/xml; charset=utf-8");
}

TEST_CASE("error bodies use Go's status texts", "[core][error]") {
    CHECK(render("application/json", http::status::payload_too_large).body() ==
          R"({"status":413,"statusText":"Request Entity Too Large"})");
    CHECK(status_text(414) == "Request URI Too Long");
    CHECK(status_text(599).empty());
}

TEST_CASE("headers attached to an error reach the response", "[core][error]") {
    request req{http::verb::get, "/"};
    http_error err{.status = http::status::unauthorized};
    err.headers.emplace_back("WWW-Authenticate", "Basic realm=\"x\"");
    response res = default_error_handler::instance().make(req, err);
    CHECK(res[http::field::www_authenticate] == "Basic realm=\"x\"");
    CHECK(res.result() == http::status::unauthorized);
}
