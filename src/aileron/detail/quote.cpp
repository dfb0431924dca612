#include <aileron/detail/quote.hpp>

namespace aileron::detail {

std::size_t c1_or_nonchar_at(std::string_view s, std::size_t i) noexcept {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    if (at(i) == 0xC2 && i + 1 < s.size() && at(i + 1) >= 0x80 && at(i + 1) <= 0x9F) return 2;
    if (at(i) == 0xEF && i + 2 < s.size() && at(i + 1) == 0xBF && (at(i + 2) == 0xBE || at(i + 2) == 0xBF)) return 3;
    return 0;
}

void append_quoted(std::string& out, std::string_view s, quote_style style) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char ch = s[i];
        const auto c = static_cast<unsigned char>(ch);
        if (style.escape_c1 && c >= 0xC2) {
            const std::size_t len = c1_or_nonchar_at(s, i);
            if (len != 0) {
                // U+0080..U+009F (C2 80..C2 9F) or U+FFFE/U+FFFF (EF BF BE/BF)
                const auto last = static_cast<unsigned char>(s[i + len - 1]);
                if (len == 2) {
                    out += style.x_escape ? "\\x" : "\\u00";
                    out += hex[last >> 4];
                    out += hex[last & 0xf];
                } else {
                    out += last == 0xBE ? "\\ufffe" : "\\uffff";
                }
                i += len - 1;
                continue;
            }
        }
        switch (c) {
        case '"': out += "\\\""; continue;
        case '\\': out += "\\\\"; continue;
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        case '\b':
            if (style.short_b_f) {
                out += "\\b";
                continue;
            }
            break;
        case '\f':
            if (style.short_b_f) {
                out += "\\f";
                continue;
            }
            break;
        default: break;
        }
        const bool escape = c < 0x20 || (c == 0x7f && style.escape_del) ||
                            (style.html && (c == '<' || c == '>' || c == '&'));
        if (!escape) {
            out += ch;
            continue;
        }
        out += style.x_escape ? "\\x" : "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
    }
    out += '"';
}

}  // namespace aileron::detail
