#pragma once
/// @file
/// `app/v1 SessionMiddleware`: a session per client, kept in encrypted and signed cookies.
///
/// Before the rest of the chain runs, the session is read from the cookies `<cookieName>0`,
/// `<cookieName>1`, ... (joined in order), base64-decoded, its HMAC checked, decrypted and
/// (with `enableCompression`) gunzipped. A session that is missing, broken or forged becomes
/// a new, empty one. It is made available as `req.context().session` (`core/session.hpp`).
///
/// With the response, the session is saved when it changed: encoded the other way round and
/// split into cookies of at most 3968 bytes each; cookies of an earlier, longer session are
/// deleted. A destroyed session deletes its cookies. An unchanged session is written again only
/// when the cookie has an expiry (`maxAge` or `expiresIn`), which slides it. A failure to
/// encode answers 500 (`E3212 AppMiddleSession`).
///
/// Only the cookie store exists: `storage` (a key-value store such as AILERON's RedisClient)
/// and `tracer` are rejected at load.

#include <aileron/config/decode.hpp>
#include <aileron/core/cookie.hpp>
#include <aileron/core/crypto.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/core/session.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aileron::middlewares {

class session {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "SessionMiddleware";

    /// AILERON's `SecureEncoderSpec`: how session data is protected in the cookie.
    struct secure_encoder_config {
        aileron::hash_alg hash_alg = aileron::hash_alg::sha256;   ///< for the HMAC
        std::string hmac_secret;    ///< base64; empty: SHA-512 of the host name (do not use in production)
        common_key_crypt common_key_crypt_type = common_key_crypt::aes_gcm;
        std::string crypt_secret;   ///< base64; empty: SHA-256 of the host name (do not use in production)
        bool enable_compression = false;
        bool disable_hmac = false;
        bool disable_encryption = false;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("hashAlg", "HashAlg", &secure_encoder_config::hash_alg),
                              field("hmacSecret", "HMACSecret", &secure_encoder_config::hmac_secret),
                              field("commonKeyCryptType", "CommonKeyCryptType",
                                    &secure_encoder_config::common_key_crypt_type),
                              field("cryptSecret", "CryptSecret", &secure_encoder_config::crypt_secret),
                              field("enableCompression", "EnableCompression", &secure_encoder_config::enable_compression),
                              field("disableHMAC", "DisableHMAC", &secure_encoder_config::disable_hmac),
                              field("disableEncryption", "DisableEncryption", &secure_encoder_config::disable_encryption)};
        }
        void normalize(aileron::config::decoder& d);
    };

    /// AILERON's `SessionMiddlewareSpec`.
    struct config {
        aileron::config::reference storage;   ///< rejected: only the cookie store exists
        std::string prefix;                   ///< key prefix of a key-value store; no effect on cookies
        std::string cookie_name = "_SESSION";
        std::optional<cookie_spec> cookie;    ///< absent: `Path=/; HttpOnly; Secure`
        secure_encoder_config secure_encoder;
        aileron::config::reference tracer;    ///< rejected: traces key-value store calls
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("storage", "Storage", &config::storage),
                              field("prefix", "Prefix", &config::prefix),
                              field("cookieName", "CookieName", &config::cookie_name),
                              field("cookie", "Cookie", &config::cookie),
                              field("secureEncoder", "SecureEncoder", &config::secure_encoder),
                              field("tracer", "Tracer", &config::tracer)};
        }
        void normalize(aileron::config::decoder& d);
    };

    /// The most bytes of encoded session in one cookie (AILERON's 4096 − 128).
    static constexpr std::size_t max_cookie_value = 3968;

    session() : session(config{}) {}
    /// Throws std::invalid_argument for a config `normalize` would reject.
    explicit session(const config& cfg);

    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        session_data data;
        loaded state = load(req, data);
        request_context& ctx = req.context();
        session_data* outer = ctx.session;
        ctx.session = &data;
        response res;
        {
            context_restorer restore{ctx, outer};   // also when next() throws
            res = co_await next(req);
        }
        save(req, data, state, res);
        co_return res;
    }

    /// The cookie value (before splitting) for `data`: serialized, compressed, encrypted,
    /// signed and base64-encoded as configured; nothing if encryption failed.
    std::optional<std::string> encode(const session_data& data) const;
    /// The session in a cookie value `encode` made; false when it is not one.
    bool decode(std::string_view value, session_data& out) const;

private:
    /// What the request brought: the session cookies present (their indices) and whether
    /// they held a valid session.
    struct loaded {
        std::uint64_t present = 0;   ///< bit i: cookie `<name>i` was sent (i < 64)
        bool broken = false;         ///< cookies were sent but held no valid session
    };
    struct context_restorer {
        request_context& ctx;
        session_data* outer;
        ~context_restorer() { ctx.session = outer; }
    };

    loaded load(const request& req, session_data& data) const;
    void save(const request& req, const session_data& data, const loaded& state, response& res) const;
    void delete_cookies(std::uint64_t present, std::size_t from, response& res) const;

    std::string name_;
    cookie_attributes cookie_;
    std::optional<crypto::hmac> hmac_;
    std::optional<crypto::cipher> cipher_;
    bool compress_ = false;
};

static_assert(middleware<session>);

}  // namespace aileron::middlewares
