#pragma once
/// @file
/// `app/v1 HealthCheckHandler`: `200 {}` while the gateway is up.

#include <aileron/config/decode.hpp>
#include <aileron/core/handler.hpp>
#include <aileron/server/http_method.hpp>

#include <string>
#include <vector>

namespace aileron {
class build_context;
}

namespace aileron::handlers {

class health_check {
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
    explicit health_check(const config& cfg) : patterns_(cfg.patterns), methods_(to_verbs(cfg.methods)) {}

    task<response> operator()(request& req) const;

    const std::vector<std::string>& patterns() const noexcept { return patterns_; }
    const std::vector<http::verb>& methods() const noexcept { return methods_; }

private:
    std::vector<std::string> patterns_;
    std::vector<http::verb> methods_;
};

static_assert(handler<health_check>);

}  // namespace aileron::handlers
