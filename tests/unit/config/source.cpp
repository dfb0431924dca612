#include <aileron/config/source.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace aileron::config;
namespace fs = std::filesystem;

namespace {

std::vector<document>
parse(std::string_view text, format fmt, diagnostics& diag, std::string file = "test.yaml")
{
    return parse_documents(text, std::move(file), fmt, diag);
}

/// Follows a dotted path of map keys (and [i] list indexes as plain numbers); fails the test when absent.
const node&
at(const node& root, std::initializer_list<std::string_view> path)
{
    const node* n = &root;
    for (std::string_view key : path) {
        if (n->is_sequence()) {
            const std::size_t i = std::stoul(std::string(key));
            REQUIRE(i < n->as_sequence().size());
            n = &n->as_sequence()[i];
        } else {
            INFO("key " << key);
            n = n->find(key);
            REQUIRE(n != nullptr);
        }
    }
    return *n;
}

/// A fresh folder under /tmp, removed with everything in it when the test ends.
class temp_dir {
public:
    temp_dir()
    {
        std::string templ = (fs::temp_directory_path() / "aileron-config-test-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path_ = templ;
    }
    ~temp_dir()
    {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    std::string write(const std::string& name, std::string_view text) const
    {
        const fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

}  // namespace

//----------------------------------------------------------------------------------------------
// format_of

TEST_CASE("format_of knows yaml, yml, json and toml and nothing else", "[config][source]")
{
    format f{};
    CHECK((format_of("a/b.yaml", f) && f == format::yaml));
    CHECK((format_of("b.yml", f) && f == format::yaml));
    CHECK((format_of("b.json", f) && f == format::json));
    CHECK((format_of("b.toml", f) && f == format::toml));
    CHECK_FALSE(format_of("b.txt", f));
    CHECK_FALSE(format_of("yaml", f));
    CHECK_FALSE(format_of("b.yaml.bak", f));
}

//----------------------------------------------------------------------------------------------
// Splitting YAML files

TEST_CASE("a value in the second document keeps its line in the file", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("apiVersion: core/v1\n"   // 1
                            "kind: A\n"               // 2
                            "---\n"                   // 3
                            "# the second one\n"      // 4
                            "apiVersion: core/v1\n"   // 5
                            "kind: B\n"               // 6
                            "spec:\n"                 // 7
                            "  port: 8080\n",         // 8
                            format::yaml, diag);
    INFO(diag.to_string());
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 2);
    const node& port = at(docs[1].root, {"spec", "port"});
    CHECK(port.as_int() == 8080);
    CHECK(port.where().line == 8);
    CHECK(port.where().column == 9);
    REQUIRE(port.where().file);
    CHECK(*port.where().file == "test.yaml");
    CHECK(docs[1].where.line == 5);
    CHECK(docs[0].where.line == 1);
    CHECK(at(docs[0].root, {"kind"}).as_string() == "A");
}

TEST_CASE("CRLF files split and mark like LF files", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("kind: A\r\n---\r\nkind: B\r\nname: x\r\n", format::yaml, diag);
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 2);
    CHECK(at(docs[1].root, {"name"}).as_string() == "x");
    CHECK(at(docs[1].root, {"name"}).where().line == 4);
}

TEST_CASE("only a line that is exactly --- splits, an indented one stays text", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("kind: A\n"
                            "text: |\n"
                            "  before\n"
                            "  ---\n"
                            "  after\n",
                            format::yaml, diag);
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 1);
    CHECK(at(docs[0].root, {"text"}).as_string() == "before\n---\nafter\n");
}

TEST_CASE("empty and comment-only documents are skipped", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("---\n# nothing here\n---\n\n   \n---\nkind: A\n---\n", format::yaml, diag);
    CHECK(diag.ok());
    REQUIRE(docs.size() == 1);
    CHECK(docs[0].where.line == 7);
}

TEST_CASE("a document that is not a map is a problem", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("kind: A\n---\n- a\n- b\n", format::yaml, diag);
    CHECK(docs.size() == 1);
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].where.line == 3);
    CHECK_THAT(diag.problems()[0].message, Catch::Contains("must be a map") && Catch::Contains("a list"));
}

//----------------------------------------------------------------------------------------------
// YAML scalars

TEST_CASE("YAML plain scalars are typed with the YAML 1.2 core schema", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("n1: null\nn2: ~\nn3:\nn4: NULL\n"
                            "b1: true\nb2: True\nb3: FALSE\n"
                            "i1: 42\ni2: -7\ni3: +3\ni4: 0x1F\ni5: 0o17\n"
                            "f1: 1.5\nf2: 1e3\nf3: -.5\nf4: .inf\nf5: -.Inf\nf6: .nan\nf7: 99999999999999999999\n"
                            "s1: yes\ns2: on\ns3: 1.2.3\ns4: 0x\ns5: 0b101\ns6: hello world\ns7: 08:30\n",
                            format::yaml, diag);
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 1);
    const node& r = docs[0].root;
    for (auto key : {"n1", "n2", "n3", "n4"}) {
        INFO(key);
        CHECK(at(r, {key}).is_null());
    }
    CHECK(at(r, {"b1"}).as_bool());
    CHECK(at(r, {"b2"}).as_bool());
    CHECK_FALSE(at(r, {"b3"}).as_bool());
    CHECK(at(r, {"i1"}).as_int() == 42);
    CHECK(at(r, {"i2"}).as_int() == -7);
    CHECK(at(r, {"i3"}).as_int() == 3);
    CHECK(at(r, {"i4"}).as_int() == 31);
    CHECK(at(r, {"i5"}).as_int() == 15);
    CHECK(at(r, {"f1"}).as_double() == 1.5);
    CHECK(at(r, {"f2"}).as_double() == 1000.0);
    CHECK(at(r, {"f3"}).as_double() == -0.5);
    CHECK(std::isinf(at(r, {"f4"}).as_double()));
    CHECK(at(r, {"f5"}).as_double() < 0);
    CHECK(std::isnan(at(r, {"f6"}).as_double()));
    CHECK(at(r, {"f7"}).as_double() == 1e20);   // too big for an integer: a float, as in yaml.v3
    for (auto key : {"s1", "s2", "s3", "s4", "s5", "s6", "s7"}) {
        INFO(key);
        CHECK(at(r, {key}).kind() == node::type::string);
    }
    CHECK(at(r, {"s1"}).as_string() == "yes");
    CHECK(at(r, {"n3"}).where().line == 3);
}

TEST_CASE("a quoted YAML number stays a string", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("a: \"42\"\nb: 'true'\nc: \"null\"\nd: \"\"\ne: |\n  7\nf: !!str 1.5\n", format::yaml, diag);
    REQUIRE(diag.ok());
    const node& r = docs.at(0).root;
    CHECK(at(r, {"a"}).as_string() == "42");
    CHECK(at(r, {"b"}).as_string() == "true");
    CHECK(at(r, {"c"}).as_string() == "null");
    CHECK(at(r, {"d"}).as_string().empty());
    CHECK(at(r, {"e"}).as_string() == "7\n");
    CHECK(at(r, {"f"}).as_string() == "1.5");
}

TEST_CASE("map entries keep document order and key positions", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("zeta: 1\nalpha: 2\nmid:\n  - x\n  - {k: v}\n", format::yaml, diag);
    REQUIRE(diag.ok());
    const auto& entries = docs.at(0).root.as_map();
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].key == "zeta");
    CHECK(entries[1].key == "alpha");
    CHECK(entries[1].key_mark.line == 2);
    CHECK(entries[1].key_mark.column == 1);
    CHECK(at(docs[0].root, {"mid", "1", "k"}).as_string() == "v");
    CHECK(at(docs[0].root, {"mid", "1", "k"}).where().line == 5);
}

TEST_CASE("a duplicate YAML key is a problem at the second key", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("kind: A\nspec:\n  port: 1\n  port: 2\n", format::yaml, diag);
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].where.line == 4);
    CHECK(diag.problems()[0].where.column == 3);
    CHECK_THAT(diag.problems()[0].message, Catch::Contains("duplicate key \"port\"") && Catch::Contains("line 3"));
    CHECK(at(docs.at(0).root, {"spec", "port"}).as_int() == 1);
}

TEST_CASE("anchors, aliases and merge keys work", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("base: &b\n  x: 1\n  y: 2\nlist: [*b]\nder:\n  <<: *b\n  y: 3\n", format::yaml, diag);
    REQUIRE(diag.ok());
    const node& r = docs.at(0).root;
    CHECK(at(r, {"list", "0", "x"}).as_int() == 1);
    CHECK(at(r, {"der", "x"}).as_int() == 1);
    CHECK(at(r, {"der", "y"}).as_int() == 3);   // explicit keys win over merged ones
    CHECK(at(r, {"der"}).find("<<") == nullptr);
}

TEST_CASE("a self-referencing alias is a problem, not a crash", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("a: &x [*x]\n", format::yaml, diag);
    CHECK(docs.empty());
    CHECK_FALSE(diag.ok());
}

TEST_CASE("an alias bomb is cut off with a problem", "[config][source][yaml]")
{
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {   // 10^9 values once expanded
        text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) text += (j ? ", *a" : "*a") + std::to_string(i - 1);
        text += "]\n";
    }
    diagnostics diag;
    CHECK(parse(text, format::yaml, diag).empty());
    REQUIRE(diag.problems().size() == 1);
    CHECK_THAT(diag.problems()[0].message, Catch::Contains("too many values"));
}

TEST_CASE("a YAML syntax error names file:line:col, counted from the top of the file", "[config][source][yaml]")
{
    diagnostics diag;
    const auto docs = parse("kind: A\n---\nkind: B\nlist: [1, 2\nnext: 3\n", format::yaml, diag, "bad.yaml");
    CHECK(docs.size() == 1);   // the first document is still read
    REQUIRE(diag.problems().size() == 1);
    const problem& p = diag.problems()[0];
    CHECK(p.where.line == 5);
    CHECK(p.where.column > 0);
    CHECK_THAT(p.to_string(), Catch::StartsWith("bad.yaml:5:") && Catch::Contains("invalid YAML"));
}

TEST_CASE("a YAML or JSON document that is not UTF-8 is a problem at the bad byte", "[config][source][yaml]")
{
    // Found by fuzz_config: yaml-cpp took the byte 0x9C into a key, and the TOML printer then wrote
    // a file that no TOML parser reads.
    diagnostics diag;
    const auto docs = parse("kind: A\n---\nspec:\n  \x9c" "atchType: Prefix\n", format::yaml, diag, "bad.yaml");
    CHECK(docs.size() == 1);   // the first document is still read
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].to_string() == "bad.yaml:4:3: invalid YAML: not UTF-8 (byte 0x9C)");

    diagnostics json;
    parse("{\"a\": \"\xed\xa0\x80\"}\n", format::json, json, "x.json");   // a UTF-16 surrogate
    REQUIRE(json.problems().size() == 1);
    CHECK(json.problems()[0].to_string() == "x.json:1:8: invalid JSON: not UTF-8 (byte 0xED)");

    for (std::string_view bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xf4\x90\x80\x80", "\xf8", "\xe2\x82"}) {
        diagnostics d;
        parse("k: \"" + std::string(bad) + "\"\n", format::yaml, d);
        CHECK_FALSE(d.ok());
    }
    diagnostics ok;
    const auto good = parse("k: \"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n", format::yaml, ok);   // é € 😀
    CHECK(ok.ok());
    REQUIRE(good.size() == 1);
    CHECK(at(good[0].root, {"k"}).as_string() == "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST_CASE("a control character in a YAML or JSON document is a problem at its position, as yaml.v3 has it",
          "[config][source][yaml]")
{
    // Found by fuzz_config: a NUL inside a key came back from the YAML printer as something that
    // no longer read as the same document.
    diagnostics diag;
    parse(std::string_view{"kind: A\nspec:\n  ru\0nners: []\n", 29}, format::yaml, diag, "nul.yaml");
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].to_string() == "nul.yaml:3:5: invalid YAML: control character U+0000 is not allowed");

    for (std::string_view bad : {"\x01", "\x1b", "\x7f", "\xc2\x80", "\xc2\x9f", "\xef\xbf\xbe", "\xef\xbf\xbf"}) {
        diagnostics d;
        parse("k: \"" + std::string(bad) + "\"\n", format::json, d);
        CHECK_FALSE(d.ok());
    }
    // Tab, CR LF, NEL (U+0085) and the rest of Unicode are text.
    diagnostics ok;
    parse("k: \"a\tb \xc2\x85 \xc2\xa0\"\r\nj: 1\r\n", format::yaml, ok);
    CHECK(ok.ok());
}

TEST_CASE("the escapes \\N and \\_ of a double-quoted YAML scalar read as UTF-8 text", "[config][source][yaml]")
{
    // Found by fuzz_config: yaml-cpp 0.7 writes them as the single bytes 0x85 and 0xA0, which the
    // printers then wrote into a file that no longer read back.
    diagnostics d;
    const auto docs = parse("\"k\\N\": \"a\\Nb\\_c \\u00e9\"\n", format::yaml, d);
    REQUIRE(d.ok());
    REQUIRE(docs.size() == 1);
    CHECK(docs[0].root.as_map()[0].key == "k\xc2\x85");
    CHECK(at(docs[0].root, {"k\xc2\x85"}).as_string() == "a\xc2\x85" "b\xc2\xa0" "c \xc3\xa9");
}

TEST_CASE("a comma at the top of a document is a problem at the comma, not a hang", "[config][source][yaml]")
{
    // Found by fuzz_config: yaml-cpp 0.7 leaves a ',' it cannot start a node with unread at the
    // top of a document (as the root, or after a root scalar) and reports empty documents for it
    // without end: YAML::LoadAll never returned.
    for (std::string_view text : {",\n", ", a\n", "  , a\n", "# c\n,\n", "&x ,\n", "!t ,\n", "--- ,\n",
                                  "x: 1\n---\n\n,]\n", "\"x\", y\n", "  a: b\n \"x\", \"y\"\n",
                                  "  - a: b\n    h:\n \"x\", \"y\"\n", "  \"a\"\n \"x\", y\n"}) {
        diagnostics d;
        parse(text, format::yaml, d, "comma.yaml");
        REQUIRE(d.problems().size() == 1);
        CHECK_THAT(d.problems()[0].to_string(), Catch::Contains("did not find expected node content"));
    }
    diagnostics d;
    parse("kind: A\n---\n\n  , a\n", format::yaml, d, "comma.yaml");
    REQUIRE(d.problems().size() == 1);
    CHECK_THAT(d.problems()[0].to_string(), Catch::StartsWith("comma.yaml:4:3: invalid YAML"));
    // A comma anywhere else is for the parser to judge.
    diagnostics fine;
    parse("a: x, y\nb: [1, 2]\nc: \"--- ,\"\n", format::yaml, fine);
    CHECK(fine.ok());
}

//----------------------------------------------------------------------------------------------
// JSON

TEST_CASE("JSON files are read by the YAML parser with JSON types", "[config][source][json]")
{
    diagnostics diag;
    const auto docs = parse("{\n"
                            "  \"apiVersion\": \"core/v1\",\n"
                            "  \"port\": 8080,\n"
                            "  \"ratio\": 0.5,\n"
                            "  \"on\": false,\n"
                            "  \"none\": null,\n"
                            "  \"text\": \"42\",\n"
                            "  \"list\": [1, \"a\", {\"k\":true}],\n"
                            "  \"empty\": {}\n"
                            "}\n",
                            format::json, diag, "x.json");
    INFO(diag.to_string());
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 1);
    const node& r = docs[0].root;
    CHECK(at(r, {"port"}).as_int() == 8080);
    CHECK(at(r, {"port"}).where().line == 3);
    CHECK(at(r, {"ratio"}).as_double() == 0.5);
    CHECK_FALSE(at(r, {"on"}).as_bool());
    CHECK(at(r, {"none"}).is_null());
    CHECK(at(r, {"text"}).as_string() == "42");
    CHECK(at(r, {"list", "2", "k"}).as_bool());
    CHECK(at(r, {"empty"}).is_map());
    CHECK(r.as_map().front().key == "apiVersion");
}

TEST_CASE("JSON files split on --- lines too, and JSON errors say JSON", "[config][source][json]")
{
    diagnostics diag;
    const auto docs = parse("{\"kind\": \"A\"}\n---\n{\"kind\": \"B\",\n \"x\": [1,}\n", format::json, diag, "x.json");
    CHECK(docs.size() == 1);
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].where.line == 4);
    CHECK_THAT(diag.problems()[0].to_string(), Catch::StartsWith("x.json:4:") && Catch::Contains("invalid JSON"));
}

//----------------------------------------------------------------------------------------------
// TOML

TEST_CASE("a TOML file with one resource at the top level is one document", "[config][source][toml]")
{
    diagnostics diag;
    const auto docs = parse("apiVersion = \"core/v1\"\n"      // 1
                            "kind = \"HTTPServer\"\n"         // 2
                            "\n"                              // 3
                            "[metadata]\n"                    // 4
                            "name = \"x\"\n"                  // 5
                            "\n"                              // 6
                            "[spec]\n"                        // 7
                            "port = 8080\n"                   // 8
                            "ratio = 0.25\n"                  // 9
                            "tls = false\n"                   // 10
                            "since = 1979-05-27T07:32:00Z\n"  // 11
                            "hosts = [\"a\", \"b\"]\n",       // 12
                            format::toml, diag, "gw.toml");
    INFO(diag.to_string());
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 1);
    const node& r = docs[0].root;
    const auto& top = r.as_map();
    REQUIRE(top.size() == 4);   // document order, not toml++'s sorted order
    CHECK(top[0].key == "apiVersion");
    CHECK(top[1].key == "kind");
    CHECK(top[2].key == "metadata");
    CHECK(top[3].key == "spec");

    const node& port = at(r, {"spec", "port"});
    CHECK(port.as_int() == 8080);
    CHECK(port.where().line == 8);
    CHECK(port.where().column == 8);
    CHECK(*port.where().file == "gw.toml");
    CHECK(at(r, {"spec"}).as_map()[0].key_mark.line == 8);
    CHECK(at(r, {"spec"}).as_map()[0].key_mark.column == 1);
    CHECK(at(r, {"spec", "ratio"}).as_double() == 0.25);
    CHECK_FALSE(at(r, {"spec", "tls"}).as_bool());
    CHECK(at(r, {"spec", "since"}).as_string() == "1979-05-27T07:32:00Z");
    CHECK(at(r, {"spec", "hosts", "1"}).as_string() == "b");
    CHECK(docs[0].where.line == 1);
}

TEST_CASE("each [[resource]] table of a TOML file is one document", "[config][source][toml]")
{
    diagnostics diag;
    const auto docs = parse("# two resources\n"           // 1
                            "[[resource]]\n"              // 2
                            "apiVersion = \"core/v1\"\n"  // 3
                            "kind = \"A\"\n"              // 4
                            "\n"                          // 5
                            "[[resource]]\n"              // 6
                            "apiVersion = \"app/v1\"\n"   // 7
                            "kind = \"B\"\n"              // 8
                            "[resource.spec]\n"           // 9
                            "  limit = 10\n",             // 10
                            format::toml, diag, "r.toml");
    INFO(diag.to_string());
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 2);
    CHECK(at(docs[0].root, {"kind"}).as_string() == "A");
    CHECK(docs[0].where.line == 2);
    CHECK(docs[1].where.line == 6);
    const node& limit = at(docs[1].root, {"spec", "limit"});
    CHECK(limit.as_int() == 10);
    CHECK(limit.where().line == 10);
    CHECK(limit.where().column == 11);
}

TEST_CASE("a TOML file cannot mix top-level keys with [[resource]]", "[config][source][toml]")
{
    diagnostics diag;
    const auto docs = parse("kind = \"A\"\n[[resource]]\nkind = \"B\"\n", format::toml, diag);
    CHECK(docs.empty());
    REQUIRE(diag.problems().size() == 1);
    CHECK_THAT(diag.problems()[0].message, Catch::Contains("not both"));
}

TEST_CASE("an empty TOML file has no documents", "[config][source][toml]")
{
    diagnostics diag;
    CHECK(parse("# only a comment\n\n", format::toml, diag).empty());
    CHECK(diag.ok());
}

TEST_CASE("a TOML syntax error names file:line:col", "[config][source][toml]")
{
    diagnostics diag;
    const auto docs = parse("kind = \"A\"\nport = = 2\n", format::toml, diag, "bad.toml");
    CHECK(docs.empty());
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].where.line == 2);
    CHECK_THAT(diag.problems()[0].to_string(), Catch::StartsWith("bad.toml:2:") && Catch::Contains("invalid TOML"));
}

//----------------------------------------------------------------------------------------------
// ${VAR} substitution while parsing

TEST_CASE("env substitution runs per document and errors point at the file line", "[config][source][env]")
{
    ::setenv("AILERON_SRC_TEST_PORT", "9090", 1);
    ::unsetenv("AILERON_SRC_TEST_MISSING");
    diagnostics diag;
    const auto docs = parse("kind: ${AILERON_SRC_TEST_KIND:-Default}\n"         // 1
                            "---\n"                                             // 2
                            "kind: B\n"                                         // 3
                            "port: ${AILERON_SRC_TEST_PORT}\n"                  // 4
                            "name: \"${AILERON_SRC_TEST_MISSING:?set it}\"\n",  // 5
                            format::yaml, diag);
    REQUIRE(docs.size() == 2);
    CHECK(at(docs[0].root, {"kind"}).as_string() == "Default");
    CHECK(at(docs[1].root, {"port"}).as_int() == 9090);   // substituted before typing
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].where.line == 5);
    CHECK(diag.problems()[0].where.column == 8);
    CHECK(diag.problems()[0].message == "AILERON_SRC_TEST_MISSING: set it");
    ::unsetenv("AILERON_SRC_TEST_PORT");
}

TEST_CASE("env substitution runs on the whole TOML text", "[config][source][env][toml]")
{
    ::setenv("AILERON_SRC_TEST_LIMIT", "25", 1);
    diagnostics diag;
    const auto docs = parse("kind = \"A\"\nlimit = ${AILERON_SRC_TEST_LIMIT}\n", format::toml, diag);
    REQUIRE(diag.ok());
    CHECK(at(docs.at(0).root, {"limit"}).as_int() == 25);
    ::unsetenv("AILERON_SRC_TEST_LIMIT");
}

//----------------------------------------------------------------------------------------------
// load_documents

TEST_CASE("a folder loads its own config files in name order and ignores the rest", "[config][source][files]")
{
    temp_dir dir;
    dir.write("b.yaml", "kind: B1\n---\nkind: B2\n");
    dir.write("a.json", "{\"kind\": \"A\"}\n");
    dir.write("c.toml", "kind = \"C\"\n");
    dir.write("d.yml", "kind: D\n");
    dir.write("notes.txt", "kind: nope\n");
    dir.write("e.yaml.bak", "kind: nope\n");
    dir.write("sub/f.yaml", "kind: nope\n");   // not recursive

    diagnostics diag;
    const std::vector<std::string> paths{dir.path().string()};
    const auto docs = load_documents(paths, diag);
    INFO(diag.to_string());
    REQUIRE(diag.ok());
    std::vector<std::string> kinds;
    for (const auto& d : docs) kinds.push_back(at(d.root, {"kind"}).as_string());
    CHECK(kinds == std::vector<std::string>{"A", "B1", "B2", "C", "D"});
    CHECK(*docs[2].where.file == (dir.path() / "b.yaml").string());
    CHECK(docs[2].where.line == 3);
}

TEST_CASE("files load in the order given and unreadable paths are problems", "[config][source][files]")
{
    temp_dir dir;
    const std::string second = dir.write("2.yaml", "kind: Second\n");
    const std::string first = dir.write("1.toml", "kind = \"First\"\n");
    const std::string other = dir.write("x.conf", "kind: X\n");
    const std::string missing = (dir.path() / "missing.yaml").string();

    diagnostics diag;
    const std::vector<std::string> paths{second, missing, first, other};
    const auto docs = load_documents(paths, diag);
    REQUIRE(docs.size() == 2);
    CHECK(at(docs[0].root, {"kind"}).as_string() == "Second");
    CHECK(at(docs[1].root, {"kind"}).as_string() == "First");
    REQUIRE(diag.problems().size() == 2);
    CHECK_THAT(diag.problems()[0].to_string(), Catch::StartsWith(missing + ": cannot read"));
    CHECK_THAT(diag.problems()[1].to_string(), Catch::StartsWith(other + ": not a config file"));
}

TEST_CASE("a syntax error in a loaded file names the file", "[config][source][files]")
{
    temp_dir dir;
    const std::string bad = dir.write("bad.yaml", "kind: A\nspec: [\n");
    diagnostics diag;
    const std::vector<std::string> paths{bad};
    CHECK(load_documents(paths, diag).empty());
    REQUIRE(diag.problems().size() == 1);
    CHECK_THAT(diag.problems()[0].to_string(), Catch::StartsWith(bad + ":"));
    CHECK(diag.problems()[0].where.line >= 2);
}
