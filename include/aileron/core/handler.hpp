#pragma once
/// @file
/// The `handler` concept: the innermost step of a request, which produces the response.

#include <aileron/core/http.hpp>

#include <concepts>

namespace aileron {

/**
 * A handler turns a request into a response: `task<response> h(request&) const`.
 *
 * Handlers are shared by every connection of every worker thread, so `operator()` is const
 * and per-request state lives in the coroutine frame or in `req.context()`.
 *
 * @par Example
 * @code
 * struct hello {
 *     task<response> operator()(request& req) const {
 *         response res{http::status::ok, req.version()};
 *         res.body() = "hello\n";
 *         res.prepare_payload();
 *         co_return res;
 *     }
 * };
 * static_assert(aileron::handler<hello>);
 * @endcode
 */
template <class H>
concept handler = requires(const H& h, request& req) {
    { h(req) } -> std::same_as<task<response>>;
};

}  // namespace aileron
