#include <aileron/core/encoding.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

using namespace aileron::encoding;

TEST_CASE("base64 encodes the RFC 4648 test vectors, padded and raw", "[core][encoding]") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("foob") == "Zm9vYg==");
    CHECK(base64_encode("fooba") == "Zm9vYmE=");
    CHECK(base64_encode("foobar") == "Zm9vYmFy");
    CHECK(base64_encode("fo", base64_alphabet::standard, false) == "Zm8");
    CHECK(base64_encode("\xfb\xff", base64_alphabet::standard) == "+/8=");
    CHECK(base64_encode("\xfb\xff", base64_alphabet::url) == "-_8=");
}

TEST_CASE("base64 decoding is strict about alphabet and padding, as Go's", "[core][encoding]") {
    CHECK(base64_decode("Zm9vYmE=") == "fooba");
    CHECK(base64_decode("Zm9v\r\nYmFy") == "foobar");   // line breaks are skipped
    CHECK(base64_decode("-_8=", base64_alphabet::url) == "\xfb\xff");
    CHECK_FALSE(base64_decode("-_8=", base64_alphabet::standard));
    CHECK_FALSE(base64_decode("+/8=", base64_alphabet::url));
    CHECK_FALSE(base64_decode("Zm9vYmE"));               // padding missing
    CHECK(base64_decode("Zm9vYmE", base64_alphabet::standard, false) == "fooba");
    CHECK_FALSE(base64_decode("Zm9vYmE=", base64_alphabet::standard, false));
    CHECK_FALSE(base64_decode("Zm9vY==="));
    CHECK_FALSE(base64_decode("Zg==Zg=="));               // data after padding
    CHECK_FALSE(base64_decode("Z"));
    CHECK_FALSE(base64_decode("Zm 9v"));
    CHECK(base64_decode("") == "");
}

TEST_CASE("hex is lower case out and either case in", "[core][encoding]") {
    CHECK(hex_encode("\x01\xab\xff") == "01abff");
    CHECK(hex_decode("01ABff") == "\x01\xab\xff");
    CHECK_FALSE(hex_decode("abc"));
    CHECK_FALSE(hex_decode("zz"));
}
