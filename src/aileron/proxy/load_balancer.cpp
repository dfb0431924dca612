#include <aileron/proxy/load_balancer.hpp>

#include <algorithm>
#include <fnmatch.h>
#include <random>

namespace aileron::proxy {

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

load_balancer::load_balancer(const load_balancer_spec& s) : algorithm_(s.algorithm), methods_(to_verbs(s.methods)), hosts_(s.hosts) {
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

bool load_balancer::matches(const request& req, std::string_view path, std::string& upstream_path) const {
    if (!methods_.empty() && std::find(methods_.begin(), methods_.end(), req.method()) == methods_.end()) return false;
    if (!hosts_.empty() && std::find(hosts_.begin(), hosts_.end(), req[http::field::host]) == hosts_.end()) return false;
    for (auto& r : rules_)   // no path matcher: never matches (as in AILERON)
        if (r.apply(path, upstream_path)) return true;
    return false;
}

const upstream* load_balancer::pick(const request&) const {
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

}  // namespace aileron::proxy
