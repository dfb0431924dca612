#pragma once
/// @file
/// Cookies: AILERON's `core.v1.CookieSpec` (the attributes a resource gives the cookies it
/// sets), `Set-Cookie` values written as Go's `http.Cookie.String()` writes them, and reading
/// the `Cookie` request header as Go's `readCookies` does.

#include <aileron/config/decode.hpp>

#include <boost/beast/http/fields.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace aileron {

/// AILERON's `core.v1.SameSite`. `unknown` and `default_mode` both send no `SameSite`.
enum class same_site { unknown = 0, default_mode, lax, strict, none };

}  // namespace aileron

template <>
struct aileron::config::enum_traits<aileron::same_site> {
    using e = aileron::same_site;
    static constexpr std::array values{
        std::pair{std::string_view{"SameSiteUnknown"}, e::unknown},
        std::pair{std::string_view{"Default"}, e::default_mode},
        std::pair{std::string_view{"Lax"}, e::lax},
        std::pair{std::string_view{"Strict"}, e::strict},
        std::pair{std::string_view{"None"}, e::none},
    };
};

namespace aileron {

/**
 * AILERON's `core.v1.CookieSpec`. A resource that omits its cookie spec uses
 * `cookie_attributes{}` (Path `/`, `Secure`, `HttpOnly`); a spec that is given is used as
 * written, so `secure` and `httpOnly` must then be spelt out.
 */
struct cookie_spec {
    std::string name;          ///< replaced by the resource's own cookie name
    std::string value;         ///< replaced by the resource's value
    std::string path;          ///< empty: no Path attribute
    std::string domain;        ///< empty: no Domain attribute (a leading dot is dropped)
    std::int32_t expires_in = 0;   ///< seconds from when the cookie is set; ≤ 0: no Expires
    std::int32_t max_age = 0;      ///< seconds; 0: no Max-Age; < 0: `Max-Age=0`
    bool secure = false;
    bool http_only = false;
    aileron::same_site same_site = aileron::same_site::unknown;

    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("name", "Name", &cookie_spec::name),
                          field("value", "Value", &cookie_spec::value),
                          field("path", "Path", &cookie_spec::path),
                          field("domain", "Domain", &cookie_spec::domain),
                          field("expiresIn", "ExpiresIn", &cookie_spec::expires_in),
                          field("maxAge", "MaxAge", &cookie_spec::max_age),
                          field("secure", "Secure", &cookie_spec::secure),
                          field("httpOnly", "HTTPOnly", &cookie_spec::http_only),
                          field("sameSite", "SameSite", &cookie_spec::same_site)};
    }
    /// Rejects a path or domain that cannot be written into a Set-Cookie header (Go drops
    /// them silently).
    void normalize(aileron::config::decoder& d);
};

/// The attributes of the cookies a resource sets (AILERON's `CookieCreator`). Immutable.
class cookie_attributes {
public:
    /// AILERON's defaults when a resource has no cookie spec: `Path=/; HttpOnly; Secure`.
    cookie_attributes();
    explicit cookie_attributes(const cookie_spec& spec);
    /// `spec` when given, else the defaults.
    static cookie_attributes from(const std::optional<cookie_spec>& spec) {
        return spec ? cookie_attributes{*spec} : cookie_attributes{};
    }

    /// `name=value; Path=..; Domain=..; Expires=..; Max-Age=..; HttpOnly; Secure; SameSite=..`,
    /// in Go's order. A value with a space or a comma is quoted; bytes a cookie value cannot
    /// hold are dropped.
    std::string set_cookie(std::string_view name, std::string_view value) const;
    /// A Set-Cookie value that deletes cookie `name`: empty value, `Max-Age=0`, with this
    /// Path and Domain (a deletion without them would not match the cookie).
    std::string delete_cookie(std::string_view name) const;

    bool has_expiry() const noexcept { return expires_in_ > 0 || max_age_ > 0; }

private:
    std::string path_;
    std::string domain_;
    std::int32_t expires_in_ = 0;
    std::int32_t max_age_ = 0;
    bool secure_ = true;
    bool http_only_ = true;
    aileron::same_site same_site_ = aileron::same_site::default_mode;
};

/**
 * The cookies of one `Cookie` header value, one by one, as Go reads them: pairs separated by
 * `;`, blanks trimmed, pairs with an invalid name or value skipped, surrounding double quotes
 * of a value removed.
 */
class cookie_reader {
public:
    explicit cookie_reader(std::string_view header) noexcept : rest_(header) {}
    /// The next valid cookie; false at the end.
    bool next(std::string_view& name, std::string_view& value) noexcept;

private:
    std::string_view rest_;
};

/// The value of the first cookie named `name` in any `Cookie` header of `fields`.
std::optional<std::string_view> find_cookie(const boost::beast::http::fields& fields, std::string_view name);

}  // namespace aileron
