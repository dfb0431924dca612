#include <aileron/handlers/template.hpp>

#include <aileron/config/matcher.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/url.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace aileron::handlers {

namespace {

std::string lower(std::string_view s) {
    std::string out{s};
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string address_string(const tcp::endpoint& ep) {
    auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

config::node& list_at(config::node& map, const std::string& key) {
    if (config::node* n = map.find(key)) return *n;
    return map.set(key, config::node::make_sequence());
}

/// Go's url.ParseQuery: pairs split on '&', pairs with ';' or a bad escape skipped.
config::node query_node(std::string_view q) {
    config::node out = config::node::make_map();
    while (!q.empty()) {
        std::size_t amp = q.find('&');
        std::string_view pair = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
        if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
        std::size_t eq = pair.find('=');
        std::string key, value, error;
        if (!url::unescape(pair.substr(0, eq), true, key, error)) continue;
        if (eq != std::string_view::npos && !url::unescape(pair.substr(eq + 1), true, value, error)) continue;
        list_at(out, key).push_back(config::node{std::move(value)});
    }
    return out;
}

/// The data AILERON gives templates: proto, host, method, path, remote, header, query.
config::node request_data(const request& req) {
    config::node d = config::node::make_map();
    d.set("proto", config::node{std::string{req.version() == 10 ? "HTTP/1.0" : "HTTP/1.1"}});
    d.set("host", config::node{std::string{req[http::field::host]}});
    d.set("method", config::node{std::string{req.method_string()}});
    d.set("path", config::node{url_path(req.target())});
    d.set("remote", config::node{address_string(req.context().remote)});
    config::node header = config::node::make_map();
    for (auto& f : req.header()) {
        if (f.name() == http::field::host || f.name() == http::field::transfer_encoding) continue;
        list_at(header, url::canonical_header_key(f.name_string())).push_back(config::node{std::string{f.value()}});
    }
    d.set("header", std::move(header));
    d.set("query", query_node(url::split_target(req.target()).query));
    return d;
}

}  // namespace

bool mime_content_spec::prepare(std::string& error, std::string* field) {
    if (prepared) return true;
    if (mime_type.empty()) mime_type = "text/plain";
    if (status_code <= 0) {
        status_code = 200;
        status_defaulted = true;
    }
    static const std::regex mime_re{"^[a-z]+/[0-9a-zA-Z.+-]+$"};
    if (!std::regex_match(mime_type, mime_re)) {
        if (field) *field = "mimeType";
        error = "must match ^[a-z]+/[0-9a-zA-Z.+-]+$";
        return false;
    }
    if (status_code < 100 || status_code > 999) {
        if (field) *field = "statusCode";
        error = "must be 0 (200) or in 100..999";
        return false;
    }
    body = template_text;
    std::string name = "template";
    if (!template_file.empty()) {
        std::ifstream f{template_file, std::ios::binary};
        std::ostringstream ss;
        if (f) ss << f.rdbuf();
        if (!f || f.bad()) {
            if (field) *field = "templateFile";
            error = "cannot read template file \"" + template_file + "\": " + std::strerror(errno);
            return false;
        }
        body = std::move(ss).str();
        name = template_file;
    }
    if (type != template_type::text) {
        auto esc = type == template_type::go_html ? text_template::escaping::html : text_template::escaping::none;
        auto t = text_template::parse(body, name, esc, error);
        if (!t) {
            if (field) *field = template_file.empty() ? "template" : "templateFile";
            return false;
        }
        parsed = std::make_shared<const text_template>(std::move(*t));
    }
    prepared = true;
    return true;
}

void mime_content_spec::normalize(aileron::config::decoder& d) {
    std::string error, field;
    if (!prepare(error, &field)) d.error(field, error);
}

mime_content mime_content::from(const mime_content_spec& given) {
    mime_content_spec spec = given;
    std::string error, field;
    if (!spec.prepare(error, &field)) throw std::invalid_argument("mimeContents: " + field + ": " + error);
    mime_content c;
    c.mime = lower(spec.mime_type);
    c.status = static_cast<unsigned>(spec.status_code);
    c.status_given = !spec.status_defaulted;
    for (auto& [k, v] : spec.header) c.header.emplace_back(url::canonical_header_key(k), v);
    c.type = spec.type;
    c.body = spec.body;
    c.tpl = spec.parsed;
    return c;
}

std::string mime_content::render(const config::node& data) const {
    if (type == template_type::text) return body;
    std::string out, error;
    if (tpl && !tpl->execute(data, out, error)) out.clear();   // AILERON: empty body
    return out;
}

int select_mime_content(std::string_view accept, const std::vector<mime_content>& contents) {
    if (trim(accept).empty()) accept = "*/*";
    while (true) {
        std::size_t comma = accept.find(',');
        std::string_view range = accept.substr(0, comma);
        range = trim(range.substr(0, range.find(';')));
        std::string r = lower(range);
        for (std::size_t i = 0; i < contents.size(); ++i) {
            bool bad = false;
            if (!r.empty() && path_match(r, contents[i].mime, bad)) return static_cast<int>(i);
        }
        if (comma == std::string_view::npos) return -1;
        accept.remove_prefix(comma + 1);
    }
}

template_handler::template_handler(const config& cfg) : routes(cfg.patterns, cfg.methods) {
    for (const mime_content_spec& given : cfg.mime_contents) contents_.push_back(mime_content::from(given));
}

int template_handler::select(std::string_view accept) const {
    return select_mime_content(accept, contents_);   // no Accept: AILERON answers 406 (see docs/divergences.md)
}

task<response> template_handler::operator()(request& req) const {
    auto accept = req.find(http::field::accept);
    int i = select(accept == req.end() ? std::string_view{} : std::string_view{accept->value()});
    if (i < 0) co_return error_response(req, http::status::not_acceptable);
    const mime_content& c = contents_[static_cast<std::size_t>(i)];
    std::string body = c.type == template_type::text ? c.body : c.render(request_data(req));

    response res{static_cast<http::status>(c.status), req.version()};
    for (auto& [k, v] : c.header) res.insert(k, v);
    res.set(http::field::content_type, c.mime + "; charset=utf-8");
    res.set("X-Content-Type-Options", "nosniff");
    res.insert(http::field::vary, "Accept");
    res.body() = std::move(body);
    res.prepare_payload();
    co_return res;
}

}  // namespace aileron::handlers
