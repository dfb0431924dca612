#include <aileron/middlewares/csrf.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>
#include <aileron/config/source.hpp>
#include <aileron/core/encoding.hpp>
#include <aileron/middlewares/session.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using middlewares::csrf;

/// Answers 200 with the request body it read and the value of X-Token it saw.
struct body_handler {
    task<response> operator()(request& req) const {
        auto body = co_await req.read_body(1 << 20);
        response res{http::status::ok, req.version()};
        res.set("X-Seen-Token", req["X-Token"]);
        res.body() = body ? *body : "broken";
        res.prepare_payload();
        co_return res;
    }
};

csrf::config keyed() {
    csrf::config c;
    c.secret = encoding::base64_encode(std::string(64, 's'));
    return c;
}

csrf::config double_submit(middlewares::csrf_token_source source) {
    csrf::config c = keyed();
    c.double_submit_cookies = csrf::double_submit_cookies_config{};
    c.double_submit_cookies->token_source = source;
    return c;
}

template <class Chain>
response send(const Chain& chain, http::verb method, std::vector<std::pair<std::string, std::string>> headers = {},
              std::string body = {}) {
    request req{method, "/api"};
    for (auto& [k, v] : headers) req.insert(k, v);
    string_body_source src{body};
    if (!body.empty()) {
        req.set(http::field::content_length, std::to_string(body.size()));
        req.set_body(&src);
    }
    return test::run_task(chain(req));
}

response issue(const csrf& endpoint, std::vector<std::pair<std::string, std::string>> headers = {}) {
    request req{http::verb::get, "/token"};
    for (auto& [k, v] : headers) req.insert(k, v);
    return test::run_task(endpoint(req));
}

std::vector<std::string> problems(const std::string& spec_yaml) {
    config::diagnostics diag;
    auto docs = config::parse_documents(spec_yaml, "t.yaml", config::format::yaml, diag);
    REQUIRE(docs.size() == 1);
    csrf::config out;
    config::decode(docs[0].root, out, diag, "app/v1/CSRFMiddleware/default/t");
    std::vector<std::string> lines;
    for (const config::problem& p : diag.problems()) lines.push_back(p.path + ": " + p.message);
    return lines;
}

constexpr std::string_view forbidden = R"({"status":403,"statusText":"Forbidden"})";

}  // namespace

TEST_CASE("csrf is an around middleware and the token endpoint handler", "[middlewares][csrf]") {
    STATIC_REQUIRE(around_middleware<csrf>);
    STATIC_REQUIRE(handler<csrf>);
    csrf c{keyed()};
    CHECK(c.patterns() == std::vector<std::string>{"/token"});
    CHECK(c.methods().empty());
}

TEST_CASE("tokens are hex of a seedSize seed and its HMAC, verified against the secret", "[middlewares][csrf]") {
    csrf c{keyed()};
    std::string t = *c.new_token();
    CHECK(t.size() == (20 + 32) * 2);
    CHECK(t.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(c.valid_token(t));
    CHECK(c.new_token() != t);
    std::string bad = t;
    bad[5] = bad[5] == '0' ? '1' : '0';
    CHECK_FALSE(c.valid_token(bad));
    CHECK_FALSE(c.valid_token(t.substr(2)));
    CHECK_FALSE(c.valid_token("zz" + t.substr(2)));

    csrf::config other = keyed();
    other.secret = encoding::base64_encode(std::string(64, 'o'));
    CHECK_FALSE(csrf{other}.valid_token(t));

    csrf::config small = keyed();
    small.seed_size = 8;
    small.hash_alg = hash_alg::sha512;
    csrf s{small};
    CHECK(s.new_token()->size() == (8 + 64) * 2);
    CHECK(s.valid_token(*s.new_token()));
}

TEST_CASE("custom request header: safe methods pass, others need the header with a valid token",
          "[middlewares][csrf]") {
    csrf mw{keyed()};
    static_chain chain{test::text_handler{}, mw};
    CHECK(send(chain, http::verb::get).result() == http::status::ok);
    CHECK(send(chain, http::verb::options).result() == http::status::ok);
    response res = send(chain, http::verb::post);
    CHECK(res.result() == http::status::forbidden);
    CHECK(res.body() == forbidden);
    CHECK(send(chain, http::verb::post, {{"X-Requested-With", "XMLHttpRequest"}}).result() == http::status::forbidden);
    CHECK(send(chain, http::verb::delete_, {{"X-Requested-With", *mw.new_token()}}).result() == http::status::ok);
}

TEST_CASE("custom request header: a value matching allowedPattern passes without a token", "[middlewares][csrf]") {
    csrf::config c = keyed();
    c.custom_request_header = csrf::custom_request_header_config{};
    c.custom_request_header->header_name = "__csrfToken";
    c.custom_request_header->allowed_pattern = "^localhost$";
    static_chain chain{test::text_handler{}, csrf{c}};
    CHECK(send(chain, http::verb::post, {{"__csrfToken", "localhost"}}).result() == http::status::ok);
    CHECK(send(chain, http::verb::post, {{"__csrfToken", "localhost2"}}).result() == http::status::forbidden);
    CHECK(send(chain, http::verb::post, {{"X-Requested-With", "localhost"}}).result() == http::status::forbidden);
}

TEST_CASE("skipMethods replaces the safe methods", "[middlewares][csrf]") {
    csrf::config c = keyed();
    c.skip_methods = {http_method::options};
    static_chain chain{test::text_handler{}, csrf{c}};
    CHECK(send(chain, http::verb::get).result() == http::status::forbidden);
    CHECK(send(chain, http::verb::options).result() == http::status::ok);
}

TEST_CASE("double submit cookie: the endpoint sets the cookie; cookie and header must match", "[middlewares][csrf]") {
    csrf mw{double_submit(middlewares::csrf_token_source::header)};
    response issued = issue(mw);
    CHECK(issued.result() == http::status::ok);
    std::string token = issued.body();
    CHECK(mw.valid_token(token));
    CHECK(issued[http::field::set_cookie] == "__csrfToken=" + token + "; Path=/; HttpOnly; Secure");
    CHECK(issued[http::field::cache_control] == "no-store");
    CHECK(issued["X-Content-Type-Options"] == "nosniff");
    CHECK(issued[http::field::content_type] == "text/plain; charset=utf-8");

    static_chain chain{test::text_handler{}, mw};
    std::string cookie = "__csrfToken=" + token;
    CHECK(send(chain, http::verb::post, {{"Cookie", cookie}, {"__csrfToken", token}}).result() == http::status::ok);
    CHECK(send(chain, http::verb::post, {{"Cookie", cookie}}).result() == http::status::forbidden);
    CHECK(send(chain, http::verb::post, {{"__csrfToken", token}}).result() == http::status::forbidden);
    std::string other = *mw.new_token();
    CHECK(send(chain, http::verb::post, {{"Cookie", cookie}, {"__csrfToken", other}}).result() == http::status::forbidden);
    // Equal but not issued by us: still refused.
    CHECK(send(chain, http::verb::post, {{"Cookie", "__csrfToken=abcd"}, {"__csrfToken", "abcd"}}).result() ==
          http::status::forbidden);
}

TEST_CASE("double submit cookie: a form field token is found and the body still reaches the handler",
          "[middlewares][csrf]") {
    csrf mw{double_submit(middlewares::csrf_token_source::form)};
    std::string token = *mw.new_token();
    static_chain chain{body_handler{}, mw};
    std::string body = "name=a+b&__csrfToken=" + token + "&x=%41";
    response res = send(chain, http::verb::post,
                        {{"Cookie", "__csrfToken=" + token},
                         {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                        body);
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == body);
    CHECK(send(chain, http::verb::post, {{"Cookie", "__csrfToken=" + token}, {"Content-Type", "text/plain"}}, body)
              .result() == http::status::forbidden);
    CHECK(send(chain, http::verb::post,
               {{"Cookie", "__csrfToken=" + token}, {"Content-Type", "application/x-www-form-urlencoded"}},
               "__csrfToken=nope")
              .result() == http::status::forbidden);
}

TEST_CASE("double submit cookie: a JSON member token is found", "[middlewares][csrf]") {
    csrf mw{double_submit(middlewares::csrf_token_source::json)};
    std::string token = *mw.new_token();
    static_chain chain{body_handler{}, mw};
    std::string body = R"({"data":{"x":1},"__csrfToken":")" + token + R"("})";
    response res = send(chain, http::verb::put,
                        {{"Cookie", "__csrfToken=" + token}, {"Content-Type", "application/json"}}, body);
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == body);
    CHECK(send(chain, http::verb::put, {{"Cookie", "__csrfToken=" + token}, {"Content-Type", "application/json"}},
               R"({"__csrfToken":1})")
              .result() == http::status::forbidden);
    CHECK(send(chain, http::verb::put, {{"Cookie", "__csrfToken=" + token}, {"Content-Type", "application/json"}},
               "not json")
              .result() == http::status::forbidden);
}

TEST_CASE("the endpoint answers the client's valid token again unless issueNew", "[middlewares][csrf]") {
    csrf::config c = double_submit(middlewares::csrf_token_source::header);
    csrf keep{c};
    std::string token = *keep.new_token();
    std::vector<std::pair<std::string, std::string>> h{{"Cookie", "__csrfToken=" + token}, {"__csrfToken", token}};
    CHECK(issue(keep, h).body() == token);
    c.issue_new = true;
    csrf fresh{c};
    std::string again = issue(fresh, h).body();
    CHECK(again != token);
    CHECK(fresh.valid_token(again));
}

TEST_CASE("the endpoint's body follows Accept", "[middlewares][csrf]") {
    csrf mw{keyed()};
    response j = issue(mw, {{"Accept", "application/json"}});
    CHECK(j[http::field::content_type] == "application/json; charset=utf-8");
    CHECK(j.body().rfind("{\"token\":\"", 0) == 0);
    CHECK(j.body().size() == 10 + 104 + 2);
    response x = issue(mw, {{"Accept", "text/xml"}});
    CHECK(x[http::field::content_type] == "application/xml; charset=utf-8");
    CHECK(x.body().rfind("<token>", 0) == 0);
    CHECK(x.body().ends_with("</token>"));
    response p = issue(mw, {{"Accept", "text/plain, application/json"}});
    CHECK(p[http::field::content_type] == "text/plain; charset=utf-8");
    CHECK(p.body().size() == 104);
    // The custom header pattern stores nothing: no cookie.
    CHECK(p.find(http::field::set_cookie) == p.end());
}

TEST_CASE("synchronizer token: the token lives in the session", "[middlewares][csrf]") {
    middlewares::session::config sc;
    sc.secure_encoder.hmac_secret = encoding::base64_encode(std::string(64, 'h'));
    middlewares::session sessions{sc};
    csrf::config c = keyed();
    c.synchronizer_token = csrf::synchronizer_token_config{};
    csrf mw{c};

    static_chain endpoint{mw, sessions};   // the token endpoint behind the session middleware
    request first{http::verb::get, "/token"};
    response issued = test::run_task(endpoint(first));
    REQUIRE(issued.result() == http::status::ok);
    std::string token = issued.body();
    std::string set = std::string{issued[http::field::set_cookie]};
    REQUIRE(set.rfind("_SESSION0=", 0) == 0);
    std::string cookie = set.substr(0, set.find(';'));

    static_chain api{test::text_handler{}, sessions, mw};
    CHECK(send(api, http::verb::post, {{"Cookie", cookie}, {"__csrfToken", token}}).result() == http::status::ok);
    CHECK(send(api, http::verb::post, {{"Cookie", cookie}, {"__csrfToken", *mw.new_token()}}).result() ==
          http::status::forbidden);
    CHECK(send(api, http::verb::post, {{"__csrfToken", token}}).result() == http::status::forbidden);   // new session

    static_chain no_session{test::text_handler{}, mw};
    response res = send(no_session, http::verb::post, {{"__csrfToken", token}});
    CHECK(res.result() == http::status::internal_server_error);
    request bare{http::verb::get, "/token"};
    CHECK(test::run_task(mw(bare)).result() == http::status::internal_server_error);
}

TEST_CASE("proxyHeaderName carries the verified token and never the client's own value", "[middlewares][csrf]") {
    csrf::config c = keyed();
    c.proxy_header_name = "X-Token";
    csrf mw{c};
    static_chain chain{body_handler{}, mw};
    std::string token = *mw.new_token();
    response ok = send(chain, http::verb::post, {{"X-Requested-With", token}, {"X-Token", "forged"}});
    CHECK(ok[std::string_view{"X-Seen-Token"}] == token);
    response get = send(chain, http::verb::get, {{"X-Token", "forged"}});
    CHECK(get[std::string_view{"X-Seen-Token"}] == "");
}

TEST_CASE("the config is checked as AILERON's, and one pattern at most", "[middlewares][csrf]") {
    CHECK(problems("seedSize: 4\n") == std::vector<std::string>{"spec.seedSize: must be >= 5"});
    CHECK(problems("secret: \"***\"\n") == std::vector<std::string>{"spec.secret: not valid standard base64"});
    CHECK(problems("hashAlg: SHAKE256\n").size() == 1);
    CHECK(problems("customRequestHeader: {}\nsynchronizerToken: {}\n") ==
          std::vector<std::string>{"spec: only one of customRequestHeader, doubleSubmitCookies or synchronizerToken may be given"});
    CHECK(problems("customRequestHeader: {allowedPattern: \"(\"}\n").size() == 1);
    CHECK(problems("doubleSubmitCookies: {cookieName: \"a b\"}\n") ==
          std::vector<std::string>{"spec.doubleSubmitCookies.cookieName: must match ^[0-9a-zA-Z-_]+$"});
    CHECK(problems("doubleSubmitCookies: {tokenSource: JSON, cookie: {sameSite: Strict, secure: true}}\n"
                   "skipMethods: [GET]\nproxyHeaderName: X-Csrf\n")
              .empty());
}
