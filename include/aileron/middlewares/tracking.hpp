#pragma once
/// @file
/// `app/v1 TrackingMiddleware`: gives every request a request ID and a trace ID, for its logs
/// and as request headers to send upstream.
///
/// The request ID is 48 characters of AILERON's "escaped" base32hex alphabet
/// (`0123456789BCDFGHJKLMNPQRSTUVWXYZ`, no vowels) encoding 30 random bytes; a request that has
/// one already (from a TrackingMiddleware further out) keeps it. The trace ID is the value of
/// the `traceIDExtractName` request header when present, else the request ID. Both go into the
/// request context (`request_context::ids`), so HTTPLogger's records and the request's logs
/// written from then on carry them as `"ids"`. With `requestIDProxyName` / `traceIDProxyName`
/// set, the IDs are also set as those request headers, so a ReverseProxyHandler forwards them
/// upstream (and an EchoHandler shows them).

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace aileron::middlewares {

class tracking {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "TrackingMiddleware";

    /// AILERON's `TrackingMiddlewareSpec`; every name matches `^[0-9a-zA-Z-_]*$`.
    struct config {
        std::string request_id_proxy_name;   ///< request header that carries the request ID; empty: none
        std::string trace_id_proxy_name;     ///< request header that carries the trace ID; empty: none
        std::string trace_id_extract_name;   ///< request header to take the trace ID from; empty: none
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("requestIDProxyName", "RequestIDProxyName", &config::request_id_proxy_name),
                              field("traceIDProxyName", "TraceIDProxyName", &config::trace_id_proxy_name),
                              field("traceIDExtractName", "TraceIDExtractName", &config::trace_id_extract_name)};
        }
        void normalize(aileron::config::decoder& d);
    };

    tracking() = default;
    explicit tracking(const config& cfg)
        : request_header_(cfg.request_id_proxy_name),
          trace_header_(cfg.trace_id_proxy_name),
          extract_header_(cfg.trace_id_extract_name) {}

    std::optional<response> on_request(request& req) const;

    /// Writes a new request ID: 30 random bytes in the escaped base32hex alphabet (48
    /// characters). Uses a per-thread generator seeded from `std::random_device`; no lock.
    static void new_request_id(char (&out)[48]) noexcept;
    /// The same as a string.
    static std::string new_request_id();

private:
    std::string request_header_, trace_header_, extract_header_;
};

static_assert(middleware<tracking>);

}  // namespace aileron::middlewares
