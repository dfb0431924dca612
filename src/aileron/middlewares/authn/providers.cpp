#include <aileron/middlewares/authn/providers.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

extern "C" char** environ;

namespace aileron::middlewares::authn {

namespace {

std::string_view encoding_name(encoding_type e) {
    for (const auto& [name, value] : config::enum_traits<encoding_type>::values)
        if (value == e) return name;
    return "EncodingTypeUnknown";
}

/// Go's strconv.Atoi: an optional sign and decimal digits that fit in 64 bits.
bool parse_int(std::string_view s, std::int64_t& out) {
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty()) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        if (v > (std::uint64_t{1} << 63) / 10) return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > (std::uint64_t{1} << 63)) return false;
    }
    if (!neg && v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    out = neg ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
    return true;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string{s} + "\""; }

std::string_view trim(std::string_view s) {
    constexpr std::string_view ws = " \n\r\t\f";
    std::size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

std::vector<credential> load_env_pairs(std::string_view name_prefix, std::string_view secret_prefix,
                                       encoding_type enc, std::string_view what) {
    std::map<std::int64_t, std::pair<std::string, std::string>> names, secrets;   // N -> (value, variable)
    for (char** e = environ; e && *e; ++e) {
        std::string_view v{*e};
        std::size_t eq = v.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view var = v.substr(0, eq), value = v.substr(eq + 1);
        // As AILERON: a variable with the name prefix is never taken as a secret, even when its
        // number does not parse.
        for (auto [prefix, table] : {std::pair{name_prefix, &names}, std::pair{secret_prefix, &secrets}}) {
            if (!v.starts_with(prefix)) continue;
            std::int64_t n = 0;
            if (!value.empty() && parse_int(var.substr(std::min(prefix.size(), var.size())), n))
                (*table)[n] = {std::string{value}, std::string{var}};
            break;
        }
    }
    std::vector<credential> out;
    std::set<std::string, std::less<>> seen;
    for (auto& [n, name] : names) {
        auto it = secrets.find(n);
        if (it == secrets.end()) continue;
        if (!seen.insert(name.first).second)
            throw load_error("envProvider", "duplicate " + std::string{what} + " " + in_quotes(name.first) + " (" +
                                                name.second + ")");
        auto secret = decode(enc, it->second.first);
        if (!secret)
            throw load_error("envProvider", it->second.second + " is not valid " + std::string{encoding_name(enc)});
        out.push_back({name.first, std::move(*secret), {}, it->second.second, "envProvider"});
    }
    return out;
}

std::vector<credential> load_env_keys(std::string_view prefix, encoding_type enc) {
    std::vector<credential> out;
    std::set<std::string, std::less<>> seen;
    for (char** e = environ; e && *e; ++e) {
        std::string_view v{*e};
        std::size_t eq = v.find('=');
        if (eq == std::string_view::npos || !v.starts_with(prefix)) continue;
        std::string_view var = v.substr(0, eq), value = v.substr(eq + 1);
        if (value.empty()) continue;
        if (!seen.insert(std::string{value}).second)
            throw load_error("envProvider", std::string{var} + " repeats a key given by another variable");
        auto secret = decode(enc, value);
        if (!secret) throw load_error("envProvider", std::string{var} + " is not valid " + std::string{encoding_name(enc)});
        out.push_back({{}, std::move(*secret), {}, std::string{var}, "envProvider"});
    }
    return out;
}

std::vector<credential> load_files(const std::vector<std::string>& paths, encoding_type enc, line_format format,
                                   std::string_view what) {
    std::vector<credential> out;
    std::set<std::string, std::less<>> seen;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const std::string& path = paths[i];
        if (path.empty()) continue;
        const std::string field = "fileProvider.paths[" + std::to_string(i) + "]";
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
            throw load_error(field, in_quotes(path) + (std::filesystem::exists(path, ec) ? " is not a regular file"
                                                                                      : " does not exist"));
        std::ifstream in{path, std::ios::binary};
        std::stringstream buf;
        buf << in.rdbuf();
        if (!in) throw load_error(field, "cannot read " + in_quotes(path) + ": " + std::strerror(errno));
        const std::string text = buf.str();
        std::size_t line_no = 0;
        for (std::size_t pos = 0; pos <= text.size();) {
            std::size_t nl = text.find('\n', pos);
            if (nl == std::string::npos) nl = text.size();
            std::string_view line = trim(std::string_view{text}.substr(pos, nl - pos));
            pos = nl + 1;
            ++line_no;
            if (line.empty() || line.front() == '#') continue;
            const std::string where = path + ":" + std::to_string(line_no);
            std::string_view name, secret, attrs;
            std::size_t c = line.find(':');
            if (format == line_format::key_only) {
                secret = line.substr(0, c);
                if (c != std::string_view::npos) attrs = line.substr(c + 1);
            } else {
                if (c == std::string_view::npos)
                    throw load_error(field, where + ": expected " + std::string{what} + ":secret[:{json}]");
                name = line.substr(0, c);
                std::string_view rest = line.substr(c + 1);
                std::size_t c2 = rest.find(':');
                secret = rest.substr(0, c2);
                if (c2 != std::string_view::npos) attrs = rest.substr(c2 + 1);
            }
            std::string_view id = format == line_format::key_only ? secret : name;
            if (!seen.insert(std::string{id}).second)
                throw load_error(field, where + ": duplicate " +
                                            (format == line_format::key_only ? std::string{"key"}
                                                                             : std::string{what} + " " + in_quotes(name)));
            auto decoded = decode(enc, secret);
            if (!decoded)
                throw load_error(field, where + ": the secret is not valid " + std::string{encoding_name(enc)});
            credential cred{std::string{name}, std::move(*decoded), {}, where, field};
            if (!attrs.empty()) {
                auto json = compact_json_object(attrs);
                if (!json) throw load_error(field, where + ": the attributes are not a JSON object");
                cred.attrs = std::move(*json);
            }
            out.push_back(std::move(cred));
        }
    }
    return out;
}

std::optional<std::string> compact_json_object(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);   // strict RFC 8259
    if (ec || !v.is_object()) return std::nullopt;
    return boost::json::serialize(v);
}

}  // namespace aileron::middlewares::authn
