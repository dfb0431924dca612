#include <aileron/handlers/http_handler.hpp>

#include <algorithm>

namespace aileron::handlers {

namespace {

/// Go's path.Clean.
std::string clean(std::string_view p) {
    if (p.empty()) return ".";
    bool rooted = p.front() == '/';
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i < p.size()) {
        std::size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        std::string_view seg = p.substr(i, j - i);
        if (seg == "..") {
            if (!parts.empty() && parts.back() != "..") parts.pop_back();
            else if (!rooted) parts.push_back(seg);
        } else if (!seg.empty() && seg != ".") {
            parts.push_back(seg);
        }
        i = j + 1;
    }
    std::string out = rooted ? "/" : "";
    for (std::size_t k = 0; k < parts.size(); ++k) {
        if (k) out += '/';
        out += parts[k];
    }
    return out.empty() ? "." : out;
}

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
        std::string joined = clean("/" + std::string{pattern} + p);
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
