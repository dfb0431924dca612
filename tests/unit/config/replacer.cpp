#include <aileron/config/replacer.hpp>   // first: the header is self-contained

#include <aileron/config/node.hpp>
#include <aileron/core/crypto.hpp>
#include <aileron/core/encoding.hpp>

#include <catch2/catch.hpp>

using namespace aileron;
using config::replacer_spec;

namespace {

std::string apply(const replacer_spec& s, std::string_view in, replacer::mode m = replacer::mode::text) {
    return replacer{s, m}(in);
}

}  // namespace

TEST_CASE("fixed replaces the whole value", "[config][replacer]") {
    replacer_spec s;
    s.fixed = config::fixed_replacer_spec{"***"};
    CHECK(apply(s, "Bearer abc.def") == "***");
}

TEST_CASE("value replaces every occurrence of each key", "[config][replacer]") {
    replacer_spec s;
    s.value = config::value_replacer_spec{{{"secret", "xxx"}, {"bob", "alice"}}};
    CHECK(apply(s, "bob's secret, secret") == "alice's xxx, xxx");
}

TEST_CASE("left and right mask characters at one end: runes as text, bytes as bytes", "[config][replacer]") {
    replacer_spec left;
    left.left = config::side_replacer_spec{"*", 3};
    CHECK(apply(left, "1234567") == "***4567");
    CHECK(apply(left, "12") == "**");
    replacer_spec right;
    right.right = config::side_replacer_spec{"#", 2};
    CHECK(apply(right, "1234567") == "12345##");
    // "héllo" is 5 characters and 6 bytes.
    CHECK(apply(left, "héllo") == "***lo");
    CHECK(apply(left, "héllo", replacer::mode::bytes) == "***llo");
}

TEST_CASE("trims use the first cut set that removes something", "[config][replacer]") {
    replacer_spec s;
    s.trim = config::trim_replacer_spec{{"xyz", "a"}};
    CHECK(apply(s, "abxhelloxab") == "bxhelloxab");   // "xyz" removes nothing; "a" only on the left
    s.trim = config::trim_replacer_spec{{"ab", "x"}};
    CHECK(apply(s, "abxhelloxab") == "xhellox");
    replacer_spec l;
    l.trim_left = config::trim_replacer_spec{{"0"}};
    CHECK(apply(l, "000120") == "120");
    replacer_spec r;
    r.trim_right = config::trim_replacer_spec{{"0"}};
    CHECK(apply(r, "000120") == "00012");
    replacer_spec p;
    p.trim_prefix = config::trim_prefix_replacer_spec{{"Basic ", "Bearer "}};
    CHECK(apply(p, "Bearer tok") == "tok");
    replacer_spec x;
    x.trim_suffix = config::trim_suffix_replacer_spec{{".com", ".org"}};
    CHECK(apply(x, "example.org") == "example");
}

TEST_CASE("encode encodes the whole value or each match", "[config][replacer]") {
    replacer_spec s;
    s.encode = config::encode_replacer_spec{"", false, config::encoding_type::base64};
    CHECK(apply(s, "hello") == "aGVsbG8=");
    s.encode->encoding = config::encoding_type::base32;
    CHECK(apply(s, "hello") == "NBSWY3DP");
    s.encode->encoding = config::encoding_type::base16;
    s.encode->pattern = "[0-9]+";
    CHECK(apply(s, "id=42;") == "id=3432;");
}

TEST_CASE("AILERON's escaped base32 alphabets avoid vowels", "[config][replacer]") {
    CHECK(encode_bytes(config::encoding_type::base32_escaped, "hello") == "RCW025FT");
    CHECK(encode_bytes(config::encoding_type::base32_hex_escaped, "hi") == "F1NJ====");
    CHECK(encode_bytes(config::encoding_type::base64_raw_url, "\xfb\xff") == "-_8");
}

TEST_CASE("hash and hmac replace values by their digests", "[config][replacer]") {
    replacer_spec h;
    h.hash = config::hash_replacer_spec{"", false, hash_alg::sha256, config::encoding_type::base16};
    CHECK(apply(h, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    h.hash->alg = hash_alg::shake128;
    CHECK(apply(h, "").size() == 64);   // 32 bytes of output, hex
    replacer_spec m;
    m.hmac = config::hmac_replacer_spec{"", false, hash_alg::sha256, config::encoding_type::base16,
                                        "4a656665"};   // "Jefe", RFC 4231 test case 2
    CHECK(apply(m, "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("encrypt writes AILERON's layout, which decrypts back", "[config][replacer]") {
    replacer_spec s;
    s.encrypt = config::encrypt_replacer_spec{"", false, common_key_crypt::aes_gcm, config::encoding_type::base16,
                                              "000102030405060708090a0b0c0d0e0f"};
    const std::string out = apply(s, "card 4111");
    auto raw = encoding::hex_decode(out);
    REQUIRE(raw);
    CHECK(raw->size() == 12 + 9 + 16);   // nonce, ciphertext, tag
    crypto::cipher c{common_key_crypt::aes_gcm, *encoding::hex_decode("000102030405060708090a0b0c0d0e0f")};
    CHECK(c.decrypt(*raw) == std::optional<std::string>{"card 4111"});
}

TEST_CASE("regexp replaces matches, expanding $n and ${n} unless literal", "[config][replacer]") {
    replacer_spec s;
    s.regexp = config::regexp_replacer_spec{"(\\w+)@(\\w+)", "$2 at ${1}x $$", false, false};
    CHECK(apply(s, "mail bob@example now") == "mail example at bobx $ now");
    // Go reads "$1x" as the group named "1x", which does not exist.
    s.regexp->replace = "$1x";
    CHECK(apply(s, "bob@example") == "");
    s.regexp->literal = true;
    s.regexp->replace = "$1";
    CHECK(apply(s, "bob@example!") == "$1!");
}

TEST_CASE("expand keeps only the expansions of the matches", "[config][replacer]") {
    replacer_spec s;
    s.expand = config::expand_replacer_spec{"id=(\\d+)", "[$1]", false};
    CHECK(apply(s, "a id=1 b id=22 c") == "[1][22]");
}

TEST_CASE("specs that cannot work are refused with the reason", "[config][replacer]") {
    replacer_spec none;
    CHECK(replacer_problem(none).find("needs one of") != std::string::npos);
    replacer_spec two;
    two.fixed = config::fixed_replacer_spec{"x"};
    two.trim = config::trim_replacer_spec{};
    CHECK(replacer_problem(two).find("exactly one") != std::string::npos);
    replacer_spec re;
    re.regexp = config::regexp_replacer_spec{"(", "", false, false};
    CHECK(replacer_problem(re).find("invalid pattern") != std::string::npos);
    replacer_spec empty_re;
    empty_re.regexp = config::regexp_replacer_spec{};
    CHECK(replacer_problem(empty_re).find("must not be empty") != std::string::npos);
    replacer_spec enc;
    enc.encode = config::encode_replacer_spec{};
    CHECK(replacer_problem(enc) == "encode.encoding is required");
    replacer_spec b2;
    b2.hash = config::hash_replacer_spec{"", false, hash_alg::blake2b_256, config::encoding_type::base16};
    CHECK(replacer_problem(b2).find("BLAKE2b-256") != std::string::npos);
    replacer_spec key;
    key.encrypt = config::encrypt_replacer_spec{"", false, common_key_crypt::aes_cbc, config::encoding_type::base64, "0011"};
    CHECK_FALSE(replacer_problem(key).empty());
    CHECK_THROWS_AS((replacer{key, replacer::mode::text}), std::invalid_argument);
}
