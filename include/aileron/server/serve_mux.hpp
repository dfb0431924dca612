#pragma once
/// @file
/// Request routing with Go 1.22 `net/http.ServeMux` semantics (AILERON spec §3.3, §7 item 1).
///
/// Patterns are `[HOST]/[PATH]` (Go's syntax without the method: the server checks methods
/// itself). PATH segments are literals (percent-decoded when parsed), `{name}`, `{name...}` (last
/// only) or `{$}` (last only: the trailing slash exactly). A PATH ending in `/` matches its whole
/// subtree; any other PATH matches exactly. The most specific matching pattern wins; patterns
/// with a host win over host-less ones. Registering a pattern that matches the same requests as
/// an existing one, or overlaps it without either being more specific, is an error.
///
/// Requests are routed on the cleaned, still-escaped path; each segment is percent-decoded before
/// it is compared, so `%2F` stays inside one segment. Unclean paths and subtree roots without
/// their trailing slash (`/contents` when only `/contents/` exactly matches `/contents/`) yield a
/// 301 redirect instead of a match.
///
/// Deliberate differences from Go (1.22-1.26):
/// - Hosts are compared case-insensitively (Go compares them byte for byte).
/// - Redirect locations keep the request's escaping: Go re-escapes the already escaped cleaned
///   path (`%20` becomes `%2520`, golang/go#79897) and builds the trailing-slash redirect from the
///   decoded path (`%2F` becomes `/`).
/// - Wildcard names must be ASCII identifiers (Go accepts any Unicode letter).
/// - A pattern containing a space or tab (Go's `METHOD PATTERN` form) is rejected.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace aileron::server {

/// One wildcard value of a match, in pattern order. The anonymous subtree wildcard of a pattern
/// ending in `/` records nothing.
struct route_match_param {
    std::string_view name;   ///< wildcard name; points into the mux, valid until its next `handle`
    std::string value;       ///< percent-decoded segment (`{x}`) or rest of the path (`{x...}`)
};

/// What routing one request produced.
enum class route_status {
    not_found,   ///< nothing matched (the server answers 404)
    matched,     ///< a registered pattern matched
    redirect,    ///< answer `301 Moved Permanently` with `Location: location`
};

/// The non-template part of a routing result.
struct route_lookup {
    route_status status = route_status::not_found;
    std::size_t index = 0;                    ///< registration index of the match (`matched` only)
    std::string_view pattern;                 ///< matched pattern as registered (`matched` only)
    std::vector<route_match_param> params;    ///< wildcard values (`matched` only)
    std::string location;                     ///< path [+ `?query`] to redirect to (`redirect` only)

    bool matched() const noexcept { return status == route_status::matched; }
    bool redirect() const noexcept { return status == route_status::redirect; }

    /// The value of wildcard `name` (Go's `Request.PathValue`), or nullopt when there is none.
    std::optional<std::string_view> param(std::string_view name) const noexcept {
        for (const route_match_param& p : params) {
            if (p.name == name) {
                return std::string_view{p.value};
            }
        }
        return std::nullopt;
    }
};

/// The pattern table and matcher behind `serve_mux<T>`: parsing, conflict detection and
/// routing, with registration indices standing in for the routed values.
///
/// Matching tries the request host's patterns, then the host-less ones. Within each, a pattern
/// made only of literals is found by hashing the path (it beats any other match), and the
/// others are scanned in routing order (per segment: literal before `{x}` before a subtree
/// wildcard), taking the first that matches: the same answer as Go's routing tree. The scan is
/// linear in the number of wildcard and subtree patterns; a trie can replace it.
///
/// Allocation: none apart from the result's own strings. A match with wildcards allocates
/// `params` (and each value longer than the small-string buffer), a redirect allocates
/// `location` when it is long, and an unclean path allocates its cleaned copy.
///
/// Thread safety: `match` is const and may run concurrently; `add` must not run alongside it.
class mux_core {
public:
    mux_core();
    mux_core(mux_core&&) noexcept;
    mux_core& operator=(mux_core&&) noexcept;
    ~mux_core();

    /// Registers `pattern` for registration index `index`. Returns Go's error text on a syntax
    /// error or a conflict; the table is unchanged then.
    std::optional<std::string> add(std::string_view pattern, std::size_t index);

    /// Whether exactly this pattern string was registered.
    bool contains(std::string_view pattern) const noexcept;

    /// Number of registered patterns.
    std::size_t size() const noexcept;

    /// Routes a request. `host` is the Host header (a port and letter case are ignored);
    /// `target` is the request-target in origin form (`/path?query`) or absolute form
    /// (`http://host/path?query`). Any other form (`*`, authority form) finds nothing.
    route_lookup match(std::string_view host, std::string_view target) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// A routing result carrying the routed value.
template <class T>
struct lookup_result : route_lookup {
    /// The value registered with the matched pattern (`matched` only), else null. Valid until
    /// the next `serve_mux::handle`.
    const T* value = nullptr;

    explicit operator bool() const noexcept { return matched(); }
};

/**
 * A Go 1.22 `http.ServeMux` over any routed value `T` (a handler, a chain, an index).
 *
 * Build it once at startup with `handle`, then share it const between workers.
 *
 * @code
 * serve_mux<int> mux;
 * if (auto err = mux.handle("/api/{id}", 1)) return *err;   // startup error, as a value
 * auto r = mux.match("example.com:8080", "/api/42?x=1");
 * // r.value == &1, r.param("id") == "42"
 * @endcode
 */
template <class T>
class serve_mux {
    static_assert(std::is_move_constructible_v<T>,
                  "aileron::server::serve_mux<T>: T must be move constructible");

public:
    /// Registers `value` for `pattern` (`"[HOST]/PATH"`). Returns an error message on a syntax
    /// error or on a conflict with an already registered pattern (Go's text, such as
    /// `pattern "/a/{x}" conflicts with pattern "/a/{y}":\n...`); `value` is dropped then.
    std::optional<std::string> handle(std::string_view pattern, T value) {
        values_.push_back(std::move(value));
        if (auto err = core_.add(pattern, values_.size() - 1)) {
            values_.pop_back();
            return err;
        }
        return std::nullopt;
    }

    /// Whether exactly this pattern string was registered (`"/a/"` is not `"/a"`).
    bool contains(std::string_view pattern) const noexcept { return core_.contains(pattern); }

    /// Number of registered patterns.
    std::size_t size() const noexcept { return values_.size(); }

    /// Routes a request: a value and its wildcard values, a 301 redirect, or nothing. See
    /// `mux_core::match` for the arguments.
    lookup_result<T> match(std::string_view host, std::string_view target) const {
        lookup_result<T> result{core_.match(host, target)};
        if (result.matched()) {
            result.value = &values_[result.index];
        }
        return result;
    }

private:
    mux_core core_;
    std::vector<T> values_;   ///< indexed by registration index
};

}  // namespace aileron::server
