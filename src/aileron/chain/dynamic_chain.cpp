#include <aileron/chain/dynamic_chain.hpp>

namespace aileron {

task<response> next_ref::operator()(request& req) const { return chain_->run(index_, req); }

dynamic_chain::dynamic_chain(std::vector<any_middleware> ms, any_handler h)
    : ms_(std::move(ms)), spans_(ms_.size()), h_(std::move(h)) {
    // Walk backwards once so each index knows its run of filters.
    std::size_t next = ms_.size();
    bool hooks = false;
    for (std::size_t i = ms_.size(); i-- > 0;) {
        if (ms_[i].is_around()) {
            next = i;
            hooks = false;
        } else {
            hooks = hooks || ms_[i].has_response_hook();
        }
        spans_[i] = {ms_[i].is_around() ? i : next, hooks};
    }
}

task<response> dynamic_chain::answer(response res) { co_return res; }

task<response> dynamic_chain::run(std::size_t i, request& req) const {
    if (i == ms_.size()) return h_(req);
    if (ms_[i].is_around()) return ms_[i](req, next_ref{this, i + 1});
    if (!spans_[i].response_hooks) {
        // Request-only filters need no frame of their own.
        const std::size_t j = spans_[i].next_around;
        for (; i < j; ++i)
            if (std::optional<response> early = ms_[i].on_request(req)) return answer(std::move(*early));
        return run(j, req);
    }
    return run_filters(i, req);
}

task<response> dynamic_chain::run_filters(std::size_t i, request& req) const {
    // Filters [i, j) run here, in this frame; j is the next around middleware or the handler.
    const std::size_t end = spans_[i].next_around;
    std::size_t j = i;
    std::optional<response> early;
    for (; j < end; ++j) {
        early = ms_[j].on_request(req);
        if (early) break;
    }
    // When filter j answered early, only [i, j) see the response; otherwise all of [i, j).
    // (Two returns rather than one variable: no co_await inside ?:, which GCC 12 miscompiles.)
    if (early) {
        while (j-- > i) ms_[j].on_response(req, *early);
        co_return std::move(*early);
    }
    response res = co_await run(j, req);
    while (j-- > i) ms_[j].on_response(req, res);
    co_return res;
}

}  // namespace aileron
