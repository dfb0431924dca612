#include <aileron/middlewares/skipper.hpp>

#include <aileron/registry/registry.hpp>

#include <algorithm>
#include <string>

namespace aileron::middlewares {

void skipper::condition_config::normalize(aileron::config::decoder& d) {
    for (std::size_t i = 0; i < methods.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (methods[i] == methods[j]) d.error("methods[" + std::to_string(i) + "]", "duplicate method");
}

skipper::skipper(const config& cfg, std::vector<any_middleware> wrapped, std::vector<any_tripperware> wrapped_client)
    : wrapped_(std::move(wrapped)), wrapped_client_(std::move(wrapped_client)) {
    for (const auto& c : cfg.skip_conditions) conditions_.push_back({string_matcher{c.matcher}, to_verbs(c.methods)});
}

skipper::skipper(const config& cfg, build_context& ctx)
    : skipper(cfg, ctx.middleware(cfg.middleware), ctx.tripperware(cfg.tripperware)) {}

bool skipper::should_skip(const request& req) const {
    if (conditions_.empty()) return false;
    std::string scratch;   // only a target with a %-escape is decoded into it
    const std::string_view path = url_path(req.target(), scratch);
    for (const auto& c : conditions_) {
        if (!c.methods.empty() && std::find(c.methods.begin(), c.methods.end(), req.method()) == c.methods.end())
            continue;
        if (c.paths.match(path)) return true;
    }
    return false;
}

}  // namespace aileron::middlewares
