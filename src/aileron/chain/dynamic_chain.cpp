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

task<response> dynamic_chain::operator()(request& req, next_ref next) const {
    // The view lives in this frame while the middleware (and `next`) run.
    const dynamic_chain view{body(), next};
    co_return co_await view.run(0, req);
}

task<response> dynamic_chain::run(std::size_t i, request& req) const {
    const dynamic_chain& c = body();
    if (i == c.ms_.size()) return tail_ ? (*tail_)(req) : c.h_(req);
    if (c.ms_[i].is_around()) return c.ms_[i](req, next_ref{this, i + 1});
    if (!c.spans_[i].response_hooks) {
        // Request-only filters need no frame of their own.
        const std::size_t j = c.spans_[i].next_around;
        for (; i < j; ++i)
            if (std::optional<response> early = c.ms_[i].on_request(req)) return answer(std::move(*early));
        return run(j, req);
    }
    return run_filters(i, req);
}

task<response> dynamic_chain::run_filters(std::size_t i, request& req) const {
    // Filters [i, j) run here, in this frame; j is the next around middleware or the handler.
    const dynamic_chain& c = body();
    const std::size_t end = c.spans_[i].next_around;
    std::size_t j = i;
    std::optional<response> early;
    for (; j < end; ++j) {
        early = c.ms_[j].on_request(req);
        if (early) break;
    }
    // When filter j answered early, only [i, j) see the response; otherwise all of [i, j).
    // (Two returns rather than one variable: no co_await inside ?:, which GCC 12 miscompiles.)
    if (early) {
        while (j-- > i) c.ms_[j].on_response(req, *early);
        co_return std::move(*early);
    }
    response res = co_await run(j, req);
    while (j-- > i) c.ms_[j].on_response(req, res);
    co_return res;
}

}  // namespace aileron
