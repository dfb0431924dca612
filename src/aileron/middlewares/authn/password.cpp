#include <aileron/middlewares/authn/password.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <thread>

namespace aileron::middlewares::authn {

namespace {

/// One parameter problem: the field (relative to the scheme's spec) and what is wrong.
struct problem {
    std::string_view field;
    std::string message;
};

std::optional<problem> check(const bcrypt_spec& s) {
    // Go's bcrypt: a cost below 4 means the default, above 31 is an error.
    if (s.cost > 31) return problem{"cost", "must be at most 31"};
    return std::nullopt;
}

constexpr std::uint64_t scrypt_max_int = (std::uint64_t{1} << 63) - 1;

std::optional<problem> check(const scrypt_spec& s) {
    if (s.salt_len < 1) return problem{"saltLen", "must be > 0"};
    if (s.key_len < 1) return problem{"keyLen", "must be > 0"};
    if (s.n <= 1 || (s.n & (s.n - 1)) != 0) return problem{"n", "must be a power of 2 greater than 1"};
    if (s.r < 1) return problem{"r", "must be > 0"};
    if (s.p < 1) return problem{"p", "must be > 0"};
    const auto r = static_cast<std::uint64_t>(s.r), p = static_cast<std::uint64_t>(s.p),
               n = static_cast<std::uint64_t>(s.n);
    // Go's golang.org/x/crypto/scrypt limits, which OpenSSL's are no tighter than.
    if (r * p >= (std::uint64_t{1} << 30) || r > scrypt_max_int / 128 / p || r > scrypt_max_int / 256 ||
        n > scrypt_max_int / 128 / r)
        return problem{"r", "r, p and n are too large together"};
    return std::nullopt;
}

/// The PBKDF2 hashes AILERON accepts (SHA512 too, which AILERON's table forgets).
bool pbkdf2_hash_ok(hash_alg h) {
    switch (h) {
    case hash_alg::unknown: case hash_alg::sha1: case hash_alg::sha224: case hash_alg::sha256:
    case hash_alg::sha384: case hash_alg::sha512: case hash_alg::sha512_224: case hash_alg::sha512_256:
    case hash_alg::sha3_224: case hash_alg::sha3_256: case hash_alg::sha3_384: case hash_alg::sha3_512: return true;
    default: return false;
    }
}

std::optional<problem> check(const pbkdf2_spec& s) {
    if (s.salt_len < 1) return problem{"saltLen", "must be > 0"};
    if (s.iter < 1) return problem{"iter", "must be > 0"};
    if (s.key_len < 1) return problem{"keyLen", "must be > 0"};
    if (!pbkdf2_hash_ok(s.hash))
        return problem{"hashAlg", std::string{hash_alg_name(s.hash)} +
                                      " is not available for PBKDF2 (use SHA1, SHA224, SHA256, SHA384, SHA512, "
                                      "SHA512_224, SHA512_256 or SHA3_*)"};
    return std::nullopt;
}

std::uint32_t argon2_time(const argon2_spec& s, bool id) { return s.time ? s.time : (id ? 1 : 3); }
std::uint32_t argon2_memory(const argon2_spec& s, bool id) { return s.memory ? s.memory : (id ? 64 * 1024 : 32 * 1024); }

std::optional<problem> check(const argon2_spec& s, bool id) {
    if (s.threads < 1 || s.threads > 255) return problem{"threads", "must be in 1..255"};
    if (s.salt_len < ARGON2_MIN_SALT_LENGTH) return problem{"saltLen", "must be at least 8 bytes (libargon2's minimum)"};
    if (s.key_len < ARGON2_MIN_OUTLEN) return problem{"keyLen", "must be at least 4 bytes (libargon2's minimum)"};
    if (argon2_memory(s, id) < 8 * s.threads)
        return problem{"memory", "must be at least 8 KiB per thread (libargon2's minimum)"};
    return std::nullopt;
}

void report(aileron::config::decoder& d, const std::optional<problem>& p) {
    if (p) d.error(p->field, p->message);
}

[[noreturn]] void fail(std::string_view scheme, const problem& p) {
    throw std::invalid_argument(std::string{scheme} + "." + std::string{p.field} + ": " + p.message);
}

int count(const password_crypt_spec& s) {
    return int{s.bcrypt.has_value()} + int{s.scrypt.has_value()} + int{s.pbkdf2.has_value()} +
           int{s.argon2i.has_value()} + int{s.argon2id.has_value()};
}

const char* pbkdf2_digest_name(hash_alg h) {
    switch (h) {
    case hash_alg::sha1: return "SHA1";
    case hash_alg::sha224: return "SHA224";
    case hash_alg::sha384: return "SHA384";
    case hash_alg::sha512: return "SHA512";
    case hash_alg::sha512_224: return "SHA512-224";
    case hash_alg::sha512_256: return "SHA512-256";
    case hash_alg::sha3_224: return "SHA3-224";
    case hash_alg::sha3_256: return "SHA3-256";
    case hash_alg::sha3_384: return "SHA3-384";
    case hash_alg::sha3_512: return "SHA3-512";
    default: return "SHA256";
    }
}

/// OpenSSL's scrypt refuses to use more than `maxmem` bytes: allow exactly what N, r and p need.
std::uint64_t scrypt_maxmem(std::uint64_t n, std::uint64_t r, std::uint64_t p) {
    return 128 * r * (n + 2) + 128 * r * p + (1u << 20);
}

bool is_bcrypt_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

void bcrypt_spec::normalize(aileron::config::decoder& d) { report(d, check(*this)); }
void scrypt_spec::normalize(aileron::config::decoder& d) { report(d, check(*this)); }
void pbkdf2_spec::normalize(aileron::config::decoder& d) { report(d, check(*this)); }
void argon2_spec::normalize(aileron::config::decoder& d) {
    // Which variant is not known here; check the one with the smaller default memory.
    report(d, check(*this, false));
}

void password_crypt_spec::normalize(aileron::config::decoder& d) {
    int n = count(*this);
    if (n == 0) d.error("one of bcrypt, scrypt, pbkdf2, argon2i or argon2id is required");
    if (n > 1) d.error("only one of bcrypt, scrypt, pbkdf2, argon2i or argon2id may be given");
}

password_hasher::password_hasher(const password_crypt_spec& spec) {
    if (count(spec) != 1)
        throw std::invalid_argument("exactly one of bcrypt, scrypt, pbkdf2, argon2i or argon2id is required");
    if (spec.bcrypt) {
        if (auto p = check(*spec.bcrypt)) fail("bcrypt", *p);
        scheme_ = scheme::bcrypt;
    } else if (spec.scrypt) {
        const scrypt_spec& s = *spec.scrypt;
        if (auto p = check(s)) fail("scrypt", *p);
        scheme_ = scheme::scrypt;
        salt_len_ = static_cast<std::uint32_t>(s.salt_len);
        key_len_ = static_cast<std::uint32_t>(s.key_len);
        n_ = static_cast<std::uint64_t>(s.n);
        r_ = static_cast<std::uint32_t>(s.r);
        p_ = static_cast<std::uint32_t>(s.p);
        // A null key only checks the parameters (and the memory they need) against OpenSSL's limits.
        if (EVP_PBE_scrypt(nullptr, 0, nullptr, 0, n_, r_, p_, scrypt_maxmem(n_, r_, p_), nullptr, 0) != 1)
            fail("scrypt", problem{"n", "OpenSSL rejects n, r and p together"});
    } else if (spec.pbkdf2) {
        const pbkdf2_spec& s = *spec.pbkdf2;
        if (auto p = check(s)) fail("pbkdf2", *p);
        scheme_ = scheme::pbkdf2;
        salt_len_ = static_cast<std::uint32_t>(s.salt_len);
        key_len_ = static_cast<std::uint32_t>(s.key_len);
        iter_ = static_cast<std::uint32_t>(s.iter);
        hash_ = s.hash == hash_alg::unknown ? hash_alg::sha256 : s.hash;
    } else {
        const bool id = spec.argon2id.has_value();
        const argon2_spec& s = id ? *spec.argon2id : *spec.argon2i;
        if (auto p = check(s, id)) fail(id ? "argon2id" : "argon2i", *p);
        scheme_ = id ? scheme::argon2id : scheme::argon2i;
        salt_len_ = s.salt_len;
        key_len_ = s.key_len;
        time_ = argon2_time(s, id);
        memory_ = argon2_memory(s, id);
        threads_ = s.threads;
    }
}

std::string password_hasher::check_stored(std::string_view stored) const {
    switch (scheme_) {
    case scheme::plain: return {};
    case scheme::bcrypt: {
        // $2a$10$ + 22 characters of salt + 31 of hash
        bool ok = stored.size() == 60 && stored.substr(0, 2) == "$2" &&
                  (stored[2] == 'a' || stored[2] == 'b' || stored[2] == 'y') && stored[3] == '$' &&
                  stored[6] == '$' && std::isdigit(static_cast<unsigned char>(stored[4])) &&
                  std::isdigit(static_cast<unsigned char>(stored[5])) &&
                  std::all_of(stored.begin() + 7, stored.end(), is_bcrypt_char);
        if (!ok) return "is not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters)";
        int cost = (stored[4] - '0') * 10 + (stored[5] - '0');
        if (cost < 4 || cost > 31) return "has a bcrypt cost outside 4..31";
        return {};
    }
    default:
        if (stored.size() != std::size_t{salt_len_} + key_len_)
            return "is " + std::to_string(stored.size()) + " bytes, but a salted hash is saltLen + keyLen = " +
                   std::to_string(std::size_t{salt_len_} + key_len_) + " bytes";
        return {};
    }
}

bool password_hasher::verify(std::string_view stored, std::string_view password) const {
    if (scheme_ == scheme::plain) return crypto::equal(stored, password);
    if (scheme_ == scheme::bcrypt) {
        // crypt(3) reads a C string: a password with a NUL byte cannot be what was hashed.
        if (password.find('\0') != std::string_view::npos || !check_stored(stored).empty()) return false;
        auto data = std::make_unique<crypt_data>();   // zeroed, as crypt_rn wants; ~32 KiB, not on the stack
        std::string pw{password}, setting{stored};
        const char* out = crypt_rn(pw.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
        bool ok = out && out[0] != '*' && crypto::equal(out, stored);
        OPENSSL_cleanse(pw.data(), pw.size());
        OPENSSL_cleanse(data.get(), sizeof(crypt_data));
        return ok;
    }
    if (stored.size() != std::size_t{salt_len_} + key_len_) return false;
    std::string_view salt = stored.substr(0, salt_len_), expected = stored.substr(salt_len_);
    std::string key(key_len_, '\0');
    auto* out = reinterpret_cast<unsigned char*>(key.data());
    bool ok = false;
    switch (scheme_) {
    case scheme::scrypt:
        ok = EVP_PBE_scrypt(password.data(), password.size(), bytes(salt), salt.size(), n_, r_, p_,
                            scrypt_maxmem(n_, r_, p_), out, key.size()) == 1;
        break;
    case scheme::pbkdf2: {
        EVP_MD* md = EVP_MD_fetch(nullptr, pbkdf2_digest_name(hash_), nullptr);
        ok = md && PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                                     static_cast<int>(salt.size()), static_cast<int>(iter_), md,
                                     static_cast<int>(key.size()), out) == 1;
        EVP_MD_free(md);
        break;
    }
    case scheme::argon2i:
    case scheme::argon2id: {
        argon2_context ctx{};
        ctx.out = out;
        ctx.outlen = key_len_;
        ctx.pwd = const_cast<std::uint8_t*>(bytes(password));   // read only: no ARGON2_FLAG_CLEAR_PASSWORD
        ctx.pwdlen = static_cast<std::uint32_t>(password.size());
        ctx.salt = const_cast<std::uint8_t*>(bytes(salt));
        ctx.saltlen = salt_len_;
        ctx.t_cost = time_;
        ctx.m_cost = memory_;
        ctx.lanes = threads_;   // the parameter that shapes the hash
        ctx.threads = 1;        // computed on the calling thread: same result, no threads spawned
        ctx.version = ARGON2_VERSION_13;
        ctx.flags = ARGON2_DEFAULT_FLAGS;
        ok = argon2_ctx(&ctx, scheme_ == scheme::argon2id ? Argon2_id : Argon2_i) == ARGON2_OK;
        break;
    }
    default: break;
    }
    ok = ok && crypto::equal(key, expected);
    OPENSSL_cleanse(key.data(), key.size());
    return ok;
}

namespace {

/// Verifications queued or running, in the whole process (only the slow path touches it).
std::atomic<std::size_t> pending_verifications{0};

/// The hashing threads: at most 4 (so at most 4 hashes' memory at once), fewer on smaller machines.
asio::thread_pool& hashing_pool() {
    static asio::thread_pool pool{std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4)};
    return pool;
}

}  // namespace

task<password_hasher::verification> password_hasher::verify_off_loop(std::string_view stored,
                                                                     std::string password) const {
    struct pending {   // counted from here until the frame ends, however it ends
        ~pending() { pending_verifications.fetch_sub(1, std::memory_order_relaxed); }
    } counted;
    if (pending_verifications.fetch_add(1, std::memory_order_relaxed) >= max_pending_verifications)
        co_return verification::busy;
    // The lambda captures views only: `password` lives in this frame until the co_await ends.
    // (GCC 12 relocates a coroutine lambda's closure without its move constructor, so a captured
    // std::string would keep pointing at its old short-string buffer.)
    bool ok = co_await asio::co_spawn(
        hashing_pool(),
        [this, stored, pw = std::string_view{password}]() -> task<bool> {
            const bool match = verify(stored, pw);
            // The thread lets go of its OpenSSL state (error queue, random generator) after each
            // hash, a few allocations against tens of milliseconds of hashing: at exit OpenSSL
            // cleans up before these threads end, and what they still held leaked.
            OPENSSL_thread_stop();
            co_return match;
        },
        asio::use_awaitable);
    OPENSSL_cleanse(password.data(), password.size());
    co_return ok ? verification::match : verification::mismatch;
}

}  // namespace aileron::middlewares::authn
