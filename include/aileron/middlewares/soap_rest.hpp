#pragma once
/// @file
/// `app/v1 SOAPRESTMiddleware`: puts a JSON (REST) service behind a SOAP endpoint. A SOAP
/// request's XML body is converted to JSON for the rest of the chain, and the JSON answer is
/// converted back to XML for the SOAP client.
///
/// Only SOAP requests are accepted: SOAP 1.2 (`Content-Type: application/soap+xml`, the action
/// in its `action` parameter) or SOAP 1.1 (`text/xml` with a `SOAPAction` header); anything
/// else is 403 (`E3216`). The body (at most `max_body` bytes, else 413) is parsed with Expat
/// and converted by one of three conventions (`simple`, the default; `rayfish`;
/// `badgerfish`); XML that does not parse, or has a document type declaration (SOAP forbids
/// them), is 400 (`E3218`). The rest of the chain gets the JSON with `Content-Type` and
/// `Accept: application/json`, `X-SOAP-Action: <action>` and `X-Content-Type: <the SOAP media
/// type>`; the request's own headers are put back when it returns.
///
/// The answer must be `application/json` (else 500, `E3219`) and convert to XML (else 500,
/// `E3220`); it is sent with the request's SOAP media type (`; charset=utf-8`), its status and
/// other headers kept. JSON object members become elements in their order; XML elements
/// become JSON members sorted by name, repeated names becoming arrays (AILERON's output).

#include <aileron/config/decode.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/middleware.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::middlewares {

class soap_rest {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "SOAPRESTMiddleware";

    /// `<a x="1">t<b>u</b></a>` ↔ `{"a":{"@x":"1","$":"t","b":"u"}}`.
    struct simple_config {
        std::string text_key = "$";
        std::string attr_prefix = "@";
        std::string namespace_sep = ":";
        bool trim_space = false;
        bool prefer_short = false;   ///< an element with only text is `"b":"u"`, not `"b":{"$":"u"}`
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("textKey", "TextKey", &simple_config::text_key),
                              field("attrPrefix", "AttrPrefix", &simple_config::attr_prefix),
                              field("namespaceSep", "NamespaceSep", &simple_config::namespace_sep),
                              field("trimSpace", "TrimSpace", &simple_config::trim_space),
                              field("preferShort", "PreferShort", &simple_config::prefer_short)};
        }
    };
    /// Every element is `{"#name":..,"#text":..,"#children":[..]}`; attributes are children
    /// whose name starts with `attrPrefix`.
    struct rayfish_config {
        std::string name_key = "#name";
        std::string text_key = "#text";
        std::string children_key = "#children";
        std::string attr_prefix = "@";
        std::string namespace_sep = ":";
        bool trim_space = false;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("nameKey", "NameKey", &rayfish_config::name_key),
                              field("textKey", "TextKey", &rayfish_config::text_key),
                              field("childrenKey", "ChildrenKey", &rayfish_config::children_key),
                              field("attrPrefix", "AttrPrefix", &rayfish_config::attr_prefix),
                              field("namespaceSep", "NamespaceSep", &rayfish_config::namespace_sep),
                              field("trimSpace", "TrimSpace", &rayfish_config::trim_space)};
        }
    };
    /// BadgerFish: text under `$`, attributes under `@name`, namespace declarations in
    /// `"@xmlns":{"$":default,"prefix":uri}`, an empty element as `{}`.
    struct badgerfish_config {
        std::string text_key = "$";
        std::string attr_prefix = "@";
        std::string namespace_sep = ":";
        bool trim_space = false;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("textKey", "TextKey", &badgerfish_config::text_key),
                              field("attrPrefix", "AttrPrefix", &badgerfish_config::attr_prefix),
                              field("namespaceSep", "NamespaceSep", &badgerfish_config::namespace_sep),
                              field("trimSpace", "TrimSpace", &badgerfish_config::trim_space)};
        }
    };

    /// AILERON's `SOAPRESTMiddlewareSpec`: at most one of the three; none means `simple`.
    struct config {
        std::optional<simple_config> simple;
        std::optional<rayfish_config> rayfish;
        std::optional<badgerfish_config> badgerfish;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("simple", "Simple", &config::simple),
                              field("rayfish", "Rayfish", &config::rayfish),
                              field("badgerfish", "Badgerfish", &config::badgerfish)};
        }
        void normalize(aileron::config::decoder& d);
    };

    /// The most bytes of XML request or JSON answer converted.
    static constexpr std::size_t max_body = 10 << 20;
    /// The deepest element nesting converted.
    static constexpr std::size_t max_depth = 512;

    /// The outcome of a conversion: the text, or why there is none.
    struct conversion {
        std::string text;
        std::string error;   ///< empty on success
        explicit operator bool() const noexcept { return error.empty(); }
    };

    soap_rest() : soap_rest(config{}) {}
    /// Throws std::invalid_argument when more than one convention is given.
    explicit soap_rest(const config& cfg);

    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        soap_call call;
        if (std::optional<response> refused = accept(req, call)) co_return std::move(*refused);
        result<std::string> xml = co_await req.read_body(max_body);
        if (!xml) co_return read_failed(req, xml.error());
        conversion json = xml_to_json(*xml);
        if (!json) co_return conversion_failed(req, json.error);
        response res;
        {
            rewritten_request rewrite{req, call, std::move(json.text)};   // undone also when next() throws
            res = co_await next(req);
        }
        co_return co_await to_soap(req, call, std::move(res));
    }

    /// The JSON for an XML document (a line feed at the end, as Go's encoder writes it).
    conversion xml_to_json(std::string_view xml) const;
    /// The XML (with an XML declaration, indented by two spaces) for a JSON object, or an array
    /// of objects.
    conversion json_to_xml(std::string_view json) const;

private:
    enum class convention { simple, rayfish, badgerfish };

    /// What the SOAP request said about itself.
    struct soap_call {
        std::string media_type;      ///< "application/soap+xml" or "text/xml"
        std::string content_type;    ///< for the answer: "<media type>; charset=utf-8"
        std::string action;
    };
    /// Gives the rest of the chain the JSON request, and puts the SOAP request back.
    class rewritten_request {
    public:
        rewritten_request(request& req, const soap_call& call, std::string json);
        rewritten_request(const rewritten_request&) = delete;
        rewritten_request& operator=(const rewritten_request&) = delete;
        ~rewritten_request();

    private:
        request& req_;
        body_source* original_body_;
        string_body_source json_;
        std::vector<std::pair<std::string, std::optional<std::string>>> saved_;   // header, old value
    };

    /// A 403 response unless `req` is a SOAP 1.1 or 1.2 request (then fills `call`).
    std::optional<response> accept(const request& req, soap_call& call) const;
    static response read_failed(const request& req, error_code ec);
    static response conversion_failed(const request& req, const std::string& why);
    /// The JSON answer `res` as the SOAP answer.
    task<response> to_soap(const request& req, const soap_call& call, response res) const;

    convention convention_ = convention::simple;
    std::string name_key_, text_key_, children_key_, attr_prefix_, namespace_sep_;
    bool trim_space_ = false;
    bool prefer_short_ = false;
};

static_assert(middleware<soap_rest>);

}  // namespace aileron::middlewares
