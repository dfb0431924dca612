#pragma once
/// @file
/// Base64 (RFC 4648 §4 and §5) and hex, decoded strictly as Go's `encoding/base64` and
/// `encoding/hex` do, for secrets in configs, tokens and cookie values.

#include <optional>
#include <string>
#include <string_view>

namespace aileron::encoding {

/// Which base64 alphabet: `+/` (standard, RFC 4648 §4) or `-_` (URL and file name safe, §5).
enum class base64_alphabet { standard, url };

/// `data` in base64, padded with `=` unless `pad` is false (Go's `RawStdEncoding`).
std::string base64_encode(std::string_view data, base64_alphabet alphabet = base64_alphabet::standard,
                          bool pad = true);

/// The bytes `text` encodes, or nothing when it is not valid base64 of that alphabet. As Go's
/// decoder: padding is required when `pad` (and refused when not), leftover bits are ignored,
/// and `\r` and `\n` anywhere are skipped.
std::optional<std::string> base64_decode(std::string_view text,
                                         base64_alphabet alphabet = base64_alphabet::standard, bool pad = true);

/// Lower-case hex of `data`.
std::string hex_encode(std::string_view data);
/// The bytes of an even-length hex string (either case), or nothing.
std::optional<std::string> hex_decode(std::string_view text);

}  // namespace aileron::encoding
