#include <aileron/template/text_template.hpp>   // first: the header is self-contained

#include <aileron/config/diagnostics.hpp>
#include <aileron/config/source.hpp>

#include <catch2/catch.hpp>

using namespace aileron;

namespace {

config::node data(std::string_view yaml) {
    config::diagnostics diag;
    auto docs = config::parse_documents(yaml, "data.yaml", config::format::yaml, diag);
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 1);
    return docs[0].root;
}

const char* const sample = R"(
a: hello
n: 42
f: 1.5
big: 1234567.0
t: true
e: ""
list: [x, y, z]
empty: []
m: {b: inner, c: [1, 2]}
header: {Accept: [text/html, "*/*"]}
html: <b>"Tom" & 'Jerry'+</b>
)";

std::string run(std::string_view src, text_template::escaping esc = text_template::escaping::none) {
    std::string error;
    auto t = text_template::parse(src, "t", esc, error);
    INFO(error);
    REQUIRE(t);
    std::string out;
    REQUIRE(t->execute(data(sample), out, error));
    return out;
}

std::string parse_error(std::string_view src) {
    std::string error;
    auto t = text_template::parse(src, "t", text_template::escaping::none, error);
    CHECK_FALSE(t);
    return error;
}

std::string exec_error(std::string_view src) {
    std::string error;
    auto t = text_template::parse(src, "t", text_template::escaping::none, error);
    REQUIRE(t);
    std::string out;
    CHECK_FALSE(t->execute(data(sample), out, error));
    return error;
}

}  // namespace

TEST_CASE("text_template: text passes through, fields print as Go prints them", "[template]") {
    CHECK(run("plain { text } with } braces") == "plain { text } with } braces");
    CHECK(run("") == "");
    CHECK(run("{{.a}} {{.n}} {{.f}} {{.big}} {{.t}} [{{.e}}]") == "hello 42 1.5 1.234567e+06 true []");
    CHECK(run("{{.m.b}}|{{.m.c}}|{{.list}}") == "inner|[1 2]|[x y z]");
    CHECK(run("{{.m}}") == "map[b:inner c:[1 2]]");
    CHECK(run("{{.missing}}|{{.m.missing}}") == "<no value>|<no value>");
    CHECK(run("{{\"lit\"}} {{`raw\\n`}} {{7}} {{true}}") == "lit raw\\n 7 true");
}

TEST_CASE("text_template: index, len, not", "[template]") {
    CHECK(run(R"({{index .header "Accept"}})") == "[text/html */*]");
    CHECK(run(R"({{index .header "Accept" 1}})") == "*/*");
    CHECK(run(R"({{index .list 0}}{{index .m "b"}})") == "xinner");
    CHECK(run(R"({{index .header "Nope"}})") == "<no value>");
    CHECK(run("{{len .list}} {{len .a}} {{not .t}} {{not .e}}") == "3 5 false true");
}

TEST_CASE("text_template: if, else if, else and range", "[template]") {
    CHECK(run("{{if .t}}yes{{end}}") == "yes");
    CHECK(run("{{if .e}}yes{{else}}no{{end}}") == "no");
    CHECK(run("{{if .missing}}a{{else if .n}}b{{else}}c{{end}}") == "b");
    CHECK(run("{{if .missing}}a{{else if .e}}b{{else}}c{{end}}") == "c");
    CHECK(run("{{range .list}}<{{.}}>{{end}}") == "<x><y><z>");
    CHECK(run("{{range .empty}}x{{else}}none{{end}}") == "none");
    CHECK(run("{{range .missing}}x{{else}}none{{end}}") == "none");
    CHECK(run("{{range .m}}({{.}}){{end}}") == "(inner)([1 2])");
    CHECK(run("{{range .list}}{{if .}}{{.}}{{end}}{{end}}") == "xyz");
}

TEST_CASE("text_template: comments and trim markers", "[template]") {
    CHECK(run("a {{/* hidden */}} b") == "a  b");
    CHECK(run("a  {{- /* hidden */ -}}  \n b") == "ab");
    CHECK(run("x \n {{- .a -}} \n y") == "xhelloy");
    CHECK(run("{{-3}}") == "-3");   // not a trim marker without a space
    CHECK(run("<ul>\n{{- range .list}}\n  <li>{{.}}</li>\n{{- end}}\n</ul>") ==
          "<ul>\n  <li>x</li>\n  <li>y</li>\n  <li>z</li>\n</ul>");
}

TEST_CASE("text_template: HTML escaping of inserted values only", "[template]") {
    CHECK(run("<p>{{.html}}</p>", text_template::escaping::html) ==
          "<p>&lt;b&gt;&#34;Tom&#34; &amp; &#39;Jerry&#39;&#43;&lt;/b&gt;</p>");
    CHECK(run("<p>{{.missing}}</p>", text_template::escaping::html) == "<p></p>");
    CHECK(run("{{.html}}") == "<b>\"Tom\" & 'Jerry'+</b>");
}

TEST_CASE("text_template: syntax errors give the position", "[template]") {
    CHECK(parse_error("ab\ncd {{.a") == "template: t:2:4: unclosed action");
    CHECK(parse_error("{{if .a}}x") == "template: t:1:11: unexpected EOF");
    CHECK(parse_error("x{{end}}") == "template: t:1:4: unexpected {{end}}");
    CHECK(parse_error("{{else}}") == "template: t:1:3: unexpected {{else}}");
    CHECK(parse_error("{{printf .a}}") == "template: t:1:3: function \"printf\" not defined");
    CHECK(parse_error("{{.a .b}}") == "template: t:1:6: can't give argument to non-function .a");
    CHECK(parse_error("{{/* open }}") == "template: t:1:3: unclosed comment");
    CHECK(parse_error("{{\"abc}}") == "template: t:1:3: unterminated quoted string");
    CHECK(parse_error("{{$x := 1}}") == "template: t:1:3: variables are not supported by aileron's templates");
    CHECK(parse_error("{{}}") == "template: t:1:1: missing value for command");
}

TEST_CASE("text_template: execution errors", "[template]") {
    CHECK(exec_error("{{.a.b}}") == "template: t:1:3: executing at <.a.b>: can't evaluate field b in type string");
    CHECK(exec_error("{{.missing.b}}") == "template: t:1:3: executing at <.missing.b>: nil pointer evaluating interface {}.b");
    CHECK(exec_error("{{index .list 5}}") == "template: t:1:3: executing at <index .list 5>: error calling index: index out of range: 5");
    CHECK(exec_error("{{range .a}}{{end}}") == "template: t:1:3: executing at <range .a>: range can't iterate over hello");
}

TEST_CASE("template_print: Go's %v of floats", "[template]") {
    auto f = [](double d) {
        config::node n{d};
        return template_print(&n);
    };
    CHECK(f(1.0) == "1");
    CHECK(f(123456.0) == "123456");
    CHECK(f(1e6) == "1e+06");
    CHECK(f(0.0001) == "0.0001");
    CHECK(f(0.00001) == "1e-05");
    CHECK(f(-2.5) == "-2.5");
    CHECK(template_print(nullptr) == "<no value>");
}
