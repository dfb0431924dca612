#pragma once
/// @file
/// `app/v1 CORSMiddleware`: answers CORS preflights and adds the CORS response headers
/// (Fetch standard, "CORS protocol"), plus the Cross-Origin-{Embedder,Opener,Resource}-Policy
/// headers.
///
/// A request without `Origin` is not a CORS request and passes untouched (AILERON rejects it
/// with 403). A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is
/// answered here: 200 with an empty body when the origin is allowed, else 403 with an empty
/// body. An actual request from a disallowed origin, or with a method outside
/// `allowedMethods`, gets 403 (`E3204 AppMiddleCORSForbidden`) through the error handler.

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/server/http_method.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::middlewares {

enum class cors_embedder_policy { unknown = 0, unsafe_none, require_corp, credentialless };
enum class cors_opener_policy { unknown = 0, unsafe_none, same_origin_allow_popups, same_origin };
enum class cors_resource_policy { unknown = 0, same_site, same_origin, cross_origin };

}  // namespace aileron::middlewares

template <>
struct aileron::config::enum_traits<aileron::middlewares::cors_embedder_policy> {
    using e = aileron::middlewares::cors_embedder_policy;
    static constexpr std::array values{
        std::pair{std::string_view{"EmbedderPolicy_Unknown"}, e::unknown},
        std::pair{std::string_view{"EmbedderUnsafeNone"}, e::unsafe_none},
        std::pair{std::string_view{"EmbedderRequireCorp"}, e::require_corp},
        std::pair{std::string_view{"EmbedderCredentialless"}, e::credentialless},
    };
};
template <>
struct aileron::config::enum_traits<aileron::middlewares::cors_opener_policy> {
    using e = aileron::middlewares::cors_opener_policy;
    static constexpr std::array values{
        std::pair{std::string_view{"OpenerPolicy_Unknown"}, e::unknown},
        std::pair{std::string_view{"OpenerUnsafeNone"}, e::unsafe_none},
        std::pair{std::string_view{"OpenerSameOriginAllowPopups"}, e::same_origin_allow_popups},
        std::pair{std::string_view{"OpenerSameOrigin"}, e::same_origin},
    };
};
template <>
struct aileron::config::enum_traits<aileron::middlewares::cors_resource_policy> {
    using e = aileron::middlewares::cors_resource_policy;
    static constexpr std::array values{
        std::pair{std::string_view{"ResourcePolicy_Unknown"}, e::unknown},
        std::pair{std::string_view{"ResourceSameSite"}, e::same_site},
        std::pair{std::string_view{"ResourceSameOrigin"}, e::same_origin},
        std::pair{std::string_view{"ResourceCrossOrigin"}, e::cross_origin},
    };
};

namespace aileron::middlewares {

class cors {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "CORSMiddleware";

    /// AILERON's `CORSPolicySpec`. Empty lists get AILERON's defaults at construction.
    struct policy_config {
        std::vector<std::string> allowed_origins;    ///< default ["*"]
        std::vector<http_method> allowed_methods;    ///< default POST, GET, OPTIONS
        std::vector<std::string> allowed_headers;    ///< default Content-Type, X-Requested-With
        std::vector<std::string> exposed_headers;
        bool allow_credentials = false;
        std::int32_t max_age = 0;                    ///< seconds; 0: no Access-Control-Max-Age
        cors_embedder_policy embedder_policy = cors_embedder_policy::unknown;
        cors_opener_policy opener_policy = cors_opener_policy::unknown;
        cors_resource_policy resource_policy = cors_resource_policy::unknown;
        bool allow_private_network = false;
        bool disable_wildcard_origin = false;

        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{
                field("allowedOrigins", "AllowedOrigins", &policy_config::allowed_origins),
                field("allowedMethods", "AllowedMethods", &policy_config::allowed_methods),
                field("allowedHeaders", "AllowedHeaders", &policy_config::allowed_headers),
                field("exposedHeaders", "ExposedHeaders", &policy_config::exposed_headers),
                field("allowCredentials", "AllowCredentials", &policy_config::allow_credentials),
                field("maxAge", "MaxAge", &policy_config::max_age),
                field("corsEmbedderPolicy", "CORSEmbedderPolicy", &policy_config::embedder_policy),
                field("corsOpenerPolicy", "CORSOpenerPolicy", &policy_config::opener_policy),
                field("corsResourcePolicy", "CORSResourcePolicy", &policy_config::resource_policy),
                field("allowPrivateNetwork", "AllowPrivateNetwork", &policy_config::allow_private_network),
                field("disableWildCardOrigin", "DisableWildCardOrigin", &policy_config::disable_wildcard_origin),
            };
        }
        void normalize(aileron::config::decoder& d);
    };

    struct config {
        policy_config cors_policy;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("corsPolicy", "CORSPolicy", &config::cors_policy)};
        }
    };

    cors() : cors(config{}) {}
    explicit cors(const config& cfg);

    std::optional<response> on_request(request& req) const;
    void on_response(request& req, response& res) const;

private:
    /// The Access-Control-Allow-Origin value for `origin` (a view of `origin` or of "*", so no
    /// allocation per request), or empty when it is not allowed.
    std::string_view allow_origin(std::string_view origin) const;
    response preflight(const request& req, std::string_view origin) const;
    void add_actual_headers(response& res, std::string_view allowed_origin) const;

    std::vector<std::string> origins_;
    bool any_origin_ = false;
    std::vector<http::verb> methods_;
    std::string joined_methods_, joined_headers_, joined_exposed_;
    bool credentials_ = false;
    std::int32_t max_age_ = 0;
    std::string_view embedder_, opener_, resource_;
    bool private_network_ = false;
    bool echo_origin_ = false;
};

static_assert(middleware<cors>);

}  // namespace aileron::middlewares
