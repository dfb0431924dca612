#include <aileron/proxy/reverse_proxy.hpp>

#include <aileron/core/error.hpp>
#include <aileron/core/url.hpp>
#include <aileron/proxy/load_balancer.hpp>
#include <aileron/registry/registry.hpp>

#include <boost/beast/http/rfc7230.hpp>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>

#include <csignal>
#include <netdb.h>
#include <pthread.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace aileron::proxy {

//----------------------------------------------------------------------------------------------
// Validation

void path_matcher_spec::normalize(config::decoder& d) {
    if (type == match_type::regex || type == match_type::regex_posix) {
        try {
            std::regex re{match, type == match_type::regex ? std::regex::ECMAScript : std::regex::extended};
        } catch (const std::regex_error& e) {
            d.error("match", std::string{"invalid regular expression: "} + e.what());
        }
    }
    if (!rewrite.empty() && type != match_type::regex && type != match_type::regex_posix)
        d.error("rewrite", "only applies to matchType Regex or RegexPOSIX");
}

void upstream_spec::normalize(config::decoder& d) {
    if (!url.starts_with("http://") && !url.starts_with("https://"))
        d.error("url", "must start with http:// or https://");
    else if (url.starts_with("https://") && enable_active && health_check_addr.empty())
        d.error("healthCheckAddr", "active probes are plain HTTP: an https upstream with enableActive needs an "
                                   "http:// healthCheckAddr");
    if (weight < -1 || weight > 65535) d.error("weight", "must be in -1..65535");
    // Health checking (our own design; AILERON only declares these fields).
    if (initial_delay < 0) d.error("initialDelay", "must be >= 0");
    if (health_check_interval < 0) d.error("healthCheckInterval", "must be >= 0");
    if (!health_check_addr.empty()) {
        if (!health_check_addr.starts_with("http://"))
            d.error("healthCheckAddr", "must be an http:// URL");
        else if (health_check_addr.size() == 7 || health_check_addr.find_first_of("/?#", 7) == 7)
            d.error("healthCheckAddr", "has no host");
    }
}

void load_balancer_spec::normalize(config::decoder& d) {
    // The patterns of param matchers must compile for their match type (AILERON fails at build).
    auto check = [&](std::string_view name, const std::vector<param_matcher_spec>& ms) {
        for (std::size_t i = 0; i < ms.size(); ++i)
            for (std::size_t j = 0; j < ms[i].patterns.size(); ++j)
                if (auto problem = config::pattern_problem(ms[i].type, ms[i].patterns[j]); !problem.empty())
                    d.error(std::string{name} + "[" + std::to_string(i) + "].patterns[" + std::to_string(j) + "]",
                            std::move(problem));
    };
    check("pathParamMatchers", path_param_matchers);
    check("headerMatchers", header_matchers);
    check("queryMatchers", query_matchers);
}

//----------------------------------------------------------------------------------------------

namespace {

/// RFC 9110 §7.6.1: headers for one connection only, plus those the Connection header names.
/// `Trailer` stays: it announces trailer fields, which are passed on (RFC 9110 §6.6.2).
void remove_hop_by_hop(http::fields& f) {
    std::vector<std::string> named;
    for (auto& token : http::token_list{f[http::field::connection]}) named.emplace_back(token);
    for (auto& n : named) f.erase(n);
    for (auto h : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                   http::field::proxy_authenticate, http::field::proxy_authorization, http::field::te,
                   http::field::transfer_encoding, http::field::upgrade})
        f.erase(h);
}

std::string ip_string(const tcp::endpoint& ep) { return ep.address().to_string(); }

}  // namespace

//----------------------------------------------------------------------------------------------
// Active health checks

bool probe_once(const std::string& url, std::chrono::milliseconds timeout) {
    // http://host[:port][/path][?query]
    std::string_view rest = std::string_view{url}.substr(7);
    const auto path_at = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, path_at);
    std::string path{path_at == std::string_view::npos ? std::string_view{"/"} : rest.substr(path_at)};
    if (path.front() == '?') path.insert(0, "/");
    if (auto hash = path.find('#'); hash != std::string::npos) path.resize(hash);
    std::string host{authority}, port = "80";
    if (host.starts_with('[')) {   // [v6]:port
        const auto close = host.find(']');
        if (close == std::string::npos) return false;
        if (close + 1 < host.size() && host[close + 1] == ':') port = host.substr(close + 2);
        host = host.substr(1, close - 1);
    } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
        port = host.substr(colon + 1);
        host.resize(colon);
    }

    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || !found) return false;
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addrs{found, &::freeaddrinfo};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto remaining_ms = [&] {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
    };
    for (addrinfo* a = found; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        struct closer {
            int fd;
            ~closer() { ::close(fd); }
        } close_fd{fd};
        if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) continue;
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, remaining_ms()) != 1) continue;
            int err = 0;
            socklen_t len = sizeof err;
            if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) continue;
        }
        const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + std::string{authority} +
                                "\r\nUser-Agent: aileron-health-check\r\nConnection: close\r\n\r\n";
        for (std::size_t sent = 0; sent < req.size();) {
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, remaining_ms()) != 1) return false;
            const ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<std::size_t>(n);
        }
        // The status line is enough: "HTTP/1.x 2xx".
        std::string head;
        while (head.find("\r\n") == std::string::npos && head.size() < 1024) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, remaining_ms()) != 1) return false;
            char buf[512];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return false;
            head.append(buf, static_cast<std::size_t>(n));
        }
        return head.starts_with("HTTP/1.") && head.size() >= 13 && head[8] == ' ' && head[9] == '2' &&
               std::isdigit(static_cast<unsigned char>(head[10])) && std::isdigit(static_cast<unsigned char>(head[11]));
    }
    return false;
}

void reverse_proxy::run_probes(const std::vector<upstream_health*>& checked, std::stop_token stop) {
    using clock = std::chrono::steady_clock;
    std::vector<clock::time_point> next;
    const auto start = clock::now();
    for (upstream_health* h : checked) next.push_back(start + h->initial_delay);
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
        const auto due = *std::min_element(next.begin(), next.end());
        {
            std::unique_lock lock{m};
            cv.wait_until(lock, stop, due, [] { return false; });   // until due, or stopped
        }
        if (stop.stop_requested()) return;
        for (std::size_t i = 0; i < checked.size(); ++i) {
            if (next[i] > clock::now()) continue;
            upstream_health& h = *checked[i];
            const auto timeout = std::min<clock::duration>(h.interval, probe_timeout);
            h.down.store(!probe_once(h.probe_url, std::chrono::duration_cast<std::chrono::milliseconds>(timeout)),
                         std::memory_order_relaxed);
            next[i] = clock::now() + h.interval;
            if (stop.stop_requested()) return;
        }
    }
}

reverse_proxy::reverse_proxy(const config& cfg, build_context& ctx)
    : reverse_proxy(cfg.load_balancers) {
    static_cast<handlers::routes&>(*this) = handlers::routes{cfg.patterns, cfg.methods};
    if (!cfg.round_tripper.empty()) round_tripper_ = ctx.round_tripper(cfg.round_tripper);
    std::vector<any_tripperware> ws = ctx.tripperware(cfg.tripperwares);
    if (!ws.empty()) {
        any_round_tripper end = round_tripper_ ? round_tripper_ : any_round_tripper{transport_};
        round_tripper_ = any_round_tripper{dynamic_client_chain{std::move(ws), std::move(end)}};
    }
}

reverse_proxy::reverse_proxy(const std::vector<load_balancer_spec>& lbs, any_round_tripper client)
    : reverse_proxy(lbs) {
    round_tripper_ = std::move(client);
}

reverse_proxy::reverse_proxy(const std::vector<load_balancer_spec>& lbs, client::transport_options transport)
    : transport_(transport) {
    for (auto& s : lbs) lbs_.push_back(std::make_unique<load_balancer>(s));
    std::vector<upstream_health*> checked;
    for (auto& lb : lbs_)
        for (upstream_health* h : lb->actively_checked()) checked.push_back(h);
    // The states live in the load balancers, which outlive the thread (declared after lbs_).
    if (!checked.empty()) {
        // The thread starts with every signal blocked (it inherits the mask), so that SIGTERM
        // and friends go to the threads that wait for them, not to the default action here.
        sigset_t all, old;
        ::sigfillset(&all);
        ::pthread_sigmask(SIG_SETMASK, &all, &old);
        prober_ = std::jthread{[checked = std::move(checked)](std::stop_token stop) { run_probes(checked, stop); }};
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
}

reverse_proxy::~reverse_proxy() = default;   // prober_ first: stops and joins the thread
reverse_proxy::reverse_proxy(reverse_proxy&&) noexcept = default;

task<response> reverse_proxy::operator()(request& req) const {
    url::target_view parts = url::split_target(req.target());
    std::string path, error;
    if (!url::unescape(parts.path, false, path, error))
        co_return error_response(req, http_error{.status = http::status::bad_request, .message = error});

    const load_balancer* lb = nullptr;
    std::string upstream_path;
    for (auto& candidate : lbs_)
        if (candidate->matches(req, path, upstream_path)) {
            lb = candidate.get();
            break;
        }
    if (!lb)
        co_return error_response(req, http_error{.status = http::status::not_found, .code = "E2122",
                                                 .kind = "CoreProxyNoUpstream", .message = "cannot find upstream for " + path});
    const upstream* up = lb->pick(req);
    if (!up)
        co_return error_response(req, http_error{.status = http::status::bad_gateway, .code = "E2121",
                                                 .kind = "CoreProxyUpstreamUnavailable"});

    // The request as the upstream sees it: absolute target for the transport, Host of the
    // upstream, X-Forwarded-*, no hop-by-hop headers.
    std::string target = up->origin + url::escape_path(upstream_path);
    if (!up->query.empty() || !parts.query.empty()) {
        target += '?';
        target += up->query;
        if (!up->query.empty() && !parts.query.empty()) target += '&';
        target += parts.query;
    }
    const bool te_trailers = http::token_list{req[http::field::te]}.exists("trailers");
    // A protocol upgrade (WebSocket) survives the hop-by-hop removal, as in Go's proxy.
    const bool upgrading = http::token_list{req[http::field::connection]}.exists("upgrade");
    const std::string upgrade_to = upgrading ? std::string{req[http::field::upgrade]} : std::string{};
    const std::string client_host{req[http::field::host]};
    remove_hop_by_hop(req.header());
    if (te_trailers) req.set(http::field::te, "trailers");
    if (upgrading && !upgrade_to.empty()) {
        req.set(http::field::connection, "Upgrade");
        req.set(http::field::upgrade, upgrade_to);
    }
    const request_context& ctx = req.context();
    std::string forwarded_for;
    for (auto& f : req)
        if (beast::iequals(f.name_string(), "X-Forwarded-For")) {
            if (!forwarded_for.empty()) forwarded_for += ", ";
            forwarded_for += f.value();
        }
    if (!forwarded_for.empty()) forwarded_for += ", ";
    forwarded_for += ip_string(ctx.remote);
    req.set("X-Forwarded-For", forwarded_for);
    req.set("X-Forwarded-Host", client_host);
    req.set("X-Forwarded-Port", std::to_string(ctx.local.port()));
    req.set("X-Forwarded-Proto", "http");
    req.set(http::field::host, up->host);
    req.target(target);

    result<response> res = error_code{};
    if (round_tripper_) res = co_await round_tripper_(req);
    else res = co_await transport_(req);
    if (!res && req.body().broken()) {
        // The client's own body broke while it went upstream (bad chunked framing, cut off,
        // stalled): the client's fault, not the upstream's, which must not be ejected for it.
        co_return error_response(req, http_error{.status = http::status::bad_request, .code = "E2124",
                                                 .kind = "CoreProxyRoundtrip",
                                                 .message = "reading the request body: " + res.error().message()});
    }
    if (up->health) {
        const bool failed = !res || res->result() == http::status::bad_gateway ||
                            res->result() == http::status::service_unavailable ||
                            res->result() == http::status::gateway_timeout;
        load_balancer::report(*up, !failed);
    }
    if (!res) {
        const error_code ec = res.error();
        if (ec == asio::error::timed_out)
            co_return error_response(req, http_error{.status = http::status::gateway_timeout, .code = "E2123",
                                                     .kind = "CoreProxyTimeout", .message = ec.message()});
        co_return error_response(req, http_error{.status = http::status::bad_gateway, .code = "E2124",
                                                 .kind = "CoreProxyRoundtrip",
                                                 .message = up->origin + ": " + ec.message()});
    }
    response out = std::move(*res);
    if (out.result() == http::status::switching_protocols) {
        // The upstream must switch to what the client asked for (case-insensitively).
        std::string switched{out[http::field::upgrade]};
        if (!upgrading || !beast::iequals(switched, upgrade_to))
            co_return error_response(req, http_error{.status = http::status::bad_gateway, .code = "E2125",
                                                     .kind = "CoreProxyProtocolSwitch",
                                                     .message = "upstream switched to \"" + switched + "\""});
        remove_hop_by_hop(out.base());
        out.set(http::field::connection, "Upgrade");
        out.set(http::field::upgrade, switched);
        co_return out;
    }
    // The server frames the body itself: the upstream's framing and hop-by-hop headers go.
    const bool streamed = out.stream() != nullptr;
    remove_hop_by_hop(out.base());
    if (streamed) out.erase(http::field::content_length);
    co_return out;
}

}  // namespace aileron::proxy
