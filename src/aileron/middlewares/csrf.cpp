#include <aileron/middlewares/csrf.hpp>

#include <aileron/core/encoding.hpp>
#include <aileron/core/session.hpp>
#include <aileron/core/url.hpp>
#include <aileron/detail/quote.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <stdexcept>

namespace aileron::middlewares {

namespace {

const std::regex& name_pattern() {
    static const std::regex re{"^[0-9a-zA-Z_-]+$"};
    return re;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (unsigned char c : s) {
        if (c <= 0x20 || c >= 0x7f) return false;
        if (std::string_view{"()<>@,;:\\\"/[]?={}"}.find(static_cast<char>(c)) != std::string_view::npos) return false;
    }
    return true;
}

/// The media type of a Content-Type value, lower-cased, without parameters.
std::string media_type(std::string_view content_type) {
    std::string_view t = content_type.substr(0, content_type.find(';'));
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    std::string out{t};
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// The first value of field `key` in an application/x-www-form-urlencoded body (Go's
/// PostFormValue: pairs that do not decode are skipped).
std::string form_value(std::string_view body, std::string_view key) {
    while (!body.empty()) {
        std::string_view pair = body.substr(0, body.find('&'));
        body.remove_prefix(std::min(body.size(), pair.size() + 1));
        if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
        std::size_t eq = pair.find('=');
        std::string k, v, error;
        if (!url::unescape(pair.substr(0, eq), true, k, error)) continue;
        if (k != key) continue;
        if (eq != std::string_view::npos && !url::unescape(pair.substr(eq + 1), true, v, error)) continue;
        return v;
    }
    return {};
}

/// The member `key` of a JSON object body as text (strings unquoted, other values as JSON,
/// null and absent as empty).
std::string json_value(std::string_view body, std::string_view key) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(boost::json::string_view{body.data(), body.size()}, ec);
    if (ec || !v.is_object()) return {};
    const boost::json::value* m = v.get_object().if_contains(boost::json::string_view{key.data(), key.size()});
    if (!m || m->is_null()) return {};
    if (m->is_string()) return std::string{m->get_string().data(), m->get_string().size()};
    return boost::json::serialize(*m);
}

std::string xml_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

struct problem {
    std::string field;
    std::string message;
};

std::vector<problem> config_problems(const csrf::config& c) {
    std::vector<problem> out;
    if (c.seed_size < 5) out.push_back({"seedSize", "must be >= 5"});
    if (auto p = crypto::hmac_problem(c.hash_alg); !p.empty()) out.push_back({"hashAlg", std::string{p}});
    if (!c.secret.empty() && !encoding::base64_decode(c.secret)) out.push_back({"secret", "not valid standard base64"});
    if (!c.proxy_header_name.empty() && !is_token(c.proxy_header_name))
        out.push_back({"proxyHeaderName", "not a valid header name"});
    for (std::size_t i = 0; i < c.methods.size(); ++i)
        if (c.methods[i] == http_method::unknown)
            out.push_back({"methods[" + std::to_string(i) + "]", "HTTPMethodUnknown is not a method"});
    for (std::size_t i = 0; i < c.skip_methods.size(); ++i)
        if (c.skip_methods[i] == http_method::unknown)
            out.push_back({"skipMethods[" + std::to_string(i) + "]", "HTTPMethodUnknown is not a method"});
    int given = int{c.custom_request_header.has_value()} + int{c.double_submit_cookies.has_value()} +
                int{c.synchronizer_token.has_value()};
    if (given > 1)
        out.push_back({"", "only one of customRequestHeader, doubleSubmitCookies or synchronizerToken may be given"});
    return out;
}

std::vector<problem> custom_header_problems(const csrf::custom_request_header_config& c) {
    std::vector<problem> out;
    if (!std::regex_match(c.header_name, name_pattern())) out.push_back({"headerName", "must match ^[0-9a-zA-Z-_]+$"});
    if (!c.allowed_pattern.empty()) {
        try {
            std::regex re{c.allowed_pattern};
        } catch (const std::regex_error& e) {
            out.push_back({"allowedPattern", std::string{"not a valid regular expression: "} + e.what()});
        }
    }
    return out;
}

}  // namespace

void csrf::custom_request_header_config::normalize(aileron::config::decoder& d) {
    for (auto& p : custom_header_problems(*this)) d.error(p.field, p.message);
}

void csrf::double_submit_cookies_config::normalize(aileron::config::decoder& d) {
    if (!std::regex_match(cookie_name, name_pattern())) d.error("cookieName", "must match ^[0-9a-zA-Z-_]+$");
    if (!std::regex_match(source_key, name_pattern())) d.error("sourceKey", "must match ^[0-9a-zA-Z-_]+$");
}

void csrf::synchronizer_token_config::normalize(aileron::config::decoder& d) {
    if (!std::regex_match(source_key, name_pattern())) d.error("sourceKey", "must match ^[0-9a-zA-Z-_]+$");
}

void csrf::config::normalize(aileron::config::decoder& d) {
    for (auto& p : config_problems(*this)) {
        if (p.field.empty()) d.error(p.message);
        else d.error(p.field, p.message);
    }
}

namespace {
std::vector<std::string> token_patterns(const csrf::config& cfg) {
    return cfg.patterns.empty() ? std::vector<std::string>{"/token"} : cfg.patterns;
}
}  // namespace

csrf::csrf(const config& cfg) : routes(token_patterns(cfg), cfg.methods) {
    auto problems = config_problems(cfg);
    if (cfg.custom_request_header)
        for (auto& p : custom_header_problems(*cfg.custom_request_header))
            problems.push_back({"customRequestHeader." + p.field, p.message});
    if (!problems.empty())
        throw std::invalid_argument("CSRFMiddleware: " + problems.front().field + ": " + problems.front().message);

    const std::vector<http_method> safe{http_method::get, http_method::head, http_method::trace, http_method::options};
    skip_ = to_verbs(cfg.skip_methods.empty() ? safe : cfg.skip_methods);
    proxy_header_ = cfg.proxy_header_name;
    issue_new_ = cfg.issue_new;
    seed_size_ = static_cast<std::size_t>(cfg.seed_size);
    std::string secret = cfg.secret.empty() ? crypto::host_name_digest(hash_alg::sha512) : *encoding::base64_decode(cfg.secret);
    mac_.emplace(cfg.hash_alg, secret);

    if (cfg.double_submit_cookies) {
        const auto& c = *cfg.double_submit_cookies;
        pattern_ = pattern::double_submit;
        cookie_name_ = c.cookie_name;
        cookie_ = cookie_attributes::from(c.cookie);
        source_ = c.token_source;
        source_key_ = c.source_key;
    } else if (cfg.synchronizer_token) {
        pattern_ = pattern::synchronizer;
        source_ = cfg.synchronizer_token->token_source;
        source_key_ = cfg.synchronizer_token->source_key;
    } else {
        const custom_request_header_config c = cfg.custom_request_header.value_or(custom_request_header_config{});
        pattern_ = pattern::custom_header;
        header_name_ = c.header_name;
        if (!c.allowed_pattern.empty()) allowed_.emplace(c.allowed_pattern);
    }
}

std::optional<std::string> csrf::new_token() const {
    std::optional<std::string> seed = crypto::random_bytes(seed_size_);
    if (!seed) return std::nullopt;
    return encoding::hex_encode(*seed + mac_->sign(*seed));
}

bool csrf::valid_token(std::string_view token) const {
    std::optional<std::string> raw = encoding::hex_decode(token);
    if (!raw || raw->size() != seed_size_ + mac_->size()) return false;
    std::string_view all{*raw};
    return mac_->verify(all.substr(0, seed_size_), all.substr(seed_size_));
}

bool csrf::skipped(http::verb v) const noexcept { return std::find(skip_.begin(), skip_.end(), v) != skip_.end(); }

bool csrf::needs_body(const request& req) const noexcept {
    if (pattern_ == pattern::custom_header || source_ == csrf_token_source::header) return false;
    std::string type = media_type(req[http::field::content_type]);
    return source_ == csrf_token_source::form ? type == "application/x-www-form-urlencoded" : type == "application/json";
}

task<csrf::body_text> csrf::read_body(request& req, body_holder& held) {
    body_text out;
    held.original = &req.body();
    result<std::string> r = co_await req.read_body(max_body);
    if (!r) co_return out;   // too large or broken: no token found in it
    out.ok = true;
    out.text = *r;
    held.buffered.emplace(std::move(*r));
    req.set_body(&*held.buffered);   // the rest of the chain reads the same bytes
    co_return out;
}

std::string csrf::sent_token(const request& req, const body_text& body) const {
    switch (source_) {
    case csrf_token_source::header: return std::string{req[source_key_]};
    case csrf_token_source::form: return body.ok ? form_value(body.text, source_key_) : std::string{};
    case csrf_token_source::json: return body.ok ? json_value(body.text, source_key_) : std::string{};
    }
    return {};
}

csrf::verdict csrf::check(const request& req, const body_text& body) const {
    verdict v;
    switch (pattern_) {
    case pattern::custom_header: {
        std::string_view value = req[header_name_];
        if (value.empty()) {
            v.error = "the custom request header is missing";
        } else if (allowed_ && std::regex_search(value.begin(), value.end(), *allowed_)) {
            v.token = value;
        } else if (!valid_token(value)) {
            v.error = "the custom request header holds no valid token";
        } else {
            v.token = value;
        }
        return v;
    }
    case pattern::double_submit: {
        std::optional<std::string_view> cookie = find_cookie(req, cookie_name_);
        if (!cookie) {
            v.error = "no CSRF token cookie";
            return v;
        }
        std::string sent = sent_token(req, body);
        if (!crypto::equal(*cookie, sent) || !valid_token(*cookie)) v.error = "invalid CSRF token";
        else v.token = sent;
        return v;
    }
    case pattern::synchronizer: {
        const session_data* s = req.context().session;
        if (!s) {
            v.error = "no session (a SessionMiddleware must run before the CSRFMiddleware)";
            v.session_missing = true;
            return v;
        }
        const std::string* kept = s->find(session_key);
        if (!kept) {
            v.error = "the session holds no CSRF token";
            return v;
        }
        std::string sent = sent_token(req, body);
        if (!crypto::equal(*kept, sent) || !valid_token(*kept)) v.error = "invalid CSRF token";
        else v.token = sent;
        return v;
    }
    }
    return v;
}

response csrf::reject(const request& req, const verdict& v) const {
    if (v.session_missing)
        return error_response(req, http_error{.status = http::status::internal_server_error,
                                              .code = "E3210",
                                              .kind = "AppMiddleCSRFSession",
                                              .message = std::string{v.error}});
    return error_response(req, http_error{.status = http::status::forbidden,
                                          .code = "E3209",
                                          .kind = "AppMiddleCSRFToken",
                                          .message = std::string{v.error}});
}

task<response> csrf::operator()(request& req) const {
    std::string token;
    if (!issue_new_) {
        body_holder held{req, nullptr, std::nullopt};
        body_text body;
        if (needs_body(req)) body = co_await read_body(req, held);
        verdict v = check(req, body);
        if (v.error.empty()) token = std::move(v.token);
    }
    if (token.empty()) {
        std::optional<std::string> t = new_token();
        if (!t)
            co_return error_response(req, http_error{.status = http::status::internal_server_error,
                                                     .code = "E3208",
                                                     .kind = "AppMiddleCSRFNewToken",
                                                     .message = "no random bytes for a CSRF token"});
        token = std::move(*t);
    }
    response res{http::status::ok, req.version()};
    if (pattern_ == pattern::double_submit) {
        res.insert(http::field::set_cookie, cookie_.set_cookie(cookie_name_, token));
    } else if (pattern_ == pattern::synchronizer) {
        session_data* s = req.context().session;
        if (!s)
            co_return reject(req, verdict{.error = "no session (a SessionMiddleware must run before the token endpoint)",
                                          .session_missing = true});
        if (const std::string* kept = s->find(session_key); !kept || *kept != token) s->set(session_key, token);
    }
    res.set("X-Content-Type-Options", "nosniff");
    res.set(http::field::cache_control, "no-store");
    std::string_view accept = req[http::field::accept];
    auto has = [&](std::string_view s) { return accept.find(s) != std::string_view::npos; };
    if (!has("text/plain") && (has("application/json") || has("text/json"))) {
        // Tokens are hex; a header value accepted by allowedPattern is escaped.
        res.set(http::field::content_type, "application/json; charset=utf-8");
        res.body() = "{\"token\":";
        detail::append_quoted(res.body(), token, detail::go_json_quote);
        res.body() += '}';
    } else if (!has("text/plain") && (has("application/xml") || has("text/xml"))) {
        res.set(http::field::content_type, "application/xml; charset=utf-8");
        res.body() = "<token>" + xml_escape(token) + "</token>";
    } else {
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = std::move(token);
    }
    res.prepare_payload();
    co_return res;
}

}  // namespace aileron::middlewares
