#pragma once
/// @file
/// `dynamic_chain`: middleware chosen at run time (by config) in front of a handler.
///
/// Consecutive filters run inline in one coroutine frame, one indirect call each; an around
/// middleware gets the rest of the chain as a `next_ref`. The chain is built once per config
/// load and shared read-only by every connection.
///
/// A chain built without a handler is itself an around middleware: `chain(req, next)` runs its
/// middleware and ends in the caller's `next` (wrappers such as `Skipper` use this).

#include <aileron/chain/any_handler.hpp>
#include <aileron/chain/any_middleware.hpp>

#include <optional>
#include <vector>

namespace aileron {

class dynamic_chain {
public:
    /// `ms` outermost first, then the handler.
    dynamic_chain(std::vector<any_middleware> ms, any_handler h);
    /// `ms` outermost first, ending in whatever `next` each call is given.
    explicit dynamic_chain(std::vector<any_middleware> ms) : dynamic_chain(std::move(ms), any_handler{}) {}

    task<response> operator()(request& req) const { return run(0, req); }
    /// Runs the middleware, then `next` instead of the chain's handler.
    task<response> operator()(request& req, next_ref next) const;
    std::size_t size() const noexcept { return ms_.size(); }

private:
    friend class next_ref;
    /// A view of `base` ending in `tail`: shares base's middleware, lives for one call.
    dynamic_chain(const dynamic_chain& base, next_ref tail) noexcept : base_(&base), tail_(tail) {}

    const dynamic_chain& body() const noexcept { return base_ ? *base_ : *this; }
    task<response> run(std::size_t i, request& req) const;
    task<response> run_filters(std::size_t i, request& req) const;

    struct span_info {
        std::size_t next_around;   ///< first around middleware at or after this index (or size)
        bool response_hooks;       ///< a filter in [this, next_around) has on_response
    };
    static task<response> answer(response res);

    std::vector<any_middleware> ms_;
    std::vector<span_info> spans_;   ///< one per middleware, computed once
    any_handler h_;
    const dynamic_chain* base_ = nullptr;   ///< in a view: the chain whose ms_/spans_/h_ run
    std::optional<next_ref> tail_;          ///< in a view: what follows the last middleware
};

static_assert(handler<dynamic_chain>);

}  // namespace aileron
