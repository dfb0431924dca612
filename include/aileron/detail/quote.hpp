#pragma once
/// @file
/// Double-quoted strings with backslash escapes, in the dialects aileron writes: JSON (ours and
/// Go's encoding/json), YAML, TOML, and Go's strconv.Quote for messages. One implementation,
/// parameterised by what each dialect escapes and how.

#include <string>
#include <string_view>

namespace aileron::detail {

struct quote_style {
    bool short_b_f;    ///< `\b` and `\f` as short escapes (else as hex)
    bool escape_del;   ///< 0x7f is escaped too
    bool html;         ///< `<`, `>`, `&` escaped as \u00XX (Go's encoding/json)
    bool x_escape;     ///< hex escapes as `\xXX` (YAML, Go) rather than `\u00XX` (JSON, TOML)
    /// The C1 controls (U+0080..U+009F) and the noncharacters U+FFFE, U+FFFF escaped too, as
    /// YAML readers refuse them raw (and aileron reads JSON config with its YAML reader).
    bool escape_c1 = false;
};

inline constexpr quote_style json_quote{true, false, false, false, true};
inline constexpr quote_style go_json_quote{false, false, true, false};
inline constexpr quote_style yaml_quote{false, true, false, true, true};
inline constexpr quote_style toml_quote{true, true, false, false};
inline constexpr quote_style go_quote_style{false, true, false, true};

/// The length of the C1 control (2 bytes) or the noncharacter U+FFFE/U+FFFF (3 bytes) at byte
/// `i` of UTF-8 `s`, or 0.
std::size_t c1_or_nonchar_at(std::string_view s, std::size_t i) noexcept;

/// Appends `s` to `out` between double quotes, escaped in `style`.
void append_quoted(std::string& out, std::string_view s, quote_style style);

}  // namespace aileron::detail
