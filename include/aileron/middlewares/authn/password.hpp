#pragma once
/// @file
/// Password hashes as AILERON's `kernel.PasswordCryptSpec` defines them: bcrypt (libxcrypt),
/// scrypt and PBKDF2 (OpenSSL 3), Argon2i and Argon2id (libargon2).
///
/// Stored forms: bcrypt is the usual `$2a$`/`$2b$`/`$2y$` string; the others are
/// `salt || key`, `saltLen` bytes of salt then `keyLen` bytes of derived key (what AILERON's
/// `Sum` produces; files usually hold it hex-encoded with `encoding: Base16`).
///
/// A verification costs tens of milliseconds of CPU by design. `verify_off_loop` runs it on a
/// small process-wide pool of hashing threads, so an event loop keeps serving other
/// connections meanwhile, and refuses to queue more than `max_pending_verifications`.

#include <aileron/config/decode.hpp>
#include <aileron/core/http.hpp>
#include <aileron/middlewares/authn/secrets.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aileron::middlewares::authn {

/// AILERON's `BCryptSpec`. The cost only matters for hashing; verification reads it from the hash.
struct bcrypt_spec {
    std::int32_t cost = 10;
    static constexpr auto fields() {
        return std::tuple{aileron::config::field("cost", "Cost", &bcrypt_spec::cost)};
    }
    void normalize(aileron::config::decoder& d);
};

/// AILERON's `SCryptSpec`.
struct scrypt_spec {
    std::int32_t salt_len = 32;
    std::int32_t n = 32768;
    std::int32_t r = 8;
    std::int32_t p = 1;
    std::int32_t key_len = 32;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("saltLen", "SaltLen", &scrypt_spec::salt_len), field("n", "N", &scrypt_spec::n),
                          field("r", "R", &scrypt_spec::r), field("p", "P", &scrypt_spec::p),
                          field("keyLen", "KeyLen", &scrypt_spec::key_len)};
    }
    void normalize(aileron::config::decoder& d);
};

/// AILERON's `PBKDF2Spec`. `HashAlgUnknown` means SHA256.
struct pbkdf2_spec {
    std::int32_t salt_len = 32;
    std::int32_t iter = 4096;
    std::int32_t key_len = 32;
    hash_alg hash = hash_alg::unknown;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("saltLen", "SaltLen", &pbkdf2_spec::salt_len),
                          field("iter", "Iter", &pbkdf2_spec::iter),
                          field("keyLen", "KeyLen", &pbkdf2_spec::key_len),
                          field("hashAlg", "HashAlg", &pbkdf2_spec::hash)};
    }
    void normalize(aileron::config::decoder& d);
};

/// AILERON's `Argon2Spec`. `time` and `memory` (KiB) of 0 take the variant's default: 3 and
/// 32768 for Argon2i, 1 and 65536 for Argon2id.
struct argon2_spec {
    std::uint32_t salt_len = 32;
    std::uint32_t time = 0;
    std::uint32_t memory = 0;
    std::uint32_t threads = 4;
    std::uint32_t key_len = 32;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("saltLen", "SaltLen", &argon2_spec::salt_len),
                          field("time", "Time", &argon2_spec::time), field("memory", "Memory", &argon2_spec::memory),
                          field("threads", "Threads", &argon2_spec::threads),
                          field("keyLen", "KeyLen", &argon2_spec::key_len)};
    }
    void normalize(aileron::config::decoder& d);
};

/// AILERON's `PasswordCryptSpec`: exactly one of the five.
struct password_crypt_spec {
    std::optional<bcrypt_spec> bcrypt;
    std::optional<scrypt_spec> scrypt;
    std::optional<pbkdf2_spec> pbkdf2;
    std::optional<argon2_spec> argon2i;
    std::optional<argon2_spec> argon2id;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("bcrypt", "BCrypt", &password_crypt_spec::bcrypt),
                          field("scrypt", "SCrypt", &password_crypt_spec::scrypt),
                          field("pbkdf2", "PBKDF2", &password_crypt_spec::pbkdf2),
                          field("argon2i", "Argon2i", &password_crypt_spec::argon2i),
                          field("argon2id", "Argon2id", &password_crypt_spec::argon2id)};
    }
    void normalize(aileron::config::decoder& d);
};

/**
 * Checks passwords against stored hashes of one scheme. Immutable; shared by every thread.
 */
class password_hasher {
public:
    enum class scheme { plain, bcrypt, scrypt, pbkdf2, argon2i, argon2id };

    /// Stored passwords are the passwords themselves (compared in constant time).
    password_hasher() = default;
    /// Throws std::invalid_argument for parameters the scheme cannot use (not exactly one
    /// scheme given, an scrypt N that is not a power of two, an unavailable PBKDF2 hash...).
    explicit password_hasher(const password_crypt_spec& spec);

    scheme kind() const noexcept { return scheme_; }
    /// Whether a verification is CPU heavy (every scheme but plain).
    bool slow() const noexcept { return scheme_ != scheme::plain; }

    /// Why `stored` can never match a password under this scheme (not a bcrypt hash, not
    /// saltLen + keyLen bytes long), or empty when it is well formed.
    std::string check_stored(std::string_view stored) const;

    /// Whether `password` matches `stored`. The final compare is constant-time.
    bool verify(std::string_view stored, std::string_view password) const;

    enum class verification { match, mismatch, busy };
    /// How many verifications the process queues or runs at once; more are refused as `busy`.
    static constexpr std::size_t max_pending_verifications = 128;

    /// `verify` on the hashing threads (at most 4); the awaiting coroutine resumes on its own
    /// executor. `busy`, without hashing, when `max_pending_verifications` are already pending
    /// in the process: a flood of guesses then holds neither unbounded memory nor a shutdown.
    /// `stored` must outlive the call; `password` is copied.
    task<verification> verify_off_loop(std::string_view stored, std::string password) const;

private:
    scheme scheme_ = scheme::plain;
    std::uint32_t salt_len_ = 0, key_len_ = 0;
    std::uint64_t n_ = 0;
    std::uint32_t r_ = 0, p_ = 0;                          // scrypt
    std::uint32_t iter_ = 0;                               // pbkdf2
    hash_alg hash_ = hash_alg::sha256;                     // pbkdf2
    std::uint32_t time_ = 0, memory_ = 0, threads_ = 0;    // argon2
};

}  // namespace aileron::middlewares::authn
