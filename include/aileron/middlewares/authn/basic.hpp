#pragma once
/// @file
/// `app/v1 BasicAuthnMiddleware`: HTTP Basic authentication (RFC 7617) against users from
/// environment variables or files, with passwords stored plain, hashed (bcrypt, scrypt, PBKDF2,
/// Argon2i, Argon2id) and/or encrypted with a common key (AES).
///
/// A request without Basic credentials gets 401 with an empty body and
/// `WWW-Authenticate: Basic realm="<realm>", charset="UTF-8"`. Wrong credentials get the same,
/// or, with `preferError`, a 401 from the error handler (E3050 AppAuthnAuthentication) that
/// still carries the challenge. A user who passes goes on with claims `{Basic, name, attrs}`
/// in the request and, unless `keepCredentials`, without the Authorization header.
///
/// Hashed passwords are verified on a small pool of hashing threads, never on the event loop;
/// with too many verifications pending in the process, a request gets 503 with `Retry-After`.
/// A successful verification is remembered by the worker thread for 5 minutes as an HMAC of the
/// password under a random per-middleware key, so a client that sends the same credentials on
/// every request costs one hash, not one per request. Failures are never remembered.

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/middlewares/authn/common.hpp>
#include <aileron/middlewares/authn/password.hpp>
#include <aileron/middlewares/authn/providers.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aileron {
class build_context;
}

namespace aileron::middlewares {

class basic_authn {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "BasicAuthnMiddleware";

    /// Users, hashes and keys, loaded and checked; immutable and shared by every copy.
    struct state;

    /// AILERON's `BasicAuthnMiddlewareSpec`.
    struct config {
        aileron::config::reference logger;
        aileron::config::reference error_handler;
        std::string claims_key = "AuthnClaims";
        bool keep_credentials = false;
        std::optional<authn::password_crypt_spec> password_crypt;   ///< none: passwords stored as is
        aileron::common_key_crypt common_key_crypt_type = aileron::common_key_crypt::unknown;
        std::string crypt_secret;   ///< base64 AES key; set: stored passwords are encrypted
        std::string realm;
        bool prefer_error = false;
        /// At most one provider; none given means the env provider with its default prefixes.
        std::optional<authn::user_env_provider<authn::basic_env_defaults>> env_provider;
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
                              field("preferError", "PreferError", &config::prefer_error),
                              field("envProvider", "EnvProvider", &config::env_provider),
                              field("fileProvider", "FileProvider", &config::file_provider)};
        }
        /// Checks the fields and loads the users (reporting problems at their fields).
        void normalize(aileron::config::decoder& d);

        /// What normalize() loaded (not a config field); the constructor loads it when empty.
        std::shared_ptr<const state> loaded;
    };

    /// Loads the users of `cfg` unless normalize() did. Throws std::invalid_argument on a bad
    /// config ("field: problem").
    explicit basic_authn(const config& cfg);
    /// The same, with the spec's `logger` and `errorHandler` resolved through `ctx`.
    basic_authn(const config& cfg, build_context& ctx);

    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        attempt a;
        verdict v = check(req, a);
        if (v == verdict::verify) v = co_await verify(a);
        if (v != verdict::pass) co_return reject(req, a, v);
        admit(req, a);
        co_return co_await next(req);
    }

private:
    enum class verdict { pass, verify, fail, busy };
    struct user;
    /// One request's credentials, decoded into the request's own coroutine frame.
    struct attempt {
        const user* who = nullptr;
        bool had_credentials = false;
        std::string_view name, password;
        std::array<char, 256> buffer;
        std::string large;   // credentials longer than the buffer
    };

    /// Loads and checks everything `cfg` names; throws authn::load_error.
    static std::shared_ptr<const state> load(const config& cfg);

    verdict check(request& req, attempt& a) const;
    task<verdict> verify(const attempt& a) const;
    response reject(request& req, const attempt& a, verdict v) const;
    void admit(request& req, const attempt& a) const;

    std::shared_ptr<const state> s_;
    authn::services services_;
};

static_assert(middleware<basic_authn>);

}  // namespace aileron::middlewares
