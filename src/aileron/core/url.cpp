#include <aileron/core/url.hpp>

#include <algorithm>

namespace aileron::url {

namespace {
int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

bool unescape(std::string_view s, bool plus_is_space, std::string& out, std::string& error) {
    out.clear();
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                error = "invalid URL escape \"" + std::string{s.substr(i, std::min<std::size_t>(3, s.size() - i))} + "\"";
                return false;
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (plus_is_space && s[i] == '+') {
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return true;
}

std::string escape_path(std::string_view path) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(path.size());
    for (unsigned char c : path) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     std::string_view{"-._~!$&'()*+,;=:@/"}.find(static_cast<char>(c)) != std::string_view::npos;
        if (plain) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

target_view split_target(std::string_view target) noexcept {
    if (target.starts_with("http://") || target.starts_with("https://")) {
        auto rest = target.substr(target.find("//") + 2);
        auto slash = rest.find_first_of("/?");
        target = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    }
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (auto h = query.find('#'); h != std::string_view::npos) query = query.substr(0, h);
    return {path.empty() ? std::string_view{"/"} : path, query};
}

}  // namespace aileron::url
