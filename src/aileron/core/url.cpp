#include <aileron/core/url.hpp>

#include <algorithm>
#include <vector>

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

std::string clean_path(std::string_view p) {
    if (p.empty()) return ".";
    bool rooted = p.front() == '/';
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i < p.size()) {
        std::size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        std::string_view seg = p.substr(i, j - i);
        if (seg.empty() || seg == ".") {
        } else if (seg == "..") {
            if (!parts.empty() && parts.back() != "..") parts.pop_back();
            else if (!rooted) parts.push_back(seg);
        } else {
            parts.push_back(seg);
        }
        i = j + 1;
    }
    std::string out = rooted ? "/" : "";
    for (std::size_t k = 0; k < parts.size(); ++k) {
        if (k) out += '/';
        out += parts[k];
    }
    return out.empty() ? "." : out;
}

std::string join_path(std::string_view a, std::string_view b) {
    if (a.empty() && b.empty()) return "";
    std::string s{a};
    if (!s.empty() && !b.empty()) s += '/';
    s += b;
    return clean_path(s);
}
std::string canonical_header_key(std::string_view k) {
    auto token = [](unsigned char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c)) != std::string_view::npos;
    };
    std::string out{k};
    for (unsigned char c : out)
        if (!token(c)) return out;
    bool upper = true;
    for (auto& ch : out) {
        auto c = static_cast<unsigned char>(ch);
        if (upper && c >= 'a' && c <= 'z') ch = static_cast<char>(c - 'a' + 'A');
        else if (!upper && c >= 'A' && c <= 'Z') ch = static_cast<char>(c - 'A' + 'a');
        upper = ch == '-';
    }
    return out;
}

target_view split_target(
std::string_view target) noexcept {
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
