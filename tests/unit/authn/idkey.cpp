#include <aileron/middlewares/authn/idkey.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <catch2/catch.hpp>

#include "unit/authn/authn_support.hpp"
#include "support/test_support.hpp"

#include <cstdlib>

// AILERON's examples/authn-idkey/keys.list. Its encrypted values decrypt (openssl enc -d
// -aes-128-cbc -K hex("example_password") -iv hex("1234567890123456")) to the key, its SHA-256
// and its HMAC-SHA256 under "example_password" respectively.

namespace {

using namespace aileron;
using middlewares::idkey_authn;
namespace authn = middlewares::authn;

constexpr std::string_view api_key = "bd16d0c8-7bc0-4bf4-a0b0-bccaa3e2f072";

response send(const auto& chain, std::string_view id, std::string_view key) {
    request req{http::verb::get, "/"};
    if (!id.empty()) req.set("X-Api-Id", id);
    if (!key.empty()) req.set("X-Api-Key", key);
    return test::run_task(chain(req));
}

idkey_authn::config from_file(const test::temp_file& f) {
    idkey_authn::config c;
    c.file_provider = authn::file_provider{.paths = {f.path()}};
    return c;
}

}  // namespace

TEST_CASE("an id with its key passes, with the id in the claims and both headers removed", "[authn][idkey]") {
    STATIC_REQUIRE(filter_middleware<idkey_authn>);
    test::temp_file f{"user0:" + std::string{api_key} + ":{\"plan\": \"gold\"}\nuser1:other-key\n"};
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, idkey_authn{from_file(f)}};
    CHECK(send(chain, "user0", api_key).result() == http::status::ok);
    CHECK_FALSE(seen.has("X-Api-Id"));
    CHECK_FALSE(seen.has("X-Api-Key"));
    REQUIRE(seen.claims.size() == 1);
    CHECK(seen.claims[0].method == "APIKey");
    CHECK(seen.claims[0].name == "user0");
    CHECK(seen.claims[0].attrs == R"({"plan":"gold"})");
}

TEST_CASE("a missing id or key, an unknown id or another id's key is 403", "[authn][idkey]") {
    test::temp_file f{"user0:" + std::string{api_key} + "\nuser1:other-key\n"};
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, idkey_authn{from_file(f)}};
    CHECK(send(chain, "", api_key).result() == http::status::forbidden);
    CHECK(send(chain, "user0", "").result() == http::status::forbidden);
    CHECK(send(chain, "user9", api_key).result() == http::status::forbidden);
    CHECK(send(chain, "user1", api_key).result() == http::status::forbidden);
    CHECK(send(chain, "user0", "other-key").body() == R"({"status":403,"statusText":"Forbidden"})");
    CHECK(seen.calls == 0);
}

TEST_CASE("encrypted keys, hashes and HMACs from AILERON's example all match the same key", "[authn][idkey]") {
    test::temp_file f{
        "user3:313233343536373839303132333435368e1d0838f4a08ab69a5961a9ce54ae24281541e1d1fc228dae66e9b23dfcfa8cb9e9656"
        "ee728d35b29e88385a011911e\n"};
    idkey_authn::config c = from_file(f);
    c.file_provider->encoding = authn::encoding_type::base16;
    c.common_key_crypt_type = aileron::common_key_crypt::aes_cbc;
    c.crypt_secret = "ZXhhbXBsZV9wYXNzd29yZA==";
    static_chain plain{test::text_handler{}, idkey_authn{c}};
    CHECK(send(plain, "user3", api_key).result() == http::status::ok);

    test::temp_file hashed{
        "user4:31323334353637383930313233343536eccf566b5b0eceb06e4ccf5c7c1339748c552cc91ed60cbeacaee1bc7501b4adac5b9562"
        "a46da20dee0e081fbdf58c40\n"};
    c.file_provider->paths = {hashed.path()};
    c.hash_alg = authn::hash_alg::sha256;
    static_chain by_hash{test::text_handler{}, idkey_authn{c}};
    CHECK(send(by_hash, "user4", api_key).result() == http::status::ok);
    CHECK(send(by_hash, "user4", "wrong").result() == http::status::forbidden);

    test::temp_file mac{
        "user5:3132333435363738393031323334353631171a0d42718570af0171844bc0d447e53e7bf2283f96773c5f5fb71bd81d6d4dfac14e2c"
        "90d4f4540038e26689e3d6\n"};
    c.file_provider->paths = {mac.path()};
    c.hmac_secret = "ZXhhbXBsZV9wYXNzd29yZA==";
    static_chain by_hmac{test::text_handler{}, idkey_authn{c}};
    CHECK(send(by_hmac, "user5", api_key).result() == http::status::ok);
}

TEST_CASE("ids and keys come from numbered variable pairs", "[authn][idkey]") {
    ::setenv("AUTHN_UT_IDK_ID_7", "svc", 1);
    ::setenv("AUTHN_UT_IDK_KEY_07", "svc-key", 1);
    idkey_authn::config c;
    c.env_provider = authn::idkey_env_provider{.key_prefix = "AUTHN_UT_IDK_KEY_", .id_prefix = "AUTHN_UT_IDK_ID_"};
    static_chain chain{test::text_handler{}, idkey_authn{c}};
    CHECK(send(chain, "svc", "svc-key").result() == http::status::ok);
    CHECK(send(chain, "svc", "svc-key2").result() == http::status::forbidden);
    ::unsetenv("AUTHN_UT_IDK_ID_7");
    ::unsetenv("AUTHN_UT_IDK_KEY_07");
}

TEST_CASE("a value that cannot be decrypted is refused at load with its line", "[authn][idkey]") {
    test::temp_file f{"user3:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"};
    idkey_authn::config c = from_file(f);
    c.file_provider->encoding = authn::encoding_type::base16;
    c.common_key_crypt_type = aileron::common_key_crypt::aes_cbc;
    c.crypt_secret = "ZXhhbXBsZV9wYXNzd29yZA==";
    CHECK_THROWS_WITH(idkey_authn{c}, Catch::Contains("credentials.list:1: cannot decrypt the secret of id \"user3\""));
}
