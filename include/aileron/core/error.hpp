#pragma once
/// @file
/// Errors a client sees: an `http_error` says what went wrong (status, AILERON's error code and
/// kind), an `error_handler` turns it into a response in the representation the client
/// accepts. The default handler writes AILERON's JSON / XML / YAML bodies (spec §3.4).

#include <aileron/core/http.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron {

/// An error to answer a request with.
struct http_error {
    http::status status = http::status::internal_server_error;
    std::string_view code;      ///< AILERON's error code, e.g. "E2131" (may be empty)
    std::string_view kind;      ///< AILERON's error kind, e.g. "CoreServerNotFound"
    std::string message;        ///< detail for the log, never sent to the client
    std::vector<std::pair<std::string, std::string>> headers;   ///< e.g. WWW-Authenticate
};

/// Turns an error into a response for one request. Implementations are immutable and shared
/// by every worker thread.
class error_handler {
public:
    virtual ~error_handler() = default;
    virtual response make(const request& req, const http_error& err) const = 0;
};

/**
 * AILERON's default error bodies. The representation comes from the first media range of
 * `Accept` (list order; q-values ignored): JSON for `application/json`, `text/json` and
 * anything unknown; XML for `application/xml`, `text/xml`; YAML for `application/yaml`,
 * `text/yaml`, `text/plain`. Adds `X-Content-Type-Options: nosniff` and `Vary: Accept`.
 */
class default_error_handler final : public error_handler {
public:
    response make(const request& req, const http_error& err) const override;
    /// The process-wide instance used when nothing else is configured.
    static const default_error_handler& instance() noexcept;
};

/// The response for `err`, made by the request's configured error handler (or the default).
response error_response(const request& req, const http_error& err);
/// Shorthand for an error with only a status.
response error_response(const request& req, http::status status);

/// Go's `http.StatusText` for a status code ("Request Entity Too Large" for 413, ...); empty
/// for unknown codes. AILERON's bodies use these texts.
std::string_view status_text(unsigned status) noexcept;

}  // namespace aileron
