#include <aileron/chain/dynamic_chain.hpp>

namespace aileron {

task<response> next_ref::operator()(request& req) const { return chain_->run(index_, req); }

task<response> dynamic_chain::run(std::size_t i, request& req) const {
    if (i == ms_.size()) return h_(req);
    if (ms_[i].is_around()) return ms_[i](req, next_ref{this, i + 1});
    return run_filters(i, req);
}

task<response> dynamic_chain::run_filters(std::size_t i, request& req) const {
    // Filters [i, j) run here, in this frame; j is the next around middleware or the handler.
    std::size_t j = i;
    std::optional<response> early;
    while (j < ms_.size() && !ms_[j].is_around()) {
        early = ms_[j].on_request(req);
        if (early) break;
        ++j;
    }
    // When filter j answered early, only [i, j) see the response; otherwise all of [i, j).
    // (An if, not ?: : GCC 12 miscompiles co_await inside a conditional expression.)
    response res;
    if (early) res = std::move(*early);
    else res = co_await run(j, req);
    while (j-- > i) ms_[j].on_response(req, res);
    co_return res;
}

}  // namespace aileron
