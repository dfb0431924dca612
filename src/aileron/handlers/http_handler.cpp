#include <aileron/handlers/http_handler.hpp>

#include <aileron/core/url.hpp>

#include <algorithm>

namespace aileron::handlers {

namespace {

std::vector<http::verb> sorted_unique(std::vector<http::verb> ms) {
    std::sort(ms.begin(), ms.end());
    ms.erase(std::unique(ms.begin(), ms.end()), ms.end());
    return ms;
}

}  // namespace

void http_handler::config::normalize(aileron::config::decoder& d) {
    if (handler.empty()) d.error("handler", "is required");
}

std::vector<std::string> http_handler::join_patterns(std::string_view pattern, const std::vector<std::string>& child) {
    std::vector<std::string> out;
    out.reserve(child.size());
    for (auto& p : child) {
        std::string joined = url::clean_path("/" + std::string{pattern} + p);
        if (p.ends_with('/') && joined != "/") joined += '/';
        out.push_back(std::move(joined));
    }
    return out;
}

http_handler::http_handler(const config& cfg, build_context& ctx)
    : http_handler(cfg, ctx, ctx.resolve(cfg.handler, role::handler)) {}

http_handler::http_handler(const config& cfg, build_context& ctx, const resource_object* child)
    : routes(child ? join_patterns(cfg.pattern, child->patterns) : std::vector<std::string>{},
             child ? sorted_unique(child->methods) : std::vector<http::verb>{}),
      chain_(ctx.middleware(cfg.middleware), child ? child->handler : any_handler{}) {}

}  // namespace aileron::handlers
