#pragma once
/// @file
/// `core/v1 ReverseProxyHandler`: picks a load balancer by method, host and path, an upstream
/// from it, rewrites the request for the upstream (path, Host, X-Forwarded-*, hop-by-hop
/// headers) and streams the exchange both ways through the client transport.

#include <aileron/chain/any_round_tripper.hpp>
#include <aileron/client/http_transport.hpp>
#include <aileron/config/decode.hpp>
#include <aileron/config/matcher.hpp>
#include <aileron/core/handler.hpp>
#include <aileron/handlers/routes.hpp>
#include <aileron/server/http_method.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stop_token>
#include <thread>
#include <regex>
#include <string>
#include <vector>

namespace aileron {
class build_context;

namespace proxy {

/// AILERON's kernel.MatchType.
enum class match_type { exact = 0, prefix, suffix, contains, path, file_path, regex, regex_posix };
/// AILERON's LBAlgorithm.
enum class lb_algorithm { round_robin = 0, random, ring_hash, maglev, direct_hash };
/// AILERON's HTTPHasherSpec.HashSourceType.
enum class hash_source { client_addr = 0, header, cookie, query, path_param };

}  // namespace proxy
}  // namespace aileron

template <>
struct aileron::config::enum_traits<aileron::proxy::match_type> {
    static constexpr std::array values{
        std::pair{std::string_view{"Exact"}, proxy::match_type::exact},
        std::pair{std::string_view{"Prefix"}, proxy::match_type::prefix},
        std::pair{std::string_view{"Suffix"}, proxy::match_type::suffix},
        std::pair{std::string_view{"Contains"}, proxy::match_type::contains},
        std::pair{std::string_view{"Path"}, proxy::match_type::path},
        std::pair{std::string_view{"FilePath"}, proxy::match_type::file_path},
        std::pair{std::string_view{"Regex"}, proxy::match_type::regex},
        std::pair{std::string_view{"RegexPOSIX"}, proxy::match_type::regex_posix},
    };
};
template <>
struct aileron::config::enum_traits<aileron::proxy::lb_algorithm> {
    static constexpr std::array values{
        std::pair{std::string_view{"RoundRobin"}, proxy::lb_algorithm::round_robin},
        std::pair{std::string_view{"Random"}, proxy::lb_algorithm::random},
        std::pair{std::string_view{"RingHash"}, proxy::lb_algorithm::ring_hash},
        std::pair{std::string_view{"Maglev"}, proxy::lb_algorithm::maglev},
        std::pair{std::string_view{"DirectHash"}, proxy::lb_algorithm::direct_hash},
    };
};
template <>
struct aileron::config::enum_traits<aileron::proxy::hash_source> {
    static constexpr std::array values{
        std::pair{std::string_view{"ClientAddr"}, proxy::hash_source::client_addr},
        std::pair{std::string_view{"Header"}, proxy::hash_source::header},
        std::pair{std::string_view{"Cookie"}, proxy::hash_source::cookie},
        std::pair{std::string_view{"Query"}, proxy::hash_source::query},
        std::pair{std::string_view{"PathParam"}, proxy::hash_source::path_param},
    };
};

namespace aileron::proxy {

/// `loadBalancers[].pathMatcher(s)`: which paths a load balancer takes, and the upstream path.
struct path_matcher_spec {
    std::string match;
    match_type type = match_type::exact;
    std::string rewrite;
    std::string trim_prefix;
    std::string append_prefix;
    static constexpr auto fields() {
        using c = path_matcher_spec;
        return std::tuple{config::field("match", "Match", &c::match), config::field("matchType", "MatchType", &c::type),
                          config::field("rewrite", "Rewrite", &c::rewrite),
                          config::field("trimPrefix", "TrimPrefix", &c::trim_prefix),
                          config::field("appendPrefix", "AppendPrefix", &c::append_prefix)};
    }
    void normalize(config::decoder& d);
};

/// `loadBalancers[].upstreams[]`.
struct upstream_spec {
    std::string url;
    std::int32_t weight = 0;   ///< 0: 1; -1: disabled
    bool enable_passive = false;
    bool enable_active = false;
    std::int32_t initial_delay = 0;
    std::int32_t health_check_interval = 0;
    std::string health_check_addr;
    static constexpr auto fields() {
        using c = upstream_spec;
        return std::tuple{config::field("url", "URL", &c::url), config::field("weight", "Weight", &c::weight),
                          config::field("enablePassive", "EnablePassive", &c::enable_passive),
                          config::field("enableActive", "EnableActive", &c::enable_active),
                          config::field("initialDelay", "InitialDelay", &c::initial_delay),
                          config::field("healthCheckInterval", "HealthCheckInterval", &c::health_check_interval),
                          config::field("healthCheckAddr", "HealthCheckAddr", &c::health_check_addr)};
    }
    void normalize(config::decoder& d);
};

/// `loadBalancers[].pathParamMatchers[]`, `headerMatchers[]`, `queryMatchers[]` (AILERON's
/// ParamMatcherSpec): the value of `key` must match one of `patterns`. An empty key: ignored.
struct param_matcher_spec {
    std::string key;
    std::vector<std::string> patterns;
    config::match_type type = config::match_type::exact;
    static constexpr auto fields() {
        using c = param_matcher_spec;
        return std::tuple{config::field("key", "Key", &c::key), config::field("patterns", "Patterns", &c::patterns),
                          config::field("matchType", "MatchType", &c::type)};
    }
};

/// `loadBalancers[].hasher`.
struct hasher_spec {
    hash_source source = hash_source::client_addr;
    std::string key;
    static constexpr auto fields() {
        return std::tuple{config::field("hashSource", "HashSource", &hasher_spec::source),
                          config::field("key", "Key", &hasher_spec::key)};
    }
};

/// `loadBalancers[]`.
struct load_balancer_spec {
    lb_algorithm algorithm = lb_algorithm::round_robin;
    std::vector<upstream_spec> upstreams;
    std::optional<path_matcher_spec> path_matcher;
    std::vector<path_matcher_spec> path_matchers;
    std::vector<http_method> methods;
    std::vector<std::string> hosts;
    std::vector<param_matcher_spec> path_param_matchers;
    std::vector<param_matcher_spec> header_matchers;
    std::vector<param_matcher_spec> query_matchers;
    hasher_spec hasher;
    static constexpr auto fields() {
        using c = load_balancer_spec;
        return std::tuple{config::field("lbAlgorithm", "LBAlgorithm", &c::algorithm),
                          config::field("upstreams", "Upstreams", &c::upstreams),
                          config::field("pathMatcher", "PathMatcher", &c::path_matcher),
                          config::field("pathMatchers", "PathMatchers", &c::path_matchers),
                          config::field("methods", "Methods", &c::methods),
                          config::field("hosts", "Hosts", &c::hosts),
                          config::field("pathParamMatchers", "PathParamMatchers", &c::path_param_matchers),
                          config::field("headerMatchers", "HeaderMatchers", &c::header_matchers),
                          config::field("queryMatchers", "QueryMatchers", &c::query_matchers),
                          config::field("hasher", "Hasher", &c::hasher)};
    }
    void normalize(config::decoder& d);
};

class load_balancer;
struct upstream_health;

class reverse_proxy : public handlers::routes {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "ReverseProxyHandler";

    struct config {
        std::vector<std::string> patterns;
        std::vector<http_method> methods;
        std::vector<aileron::config::reference> tripperwares;
        aileron::config::reference round_tripper;
        std::vector<load_balancer_spec> load_balancers;
        static constexpr auto fields() {
            using c = config;
            namespace cf = aileron::config;
            return std::tuple{cf::field("patterns", "Patterns", &c::patterns), cf::field("methods", "Methods", &c::methods),
                              cf::field("tripperwares", "Tripperwares", &c::tripperwares),
                              cf::field("roundTripper", "RoundTripper", &c::round_tripper),
                              cf::field("loadBalancers", "LoadBalancers", &c::load_balancers)};
        }
    };

    reverse_proxy(const config& cfg, build_context& ctx);
    /// A proxy built in code: load balancers from specs, the given transport.
    reverse_proxy(const std::vector<load_balancer_spec>& lbs, client::transport_options transport = {});
    /// A proxy built in code that sends through `client`: an `http_client`, or a
    /// `static_client_chain` of tripperware known at compile time (one indirect call reaches it).
    reverse_proxy(const std::vector<load_balancer_spec>& lbs, any_round_tripper client);
    ~reverse_proxy();
    reverse_proxy(reverse_proxy&&) noexcept;

    task<response> operator()(request& req) const;


    /// Active health checks: how long a probe may take at most (less when the interval is shorter).
    static constexpr std::chrono::seconds probe_timeout{5};

private:
    static void run_probes(const std::vector<upstream_health*>& checked, std::stop_token stop);

    std::vector<std::unique_ptr<load_balancer>> lbs_;
    client::http_transport transport_;
    /// `tripperwares` in front of `roundTripper` (an HTTPClient), or of transport_ when only
    /// tripperwares are set; empty when neither is: transport_ is called directly.
    any_round_tripper round_tripper_;
    std::jthread prober_;   ///< active health checks, when an upstream has `enableActive`; last: stops first
};

/// One active health check: GET `url` (http://host[:port]/path), true on a 2xx status line
/// within `timeout`. Blocking; runs on the prober thread.
bool probe_once(const std::string& url, std::chrono::milliseconds timeout);

static_assert(handler<reverse_proxy>);

}  // namespace aileron::proxy
