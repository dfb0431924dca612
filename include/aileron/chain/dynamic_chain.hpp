#pragma once
/// @file
/// `dynamic_chain`: middleware chosen at run time (by config) in front of a handler.
///
/// Consecutive filters run inline in one coroutine frame, one indirect call each; an around
/// middleware gets the rest of the chain as a `next_ref`. The chain is built once per config
/// load and shared read-only by every connection.

#include <aileron/chain/any_handler.hpp>
#include <aileron/chain/any_middleware.hpp>

#include <vector>

namespace aileron {

class dynamic_chain {
public:
    /// `ms` outermost first, then the handler.
    dynamic_chain(std::vector<any_middleware> ms, any_handler h);

    task<response> operator()(request& req) const { return run(0, req); }
    std::size_t size() const noexcept { return ms_.size(); }

private:
    friend class next_ref;
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
};

static_assert(handler<dynamic_chain>);

}  // namespace aileron
