#pragma once
/// @file
/// `client::http_transport`: the round tripper at the end of the client chain. HTTP/1.1 over
/// TCP, with a pool of idle keep-alive connections per worker thread (no lock shared between
/// threads), request bodies streamed upstream and response bodies streamed back.

#include <aileron/core/round_tripper.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace aileron::client {

class tls_context;   // client/tls.hpp

/// Limits and timeouts of a transport. Defaults are AILERON's built-in transport's.
struct transport_options {
    std::chrono::milliseconds dial_timeout{10'000};
    std::chrono::milliseconds response_header_timeout{0};   ///< 0: none (as AILERON's default)
    std::chrono::milliseconds idle_timeout{60'000};         ///< a pooled connection older than this is closed; 0: no limit
    std::size_t max_idle_per_host = 1024;
    std::size_t max_response_header_bytes = 1u << 20;
    bool disable_keep_alives = false;   ///< one request per connection, `Connection: close` sent (Go's DisableKeepAlives)
    /// For `https://` upstreams (`make_tls_context`); null: `default_tls_context()` (system roots).
    std::shared_ptr<const tls_context> tls;
    std::chrono::milliseconds tls_handshake_timeout{10'000};   ///< 0: none
};

/**
 * Sends a request whose target is in absolute form (`http://host:port/path?query`, as the
 * reverse proxy makes it) to that host, and returns the upstream's response with its body
 * streamed from the connection. The connection goes back to the pool when the body has been
 * read to its end and both sides allow keep-alive.
 *
 * The request body is streamed upstream as it is read from `req.body()`: with its
 * Content-Length when known, chunked otherwise.
 *
 * Errors are values: `asio::error::connection_refused` and friends for connect failures,
 * `asio::error::timed_out` for the dial, TLS handshake and response-header timeouts, OpenSSL's
 * errors for a failed handshake or verification, Beast's parser errors for a malformed response.
 *
 * `https://` targets are dialled over TLS (OpenSSL): SNI and certificate verification use the
 * configured server name or else the target's host. TLS connections are pooled like plain ones,
 * apart from them and from other clients' TLS settings.
 *
 * @par Thread Safety
 * One transport serves every worker thread; each thread has its own pool.
 */
class http_transport {
public:
    explicit http_transport(transport_options opt = {}) : opt_(opt) {}

    task<result<response>> operator()(request& req) const;

    const transport_options& options() const noexcept { return opt_; }

private:
    transport_options opt_;
};

static_assert(round_tripper<http_transport>);

}  // namespace aileron::client
