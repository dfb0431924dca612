#include <aileron/middlewares/soap_rest.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>
#include <aileron/config/source.hpp>

#include <catch2/catch.hpp>

#include <memory>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using middlewares::soap_rest;

constexpr std::string_view decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

constexpr std::string_view price_request = R"(<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">
  <soap:Body>
    <m:GetPrice xmlns:m="https://example.org/stock" m:currency="EUR">
      <m:Item>Apple</m:Item>
      <!-- a comment -->
      <m:Item>Pear</m:Item>
      <m:Note> two  words </m:Note>
      <m:Empty/>
    </m:GetPrice>
  </soap:Body>
</soap:Envelope>
)";

/// A handler that records the request it got and answers `status` with `content_type` and `body`.
struct json_service {
    struct seen {
        std::string content_type, accept, action, soap_type, length, body;
    };
    std::shared_ptr<seen> last = std::make_shared<seen>();
    http::status status = http::status::ok;
    std::string content_type = "application/json";
    std::string body = R"({"m:Price":{"$":"1.50"}})";
    bool stream = false;

    task<response> operator()(request& req) const {
        auto b = co_await req.read_body(1 << 20);
        *last = {std::string{req[http::field::content_type]}, std::string{req[http::field::accept]},
                 std::string{req["X-SOAP-Action"]}, std::string{req["X-Content-Type"]},
                 std::string{req[http::field::content_length]}, b ? *b : "broken"};
        response res{status, req.version()};
        res.set(http::field::content_type, content_type);
        res.set("X-Service", "kept");
        if (stream) {
            res.set_stream(std::make_unique<string_body_source>(body));
        } else {
            res.body() = body;
            res.prepare_payload();
        }
        co_return res;
    }
};

response call(const json_service& svc, std::string content_type, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {}, soap_rest::config cfg = {}) {
    static_chain chain{svc, soap_rest{cfg}};
    request req{http::verb::post, "/soap"};
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    for (auto& [k, v] : headers) req.insert(k, v);
    req.set(http::field::content_length, std::to_string(body.size()));
    string_body_source src{body};
    req.set_body(&src);
    response res = test::run_task(chain(req));
    if (!content_type.empty()) CHECK(req[http::field::content_type] == content_type);   // put back
    CHECK(req.find("X-SOAP-Action") == req.end());
    return res;
}

std::vector<std::string> problems(const std::string& spec_yaml) {
    config::diagnostics diag;
    auto docs = config::parse_documents(spec_yaml, "t.yaml", config::format::yaml, diag);
    REQUIRE(docs.size() == 1);
    soap_rest::config out;
    config::decode(docs[0].root, out, diag, "app/v1/SOAPRESTMiddleware/default/t");
    std::vector<std::string> lines;
    for (const config::problem& p : diag.problems()) lines.push_back(p.path + ": " + p.message);
    return lines;
}

}  // namespace

TEST_CASE("soap_rest is an around middleware", "[middlewares][soap_rest]") {
    STATIC_REQUIRE(around_middleware<soap_rest>);
}

TEST_CASE("simple: XML becomes JSON with sorted members, repeated elements as arrays", "[middlewares][soap_rest]") {
    soap_rest mw;
    auto json = mw.xml_to_json(price_request);
    REQUIRE(json);
    CHECK(json.text ==
          R"({"soap:Envelope":{"@xmlns:soap":"http://www.w3.org/2003/05/soap-envelope","soap:Body":{"m:GetPrice":)"
          R"({"@m:currency":"EUR","@xmlns:m":"https://example.org/stock","m:Empty":{"$":""},)"
          R"("m:Item":[{"$":"Apple"},{"$":"Pear"}],"m:Note":{"$":" two  words "}}}}})"
          "\n");

    soap_rest::config c;
    c.simple = soap_rest::simple_config{};
    c.simple->prefer_short = true;
    c.simple->trim_space = true;
    auto short_json = soap_rest{c}.xml_to_json(price_request);
    REQUIRE(short_json);
    CHECK(short_json.text.find(R"("m:Empty":"","m:Item":["Apple","Pear"],"m:Note":"two  words")") != std::string::npos);
}

TEST_CASE("simple: JSON becomes indented XML in member order", "[middlewares][soap_rest]") {
    soap_rest mw;
    auto xml = mw.json_to_xml(
        R"({"soap:Envelope":{"@xmlns:soap":"http://www.w3.org/2003/05/soap-envelope","soap:Body":{"m:PriceResponse":)"
        R"({"@xmlns:m":"urn:x","m:Price":1.50,"m:Ok":true,"m:Items":["a","b"],"m:None":null,"m:Text":{"$":"x<y & \"z\""}}}}})");
    REQUIRE(xml);
    CHECK(xml.text == std::string{decl} +
                          "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">\n"
                          "  <soap:Body>\n"
                          "    <m:PriceResponse xmlns:m=\"urn:x\">\n"
                          "      <m:Price>1.50</m:Price>\n"
                          "      <m:Ok>true</m:Ok>\n"
                          "      <m:Items>a</m:Items>\n"
                          "      <m:Items>b</m:Items>\n"
                          "      <m:None></m:None>\n"
                          "      <m:Text>x&lt;y &amp; &#34;z&#34;</m:Text>\n"
                          "    </m:PriceResponse>\n"
                          "  </soap:Body>\n"
                          "</soap:Envelope>");
}

TEST_CASE("text beside children, escapes and several roots are written as Go writes them", "[middlewares][soap_rest]") {
    soap_rest mw;
    CHECK(mw.json_to_xml(R"({"a":{"$":"t","b":"u"}})").text == std::string{decl} + "<a>t\n  <b>u</b>\n</a>");
    CHECK(mw.json_to_xml(R"({"a":{"@k":"x\ny","$":"1\t2\r3\n4"}})").text ==
          std::string{decl} + "<a k=\"x&#xA;y\">1&#x9;2&#xD;3\n4</a>");
    CHECK(mw.json_to_xml(R"([{"a":"1"},{"b":"2"}])").text == std::string{decl} + "<a>1</a>\n<b>2</b>");
    CHECK(mw.json_to_xml(R"({"a":"\u0001"})").text == std::string{decl} + "<a>\xef\xbf\xbd</a>");
}

TEST_CASE("a namespace separator is used in JSON names and turned back into ':'", "[middlewares][soap_rest]") {
    soap_rest::config c;
    c.simple = soap_rest::simple_config{};
    c.simple->namespace_sep = "_";
    soap_rest mw{c};
    auto json = mw.xml_to_json(R"(<a:b xmlns:a="u"><a:c>1</a:c></a:b>)");
    CHECK(json.text == "{\"a_b\":{\"@xmlns_a\":\"u\",\"a_c\":{\"$\":\"1\"}}}\n");
    CHECK(mw.json_to_xml(R"({"a_b":{"@xmlns_a":"u","a_c":{"$":"1"}}})").text ==
          std::string{decl} + "<a:b xmlns:a=\"u\">\n  <a:c>1</a:c>\n</a:b>");
}

TEST_CASE("rayfish: every element is name, text and children", "[middlewares][soap_rest]") {
    soap_rest::config c;
    c.rayfish = soap_rest::rayfish_config{};
    soap_rest mw{c};
    CHECK(mw.xml_to_json(R"(<a x="1">t<b>u</b><c/></a>)").text ==
          R"({"#children":[{"#children":[],"#name":"@x","#text":"1"},{"#children":[],"#name":"b","#text":"u"},)"
          R"({"#children":[],"#name":"c","#text":""}],"#name":"a","#text":"t"})"
          "\n");
    CHECK(mw.json_to_xml(R"({"#name":"a","#text":"t","#children":[{"#name":"@x","#text":"1"},{"#name":"b","#text":"u","#children":[]}]})")
              .text == std::string{decl} + "<a x=\"1\">t\n  <b>u</b>\n</a>");
    CHECK_FALSE(mw.json_to_xml(R"({"#name":"a","other":1})"));
    CHECK_FALSE(mw.json_to_xml(R"({"#name":"a","#children":{}})"));
}

TEST_CASE("badgerfish: namespaces under @xmlns and empty elements as {}", "[middlewares][soap_rest]") {
    soap_rest::config c;
    c.badgerfish = soap_rest::badgerfish_config{};
    soap_rest mw{c};
    const std::string xml = R"(<alice xmlns="http://some-namespace" xmlns:charlie="http://some-other-namespace">)"
                            R"(<bob>david</bob><charlie:edgar>frank</charlie:edgar><empty/></alice>)";
    auto json = mw.xml_to_json(xml);
    CHECK(json.text == R"({"alice":{"@xmlns":{"$":"http://some-namespace","charlie":"http://some-other-namespace"},)"
                       R"("bob":{"$":"david"},"charlie:edgar":{"$":"frank"},"empty":{}}})"
                       "\n");
    CHECK(mw.json_to_xml(json.text).text ==
          std::string{decl} +
              "<alice xmlns=\"http://some-namespace\" xmlns:charlie=\"http://some-other-namespace\">\n"
              "  <bob>david</bob>\n  <charlie:edgar>frank</charlie:edgar>\n  <empty></empty>\n</alice>");
}

TEST_CASE("conversions refuse what they cannot represent", "[middlewares][soap_rest]") {
    soap_rest mw;
    CHECK_FALSE(mw.xml_to_json("<a><b></a>"));
    CHECK_FALSE(mw.xml_to_json("not xml"));
    CHECK_FALSE(mw.xml_to_json(R"(<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>)"));
    CHECK_FALSE(mw.xml_to_json("<a>&undefined;</a>"));
    std::string deep;
    for (int i = 0; i < 600; ++i) deep += "<a>";
    for (int i = 0; i < 600; ++i) deep += "</a>";
    CHECK_FALSE(mw.xml_to_json(deep));
    CHECK(mw.xml_to_json("<a>&lt;&#65;</a>").text == "{\"a\":{\"$\":\"<A\"}}\n");

    CHECK_FALSE(mw.json_to_xml("1"));
    CHECK_FALSE(mw.json_to_xml("[1]"));
    CHECK_FALSE(mw.json_to_xml("{"));
    CHECK_FALSE(mw.json_to_xml(R"({"a b":"1"})"));
    CHECK_FALSE(mw.json_to_xml(R"({"a":{"@k":1}})"));
    CHECK_FALSE(mw.json_to_xml(R"({"a":{"$":{}}})"));
    CHECK_FALSE(mw.json_to_xml(R"({"":"1"})"));
}

TEST_CASE("a SOAP 1.2 request reaches the service as JSON and the answer returns as SOAP", "[middlewares][soap_rest]") {
    json_service svc;
    svc.status = http::status::created;
    response res = call(svc, "application/soap+xml; charset=utf-8; action=\"urn:GetPrice\"", std::string{price_request});
    CHECK(res.result() == http::status::created);
    CHECK(res[http::field::content_type] == "application/soap+xml; charset=utf-8");
    CHECK(res["X-Service"] == "kept");
    CHECK(res.body() == std::string{decl} + "<m:Price>1.50</m:Price>");
    CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
    CHECK(svc.last->content_type == "application/json");
    CHECK(svc.last->accept == "application/json");
    CHECK(svc.last->action == "urn:GetPrice");
    CHECK(svc.last->soap_type == "application/soap+xml");
    CHECK(svc.last->body.rfind("{\"soap:Envelope\":", 0) == 0);
    CHECK(svc.last->length == std::to_string(svc.last->body.size()));
}

TEST_CASE("SOAP 1.1 needs a SOAPAction header; other requests are 403", "[middlewares][soap_rest]") {
    json_service svc;
    response ok = call(svc, "text/xml", "<a/>", {{"SOAPAction", "\"urn:x\""}});
    CHECK(ok.result() == http::status::ok);
    CHECK(ok[http::field::content_type] == "text/xml; charset=utf-8");
    CHECK(svc.last->action == "\"urn:x\"");
    CHECK(svc.last->soap_type == "text/xml");
    for (auto type : {"text/xml", "application/json", "", "application/xml"}) {
        response res = call(svc, type, "<a/>");
        CHECK(res.result() == http::status::forbidden);
        CHECK(res.body() == R"({"status":403,"statusText":"Forbidden"})");
    }
}

TEST_CASE("bad XML is 400; an answer that is not JSON, or not convertible, is 500", "[middlewares][soap_rest]") {
    json_service svc;
    CHECK(call(svc, "application/soap+xml", "<a>").result() == http::status::bad_request);
    json_service text = svc;
    text.content_type = "text/plain";
    CHECK(call(text, "application/soap+xml", "<a/>").result() == http::status::internal_server_error);
    json_service broken = svc;
    broken.body = "[1,2]";
    CHECK(call(broken, "application/soap+xml", "<a/>").result() == http::status::internal_server_error);
}

TEST_CASE("a streamed JSON answer is read whole and converted", "[middlewares][soap_rest]") {
    json_service svc;
    svc.stream = true;
    svc.body = R"({"r":{"@id":"7","$":"done"}})";
    response res = call(svc, "application/soap+xml", "<a/>");
    CHECK(res.result() == http::status::ok);
    CHECK(res.stream() == nullptr);
    CHECK(res.body() == std::string{decl} + "<r id=\"7\">done</r>");
}

TEST_CASE("the config allows one convention at most", "[middlewares][soap_rest]") {
    CHECK(problems("simple: {}\nrayfish: {}\n") ==
          std::vector<std::string>{"spec: only one of simple, rayfish or badgerfish may be given"});
    CHECK(problems("badgerfish: {textKey: \"#text\", trimSpace: true}\n").empty());
}
