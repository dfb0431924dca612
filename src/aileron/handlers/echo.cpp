#include <aileron/handlers/echo.hpp>

#include <aileron/core/url.hpp>
#include <aileron/log/logger.hpp>

#include <algorithm>
#include <cctype>
#include <map>

namespace aileron::handlers {

namespace {

std::string address_string(const tcp::endpoint& ep) {
    auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

/// The request headers as Go's json.Encoder with two-space indent prints an http.Header.
std::string headers_json(const request& req) {
    std::map<std::string, std::vector<std::string_view>> groups;   // sorted like Go's map keys
    for (auto& f : req.header()) {
        // Go keeps Host and Transfer-Encoding out of Header (they become Request fields).
        if (f.name() == http::field::host || f.name() == http::field::transfer_encoding) continue;
        groups[url::canonical_header_key(f.name_string())].push_back(f.value());
    }
    if (groups.empty()) return "{}\n";
    std::string out = "{\n";
    bool first = true;
    for (auto& [key, values] : groups) {
        if (!first) out += ",\n";
        first = false;
        out += "  ";
        append_json_string(out, key);
        out += ": [\n";
        for (std::size_t i = 0; i < values.size(); ++i) {
            out += "    ";
            append_json_string(out, values[i]);
            out += i + 1 < values.size() ? ",\n" : "\n";
        }
        out += "  ]";
    }
    out += "\n}\n";
    return out;
}

response plain_error(const request& req, const std::string& text) {
    response res{http::status::internal_server_error, req.version()};
    res.set(http::field::content_type, "text/plain;charset=utf-8");
    res.body() = text;
    res.prepare_payload();
    return res;
}

}  // namespace

task<response> echo::operator()(request& req) const {
    // The body first. A body announced larger than max_body is read and dropped, as AILERON
    // does; one without a length is cut off there too (Go would buffer it all). A body that
    // breaks off is echoed as far as it came.
    std::string body;
    auto known = req.body().size();
    bool too_large = known && *known > max_body;
    for (;;) {
        auto piece = co_await req.body().next();
        if (!piece || piece->size() == 0) break;
        if (too_large) continue;
        if (body.size() + piece->size() > max_body) {
            too_large = true;
            body.clear();
            continue;
        }
        body.append(static_cast<const char*>(piece->data()), piece->size());
    }
    if (too_large) body = "REQUEST BODY TOO LARGE\n";

    std::string_view target = req.target();
    url::target_view parts = url::split_target(target);
    std::string path, query, error;
    if (!url::unescape(parts.path, false, path, error)) co_return plain_error(req, error);
    if (!url::unescape(parts.query, true, query, error)) co_return plain_error(req, error);

    const request_context& ctx = req.context();
    std::string text;
    text.reserve(512 + body.size());
    text += "---------- Request ----------\n";
    text += req.version() == 10 ? "Proto   : HTTP/1.0\n" : "Proto   : HTTP/1.1\n";
    text += "Host   : ";
    text += req[http::field::host];
    text += "\nMethod : ";
    text += req.method_string();
    text += "\nURI    : ";
    text += target;
    text += "\nPath   : " + path;
    text += "\nQuery  : " + query;
    text += "\nRemote : " + address_string(ctx.remote);
    text += "\n---------- Header ----------\n";
    text += headers_json(req);
    text += "---------- Body ----------\n";
    text += body;
    text += "\n--------------------------\n";

    response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain;charset=utf-8");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = std::move(text);
    res.prepare_payload();
    co_return res;
}

}  // namespace aileron::handlers
