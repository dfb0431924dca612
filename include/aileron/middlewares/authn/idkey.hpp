#pragma once
/// @file
/// `app/v1 IDKeyAuthnMiddleware`: an ID and an API key in two request headers (`X-Api-Id`,
/// `X-Api-Key` by default). The ID finds the stored key, stored plain, hashed (`hashAlg`), as an
/// HMAC (`hashAlg` + `hmacSecret`) and/or encrypted with a common key (`cryptSecret`).
///
/// A request without either header, with an unknown ID or with the wrong key gets 403 from the
/// error handler. A pair that passes goes on with claims `{APIKey, id, attrs}` and, unless
/// `keepCredentials`, without both headers.

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

class idkey_authn {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "IDKeyAuthnMiddleware";

    struct state;

    /// AILERON's `IDKeyAuthnMiddlewareSpec`.
    struct config {
        aileron::config::reference logger;
        aileron::config::reference error_handler;
        std::string claims_key = "AuthnClaims";
        bool keep_credentials = false;
        std::string key_header_name = "X-Api-Key";
        std::string id_header_name = "X-Api-Id";
        authn::hash_alg hash_alg = authn::hash_alg::unknown;
        std::string hmac_secret;
        aileron::common_key_crypt common_key_crypt_type = aileron::common_key_crypt::unknown;
        std::string crypt_secret;
        std::optional<authn::idkey_env_provider> env_provider;
        std::optional<authn::file_provider> file_provider;

        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("logger", "Logger", &config::logger),
                              field("errorHandler", "ErrorHandler", &config::error_handler),
                              field("claimsKey", "ClaimsKey", &config::claims_key),
                              field("keepCredentials", "KeepCredentials", &config::keep_credentials),
                              field("keyHeaderName", "KeyHeaderName", &config::key_header_name),
                              field("idHeaderName", "IDHeaderName", &config::id_header_name),
                              field("hashAlg", "HashAlg", &config::hash_alg),
                              field("hmacSecret", "HMACSecret", &config::hmac_secret),
                              field("commonKeyCryptType", "CommonKeyCryptType", &config::common_key_crypt_type),
                              field("cryptSecret", "CryptSecret", &config::crypt_secret),
                              field("envProvider", "EnvProvider", &config::env_provider),
                              field("fileProvider", "FileProvider", &config::file_provider)};
        }
        void normalize(aileron::config::decoder& d);

        /// What normalize() loaded (not a config field); the constructor loads it when empty.
        std::shared_ptr<const state> loaded;
    };

    /// Throws std::invalid_argument on a bad config ("field: problem").
    explicit idkey_authn(const config& cfg);
    idkey_authn(const config& cfg, build_context& ctx);

    std::optional<response> on_request(request& req) const;

private:
    static std::shared_ptr<const state> load(const config& cfg);

    std::shared_ptr<const state> s_;
    authn::services services_;
};

static_assert(middleware<idkey_authn>);

}  // namespace aileron::middlewares
