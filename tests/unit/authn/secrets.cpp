#include <aileron/middlewares/authn/secrets.hpp>   // first: proves the header is self-contained

#include <catch2/catch.hpp>

#include <array>
#include <string>

// Vectors: RFC 4648 §10 ("foobar"), FIPS 180 / 202 ("abc"), RFC 4231 test case 2 ("Jefe"); the
// escaped base32 alphabets, SHAKE, BLAKE2 and HMAC-SHA3/BLAKE2 values from Python's hashlib and
// base64 modules, the AES ones from `openssl enc` (commands next to each).

namespace {

using namespace aileron::middlewares::authn;

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string unhex(std::string_view h) { return decode(encoding_type::base16, h).value(); }

}  // namespace

TEST_CASE("every AILERON encoding decodes the RFC 4648 vectors", "[authn][secrets]") {
    CHECK(decode(encoding_type::unknown, "as is") == "as is");
    CHECK(decode(encoding_type::base16, "666F6f626172") == "foobar");   // either case
    CHECK(decode(encoding_type::base32, "MZXW6YTBOI======") == "foobar");
    CHECK(decode(encoding_type::base32_hex, "CPNMUOJ1E8======") == "foobar");
    // python3: base64.b32encode(b"foobar") translated to AILERON's escaped alphabets
    CHECK(decode(encoding_type::base32_escaped, "Q31082XCSL======") == "foobar");
    CHECK(decode(encoding_type::base32_hex_escaped, "DTRQYSM1G8======") == "foobar");
    CHECK(decode(encoding_type::base64, "Zm9vYmFy") == "foobar");
    CHECK(decode(encoding_type::base64, "Zm8=") == "fo");
    CHECK(decode(encoding_type::base64, "Zg==") == "f");
    CHECK(decode(encoding_type::base64, "+/+/") == "\xfb\xff\xbf");
    CHECK(decode(encoding_type::base64_url, "-_-_") == "\xfb\xff\xbf");
    CHECK(decode(encoding_type::base64_raw, "Zm8") == "fo");
    CHECK(decode(encoding_type::base64_raw_url, "Zg") == "f");
    CHECK(decode(encoding_type::base64, "Zm9v\r\nYmFy") == "foobar");   // Go skips CR and LF
}

TEST_CASE("malformed encodings are rejected as Go rejects them", "[authn][secrets]") {
    CHECK_FALSE(decode(encoding_type::base16, "abc"));           // odd length
    CHECK_FALSE(decode(encoding_type::base16, "zz"));
    CHECK_FALSE(decode(encoding_type::base64, "Zm8"));           // padding required
    CHECK_FALSE(decode(encoding_type::base64_raw, "Zm8="));      // padding refused
    CHECK_FALSE(decode(encoding_type::base64, "Zm=8"));          // data after padding
    CHECK_FALSE(decode(encoding_type::base64, "Z==="));          // one character cannot make a byte
    CHECK_FALSE(decode(encoding_type::base64, "-_-_"));          // URL alphabet in standard
    CHECK_FALSE(decode(encoding_type::base32, "MZXW6YTBOI"));    // padding required
    CHECK_FALSE(decode(encoding_type::base32, "mzxw6ytboi======"));
}

TEST_CASE("decode_base64 writes into the caller's buffer and refuses what does not fit", "[authn][secrets]") {
    std::array<char, 6> out{};
    REQUIRE(decode_base64("Zm9vYmFy", out) == 6u);
    CHECK(std::string_view{out.data(), 6} == "foobar");
    std::array<char, 5> small{};
    CHECK_FALSE(decode_base64("Zm9vYmFy", small));
    CHECK_FALSE(decode_base64("not base64!", out));
}

TEST_CASE("AES values in AILERON's iv||ciphertext layout decrypt with the core cipher", "[authn][secrets]") {
    using aileron::common_key_crypt;
    using aileron::crypto::cipher;
    // AILERON's examples/authn-basic/users.list (user7), also: openssl enc -d -aes-128-cbc
    // -K hex("example_password") -iv hex("1234567890123456")
    CHECK(cipher(common_key_crypt::aes_cbc, "example_password")
              .decrypt(unhex("313233343536373839303132333435366D3315B50BC5BDDB82DF7550A8B2D2B0")) == "password7");
    // echo -n "secret-value" | openssl enc -aes-192-cbc -K hex("0123456789abcdef01234567") -iv hex("abcdefghijklmnop")
    CHECK(cipher(common_key_crypt::aes_cbc, "0123456789abcdef01234567")
              .decrypt("abcdefghijklmnop" + unhex("e3584dbc40987e6f69706cfa06ad87d6")) == "secret-value");
    // echo -n "a secret value longer than one AES block" | openssl enc -aes-128-{cfb,ctr,ofb}
    //   -K hex("0123456789abcdef") -iv hex("abcdefghijklmnop")
    const std::string plain = "a secret value longer than one AES block";
    CHECK(cipher(common_key_crypt::aes_cfb, "0123456789abcdef")
              .decrypt("abcdefghijklmnop" +
                       unhex("e4420e95266c1234cb506a718491dc08b887a546cb2b81d2e553afa12149a40867e9462ec644b232")) == plain);
    CHECK(cipher(common_key_crypt::aes_ctr, "0123456789abcdef")
              .decrypt("abcdefghijklmnop" +
                       unhex("e4420e95266c1234cb506a718491dc08bca52219dbb844f31a6f7b4866e755bb3a45388dff8c1065")) == plain);
    CHECK(cipher(common_key_crypt::aes_ofb, "0123456789abcdef")
              .decrypt("abcdefghijklmnop" +
                       unhex("e4420e95266c1234cb506a718491dc0896b62cfb6d42485d8ee7fe45106dcf3c74e20ca9fd30b69e")) == plain);
    // A wrong key turns the PKCS#7 padding into garbage.
    CHECK_FALSE(cipher(common_key_crypt::aes_cbc, "fedcba9876543210")
                    .decrypt(unhex("313233343536373839303132333435366D3315B50BC5BDDB82DF7550A8B2D2B0")));
}

TEST_CASE("message_digest gives AILERON's hashes and output sizes", "[authn][secrets]") {
    CHECK(hex(message_digest{hash_alg::sha256}("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex(message_digest{hash_alg::sha512_256}("abc")) ==
          "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
    CHECK(hex(message_digest{hash_alg::sha3_256}("abc")) ==
          "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    // python3: hashlib.shake_128(b"abc").hexdigest(32); AILERON's SHAKE128 gives 32 bytes
    CHECK(hex(message_digest{hash_alg::shake128}("abc")) ==
          "5881092dd818bf5cf8a3ddb793fbcba74097d5c526a6d35f97b83351940f2cc8");
    CHECK(message_digest{hash_alg::shake256}.size() == 64);
    CHECK(hex(message_digest{hash_alg::blake2s_256}("abc")) ==
          "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
    CHECK(message_digest{hash_alg::blake2b_512}.size() == 64);
}

TEST_CASE("message_digest computes HMACs with the key it was given", "[authn][secrets]") {
    CHECK(hex(message_digest{hash_alg::sha256, "Jefe"}("what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hex(message_digest{hash_alg::sha1, "Jefe"}("what do ya want for nothing?")) ==
          "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    // python3: hmac.new(b"Jefe", msg, "sha3_256"), hmac.new(b"Jefe", msg, hashlib.blake2s)
    CHECK(hex(message_digest{hash_alg::sha3_256, "Jefe"}("what do ya want for nothing?")) ==
          "c7d4072e788877ae3596bbb0da73b887c9171f93095b294ae857fbe2645e1ba5");
    CHECK(hex(message_digest{hash_alg::blake2s_256, "Jefe"}("what do ya want for nothing?")) ==
          "90b6281e2f3038c9056af0b4a7e763cae6fe5d9eb4386a0ec95237890c104ff0");
    // The per-thread context is reused: a second message gives its own MAC, not a continuation.
    message_digest mac{hash_alg::sha256, "Jefe"};
    CHECK(mac("a") == mac("a"));
    CHECK(mac("a") != mac("b"));
}

TEST_CASE("algorithms without a digest or an HMAC here are refused at construction", "[authn][secrets]") {
    CHECK_THROWS_AS(message_digest{hash_alg::unknown}, std::invalid_argument);
    CHECK_THROWS_WITH(message_digest{hash_alg::blake2b_256}, Catch::Contains("not available"));
    CHECK_THROWS_AS(message_digest{hash_alg::blake2b_384}, std::invalid_argument);
    CHECK_THROWS_WITH((message_digest{hash_alg::shake128, "key"}), Catch::Contains("has no HMAC"));
}
