#pragma once
/// @file
/// `app/v1 HealthCheckHandler`: `200 {}` while the gateway is up.

#include <aileron/config/decode.hpp>
#include <aileron/core/handler.hpp>
#include <aileron/handlers/routes.hpp>
#include <aileron/server/http_method.hpp>

#include <string>
#include <vector>

namespace aileron {
class build_context;
}

namespace aileron::handlers {

class health_check : public routes {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "HealthCheckHandler";

    struct config {
        aileron::config::reference error_handler;
        std::vector<std::string> patterns;
        std::vector<http_method> methods;
        std::int32_t timeout = 30;   ///< seconds, for external probes
        std::vector<aileron::config::reference> external_probes;
        static constexpr auto fields() {
            return std::tuple{
                aileron::config::field("errorHandler", "ErrorHandler", &config::error_handler),
                aileron::config::field("patterns", "Patterns", &config::patterns),
                aileron::config::field("methods", "Methods", &config::methods),
                aileron::config::field("timeout", "Timeout", &config::timeout),
                aileron::config::field("externalProbes", "ExternalProbes", &config::external_probes)};
        }
        void normalize(aileron::config::decoder& d);
    };

    health_check() = default;
    explicit health_check(const config& cfg) : routes(cfg.patterns, cfg.methods) {}

    task<response> operator()(request& req) const;


private:
    std::vector<std::string> patterns_;
    std::vector<http::verb> methods_;
};

static_assert(handler<health_check>);

}  // namespace aileron::handlers
