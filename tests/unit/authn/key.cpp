#include <aileron/middlewares/authn/key.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <catch2/catch.hpp>

#include "unit/authn/authn_support.hpp"
#include "support/test_support.hpp"

#include <cstdlib>

// AILERON's examples/authn-key/keys.list; the hashes are
//   python3 -c 'import hashlib; print(hashlib.sha256(b"bd16d0c8-7bc0-4bf4-a0b0-bccaa3e2f072").hexdigest())'
//   python3 -c 'import hmac; print(hmac.new(b"example_password", b"bd16d0c8-7bc0-4bf4-a0b0-bccaa3e2f072", "sha256").hexdigest())'

namespace {

using namespace aileron;
using middlewares::key_authn;
namespace authn = middlewares::authn;

constexpr std::string_view api_key = "bd16d0c8-7bc0-4bf4-a0b0-bccaa3e2f072";
constexpr std::string_view sha256_hex = "d7c405e8697751f4b430f9325417b8fc1d16c83a081bb039c3b1d7bfe12a30d6";
constexpr std::string_view hmac_hex = "066d62d945e88a5b2096dbbd861ff5202efba067b92d194484b64d953de6996f";

response send(const auto& chain, std::string_view key, std::string_view header = "X-Api-Key") {
    request req{http::verb::get, "/"};
    if (!key.empty()) req.set(header, key);
    return test::run_task(chain(req));
}

key_authn::config from_file(const test::temp_file& f) {
    key_authn::config c;
    c.file_provider = authn::file_provider{.paths = {f.path()}};
    return c;
}

}  // namespace

TEST_CASE("key_authn is a filter middleware", "[authn][key]") {
    STATIC_REQUIRE(filter_middleware<key_authn>);
}

TEST_CASE("a registered plain key passes, with claims and without its header", "[authn][key]") {
    test::temp_file f{"# keys\n" + std::string{api_key} + ":{\"owner\": \"ci\"}\nanother-key\n"};
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, key_authn{from_file(f)}};
    CHECK(send(chain, api_key).result() == http::status::ok);
    CHECK_FALSE(seen.has("X-Api-Key"));
    REQUIRE(seen.claims.size() == 1);
    CHECK(seen.claims[0].method == "APIKey");
    CHECK(seen.claims[0].name.empty());
    CHECK(seen.claims[0].attrs == R"({"owner":"ci"})");
    CHECK(send(chain, "another-key").result() == http::status::ok);
}

TEST_CASE("a missing or unknown key is 403 from the error handler", "[authn][key]") {
    test::temp_file f{std::string{api_key} + "\n"};
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, key_authn{from_file(f)}};
    for (std::string_view key : {std::string_view{}, std::string_view{"bd16d0c8"}, api_key.substr(1)}) {
        response res = send(chain, key);
        CHECK(res.result() == http::status::forbidden);
        CHECK(res.body() == R"({"status":403,"statusText":"Forbidden"})");
    }
    CHECK(send(chain, api_key, "X-Other").result() == http::status::forbidden);
    CHECK(seen.calls == 0);
}

TEST_CASE("keys stored as a hash or an HMAC match the key a client sends", "[authn][key]") {
    test::temp_file hashed{std::string{sha256_hex} + "\n"};
    key_authn::config c = from_file(hashed);
    c.file_provider->encoding = authn::encoding_type::base16;
    c.hash_alg = authn::hash_alg::sha256;
    static_chain by_hash{test::text_handler{}, key_authn{c}};
    CHECK(send(by_hash, api_key).result() == http::status::ok);
    CHECK(send(by_hash, sha256_hex).result() == http::status::forbidden);   // the stored value is not the key

    test::temp_file mac{std::string{hmac_hex} + "\n"};
    c = from_file(mac);
    c.file_provider->encoding = authn::encoding_type::base16;
    c.hash_alg = authn::hash_alg::sha256;
    c.hmac_secret = "ZXhhbXBsZV9wYXNzd29yZA==";   // "example_password"
    static_chain by_hmac{test::text_handler{}, key_authn{c}};
    CHECK(send(by_hmac, api_key).result() == http::status::ok);
    c.hmac_secret = "b3RoZXI=";   // another secret: the stored HMAC no longer matches
    static_chain wrong_secret{test::text_handler{}, key_authn{c}};
    CHECK(send(wrong_secret, api_key).result() == http::status::forbidden);
}

TEST_CASE("keyHeaderName and keepCredentials are honoured", "[authn][key]") {
    test::temp_file f{std::string{api_key} + "\n"};
    key_authn::config c = from_file(f);
    c.key_header_name = "Api-Token";
    c.keep_credentials = true;
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, key_authn{c}};
    CHECK(send(chain, api_key, "api-token").result() == http::status::ok);
    CHECK(seen.has("Api-Token"));
    CHECK(send(chain, api_key, "X-Api-Key").result() == http::status::forbidden);
}

TEST_CASE("keys come from every variable with the prefix", "[authn][key]") {
    ::setenv("AUTHN_UT_KEY_A", "key-a", 1);
    ::setenv("AUTHN_UT_KEY_anything", "key-b", 1);
    key_authn::config c;
    c.env_provider = authn::key_env_provider{.key_prefix = "AUTHN_UT_KEY_"};
    static_chain chain{test::text_handler{}, key_authn{c}};
    CHECK(send(chain, "key-a").result() == http::status::ok);
    CHECK(send(chain, "key-b").result() == http::status::ok);
    CHECK(send(chain, "key-c").result() == http::status::forbidden);
    ::unsetenv("AUTHN_UT_KEY_A");
    ::unsetenv("AUTHN_UT_KEY_anything");
}

TEST_CASE("key configs that cannot work are refused at load", "[authn][key]") {
    test::temp_file f{std::string{api_key} + "\n"};
    key_authn::config c = from_file(f);
    c.hmac_secret = "ZXhhbXBsZV9wYXNzd29yZA==";
    CHECK_THROWS_WITH(key_authn{c}, Catch::Contains("hashAlg: is required with hmacSecret"));
    c.hash_alg = authn::hash_alg::shake256;
    CHECK_THROWS_WITH(key_authn{c}, Catch::Contains("hashAlg: SHAKE256 has no HMAC"));
    c.hmac_secret.clear();
    c.hash_alg = authn::hash_alg::sha256;   // the stored key is plain text, not a 32-byte hash
    CHECK_THROWS_WITH(key_authn{c}, Catch::Contains("is 36 bytes, but SHA256 gives 32"));
    test::temp_file dup{"k1\nk1\n"};
    CHECK_THROWS_WITH(key_authn{from_file(dup)}, Catch::Contains("credentials.list:2: duplicate key"));
}
