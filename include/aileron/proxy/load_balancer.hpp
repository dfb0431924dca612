#pragma once
/// @file
/// One `loadBalancers[]` entry of a ReverseProxyHandler: which requests it takes (methods,
/// hosts, param matchers, path matchers), the upstream path it makes, and how it picks an
/// upstream (RoundRobin, Random, or one of the hash algorithms keyed by a `hasher`).
///
/// The hash algorithms are not bit-compatible with AILERON's (zx/zlb): the same key always
/// picks the same upstream while the upstream set is unchanged, keys spread in proportion to
/// the weights, and RingHash and Maglev move about the removed upstream's share of keys when
/// one upstream goes; which upstream a given key lands on differs from AILERON.

#include <aileron/proxy/reverse_proxy.hpp>

#include <aileron/config/matcher.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
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

/// xxHash64 (seed 0) of `s`.
std::uint64_t hash64(std::string_view s) noexcept;

/// The key of a request for the hash algorithms (`hasher`), as AILERON computes it:
/// ClientAddr: the client's "ip:port" ("[ip]:port" for IPv6), so one key per connection;
/// Header: the first value of header `key`; Cookie: the value of cookie `key`; Query: the first
/// (decoded) value of query parameter `key`; PathParam: the router's wildcard value `key`.
/// A missing source hashes "". Does not allocate (after a thread's first decoded query value).
class request_hasher {
public:
    explicit request_hasher(const hasher_spec& s) : source_(s.source), key_(s.key) {}
    std::uint64_t operator()(const request& req) const;

private:
    hash_source source_;
    std::string key_;
};

/// One of `pathParamMatchers`, `headerMatchers`, `queryMatchers`: the value of `key` matches one
/// of the patterns. Header and query values are joined with "," first; a missing header or
/// query parameter, or an empty path parameter, does not match (as AILERON).
class param_rule {
public:
    enum class source { path_param, header, query };
    param_rule(source src, const param_matcher_spec& s);
    /// `raw_query`: the request target's query, still escaped.
    bool match(const request& req, std::string_view raw_query) const;

private:
    source source_;
    std::string key_;
    string_matcher matcher_;
};

/// The health of one upstream with `enablePassive` or `enableActive`, shared by every worker
/// thread without a lock (see docs/config/reverseproxyhandler.md, "Upstream health").
struct upstream_health {
    using clock = std::chrono::steady_clock;
    std::atomic<std::uint32_t> failures{0};       ///< passive: consecutive failed requests
    std::atomic<clock::rep> ejected_until{0};     ///< passive: steady_clock ticks; 0: not ejected
    std::atomic<bool> down{false};                ///< active: the last probe failed
    bool passive = false;
    bool active = false;
    clock::duration interval{};        ///< `healthCheckInterval` (10 s when 0)
    clock::duration initial_delay{};   ///< `initialDelay`
    std::string probe_url;             ///< active: `healthCheckAddr`, or the upstream origin + "/"
};

/// An upstream as the proxy uses it.
struct upstream {
    std::string origin;   ///< "http://host:port", the target prefix
    std::string host;     ///< "host:port" as written, for the Host header
    std::string query;    ///< the upstream URL's own query, if any
    std::uint64_t weight;
    upstream_health* health = nullptr;   ///< null: no health checking, always usable
};

class load_balancer {
public:
    using clock = std::chrono::steady_clock;

    explicit load_balancer(const load_balancer_spec& s);
    ~load_balancer();

    /// Whether this balancer takes the request; sets the upstream path when it does.
    bool matches(const request& req, std::string_view path, std::string& upstream_path) const;
    /// The upstream for this request; nullptr when none is usable. Ejected (passive) and down
    /// (active) upstreams are skipped: the next upstream in turn (RoundRobin, Random), the next
    /// ring point (RingHash), the next table slot (Maglev), the next-best score (DirectHash).
    const upstream* pick(const request& req) const { return pick(req, now()); }
    const upstream* pick(const request& req, clock::time_point now) const;

    /// The upstream a hash algorithm picks for key hash `h` (the round-robin and random
    /// algorithms ignore it); nullptr when none is usable.
    const upstream* pick_hash(std::uint64_t h) const noexcept { return pick_hash(h, now()); }
    const upstream* pick_hash(std::uint64_t h, clock::time_point now) const noexcept;

    /// Passive health: the outcome of a request sent to `u` (`ok`: a response other than
    /// 502/503/504). `failures_to_eject` failures in a row eject `u` for its interval; after it,
    /// one request is let through: success re-admits `u`, failure ejects it again.
    static void report(const upstream& u, bool ok, clock::time_point now = clock::now()) noexcept;
    /// Consecutive failed requests that eject an upstream with `enablePassive`.
    static constexpr std::uint32_t failures_to_eject = 3;
    /// `healthCheckInterval` when 0, in seconds.
    static constexpr int default_health_interval = 10;

    /// The upstreams with `enableActive`, for the prober.
    std::vector<upstream_health*> actively_checked() const;
    const std::vector<upstream>& upstreams() const noexcept { return upstreams_; }

    /// RingHash: virtual nodes per unit of weight while the ring stays under `ring_limit`.
    static constexpr std::uint64_t ring_points_per_weight = 1024;
    static constexpr std::uint64_t ring_limit = 1 << 16;
    /// Maglev: the lookup table size, a prime; fixed so that removing an upstream does not
    /// reshuffle the whole table.
    static constexpr std::uint32_t maglev_size = 65537;

private:
    clock::time_point now() const noexcept { return health_ ? clock::now() : clock::time_point{}; }
    /// Whether `u` may take a request now; claims the half-open trial of an ejected upstream
    /// whose interval has passed (so only one request probes it).
    static bool usable(const upstream& u, clock::time_point now) noexcept;
    /// Whether some upstream may be usable now, without claiming anything.
    bool any_usable(clock::time_point now) const noexcept;
    void build_ring(const std::vector<std::uint64_t>& ids);
    void build_maglev(const std::vector<std::uint64_t>& ids);

    lb_algorithm algorithm_;
    std::vector<http::verb> methods_;
    std::vector<std::string> hosts_;
    std::vector<param_rule> params_;
    std::vector<path_rule> rules_;
    std::vector<upstream> upstreams_;
    std::uint64_t total_ = 0;
    mutable std::atomic<std::uint64_t> counter_{0};
    request_hasher hasher_;
    std::vector<std::uint64_t> ids_;          ///< DirectHash: per-upstream identity
    std::vector<std::uint64_t> ring_points_;  ///< RingHash: sorted virtual node positions
    std::vector<std::uint32_t> ring_owner_;   ///< RingHash: upstream index per position
    std::vector<std::uint32_t> maglev_;       ///< Maglev: lookup table of upstream indexes
    std::unique_ptr<upstream_health[]> health_;   ///< per upstream; null when none is checked
};

}  // namespace aileron::proxy
