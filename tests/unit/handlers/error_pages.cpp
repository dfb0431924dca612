#include <aileron/handlers/error_pages.hpp>   // first: the header is self-contained

#include <aileron/config/diagnostics.hpp>
#include <aileron/config/source.hpp>
#include <aileron/registry/registry.hpp>

#include <catch2/catch.hpp>

using namespace aileron;
using handlers::error_message_spec;
using handlers::error_pages;
using handlers::mime_content_spec;
using handlers::template_type;

namespace {

mime_content_spec page(std::string mime, std::string tpl, int status = 0) {
    mime_content_spec c;
    c.mime_type = std::move(mime);
    c.template_text = std::move(tpl);
    c.type = template_type::go_text;
    c.status_code = status;
    return c;
}

const http_error not_found{.status = http::status::not_found, .code = "E2131", .kind = "CoreServerNotFound",
                           .message = "no route matched", .headers = {}};

response make(const error_pages& h, const http_error& err, std::string_view target = "/x",
              std::string_view accept = {}) {
    request req{http::verb::get, target};
    if (!accept.empty()) req.set(http::field::accept, accept);
    return h.make(req, err);
}

std::string header(const response& res, std::string_view name) {
    auto it = res.find(name);
    return it == res.end() ? "<none>" : std::string{it->value()};
}

std::size_t count(const response& res, std::string_view name) {
    auto [b, e] = res.equal_range(name);
    return static_cast<std::size_t>(std::distance(b, e));
}

std::string decode_problems(std::string_view yaml) {
    registry reg;
    register_builtins(reg);
    config::diagnostics diag;
    auto docs = config::parse_documents(yaml, "t.yaml", config::format::yaml, diag);
    REQUIRE(diag.ok());
    const kind_entry* e = reg.find("core/v1", "ErrorHandler");
    REQUIRE(e);
    REQUIRE((e->roles & static_cast<unsigned>(role::error_handler)) != 0);
    e->decode(docs[0].root.find("spec"), diag, "core/v1/ErrorHandler/default/e");
    return diag.to_string();
}

}  // namespace

TEST_CASE("error_pages: a code glob picks the page, content by Accept, first when none matches", "[handlers][error_pages]") {
    error_message_spec m;
    m.codes = {"E213*"};
    m.mime_contents = {page("text/html", "<h1>{{.status}} {{.statusText}} {{.code}} {{.kind}}</h1>"),
                       page("application/json", R"({"code":"{{.code}}"})", 410)};
    error_pages h{error_pages::config{.stack_always = false, .error_messages = {m}}};

    auto html = make(h, not_found, "/x", "text/*");
    CHECK(html.result_int() == 404);
    CHECK(html.body() == "<h1>404 Not Found E2131 CoreServerNotFound</h1>");
    CHECK(header(html, "Content-Type") == "text/html; charset=utf-8");
    CHECK(header(html, "X-Content-Type-Options") == "nosniff");
    CHECK(header(html, "Vary") == "Accept");

    auto json = make(h, not_found, "/x", "image/png, application/json");
    CHECK(json.result_int() == 410);   // the content's statusCode wins
    CHECK(json.body() == R"({"code":"E2131"})");

    auto other = make(h, not_found, "/x", "image/png");   // never 406: the first content
    CHECK(other.result_int() == 404);
    CHECK(header(other, "Content-Type") == "text/html; charset=utf-8");
    CHECK(make(h, not_found).result_int() == 404);   // no Accept
}

TEST_CASE("error_pages: matching rules", "[handlers][error_pages]") {
    error_message_spec only_paths;   // paths alone never match
    only_paths.paths = {"^/"};
    only_paths.mime_contents = {page("text/plain", "paths")};
    error_message_spec no_content;   // dropped
    no_content.codes = {"*"};
    error_message_spec api;
    api.paths = {"^/api/"};
    api.kinds = {"Core*"};
    api.mime_contents = {page("text/plain", "api")};
    error_message_spec msg;
    msg.messages = {"route"};
    msg.mime_contents = {page("text/plain", "msg")};
    error_pages h{error_pages::config{.stack_always = true, .error_messages = {only_paths, no_content, api, msg}}};

    CHECK(make(h, not_found, "/api/v1").body() == "api");
    CHECK(make(h, not_found, "/web").body() == "msg");   // path filter fails, next entry
    http_error other{.status = http::status::bad_gateway, .code = "E2121", .kind = "CoreProxyUpstreamUnavailable",
                     .message = "connection refused", .headers = {}};
    CHECK(make(h, other, "/api/x").body() == "api");
    auto fallback = make(h, other, "/web", "application/xml");   // no match: AILERON's default body
    CHECK(fallback.result_int() == 502);
    CHECK(fallback.body() == "<result><status>502</status><statusText>Bad Gateway</statusText><errors></errors></result>");
    CHECK(h.match("/anything", http_error{.status = http::status::forbidden, .code = {}, .kind = {}, .message = {}, .headers = {}}) == -1);
}

TEST_CASE("error_pages: headers — content, templates rendered per response, the error's own", "[handlers][error_pages]") {
    error_message_spec m;
    m.codes = {"E2131"};
    m.header_template = {{"location", "/errors/{{status}}?text={{statusText}}&c={{code}}&k={{kind}}"}};
    auto c = page("text/plain", "nf");
    c.header = {{"x-custom", "1"}};
    m.mime_contents = {c};
    error_pages h{error_pages::config{.stack_always = false, .error_messages = {m}}};

    http_error err = not_found;
    err.headers = {{"WWW-Authenticate", "Basic"}};
    for (int i = 0; i < 3; ++i) {   // AILERON appends to a shared map each time: we do not
        auto res = make(h, err);
        CHECK(count(res, "Location") == 1);
        CHECK(header(res, "Location") == "/errors/404?text=Not Found&c=E2131&k=CoreServerNotFound");
        CHECK(count(res, "X-Custom") == 1);
        CHECK(header(res, "WWW-Authenticate") == "Basic");
    }
}

TEST_CASE("error_pages: config decoding", "[handlers][error_pages]") {
    CHECK(decode_problems(R"(spec:
  stackAlways: true
  errorMessages:
    - codes: ["E2131"]
      headerTemplate: {X-Status: "{{status}}"}
      mimeContents: [{mimeType: text/html, templateType: GoText, template: "{{.code}}"}]
)").empty());
    auto bad = decode_problems(R"(spec:
  errorMessages:
    - paths: ["("]
      codes: ["[E"]
      mimeContents: [{template: "{{"}]
)");
    CHECK(bad.find("paths[0]") != std::string::npos);
    CHECK(bad.find("codes[0]") != std::string::npos);
}
