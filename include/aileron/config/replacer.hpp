#pragma once
/// @file
/// AILERON's `kernel.ReplacerSpec`: one way of rewriting a string (masking, hashing,
/// encrypting, regular-expression replacement), and the replacer built from it. Log masking
/// uses them: SLogger's `fieldReplacers`, HTTPLogger's header, query and body replacers.
///
/// A spec sets exactly one of `fixed`, `value`, `left`, `right`, `trim`, `trimLeft`,
/// `trimRight`, `trimPrefix`, `trimSuffix`, `encode`, `hash`, `regexp`, `expand`, `encrypt`,
/// `hmac`. Regular expressions are `std::regex` ECMAScript (`posix: true`: POSIX extended), the
/// approximation of Go's RE2 that `MatcherSpec` uses too.

#include <aileron/config/decode.hpp>
#include <aileron/core/crypto.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::config {

/// AILERON's `kernel.EncodingType`.
enum class encoding_type {
    unknown = 0, base16, base32, base32_hex, base32_escaped, base32_hex_escaped,
    base64, base64_raw, base64_url, base64_raw_url
};
/// AILERON's `kernel.HashAlg` and `kernel.CommonKeyCryptType` (core/crypto.hpp).
using aileron::hash_alg;
using aileron::common_key_crypt;

}  // namespace aileron::config

template <>
struct aileron::config::enum_traits<aileron::config::encoding_type> {
    using e = aileron::config::encoding_type;
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

namespace aileron::config {

struct fixed_replacer_spec {
    std::string value;
    static constexpr auto fields() { return std::tuple{config::field("value", &fixed_replacer_spec::value)}; }
};

struct value_replacer_spec {
    std::map<std::string, std::string> from_to;
    static constexpr auto fields() {
        return std::tuple{config::field("fromTo", "FromTo", &value_replacer_spec::from_to)};
    }
};

/// `left` and `right`: `length` characters at one end become `char`.
struct side_replacer_spec {
    std::string character;
    std::uint32_t length = 0;
    static constexpr auto fields() {
        return std::tuple{config::field("char", "Char", &side_replacer_spec::character),
                          config::field("length", "Length", &side_replacer_spec::length)};
    }
};

/// `trim`, `trimLeft`, `trimRight`.
struct trim_replacer_spec {
    std::vector<std::string> cut_sets;
    static constexpr auto fields() { return std::tuple{config::field("cutSets", "CutSets", &trim_replacer_spec::cut_sets)}; }
};

struct trim_prefix_replacer_spec {
    std::vector<std::string> prefixes;
    static constexpr auto fields() {
        return std::tuple{config::field("prefixes", "Prefixes", &trim_prefix_replacer_spec::prefixes)};
    }
};

struct trim_suffix_replacer_spec {
    std::vector<std::string> suffixes;
    static constexpr auto fields() {
        return std::tuple{config::field("suffixes", "Suffixes", &trim_suffix_replacer_spec::suffixes)};
    }
};

struct encode_replacer_spec {
    std::string pattern;
    bool posix = false;
    encoding_type encoding = encoding_type::unknown;
    static constexpr auto fields() {
        using c = encode_replacer_spec;
        return std::tuple{config::field("pattern", "Pattern", &c::pattern), config::field("posix", "POSIX", &c::posix),
                          config::field("encoding", "Encoding", &c::encoding)};
    }
};

struct hash_replacer_spec {
    std::string pattern;
    bool posix = false;
    hash_alg alg = hash_alg::unknown;
    encoding_type encoding = encoding_type::unknown;
    static constexpr auto fields() {
        using c = hash_replacer_spec;
        return std::tuple{config::field("pattern", "Pattern", &c::pattern), config::field("posix", "POSIX", &c::posix),
                          config::field("alg", "Alg", &c::alg), config::field("encoding", "Encoding", &c::encoding)};
    }
};

struct regexp_replacer_spec {
    std::string pattern;
    std::string replace;
    bool posix = false;
    bool literal = false;
    static constexpr auto fields() {
        using c = regexp_replacer_spec;
        return std::tuple{config::field("pattern", "Pattern", &c::pattern), config::field("replace", "Replace", &c::replace),
                          config::field("posix", "POSIX", &c::posix), config::field("literal", "Literal", &c::literal)};
    }
};

struct expand_replacer_spec {
    std::string pattern;
    std::string templ;
    bool posix = false;
    static constexpr auto fields() {
        using c = expand_replacer_spec;
        return std::tuple{config::field("pattern", "Pattern", &c::pattern), config::field("template", "Template", &c::templ),
                          config::field("posix", "POSIX", &c::posix)};
    }
};

struct encrypt_replacer_spec {
    std::string pattern;
    bool posix = false;
    common_key_crypt alg = common_key_crypt::unknown;
    encoding_type encoding = encoding_type::unknown;
    std::string password;   ///< hex
    static constexpr auto fields() {
        using c = encrypt_replacer_spec;
        return std::tuple{config::field("pattern", "Pattern", &c::pattern), config::field("posix", "POSIX", &c::posix),
                          config::field("alg", "Alg", &c::alg), config::field("encoding", "Encoding", &c::encoding),
                          config::field("password", "Password", &c::password)};
    }
};

struct hmac_replacer_spec {
    std::string pattern;
    bool posix = false;
    hash_alg alg = hash_alg::unknown;
    encoding_type encoding = encoding_type::unknown;
    std::string key;   ///< hex
    static constexpr auto fields() {
        using c = hmac_replacer_spec;
        return std::tuple{config::field("pattern", "Pattern", &c::pattern), config::field("posix", "POSIX", &c::posix),
                          config::field("alg", "Alg", &c::alg), config::field("encoding", "Encoding", &c::encoding),
                          config::field("key", "Key", &c::key)};
    }
};

/// AILERON's `kernel.ReplacerSpec`: exactly one member set.
struct replacer_spec {
    std::optional<fixed_replacer_spec> fixed;
    std::optional<value_replacer_spec> value;
    std::optional<side_replacer_spec> left;
    std::optional<side_replacer_spec> right;
    std::optional<trim_replacer_spec> trim;
    std::optional<trim_replacer_spec> trim_left;
    std::optional<trim_replacer_spec> trim_right;
    std::optional<trim_prefix_replacer_spec> trim_prefix;
    std::optional<trim_suffix_replacer_spec> trim_suffix;
    std::optional<encode_replacer_spec> encode;
    std::optional<hash_replacer_spec> hash;
    std::optional<regexp_replacer_spec> regexp;
    std::optional<expand_replacer_spec> expand;
    std::optional<encrypt_replacer_spec> encrypt;
    std::optional<hmac_replacer_spec> hmac;

    static constexpr auto fields() {
        using c = replacer_spec;
        return std::tuple{config::field("fixed", "Fixed", &c::fixed),
                          config::field("value", "Value", &c::value),
                          config::field("left", "Left", &c::left),
                          config::field("right", "Right", &c::right),
                          config::field("trim", "Trim", &c::trim),
                          config::field("trimLeft", "TrimLeft", &c::trim_left),
                          config::field("trimRight", "TrimRight", &c::trim_right),
                          config::field("trimPrefix", "TrimPrefix", &c::trim_prefix),
                          config::field("trimSuffix", "TrimSuffix", &c::trim_suffix),
                          config::field("encode", "Encode", &c::encode),
                          config::field("hash", "Hash", &c::hash),
                          config::field("regexp", "Regexp", &c::regexp),
                          config::field("expand", "Expand", &c::expand),
                          config::field("encrypt", "Encrypt", &c::encrypt),
                          config::field("hmac", "HMAC", &c::hmac)};
    }
    /// Exactly one member; patterns compile; algorithms, encodings, keys and passwords valid.
    void normalize(decoder& d);
};

}  // namespace aileron::config

namespace aileron {

/**
 * A compiled `replacer_spec`. Immutable, cheap to copy, safe on every thread.
 *
 * Two flavours, as in AILERON: a **text** replacer (headers, queries, log fields) counts
 * `left`/`right` lengths in UTF-8 characters; a **bytes** replacer (bodies) counts bytes.
 */
class replacer {
public:
    enum class mode { text, bytes };

    /// Throws std::invalid_argument for a spec `normalize` would reject.
    replacer(const config::replacer_spec& spec, mode m);

    std::string operator()(std::string_view in) const;

    struct impl;

private:
    std::shared_ptr<const impl> impl_;
};

/// The problem with `spec` (what normalize reports), or an empty string.
std::string replacer_problem(const config::replacer_spec& spec);

/// Encodes `data` in one of AILERON's encodings (`unknown`: Base32HexEscaped, as AILERON).
std::string encode_bytes(config::encoding_type enc, std::string_view data);

}  // namespace aileron
