#pragma once
/// @file
/// `app/v1 TimeoutMiddleware`: a deadline for producing the response.
///
/// The timeout is the first `apiTimeouts` entry whose methods and path matcher match the
/// request (`timeout` ms), else `defaultTimeout` ms; 0 means none. When the deadline passes
/// before the rest of the chain has produced a response, that work is cancelled and the
/// client gets 504 (`E3202 AppMiddleAPITimeout`). A streamed response body is not covered:
/// the deadline ends when the response exists.

#include <aileron/config/decode.hpp>
#include <aileron/config/matcher.hpp>
#include <aileron/core/deadline.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/server/http_method.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace aileron::middlewares {

class timeout {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "TimeoutMiddleware";

    /// AILERON's `APITimeoutSpec`.
    struct api_timeout_config {
        aileron::config::matcher_spec matcher;
        std::vector<http_method> methods;
        std::int32_t timeout = 0;   ///< milliseconds; entries with 0 are skipped (as AILERON)
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{aileron::config::required_field("matcher", "Matcher", &api_timeout_config::matcher),
                              field("methods", "Methods", &api_timeout_config::methods),
                              field("timeout", "Timeout", &api_timeout_config::timeout)};
        }
        void normalize(aileron::config::decoder& d);
    };

    struct config {
        std::int32_t default_timeout = 0;   ///< milliseconds; 0: none
        std::vector<api_timeout_config> api_timeouts;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("defaultTimeout", "DefaultTimeout", &config::default_timeout),
                              field("apiTimeouts", "APITimeouts", &config::api_timeouts)};
        }
        void normalize(aileron::config::decoder& d);
    };

    timeout() = default;
    explicit timeout(const config& cfg);

    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        const std::chrono::milliseconds limit = timeout_for(req);
        if (limit.count() <= 0) co_return co_await next(req);
        std::optional<response> res = co_await run_with_timeout(next(req), limit);
        if (res) co_return std::move(*res);
        co_return timed_out(req);
    }

    /// The timeout that applies to `req` (0: none).
    std::chrono::milliseconds timeout_for(const request& req) const;

private:
    struct api_timeout {
        string_matcher paths;
        std::vector<http::verb> methods;
        std::chrono::milliseconds limit;
    };
    static response timed_out(const request& req);

    std::chrono::milliseconds default_{0};
    std::vector<api_timeout> apis_;
};

static_assert(middleware<timeout>);

}  // namespace aileron::middlewares
