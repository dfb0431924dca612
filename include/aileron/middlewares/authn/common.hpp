#pragma once
/// @file
/// What the four authentication middleware share besides secrets: the `logger` and
/// `errorHandler` references of their specs, and recording claims in the request.

#include <aileron/config/decode.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/http.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aileron {
class build_context;
class logger;
}  // namespace aileron

namespace aileron::middlewares::authn {

/// The logger and error handler an authentication middleware uses.
class services {
public:
    /// The server's error handler and logger (those of the request's context).
    services() = default;
    /// Resolves the spec's `logger` and `errorHandler` references; an empty one keeps the server's.
    services(const aileron::config::reference& logger_ref, const aileron::config::reference& errors_ref,
             build_context& ctx);

    /// The error response for `err`, by the configured error handler or the server's.
    response error(const request& req, const http_error& err) const;
    /// The configured logger, else the server's, else the process default.
    const logger& log(const request& req) const noexcept;

private:
    std::shared_ptr<const logger> log_;
    std::shared_ptr<const error_handler> errors_;
};

/// The current time in Unix seconds (a claim's auth_time).
std::int64_t unix_now() noexcept;

/// `Scheme ` at the start of an Authorization value, matched case-insensitively; the rest of
/// the value after it, or nothing.
std::optional<std::string_view> strip_scheme(std::string_view authorization, std::string_view scheme) noexcept;

/// `s` as an HTTP quoted-string (RFC 9110 §5.6.4): in quotes, `"` and `\` escaped.
std::string quote_http(std::string_view s);

}  // namespace aileron::middlewares::authn
