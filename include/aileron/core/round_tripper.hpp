#pragma once
/// @file
/// The client side: a `round_tripper` sends a request upstream and returns the upstream's
/// response; a `tripperware` wraps one, as middleware wraps a handler. Upstream failures are
/// values (`result<response>`), not exceptions, so that retries and error mapping are plain code.

#include <aileron/core/http.hpp>

#include <concepts>

namespace aileron {

/// `task<result<response>> t(request&) const`: one exchange with an upstream.
template <class T>
concept round_tripper = requires(const T& t, request& req) {
    { t(req) } -> std::same_as<task<result<response>>>;
};

/// `task<result<response>> w(request&, Next next) const` where `next` is the rest of the
/// client chain (ending in the transport). `Next` is taken by value, as for middleware.
template <class W, class Next>
concept tripperware = round_tripper<Next> && std::copy_constructible<Next> &&
    requires(const W& w, request& req, Next next) {
        { w(req, next) } -> std::same_as<task<result<response>>>;
    };

}  // namespace aileron
