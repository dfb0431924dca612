#pragma once
/// @file
/// Client-side chains: tripperware in front of a round tripper, as middleware is in front of
/// a handler on the server side.
///
/// - `static_client_chain<R, Ws...>`: tripperware known at compile time; each one is handed
///   the rest of the chain as a typed `Next`, so no call in the chain is indirect.
/// - `dynamic_client_chain`: tripperware chosen by config (`HTTPClient.spec.tripperwares`,
///   `ReverseProxyHandler.spec.tripperwares`), erased as `any_tripperware` over the *same*
///   types; each one gets the rest of the chain as a `tripper_next` (an index into the
///   chain, not a copy of it).
///
/// @par Example
/// @code
/// static_client_chain client{client::http_client{transport_opts, retry_policy{}}, my_signer{}};
/// proxy::reverse_proxy proxy{lbs, any_round_tripper{std::move(client)}};
/// @endcode

#include <aileron/chain/any_round_tripper.hpp>

#include <boost/hana/at.hpp>
#include <boost/hana/basic_tuple.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace aileron {

class dynamic_client_chain;

/// The rest of a `dynamic_client_chain` after one tripperware: a view, cheap to copy, valid
/// while the chain lives (for the duration of the call it is handed to).
class tripper_next {
public:
    task<result<response>> operator()(request& req) const;

private:
    friend class dynamic_client_chain;
    tripper_next(const dynamic_client_chain* chain, std::size_t index) noexcept : chain_(chain), index_(index) {}
    const dynamic_client_chain* chain_;
    std::size_t index_;
};

static_assert(round_tripper<tripper_next>);

/// A tripperware of any type behind one indirect call; shares ownership of it (one configured
/// HTTPLogger can serve several clients and also be a middleware).
class any_tripperware {
public:
    any_tripperware() = default;

    template <class W>
        requires tripperware<W, tripper_next>
    explicit any_tripperware(std::shared_ptr<const W> w)
        : self_(std::move(w)), call_([](const void* self, request& req, tripper_next next) {
              return (*static_cast<const W*>(self))(req, next);
          }) {}

    template <class W>
        requires(tripperware<W, tripper_next> && !std::same_as<std::remove_cvref_t<W>, any_tripperware>)
    explicit any_tripperware(W w) : any_tripperware(std::shared_ptr<const W>(std::make_shared<W>(std::move(w)))) {}

    task<result<response>> operator()(request& req, tripper_next next) const { return call_(self_.get(), req, next); }
    explicit operator bool() const noexcept { return call_ != nullptr; }

private:
    std::shared_ptr<const void> self_;
    task<result<response>> (*call_)(const void*, request&, tripper_next) = nullptr;
};

/// Tripperware chosen at run time in front of a round tripper. Built once per config load,
/// shared read-only by every worker thread.
///
/// A chain built without a round tripper is itself a tripperware: `chain(req, next)` runs its
/// tripperware and ends in the caller's `next` (wrappers such as `Skipper` use this).
class dynamic_client_chain {
public:
    /// `ws` outermost first, then the round tripper that ends the chain.
    dynamic_client_chain(std::vector<any_tripperware> ws, any_round_tripper end)
        : ws_(std::move(ws)), end_(std::move(end)) {}
    /// `ws` outermost first, ending in whatever `next` each call is given.
    explicit dynamic_client_chain(std::vector<any_tripperware> ws) : ws_(std::move(ws)) {}

    task<result<response>> operator()(request& req) const { return run(0, req); }
    /// Runs the tripperware, then `next` instead of the chain's round tripper.
    task<result<response>> operator()(request& req, tripper_next next) const {
        if (ws_.empty()) co_return co_await next(req);
        const dynamic_client_chain view{*this, next};   // lives in this frame for the whole call
        co_return co_await view.run(0, req);
    }
    std::size_t size() const noexcept { return ws_.size(); }

private:
    friend class tripper_next;
    /// A view of `base` ending in `tail`: shares base's tripperware, lives for one call.
    dynamic_client_chain(const dynamic_client_chain& base, tripper_next tail) noexcept : base_(&base), tail_(tail) {}

    task<result<response>> run(std::size_t i, request& req) const {
        const dynamic_client_chain& b = base_ ? *base_ : *this;
        if (i == b.ws_.size()) return tail_ ? (*tail_)(req) : b.end_(req);
        return b.ws_[i](req, tripper_next{this, i + 1});
    }

    std::vector<any_tripperware> ws_;
    any_round_tripper end_;
    const dynamic_client_chain* base_ = nullptr;   ///< in a view: the chain whose ws_ run
    std::optional<tripper_next> tail_;             ///< in a view: what follows the last tripperware
};

inline task<result<response>> tripper_next::operator()(request& req) const { return chain_->run(index_, req); }

static_assert(round_tripper<dynamic_client_chain>);

namespace detail {
template <class R>
consteval bool require_round_tripper() {
    static_assert(round_tripper<R>,
                  "aileron::static_client_chain<R, Ws...>: R is not a round tripper; it needs "
                  "`task<result<response>> operator()(request&) const`; see "
                  "include/aileron/core/round_tripper.hpp");
    return true;
}
template <class W, class Next>
consteval bool require_tripperware() {
    static_assert(tripperware<W, Next>,
                  "aileron::static_client_chain<R, Ws...>: this W is not a tripperware. A tripperware "
                  "has `template <round_tripper Next> task<result<response>> operator()(request&, Next) "
                  "const`; see include/aileron/core/round_tripper.hpp");
    return true;
}
}  // namespace detail

/// Tripperware known at compile time in front of round tripper `R`, outermost first.
template <class R, class... Ws>
class static_client_chain {
    static_assert(detail::require_round_tripper<R>());
    static constexpr std::size_t n = sizeof...(Ws);
    template <std::size_t I>
    using w_t = std::tuple_element_t<I, std::tuple<Ws...>>;

public:
    /// The round tripper first, then the tripperware outermost first.
    explicit static_client_chain(R r, Ws... ws) : r_(std::move(r)), ws_(std::move(ws)...) {}

    task<result<response>> operator()(request& req) const { return run<0>(req); }

private:
    /// The rest of the chain from tripperware I.
    template <std::size_t I>
    struct step {
        const static_client_chain* self;
        task<result<response>> operator()(request& req) const { return self->template run<I>(req); }
    };

    template <std::size_t I>
    task<result<response>> run(request& req) const {
        if constexpr (I == n) {
            return r_(req);
        } else {
            static_assert(detail::require_tripperware<w_t<I>, step<I + 1>>());
            return boost::hana::at_c<I>(ws_)(req, step<I + 1>{this});
        }
    }

    R r_;
    boost::hana::basic_tuple<Ws...> ws_;
};

}  // namespace aileron
