#include <aileron/middlewares/authn/basic.hpp>   // first: proves the header is self-contained

#include <aileron/chain/dynamic_chain.hpp>
#include <aileron/chain/static_chain.hpp>
#include <aileron/config/source.hpp>

#include <catch2/catch.hpp>

#include "unit/authn/authn_support.hpp"
#include "support/test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace {

using namespace aileron;
using middlewares::basic_authn;

basic_authn::config from_file(const test::temp_file& f) {
    basic_authn::config c;
    c.realm = "example";
    c.file_provider = middlewares::authn::file_provider{.paths = {f.path()}};
    return c;
}

response send(const auto& chain, std::string_view authorization = {}) {
    request req{http::verb::get, "/"};
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    return test::run_task(chain(req));
}

// AILERON's examples/authn-basic/users.list, with attributes added to user0.
constexpr std::string_view users = "# users\n"
                                   "user0:password0:{\"role\": \"admin\", \"n\": [1, 2]}\n"
                                   "\n"
                                   "user1:$2a$10$RE6MCaNm1a2spVmF6mLOr.OPj.2gSybZ7EbbfdGIp4t.PZptAOstO\n";

}  // namespace

TEST_CASE("basic_authn is an around middleware usable in both chains", "[authn][basic]") {
    STATIC_REQUIRE(around_middleware<basic_authn>);
    test::temp_file f{std::string{users}};
    test::seen_request seen;
    dynamic_chain chain{{any_middleware{basic_authn{from_file(f)}}}, any_handler{test::recording_handler{&seen}}};
    CHECK(send(chain, test::basic_credentials("user0", "password0")).result() == http::status::ok);
    CHECK(send(chain).result() == http::status::unauthorized);
}

TEST_CASE("a request without credentials gets the Basic challenge and an empty body", "[authn][basic]") {
    test::temp_file f{std::string{users}};
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, basic_authn{from_file(f)}};
    for (std::string_view auth : {std::string_view{}, std::string_view{"Bearer abc"}, std::string_view{"Basic !!!"},
                                  std::string_view{"Basic dXNlcjA="}}) {   // "user0": no colon
        response res = send(chain, auth);
        CHECK(res.result() == http::status::unauthorized);
        CHECK(res[http::field::www_authenticate] == R"(Basic realm="example", charset="UTF-8")");
        CHECK(res.body().empty());
        CHECK(res[http::field::content_length] == "0");
    }
    CHECK(seen.calls == 0);
}

TEST_CASE("the right password passes with claims and without the Authorization header", "[authn][basic]") {
    test::temp_file f{std::string{users}};
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, basic_authn{from_file(f)}};
    response res = send(chain, test::basic_credentials("user0", "password0"));
    CHECK(res.result() == http::status::ok);
    REQUIRE(seen.calls == 1);
    CHECK_FALSE(seen.has("Authorization"));
    REQUIRE(seen.claims.size() == 1);
    CHECK(seen.claims[0].key == "AuthnClaims");
    CHECK(seen.claims[0].method == "Basic");
    CHECK(seen.claims[0].name == "user0");
    CHECK(seen.claims[0].attrs == R"({"role":"admin","n":[1,2]})");
    CHECK(seen.claims[0].auth_time > 1700000000);
}

TEST_CASE("a wrong password or an unknown user is challenged again", "[authn][basic]") {
    test::temp_file f{std::string{users}};
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, basic_authn{from_file(f)}};
    CHECK(send(chain, test::basic_credentials("user0", "password1")).result() == http::status::unauthorized);
    CHECK(send(chain, test::basic_credentials("nobody", "password0")).result() == http::status::unauthorized);
    CHECK(send(chain, test::basic_credentials("user0", "")).result() == http::status::unauthorized);
    CHECK(send(chain, test::basic_credentials("user0", "password0x")).result() == http::status::unauthorized);
    CHECK(seen.calls == 0);
}

TEST_CASE("keepCredentials passes the Authorization header on, claimsKey names the claims", "[authn][basic]") {
    test::temp_file f{std::string{users}};
    basic_authn::config c = from_file(f);
    c.keep_credentials = true;
    c.claims_key = "Who";
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, basic_authn{c}};
    CHECK(send(chain, test::basic_credentials("user0", "password0")).result() == http::status::ok);
    CHECK(seen.has("Authorization"));
    REQUIRE(seen.claims.size() == 1);
    CHECK(seen.claims[0].key == "Who");
}

TEST_CASE("preferError answers wrong credentials through the error handler, challenge included", "[authn][basic]") {
    test::temp_file f{std::string{users}};
    basic_authn::config c = from_file(f);
    c.prefer_error = true;
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, basic_authn{c}};
    response res = send(chain, test::basic_credentials("user0", "nope"));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(res.body() == R"({"status":401,"statusText":"Unauthorized"})");
    CHECK(res[http::field::www_authenticate] == R"(Basic realm="example", charset="UTF-8")");
    // Without credentials there is nothing to prefer an error over: the plain challenge.
    CHECK(send(chain).body().empty());
}

TEST_CASE("a realm with quotes is escaped in the challenge", "[authn][basic]") {
    test::temp_file f{std::string{users}};
    basic_authn::config c = from_file(f);
    c.realm = R"(the "inner" \ realm)";
    static_chain chain{test::text_handler{}, basic_authn{c}};
    CHECK(send(chain)[http::field::www_authenticate] == R"(Basic realm="the \"inner\" \\ realm", charset="UTF-8")");
}

TEST_CASE("bcrypt passwords verify off the event loop", "[authn][basic]") {
    test::temp_file f{std::string{users}};
    basic_authn::config c = from_file(f);
    c.password_crypt.emplace().bcrypt.emplace();
    // user0's plain "password0" is not a bcrypt hash: refused at load, naming file and line.
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("credentials.list:2: the password of user \"user0\" is not a bcrypt hash"));
    test::temp_file only_bcrypt{"user1:$2a$10$RE6MCaNm1a2spVmF6mLOr.OPj.2gSybZ7EbbfdGIp4t.PZptAOstO\n"};
    c = from_file(only_bcrypt);
    c.password_crypt.emplace().bcrypt.emplace();
    test::seen_request seen;
    static_chain chain{test::recording_handler{&seen}, basic_authn{c}};
    CHECK(send(chain, test::basic_credentials("user1", "password1")).result() == http::status::ok);
    CHECK(send(chain, test::basic_credentials("user1", "password0")).result() == http::status::unauthorized);
    CHECK(seen.calls == 1);
}

TEST_CASE("a verified password is remembered by the thread, a wrong one never", "[authn][basic]") {
    // Argon2id with 64 MiB and 3 passes: tens of milliseconds per verification. The value is
    // hex(salt) hex(key): echo -n wonderland | argon2 1234567890 -id -t 3 -k 65536 -p 4 -l 32 -r
    test::temp_file f{"alice:"
                      "31323334353637383930" "2f72ac557b772628f312609955d3273853606ad14979c8653b085829c8725575\n"};
    basic_authn::config c = from_file(f);
    c.file_provider->encoding = middlewares::authn::encoding_type::base16;
    c.password_crypt.emplace().argon2id = middlewares::authn::argon2_spec{.salt_len = 10, .time = 3, .memory = 65536};
    static_chain chain{test::text_handler{}, basic_authn{c}};
    using clock = std::chrono::steady_clock;
    auto timed = [&](std::string_view pw) {
        auto t0 = clock::now();
        response res = send(chain, test::basic_credentials("alice", pw));
        return std::pair{res.result(), clock::now() - t0};
    };
    auto [first, slow] = timed("wonderland");
    auto [second, fast] = timed("wonderland");
    auto [wrong, wrong_time] = timed("wonderland!");
    CHECK(first == http::status::ok);
    CHECK(second == http::status::ok);
    CHECK(wrong == http::status::unauthorized);
    CHECK(fast * 5 < slow);         // no hash the second time
    CHECK(wrong_time * 2 > slow);   // a wrong password is hashed again
}

TEST_CASE("a slow verification does not hold up other requests on the same event loop", "[authn][basic]") {
    test::temp_file f{"alice:"
                      "31323334353637383930" "2f72ac557b772628f312609955d3273853606ad14979c8653b085829c8725575\n"};
    basic_authn::config c = from_file(f);
    c.file_provider->encoding = middlewares::authn::encoding_type::base16;
    c.password_crypt.emplace().argon2id = middlewares::authn::argon2_spec{.salt_len = 10, .time = 3, .memory = 65536};
    static_chain slow_chain{test::text_handler{}, basic_authn{c}};
    static_chain fast_chain{test::text_handler{}};
    asio::io_context ioc;
    std::vector<std::string> finished;
    auto run = [&](const auto& chain, std::string name, std::string auth) -> task<void> {
        request req{http::verb::get, "/"};
        if (!auth.empty()) req.set(http::field::authorization, auth);
        co_await chain(req);
        finished.push_back(name);
    };
    asio::co_spawn(ioc, run(slow_chain, "hashed", test::basic_credentials("alice", "wonderland")), asio::detached);
    asio::co_spawn(ioc, run(fast_chain, "plain", ""), asio::detached);
    ioc.run();
    CHECK(finished == std::vector<std::string>{"plain", "hashed"});
}

TEST_CASE("with too many verifications pending a request gets 503 with Retry-After", "[authn][basic]") {
    // PBKDF2 of AILERON's user4 (salt "1234567890", 1024 iterations), hex.
    test::temp_file f{"user4:31323334353637383930d28c551ba27d9b733be0ab0b5e14e79099c796fbd53eeaa4ed2e8b27099cc078\n"};
    basic_authn::config c = from_file(f);
    c.file_provider->encoding = middlewares::authn::encoding_type::base16;
    c.password_crypt.emplace().pbkdf2 = middlewares::authn::pbkdf2_spec{.salt_len = 10, .iter = 1024};
    static_chain chain{test::text_handler{}, basic_authn{c}};
    asio::io_context ioc;
    std::vector<response> answers;
    const std::size_t n = middlewares::authn::password_hasher::max_pending_verifications + 2;
    auto one = [&]() -> task<void> {
        request req{http::verb::get, "/"};
        req.set(http::field::authorization, test::basic_credentials("user4", "password4"));
        answers.push_back(co_await chain(req));
    };
    for (std::size_t i = 0; i < n; ++i) asio::co_spawn(ioc, one(), asio::detached);
    ioc.run();
    REQUIRE(answers.size() == n);
    auto busy = std::count_if(answers.begin(), answers.end(), [](const response& r) {
        return r.result() == http::status::service_unavailable && r[http::field::retry_after] == "1";
    });
    CHECK(busy == 2);
    CHECK(std::count_if(answers.begin(), answers.end(), [](const response& r) { return r.result() == http::status::ok; }) ==
          static_cast<long>(n - 2));
}

TEST_CASE("users come from numbered environment variable pairs", "[authn][basic]") {
    ::setenv("AUTHN_UT_BASIC_USER_1", "alice", 1);
    ::setenv("AUTHN_UT_BASIC_PASS_001", "in-wonderland", 1);   // _001 pairs with _1
    ::setenv("AUTHN_UT_BASIC_USER_2", "bob", 1);                // no password: skipped
    ::setenv("AUTHN_UT_BASIC_USER_X", "carol", 1);              // no number: skipped
    basic_authn::config c;
    c.env_provider.emplace();
    c.env_provider->username_prefix = "AUTHN_UT_BASIC_USER_";
    c.env_provider->password_prefix = "AUTHN_UT_BASIC_PASS_";
    static_chain chain{test::text_handler{}, basic_authn{c}};
    CHECK(send(chain, test::basic_credentials("alice", "in-wonderland")).result() == http::status::ok);
    CHECK(send(chain, test::basic_credentials("bob", "")).result() == http::status::unauthorized);
    ::setenv("AUTHN_UT_BASIC_USER_3", "alice", 1);
    ::setenv("AUTHN_UT_BASIC_PASS_3", "again", 1);
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("envProvider: duplicate user \"alice\""));
    for (auto v : {"USER_1", "PASS_001", "USER_2", "USER_X", "USER_3", "PASS_3"})
        ::unsetenv(("AUTHN_UT_BASIC_" + std::string{v}).c_str());
}

TEST_CASE("encrypted passwords are decrypted once, at load", "[authn][basic]") {
    // AILERON's user7: AES-128-CBC of "password7" under "example_password", hex.
    test::temp_file f{"user7:313233343536373839303132333435366D3315B50BC5BDDB82DF7550A8B2D2B0\n"};
    basic_authn::config c = from_file(f);
    c.file_provider->encoding = middlewares::authn::encoding_type::base16;
    c.common_key_crypt_type = aileron::common_key_crypt::aes_cbc;
    c.crypt_secret = "ZXhhbXBsZV9wYXNzd29yZA==";
    static_chain chain{test::text_handler{}, basic_authn{c}};
    CHECK(send(chain, test::basic_credentials("user7", "password7")).result() == http::status::ok);
    c.crypt_secret = "c2hvcnQ=";   // "short"
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("cryptSecret: must decode to 16, 24 or 32 bytes"));
    c.crypt_secret = "ZXhhbXBsZV9wYXNzd29yZA==";
    c.common_key_crypt_type = aileron::common_key_crypt::unknown;
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("commonKeyCryptType: is required"));
}

TEST_CASE("problems in credential files name the file, the line and the field", "[authn][basic]") {
    basic_authn::config c;
    c.file_provider = middlewares::authn::file_provider{.paths = {"/nonexistent/users.list"}};
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("fileProvider.paths[0]: \"/nonexistent/users.list\" does not exist"));
    test::temp_file dup{"a:1\nb:2\na:3\n"};
    c.file_provider->paths = {dup.path()};
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("credentials.list:3: duplicate user \"a\""));
    test::temp_file no_colon{"# ok\njust-a-name\n"};
    c.file_provider->paths = {no_colon.path()};
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("credentials.list:2: expected user:secret"));
    test::temp_file bad_json{"a:1:{not json}\n"};
    c.file_provider->paths = {bad_json.path()};
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("attributes are not a JSON object"));
    c.file_provider->paths = {dup.dir()};
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("is not a regular file"));
    c.env_provider.emplace();
    CHECK_THROWS_WITH(basic_authn{c}, Catch::Contains("only one of envProvider and fileProvider"));
}

TEST_CASE("decoding a spec reports credential problems at the field, with the file position", "[authn][basic]") {
    test::temp_file f{"a:plain\n"};
    const std::string yaml = "passwordCrypt:\n  pbkdf2: {iter: 10}\nfileProvider:\n  encoding: Base16\n  paths: [\"" +
                             f.path() + "\"]\n";
    config::diagnostics diag;
    auto docs = config::parse_documents(yaml, "spec.yaml", config::format::yaml, diag);
    REQUIRE(docs.size() == 1);
    basic_authn::config c;
    CHECK_FALSE(config::decode(docs[0].root, c, diag, "app/v1/BasicAuthnMiddleware/default/x"));
    std::string text = diag.to_string();
    CHECK_THAT(text, Catch::Contains("spec.fileProvider.paths[0]"));
    CHECK_THAT(text, Catch::Contains("credentials.list:1: the secret is not valid Base16"));
}
