#include <aileron/config/diagnostics.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

#include <memory>

using namespace aileron::config;

TEST_CASE("a problem prints file:line:col: resource: path: message", "[config][diagnostics]")
{
    const problem p{mark{std::make_shared<const std::string>("gw.yaml"), 4, 9}, "core/v1/HTTPServer/default/x",
                    "spec.addr", "expected a string"};
    CHECK(p.to_string() == "gw.yaml:4:9: core/v1/HTTPServer/default/x: spec.addr: expected a string");
}

TEST_CASE("a problem leaves out the parts that are empty", "[config][diagnostics]")
{
    CHECK(problem{{}, {}, {}, "boom"}.to_string() == "boom");
    CHECK(problem{{}, "app/v1/X/default/y", {}, "boom"}.to_string() == "app/v1/X/default/y: boom");
    CHECK(problem{{}, {}, "spec.a", "boom"}.to_string() == "spec.a: boom");
    CHECK(problem{mark{std::make_shared<const std::string>("a.toml"), 0, 0}, {}, {}, "unreadable"}.to_string() ==
          "a.toml: unreadable");
}

TEST_CASE("diagnostics collect problems and print one per line", "[config][diagnostics]")
{
    diagnostics d;
    CHECK(d.ok());
    CHECK(d.to_string().empty());
    d.add(mark{std::make_shared<const std::string>("a.yaml"), 1, 2}, "first");
    d.add(problem{{}, {}, "spec.x", "second"});
    CHECK_FALSE(d.ok());
    REQUIRE(d.problems().size() == 2);
    CHECK(d.problems()[0].message == "first");
    CHECK(d.to_string() == "a.yaml:1:2: first\nspec.x: second\n");
}
