#include <aileron/middlewares/authn/password.hpp>   // first: proves the header is self-contained

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <thread>
#include <vector>

// The salted vectors are AILERON's own (examples/authn-basic/users.list, salt "1234567890"),
// checked against Debian's tools:
//   python3 -c 'import hashlib; print(hashlib.scrypt(b"password3", salt=b"1234567890", n=16384, r=8, p=1, dklen=32).hex())'
//   python3 -c 'import hashlib; print(hashlib.pbkdf2_hmac("sha256", b"password4", b"1234567890", 1024, 32).hex())'
//   echo -n password5 | argon2 1234567890 -i -t 2 -k 1024 -p 4 -l 32 -r
//   echo -n password6 | argon2 1234567890 -id -t 2 -k 1024 -p 4 -l 32 -r
// bcrypt: python3 -c 'import crypt; print(crypt.crypt("hunter2", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))'

namespace {

using namespace aileron;
using namespace aileron::middlewares::authn;

std::string unhex(std::string_view h) { return decode(encoding_type::base16, h).value(); }

}  // namespace

TEST_CASE("a plain password is compared as is", "[authn][password]") {
    password_hasher h;
    CHECK_FALSE(h.slow());
    CHECK(h.verify("password0", "password0"));
    CHECK_FALSE(h.verify("password0", "password1"));
    CHECK_FALSE(h.verify("password0", "password0 "));
    CHECK(h.check_stored("anything").empty());
}

TEST_CASE("bcrypt hashes $2a$, $2b$ and $2y$ verify through libxcrypt", "[authn][password]") {
    password_crypt_spec spec;
    spec.bcrypt.emplace();
    password_hasher h{spec};
    CHECK(h.slow());
    CHECK(h.verify("$2a$10$RE6MCaNm1a2spVmF6mLOr.OPj.2gSybZ7EbbfdGIp4t.PZptAOstO", "password1"));
    CHECK_FALSE(h.verify("$2a$10$RE6MCaNm1a2spVmF6mLOr.OPj.2gSybZ7EbbfdGIp4t.PZptAOstO", "password2"));
    CHECK(h.verify("$2b$04$/KU3/HenHBsmuLyikgbNweB/sBntwBnDf5SiEC/tVd.Ryzv0G7hHu", "hunter2"));
    CHECK(h.verify("$2y$04$/KU3/HenHBsmuLyikgbNweB/sBntwBnDf5SiEC/tVd.Ryzv0G7hHu", "hunter2"));
    // crypt(3) stops at a NUL: such a password must not pass as its prefix.
    CHECK_FALSE(h.verify("$2b$04$/KU3/HenHBsmuLyikgbNweB/sBntwBnDf5SiEC/tVd.Ryzv0G7hHu",
                         std::string_view{"hunter2\0x", 9}));
}

TEST_CASE("stored bcrypt values that are not bcrypt hashes are named at load", "[authn][password]") {
    password_crypt_spec spec;
    spec.bcrypt.emplace();
    password_hasher h{spec};
    CHECK(h.check_stored("$2b$04$/KU3/HenHBsmuLyikgbNweB/sBntwBnDf5SiEC/tVd.Ryzv0G7hHu").empty());
    CHECK_THAT(h.check_stored("$6$salt$hash"), Catch::Contains("not a bcrypt hash"));
    CHECK_THAT(h.check_stored("$2b$03$/KU3/HenHBsmuLyikgbNweB/sBntwBnDf5SiEC/tVd.Ryzv0G7hHu"),
               Catch::Contains("cost outside"));
    CHECK_FALSE(h.verify("$6$salt$hash", "x"));
}

TEST_CASE("scrypt, PBKDF2, Argon2i and Argon2id verify salt||key values", "[authn][password]") {
    password_crypt_spec s;
    s.scrypt = scrypt_spec{.salt_len = 10, .n = 16384, .r = 8, .p = 1, .key_len = 32};
    password_hasher scrypt{s};
    const std::string v3 = unhex("313233343536373839300eac003ee28752ce2f4cd115454a9266b14251fd289cea73abe423267774c64c");
    CHECK(scrypt.verify(v3, "password3"));
    CHECK_FALSE(scrypt.verify(v3, "password4"));

    password_crypt_spec p;
    p.pbkdf2 = pbkdf2_spec{.salt_len = 10, .iter = 1024, .key_len = 32, .hash = hash_alg::sha256};
    password_hasher pbkdf2{p};
    const std::string v4 = unhex("31323334353637383930d28c551ba27d9b733be0ab0b5e14e79099c796fbd53eeaa4ed2e8b27099cc078");
    CHECK(pbkdf2.verify(v4, "password4"));
    CHECK_FALSE(pbkdf2.verify(v4, "password3"));

    password_crypt_spec a;
    a.argon2i = argon2_spec{.salt_len = 10, .time = 2, .memory = 1024, .threads = 4, .key_len = 32};
    password_hasher argon2i{a};
    const std::string v5 = unhex("313233343536373839304833217675af54e2c89b1526a21d43609e81941ed47871d2ef4995fe66ce3214");
    CHECK(argon2i.verify(v5, "password5"));
    CHECK_FALSE(argon2i.verify(v5, "password6"));

    password_crypt_spec b;
    b.argon2id = argon2_spec{.salt_len = 10, .time = 2, .memory = 1024, .threads = 4, .key_len = 32};
    password_hasher argon2id{b};
    const std::string v6 = unhex("313233343536373839301605ff1e733a407346decf21cfbf917fa1d328b3c65c294438637c925dde3876");
    CHECK(argon2id.verify(v6, "password6"));
    CHECK_FALSE(argon2id.verify(v6, "password5"));
    CHECK_FALSE(argon2i.verify(v6, "password6"));   // the variant matters
}

TEST_CASE("a salted value of the wrong length can never match and says so", "[authn][password]") {
    password_crypt_spec p;
    p.pbkdf2 = pbkdf2_spec{.salt_len = 10, .iter = 1, .key_len = 32};
    password_hasher h{p};
    CHECK_THAT(h.check_stored("too short"), Catch::Contains("saltLen + keyLen = 42 bytes"));
    CHECK(h.check_stored(std::string(42, 'x')).empty());
    CHECK_FALSE(h.verify("too short", "x"));
}

TEST_CASE("hash parameters the libraries cannot use are refused with the field to fix", "[authn][password]") {
    password_crypt_spec none;
    CHECK_THROWS_WITH(password_hasher{none}, Catch::Contains("exactly one of"));
    password_crypt_spec two;
    two.bcrypt.emplace();
    two.scrypt.emplace();
    CHECK_THROWS_AS(password_hasher{two}, std::invalid_argument);
    password_crypt_spec s;
    s.scrypt = scrypt_spec{.n = 1000};
    CHECK_THROWS_WITH(password_hasher{s}, Catch::Contains("scrypt.n: must be a power of 2"));
    password_crypt_spec b;
    b.bcrypt = bcrypt_spec{.cost = 32};
    CHECK_THROWS_WITH(password_hasher{b}, Catch::Contains("bcrypt.cost"));
    password_crypt_spec a;
    a.argon2id = argon2_spec{.salt_len = 4};
    CHECK_THROWS_WITH(password_hasher{a}, Catch::Contains("argon2id.saltLen"));
    password_crypt_spec m;
    m.argon2i = argon2_spec{.memory = 16, .threads = 4};
    CHECK_THROWS_WITH(password_hasher{m}, Catch::Contains("argon2i.memory"));
    password_crypt_spec k;
    k.pbkdf2 = pbkdf2_spec{.hash = hash_alg::shake128};
    CHECK_THROWS_WITH(password_hasher{k}, Catch::Contains("pbkdf2.hashAlg"));
    password_crypt_spec sha512;   // AILERON's table forgets SHA512; it is a fine PBKDF2 hash
    sha512.pbkdf2 = pbkdf2_spec{.hash = hash_alg::sha512};
    CHECK_NOTHROW(password_hasher{sha512});
}

TEST_CASE("verify_off_loop hashes on another thread and resumes on the caller's", "[authn][password]") {
    using verification = password_hasher::verification;
    password_crypt_spec p;
    p.pbkdf2 = pbkdf2_spec{.salt_len = 10, .iter = 1024, .key_len = 32};
    const password_hasher h{p};
    const std::string stored =
        unhex("31323334353637383930d28c551ba27d9b733be0ab0b5e14e79099c796fbd53eeaa4ed2e8b27099cc078");
    auto run = [&](std::string pw) -> task<std::pair<verification, bool>> {
        const auto before = std::this_thread::get_id();
        verification v = co_await h.verify_off_loop(stored, std::move(pw));
        co_return std::pair{v, std::this_thread::get_id() == before};
    };
    auto [v, same_thread] = test::run_task(run("password4"));
    CHECK(v == verification::match);
    CHECK(same_thread);
    CHECK(test::run_task(run("nope")).first == verification::mismatch);
}

TEST_CASE("verify_off_loop refuses to queue more than its limit of verifications", "[authn][password]") {
    using verification = password_hasher::verification;
    password_crypt_spec p;
    p.pbkdf2 = pbkdf2_spec{.salt_len = 10, .iter = 1024, .key_len = 32};
    const password_hasher h{p};
    const std::string stored =
        unhex("31323334353637383930d28c551ba27d9b733be0ab0b5e14e79099c796fbd53eeaa4ed2e8b27099cc078");
    // Every coroutine starts (and queues its hash) before any completion is handled on this loop.
    asio::io_context ioc;
    std::vector<verification> results;
    const std::size_t n = password_hasher::max_pending_verifications + 3;
    for (std::size_t i = 0; i < n; ++i)
        asio::co_spawn(ioc, h.verify_off_loop(stored, "password4"),
                       [&](std::exception_ptr, verification v) { results.push_back(v); });
    ioc.run();
    REQUIRE(results.size() == n);
    CHECK(std::count(results.begin(), results.end(), verification::busy) == 3);
    CHECK(std::count(results.begin(), results.end(), verification::match) ==
          static_cast<long>(password_hasher::max_pending_verifications));
    CHECK(test::run_task(h.verify_off_loop(stored, "password4")) == verification::match);   // counts went back
}
