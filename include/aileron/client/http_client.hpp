#pragma once
/// @file
/// `core/v1 HTTPClient`: the round tripper a ReverseProxyHandler's `roundTripper` refers to.
/// The built-in HTTP/1.1 transport with the limits of `httpTransportConfig`, under a retry
/// tripperware (`retryConfig`) whose rules are aileron's own (RFC 9110 §9.2.2, see
/// docs/config/httpclient.md): only requests that are safe to send again are sent again.

#include <aileron/chain/client_chain.hpp>
#include <aileron/client/http_transport.hpp>
#include <aileron/client/tls.hpp>
#include <aileron/config/decode.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace aileron {
class build_context;
}

namespace aileron::client {

//----------------------------------------------------------------------------------------------
// Config (AILERON's core.v1.HTTPClientSpec, kernel.HTTPTransportConfig, kernel.DialConfig)

/// `spec.retryConfig`.
struct retry_config {
    std::uint32_t max_retry = 0;                  ///< ≤ 100; 0: no retry
    std::int32_t max_content_length = 0;          ///< bytes of a request body kept for replay, ≤ 16 MiB
    std::vector<std::int32_t> retry_status_codes;   ///< statuses retried (besides connection failures)
    static constexpr auto fields() {
        using c = retry_config;
        return std::tuple{config::field("maxRetry", "MaxRetry", &c::max_retry),
                          config::field("maxContentLength", "MaxContentLength", &c::max_content_length),
                          config::field("retryStatusCodes", "RetryStatusCodes", &c::retry_status_codes)};
    }
    void normalize(config::decoder& d);
};

/// `httpTransportConfig.dialConfig`: only `timeout` is honoured; the rest is rejected when set
/// (TLS is configured by `httpTransportConfig.tlsConfig`).
struct dial_config {
    config::node tls_config;
    std::string local_address;
    std::vector<std::string> replace_targets;
    std::int32_t timeout = 0;          ///< ms; 0: none
    std::int32_t fallback_delay = 0;   ///< ms
    config::node sock_option;
    static constexpr auto fields() {
        using c = dial_config;
        return std::tuple{config::field("tlsConfig", "TLSConfig", &c::tls_config),
                          config::field("localAddress", "LocalAddress", &c::local_address),
                          config::field("replaceTargets", "ReplaceTargets", &c::replace_targets),
                          config::field("timeout", "Timeout", &c::timeout),
                          config::field("fallbackDelay", "FallbackDelay", &c::fallback_delay),
                          config::field("sockOption", "SockOption", &c::sock_option)};
    }
    void normalize(config::decoder& d);
};

/// `spec.httpTransportConfig`: times in milliseconds, as AILERON.
struct http_transport_config {
    std::optional<tls_config> tls;
    std::int64_t tls_handshake_timeout = 0;
    bool disable_keep_alives = false;
    bool disable_compression = false;
    std::int32_t max_idle_conns = 0;
    std::int32_t max_idle_conns_per_host = 0;   ///< 0: 1024
    std::int32_t max_conns_per_host = 0;
    std::int64_t idle_conn_timeout = 0;         ///< 0: no limit
    std::int64_t response_header_timeout = 0;   ///< 0: none
    std::int64_t expect_continue_timeout = 0;
    std::int64_t max_response_header_bytes = 0;   ///< 0: 1 MiB
    std::int32_t write_buffer_size = 0;
    std::int32_t read_buffer_size = 0;
    bool allow_http2 = false;
    std::optional<dial_config> dial;
    static constexpr auto fields() {
        using c = http_transport_config;
        return std::tuple{
            config::field("tlsConfig", "TLSConfig", &c::tls),
            config::field("tlsHandshakeTimeout", "TLSHandshakeTimeout", &c::tls_handshake_timeout),
            config::field("disableKeepAlives", "DisableKeepAlives", &c::disable_keep_alives),
            config::field("disableCompression", "DisableCompression", &c::disable_compression),
            config::field("maxIdleConns", "MaxIdleConns", &c::max_idle_conns),
            config::field("maxIdleConnsPerHost", "MaxIdleConnsPerHost", &c::max_idle_conns_per_host),
            config::field("maxConnsPerHost", "MaxConnsPerHost", &c::max_conns_per_host),
            config::field("idleConnTimeout", "IdleConnTimeout", &c::idle_conn_timeout),
            config::field("responseHeaderTimeout", "ResponseHeaderTimeout", &c::response_header_timeout),
            config::field("expectContinueTimeout", "ExpectContinueTimeout", &c::expect_continue_timeout),
            config::field("maxResponseHeaderBytes", "MaxResponseHeaderBytes", &c::max_response_header_bytes),
            config::field("writeBufferSize", "WriteBufferSize", &c::write_buffer_size),
            config::field("readBufferSize", "ReadBufferSize", &c::read_buffer_size),
            config::field("allowHTTP2", "AllowHTTP2", &c::allow_http2),
            config::field("dialConfig", "DialConfig", &c::dial)};
    }
    void normalize(config::decoder& d);
};

/// What a transport config means for the built-in transport: AILERON's default transport
/// without one; Go's zero values (no dial timeout, no idle limit) for what one leaves unset.
transport_options to_transport_options(const std::optional<http_transport_config>& cfg);

//----------------------------------------------------------------------------------------------
// Retry

/**
 * When a failed exchange may be sent again, and how long to wait first. Pure decisions,
 * separate from the I/O so that they can be tested one by one.
 *
 * An exchange is sent again only when all of these hold:
 * - attempts remain (`1 + max_retry` in all);
 * - it is safe: the method is idempotent (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT,
 *   DELETE), or no byte of the request body was sent (for a non-idempotent method, a broken
 *   connection counts only when it broke while connecting: the request may have been applied);
 * - the body can be sent again: none of it was sent, or all of it is buffered for replay;
 * - it failed: a connection error before any response (`connect_error`, or for idempotent
 *   methods also `reset_error`), or a response status listed in `statuses`.
 */
struct retry_policy {
    std::uint32_t max_retry = 0;
    std::uint64_t max_content_length = 0;
    std::vector<unsigned> statuses;
    std::chrono::milliseconds base{1};       ///< backoff of the first retry (upper bound)
    std::chrono::milliseconds cap{10'000};   ///< no wait is longer

    static retry_policy from(const retry_config& c);

    static bool idempotent(http::verb v) noexcept;
    /// The connection could not be made: nothing of the request reached the upstream.
    static bool connect_error(const error_code& ec) noexcept;
    /// The connection broke (reset, closed) before a response came back.
    static bool reset_error(const error_code& ec) noexcept;
    bool retry_status(unsigned status) const noexcept {
        return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
    }
    /// Whether a request body of `size` bytes is buffered so that it can be sent again.
    bool replayable(std::optional<std::uint64_t> size) const noexcept {
        return max_retry > 0 && size && *size > 0 && *size <= max_content_length;
    }

    /// What attempt `attempt` (0-based) led to, and whether to send it once more.
    struct exchange {
        http::verb method;
        bool body_sent = false;     ///< some of the request body went out
        bool replayable = false;    ///< the whole body is buffered
        error_code error;           ///< set when there was no response
        unsigned status = 0;        ///< else the response status
    };
    bool should_retry(unsigned attempt, const exchange& e) const noexcept;

    /// The longest wait before retry `retry` (0-based): min(cap, base * 2^retry).
    std::chrono::milliseconds backoff_bound(unsigned retry) const noexcept;
    /// Full jitter: a wait drawn uniformly from [0, backoff_bound(retry)].
    template <class URBG>
    std::chrono::milliseconds backoff(unsigned retry, URBG& g) const {
        std::uniform_int_distribution<std::int64_t> dist{0, backoff_bound(retry).count()};
        return std::chrono::milliseconds{dist(g)};
    }
};

namespace detail {

/// A request body handed on unchanged, remembering whether any byte of it was taken.
class watched_body final : public body_source {
public:
    explicit watched_body(body_source& inner) : inner_(inner) {}
    task<result<asio::const_buffer>> next() override;
    std::optional<std::uint64_t> size() const noexcept override { return inner_.size(); }
    bool buffered() const noexcept override { return inner_.buffered(); }
    const http::fields* trailers() const noexcept override { return inner_.trailers(); }
    bool broken() const noexcept override { return inner_.broken(); }
    bool started() const noexcept { return started_; }

private:
    body_source& inner_;
    bool started_ = false;
};

/// A buffered request body, sent again on every attempt.
class replay_body final : public body_source {
public:
    explicit replay_body(const std::string& data) : data_(data) {}
    task<result<asio::const_buffer>> next() override;
    std::optional<std::uint64_t> size() const noexcept override { return data_.size(); }
    bool buffered() const noexcept override { return true; }
    bool started() const noexcept { return done_; }

private:
    const std::string& data_;
    bool done_ = false;
};

/// Reads and drops what is left of a response body that is not used (at most `limit` bytes:
/// a longer one is dropped with its connection).
task<void> discard_body(response& res, std::size_t limit);

std::minstd_rand& backoff_random();

}  // namespace detail

/**
 * The retry tripperware: sends the request through `next` until it succeeds, it is not safe
 * to send again (`retry_policy`), or the attempts are used up. Waits with exponential backoff
 * and full jitter between attempts, on a timer (the event loop is never blocked). After the
 * last attempt it returns what that attempt returned: the upstream's response when there was
 * one, else the error.
 */
class retry {
public:
    explicit retry(retry_policy p) : policy_(std::move(p)) {}

    template <round_tripper Next>
    task<result<response>> operator()(request& req, Next next) const {
        if (policy_.max_retry == 0) co_return co_await next(req);
        body_source* const original = &req.body();
        const std::optional<std::uint64_t> size = original->size();
        const bool replayable = policy_.replayable(size);
        std::string buffered;
        if (replayable) {
            auto whole = co_await req.read_body(static_cast<std::size_t>(*size));
            if (!whole) co_return whole.error();
            buffered = std::move(*whole);
        }
        for (unsigned attempt = 0;; ++attempt) {
            detail::watched_body watched{*original};
            detail::replay_body replay{buffered};
            if (replayable) req.set_body(&replay);
            else req.set_body(&watched);
            result<response> r = co_await next(req);
            req.set_body(original);
            retry_policy::exchange e{.method = req.method(),
                                     .body_sent = replayable ? replay.started() : watched.started(),
                                     .replayable = replayable};
            if (r) e.status = r->result_int();
            else e.error = r.error();
            if (!policy_.should_retry(attempt, e)) co_return r;
            if (r) co_await detail::discard_body(*r, 256 * 1024);
            asio::steady_timer timer{co_await asio::this_coro::executor,
                                     policy_.backoff(attempt, detail::backoff_random())};
            (void)co_await timer.async_wait(use_nothrow);
        }
    }

    const retry_policy& policy() const noexcept { return policy_; }

private:
    retry_policy policy_;
};

//----------------------------------------------------------------------------------------------

/**
 * `core/v1 HTTPClient`: its `tripperwares` (outermost first), then the retry tripperware when
 * `retryConfig.maxRetry` > 0, then the built-in transport configured by `httpTransportConfig`
 * (the order AILERON uses). HTTP/2 and HTTP/3 settings are rejected by `config::normalize`.
 *
 * @par Thread Safety
 * One client serves every worker thread (the transport keeps a pool per thread).
 */
class http_client {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "HTTPClient";

    struct config {
        std::vector<aileron::config::reference> tripperwares;
        retry_config retry;
        std::optional<http_transport_config> http_transport;
        aileron::config::node http2_transport;   ///< rejected when set
        aileron::config::node http3_transport;   ///< rejected when set
        static constexpr auto fields() {
            namespace cf = aileron::config;
            return std::tuple{cf::field("tripperwares", "Tripperwares", &config::tripperwares),
                              cf::field("retryConfig", "RetryConfig", &config::retry),
                              cf::field("httpTransportConfig", "HTTPTransportConfig", &config::http_transport),
                              cf::field("http2TransportConfig", "HTTP2TransportConfig", &config::http2_transport),
                              cf::field("http3TransportConfig", "HTTP3TransportConfig", &config::http3_transport)};
        }
        void normalize(aileron::config::decoder& d);
    };

    http_client(const config& cfg, build_context& ctx);
    /// A client built in code; `tripperwares` outermost first (for tripperware known at compile
    /// time, put the client in a `static_client_chain` instead).
    http_client(transport_options transport, retry_policy policy, std::vector<any_tripperware> tripperwares = {});

    task<result<response>> operator()(request& req) const {
        if (chain_) return (*chain_)(req);
        return exchange_(req);
    }

    const transport_options& options() const noexcept { return exchange_.transport.options(); }
    const retry_policy& policy() const noexcept { return exchange_.retrying.policy(); }

private:
    /// What follows the tripperwares: retry (when configured) around the transport.
    struct exchange {
        http_transport transport;
        retry retrying;
        task<result<response>> operator()(request& req) const;
    };

    exchange exchange_;
    std::shared_ptr<const dynamic_client_chain> chain_;   ///< tripperwares ending in a copy of exchange_; null without
};

static_assert(round_tripper<http_client>);

}  // namespace aileron::client
