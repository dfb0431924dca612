#pragma once
/// @file
/// `app/v1 Skipper`: wraps middleware that some requests should bypass.
///
/// A request matches a skip condition when its method is one of the condition's `methods`
/// (none listed: any method) and its URL path matches the condition's `matcher`. A request that
/// matches any condition goes straight to the rest of the chain; every other request runs
/// through the wrapped `middleware` first, outermost first. As a tripperware (in an HTTPClient's
/// or a proxy's `tripperwares`) it does the same for upstream requests with the wrapped
/// `tripperware`.

#include <aileron/chain/client_chain.hpp>
#include <aileron/chain/dynamic_chain.hpp>
#include <aileron/config/decode.hpp>
#include <aileron/config/matcher.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/server/http_method.hpp>

#include <string_view>
#include <vector>

namespace aileron {
class build_context;
}

namespace aileron::middlewares {

class skipper {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "Skipper";

    /// AILERON's `SkipConditionSpec`.
    struct condition_config {
        aileron::config::matcher_spec matcher;   ///< on the URL path; no patterns: never matches
        std::vector<http_method> methods;        ///< empty: every method
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("matcher", "Matcher", &condition_config::matcher),
                              field("methods", "Methods", &condition_config::methods)};
        }
        void normalize(aileron::config::decoder& d);
    };

    struct config {
        std::vector<condition_config> skip_conditions;
        std::vector<aileron::config::reference> middleware;
        std::vector<aileron::config::reference> tripperware;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("skipConditions", "SkipConditions", &config::skip_conditions),
                              field("middleware", "Middleware", &config::middleware),
                              field("tripperware", "Tripperware", &config::tripperware)};
        }
    };

    /// Wraps already built middleware and tripperware (outermost first).
    skipper(const config& cfg, std::vector<any_middleware> wrapped, std::vector<any_tripperware> wrapped_client = {});
    /// Resolves `cfg.middleware` and `cfg.tripperware` through `ctx`.
    skipper(const config& cfg, build_context& ctx);

    /// Server side: the wrapped middleware, unless the request matches a skip condition.
    task<response> operator()(request& req, next_ref next) const {
        if (should_skip(req)) return next(req);
        return wrapped_(req, next);
    }
    /// Client side: the wrapped tripperware, unless the request matches a skip condition.
    task<result<response>> operator()(request& req, tripper_next next) const {
        if (should_skip(req)) return next(req);
        return wrapped_client_(req, next);
    }

    /// Whether `req` bypasses the wrapped middleware.
    bool should_skip(const request& req) const;

private:
    struct condition {
        string_matcher paths;
        std::vector<http::verb> methods;
    };
    std::vector<condition> conditions_;
    dynamic_chain wrapped_;
    dynamic_client_chain wrapped_client_;
};

static_assert(middleware<skipper>);
static_assert(tripperware<skipper, tripper_next>);

}  // namespace aileron::middlewares
