#pragma once
/// @file
/// `core/v1 HTTPServer`: an `http_server` built from config, with AILERON's virtual hosts,
/// server- and vhost-level middleware and Go 1.22 ServeMux routing.

#include <aileron/registry/registry.hpp>
#include <aileron/server/http_method.hpp>
#include <aileron/server/http_server.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aileron::server {

/// `httpConfig.listenConfig.keepAliveConfig`: TCP keep-alive probes of accepted sockets.
struct keep_alive_config {
    bool disable = false;
    std::int32_t idle = 0;       ///< seconds before the first probe
    std::int32_t interval = 0;   ///< seconds between probes
    std::int32_t count = 0;      ///< probes before the connection is dropped
    static constexpr auto fields() {
        return std::tuple{config::field("disable", &keep_alive_config::disable),
                          config::field("idle", &keep_alive_config::idle),
                          config::field("interval", &keep_alive_config::interval),
                          config::field("count", &keep_alive_config::count)};
    }
};

/// `httpConfig.listenConfig`.
struct listen_config {
    config::node tls_config;          ///< not supported yet: rejected when set
    std::string addr;                 ///< overrides spec.addr when set
    std::int32_t connection_limit = 0;
    std::vector<std::string> networks;   ///< not supported yet: rejected when set
    std::int32_t read_deadline = 0;      ///< not supported yet: rejected when set
    std::int32_t write_deadline = 0;     ///< not supported yet: rejected when set
    keep_alive_config keep_alive;
    config::node sock_option;         ///< not supported yet: rejected when set
    static constexpr auto fields() {
        return std::tuple{config::field("tlsConfig", "TLSConfig", &listen_config::tls_config),
                          config::field("addr", "Addr", &listen_config::addr),
                          config::field("connectionLimit", "ConnectionLimit", &listen_config::connection_limit),
                          config::field("networks", "Networks", &listen_config::networks),
                          config::field("readDeadline", "ReadDeadline", &listen_config::read_deadline),
                          config::field("writeDeadline", "WriteDeadline", &listen_config::write_deadline),
                          config::field("keepAliveConfig", "KeepAliveConfig", &listen_config::keep_alive),
                          config::field("sockOption", "SockOption", &listen_config::sock_option)};
    }
    void normalize(config::decoder& d);
};

/// `spec.httpConfig`: timeouts in seconds, as AILERON.
struct http_config {
    bool enable_general_options_handler = false;
    std::int64_t read_timeout = 30;
    std::int64_t read_header_timeout = 30;
    std::int64_t write_timeout = 30;
    std::int64_t idle_timeout = 10;
    std::int32_t max_header_bytes = 8192;
    bool disable_keep_alive = false;
    listen_config listen;
    std::string alt_svc;
    bool allow_http2 = false;
    static constexpr auto fields() {
        return std::tuple{
            config::field("enableGeneralOptionsHandler", "EnableGeneralOptionsHandler",
                          &http_config::enable_general_options_handler),
            config::field("readTimeout", "ReadTimeout", &http_config::read_timeout),
            config::field("readHeaderTimeout", "ReadHeaderTimeout", &http_config::read_header_timeout),
            config::field("writeTimeout", "WriteTimeout", &http_config::write_timeout),
            config::field("idleTimeout", "IdleTimeout", &http_config::idle_timeout),
            config::field("maxHeaderBytes", "MaxHeaderBytes", &http_config::max_header_bytes),
            config::field("disableKeepAlive", "DisableKeepAlive", &http_config::disable_keep_alive),
            config::field("listenConfig", "ListenConfig", &http_config::listen),
            config::field("altSvc", "AltSvc", &http_config::alt_svc),
            config::field("allowHTTP2", "AllowHTTP2", &http_config::allow_http2)};
    }
    void normalize(config::decoder& d);
};

/// `spec.virtualHosts[].handlers[]` (AILERON's HTTPHandlerSpec).
struct handler_spec {
    std::string pattern;
    std::vector<config::reference> middleware;
    config::reference handler;
    static constexpr auto fields() {
        return std::tuple{config::field("pattern", "Pattern", &handler_spec::pattern),
                          config::field("middleware", "Middleware", &handler_spec::middleware),
                          config::field("handler", "Handler", &handler_spec::handler)};
    }
    void normalize(config::decoder& d);
};

/// `spec.virtualHosts[]`.
struct virtual_host_spec {
    std::vector<std::string> hosts;
    std::string pattern;
    std::vector<http_method> methods;
    std::vector<config::reference> middleware;
    std::vector<handler_spec> handlers;
    static constexpr auto fields() {
        return std::tuple{config::field("hosts", "Hosts", &virtual_host_spec::hosts),
                          config::field("pattern", "Pattern", &virtual_host_spec::pattern),
                          config::field("methods", "Methods", &virtual_host_spec::methods),
                          config::field("middleware", "Middleware", &virtual_host_spec::middleware),
                          config::field("handlers", "Handlers", &virtual_host_spec::handlers)};
    }
    void normalize(config::decoder& d);
};

class http_server_resource {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "HTTPServer";

    struct config {
        std::string addr = ":8080";
        std::int32_t shutdown_timeout = 30;
        http_config http;
        aileron::config::node http2;   ///< not supported yet: rejected when set
        aileron::config::node http3;   ///< not supported yet: rejected when set
        std::vector<aileron::config::reference> middleware;
        std::vector<virtual_host_spec> virtual_hosts;
        bool enable_profile = false;   ///< Go's pprof: rejected when true
        bool enable_expvar = false;    ///< Go's expvar: rejected when true
        std::int32_t workers = 0;      ///< aileron's own: event loops (0: one per core)
        static constexpr auto fields() {
            return std::tuple{
                aileron::config::field("addr", "Addr", &config::addr),
                aileron::config::field("shutdownTimeout", "ShutdownTimeout", &config::shutdown_timeout),
                aileron::config::field("httpConfig", "HTTPConfig", &config::http),
                aileron::config::field("http2Config", "HTTP2Config", &config::http2),
                aileron::config::field("http3Config", "HTTP3Config", &config::http3),
                aileron::config::field("middleware", "Middleware", &config::middleware),
                aileron::config::field("virtualHosts", "VirtualHosts", &config::virtual_hosts),
                aileron::config::field("enableProfile", "EnableProfile", &config::enable_profile),
                aileron::config::field("enableExpvar", "EnableExpvar", &config::enable_expvar),
                aileron::config::field("workers", "Workers", &config::workers)};
        }
        void normalize(aileron::config::decoder& d);
    };

    http_server_resource(const config& cfg, build_context& ctx);

    error_code open() { return server_->open(); }
    error_code run(std::stop_token stop) { return server_->run(stop); }
    http_server& server() noexcept { return *server_; }

private:
    std::unique_ptr<http_server> server_;
};

static_assert(runner<http_server_resource>);

}  // namespace aileron::server
