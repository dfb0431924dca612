#pragma once
/// @file
/// Secret handling the authentication middleware add to `core/crypto.hpp` (whose `hash_alg`,
/// `common_key_crypt` and AES `crypto::cipher` they use): AILERON's `kernel.EncodingType` for
/// secrets written in files and variables, and hashes / HMACs cheap enough for every request
/// (per-thread OpenSSL contexts; `crypto::digest` and `crypto::hmac` fetch or copy per call).

#include <aileron/config/decode.hpp>
#include <aileron/core/crypto.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace aileron::middlewares::authn {

/// AILERON's `kernel.EncodingType`: how a secret is written in a file or variable.
enum class encoding_type {
    unknown = 0,         ///< not encoded: the text is the secret
    base16,              ///< hex, either case
    base32,              ///< RFC 4648 base32, padded
    base32_hex,          ///< RFC 4648 base32hex, padded
    base32_escaped,      ///< base32 with the alphabet "BCDFGHJKLMNPQRSTUVWXYZ0123456789", padded
    base32_hex_escaped,  ///< base32 with the alphabet "0123456789BCDFGHJKLMNPQRSTUVWXYZ", padded
    base64,              ///< RFC 4648 base64, padded
    base64_raw,          ///< base64 without padding
    base64_url,          ///< base64url, padded
    base64_raw_url,      ///< base64url without padding
};

/// AILERON's `kernel.HashAlg` and `kernel.CommonKeyCryptType`, as the core defines them.
using aileron::common_key_crypt;
using aileron::hash_alg;

}  // namespace aileron::middlewares::authn

template <>
struct aileron::config::enum_traits<aileron::middlewares::authn::encoding_type> {
    using e = aileron::middlewares::authn::encoding_type;
    static constexpr std::array values{
        std::pair{std::string_view{"EncodingTypeUnknown"}, e::unknown},
        std::pair{std::string_view{"Base16"}, e::base16},
        std::pair{std::string_view{"Base32"}, e::base32},
        std::pair{std::string_view{"Base32Hex"}, e::base32_hex},
        std::pair{std::string_view{"Base32Escaped"}, e::base32_escaped},
        std::pair{std::string_view{"Base32HexEscaped"}, e::base32_hex_escaped},
        std::pair{std::string_view{"Base64"}, e::base64},
        std::pair{std::string_view{"Base64Raw"}, e::base64_raw},
        std::pair{std::string_view{"Base64URL"}, e::base64_url},
        std::pair{std::string_view{"Base64RawURL"}, e::base64_raw_url},
    };
};

namespace aileron::middlewares::authn {

/// The bytes `text` encodes, or nothing when it is not valid in `enc` (Go's `encoding/hex`,
/// `encoding/base32` and `encoding/base64` rules; `\r` and `\n` are skipped in base32/64).
/// `encoding_type::unknown` returns `text` itself.
std::optional<std::string> decode(encoding_type enc, std::string_view text);

/// Padded standard base64 (an HTTP Basic credential) decoded into `out`: the length written, or
/// nothing when `text` is not valid or does not fit. Allocates nothing.
std::optional<std::size_t> decode_base64(std::string_view text, std::span<char> out) noexcept;

/// The name AILERON gives a hash algorithm in config ("SHA256", "BLAKE2b_512", ...).
std::string_view hash_alg_name(hash_alg alg) noexcept;

/**
 * A hash, or an HMAC with a fixed key, with AILERON's output sizes (SHAKE128: 32 bytes,
 * SHAKE256: 64 bytes). Immutable and shared by every worker thread: each thread keeps its own
 * OpenSSL context for it, so a computation takes no lock and, after the first on a thread, no
 * allocation.
 */
class message_digest {
public:
    /// The largest size() of any algorithm.
    static constexpr std::size_t max_size = 64;
    using buffer = std::array<unsigned char, max_size>;

    /// A plain hash (`hmac_key` nothing) or an HMAC. Throws std::invalid_argument when the
    /// algorithm is unknown, not available in this OpenSSL (BLAKE2b_256 and BLAKE2b_384 need a
    /// variable-length BLAKE2b that OpenSSL 3.0 lacks) or has no HMAC (SHAKE).
    explicit message_digest(hash_alg alg, std::optional<std::string_view> hmac_key = std::nullopt);
    ~message_digest();
    message_digest(const message_digest&) = delete;
    message_digest& operator=(const message_digest&) = delete;

    std::size_t size() const noexcept;
    /// Writes the digest of `data` into `out` and returns the bytes written (size()).
    std::size_t compute(std::string_view data, buffer& out) const;
    /// The digest as a string of size() bytes (allocates; for load time and tests).
    std::string operator()(std::string_view data) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace aileron::middlewares::authn
