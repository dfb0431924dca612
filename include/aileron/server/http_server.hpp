#pragma once
/// @file
/// `http_server`: an HTTP/1.1 server runner. One `io_context` per worker thread, all of them
/// accepting from the same listening socket; each connection lives on one worker for its
/// whole life, so the request path shares no lock between threads.

#include <aileron/chain/any_handler.hpp>
#include <aileron/core/runner.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stop_token>
#include <string>

namespace aileron {

class logger;
class error_handler;

namespace server {

/// TCP keep-alive probes on accepted connections (0: the default, 15 s as in Go).
struct tcp_keep_alive {
    bool disable = false;
    int idle = 0;       ///< seconds of silence before the first probe
    int interval = 0;   ///< seconds between probes
    int count = 0;      ///< unanswered probes before the connection drops (0: system default)
};

/// Timeouts and limits of one server. Defaults are AILERON's (Go net/http's as configured).
struct http_server_options {
    std::string addr = ":8080";                        ///< host:port, :port, [::1]:port
    std::chrono::seconds shutdown_timeout{30};         ///< graceful drain bound
    std::chrono::seconds read_timeout{30};             ///< per read of the request body
    std::chrono::seconds read_header_timeout{30};      ///< from first byte to end of headers
    std::chrono::seconds write_timeout{30};            ///< per write; never cuts a live stream
    std::chrono::seconds idle_timeout{10};             ///< keep-alive wait for the next request
    std::size_t max_header_bytes = 8192;               ///< + 4096 slack, as Go allows
    bool disable_keep_alive = false;
    unsigned workers = 0;                              ///< 0: one per core
    std::size_t connection_limit = 0;                  ///< 0: unlimited; at the limit, accepting waits
    tcp_keep_alive keep_alive_probes;
    std::string alt_svc;                               ///< Alt-Svc header on every response
    std::string name;                                  ///< for logs, e.g. the resource id
};

/**
 * Serves `root` (the whole server-level chain, router included) on `opt.addr`.
 *
 * Lifecycle: `open()` binds and listens (errors surface before anything runs); `run(stop)`
 * serves until `stop` is requested, then stops accepting, lets in-flight requests finish,
 * closes idle keep-alive connections, and after `shutdown_timeout` closes whatever is left.
 *
 * @par Thread Safety
 * `open` and `run` are called once each from one thread; `local_endpoint` and
 * `active_connections` may be called from any thread.
 */
class http_server {
public:
    http_server(http_server_options opt, any_handler root);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// Sets the services every request of this server sees in its context.
    void set_error_handler(const error_handler* h) noexcept { errors_ = h; }
    void set_logger(const logger* l) noexcept { log_ = l; }

    boost::system::error_code open();
    boost::system::error_code run(std::stop_token stop);

    /// The bound address (after open), e.g. to learn the port chosen for ":0".
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    std::size_t active_connections() const noexcept { return connections_.load(); }
    const http_server_options& options() const noexcept { return opt_; }

private:
    struct impl;
    http_server_options opt_;
    any_handler root_;
    const error_handler* errors_ = nullptr;
    const logger* log_ = nullptr;
    std::atomic<std::size_t> connections_{0};
    std::unique_ptr<impl> impl_;
};

static_assert(runner<http_server> && openable<http_server>);

}  // namespace server
}  // namespace aileron
