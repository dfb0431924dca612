#include <aileron/core/encoding.hpp>

#include <array>
#include <cstdint>

namespace aileron::encoding {

namespace {

constexpr std::string_view standard_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> decode_table(std::string_view chars) {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (std::size_t i = 0; i < chars.size(); ++i) t[static_cast<unsigned char>(chars[i])] = static_cast<std::int8_t>(i);
    return t;
}
constexpr auto standard_table = decode_table(standard_chars);
constexpr auto url_table = decode_table(url_chars);

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string base64_encode(std::string_view data, base64_alphabet alphabet, bool pad) {
    std::string_view chars = alphabet == base64_alphabet::url ? url_chars : standard_chars;
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[k])); };
    for (; i + 3 <= data.size(); i += 3) {
        std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += chars[v >> 18 & 63];
        out += chars[v >> 12 & 63];
        out += chars[v >> 6 & 63];
        out += chars[v & 63];
    }
    const std::size_t rest = data.size() - i;
    if (rest == 0) return out;
    std::uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += chars[v >> 18 & 63];
    out += chars[v >> 12 & 63];
    if (rest == 2) out += chars[v >> 6 & 63];
    if (pad) out.append(rest == 1 ? 2 : 1, '=');
    return out;
}

std::optional<std::string> base64_decode(std::string_view text, base64_alphabet alphabet, bool pad) {
    const auto& table = alphabet == base64_alphabet::url ? url_table : standard_table;
    std::string out;
    out.reserve(text.size() / 4 * 3 + 3);
    std::uint32_t acc = 0;
    int count = 0;      // symbols in the current quantum
    int padding = 0;    // '=' seen
    for (char c : text) {
        if (c == '\r' || c == '\n') continue;
        if (c == '=') {
            if (!pad || count < 2) return std::nullopt;
            ++padding;
            if (count + padding > 4) return std::nullopt;
            continue;
        }
        if (padding) return std::nullopt;   // data after padding
        std::int8_t v = table[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = acc << 6 | static_cast<std::uint32_t>(v);
        if (++count == 4) {
            out += static_cast<char>(acc >> 16 & 0xff);
            out += static_cast<char>(acc >> 8 & 0xff);
            out += static_cast<char>(acc & 0xff);
            acc = 0;
            count = 0;
        }
    }
    if (count == 0) return padding ? std::nullopt : std::optional<std::string>{std::move(out)};
    if (count == 1) return std::nullopt;
    if (pad && count + padding != 4) return std::nullopt;
    // Leftover bits are ignored, as Go's (non-strict) decoders do.
    if (count == 2) {
        out += static_cast<char>(acc >> 4 & 0xff);
    } else {
        out += static_cast<char>(acc >> 10 & 0xff);
        out += static_cast<char>(acc >> 2 & 0xff);
    }
    return out;
}

std::string hex_encode(std::string_view data) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (unsigned char c : data) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
    if (text.size() % 2) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi << 4 | lo);
    }
    return out;
}

}  // namespace aileron::encoding
