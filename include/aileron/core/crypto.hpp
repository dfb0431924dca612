#pragma once
/// @file
/// AILERON's `kernel.HashAlg` and `kernel.CommonKeyCryptType`, and the primitives built on them
/// through OpenSSL 3: keyed HMACs, AES ciphers in AILERON's wire layout, digests, random bytes
/// and constant-time comparison. Nothing here is hand-rolled.
///
/// `hmac` and `cipher` fetch their OpenSSL algorithms once, at construction; using them on a
/// request fetches nothing, so no provider-store lock is taken on the hot path. Both are
/// immutable and shared by every worker thread.

#include <aileron/config/decode.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace aileron {

/// AILERON's `kernel.HashAlg` (numbers as in its proto).
enum class hash_alg {
    unknown = 0, sha1, sha224, sha256, sha384, sha512, sha512_224, sha512_256,
    sha3_224, sha3_256, sha3_384, sha3_512, shake128, shake256,
    blake2s_256, blake2b_256, blake2b_384, blake2b_512,
};

/// AILERON's `kernel.CommonKeyCryptType`.
enum class common_key_crypt { unknown = 0, aes_gcm, aes_cbc, aes_cfb, aes_ctr, aes_ofb };

}  // namespace aileron

template <>
struct aileron::config::enum_traits<aileron::hash_alg> {
    using e = aileron::hash_alg;
    static constexpr std::array values{
        std::pair{std::string_view{"HashAlgUnknown"}, e::unknown},
        std::pair{std::string_view{"SHA1"}, e::sha1},
        std::pair{std::string_view{"SHA224"}, e::sha224},
        std::pair{std::string_view{"SHA256"}, e::sha256},
        std::pair{std::string_view{"SHA384"}, e::sha384},
        std::pair{std::string_view{"SHA512"}, e::sha512},
        std::pair{std::string_view{"SHA512_224"}, e::sha512_224},
        std::pair{std::string_view{"SHA512_256"}, e::sha512_256},
        std::pair{std::string_view{"SHA3_224"}, e::sha3_224},
        std::pair{std::string_view{"SHA3_256"}, e::sha3_256},
        std::pair{std::string_view{"SHA3_384"}, e::sha3_384},
        std::pair{std::string_view{"SHA3_512"}, e::sha3_512},
        std::pair{std::string_view{"SHAKE128"}, e::shake128},
        std::pair{std::string_view{"SHAKE256"}, e::shake256},
        std::pair{std::string_view{"BLAKE2s_256"}, e::blake2s_256},
        std::pair{std::string_view{"BLAKE2b_256"}, e::blake2b_256},
        std::pair{std::string_view{"BLAKE2b_384"}, e::blake2b_384},
        std::pair{std::string_view{"BLAKE2b_512"}, e::blake2b_512},
    };
};

template <>
struct aileron::config::enum_traits<aileron::common_key_crypt> {
    using e = aileron::common_key_crypt;
    static constexpr std::array values{
        std::pair{std::string_view{"CommonKeyCryptTypeUnknown"}, e::unknown},
        std::pair{std::string_view{"AESGCM"}, e::aes_gcm},
        std::pair{std::string_view{"AESCBC"}, e::aes_cbc},
        std::pair{std::string_view{"AESCFB"}, e::aes_cfb},
        std::pair{std::string_view{"AESCTR"}, e::aes_ctr},
        std::pair{std::string_view{"AESOFB"}, e::aes_ofb},
    };
};

namespace aileron::crypto {

/// The output size in bytes of `alg` (AILERON's `HashSize`; SHAKE128 32, SHAKE256 64), 0 for
/// `unknown`.
std::size_t digest_size(hash_alg alg) noexcept;

/// Why `alg` cannot key an HMAC in this build, or an empty view when it can. SHAKE has no HMAC
/// (AILERON has none either); OpenSSL 3.0 has no BLAKE2b-256/384 digest to build one on.
std::string_view hmac_problem(hash_alg alg) noexcept;

/// The digest of `data` (SHAKE: `digest_size` bytes of output). Fetches the algorithm on
/// every call: for configuration time. Throws std::invalid_argument for `unknown`.
std::string digest(hash_alg alg, std::string_view data);

/// A keyed HMAC, ready to sign: the key is set once, each call copies that state. Copies
/// share the keyed state.
class hmac {
public:
    /// Throws std::invalid_argument when `hmac_problem(alg)` is not empty.
    hmac(hash_alg alg, std::string_view key);

    /// Output size in bytes.
    std::size_t size() const noexcept { return size_; }
    /// The MAC of `message` (size() bytes).
    std::string sign(std::string_view message) const;
    /// Whether `mac` is the MAC of `message`, compared in constant time.
    bool verify(std::string_view message, std::string_view mac) const;

private:
    struct impl;
    std::shared_ptr<const impl> impl_;   // immutable: copies share it
    std::size_t size_ = 0;
};

/// Why a key of `key_size` bytes cannot be used with `type`, or an empty view when it can
/// (AES: 16, 24 or 32 bytes).
std::string_view cipher_problem(common_key_crypt type, std::size_t key_size) noexcept;

/**
 * AES with AILERON's layouts: GCM is a 12-byte random nonce, the ciphertext and the 16-byte
 * tag; CBC (PKCS#7 padding), CFB, CTR and OFB are a 16-byte random IV and the ciphertext.
 */
class cipher {
public:
    /// Throws std::invalid_argument when `cipher_problem(type, key.size())` is not empty.
    cipher(common_key_crypt type, std::string key);

    /// Nothing only if OpenSSL fails (no randomness).
    std::optional<std::string> encrypt(std::string_view plaintext) const;
    /// Nothing when `ciphertext` is malformed or (GCM) not authentic.
    std::optional<std::string> decrypt(std::string_view ciphertext) const;

private:
    struct impl;
    std::shared_ptr<const impl> impl_;   // immutable: copies share it
};

/// The digest of this machine's host name: AILERON's default secret for HMACs and ciphers
/// when a config gives none (predictable; never for production).
std::string host_name_digest(hash_alg alg);

/// `n` bytes from OpenSSL's CSPRNG (per-thread DRBGs, no shared lock); nothing if it fails.
std::optional<std::string> random_bytes(std::size_t n);

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
bool equal(std::string_view a, std::string_view b) noexcept;

}  // namespace aileron::crypto
