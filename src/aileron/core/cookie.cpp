#include <aileron/core/cookie.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace aileron {

namespace {

bool is_token_char(unsigned char c) noexcept {
    if (c <= 0x20 || c >= 0x7f) return false;
    switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\': case '"':
    case '/': case '[': case ']': case '?': case '=': case '{': case '}': return false;
    default: return true;
    }
}

bool valid_name(std::string_view name) noexcept {
    if (name.empty()) return false;
    for (unsigned char c : name)
        if (!is_token_char(c)) return false;
    return true;
}

/// Go's validCookieValueByte.
bool valid_value_byte(unsigned char c) noexcept { return c >= 0x20 && c < 0x7f && c != '"' && c != ';' && c != '\\'; }

/// Go's validCookiePathByte.
bool valid_path_byte(unsigned char c) noexcept { return c >= 0x20 && c < 0x7f && c != ';'; }

/// Go's validCookieDomain for a name (IP addresses are accepted too).
bool valid_domain(std::string_view d) noexcept {
    if (!d.empty() && d.front() == '.') d.remove_prefix(1);
    if (d.empty() || d.size() > 255) return false;
    char last = '.';
    std::size_t part = 0;
    for (char c : d) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9')) {
            ++part;
        } else if (c == '-') {
            if (last == '.') return false;
            ++part;
        } else if (c == '.') {
            if (last == '.' || last == '-') return false;
            if (part > 63 || part == 0) return false;
            part = 0;
        } else if (c != ':') {   // ':' for an IPv6 address
            return false;
        }
        last = c;
    }
    return last != '-' && part <= 63;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// "Sun, 06 Nov 1994 08:49:37 GMT", independent of the locale.
std::string http_date(std::time_t t) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

}  // namespace

void cookie_spec::normalize(aileron::config::decoder& d) {
    for (unsigned char c : path)
        if (!valid_path_byte(c)) {
            d.error("path", "a cookie path cannot hold control characters or ';'");
            break;
        }
    if (!domain.empty() && !valid_domain(domain)) d.error("domain", "not a valid cookie domain");
}

cookie_attributes::cookie_attributes() : path_("/") {}

cookie_attributes::cookie_attributes(const cookie_spec& spec)
    : path_(spec.path),
      domain_(!spec.domain.empty() && spec.domain.front() == '.' ? spec.domain.substr(1) : spec.domain),
      expires_in_(spec.expires_in),
      max_age_(spec.max_age),
      secure_(spec.secure),
      http_only_(spec.http_only),
      same_site_(spec.same_site) {
    std::erase_if(path_, [](char c) { return !valid_path_byte(static_cast<unsigned char>(c)); });
}

std::string cookie_attributes::set_cookie(std::string_view name, std::string_view value) const {
    std::string out;
    out.reserve(name.size() + value.size() + path_.size() + domain_.size() + 110);
    out.append(name);
    out += '=';
    bool quote = false;
    std::string v;
    for (unsigned char c : value) {
        if (!valid_value_byte(c)) continue;
        if (c == ' ' || c == ',') quote = true;
        v += static_cast<char>(c);
    }
    if (quote) out += '"';
    out += v;
    if (quote) out += '"';
    if (!path_.empty()) out.append("; Path=").append(path_);
    if (!domain_.empty()) out.append("; Domain=").append(domain_);
    if (expires_in_ > 0) {
        auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        out.append("; Expires=").append(http_date(now + expires_in_));
    }
    if (max_age_ > 0) out.append("; Max-Age=").append(std::to_string(max_age_));
    else if (max_age_ < 0) out.append("; Max-Age=0");
    if (http_only_) out.append("; HttpOnly");
    if (secure_) out.append("; Secure");
    switch (same_site_) {
    case aileron::same_site::lax: out.append("; SameSite=Lax"); break;
    case aileron::same_site::strict: out.append("; SameSite=Strict"); break;
    case aileron::same_site::none: out.append("; SameSite=None"); break;
    default: break;
    }
    return out;
}

std::string cookie_attributes::delete_cookie(std::string_view name) const {
    std::string out{name};
    out += "=";
    if (!path_.empty()) out.append("; Path=").append(path_);
    if (!domain_.empty()) out.append("; Domain=").append(domain_);
    out.append("; Max-Age=0");
    return out;
}

bool cookie_reader::next(std::string_view& name, std::string_view& value) noexcept {
    while (!rest_.empty()) {
        std::string_view part;
        if (std::size_t semi = rest_.find(';'); semi == std::string_view::npos) {
            part = rest_;
            rest_ = {};
        } else {
            part = rest_.substr(0, semi);
            rest_.remove_prefix(semi + 1);
        }
        part = trim(part);
        if (part.empty()) continue;
        std::size_t eq = part.find('=');
        std::string_view n = part.substr(0, eq);
        std::string_view v = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
        if (!valid_name(n)) continue;
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        bool ok = true;
        for (unsigned char c : v) ok = ok && valid_value_byte(c);
        if (!ok) continue;
        name = n;
        value = v;
        return true;
    }
    return false;
}

std::optional<std::string_view> find_cookie(const boost::beast::http::fields& fields, std::string_view name) {
    auto [b, e] = fields.equal_range(boost::beast::http::field::cookie);
    for (auto it = b; it != e; ++it) {
        cookie_reader r{it->value()};
        std::string_view n, v;
        while (r.next(n, v))
            if (n == name) return v;
    }
    return std::nullopt;
}

}  // namespace aileron
