#pragma once
/// @file
/// One `loadBalancers[]` entry of a ReverseProxyHandler: which requests it takes (methods,
/// hosts, path matchers), the upstream path it makes, and how it picks an upstream.

#include <aileron/proxy/reverse_proxy.hpp>

#include <atomic>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace aileron::proxy {

/// One path matcher: whether a path is taken, and the upstream path it becomes.
class path_rule {
public:
    explicit path_rule(const path_matcher_spec& s);
    /// AILERON's algorithm: trim the prefix, match, rewrite (regex only), prepend.
    bool apply(std::string_view path, std::string& out) const;

private:
    path_matcher_spec spec_;
    std::optional<std::regex> re_;
    std::string rewrite_;
};

/// An upstream as the proxy uses it.
struct upstream {
    std::string origin;   ///< "http://host:port", the target prefix
    std::string host;     ///< "host:port" as written, for the Host header
    std::string query;    ///< the upstream URL's own query, if any
    std::uint64_t weight;
};

class load_balancer {
public:
    explicit load_balancer(const load_balancer_spec& s);

    /// Whether this balancer takes the request; sets the upstream path when it does.
    bool matches(const request& req, std::string_view path, std::string& upstream_path) const;
    /// The upstream for this request; nullptr when none is usable.
    const upstream* pick(const request& req) const;

private:
    lb_algorithm algorithm_;
    std::vector<http::verb> methods_;
    std::vector<std::string> hosts_;
    std::vector<path_rule> rules_;
    std::vector<upstream> upstreams_;
    std::uint64_t total_ = 0;
    mutable std::atomic<std::uint64_t> counter_{0};
};

}  // namespace aileron::proxy
