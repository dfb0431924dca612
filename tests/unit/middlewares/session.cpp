#include <aileron/middlewares/session.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>
#include <aileron/config/source.hpp>
#include <aileron/core/encoding.hpp>

#include <catch2/catch.hpp>

#include <functional>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using middlewares::session;

/// A handler that runs `fn` on the request's session and answers 200.
struct session_handler {
    std::function<void(session_data*)> fn;
    task<response> operator()(request& req) const {
        fn(req.context().session);
        response res{http::status::ok, req.version()};
        res.body() = "ok";
        res.prepare_payload();
        co_return res;
    }
};

std::vector<std::string> set_cookies(const response& res) {
    std::vector<std::string> out;
    auto [b, e] = res.equal_range(http::field::set_cookie);
    for (auto it = b; it != e; ++it) out.emplace_back(it->value());
    return out;
}

/// "name=value" of each Set-Cookie that sets a value, joined as a Cookie header.
std::string cookie_header(const response& res) {
    std::string out;
    for (const std::string& c : set_cookies(res)) {
        std::string pair = c.substr(0, c.find(';'));
        if (pair.find('=') + 1 == pair.size()) continue;   // a deletion: no value
        if (!out.empty()) out += "; ";
        out += pair;
    }
    return out;
}

session::config keyed() {
    session::config c;
    c.secure_encoder.hmac_secret = encoding::base64_encode(std::string(64, 'h'));
    c.secure_encoder.crypt_secret = encoding::base64_encode(std::string(32, 'c'));
    return c;
}

response run(const session& mw, std::function<void(session_data*)> fn, std::string cookie = {}) {
    static_chain chain{session_handler{std::move(fn)}, mw};
    request req{http::verb::get, "/"};
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    return test::run_task(chain(req));
}

std::vector<std::string> problems(const std::string& spec_yaml) {
    config::diagnostics diag;
    auto docs = config::parse_documents(spec_yaml, "t.yaml", config::format::yaml, diag);
    REQUIRE(docs.size() == 1);
    session::config out;
    config::decode(docs[0].root, out, diag, "app/v1/SessionMiddleware/default/t");
    std::vector<std::string> lines;
    for (const config::problem& p : diag.problems()) lines.push_back(p.path + ": " + p.message);
    return lines;
}

}  // namespace

TEST_CASE("session is an around middleware", "[middlewares][session]") {
    STATIC_REQUIRE(around_middleware<session>);
}

TEST_CASE("a request without cookies gets a new empty session and no cookie unless it changes",
          "[middlewares][session]") {
    session mw{keyed()};
    bool seen = false;
    response res = run(mw, [&](session_data* s) {
        REQUIRE(s);
        seen = true;
        CHECK(s->values().empty());
        CHECK_FALSE(s->restored());
    });
    CHECK(seen);
    CHECK(set_cookies(res).empty());
}

TEST_CASE("a changed session is saved in an encrypted cookie and read back by the next request",
          "[middlewares][session]") {
    session mw{keyed()};
    response first = run(mw, [](session_data* s) { s->set("user", "alice"); });
    auto cookies = set_cookies(first);
    REQUIRE(cookies.size() == 1);
    CHECK(cookies[0].rfind("_SESSION0=", 0) == 0);
    CHECK(cookies[0].ends_with("; Path=/; HttpOnly; Secure"));
    CHECK(cookies[0].find("alice") == std::string::npos);
    CHECK(cookies[0].find("YWxpY2U") == std::string::npos);   // not even in base64

    std::string user;
    response second = run(mw, [&](session_data* s) {
        CHECK(s->restored());
        if (const std::string* u = s->find("user")) user = *u;
    }, cookie_header(first));
    CHECK(user == "alice");
    CHECK(set_cookies(second).empty());   // unchanged, no expiry: nothing to write
}

TEST_CASE("the context's session is only set while the rest of the chain runs", "[middlewares][session]") {
    session mw{keyed()};
    static_chain chain{session_handler{[](session_data* s) { CHECK(s); }}, mw};
    request req{http::verb::get, "/"};
    test::run_task(chain(req));
    CHECK(req.context().session == nullptr);
}

TEST_CASE("a forged, truncated or foreign session cookie gives a new session and is deleted",
          "[middlewares][session]") {
    session mw{keyed()};
    std::string good = cookie_header(run(mw, [](session_data* s) { s->set("role", "user"); }));
    REQUIRE(good.size() > 20);
    std::string forged = good;
    forged[forged.size() - 6] = forged[forged.size() - 6] == 'A' ? 'B' : 'A';
    session::config other = keyed();
    other.secure_encoder.hmac_secret = encoding::base64_encode(std::string(64, 'x'));
    for (std::string cookie : {forged, good.substr(0, good.size() - 10), std::string{"_SESSION0=not-base64!"},
                               std::string{"_SESSION0=" + encoding::base64_encode("{}")}}) {
        response res = run(mw, [](session_data* s) {
            CHECK(s->values().empty());
            CHECK_FALSE(s->restored());
        }, cookie);
        CHECK(set_cookies(res) == std::vector<std::string>{"_SESSION0=; Path=/; Max-Age=0"});
    }
    response res = run(session{other}, [](session_data* s) { CHECK(s->find("role") == nullptr); }, good);
    CHECK(set_cookies(res).size() == 1);
}

TEST_CASE("a large session is split into cookies of at most 3968 bytes and shrinks cleanly",
          "[middlewares][session]") {
    session mw{keyed()};
    std::string big(9000, 'z');
    response first = run(mw, [&](session_data* s) { s->set("big", big); });
    auto cookies = set_cookies(first);
    const std::size_t n = cookies.size();
    REQUIRE(n >= 3);   // 9000 bytes, base64 twice (in the JSON, then the cookie): ~16000 characters
    for (std::size_t i = 0; i < cookies.size(); ++i) {
        CHECK(cookies[i].rfind("_SESSION" + std::to_string(i) + "=", 0) == 0);
        CHECK(cookies[i].substr(0, cookies[i].find(';')).size() <= 10 + session::max_cookie_value);
    }
    std::string read;
    response second = run(mw, [&](session_data* s) {
        if (const std::string* v = s->find("big")) read = *v;
        s->set("big", "small");
    }, cookie_header(first));
    CHECK(read == big);
    auto after = set_cookies(second);
    REQUIRE(after.size() == n);
    CHECK(after[0].rfind("_SESSION0=", 0) == 0);
    for (std::size_t i = 1; i < n; ++i) CHECK(after[i] == "_SESSION" + std::to_string(i) + "=; Path=/; Max-Age=0");
}

TEST_CASE("a destroyed session deletes its cookies", "[middlewares][session]") {
    session mw{keyed()};
    std::string cookie = cookie_header(run(mw, [](session_data* s) { s->set("a", "1"); }));
    response res = run(mw, [](session_data* s) {
        s->set("b", "2");
        s->destroy();
    }, cookie);
    CHECK(set_cookies(res) == std::vector<std::string>{"_SESSION0=; Path=/; Max-Age=0"});
}

TEST_CASE("every cipher, compression and the disabled protections round-trip", "[middlewares][session]") {
    for (auto type : {common_key_crypt::aes_gcm, common_key_crypt::aes_cbc, common_key_crypt::aes_cfb,
                      common_key_crypt::aes_ctr, common_key_crypt::aes_ofb}) {
        for (bool compress : {false, true}) {
            session::config c = keyed();
            c.secure_encoder.common_key_crypt_type = type;
            c.secure_encoder.enable_compression = compress;
            c.secure_encoder.hash_alg = hash_alg::sha3_512;
            session mw{c};
            std::string cookie = cookie_header(run(mw, [](session_data* s) { s->set("k", std::string(500, 'v')); }));
            std::string got;
            run(mw, [&](session_data* s) { got = s->find("k") ? *s->find("k") : ""; }, cookie);
            CHECK(got == std::string(500, 'v'));
        }
    }
    session::config plain = keyed();
    plain.secure_encoder.disable_hmac = true;
    plain.secure_encoder.disable_encryption = true;
    std::string cookie = cookie_header(run(session{plain}, [](session_data* s) { s->set("k", "v"); }));
    CHECK(cookie == "_SESSION0=" + encoding::base64_encode(R"({"k":"dg=="})"));
}

TEST_CASE("a configured cookie spec gives the session cookies its attributes", "[middlewares][session]") {
    session::config c = keyed();
    c.cookie_name = "__Host-sid";
    c.cookie.emplace();
    c.cookie->path = "/";
    c.cookie->same_site = same_site::lax;
    c.cookie->http_only = true;
    session mw{c};
    auto cookies = set_cookies(run(mw, [](session_data* s) { s->set("a", "1"); }));
    REQUIRE(cookies.size() == 1);
    CHECK(cookies[0].rfind("__Host-sid0=", 0) == 0);
    CHECK(cookies[0].ends_with("; Path=/; HttpOnly; SameSite=Lax"));
}

TEST_CASE("an unchanged session is written again when its cookie expires, to slide the expiry",
          "[middlewares][session]") {
    session::config c = keyed();
    c.cookie.emplace();
    c.cookie->max_age = 300;
    session mw{c};
    std::string cookie = cookie_header(run(mw, [](session_data* s) { s->set("a", "1"); }));
    auto again = set_cookies(run(mw, [](session_data*) {}, cookie));
    REQUIRE(again.size() == 1);
    CHECK(again[0].ends_with("; Max-Age=300"));
    CHECK(set_cookies(run(mw, [](session_data*) {})).empty());   // a new, empty session is not
}

TEST_CASE("the config rejects key-value stores, tracers and unusable keys", "[middlewares][session]") {
    CHECK(problems("storage: {apiVersion: app/v1, kind: RedisClient}\n") ==
          std::vector<std::string>{"spec.storage: not supported: sessions are kept in cookies; this build has no "
                                   "key-value store kind (such as RedisClient)"});
    CHECK(problems("tracer: {apiVersion: app/v1, kind: OpenTelemetryTracer}\n").size() == 1);
    CHECK(problems("cookieName: \"a b\"\n") == std::vector<std::string>{"spec.cookieName: must match ^[0-9a-zA-Z-_]+$"});
    CHECK(problems("secureEncoder: {cryptSecret: \"" + encoding::base64_encode(std::string(20, 'k')) + "\"}\n") ==
          std::vector<std::string>{"spec.secureEncoder.cryptSecret: an AES key must be 16, 24 or 32 bytes (this one decodes to 20)"});
    CHECK(problems("secureEncoder: {hashAlg: SHAKE128}\n").size() == 1);
    CHECK(problems("secureEncoder: {hashAlg: SHAKE128, disableHMAC: true}\n").empty());
    CHECK(problems("secureEncoder: {hmacSecret: \"***\"}\n") ==
          std::vector<std::string>{"spec.secureEncoder.hmacSecret: not valid standard base64"});
    CHECK(problems("cookie: {path: \"/a;b\"}\n").size() == 1);
    CHECK(problems("prefix: \"sess:\"\ncookie: {maxAge: 60, sameSite: Strict}\n").empty());
}
