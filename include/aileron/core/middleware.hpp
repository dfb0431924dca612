#pragma once
/// @file
/// The `middleware` concept, in its two shapes.
///
/// A **filter** works on the request before the handler and/or on the response after it,
/// synchronously: `std::optional<response> on_request(request&) const` (return a response to
/// answer early) and `void on_response(request&, response&) const`. A chain runs consecutive
/// filters inline in one coroutine frame, so a filter costs a function call (inlined in a
/// static chain), not a coroutine.
///
/// An **around** middleware is a coroutine that calls the rest of the chain itself:
/// `task<response> operator()(request&, Next next) const`. Use it when the middleware must
/// await something (a timer, an upstream, the body) or must run code around `co_await next`.
/// `Next` is taken by value: coroutine parameters are copied into the frame.

#include <aileron/core/handler.hpp>

#include <concepts>
#include <cstddef>
#include <optional>

namespace aileron {

class dynamic_chain;

/// The rest of a type-erased chain, as seen by an around middleware in it. Cheap to copy.
class next_ref {
public:
    task<response> operator()(request& req) const;   // src/aileron/chain/dynamic_chain.cpp

private:
    friend class dynamic_chain;
    next_ref(const dynamic_chain* chain, std::size_t index) noexcept : chain_(chain), index_(index) {}
    const dynamic_chain* chain_;
    std::size_t index_;
};

/// Has `std::optional<response> on_request(request&) const`.
template <class M>
concept has_on_request = requires(const M& m, request& req) {
    { m.on_request(req) } -> std::same_as<std::optional<response>>;
};

/// Has `void on_response(request&, response&) const`.
template <class M>
concept has_on_response = requires(const M& m, request& req, response& res) {
    { m.on_response(req, res) } -> std::same_as<void>;
};

/// A synchronous middleware: at least one of on_request / on_response.
template <class M>
concept filter_middleware = has_on_request<M> || has_on_response<M>;

/// A coroutine middleware that is handed the rest of the chain as `Next`.
template <class M, class Next = next_ref>
concept around_middleware = handler<Next> && std::copy_constructible<Next> &&
    requires(const M& m, request& req, Next next) {
        { m(req, next) } -> std::same_as<task<response>>;
    };

/// Either shape. (A type that has both is used as an around middleware.)
template <class M>
concept middleware = filter_middleware<M> || around_middleware<M>;

}  // namespace aileron
