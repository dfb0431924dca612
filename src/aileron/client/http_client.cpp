#include <aileron/client/http_client.hpp>

#include <aileron/registry/registry.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include <limits>

namespace aileron::client {

//----------------------------------------------------------------------------------------------
// Validation: what aileron cannot honour is refused, not silently ignored.

void retry_config::normalize(config::decoder& d) {
    if (max_retry > 100) d.error("maxRetry", "must be <= 100");
    if (max_content_length < 0 || max_content_length > (16 << 20))
        d.error("maxContentLength", "must be in 0..16777216 (16 MiB)");
    for (std::size_t i = 0; i < retry_status_codes.size(); ++i) {
        const auto s = retry_status_codes[i];
        const std::string at = "retryStatusCodes[" + std::to_string(i) + "]";
        if (s < 100 || s > 599) d.error(at, "must be an HTTP status (100..599)");
        for (std::size_t j = 0; j < i; ++j)
            if (retry_status_codes[j] == s) d.error(at, "duplicate status " + std::to_string(s));
    }
}

void dial_config::normalize(config::decoder& d) {
    if (!tls_config.is_null())
        d.error("tlsConfig", "TLS to upstreams is configured by httpTransportConfig.tlsConfig in aileron");
    if (!local_address.empty()) d.error("localAddress", "binding a local address is not supported by aileron yet");
    if (!replace_targets.empty()) d.error("replaceTargets", "dial target replacement is not supported by aileron yet");
    if (timeout < 0) d.error("timeout", "must be >= 0 ms");
    if (fallback_delay != 0)
        d.error("fallbackDelay", "aileron tries the resolved addresses one after another (no Happy Eyeballs); "
                                 "leave it 0");
    if (!sock_option.is_null()) d.error("sockOption", "socket options are not supported by aileron yet");
}

void http_transport_config::normalize(config::decoder& d) {
    auto non_negative = [&](std::string_view name, std::int64_t v, std::string_view unit) {
        if (v < 0) d.error(name, "must be >= 0" + std::string{unit});
    };
    non_negative("tlsHandshakeTimeout", tls_handshake_timeout, " ms");
    non_negative("maxIdleConnsPerHost", max_idle_conns_per_host, "");
    non_negative("idleConnTimeout", idle_conn_timeout, " ms");
    non_negative("responseHeaderTimeout", response_header_timeout, " ms");
    non_negative("expectContinueTimeout", expect_continue_timeout, " ms");
    non_negative("writeBufferSize", write_buffer_size, "");
    non_negative("readBufferSize", read_buffer_size, "");
    if (max_idle_conns != 0)
        d.error("maxIdleConns", "a limit on all idle connections is not supported by aileron (pools are per worker "
                                "thread); use maxIdleConnsPerHost");
    if (max_conns_per_host != 0)
        d.error("maxConnsPerHost", "a limit on connections per host is not supported by aileron yet");
    if (max_response_header_bytes < 0 ||
        max_response_header_bytes > std::int64_t{std::numeric_limits<std::uint32_t>::max()})
        d.error("maxResponseHeaderBytes", "must be in 0..4294967295");
    if (allow_http2) d.error("allowHTTP2", "HTTP/2 to upstreams is not supported by aileron yet");
}

void http_client::config::normalize(aileron::config::decoder& d) {
    if (!http2_transport.is_null())
        d.error("http2TransportConfig", "HTTP/2 to upstreams is not supported by aileron yet");
    if (!http3_transport.is_null())
        d.error("http3TransportConfig", "HTTP/3 to upstreams is not supported by aileron yet");
}

transport_options to_transport_options(const std::optional<http_transport_config>& cfg) {
    if (!cfg) return {};   // AILERON's DefaultHTTPTransport
    using ms = std::chrono::milliseconds;
    transport_options o;
    // Go's http.Transport from the config: what is not set keeps Go's zero meaning.
    o.dial_timeout = ms{cfg->dial ? cfg->dial->timeout : 0};
    o.response_header_timeout = ms{cfg->response_header_timeout};
    o.idle_timeout = ms{cfg->idle_conn_timeout};
    o.max_idle_per_host = cfg->max_idle_conns_per_host > 0 ? static_cast<std::size_t>(cfg->max_idle_conns_per_host) : 1024;
    o.max_response_header_bytes =
        cfg->max_response_header_bytes > 0 ? static_cast<std::size_t>(cfg->max_response_header_bytes) : 1u << 20;
    o.disable_keep_alives = cfg->disable_keep_alives;
    o.tls_handshake_timeout = ms{cfg->tls_handshake_timeout};
    if (cfg->tls) o.tls = make_tls_context(*cfg->tls);   // validated by normalize; throws if a file changed since
    return o;
}

//----------------------------------------------------------------------------------------------
// Retry decisions

retry_policy retry_policy::from(const retry_config& c) {
    retry_policy p;
    p.max_retry = c.max_retry;
    p.max_content_length = static_cast<std::uint64_t>(std::max<std::int32_t>(c.max_content_length, 0));
    for (auto s : c.retry_status_codes) p.statuses.push_back(static_cast<unsigned>(s));
    return p;
}

bool retry_policy::idempotent(http::verb v) noexcept {
    switch (v) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_: return true;
    default: return false;
    }
}

bool retry_policy::connect_error(const error_code& ec) noexcept {
    return ec == asio::error::connection_refused || ec == asio::error::host_unreachable ||
           ec == asio::error::network_unreachable || ec == asio::error::host_not_found_try_again;
}

bool retry_policy::reset_error(const error_code& ec) noexcept {
    return ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
           ec == asio::error::broken_pipe || ec == asio::error::eof || ec == http::error::end_of_stream;
}

bool retry_policy::should_retry(unsigned attempt, const exchange& e) const noexcept {
    if (attempt >= max_retry) return false;
    if (e.body_sent && !e.replayable) return false;   // what went out cannot be sent again
    const bool idem = idempotent(e.method);
    if (e.error) {
        if (connect_error(e.error)) return true;       // nothing reached the upstream
        return idem && reset_error(e.error);           // it may have been applied: idempotent only
    }
    if (!retry_status(e.status)) return false;
    return idem || !e.body_sent;
}

std::chrono::milliseconds retry_policy::backoff_bound(unsigned retry) const noexcept {
    if (base.count() <= 0) return std::chrono::milliseconds{0};
    // base * 2^retry, without overflowing: stop doubling at the cap.
    std::int64_t b = base.count();
    for (unsigned i = 0; i < retry && b < cap.count(); ++i) b *= 2;
    return std::chrono::milliseconds{std::min<std::int64_t>(b, cap.count())};
}

namespace detail {

task<result<asio::const_buffer>> watched_body::next() {
    auto piece = co_await inner_.next();
    if (piece && piece->size() != 0) started_ = true;
    co_return piece;
}

task<result<asio::const_buffer>> replay_body::next() {
    asio::const_buffer b = done_ ? asio::const_buffer{} : asio::buffer(data_);
    done_ = true;
    co_return b;
}

task<void> discard_body(response& res, std::size_t limit) {
    body_source* src = res.stream();
    if (!src) co_return;
    if (auto n = src->size(); n && *n > limit) co_return;   // not worth reading: dropped with its connection
    std::size_t total = 0;
    for (;;) {
        auto piece = co_await src->next();
        if (!piece || piece->size() == 0) co_return;
        total += piece->size();
        if (total > limit) co_return;
    }
}

std::minstd_rand& backoff_random() {
    thread_local std::minstd_rand g{std::random_device{}()};
    return g;
}

}  // namespace detail

//----------------------------------------------------------------------------------------------

namespace {

/// The transport as `next` of the retry tripperware, without copying it.
struct transport_ref {
    const http_transport* t;
    task<result<response>> operator()(request& req) const { return (*t)(req); }
};

}  // namespace

static_assert(tripperware<retry, transport_ref>);

http_client::http_client(const config& cfg, build_context& ctx)
    : http_client(to_transport_options(cfg.http_transport), retry_policy::from(cfg.retry),
                  ctx.tripperware(cfg.tripperwares)) {}

http_client::http_client(transport_options transport, retry_policy policy, std::vector<any_tripperware> tripperwares)
    : exchange_{http_transport{transport}, retry{std::move(policy)}} {
    if (!tripperwares.empty())
        chain_ = std::make_shared<const dynamic_client_chain>(std::move(tripperwares), any_round_tripper{exchange_});
}

task<result<response>> http_client::exchange::operator()(request& req) const {
    if (retrying.policy().max_retry == 0) return transport(req);
    return retrying(req, transport_ref{&transport});
}

}  // namespace aileron::client
