#pragma once
/// @file
/// `app/v1 KeyAuthnMiddleware`: API keys in a request header (`X-Api-Key` by default),
/// checked against keys from environment variables or files, stored plain, as a hash of the key
/// (`hashAlg`) or as an HMAC of it (`hashAlg` + `hmacSecret`).
///
/// A request without the header, or with a key that is not registered, gets 403 from the error
/// handler. A key that passes goes on with claims `{APIKey, attrs}` and, unless
/// `keepCredentials`, without the key header.
///
/// The hash or HMAC of the presented key is computed per request (a few microseconds, on the
/// worker thread, with the thread's own OpenSSL context) and looked up by its SHA-256, then
/// compared in constant time, so the lookup reveals nothing about stored keys.

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/middlewares/authn/common.hpp>
#include <aileron/middlewares/authn/providers.hpp>
#include <aileron/middlewares/authn/secrets.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aileron {
class build_context;
}

namespace aileron::middlewares {

class key_authn {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "KeyAuthnMiddleware";

    struct state;

    /// AILERON's `KeyAuthnMiddlewareSpec`.
    struct config {
        aileron::config::reference logger;
        aileron::config::reference error_handler;
        std::string claims_key = "AuthnClaims";
        bool keep_credentials = false;
        std::string key_header_name = "X-Api-Key";
        authn::hash_alg hash_alg = authn::hash_alg::unknown;   ///< unknown: keys are stored as is
        std::string hmac_secret;                               ///< base64; set: HMAC instead of a hash
        std::optional<authn::key_env_provider> env_provider;
        std::optional<authn::file_provider> file_provider;

        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("logger", "Logger", &config::logger),
                              field("errorHandler", "ErrorHandler", &config::error_handler),
                              field("claimsKey", "ClaimsKey", &config::claims_key),
                              field("keepCredentials", "KeepCredentials", &config::keep_credentials),
                              field("keyHeaderName", "KeyHeaderName", &config::key_header_name),
                              field("hashAlg", "HashAlg", &config::hash_alg),
                              field("hmacSecret", "HMACSecret", &config::hmac_secret),
                              field("envProvider", "EnvProvider", &config::env_provider),
                              field("fileProvider", "FileProvider", &config::file_provider)};
        }
        void normalize(aileron::config::decoder& d);

        /// What normalize() loaded (not a config field); the constructor loads it when empty.
        std::shared_ptr<const state> loaded;
    };

    /// Throws std::invalid_argument on a bad config ("field: problem").
    explicit key_authn(const config& cfg);
    key_authn(const config& cfg, build_context& ctx);

    std::optional<response> on_request(request& req) const;

private:
    static std::shared_ptr<const state> load(const config& cfg);

    std::shared_ptr<const state> s_;
    authn::services services_;
};

static_assert(middleware<key_authn>);

}  // namespace aileron::middlewares
