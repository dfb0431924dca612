#include <aileron/proxy/reverse_proxy.hpp>

#include <aileron/core/error.hpp>
#include <aileron/core/url.hpp>
#include <aileron/registry/registry.hpp>

#include <boost/beast/http/rfc7230.hpp>

#include <algorithm>
#include <fnmatch.h>
#include <random>

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
    else if (url.starts_with("https://"))
        d.error("url", "https upstreams need TLS, which aileron does not support yet");
    if (weight < -1 || weight > 65535) d.error("weight", "must be in -1..65535");
    // Health checking: AILERON only declares these fields; we refuse rather than pretend.
    if (enable_passive || enable_active || initial_delay || health_check_interval || !health_check_addr.empty())
        d.error(enable_passive ? "enablePassive" : "enableActive", "upstream health checks are not supported by aileron yet");
}

void load_balancer_spec::normalize(config::decoder& d) {
    if (algorithm != lb_algorithm::round_robin && algorithm != lb_algorithm::random)
        d.error("lbAlgorithm", "only RoundRobin and Random are supported by aileron yet");
    if (!path_param_matchers.empty()) d.error("pathParamMatchers", "not supported by aileron yet");
    if (!header_matchers.empty()) d.error("headerMatchers", "not supported by aileron yet");
    if (!query_matchers.empty()) d.error("queryMatchers", "not supported by aileron yet");
}

void reverse_proxy::config::normalize(aileron::config::decoder& d) {
    if (!tripperwares.empty()) d.error("tripperwares", "no tripperware kind exists in aileron yet");
    if (!round_tripper.empty()) d.error("roundTripper", "HTTPClient is not supported by aileron yet; the built-in transport is used");
}

//----------------------------------------------------------------------------------------------
// Load balancers

namespace {

/// One path matcher: whether a path is taken, and the upstream path it becomes.
class path_rule {
public:
    explicit path_rule(const path_matcher_spec& s) : spec_(s) {
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

    /// AILERON's algorithm: trim the prefix, match, rewrite (regex only), prepend.
    bool apply(std::string_view path, std::string& out) const {
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

private:
    path_matcher_spec spec_;
    std::optional<std::regex> re_;
    std::string rewrite_;
};

struct upstream {
    std::string origin;   ///< "http://host:port", the target prefix
    std::string host;     ///< "host:port" as written, for the Host header
    std::string query;    ///< the upstream URL's own query, if any
    std::uint64_t weight;
};

}  // namespace

/// One `loadBalancers[]` entry: what it matches and how it picks an upstream.
class load_balancer {
public:
    explicit load_balancer(const load_balancer_spec& s) : algorithm_(s.algorithm), methods_(to_verbs(s.methods)), hosts_(s.hosts) {
        if (s.path_matcher) rules_.emplace_back(*s.path_matcher);
        for (auto& m : s.path_matchers) rules_.emplace_back(m);
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
            upstreams_.push_back(std::move(up));
        }
    }

    /// Whether this balancer takes the request; sets the upstream path when it does.
    bool matches(const request& req, std::string_view path, std::string& upstream_path) const {
        if (!methods_.empty() && std::find(methods_.begin(), methods_.end(), req.method()) == methods_.end()) return false;
        if (!hosts_.empty() && std::find(hosts_.begin(), hosts_.end(), req[http::field::host]) == hosts_.end()) return false;
        for (auto& r : rules_)   // no path matcher: never matches (as in AILERON)
            if (r.apply(path, upstream_path)) return true;
        return false;
    }

    /// The upstream for the next request; nullptr when none is usable.
    const upstream* pick() const {
        if (total_ == 0) return nullptr;
        std::uint64_t slot;
        if (algorithm_ == lb_algorithm::random) {
            thread_local std::minstd_rand rng{std::random_device{}()};
            slot = std::uniform_int_distribution<std::uint64_t>{0, total_ - 1}(rng);
        } else {
            // Weighted round robin, consecutive by weight (2,1 -> A,A,B), lock-free across workers.
            slot = counter_.fetch_add(1, std::memory_order_relaxed) % total_;
        }
        for (auto& u : upstreams_) {
            if (slot < u.weight) return &u;
            slot -= u.weight;
        }
        return nullptr;
    }

private:
    lb_algorithm algorithm_;
    std::vector<http::verb> methods_;
    std::vector<std::string> hosts_;
    std::vector<path_rule> rules_;
    std::vector<upstream> upstreams_;
    std::uint64_t total_ = 0;
    mutable std::atomic<std::uint64_t> counter_{0};
};

//----------------------------------------------------------------------------------------------

namespace {

/// RFC 9110 §7.6.1: headers for one connection only, plus those the Connection header names.
void remove_hop_by_hop(http::fields& f) {
    std::vector<std::string> named;
    for (auto& token : http::token_list{f[http::field::connection]}) named.emplace_back(token);
    for (auto& n : named) f.erase(n);
    for (auto h : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                   http::field::proxy_authenticate, http::field::proxy_authorization, http::field::te,
                   http::field::trailer, http::field::transfer_encoding, http::field::upgrade})
        f.erase(h);
}

std::string ip_string(const tcp::endpoint& ep) { return ep.address().to_string(); }

}  // namespace

reverse_proxy::reverse_proxy(const config& cfg, build_context&)
    : reverse_proxy(cfg.load_balancers) {
    patterns_ = cfg.patterns;
    methods_ = to_verbs(cfg.methods);
}

reverse_proxy::reverse_proxy(const std::vector<load_balancer_spec>& lbs, client::transport_options transport)
    : transport_(transport) {
    for (auto& s : lbs) lbs_.push_back(std::make_unique<load_balancer>(s));
}

reverse_proxy::~reverse_proxy() = default;
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
    const upstream* up = lb->pick();
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
    const std::string client_host{req[http::field::host]};
    remove_hop_by_hop(req.header());
    if (te_trailers) req.set(http::field::te, "trailers");
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

    auto res = co_await transport_(req);
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
    // The server frames the body itself: the upstream's framing and hop-by-hop headers go.
    const bool streamed = out.stream() != nullptr;
    remove_hop_by_hop(out.base());
    if (streamed) out.erase(http::field::content_length);
    co_return out;
}

}  // namespace aileron::proxy
