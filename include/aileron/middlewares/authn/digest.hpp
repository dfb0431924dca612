#pragma once
/// @file
/// `app/v1 DigestAuthnMiddleware`: HTTP Digest authentication (RFC 7616) with `qop=auth` and
/// the MD5, SHA-256 or SHA-512-256 algorithm, against users from environment variables or
/// files (passwords plain, or encrypted with a common key).
///
/// Without valid credentials: 401, an empty body and
/// `WWW-Authenticate: Digest realm="<realm>", qop="auth", algorithm=<alg>, nonce="<nonce>", charset=UTF-8`
/// (with `stale=true` when only the nonce had expired). A request whose digest `uri` is not its
/// request target: 400. A user who passes goes on with claims `{Digest, name, attrs}` and,
/// unless `keepCredentials`, without the Authorization header.
///
/// Nonces are stateless: the issue time and random bytes, authenticated with an HMAC under a key
/// of the middleware's own. They are accepted for 5 minutes from any worker; nonce counts are
/// not tracked, so a captured request can be replayed within those minutes (as with AILERON,
/// whose nonces are never checked at all). Each user's HA1 is computed at load; the password
/// itself is not kept.

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/middlewares/authn/common.hpp>
#include <aileron/middlewares/authn/password.hpp>
#include <aileron/middlewares/authn/providers.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aileron {
class build_context;
}

namespace aileron::middlewares {

class digest_authn {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "DigestAuthnMiddleware";

    struct state;

    /// AILERON's `DigestAuthnMiddlewareSpec`.
    struct config {
        aileron::config::reference logger;
        aileron::config::reference error_handler;
        std::string claims_key = "AuthnClaims";
        bool keep_credentials = false;
        /// Rejected when given: a digest can only be checked against the password itself.
        std::optional<authn::password_crypt_spec> password_crypt;
        aileron::common_key_crypt common_key_crypt_type = aileron::common_key_crypt::unknown;
        std::string crypt_secret;
        std::string realm;
        std::string algorithm = "MD5";   ///< "MD5", "SHA-256" or "SHA-512-256"
        std::optional<authn::user_env_provider<authn::digest_env_defaults>> env_provider;
        std::optional<authn::file_provider> file_provider;

        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("logger", "Logger", &config::logger),
                              field("errorHandler", "ErrorHandler", &config::error_handler),
                              field("claimsKey", "ClaimsKey", &config::claims_key),
                              field("keepCredentials", "KeepCredentials", &config::keep_credentials),
                              field("passwordCrypt", "PasswordCrypt", &config::password_crypt),
                              field("commonKeyCryptType", "CommonKeyCryptType", &config::common_key_crypt_type),
                              field("cryptSecret", "CryptSecret", &config::crypt_secret),
                              field("realm", "Realm", &config::realm),
                              field("algorithm", "Algorithm", &config::algorithm),
                              field("envProvider", "EnvProvider", &config::env_provider),
                              field("fileProvider", "FileProvider", &config::file_provider)};
        }
        void normalize(aileron::config::decoder& d);

        /// What normalize() loaded (not a config field); the constructor loads it when empty.
        std::shared_ptr<const state> loaded;
    };

    /// Throws std::invalid_argument on a bad config ("field: problem").
    explicit digest_authn(const config& cfg);
    digest_authn(const config& cfg, build_context& ctx);

    std::optional<response> on_request(request& req) const;

    /// A fresh nonce of this middleware, as its challenges carry: accepted for 5 minutes.
    std::string make_nonce() const;
    /// A nonce as if issued at `issued` (Unix seconds): for tests of expiry.
    std::string make_nonce(std::int64_t issued) const;

private:
    static std::shared_ptr<const state> load(const config& cfg);
    response challenge(const request& req, bool stale) const;

    std::shared_ptr<const state> s_;
    authn::services services_;
};

static_assert(middleware<digest_authn>);

}  // namespace aileron::middlewares
