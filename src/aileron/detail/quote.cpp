#include <aileron/detail/quote.hpp>

namespace aileron::detail {

void append_quoted(std::string& out, std::string_view s, quote_style style) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
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
