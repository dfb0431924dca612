#include <aileron/core/error.hpp>

#include <aileron/log/logger.hpp>

#include <boost/beast/http/field.hpp>

#include <cctype>

namespace aileron {

std::string_view status_text(unsigned status) noexcept {
    switch (status) {   // Go's net/http status texts, which AILERON's error bodies carry
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return {};
    }
}

namespace {

enum class representation { json, xml, yaml };

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos))
            return false;
    return true;
}

/// The first media range of Accept that parses as Go's mime.ParseMediaType accepts it (a
/// token, or token/token; parameters dropped), lower-cased; empty when none does.
std::string first_media_type(std::string_view accept) {
    while (!accept.empty()) {
        std::size_t comma = accept.find(',');
        std::string_view range = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
        std::string_view type = trim(range.substr(0, range.find(';')));
        std::size_t slash = type.find('/');
        bool ok = slash == std::string_view::npos
                      ? is_token(type)
                      : is_token(type.substr(0, slash)) && is_token(type.substr(slash + 1));
        if (!ok) continue;
        std::string out{type};
        for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    }
    return {};
}

representation pick(std::string_view media) noexcept {
    if (iequals(media, "application/xml") || iequals(media, "text/xml")) return representation::xml;
    if (iequals(media, "application/yaml") || iequals(media, "text/yaml") || iequals(media, "text/plain"))
        return representation::yaml;
    return representation::json;
}

}  // namespace

response default_error_handler::make(const request& req, const http_error& err) const {
    const unsigned code = static_cast<unsigned>(err.status);
    std::string_view text = status_text(code);
    std::string media = first_media_type(req[http::field::accept]);
    representation rep = pick(media);
    if (rep == representation::json && !(iequals(media, "application/json") || iequals(media, "text/json")))
        media = "application/json";

    response res{err.status, req.version()};
    std::string& body = res.body();
    switch (rep) {
    case representation::json:
        body.reserve(48);
        body += R"({"status":)";
        body += std::to_string(code);
        body += R"(,"statusText":)";
        append_json_string(body, text);
        body += '}';
        break;
    case representation::xml:
        body += "<result><status>" + std::to_string(code) + "</status><statusText>";
        body += text;   // Go's status texts need no XML escaping
        body += "</statusText><errors></errors></result>";
        break;
    case representation::yaml:
        body += "status: " + std::to_string(code) + "\nstatusText: ";
        body += text;
        body += '\n';
        break;
    }
    std::string content_type = media;
    content_type += "; charset=utf-8";
    res.set(http::field::content_type, content_type);
    res.set("X-Content-Type-Options", "nosniff");
    res.insert(http::field::vary, "Accept");
    for (auto& [k, v] : err.headers) res.insert(k, v);
    res.prepare_payload();
    return res;
}

const default_error_handler& default_error_handler::instance() noexcept {
    static const default_error_handler h;
    return h;
}

response error_response(const request& req, const http_error& err) {
    const error_handler* h = req.context().errors;
    if (!h) h = &default_error_handler::instance();
    if (static_cast<unsigned>(err.status) >= 500) {
        const logger& log = req.context().log ? *req.context().log : logger::get_default();
        log.error(req.context().ids, "serve http error",
                  {{"status", std::to_string(static_cast<unsigned>(err.status)), true},
                   {"code", err.code},
                   {"kind", err.kind},
                   {"detail", err.message}});
    }
    return h->make(req, err);
}

response error_response(const request& req, http::status status) {
    return error_response(req, http_error{.status = status});
}

}  // namespace aileron
