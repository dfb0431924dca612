#pragma once
/// @file
/// `static_chain<H, Ms...>`: middleware known at compile time in front of a handler, with no
/// virtual or indirect call. Consecutive filters are inlined into one coroutine frame; an
/// around middleware is handed the rest of the chain as a typed `Next`, so the compiler sees
/// through the whole pipeline.
///
/// @par Example
/// @code
/// static_chain app{handlers::echo{}, my_filter{}, my_timeout{}};
/// http_server srv{opts, any_handler{std::move(app)}};
/// @endcode

#include <aileron/core/middleware.hpp>

#include <boost/hana/at.hpp>
#include <boost/hana/basic_tuple.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace aileron {

namespace detail {
/// Names the offending type in the one diagnostic a wrong middleware produces.
template <class M>
consteval bool require_middleware() {
    static_assert(middleware<M>,
                  "aileron::static_chain<H, Ms...>: this M is not a middleware. A middleware has "
                  "`std::optional<response> on_request(request&) const` and/or "
                  "`void on_response(request&, response&) const` (a filter), or "
                  "`task<response> operator()(request&, Next) const` (around); "
                  "see include/aileron/core/middleware.hpp");
    return true;
}
template <class H>
consteval bool require_handler() {
    static_assert(handler<H>,
                  "aileron::static_chain<H, Ms...>: H is not a handler; it needs "
                  "`task<response> operator()(request&) const`; see include/aileron/core/handler.hpp");
    return true;
}
}  // namespace detail

template <class H, class... Ms>
class static_chain {
    static_assert(detail::require_handler<H>());
    static_assert((detail::require_middleware<Ms>() && ...));
    static constexpr std::size_t n = sizeof...(Ms);
    template <std::size_t I>
    using m_t = std::tuple_element_t<I, std::tuple<Ms...>>;

public:
    /// The handler first, then the middleware outermost first.
    explicit static_chain(H h, Ms... ms) : h_(std::move(h)), ms_(std::move(ms)...) {}

    task<response> operator()(request& req) const { return run<0>(req); }

private:
    /// The rest of the chain from middleware I, as an around middleware sees it.
    template <std::size_t I>
    struct step {
        const static_chain* self;
        task<response> operator()(request& req) const { return self->template run<I>(req); }
    };

    template <std::size_t I>
    static constexpr bool is_around() {
        if constexpr (I < n) return around_middleware<m_t<I>, step<I + 1>>;
        else return false;
    }
    /// Index of the first around middleware at or after I (n if none).
    template <std::size_t I>
    static constexpr std::size_t next_around() {
        if constexpr (I >= n || is_around<I>()) return I;
        else return next_around<I + 1>();
    }

    /// Whether any filter in [I, J) has a response hook.
    template <std::size_t I, std::size_t J>
    static constexpr bool any_response_hook() {
        if constexpr (I >= J) return false;
        else return has_on_response<m_t<I>> || any_response_hook<I + 1, J>();
    }

    template <std::size_t I>
    task<response> run(request& req) const {
        if constexpr (I == n) {
            return h_(req);
        } else if constexpr (is_around<I>()) {
            return boost::hana::at_c<I>(ms_)(req, step<I + 1>{this});
        } else if constexpr (!any_response_hook<I, next_around<I>()>()) {
            // Request-only filters need no frame of their own: run them here and hand back
            // the task of the rest of the chain.
            std::optional<response> early;
            [&]<std::size_t... K>(std::index_sequence<K...>) {
                (void)(enter<I + K>(req, early) && ...);
            }(std::make_index_sequence<next_around<I>() - I>{});
            if (early) return answer(std::move(*early));
            return run<next_around<I>()>(req);
        } else {
            return run_filters<I>(req);
        }
    }

    /// A task that yields a response a filter produced (the early-answer path only).
    static task<response> answer(response res) { co_return res; }

    /// Runs the filters [I, J) inline, awaits the rest from J, runs their response hooks.
    template <std::size_t I>
    task<response> run_filters(request& req) const {
        constexpr std::size_t J = next_around<I>();
        std::size_t entered = I;   // filters [I, entered) passed on_request
        std::optional<response> early;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (void)((enter<I + K>(req, early) && ++entered) && ...);
        }(std::make_index_sequence<J - I>{});
        auto leave_all = [&](response& res) {
            [&]<std::size_t... K>(std::index_sequence<K...>) {
                (leave<J - 1 - K>(req, res, entered), ...);
            }(std::make_index_sequence<J - I>{});
        };
        // Two returns rather than one variable: no default-constructed response to assign
        // into (and no co_await inside ?:, which GCC 12 miscompiles).
        if (early) {
            leave_all(*early);
            co_return std::move(*early);
        }
        response res = co_await run<J>(req);
        leave_all(res);
        co_return res;
    }

    /// on_request of filter K; false when it answered early.
    template <std::size_t K>
    bool enter(request& req, std::optional<response>& early) const {
        if constexpr (has_on_request<m_t<K>>) {
            early = boost::hana::at_c<K>(ms_).on_request(req);
            return !early;
        } else {
            return true;
        }
    }
    template <std::size_t K>
    void leave(request& req, response& res, std::size_t entered) const {
        if constexpr (has_on_response<m_t<K>>)
            if (K < entered) boost::hana::at_c<K>(ms_).on_response(req, res);
    }

    H h_;
    boost::hana::basic_tuple<Ms...> ms_;
};

}  // namespace aileron
