#pragma once
/// @file
/// `app/v1 CSRFMiddleware`: protection against cross-site request forgery (OWASP's "custom
/// request header", "double submit cookie" and "synchronizer token" patterns), and the
/// endpoint that issues the tokens.
///
/// A token is `hex(seed || HMAC(secret, seed))` with `seedSize` random bytes. As a
/// **middleware**, requests whose method is in `skipMethods` (GET, HEAD, TRACE, OPTIONS by
/// default) pass; any other request must prove it is not forged:
/// - `customRequestHeader`: the header must be present, and its value must match
///   `allowedPattern` or be a valid token;
/// - `doubleSubmitCookies`: the token in the cookie and the one in the header, form field or
///   JSON member must be equal and valid;
/// - `synchronizerToken`: the token kept in the session (a SessionMiddleware must run first)
///   and the one sent must be equal and valid.
/// A failure is 403 (`E3209 AppMiddleCSRFToken`) through the error handler; a missing session
/// is 500 (`E3210 AppMiddleCSRFSession`). Tokens and MACs are compared in constant time. With
/// `proxyHeaderName`, the verified token is set as that request header (a client's own value
/// of it is always removed).
///
/// As a **handler** (mounted at `patterns`, "/token" by default) it answers the client's
/// valid token, or a new one (always a new one with `issueNew`), after storing it where the
/// pattern needs it (a cookie, the session); the body is the bare token (text/plain),
/// `{"token":".."}` or `<token>..</token>` by `Accept`, with `Cache-Control: no-store`.

#include <aileron/config/decode.hpp>
#include <aileron/core/cookie.hpp>
#include <aileron/core/crypto.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/handlers/routes.hpp>
#include <aileron/server/http_method.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::middlewares {

/// AILERON's `TokenSource`: where the request carries its token.
enum class csrf_token_source { header = 0, form, json };

}  // namespace aileron::middlewares

template <>
struct aileron::config::enum_traits<aileron::middlewares::csrf_token_source> {
    using e = aileron::middlewares::csrf_token_source;
    static constexpr std::array values{
        std::pair{std::string_view{"Header"}, e::header},
        std::pair{std::string_view{"Form"}, e::form},
        std::pair{std::string_view{"JSON"}, e::json},
    };
};

namespace aileron::middlewares {

class csrf : public handlers::routes {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "CSRFMiddleware";

    struct custom_request_header_config {
        std::string header_name = "X-Requested-With";
        std::string allowed_pattern;   ///< a regular expression; a match is accepted without a token
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("headerName", "HeaderName", &custom_request_header_config::header_name),
                              field("allowedPattern", "AllowedPattern", &custom_request_header_config::allowed_pattern)};
        }
        void normalize(aileron::config::decoder& d);
    };
    struct double_submit_cookies_config {
        std::string cookie_name = "__csrfToken";
        std::optional<cookie_spec> cookie;   ///< absent: `Path=/; HttpOnly; Secure`
        csrf_token_source token_source = csrf_token_source::header;
        std::string source_key = "__csrfToken";   ///< header name, form field or JSON member
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("cookieName", "CookieName", &double_submit_cookies_config::cookie_name),
                              field("cookie", "Cookie", &double_submit_cookies_config::cookie),
                              field("tokenSource", "TokenSource", &double_submit_cookies_config::token_source),
                              field("sourceKey", "SourceKey", &double_submit_cookies_config::source_key)};
        }
        void normalize(aileron::config::decoder& d);
    };
    struct synchronizer_token_config {
        csrf_token_source token_source = csrf_token_source::header;
        std::string source_key = "__csrfToken";
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("tokenSource", "TokenSource", &synchronizer_token_config::token_source),
                              field("sourceKey", "SourceKey", &synchronizer_token_config::source_key)};
        }
        void normalize(aileron::config::decoder& d);
    };

    /// AILERON's `CSRFMiddlewareSpec`. At most one pattern may be given; none means
    /// `customRequestHeader` with its defaults.
    struct config {
        std::vector<std::string> patterns;        ///< token endpoint paths; empty: ["/token"]
        std::vector<http_method> methods;         ///< token endpoint methods; empty: all
        std::vector<http_method> skip_methods;    ///< empty: GET, HEAD, TRACE, OPTIONS
        std::string proxy_header_name;            ///< request header that carries the verified token
        bool issue_new = false;
        std::string secret;                       ///< base64; empty: SHA-512 of the host name
        std::int32_t seed_size = 20;              ///< bytes, ≥ 5
        aileron::hash_alg hash_alg = aileron::hash_alg::sha256;
        std::optional<custom_request_header_config> custom_request_header;
        std::optional<double_submit_cookies_config> double_submit_cookies;
        std::optional<synchronizer_token_config> synchronizer_token;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("patterns", "Patterns", &config::patterns),
                              field("methods", "Methods", &config::methods),
                              field("skipMethods", "SkipMethods", &config::skip_methods),
                              field("proxyHeaderName", "ProxyHeaderName", &config::proxy_header_name),
                              field("issueNew", "IssueNew", &config::issue_new),
                              field("secret", "Secret", &config::secret),
                              field("seedSize", "SeedSize", &config::seed_size),
                              field("hashAlg", "HashAlg", &config::hash_alg),
                              field("customRequestHeader", "CustomRequestHeader", &config::custom_request_header),
                              field("doubleSubmitCookies", "DoubleSubmitCookies", &config::double_submit_cookies),
                              field("synchronizerToken", "SynchronizerToken", &config::synchronizer_token)};
        }
        void normalize(aileron::config::decoder& d);
    };

    /// The session key under which the synchronizer-token pattern keeps the token.
    static constexpr std::string_view session_key = "__csrf_token__";
    /// The most bytes of a form or JSON body read to find a token (Go's form limit).
    static constexpr std::size_t max_body = 10 << 20;

    csrf() : csrf(config{}) {}
    /// Throws std::invalid_argument for a config `normalize` would reject.
    explicit csrf(const config& cfg);

    /// The middleware.
    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        if (!proxy_header_.empty()) req.erase(proxy_header_);
        if (skipped(req.method())) co_return co_await next(req);
        body_holder held{req, nullptr, std::nullopt};
        body_text body;
        if (needs_body(req)) body = co_await read_body(req, held);
        verdict v = check(req, body);
        if (!v.error.empty()) co_return reject(req, v);
        if (!proxy_header_.empty()) req.set(proxy_header_, v.token);
        co_return co_await next(req);
    }

    /// The token endpoint.
    task<response> operator()(request& req) const;

    /// A new token; nothing if no randomness could be had.
    std::optional<std::string> new_token() const;
    /// Whether `token` is one this middleware issued (with its secret), in constant time.
    bool valid_token(std::string_view token) const;

private:
    enum class pattern { custom_header, double_submit, synchronizer };
    /// The outcome of a check: the verified token, or why there is none.
    struct verdict {
        std::string token;
        std::string_view error;   ///< empty when the token is good
        bool session_missing = false;
    };
    /// A body that was read to find a token, given back to the rest of the chain.
    struct body_holder {
        request& req;
        body_source* original;
        std::optional<string_body_source> buffered;
        ~body_holder() {
            if (original) req.set_body(original);
        }
    };
    /// The body as text, or nothing when it could not be read (too large, broken).
    struct body_text {
        bool ok = false;
        std::string text;
    };

    bool skipped(http::verb v) const noexcept;
    bool needs_body(const request& req) const noexcept;
    /// Reads the body for a form or JSON token, and puts an in-memory copy in its place.
    static task<body_text> read_body(request& req, body_holder& held);
    verdict check(const request& req, const body_text& body) const;
    /// The token the request sends (header, form field or JSON member); empty when none.
    std::string sent_token(const request& req, const body_text& body) const;
    response reject(const request& req, const verdict& v) const;

    pattern pattern_ = pattern::custom_header;
    std::vector<http::verb> skip_;
    std::string proxy_header_;
    bool issue_new_ = false;
    std::size_t seed_size_ = 20;
    std::optional<crypto::hmac> mac_;
    // customRequestHeader
    std::string header_name_;
    std::optional<std::regex> allowed_;
    // doubleSubmitCookies / synchronizerToken
    std::string cookie_name_;
    cookie_attributes cookie_;
    csrf_token_source source_ = csrf_token_source::header;
    std::string source_key_;
};

static_assert(middleware<csrf>);
static_assert(handler<csrf>);

}  // namespace aileron::middlewares
