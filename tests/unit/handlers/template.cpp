#include <aileron/handlers/template.hpp>   // first: the header is self-contained

#include <aileron/config/diagnostics.hpp>
#include <aileron/config/source.hpp>
#include <aileron/registry/registry.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace aileron;
using handlers::mime_content_spec;
using handlers::template_handler;
using handlers::template_type;

namespace {

mime_content_spec content(std::string mime, std::string tpl, template_type type = template_type::text, int status = 0) {
    mime_content_spec c;
    c.mime_type = std::move(mime);
    c.template_text = std::move(tpl);
    c.type = type;
    c.status_code = status;
    return c;
}

template_handler make(std::vector<mime_content_spec> cs) {
    template_handler::config cfg;
    cfg.mime_contents = std::move(cs);
    return template_handler{cfg};
}

response get(const template_handler& h, std::string_view target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    request req{http::verb::get, target};
    for (auto& [k, v] : headers) req.insert(k, v);
    return test::run_task(h(req));
}

std::string header(const response& res, std::string_view name) {
    auto it = res.find(name);
    return it == res.end() ? "<none>" : std::string{it->value()};
}

/// Decodes a TemplateHandler spec as the config loader does; returns the problems.
std::string decode_problems(std::string_view yaml) {
    registry reg;
    register_builtins(reg);
    config::diagnostics diag;
    auto docs = config::parse_documents(yaml, "t.yaml", config::format::yaml, diag);
    REQUIRE(diag.ok());
    const kind_entry* e = reg.find("core/v1", "TemplateHandler");
    REQUIRE(e);
    e->decode(docs[0].root.find("spec"), diag, "core/v1/TemplateHandler/default/t");
    return diag.to_string();
}

}  // namespace

TEST_CASE("template_handler: content chosen by Accept with path.Match, in list order", "[handlers][template]") {
    auto h = make({content("application/json", "{}"), content("text/html", "<p/>"), content("text/plain", "plain")});
    CHECK(h.select("text/html") == 1);
    CHECK(h.select("text/*") == 1);
    CHECK(h.select("*/*") == 0);
    CHECK(h.select("image/png, text/plain;q=0.1, application/json") == 2);   // q-values ignored
    CHECK(h.select("TEXT/PLAIN") == 2);
    CHECK(h.select("image/png") == -1);
    CHECK(h.select("") == 0);   // no Accept: */* (AILERON: 406)
    CHECK(h.select("text/[") == -1);
}

TEST_CASE("template_handler: response headers, status and the 406", "[handlers][template]") {
    auto c = content("text/plain", "hello {{.path}}", template_type::text, 201);
    c.header = {{"x-custom", "v"}, {"cache-control", "no-store"}};
    auto h = make({c});
    response res = get(h, "/a", {{"Accept", "text/plain"}});
    CHECK(res.result_int() == 201);
    CHECK(res.body() == "hello {{.path}}");   // Text: as written
    CHECK(header(res, "Content-Type") == "text/plain; charset=utf-8");
    CHECK(header(res, "X-Content-Type-Options") == "nosniff");
    CHECK(header(res, "Vary") == "Accept");
    CHECK(header(res, "X-Custom") == "v");
    CHECK(header(res, "Cache-Control") == "no-store");

    res = get(h, "/a");
    CHECK(res.result_int() == 201);   // no Accept header: */*

    res = get(h, "/a", {{"Accept", "application/json"}});
    CHECK(res.result_int() == 406);
    CHECK(res.body() == R"({"status":406,"statusText":"Not Acceptable"})");
}

TEST_CASE("template_handler: GoText and GoHTML see the request", "[handlers][template]") {
    auto h = make({content("text/plain",
                           "{{.proto}} {{.method}} {{.host}} {{.path}} {{index .header \"Accept\"}} "
                           "{{index .query \"q\" 0}}|{{range .query.m}}{{.}},{{end}}|{{.header.Missing}}",
                           template_type::go_text),
                   content("text/html", "<p>{{index .query \"q\" 0}}</p>", template_type::go_html)});
    response res = get(h, "/a%20b?q=%3Cx%3E+y&m=1&m=2", {{"Accept", "text/plain"}, {"Host", "example.test"}});
    CHECK(res.body() == "HTTP/1.1 GET example.test /a b [text/plain] <x> y|1,2,|<no value>");
    res = get(h, "/?q=%3Cx%3E+y", {{"Accept", "text/html"}});
    CHECK(res.body() == "<p>&lt;x&gt; y</p>");
    CHECK(header(res, "Content-Type") == "text/html; charset=utf-8");
}

TEST_CASE("template_handler: an execution error gives an empty body", "[handlers][template]") {
    auto h = make({content("text/plain", "before {{.path.x}}", template_type::go_text)});
    response res = get(h, "/p");
    CHECK(res.result_int() == 200);
    CHECK(res.body().empty());
}

TEST_CASE("template_handler: defaults, file, and config problems", "[handlers][template]") {
    mime_content_spec c;
    std::string error;
    REQUIRE(c.prepare(error));
    CHECK(c.mime_type == "text/plain");
    CHECK(c.status_code == 200);

    auto dir = std::filesystem::temp_directory_path() / ("aileron-tpl-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto file = (dir / "page.html").string();
    std::ofstream{file} << "<h1>{{.method}}</h1>";
    auto h = make({[&] {
        auto x = content("text/html", "ignored", template_type::go_html);
        x.template_file = file;
        return x;
    }()});
    CHECK(get(h, "/").body() == "<h1>GET</h1>");

    CHECK_THROWS_AS(make({content("text/plain", "{{.a", template_type::go_text)}), std::invalid_argument);

    std::string p = decode_problems("spec:\n  mimeContents:\n    - templateFile: /nonexistent/x.tpl\n");
    CHECK_THAT(p, Catch::Contains("spec.mimeContents[0].templateFile") && Catch::Contains("/nonexistent/x.tpl"));
    p = decode_problems("spec:\n  mimeContents:\n    - {templateType: GoText, template: \"a\\n{{if .x}}\"}\n");
    CHECK_THAT(p, Catch::Contains("spec.mimeContents[0].template") && Catch::Contains("template: template:2:10: unexpected EOF"));
    p = decode_problems("spec:\n  mimeContents:\n    - {mimeType: text, statusCode: 1000}\n");
    CHECK_THAT(p, Catch::Contains("mimeType"));
    CHECK(decode_problems("spec:\n  mimeContents:\n    - {mimeType: application/json, templateType: GoHTML, template: \"{{.path}}\"}\n").empty());
    std::filesystem::remove_all(dir);
}
