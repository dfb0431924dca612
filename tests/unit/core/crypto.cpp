#include <aileron/core/crypto.hpp>   // first: the header is self-contained

#include <aileron/core/encoding.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace aileron;

namespace {
std::string unhex(std::string_view s) { return *encoding::hex_decode(s); }
}  // namespace

TEST_CASE("digests match their published test vectors", "[core][crypto]") {
    CHECK(encoding::hex_encode(crypto::digest(hash_alg::sha256, "abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(crypto::digest(hash_alg::sha512, "abc").size() == 64);
    CHECK(crypto::digest(hash_alg::shake128, "").size() == 32);
    CHECK(encoding::hex_encode(crypto::digest(hash_alg::shake128, "")).substr(0, 16) == "7f9c2ba4e88f827d");
}

TEST_CASE("HMAC matches RFC 4231 and verifies in constant time", "[core][crypto]") {
    crypto::hmac h{hash_alg::sha256, "Jefe"};
    CHECK(h.size() == 32);
    std::string mac = h.sign("what do ya want for nothing?");
    CHECK(encoding::hex_encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(h.verify("what do ya want for nothing?", mac));
    CHECK_FALSE(h.verify("what do ya want for nothing!", mac));
    CHECK_FALSE(h.verify("what do ya want for nothing?", mac.substr(1)));
    // The same keyed object signs again, from the same state.
    CHECK(h.sign("what do ya want for nothing?") == mac);
    for (hash_alg a : {hash_alg::sha1, hash_alg::sha512_256, hash_alg::sha3_384, hash_alg::blake2s_256, hash_alg::blake2b_512})
        CHECK(crypto::hmac{a, "k"}.size() == crypto::digest_size(a));
}

TEST_CASE("HMAC refuses algorithms it cannot key", "[core][crypto]") {
    CHECK_FALSE(crypto::hmac_problem(hash_alg::shake256).empty());
    CHECK_FALSE(crypto::hmac_problem(hash_alg::blake2b_384).empty());
    CHECK(crypto::hmac_problem(hash_alg::sha3_512).empty());
    CHECK_THROWS_AS((crypto::hmac{hash_alg::shake128, "k"}), std::invalid_argument);
}

TEST_CASE("AES-CTR reads AILERON's IV-then-ciphertext layout (SP 800-38A F.5.1)", "[core][crypto]") {
    crypto::cipher c{common_key_crypt::aes_ctr, unhex("2b7e151628aed2a6abf7158809cf4f3c")};
    std::string wire = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff") + unhex("874d6191b620e3261bef6864990db6ce");
    CHECK(c.decrypt(wire) == unhex("6bc1bee22e409f96e93d7e117393172a"));
}

TEST_CASE("every AES mode round-trips, with a fresh IV each time", "[core][crypto]") {
    for (auto type : {common_key_crypt::aes_gcm, common_key_crypt::aes_cbc, common_key_crypt::aes_cfb,
                      common_key_crypt::aes_ctr, common_key_crypt::aes_ofb}) {
        for (std::size_t key_size : {16u, 24u, 32u}) {
            crypto::cipher c{type, std::string(key_size, 'k')};
            for (std::string text : {std::string{}, std::string{"x"}, std::string(100, 'p')}) {
                auto a = c.encrypt(text), b = c.encrypt(text);
                REQUIRE(a);
                REQUIRE(b);
                CHECK(*a != *b);
                CHECK(c.decrypt(*a) == text);
            }
        }
    }
    auto gcm = crypto::cipher{common_key_crypt::aes_gcm, std::string(32, 'k')}.encrypt("hello");
    CHECK(gcm->size() == 12 + 5 + 16);
    auto cbc = crypto::cipher{common_key_crypt::aes_cbc, std::string(32, 'k')}.encrypt("hello");
    CHECK(cbc->size() == 16 + 16);
}

TEST_CASE("AES-GCM rejects a tampered or truncated ciphertext and a wrong key", "[core][crypto]") {
    crypto::cipher c{common_key_crypt::aes_gcm, std::string(32, 'k')};
    std::string wire = *c.encrypt("secret data");
    for (std::size_t i : {std::size_t{0}, std::size_t{13}, wire.size() - 1}) {
        std::string bad = wire;
        bad[i] = static_cast<char>(bad[i] ^ 1);
        CHECK_FALSE(c.decrypt(bad));
    }
    CHECK_FALSE(c.decrypt(wire.substr(0, 20)));
    CHECK_FALSE(crypto::cipher(common_key_crypt::aes_gcm, std::string(32, 'x')).decrypt(wire));
    CHECK_FALSE(crypto::cipher_problem(common_key_crypt::aes_gcm, 20).empty());
}

TEST_CASE("random bytes differ and equal compares whole strings", "[core][crypto]") {
    auto a = crypto::random_bytes(20), b = crypto::random_bytes(20);
    REQUIRE(a);
    CHECK(a->size() == 20);
    CHECK(*a != *b);
    CHECK(crypto::equal("abc", "abc"));
    CHECK_FALSE(crypto::equal("abc", "abd"));
    CHECK_FALSE(crypto::equal("abc", "ab"));
    CHECK(crypto::equal("", ""));
}

TEST_CASE("one keyed HMAC and one cipher serve several threads at once", "[core][crypto]") {
    const crypto::hmac h{hash_alg::sha256, "Jefe"};
    const crypto::cipher c{common_key_crypt::aes_gcm, std::string(32, 'k')};
    const std::string expected = h.sign("what do ya want for nothing?");
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            const std::string text = "thread " + std::to_string(t);
            for (int i = 0; i < 500; ++i) {
                if (h.sign("what do ya want for nothing?") != expected) ++wrong;
                auto sealed = c.encrypt(text);
                if (!sealed || c.decrypt(*sealed) != text) ++wrong;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
}
