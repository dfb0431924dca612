#include <aileron/proxy/load_balancer.hpp>

#include <aileron/core/url.hpp>
#include <aileron/detail/unaligned.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fnmatch.h>
#include <functional>
#include <random>
#include <span>

namespace aileron::proxy {

//----------------------------------------------------------------------------------------------
// Hashing

namespace {

static_assert(std::endian::native == std::endian::little, "hash64 reads words little-endian");

constexpr std::uint64_t p1 = 0x9E3779B185EBCA87ULL, p2 = 0xC2B2AE3D27D4EB4FULL, p3 = 0x165667B19E3779F9ULL,
                        p4 = 0x85EBCA77C2B2AE63ULL, p5 = 0x27D4EB2F165667C5ULL;

std::uint64_t xxh_round(std::uint64_t acc, std::uint64_t input) noexcept {
    return std::rotl(acc + input * p2, 31) * p1;
}
std::uint64_t xxh_merge(std::uint64_t acc, std::uint64_t v) noexcept {
    return (acc ^ xxh_round(0, v)) * p1 + p4;
}

/// SplitMix64's output function: a bijection with full avalanche.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
/// SplitMix64: the next value of the sequence whose state is `state`.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept { return mix64(state += 0x9E3779B97F4A7C15ULL); }

/// Go's url.QueryUnescape of `raw`, without copying when nothing is escaped; nullopt when the
/// escape is malformed (Go's ParseQuery then skips the pair).
std::optional<std::string_view> query_unescape(std::string_view raw, std::string& scratch) {
    if (raw.find_first_of("%+") == std::string_view::npos) return raw;
    thread_local std::string error;
    if (!url::unescape(raw, true, scratch, error)) return std::nullopt;
    return std::string_view{scratch};
}

/// Calls `f(value)` for each decoded value of query parameter `key`, in order, as Go's
/// url.ParseQuery: pairs split at '&', pairs with ';' or bad escapes skipped. `f` returns false
/// to stop.
template <class F>
void for_each_query_value(std::string_view query, std::string_view key, F&& f) {
    thread_local std::string key_scratch, value_scratch;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
        auto eq = pair.find('=');
        auto k = query_unescape(pair.substr(0, eq), key_scratch);
        if (!k || *k != key) continue;
        auto v = query_unescape(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), value_scratch);
        if (!v) continue;
        if (!f(*v)) return;
    }
}

/// Go's validCookieValueByte.
bool cookie_value_ok(std::string_view v) noexcept {
    return std::all_of(v.begin(), v.end(), [](char c) {
        auto b = static_cast<unsigned char>(c);
        return b >= 0x20 && b < 0x7f && b != '"' && b != ';' && b != '\\';
    });
}

/// The value of cookie `name` as Go's Request.Cookie finds it (the first valid one), or nullopt.
std::optional<std::string_view> cookie_value(const request& req, std::string_view name) {
    auto [first, last] = req.equal_range(http::field::cookie);
    for (auto it = first; it != last; ++it) {
        std::string_view line = it->value();
        while (!line.empty()) {
            auto semi = line.find(';');
            std::string_view part = line.substr(0, semi);
            line = semi == std::string_view::npos ? std::string_view{} : line.substr(semi + 1);
            while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
            while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
            auto eq = part.find('=');
            if (part.empty() || part.substr(0, eq) != name) continue;
            std::string_view value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
            if (cookie_value_ok(value)) return value;
        }
    }
    return std::nullopt;
}

/// Go's RemoteAddr: "ip:port", "[ip]:port" for IPv6, written into `buf`.
std::string_view client_addr(const tcp::endpoint& ep, std::span<char, 64> buf) noexcept {
    char* p = buf.data();
    char* const end = buf.data() + buf.size();
    const auto addr = ep.address();
    if (addr.is_v6()) {
        auto bytes = addr.to_v6().to_bytes();
        *p++ = '[';
        if (!::inet_ntop(AF_INET6, bytes.data(), p, static_cast<socklen_t>(end - p - 8))) return {};
        p += std::strlen(p);
        *p++ = ']';
    } else {
        auto bytes = addr.to_v4().to_bytes();
        if (!::inet_ntop(AF_INET, bytes.data(), p, static_cast<socklen_t>(end - p - 8))) return {};
        p += std::strlen(p);
    }
    *p++ = ':';
    p = std::to_chars(p, end, ep.port()).ptr;
    return {buf.data(), static_cast<std::size_t>(p - buf.data())};
}

}  // namespace

std::uint64_t hash64(std::string_view s) noexcept {
    const char* p = s.data();
    const char* const end = p + s.size();
    std::uint64_t h;
    if (s.size() >= 32) {
        std::uint64_t v1 = p1 + p2, v2 = p2, v3 = 0, v4 = 0 - p1;
        for (; end - p >= 32; p += 32) {
            v1 = xxh_round(v1, detail::load64(p));
            v2 = xxh_round(v2, detail::load64(p + 8));
            v3 = xxh_round(v3, detail::load64(p + 16));
            v4 = xxh_round(v4, detail::load64(p + 24));
        }
        h = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
        h = xxh_merge(xxh_merge(xxh_merge(xxh_merge(h, v1), v2), v3), v4);
    } else {
        h = p5;
    }
    h += s.size();
    for (; end - p >= 8; p += 8) h = std::rotl(h ^ xxh_round(0, detail::load64(p)), 27) * p1 + p4;
    if (end - p >= 4) {
        h = std::rotl(h ^ (std::uint64_t{detail::load32(p)} * p1), 23) * p2 + p3;
        p += 4;
    }
    for (; p < end; ++p) h = std::rotl(h ^ (std::uint64_t{static_cast<unsigned char>(*p)} * p5), 11) * p1;
    h ^= h >> 33;
    h *= p2;
    h ^= h >> 29;
    h *= p3;
    h ^= h >> 32;
    return h;
}

std::uint64_t request_hasher::operator()(const request& req) const {
    switch (source_) {
    case hash_source::client_addr: {
        std::array<char, 64> buf;
        return hash64(client_addr(req.context().remote, buf));
    }
    case hash_source::header: return hash64(req[key_]);
    case hash_source::cookie: return hash64(cookie_value(req, key_).value_or(std::string_view{}));
    case hash_source::query: {
        std::uint64_t h = hash64("");
        for_each_query_value(url::split_target(req.target()).query, key_, [&](std::string_view v) {
            h = hash64(v);
            return false;
        });
        return h;
    }
    case hash_source::path_param: return hash64(req.context().param(key_));
    }
    return hash64("");
}

//----------------------------------------------------------------------------------------------
// Matchers

param_rule::param_rule(source src, const param_matcher_spec& s)
    : source_(src), key_(s.key), matcher_(config::matcher_spec{.patterns = s.patterns, .type = s.type}) {}

bool param_rule::match(const request& req, std::string_view raw_query) const {
    std::string joined;
    std::size_t count = 0;
    auto add = [&](std::string_view v) {
        if (count++) joined += ',';
        joined += v;
        return true;
    };
    switch (source_) {
    case source::path_param: {
        std::string_view v = req.context().param(key_);
        return !v.empty() && matcher_.match(v);
    }
    case source::header: {
        auto [first, last] = req.equal_range(key_);
        if (first == last) return false;
        if (std::next(first) == last) return matcher_.match(first->value());
        for (auto it = first; it != last; ++it) add(it->value());
        break;
    }
    case source::query: for_each_query_value(raw_query, key_, add); break;
    }
    return count > 0 && matcher_.match(joined);
}

//----------------------------------------------------------------------------------------------
// Path rules
path_rule::path_rule(const path_matcher_spec& s) : spec_(s) {
    if (s.type == match_type::regex || s.type == match_type::regex_posix) {
        re_.emplace(s.match, s.type == match_type::regex ? std::regex::ECMAScript : std::regex::extended);
        // Go's ExpandString writes ${1}; std::regex's format wants $1.
        for (std::size_t i = 0; i < s.rewrite.size(); ++i) {
            if (s.rewrite[i] == '$' && i + 1 < s.rewrite.size() && s.rewrite[i + 1] == '{') {
                auto close = s.rewrite.find('}', i);
                if (close != std::string::npos) {
                    rewrite_ += '$';
                    rewrite_ += s.rewrite.substr(i + 2, close - i - 2);
                    i = close;
                    continue;
                }
            }
            rewrite_ += s.rewrite[i];
        }
    }
}

bool path_rule::apply(std::string_view path, std::string& out) const {
    if (!spec_.trim_prefix.empty() && path.starts_with(spec_.trim_prefix)) path.remove_prefix(spec_.trim_prefix.size());
    const std::string& m = spec_.match;
    bool ok = false;
    std::string rewritten;
    switch (spec_.type) {
    case match_type::exact: ok = path == m; break;
    case match_type::prefix: ok = path.starts_with(m); break;
    case match_type::suffix: ok = path.ends_with(m); break;
    case match_type::contains: ok = path.find(m) != std::string_view::npos; break;
    case match_type::path:
    case match_type::file_path:   // Go's path.Match: `*` and `?` do not cross '/'
        ok = ::fnmatch(m.c_str(), std::string{path}.c_str(), FNM_PATHNAME) == 0;
        break;
    case match_type::regex:
    case match_type::regex_posix: {
        ok = std::regex_search(path.begin(), path.end(), *re_);
        if (ok && !spec_.rewrite.empty()) {
            // Every non-overlapping match contributes its expansion; the rest is dropped.
            for (std::regex_iterator<std::string_view::const_iterator> it{path.begin(), path.end(), *re_}, end;
                 it != end; ++it)
                rewritten += it->format(rewrite_);
            out = spec_.append_prefix + rewritten;
            return true;
        }
        break;
    }
    }
    if (!ok) return false;
    out = spec_.append_prefix;
    out += path;
    return true;
}

//----------------------------------------------------------------------------------------------
// Load balancer

load_balancer::load_balancer(const load_balancer_spec& s)
    : algorithm_(s.algorithm), methods_(to_verbs(s.methods)), hosts_(s.hosts), hasher_(s.hasher) {
    // AND of all param matchers, in AILERON's order; matchers without a key are ignored.
    for (auto& m : s.path_param_matchers)
        if (!m.key.empty()) params_.emplace_back(param_rule::source::path_param, m);
    for (auto& m : s.header_matchers)
        if (!m.key.empty()) params_.emplace_back(param_rule::source::header, m);
    for (auto& m : s.query_matchers)
        if (!m.key.empty()) params_.emplace_back(param_rule::source::query, m);
    if (s.path_matcher) rules_.emplace_back(*s.path_matcher);
    for (auto& m : s.path_matchers) rules_.emplace_back(m);
    std::vector<std::uint64_t> ids;
    std::size_t checked = 0, enabled = 0;
    for (auto& u : s.upstreams)
        if (u.weight >= 0) {
            ++enabled;
            if (u.enable_passive || u.enable_active) ++checked;
        }
    if (checked) health_ = std::make_unique<upstream_health[]>(enabled);
    upstreams_.reserve(enabled);
    for (auto& u : s.upstreams) {
        if (u.weight < 0) continue;   // -1: disabled
        std::string_view rest = std::string_view{u.url}.substr(u.url.find("://") + 3);
        auto end = rest.find_first_of("/?#");
        upstream up;
        up.host = std::string{rest.substr(0, end)};
        up.origin = u.url.substr(0, u.url.find("://") + 3) + up.host;
        if (auto q = u.url.find('?'); q != std::string::npos) {
            auto h = u.url.find('#', q);
            up.query = u.url.substr(q + 1, h == std::string::npos ? std::string::npos : h - q - 1);
        }
        up.weight = u.weight == 0 ? 1 : static_cast<std::uint64_t>(u.weight);
        total_ += up.weight;
        if (u.enable_passive || u.enable_active) {
            upstream_health& h = health_[upstreams_.size()];
            h.passive = u.enable_passive;
            h.active = u.enable_active;
            h.interval = std::chrono::seconds{u.health_check_interval > 0 ? u.health_check_interval
                                                                           : default_health_interval};
            h.initial_delay = std::chrono::seconds{std::max(u.initial_delay, 0)};
            h.probe_url = u.health_check_addr.empty() ? up.origin + "/" : u.health_check_addr;
            up.health = &h;
        }
        upstreams_.push_back(std::move(up));
        // Identity: the URL without trailing '/' (as AILERON), so it survives other upstreams
        // coming and going; a repeated URL gets a distinct identity of its own.
        std::string_view id_url = u.url;
        while (id_url.ends_with('/')) id_url.remove_suffix(1);
        std::uint64_t id = hash64(id_url);
        while (std::find(ids.begin(), ids.end(), id) != ids.end()) id = mix64(id + 1);
        ids.push_back(id);
    }
    if (upstreams_.empty()) return;
    switch (algorithm_) {
    case lb_algorithm::direct_hash: ids_ = std::move(ids); break;
    case lb_algorithm::ring_hash: build_ring(ids); break;
    case lb_algorithm::maglev: build_maglev(ids); break;
    default: break;
    }
}

load_balancer::~load_balancer() = default;

void load_balancer::build_ring(const std::vector<std::uint64_t>& ids) {
    // Enough virtual nodes per unit of weight for an even spread, but a bounded ring; the count
    // does not depend on the other upstreams unless the bound is reached.
    const std::uint64_t per_weight = std::clamp<std::uint64_t>(ring_limit / total_, 1, ring_points_per_weight);
    std::vector<std::pair<std::uint64_t, std::uint32_t>> ring;
    ring.reserve(total_ * per_weight);
    for (std::uint32_t i = 0; i < upstreams_.size(); ++i) {
        std::uint64_t state = ids[i];
        for (std::uint64_t n = upstreams_[i].weight * per_weight; n > 0; --n) ring.emplace_back(splitmix64(state), i);
    }
    std::sort(ring.begin(), ring.end());
    ring_points_.reserve(ring.size());
    ring_owner_.reserve(ring.size());
    for (auto& [point, owner] : ring) {
        ring_points_.push_back(point);
        ring_owner_.push_back(owner);
    }
}

void load_balancer::build_maglev(const std::vector<std::uint64_t>& ids) {
    // Maglev (Eisenbud et al., NSDI 2016) with Envoy's weighting: an upstream of weight w takes
    // a turn in w / max_weight of the rounds, so its share of the table follows its weight.
    const std::uint64_t m = maglev_size;
    const std::size_t n = upstreams_.size();
    std::vector<std::uint64_t> offset(n), skip(n), next(n, 0), target(n, 0);
    std::uint64_t max_weight = 0;
    for (std::size_t i = 0; i < n; ++i) {
        offset[i] = mix64(ids[i]) % m;
        skip[i] = mix64(ids[i] ^ 0x5851F42D4C957F2DULL) % (m - 1) + 1;
        max_weight = std::max(max_weight, upstreams_[i].weight);
    }
    // Turns go in the order of the identities, not of the config, so that reordering the
    // upstreams moves no key.
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
    constexpr std::uint32_t empty = UINT32_MAX;
    maglev_.assign(m, empty);
    std::uint64_t filled = 0;
    for (std::uint64_t round = 1; filled < m; ++round)
        for (std::size_t i : order) {
            if (filled == m) break;
            if (round * upstreams_[i].weight < target[i]) continue;
            target[i] += max_weight;
            std::uint64_t c;
            do c = (offset[i] + next[i]++ * skip[i]) % m;
            while (maglev_[c] != empty);
            maglev_[c] = static_cast<std::uint32_t>(i);
            ++filled;
        }
}

bool load_balancer::matches(const request& req, std::string_view path, std::string& upstream_path) const {
    if (!methods_.empty() && std::find(methods_.begin(), methods_.end(), req.method()) == methods_.end()) return false;
    if (!hosts_.empty() && std::find(hosts_.begin(), hosts_.end(), req[http::field::host]) == hosts_.end()) return false;
    if (!params_.empty()) {
        std::string_view query = url::split_target(req.target()).query;
        for (auto& p : params_)
            if (!p.match(req, query)) return false;
    }
    for (auto& r : rules_)   // no path matcher: never matches (as in AILERON)
        if (r.apply(path, upstream_path)) return true;
    return false;
}

//----------------------------------------------------------------------------------------------
// Health

bool load_balancer::usable(const upstream& u, clock::time_point now) noexcept {
    upstream_health* h = u.health;
    if (!h) return true;
    if (h->active && h->down.load(std::memory_order_relaxed)) return false;
    if (!h->passive) return true;
    clock::rep until = h->ejected_until.load(std::memory_order_relaxed);
    if (until == 0) return true;
    const clock::rep t = now.time_since_epoch().count();
    if (t < until) return false;
    // Half-open: the request that moves the deadline on is the one trial; the others skip.
    return h->ejected_until.compare_exchange_strong(until, t + h->interval.count(), std::memory_order_relaxed);
}

bool load_balancer::any_usable(clock::time_point now) const noexcept {
    if (!health_) return !upstreams_.empty();
    const clock::rep t = now.time_since_epoch().count();
    for (auto& u : upstreams_) {
        const upstream_health* h = u.health;
        if (!h) return true;
        if (h->active && h->down.load(std::memory_order_relaxed)) continue;
        if (!h->passive || h->ejected_until.load(std::memory_order_relaxed) <= t) return true;
    }
    return false;
}

void load_balancer::report(const upstream& u, bool ok, clock::time_point now) noexcept {
    upstream_health* h = u.health;
    if (!h || !h->passive) return;
    if (ok) {
        // Loads first: a healthy upstream's counters are not written on every request.
        if (h->failures.load(std::memory_order_relaxed)) h->failures.store(0, std::memory_order_relaxed);
        if (h->ejected_until.load(std::memory_order_relaxed)) h->ejected_until.store(0, std::memory_order_relaxed);
        return;
    }
    if (h->failures.fetch_add(1, std::memory_order_relaxed) + 1 >= failures_to_eject)
        h->ejected_until.store((now + h->interval).time_since_epoch().count(), std::memory_order_relaxed);
}

std::vector<upstream_health*> load_balancer::actively_checked() const {
    std::vector<upstream_health*> out;
    for (auto& u : upstreams_)
        if (u.health && u.health->active) out.push_back(u.health);
    return out;
}

//----------------------------------------------------------------------------------------------
// Picking

const upstream* load_balancer::pick_hash(std::uint64_t h, clock::time_point now) const noexcept {
    if (upstreams_.empty()) return nullptr;
    if (health_ && !any_usable(now)) return nullptr;
    switch (algorithm_) {
    case lb_algorithm::ring_hash: {
        // The first virtual node clockwise from the key (whose upstream is usable).
        const std::size_t n = ring_points_.size();
        std::size_t i = static_cast<std::size_t>(std::lower_bound(ring_points_.begin(), ring_points_.end(), h) -
                                                 ring_points_.begin());
        for (std::size_t k = 0; k < n; ++k, ++i) {
            const upstream& u = upstreams_[ring_owner_[i % n]];
            if (!health_ || usable(u, now)) return &u;
        }
        return nullptr;
    }
    case lb_algorithm::maglev: {
        // The key's table slot, or the next one whose upstream is usable.
        const std::size_t n = maglev_.size();
        std::size_t i = h % n;
        for (std::size_t k = 0; k < n; ++k, ++i) {
            const upstream& u = upstreams_[maglev_[i % n]];
            if (!health_ || usable(u, now)) return &u;
        }
        return nullptr;
    }
    case lb_algorithm::direct_hash: {
        // Weighted rendezvous hashing: the highest weight / -ln(u), u uniform in (0, 1) from
        // (key, upstream); each upstream wins with probability weight / total. Unusable
        // upstreams: the next-best score.
        auto score_of = [&](std::size_t i) {
            const double u = (static_cast<double>(mix64(h ^ ids_[i]) >> 11) + 0.5) * 0x1.0p-53;
            return static_cast<double>(upstreams_[i].weight) / -std::log(u);
        };
        const upstream* best = nullptr;
        double best_score = -1;
        for (std::size_t i = 0; i < upstreams_.size(); ++i) {
            const double score = score_of(i);
            if (score > best_score) {
                best_score = score;
                best = &upstreams_[i];
            }
        }
        if (!health_ || usable(*best, now)) return best;
        // Rare: the ranking, best first, without the upstreams already refused.
        thread_local std::vector<std::pair<double, std::size_t>> ranked;
        ranked.clear();
        for (std::size_t i = 0; i < upstreams_.size(); ++i) ranked.emplace_back(score_of(i), i);
        std::sort(ranked.begin(), ranked.end(), std::greater<>{});
        for (std::size_t k = 1; k < ranked.size(); ++k)
            if (usable(upstreams_[ranked[k].second], now)) return &upstreams_[ranked[k].second];
        return nullptr;
    }
    default: return nullptr;
    }
}

const upstream* load_balancer::pick(const request& req, clock::time_point now) const {
    if (total_ == 0) return nullptr;
    std::uint64_t slot = 0;
    switch (algorithm_) {
    case lb_algorithm::ring_hash:
    case lb_algorithm::maglev:
    case lb_algorithm::direct_hash: return pick_hash(hasher_(req), now);
    case lb_algorithm::random: {
        thread_local std::minstd_rand rng{std::random_device{}()};
        slot = std::uniform_int_distribution<std::uint64_t>{0, total_ - 1}(rng);
        break;
    }
    case lb_algorithm::round_robin:
        // Weighted round robin, consecutive by weight (2,1 -> A,A,B), lock-free across workers.
        slot = counter_.fetch_add(1, std::memory_order_relaxed) % total_;
        break;
    }
    std::size_t i = 0;
    for (; i < upstreams_.size(); ++i) {
        if (slot < upstreams_[i].weight) break;
        slot -= upstreams_[i].weight;
    }
    if (i == upstreams_.size()) return nullptr;
    if (!health_) return &upstreams_[i];
    // The slot's upstream, or the next usable one in turn.
    for (std::size_t k = 0; k < upstreams_.size(); ++k) {
        const upstream& u = upstreams_[(i + k) % upstreams_.size()];
        if (usable(u, now)) return &u;
    }
    return nullptr;
}

}  // namespace aileron::proxy
