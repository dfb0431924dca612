#include <aileron/middlewares/authn/digest.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <catch2/catch.hpp>

#include "unit/authn/authn_support.hpp"
#include "support/test_support.hpp"

#include <openssl/evp.h>

#include <regex>

// The client side is computed here with OpenSSL directly, from RFC 7616 §3.4.1:
//   response = H(H(user:realm:password) : nonce : nc : cnonce : qop : H(method:uri))

namespace {

using namespace aileron;
using middlewares::digest_authn;

std::string H(const char* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_MD* m = EVP_MD_fetch(nullptr, md, nullptr);
    REQUIRE(EVP_Digest(data.data(), data.size(), out, &n, m, nullptr) == 1);
    EVP_MD_free(m);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < n; ++i) {
        hex += digits[out[i] >> 4];
        hex += digits[out[i] & 15];
    }
    return hex;
}

struct client {
    const char* md = "MD5";
    std::string algorithm = "MD5";
    std::string user = "Mufasa", realm = "example", password = "Circle of Life";
    std::string method = "GET", uri = "/dir/index.html";
    std::string nc = "00000001", cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop = "auth";

    std::string response(const std::string& nonce) const {
        std::string ha1 = H(md, user + ":" + realm + ":" + password), ha2 = H(md, method + ":" + uri);
        return H(md, ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
    }
    std::string header(const std::string& nonce, std::string resp = {}) const {
        if (resp.empty()) resp = response(nonce);
        return "Digest username=\"" + user + "\", realm=\"" + realm + "\", uri=\"" + uri + "\", algorithm=" +
               algorithm + ", nonce=\"" + nonce + "\", nc=" + nc + ", cnonce=\"" + cnonce + "\", qop=" + qop +
               ", response=\"" + resp + "\"";
    }
};

digest_authn::config from_file(const test::temp_file& f, std::string algorithm = "MD5") {
    digest_authn::config c;
    c.realm = "example";
    c.algorithm = std::move(algorithm);
    c.file_provider = middlewares::authn::file_provider{.paths = {f.path()}};
    return c;
}

response send(const auto& chain, const std::string& authorization, std::string_view target = "/dir/index.html") {
    request req{http::verb::get, target};
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    return test::run_task(chain(req));
}

const std::regex challenge_re{
    R"re(Digest realm="example", qop="auth", algorithm=(MD5|SHA-256|SHA-512-256), nonce="[A-Za-z0-9+/]{64}", charset=UTF-8)re"};

}  // namespace

TEST_CASE("digest_authn is a filter middleware", "[authn][digest]") {
    STATIC_REQUIRE(filter_middleware<digest_authn>);
    STATIC_REQUIRE_FALSE(around_middleware<digest_authn>);
}

TEST_CASE("a request without credentials gets a Digest challenge with a fresh nonce", "[authn][digest]") {
    test::temp_file f{"Mufasa:Circle of Life\n"};
    static_chain chain{test::text_handler{}, digest_authn{from_file(f)}};
    response a = send(chain, ""), b = send(chain, "Basic Zm9vOmJhcg==");
    CHECK(a.result() == http::status::unauthorized);
    CHECK(a.body().empty());
    CHECK(std::regex_match(std::string{a[http::field::www_authenticate]}, challenge_re));
    CHECK(std::regex_match(std::string{b[http::field::www_authenticate]}, challenge_re));
    CHECK(a[http::field::www_authenticate] != b[http::field::www_authenticate]);
}

TEST_CASE("a correct response passes with MD5, SHA-256 and SHA-512-256", "[authn][digest]") {
    test::temp_file f{"Mufasa:Circle of Life:{\"team\": \"lions\"}\n"};
    for (auto [alg, md] : {std::pair{"MD5", "MD5"}, std::pair{"SHA-256", "SHA256"}, std::pair{"SHA-512-256", "SHA512-256"}}) {
        digest_authn mw{from_file(f, alg)};
        test::seen_request seen;
        static_chain chain{test::recording_handler{&seen}, mw};
        client c{.md = md, .algorithm = alg};
        INFO(alg);
        CHECK(send(chain, c.header(mw.make_nonce())).result() == http::status::ok);
        REQUIRE(seen.claims.size() == 1);
        CHECK(seen.claims[0].method == "Digest");
        CHECK(seen.claims[0].name == "Mufasa");
        CHECK(seen.claims[0].attrs == R"({"team":"lions"})");
        CHECK_FALSE(seen.has("Authorization"));
    }
}

TEST_CASE("wrong passwords, forged nonces and mismatched parameters are challenged", "[authn][digest]") {
    test::temp_file f{"Mufasa:Circle of Life\n"};
    digest_authn mw{from_file(f)};
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, mw};
    const std::string nonce = mw.make_nonce();
    auto status = [&](const client& c, const std::string& n) { return send(chain, c.header(n)).result(); };
    CHECK(status(client{.password = "circle of life"}, nonce) == http::status::unauthorized);
    CHECK(status(client{.user = "Simba"}, nonce) == http::status::unauthorized);
    CHECK(status(client{.realm = "elsewhere"}, nonce) == http::status::unauthorized);
    CHECK(status(client{.qop = "auth-int"}, nonce) == http::status::unauthorized);
    CHECK(status(client{.nc = "1"}, nonce) == http::status::unauthorized);
    CHECK(status(client{.md = "SHA256", .algorithm = "SHA-256"}, nonce) == http::status::unauthorized);
    // Another middleware's nonce (another key), and a nonce with one character changed.
    CHECK(status(client{}, digest_authn{from_file(f)}.make_nonce()) == http::status::unauthorized);
    std::string altered = nonce;
    altered[10] = altered[10] == 'A' ? 'B' : 'A';
    CHECK(status(client{}, altered) == http::status::unauthorized);
    CHECK(seen.calls == 0);
    CHECK(status(client{}, nonce) == http::status::ok);   // and the real thing still works
}

TEST_CASE("a digest for another uri is a bad request", "[authn][digest]") {
    test::temp_file f{"Mufasa:Circle of Life\n"};
    digest_authn mw{from_file(f)};
    static_chain chain{test::text_handler{}, mw};
    response res = send(chain, client{.uri = "/other"}.header(mw.make_nonce()), "/dir/index.html");
    CHECK(res.result() == http::status::bad_request);
}

TEST_CASE("an expired nonce with the right password asks again with stale=true", "[authn][digest]") {
    test::temp_file f{"Mufasa:Circle of Life\n"};
    digest_authn mw{from_file(f)};
    static_chain chain{test::text_handler{}, mw};
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string old = mw.make_nonce(now - 301);
    response stale = send(chain, client{}.header(old));
    CHECK(stale.result() == http::status::unauthorized);
    CHECK_THAT(std::string{stale[http::field::www_authenticate]}, Catch::EndsWith(", stale=true"));
    response wrong = send(chain, client{.password = "x"}.header(old));
    CHECK_THAT(std::string{wrong[http::field::www_authenticate]}, !Catch::Contains("stale"));
    CHECK(send(chain, client{}.header(mw.make_nonce(now - 290))).result() == http::status::ok);
}

TEST_CASE("quoted parameters may hold commas and escapes; hex may be upper case", "[authn][digest]") {
    test::temp_file f{"smith, \"jj\":secret\n"};
    digest_authn mw{from_file(f)};
    static_chain chain{test::text_handler{}, mw};
    client c{.user = "smith, \"jj\"", .password = "secret"};
    const std::string nonce = mw.make_nonce();
    std::string resp = c.response(nonce);
    for (auto& ch : resp) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string header = "Digest username=\"smith, \\\"jj\\\"\", realm=\"example\", uri=\"/dir/index.html\", "
                         "nonce=\"" + nonce + "\", nc=00000001, cnonce=\"" + c.cnonce +
                         "\", qop=\"auth\", response=\"" + resp + "\"";
    CHECK(send(chain, header).result() == http::status::ok);
    CHECK(send(chain, header + ", nonce=\"" + nonce + "\"").result() == http::status::unauthorized);   // repeated
    CHECK(send(chain, "Digest username=\"unterminated").result() == http::status::unauthorized);
}

TEST_CASE("passwordCrypt and unknown algorithms are refused for Digest", "[authn][digest]") {
    test::temp_file f{"Mufasa:Circle of Life\n"};
    digest_authn::config c = from_file(f);
    c.password_crypt.emplace().bcrypt.emplace();
    CHECK_THROWS_WITH(digest_authn{c}, Catch::Contains("passwordCrypt: cannot be used with Digest"));
    c = from_file(f, "SHA-1");
    CHECK_THROWS_WITH(digest_authn{c}, Catch::Contains("algorithm: must be MD5, SHA-256 or SHA-512-256"));
}

TEST_CASE("encrypted Digest passwords are decrypted at load", "[authn][digest]") {
    // AILERON's user7: AES-128-CBC of "password7" under "example_password", hex.
    test::temp_file f{"user7:313233343536373839303132333435366D3315B50BC5BDDB82DF7550A8B2D2B0\n"};
    digest_authn::config cfg = from_file(f);
    cfg.file_provider->encoding = middlewares::authn::encoding_type::base16;
    cfg.common_key_crypt_type = aileron::common_key_crypt::aes_cbc;
    cfg.crypt_secret = "ZXhhbXBsZV9wYXNzd29yZA==";
    digest_authn mw{cfg};
    static_chain chain{test::text_handler{}, mw};
    CHECK(send(chain, client{.user = "user7", .password = "password7"}.header(mw.make_nonce())).result() ==
          http::status::ok);
}
