#include <aileron/config/node.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <memory>

using namespace aileron::config;

namespace {

mark
at(int line, int column)
{
    static const auto file = std::make_shared<const std::string>("conf/app.yaml");
    return mark{file, line, column};
}

}  // namespace

TEST_CASE("a mark prints file, line and column and leaves out what is unknown", "[config][node]")
{
    CHECK(at(12, 5).to_string() == "conf/app.yaml:12:5");
    CHECK(at(12, 0).to_string() == "conf/app.yaml:12");
    CHECK(at(0, 0).to_string() == "conf/app.yaml");
    CHECK(mark{nullptr, 3, 4}.to_string() == "3:4");
    CHECK(mark{}.to_string().empty());
}

TEST_CASE("a default node is null and each constructor gives its own kind", "[config][node]")
{
    CHECK(node{}.is_null());
    CHECK(node{true}.kind() == node::type::boolean);
    CHECK(node{std::int64_t{7}}.kind() == node::type::integer);
    CHECK(node{1.5}.kind() == node::type::floating);
    CHECK(node{std::string("x")}.kind() == node::type::string);
    CHECK(node::make_sequence().is_sequence());
    CHECK(node::make_map().is_map());
    CHECK(node{std::string("x")}.is_scalar());
    CHECK_FALSE(node::make_map().is_scalar());
    CHECK_FALSE(node{}.is_scalar());
}

TEST_CASE("find returns the value of a key, and nullptr for missing keys and non-maps", "[config][node]")
{
    node m = node::make_map();
    m.set("name", node{std::string("gw")});
    REQUIRE(m.find("name") != nullptr);
    CHECK(m.find("name")->as_string() == "gw");
    CHECK(m.find("other") == nullptr);
    CHECK(node{std::string("name")}.find("name") == nullptr);

    const node& cm = m;
    REQUIRE(cm.find("name") != nullptr);
    m.find("name")->set_where(at(2, 7));   // the non-const overload gives a mutable value
    CHECK(cm.find("name")->where().line == 2);
}

TEST_CASE("set appends new keys in order and replaces existing ones in place", "[config][node]")
{
    node m = node::make_map();
    m.set("a", node{std::int64_t{1}}, at(1, 1));
    m.set("b", node{std::int64_t{2}}, at(2, 1));
    node& replaced = m.set("a", node{std::string("one")});

    REQUIRE(m.as_map().size() == 2);
    CHECK(m.as_map()[0].key == "a");
    CHECK(m.as_map()[1].key == "b");
    CHECK(&replaced == &m.as_map()[0].value);
    CHECK(replaced.as_string() == "one");
    CHECK(m.as_map()[0].key_mark.line == 1);   // no mark given: the old key position stays

    m.set("b", node{}, at(9, 3));
    CHECK(m.as_map()[1].key_mark.line == 9);
    CHECK(m.as_map()[1].value.is_null());
}

TEST_CASE("set and push_back turn a null node into a map or a list", "[config][node]")
{
    node m;
    m.set("k", node{true});
    CHECK(m.is_map());
    node s;
    s.push_back(node{std::int64_t{1}});
    node& second = s.push_back(node{std::int64_t{2}});
    REQUIRE(s.is_sequence());
    CHECK(s.as_sequence().size() == 2);
    CHECK(second.as_int() == 2);
}

TEST_CASE("type names read well in messages", "[config][node]")
{
    CHECK(node::type_name(node::type::map) == "a map");
    CHECK(node::type_name(node::type::sequence) == "a list");
    CHECK(node::type_name(node::type::string) == "a string");
    CHECK(node::type_name(node::type::integer) == "an integer");
    CHECK(node::type_name(node::type::floating) == "a floating-point number");
    CHECK(node::type_name(node::type::boolean) == "a boolean");
    CHECK(node::type_name(node::type::null) == "null");
}

TEST_CASE("same_values compares kinds and values but not marks or map order", "[config][node]")
{
    node a = node::make_map(at(1, 1));
    a.set("x", node{std::int64_t{1}, at(1, 4)});
    a.set("y", node{std::string("s")});
    node b = node::make_map();
    b.set("y", node{std::string("s"), at(7, 7)});
    b.set("x", node{std::int64_t{1}});
    CHECK(same_values(a, b));

    b.set("x", node{1.0});   // 1 and 1.0 are different kinds
    CHECK_FALSE(same_values(a, b));

    node s1 = node::make_sequence(), s2 = node::make_sequence();
    s1.push_back(node{std::int64_t{1}});
    s1.push_back(node{std::int64_t{2}});
    s2.push_back(node{std::int64_t{2}});
    s2.push_back(node{std::int64_t{1}});
    CHECK_FALSE(same_values(s1, s2));   // lists keep their order

    CHECK(same_values(node{std::numeric_limits<double>::quiet_NaN()}, node{std::nan("")}));
    CHECK_FALSE(same_values(node{}, node::make_map()));
}
