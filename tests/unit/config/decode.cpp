#include <aileron/config/decode.hpp>   // first: proves the header is self-contained

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace config = aileron::config;
using config::node;

//----------------------------------------------------------------------------------------------
// Config types shaped like AILERON's

enum class match_type { exact, prefix, suffix };

template <>
struct config::enum_traits<match_type> {
    static constexpr std::array values{
        std::pair{std::string_view{"Exact"}, match_type::exact},
        std::pair{std::string_view{"Prefix"}, match_type::prefix},
        std::pair{std::string_view{"Suffix"}, match_type::suffix},
    };
};

struct listen_config {
    std::string addr;
    std::int32_t backlog = 128;
    bool operator==(const listen_config&) const = default;
    static constexpr auto
    fields()
    {
        return std::tuple{
            config::field("addr", &listen_config::addr),
            config::field("backlog", &listen_config::backlog),
        };
    }
};

struct header_spec {
    std::string name;
    std::string value;
    bool operator==(const header_spec&) const = default;
    static constexpr auto
    fields()
    {
        return std::tuple{
            config::required_field("name", &header_spec::name),
            config::field("value", &header_spec::value),
        };
    }
};

struct handler_spec {
    config::reference handler;
    std::vector<std::string> pattern;
    bool operator==(const handler_spec&) const = default;
    static constexpr auto
    fields()
    {
        return std::tuple{
            config::required_field("handler", &handler_spec::handler),
            config::field("pattern", &handler_spec::pattern),
        };
    }
};

struct virtual_host {
    std::vector<std::string> hosts;
    std::vector<handler_spec> handlers;
    bool operator==(const virtual_host&) const = default;
    static constexpr auto
    fields()
    {
        return std::tuple{
            config::field("hosts", &virtual_host::hosts),
            config::field("handlers", &virtual_host::handlers),
        };
    }
};

struct server_spec {
    std::string addr = ":8080";
    std::int32_t shutdown_timeout = 30;
    std::int64_t read_timeout = 30;
    std::uint32_t max_streams = 0;
    bool enable = false;
    bool keep_alive = true;
    double ratio = 0.5;
    match_type match = match_type::prefix;
    std::vector<std::string> tags;
    std::map<std::string, std::string> header;
    std::optional<std::int32_t> limit;
    std::optional<listen_config> listen;
    listen_config http;
    listen_config transport;
    std::vector<virtual_host> virtual_hosts;
    config::reference error_handler;
    std::vector<std::optional<std::int32_t>> slots;
    node extra;

    int normalized = 0;   ///< how many times normalize() ran

    static constexpr auto
    fields()
    {
        return std::tuple{
            config::field("addr", &server_spec::addr),
            config::field("shutdownTimeout", &server_spec::shutdown_timeout),
            config::field("readTimeout", &server_spec::read_timeout),
            config::field("maxStreams", &server_spec::max_streams),
            config::field("enable", &server_spec::enable),
            config::field("keepAlive", &server_spec::keep_alive),
            config::field("ratio", &server_spec::ratio),
            config::field("matchType", &server_spec::match),
            config::field("tags", &server_spec::tags),
            config::field("header", &server_spec::header),
            config::field("limit", &server_spec::limit),
            config::field("listenConfig", &server_spec::listen),
            config::field("httpConfig", &server_spec::http),
            config::field("httpTransportConfig", "HTTPTransportConfig", &server_spec::transport),
            config::field("virtualHosts", &server_spec::virtual_hosts),
            config::field("errorHandler", &server_spec::error_handler),
            config::field("slots", &server_spec::slots),
            config::field("extra", &server_spec::extra),
        };
    }

    void
    normalize(config::decoder& d)
    {
        ++normalized;
        if (shutdown_timeout < 0) d.error("shutdownTimeout", "must be >= 0");
        if (listen && listen->addr == "bad") d.error("listenConfig.addr", "is not an address");
        if (addr == "nohttp") d.error("httpConfig.addr", "needs an address");
    }
};

/// A struct whose defaults are all representable in a document (no node, no default list).
struct plain_spec {
    std::string addr = ":8080";
    std::int64_t read_timeout = 30;
    std::uint32_t streams = 7;
    bool keep_alive = true;
    double ratio = 0.25;
    match_type match = match_type::suffix;
    std::vector<std::string> tags;
    std::map<std::string, std::int32_t> weights;
    std::optional<std::int32_t> limit;
    std::optional<listen_config> listen;
    listen_config http;
    config::reference handler;
    bool operator==(const plain_spec&) const = default;
    static constexpr auto
    fields()
    {
        return std::tuple{
            config::field("addr", &plain_spec::addr),
            config::field("readTimeout", &plain_spec::read_timeout),
            config::field("streams", &plain_spec::streams),
            config::field("keepAlive", &plain_spec::keep_alive),
            config::field("ratio", &plain_spec::ratio),
            config::field("matchType", &plain_spec::match),
            config::field("tags", &plain_spec::tags),
            config::field("weights", &plain_spec::weights),
            config::field("limit", &plain_spec::limit),
            config::field("listenConfig", &plain_spec::listen),
            config::field("httpConfig", &plain_spec::http),
            config::field("handler", &plain_spec::handler),
        };
    }
};

struct with_default_list {
    std::vector<std::string> methods{"GET"};
    std::map<std::string, std::string> header{{"A", "1"}, {"B", "2"}};
    static constexpr auto
    fields()
    {
        return std::tuple{
            config::field("methods", &with_default_list::methods),
            config::field("header", &with_default_list::header),
        };
    }
};

//----------------------------------------------------------------------------------------------
// Building documents by hand

namespace {

const auto test_file = std::make_shared<const std::string>("test.yaml");

config::mark
at(int line, int column)
{
    return config::mark{test_file, line, column};
}

struct entry {
    std::string key;
    node value;
    config::mark key_mark = {};
};

node
map_of(std::vector<entry> entries, config::mark where = {})
{
    node n = node::make_map(std::move(where));
    for (entry& e : entries)
        n.as_map().push_back(config::map_entry{std::move(e.key), std::move(e.key_mark), std::move(e.value)});
    return n;
}

node
list_of(std::vector<node> items, config::mark where = {})
{
    return node{std::move(items), std::move(where)};
}

node
str(std::string s, config::mark where = {})
{
    return node{std::move(s), std::move(where)};
}

node
num(std::int64_t v, config::mark where = {})
{
    return node{v, std::move(where)};
}

node
ref(std::string api_version, std::string kind, std::string name = {})
{
    std::vector<entry> e{{"apiVersion", str(std::move(api_version))}, {"kind", str(std::move(kind))}};
    if (!name.empty()) e.push_back({"name", str(std::move(name))});
    return map_of(std::move(e));
}

bool
same(const node& a, const node& b)
{
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
    case node::type::null: return true;
    case node::type::boolean: return a.as_bool() == b.as_bool();
    case node::type::integer: return a.as_int() == b.as_int();
    case node::type::floating: return a.as_double() == b.as_double();
    case node::type::string: return a.as_string() == b.as_string();
    case node::type::sequence:
        if (a.as_sequence().size() != b.as_sequence().size()) return false;
        for (std::size_t i = 0; i < a.as_sequence().size(); ++i)
            if (!same(a.as_sequence()[i], b.as_sequence()[i])) return false;
        return true;
    case node::type::map:
        if (a.as_map().size() != b.as_map().size()) return false;
        for (std::size_t i = 0; i < a.as_map().size(); ++i)
            if (a.as_map()[i].key != b.as_map()[i].key ||
                !same(a.as_map()[i].value, b.as_map()[i].value))
                return false;
        return true;
    }
    return false;
}

/// Decodes `doc` as the spec of a test resource and returns the problem messages as
/// "path: message" lines.
template <class T>
std::vector<std::string>
problems_of(const node& doc, T& out)
{
    config::diagnostics diag;
    config::decode(doc, out, diag, "core/v1/Test/default/t");
    std::vector<std::string> lines;
    for (const config::problem& p : diag.problems()) lines.push_back(p.path + ": " + p.message);
    return lines;
}

template <class T>
std::vector<std::string>
problems_of(const node& doc)
{
    T out{};
    return problems_of(doc, out);
}

using lines = std::vector<std::string>;

}  // namespace

//----------------------------------------------------------------------------------------------

TEST_CASE("the concepts accept config types and reject everything else", "[config][decode]")
{
    STATIC_REQUIRE(config::described<server_spec>);
    STATIC_REQUIRE(config::described<config::reference>);
    STATIC_REQUIRE_FALSE(config::described<std::string>);
    STATIC_REQUIRE(config::described_enum<match_type>);
    STATIC_REQUIRE_FALSE(config::described_enum<std::byte>);
    STATIC_REQUIRE(config::normalizable<server_spec>);
    STATIC_REQUIRE_FALSE(config::normalizable<listen_config>);
    STATIC_REQUIRE(config::decodable<std::map<std::string, std::vector<std::optional<listen_config>>>>);
    STATIC_REQUIRE(config::decodable<node>);
    STATIC_REQUIRE_FALSE(config::decodable<std::size_t>);
    STATIC_REQUIRE_FALSE(config::decodable<std::vector<bool>>);
    STATIC_REQUIRE_FALSE(config::decodable<float>);
}

TEST_CASE("proto names are the JSON names in AILERON's Go style", "[config][decode]")
{
    CHECK(config::default_proto_name("shutdownTimeout") == "ShutdownTimeout");
    CHECK(config::default_proto_name("virtualHosts") == "VirtualHosts");
    CHECK(config::default_proto_name("maxHeaderBytes") == "MaxHeaderBytes");
    CHECK(config::default_proto_name("addr") == "Addr");
    CHECK(config::default_proto_name("httpConfig") == "HTTPConfig");
    CHECK(config::default_proto_name("http2Config") == "HTTP2Config");
    CHECK(config::default_proto_name("tlsConfig") == "TLSConfig");
    CHECK(config::default_proto_name("apiVersion") == "APIVersion");
    CHECK(config::default_proto_name("allowHTTP2") == "AllowHTTP2");
    CHECK(config::default_proto_name("idleTimeout") == "IdleTimeout");
    CHECK(config::default_proto_name("id") == "ID");
    CHECK(config::default_proto_name("") == "");
}

TEST_CASE("an empty or null spec keeps every default and still normalizes", "[config][decode]")
{
    for (const node& doc : {node::make_map(), node{}}) {
        server_spec spec;
        config::diagnostics diag;
        CHECK(config::decode(doc, spec, diag, "core/v1/Test/default/t"));
        CHECK(diag.ok());
        CHECK(spec.addr == ":8080");
        CHECK(spec.shutdown_timeout == 30);
        CHECK(spec.keep_alive);
        CHECK(spec.match == match_type::prefix);
        CHECK_FALSE(spec.limit);
        CHECK(spec.error_handler.empty());
        CHECK(spec.normalized == 1);
    }
}

TEST_CASE("every supported member type decodes from its document form", "[config][decode]")
{
    const node doc = map_of({
        {"addr", str(":9090")},
        {"shutdownTimeout", num(5)},
        {"readTimeout", str("60")},
        {"maxStreams", num(4000000000)},
        {"enable", node{true}},
        {"keepAlive", node{true}},
        {"ratio", node{0.75}},
        {"matchType", str("Suffix")},
        {"tags", list_of({str("a"), str("b")})},
        {"header", map_of({{"X-A", str("1")}, {"X-B", str("2")}})},
        {"limit", num(10)},
        {"listenConfig", map_of({{"addr", str(":1")}})},
        {"httpConfig", map_of({{"backlog", num(5)}})},
        {"virtualHosts", list_of({map_of({{"hosts", list_of({str("example.com")})},
                                          {"handlers", list_of({map_of({{"handler", ref("core/v1", "EchoHandler", "echo")}})})}})})},
        {"errorHandler", ref("core/v1", "ErrorHandler")},
        {"slots", list_of({num(1), node{}, num(3)})},
        {"extra", map_of({{"anything", list_of({num(1)})}})},
    });
    server_spec spec;
    REQUIRE(problems_of(doc, spec) == lines{});
    CHECK(spec.addr == ":9090");
    CHECK(spec.shutdown_timeout == 5);
    CHECK(spec.read_timeout == 60);
    CHECK(spec.max_streams == 4000000000u);
    CHECK(spec.enable);
    CHECK(spec.ratio == 0.75);
    CHECK(spec.match == match_type::suffix);
    CHECK(spec.tags == std::vector<std::string>{"a", "b"});
    CHECK(spec.header == std::map<std::string, std::string>{{"X-A", "1"}, {"X-B", "2"}});
    CHECK(spec.limit == 10);
    REQUIRE(spec.listen);
    CHECK(*spec.listen == listen_config{":1", 128});
    CHECK(spec.http == listen_config{"", 5});
    REQUIRE(spec.virtual_hosts.size() == 1);
    CHECK(spec.virtual_hosts[0].hosts == std::vector<std::string>{"example.com"});
    REQUIRE(spec.virtual_hosts[0].handlers.size() == 1);
    CHECK(spec.virtual_hosts[0].handlers[0].handler.id() == "core/v1/EchoHandler/default/echo");
    CHECK(spec.error_handler.id() == "core/v1/ErrorHandler/default/default");
    CHECK(spec.slots == std::vector<std::optional<std::int32_t>>{1, std::nullopt, 3});
    REQUIRE(spec.extra.is_map());
    CHECK(same(spec.extra, map_of({{"anything", list_of({num(1)})}})));
    CHECK(spec.normalized == 1);
}

TEST_CASE("fields are found by JSON name or by proto name", "[config][decode]")
{
    server_spec spec;
    REQUIRE(problems_of(map_of({{"ShutdownTimeout", num(7)},
                                {"HTTPConfig", map_of({{"Backlog", num(9)}})},
                                {"HTTPTransportConfig", map_of({{"addr", str(":2")}})}}),
                        spec) == lines{});
    CHECK(spec.shutdown_timeout == 7);
    CHECK(spec.http.backlog == 9);
    CHECK(spec.transport.addr == ":2");

    // snake_case and a wrongly-cased proto name are not names protojson knows.
    CHECK(problems_of<listen_config>(map_of({{"back_log", num(1)}, {"BACKLOG", num(1)}})) ==
          lines{
              R"(spec.back_log: unknown field "back_log"; expected one of: addr, backlog)",
              R"(spec.BACKLOG: unknown field "BACKLOG"; expected one of: addr, backlog)",
          });
    CHECK(problems_of<server_spec>(map_of({{"HttpTransportConfig", node::make_map()}})).size() == 1);
}

TEST_CASE("an unknown field is reported at its key with the known names", "[config][decode]")
{
    const node doc = map_of({{"addr", str(":1"), at(2, 3)}, {"foo", num(1, at(3, 8)), at(3, 3)}},
                            at(2, 3));
    listen_config out;
    config::diagnostics diag;
    CHECK_FALSE(config::decode(doc, out, diag, "core/v1/HTTPServer/default/x"));
    REQUIRE(diag.problems().size() == 1);
    const config::problem& p = diag.problems()[0];
    CHECK(p.where.line == 3);
    CHECK(p.where.column == 3);
    CHECK(p.resource == "core/v1/HTTPServer/default/x");
    CHECK(p.path == "spec.foo");
    CHECK(p.message == R"(unknown field "foo"; expected one of: addr, backlog)");
    CHECK(p.to_string() ==
          R"(test.yaml:3:3: core/v1/HTTPServer/default/x: spec.foo: unknown field "foo"; expected one of: addr, backlog)");
    CHECK(out.addr == ":1");   // the known field still decoded
}

TEST_CASE("a field given twice is a problem at the second key", "[config][decode]")
{
    config::diagnostics diag;
    listen_config out;
    config::decode(map_of({{"backlog", num(1), at(1, 1)}, {"Backlog", num(2), at(2, 1)}}), out,
                   diag, "r");
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].path == "spec.backlog");
    CHECK(diag.problems()[0].message == R"(field "backlog" is given twice (as "backlog" and "Backlog"))");
    CHECK(diag.problems()[0].where.line == 2);
    CHECK(out.backlog == 1);

    CHECK(problems_of<listen_config>(map_of({{"addr", str("a")}, {"addr", str("b")}})) ==
          lines{R"(spec.addr: field "addr" is given twice)"});
}

TEST_CASE("integers accept integer nodes and strings holding JSON numbers", "[config][decode]")
{
    const auto decode_int64 = [](const node& value) {
        server_spec spec;
        const lines problems = problems_of(map_of({{"readTimeout", value}}), spec);
        return std::pair{spec.read_timeout, problems};
    };
    CHECK(decode_int64(num(45)) == std::pair{std::int64_t{45}, lines{}});
    CHECK(decode_int64(str("45")) == std::pair{std::int64_t{45}, lines{}});
    CHECK(decode_int64(str("-7")) == std::pair{std::int64_t{-7}, lines{}});
    CHECK(decode_int64(str("1e3")) == std::pair{std::int64_t{1000}, lines{}});
    CHECK(decode_int64(node{2.0}) == std::pair{std::int64_t{2}, lines{}});
    CHECK(decode_int64(str("9223372036854775807")) ==
          std::pair{std::int64_t{9223372036854775807}, lines{}});

    CHECK(decode_int64(str(" 5")).second ==
          lines{R"(spec.readTimeout: expected an integer, got a string (" 5"))"});
    CHECK(decode_int64(str("05")).second ==
          lines{R"(spec.readTimeout: expected an integer, got a string ("05"))"});
    CHECK(decode_int64(str("1.5")).second ==
          lines{R"(spec.readTimeout: expected an integer, got a string ("1.5"))"});
    CHECK(decode_int64(node{1.5}).second ==
          lines{"spec.readTimeout: expected an integer, got a floating-point number (1.5)"});
    CHECK(decode_int64(node{true}).second ==
          lines{"spec.readTimeout: expected an integer, got a boolean (true)"});
    CHECK(decode_int64(list_of({})).second ==
          lines{"spec.readTimeout: expected an integer, got a list"});
    CHECK(decode_int64(str("abc")).first == 30);   // a bad value keeps the default
}

TEST_CASE("integers out of range name the range of their type", "[config][decode]")
{
    CHECK(problems_of<server_spec>(map_of({{"shutdownTimeout", num(5000000000)}})) ==
          lines{"spec.shutdownTimeout: 5000000000 is out of range for int32 [-2147483648, 2147483647]"});
    CHECK(problems_of<server_spec>(map_of({{"maxStreams", num(-1)}})) ==
          lines{"spec.maxStreams: -1 is out of range for uint32 [0, 4294967295]"});
    CHECK(problems_of<server_spec>(map_of({{"maxStreams", str("4294967296")}})) ==
          lines{"spec.maxStreams: 4294967296 is out of range for uint32 [0, 4294967295]"});
    CHECK(problems_of<server_spec>(map_of({{"readTimeout", str("9223372036854775808")}})) ==
          lines{"spec.readTimeout: 9223372036854775808 is out of range for int64 "
                "[-9223372036854775808, 9223372036854775807]"});
    CHECK(problems_of<server_spec>(map_of({{"readTimeout", node{1e19}}})) ==
          lines{"spec.readTimeout: 1e+19 is out of range for int64 "
                "[-9223372036854775808, 9223372036854775807]"});
}

TEST_CASE("booleans accept only booleans", "[config][decode]")
{
    server_spec spec;
    CHECK(problems_of(map_of({{"enable", node{true}}}), spec) == lines{});
    CHECK(spec.enable);
    CHECK(problems_of<server_spec>(map_of({{"enable", str("true")}})) ==
          lines{R"(spec.enable: expected a boolean, got a string ("true"))"});
    CHECK(problems_of<server_spec>(map_of({{"enable", num(1)}})) ==
          lines{"spec.enable: expected a boolean, got an integer (1)"});
}

TEST_CASE("doubles accept integers, floats and numeric strings", "[config][decode]")
{
    const auto ratio = [](const node& value) {
        server_spec spec;
        REQUIRE(problems_of(map_of({{"ratio", value}}), spec) == lines{});
        return spec.ratio;
    };
    CHECK(ratio(num(2)) == 2.0);
    CHECK(ratio(node{1.25}) == 1.25);
    CHECK(ratio(str("3.5")) == 3.5);
    CHECK(ratio(str("-1e2")) == -100.0);
    CHECK(std::isinf(ratio(str("Infinity"))));
    CHECK(std::isnan(ratio(str("NaN"))));
    CHECK(problems_of<server_spec>(map_of({{"ratio", str("fast")}})) ==
          lines{R"(spec.ratio: expected a number, got a string ("fast"))"});
    CHECK(problems_of<server_spec>(map_of({{"ratio", str("1e999")}})) ==
          lines{"spec.ratio: 1e999 is out of range for double"});
}

TEST_CASE("strings accept only strings and ask for numbers to be quoted", "[config][decode]")
{
    CHECK(problems_of<server_spec>(map_of({{"addr", num(8080)}})) ==
          lines{"spec.addr: expected a string, got an integer (8080); quote it"});
    CHECK(problems_of<server_spec>(map_of({{"addr", node{false}}})) ==
          lines{"spec.addr: expected a string, got a boolean (false); quote it"});
    CHECK(problems_of<server_spec>(map_of({{"addr", node::make_map()}})) ==
          lines{"spec.addr: expected a string, got a map"});
    CHECK(problems_of<server_spec>(map_of({{"addr", list_of({str("x")})}})) ==
          lines{"spec.addr: expected a string, got a list"});
}

TEST_CASE("long strings are cut short in messages", "[config][decode]")
{
    CHECK(problems_of<server_spec>(map_of({{"enable", str(std::string(50, 'x') + "\"")}})) ==
          lines{"spec.enable: expected a boolean, got a string (\"" + std::string(40, 'x') +
                "\"...)"});
}

TEST_CASE("enums accept their exact names or their numbers", "[config][decode]")
{
    const auto match = [](const node& value) {
        server_spec spec;
        REQUIRE(problems_of(map_of({{"matchType", value}}), spec) == lines{});
        return spec.match;
    };
    CHECK(match(str("Suffix")) == match_type::suffix);
    CHECK(match(num(2)) == match_type::suffix);
    CHECK(match(num(1)) == match_type::prefix);

    CHECK(problems_of<server_spec>(map_of({{"matchType", str("suffix")}})) ==
          lines{R"(spec.matchType: unknown enum value "suffix"; expected one of: Exact, Prefix, Suffix)"});
    CHECK(problems_of<server_spec>(map_of({{"matchType", num(7)}})) ==
          lines{"spec.matchType: unknown enum value 7; expected one of: Exact (0), Prefix (1), Suffix (2)"});
    CHECK(problems_of<server_spec>(map_of({{"matchType", node{1.0}}})) ==
          lines{"spec.matchType: expected an enum name or number, got a floating-point number (1)"});
}

TEST_CASE("structs, lists and maps need their own kind of node", "[config][decode]")
{
    CHECK(problems_of<server_spec>(map_of({{"httpConfig", str("x")}})) ==
          lines{R"(spec.httpConfig: expected a map, got a string ("x"))"});
    CHECK(problems_of<server_spec>(map_of({{"tags", str("a")}})) ==
          lines{R"(spec.tags: expected a list, got a string ("a"))"});
    CHECK(problems_of<server_spec>(map_of({{"header", list_of({})}})) ==
          lines{"spec.header: expected a map, got a list"});
    CHECK(problems_of<server_spec>(map_of({{"errorHandler", str("core/v1/ErrorHandler")}})) ==
          lines{R"(spec.errorHandler: expected a map, got a string ("core/v1/ErrorHandler"))"});
    CHECK(problems_of<server_spec>(num(1)) == lines{"spec: expected a map, got an integer (1)"});
}

TEST_CASE("null leaves the default of every kind of field", "[config][decode]")
{
    std::vector<entry> entries;
    for (std::string_view name : {"addr", "shutdownTimeout", "readTimeout", "maxStreams", "enable",
                                  "keepAlive", "ratio", "matchType", "tags", "header", "limit",
                                  "listenConfig", "httpConfig", "virtualHosts", "errorHandler",
                                  "extra"})
        entries.push_back({std::string{name}, node{}});
    server_spec spec;
    spec.tags = {"kept"};
    REQUIRE(problems_of(map_of(std::move(entries)), spec) == lines{});
    CHECK(spec.addr == ":8080");
    CHECK(spec.shutdown_timeout == 30);
    CHECK(spec.keep_alive);
    CHECK(spec.ratio == 0.5);
    CHECK(spec.match == match_type::prefix);
    CHECK(spec.tags == std::vector<std::string>{"kept"});
    CHECK_FALSE(spec.limit);
    CHECK_FALSE(spec.listen);
    CHECK(spec.http == listen_config{});
    CHECK(spec.error_handler.empty());
}

TEST_CASE("zero values do not override non-zero defaults", "[config][decode]")
{
    server_spec spec;
    REQUIRE(problems_of(map_of({{"addr", str("")},
                                {"shutdownTimeout", num(0)},
                                {"readTimeout", str("0")},
                                {"keepAlive", node{false}},
                                {"ratio", node{0.0}},
                                {"matchType", str("Exact")},
                                {"httpConfig", map_of({{"backlog", num(0)}})}}),
                        spec) == lines{});
    CHECK(spec.addr == ":8080");
    CHECK(spec.shutdown_timeout == 30);
    CHECK(spec.read_timeout == 30);
    CHECK(spec.keep_alive);
    CHECK(spec.ratio == 0.5);
    CHECK(spec.match == match_type::prefix);
    CHECK(spec.http.backlog == 128);

    // Non-zero values do override, and zero over a zero default is simply zero.
    REQUIRE(problems_of(map_of({{"shutdownTimeout", num(-1)}, {"maxStreams", num(0)}}), spec) ==
            lines{"spec.shutdownTimeout: must be >= 0"});
    CHECK(spec.shutdown_timeout == -1);
    CHECK(spec.max_streams == 0);
}

TEST_CASE("lists append to the default list and maps merge keys", "[config][decode]")
{
    with_default_list out;
    config::diagnostics diag;
    REQUIRE(config::decode(map_of({{"methods", list_of({str("POST"), str("PUT")})},
                                   {"header", map_of({{"B", str("20")}, {"C", str("30")}})}}),
                           out, diag, "r"));
    CHECK(out.methods == std::vector<std::string>{"GET", "POST", "PUT"});
    CHECK(out.header == std::map<std::string, std::string>{{"A", "1"}, {"B", "20"}, {"C", "30"}});

    CHECK(problems_of<with_default_list>(map_of({{"header", map_of({{"A", str("1")}, {"A", str("2")}})}})) ==
          lines{R"(spec.header["A"]: key "A" is given twice)"});
}

TEST_CASE("list elements and map values may not be null unless optional", "[config][decode]")
{
    CHECK(problems_of<server_spec>(map_of({{"tags", list_of({str("a"), node{}})}})) ==
          lines{"spec.tags[1]: expected a string, got null"});
    CHECK(problems_of<server_spec>(map_of({{"header", map_of({{"X", node{}}})}})) ==
          lines{R"(spec.header["X"]: expected a string, got null)"});
    CHECK(problems_of<server_spec>(map_of({{"virtualHosts", list_of({node{}})}})) ==
          lines{"spec.virtualHosts[0]: expected a map, got null"});
}

TEST_CASE("optional fields are engaged by any non-null value, zero included", "[config][decode]")
{
    server_spec spec;
    REQUIRE(problems_of(map_of({{"limit", num(0)}, {"listenConfig", node::make_map()}}), spec) ==
            lines{});
    CHECK(spec.limit == 0);
    REQUIRE(spec.listen);
    CHECK(spec.listen->backlog == 128);   // engaged starting from the struct's defaults

    // A bad value still counts as given: the field is engaged with what could be decoded.
    server_spec bad;
    CHECK(problems_of(map_of({{"limit", str("x")}, {"listenConfig", map_of({{"backlog", str("y")}})}}),
                      bad)
              .size() == 2);
    CHECK(bad.limit == 0);
    CHECK(bad.listen == listen_config{});
}

TEST_CASE("an engaged optional struct merges the document into its value", "[config][decode]")
{
    server_spec spec;
    spec.listen = listen_config{":5", 7};
    REQUIRE(problems_of(map_of({{"listenConfig", map_of({{"backlog", num(9)}})}}), spec) == lines{});
    CHECK(*spec.listen == listen_config{":5", 9});
}

TEST_CASE("required fields are reported when absent or null", "[config][decode]")
{
    CHECK(problems_of<header_spec>(node::make_map()) == lines{"spec.name: is required"});
    CHECK(problems_of<header_spec>(map_of({{"name", node{}}})) == lines{"spec.name: is required"});
    CHECK(problems_of<header_spec>(map_of({{"name", str("X")}})) == lines{});
    CHECK(problems_of<server_spec>(map_of({{"virtualHosts", list_of({map_of({{"handlers", list_of({node::make_map()})}})})}})) ==
          lines{"spec.virtualHosts[0].handlers[0].handler: is required"});
}

TEST_CASE("references default namespace and name and check their patterns", "[config][decode]")
{
    config::reference r;
    REQUIRE(problems_of(map_of({{"apiVersion", str("core/v1")},
                                {"kind", str("HTTPHandler")},
                                {"namespace", str("")},
                                {"name", str("a-b.c")}}),
                        r) == lines{});
    CHECK(r.id() == "core/v1/HTTPHandler/default/a-b.c");
    CHECK_FALSE(r.empty());

    config::reference by_proto_names;
    REQUIRE(problems_of(map_of({{"APIVersion", str("app/v1")}, {"Kind", str("X")},
                                {"Namespace", str("ns")}, {"Name", str("n")}}),
                        by_proto_names) == lines{});
    CHECK(by_proto_names.id() == "app/v1/X/ns/n");

    CHECK(problems_of<config::reference>(node::make_map()) ==
          lines{"spec.apiVersion: is required", "spec.kind: is required"});
    CHECK(problems_of<config::reference>(map_of({{"apiVersion", str("core")},
                                                 {"kind", str("HTTP-Handler")},
                                                 {"namespace", str("a b")},
                                                 {"name", str("x/y")}})) ==
          lines{
              R"(spec.apiVersion: "core" does not match ^[0-9A-Za-z]+/[0-9A-Za-z]+$)",
              R"(spec.kind: "HTTP-Handler" does not match ^[0-9A-Za-z]+$)",
              R"(spec.namespace: "a b" does not match ^[0-9A-Za-z-.]*$)",
              R"(spec.name: "x/y" does not match ^[0-9A-Za-z-.]*$)",
          });
}

TEST_CASE("references know their id, emptiness and where they were written", "[config][decode]")
{
    config::reference empty;
    CHECK(empty.empty());
    CHECK(empty.id() == "//default/default");
    CHECK(config::reference{"core/v1", "HTTPServer", "default", "x"}.id() ==
          "core/v1/HTTPServer/default/x");

    node handler = ref("core/v1", "EchoHandler");
    handler.set_where(at(7, 9));
    server_spec spec;
    REQUIRE(problems_of(map_of({{"virtualHosts", list_of({map_of({{"handlers", list_of({node::make_map(), map_of({{"handler", handler}})})}})})}}),
                        spec) == lines{"spec.virtualHosts[0].handlers[0].handler: is required"});
    REQUIRE(spec.virtual_hosts.size() == 1);
    REQUIRE(spec.virtual_hosts[0].handlers.size() == 2);   // the bad element is kept
    CHECK(spec.virtual_hosts[0].handlers[0].handler.empty());
    const config::reference& r = spec.virtual_hosts[0].handlers[1].handler;
    CHECK(r.path == "spec.virtualHosts[0].handlers[1].handler");
    CHECK(r.where.line == 7);
    CHECK(r.where.column == 9);
}

TEST_CASE("paths name list indexes and map keys", "[config][decode]")
{
    CHECK(problems_of<server_spec>(map_of({{"virtualHosts", list_of({map_of({}), map_of({{"handlers", list_of({map_of({{"handler", ref("core/v1", "Echo")}}), map_of({{"handler", ref("core/v1", "a.b")}})})}})})}})) ==
          lines{R"(spec.virtualHosts[1].handlers[1].handler.kind: "a.b" does not match ^[0-9A-Za-z]+$)"});
    CHECK(problems_of<server_spec>(map_of({{"header", map_of({{"X-\"A\"", num(1)}})}})) ==
          lines{R"(spec.header["X-\"A\""]: expected a string, got an integer (1); quote it)"});
}

TEST_CASE("raw node fields keep the document for decoding later", "[config][decode]")
{
    server_spec spec;
    REQUIRE(problems_of(map_of({{"extra", map_of({{"addr", num(1, at(4, 9))}}, at(4, 3))}}), spec) ==
            lines{});
    REQUIRE(spec.extra.is_map());

    // Later, a factory decodes the raw node with the decoder's path bookkeeping.
    config::diagnostics diag;
    config::decoder d{diag, "core/v1/Test/default/t"};
    listen_config later;
    d.decode("extra", spec.extra, later);
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].path == "spec.extra.addr");
    CHECK(diag.problems()[0].where.line == 4);
    CHECK(diag.problems()[0].where.column == 9);
    CHECK(d.path() == "spec");
}

TEST_CASE("every problem of a document is reported in one pass", "[config][decode]")
{
    CHECK(problems_of<server_spec>(map_of({{"addr", num(1)},
                                           {"nope", num(1)},
                                           {"tags", list_of({num(1), str("ok"), num(2)})},
                                           {"matchType", str("exact")},
                                           {"httpConfig", map_of({{"backlog", str("x")}, {"port", num(1)}})}})) ==
          lines{
              "spec.addr: expected a string, got an integer (1); quote it",
              R"(spec.nope: unknown field "nope"; expected one of: addr, shutdownTimeout, readTimeout, maxStreams, enable, keepAlive, ratio, matchType, tags, header, limit, listenConfig, httpConfig, httpTransportConfig, virtualHosts, errorHandler, slots, extra)",
              "spec.tags[0]: expected a string, got an integer (1); quote it",
              "spec.tags[2]: expected a string, got an integer (2); quote it",
              R"(spec.matchType: unknown enum value "exact"; expected one of: Exact, Prefix, Suffix)",
              R"(spec.httpConfig.backlog: expected an integer, got a string ("x"))",
              R"(spec.httpConfig.port: unknown field "port"; expected one of: addr, backlog)",
          });
}

TEST_CASE("normalize reports at field paths with the field's position", "[config][decode]")
{
    const node doc = map_of({{"shutdownTimeout", num(-5, at(3, 20)), at(3, 3)},
                             {"listenConfig", map_of({{"addr", str("bad", at(5, 11)), at(5, 5)}}, at(5, 5)), at(4, 3)},
                             {"addr", str("nohttp", at(6, 9)), at(6, 3)}},
                            at(2, 3));
    server_spec spec;
    config::diagnostics diag;
    CHECK_FALSE(config::decode(doc, spec, diag, "core/v1/HTTPServer/default/x"));
    REQUIRE(diag.problems().size() == 3);
    CHECK(diag.problems()[0].to_string() ==
          "test.yaml:3:20: core/v1/HTTPServer/default/x: spec.shutdownTimeout: must be >= 0");
    CHECK(diag.problems()[1].to_string() ==
          "test.yaml:5:11: core/v1/HTTPServer/default/x: spec.listenConfig.addr: is not an address");
    // httpConfig is absent: the problem points at the spec itself.
    CHECK(diag.problems()[2].to_string() ==
          "test.yaml:2:3: core/v1/HTTPServer/default/x: spec.httpConfig.addr: needs an address");
}

TEST_CASE("normalize is skipped for a struct that did not decode cleanly", "[config][decode]")
{
    server_spec spec;
    CHECK(problems_of(map_of({{"shutdownTimeout", num(-5)}, {"enable", num(1)}}), spec) ==
          lines{"spec.enable: expected a boolean, got an integer (1)"});
    CHECK(spec.normalized == 0);
}

TEST_CASE("type problems point at the value, or at its key when the value has no position", "[config][decode]")
{
    config::diagnostics diag;
    server_spec spec;
    config::decode(map_of({{"enable", num(1, at(9, 12)), at(9, 3)}, {"keepAlive", num(1), at(10, 3)}}),
                   spec, diag, "r", "items[3].spec");
    REQUIRE(diag.problems().size() == 2);
    CHECK(diag.problems()[0].where.line == 9);
    CHECK(diag.problems()[0].where.column == 12);
    CHECK(diag.problems()[0].path == "items[3].spec.enable");
    CHECK(diag.problems()[1].where.line == 10);
    CHECK(diag.problems()[1].where.column == 3);
}

TEST_CASE("decode returns true only when it added no problem", "[config][decode]")
{
    config::diagnostics diag;
    diag.add(config::mark{}, "an earlier problem");
    listen_config out;
    CHECK(config::decode(map_of({{"addr", str(":1")}}), out, diag, "r"));
    CHECK_FALSE(config::decode(map_of({{"addr", num(1)}}), out, diag, "r"));
    CHECK(diag.problems().size() == 2);
    CHECK(diag.problems()[1].resource == "r");
}

TEST_CASE("encode writes every field under its JSON name", "[config][decode]")
{
    server_spec spec;
    spec.listen = listen_config{":7", 1};
    spec.error_handler = {"core/v1", "ErrorHandler", "default", "eh"};
    spec.header = {{"X-A", "1"}};
    const node n = config::encode(spec);
    REQUIRE(n.is_map());
    std::vector<std::string> keys;
    for (const config::map_entry& e : n.as_map()) keys.push_back(e.key);
    CHECK(keys == std::vector<std::string>{"addr", "shutdownTimeout", "readTimeout", "maxStreams",
                                           "enable", "keepAlive", "ratio", "matchType", "tags",
                                           "header", "limit", "listenConfig", "httpConfig",
                                           "httpTransportConfig", "virtualHosts", "errorHandler",
                                           "slots", "extra"});
    CHECK(same(*n.find("addr"), str(":8080")));
    CHECK(same(*n.find("readTimeout"), num(30)));
    CHECK(same(*n.find("keepAlive"), node{true}));
    CHECK(same(*n.find("ratio"), node{0.5}));
    CHECK(same(*n.find("matchType"), str("Prefix")));
    CHECK(same(*n.find("tags"), list_of({})));
    CHECK(same(*n.find("header"), map_of({{"X-A", str("1")}})));
    CHECK(n.find("limit")->is_null());
    CHECK(same(*n.find("listenConfig"), map_of({{"addr", str(":7")}, {"backlog", num(1)}})));
    CHECK(same(*n.find("errorHandler"), map_of({{"apiVersion", str("core/v1")},
                                                {"kind", str("ErrorHandler")},
                                                {"namespace", str("default")},
                                                {"name", str("eh")}})));
    CHECK(n.find("extra")->is_null());
    CHECK(config::encode(config::reference{}).is_null());   // an unset reference
}

TEST_CASE("encoding the defaults and decoding the result gives the defaults back", "[config][decode]")
{
    const node encoded = config::encode(plain_spec{});
    plain_spec decoded;
    REQUIRE(problems_of(encoded, decoded) == lines{});
    CHECK(decoded == plain_spec{});

    plain_spec changed;
    changed.addr = ":1";
    changed.read_timeout = 5;
    changed.keep_alive = false;   // a zero value: encode writes it, decode into defaults ignores it
    changed.tags = {"a"};
    changed.weights = {{"w", 3}};
    changed.limit = 0;
    changed.listen = listen_config{":2", 3};
    changed.handler = {"core/v1", "EchoHandler", "default", "e"};
    plain_spec round_trip;
    REQUIRE(problems_of(config::encode(changed), round_trip) == lines{});
    CHECK(same(config::encode(round_trip), [&] {
        plain_spec expected = changed;
        expected.keep_alive = true;
        return config::encode(expected);
    }()));
}
