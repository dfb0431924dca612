#pragma once
/// @file
/// `app/v1 EchoHandler`: answers with a text description of the request (line, host, remote
/// address, headers as JSON, body), in AILERON's exact format.

#include <aileron/config/decode.hpp>
#include <aileron/core/handler.hpp>
#include <aileron/handlers/routes.hpp>
#include <aileron/server/http_method.hpp>

#include <string>
#include <vector>

namespace aileron::handlers {

class echo : public routes {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "EchoHandler";
    /// Bodies larger than this are replaced by "REQUEST BODY TOO LARGE\n" (AILERON's 16 MiB).
    static constexpr std::size_t max_body = 1u << 24;

    struct config {
        std::vector<std::string> patterns;
        std::vector<http_method> methods;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("patterns", "Patterns", &config::patterns),
                              aileron::config::field("methods", "Methods", &config::methods)};
        }
    };

    echo() = default;
    explicit echo(const config& cfg) : routes(cfg.patterns, cfg.methods) {}

    task<response> operator()(request& req) const;


private:
    std::vector<std::string> patterns_;
    std::vector<http::verb> methods_;
};

static_assert(handler<echo>);

}  // namespace aileron::handlers
