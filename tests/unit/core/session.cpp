#include <aileron/core/session.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

using namespace aileron;

TEST_CASE("session values are bytes under keys; changes are tracked", "[core][session]") {
    session_data s;
    CHECK_FALSE(s.updated());
    CHECK(s.find("k") == nullptr);
    s.set("k", std::string("a\0b", 3));
    CHECK(s.updated());
    REQUIRE(s.find("k"));
    CHECK(*s.find("k") == std::string("a\0b", 3));
    CHECK(s.erase("k"));
    CHECK_FALSE(s.erase("k"));
    CHECK_FALSE(s.destroyed());
    s.destroy();
    CHECK(s.destroyed());
}

TEST_CASE("a session serializes as AILERON's JSON object of base64 values and restores", "[core][session]") {
    session_data s;
    s.set("user", "alice");
    s.set("bin", std::string("\xff\x00", 2));
    std::string text = s.serialize();
    CHECK(text == R"({"bin":"/wA=","user":"YWxpY2U="})");
    session_data r;
    REQUIRE(r.restore(text));
    CHECK(r.restored());
    CHECK_FALSE(r.updated());
    CHECK(r.values() == s.values());
}

TEST_CASE("malformed session data restores nothing", "[core][session]") {
    for (std::string_view bad : {"", "[]", "{\"a\":1}", "{\"a\":\"!!\"}", "{\"a\":"}) {
        session_data r;
        CHECK_FALSE(r.restore(bad));
        CHECK(r.values().empty());
        CHECK_FALSE(r.restored());
    }
}
