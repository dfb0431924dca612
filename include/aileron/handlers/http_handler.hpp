#pragma once
/// @file
/// `core/v1 HTTPHandler`: a handler placed under a path prefix, behind its own middleware.
/// Its patterns are the child handler's under `pattern`; its methods are the child's.

#include <aileron/chain/dynamic_chain.hpp>
#include <aileron/config/decode.hpp>
#include <aileron/core/handler.hpp>
#include <aileron/handlers/routes.hpp>
#include <aileron/registry/registry.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace aileron::handlers {

class http_handler : public routes {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "HTTPHandler";

    struct config {
        std::string pattern;
        std::vector<aileron::config::reference> middleware;
        aileron::config::reference handler;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("pattern", "Pattern", &config::pattern),
                              field("middleware", "Middleware", &config::middleware),
                              field("handler", "Handler", &config::handler)};
        }
        void normalize(aileron::config::decoder& d);
    };

    http_handler(const config& cfg, build_context& ctx);

    task<response> operator()(request& req) const { return chain_(req); }

    /// The child's patterns under `pattern`: `path.Clean("/" + pattern + child)` as AILERON
    /// does, except that a child's trailing slash (a subtree) is kept; AILERON drops it.
    static std::vector<std::string> join_patterns(std::string_view pattern, const std::vector<std::string>& child);

private:
    http_handler(const config& cfg, build_context& ctx, const resource_object* child);
    dynamic_chain chain_;
};

static_assert(handler<http_handler>);

}  // namespace aileron::handlers
