/// @file
/// The non-template half of `config::decode`: names, numbers, messages and the decoder's
/// path bookkeeping.

#include <aileron/config/decode.hpp>

#include <aileron/detail/quote.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace aileron::config {

namespace {

bool
is_lower(char c) noexcept
{
    return c >= 'a' && c <= 'z';
}

bool
is_alnum(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || is_lower(c);
}

char
to_upper(char c) noexcept
{
    return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
}

bool
iequals(std::string_view a, std::string_view b) noexcept
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return to_upper(x) == to_upper(y); });
}

/// `s` as a double-quoted string with JSON escapes, cut after `limit` bytes (on a UTF-8
/// boundary) with "..." so that messages stay one line.
std::string
quote(std::string_view s, std::size_t limit = std::string_view::npos)
{
    bool cut = false;
    if (s.size() > limit) {
        std::size_t n = limit;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        s = s.substr(0, n);
        cut = true;
    }
    std::string out;
    aileron::detail::append_quoted(out, s, aileron::detail::quote_style{false, false, false, false});
    if (cut) out += "...";
    return out;
}

std::string
format_double(double v)
{
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc{} ? std::string(buf, end) : std::string{"?"};
}

/// A scalar's value as it would be written in a document, for messages.
std::string
render(const node& n)
{
    switch (n.kind()) {
    case node::type::boolean: return n.as_bool() ? "true" : "false";
    case node::type::integer: return std::to_string(n.as_int());
    case node::type::floating: return format_double(n.as_double());
    case node::type::string: return quote(n.as_string(), 40);
    default: return {};
    }
}

/// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
/// `integral_syntax` is false when a fraction or exponent is present.
bool
is_json_number(std::string_view s, bool& integral_syntax) noexcept
{
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        return i > start;
    };
    if (i < s.size() && s[i] == '-') ++i;
    if (i < s.size() && s[i] == '0') {
        ++i;
    } else if (!digits()) {
        return false;
    }
    integral_syntax = true;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits()) return false;
        integral_syntax = false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (!digits()) return false;
        integral_syntax = false;
    }
    return i == s.size();
}

bool
matches_name(std::string_view s) noexcept   // ^[0-9A-Za-z-.]*$
{
    return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-' || c == '.'; });
}

bool
matches_kind(std::string_view s) noexcept   // ^[0-9A-Za-z]+$
{
    return !s.empty() && std::all_of(s.begin(), s.end(), is_alnum);
}

bool
matches_api_version(std::string_view s) noexcept   // ^[0-9A-Za-z]+/[0-9A-Za-z]+$
{
    const std::size_t slash = s.find('/');
    return slash != std::string_view::npos && matches_kind(s.substr(0, slash)) &&
           matches_kind(s.substr(slash + 1));
}

std::string
pattern_message(std::string_view value, std::string_view pattern)
{
    return quote(value) + " does not match " + std::string{pattern};
}

/// The mark of the node `relative` (".a.b[2][\"k\"]" without the leading dot) names below `n`,
/// or of the deepest part of it the document has; nullptr when not even the first part is there.
const mark*
resolve(const node* n, std::string_view relative)
{
    const mark* found = nullptr;
    while (n && !relative.empty()) {
        const node* next = nullptr;
        const mark* key_mark = nullptr;
        if (relative.front() == '.') {
            relative.remove_prefix(1);
            continue;
        }
        if (relative.front() == '[' && relative.size() > 1 && relative[1] == '"') {
            std::string key;
            std::size_t i = 2;
            for (; i < relative.size() && relative[i] != '"'; ++i) {
                if (relative[i] == '\\' && i + 1 < relative.size()) ++i;
                key += relative[i];
            }
            relative.remove_prefix(std::min(relative.size(), i + 2));   // `"]`
            if (n->is_map())
                for (const map_entry& e : n->as_map())
                    if (e.key == key) next = &e.value, key_mark = &e.key_mark;
        } else if (relative.front() == '[') {
            const std::size_t close = relative.find(']');
            std::size_t index = 0;
            const std::string_view digits = relative.substr(1, close == std::string_view::npos
                                                                   ? std::string_view::npos
                                                                   : close - 1);
            const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
            relative.remove_prefix(close == std::string_view::npos ? relative.size() : close + 1);
            if (ec == std::errc{} && p == digits.data() + digits.size() && n->is_sequence() &&
                index < n->as_sequence().size())
                next = &n->as_sequence()[index];
        } else {
            const std::size_t end = relative.find_first_of(".[");
            const std::string_view name = relative.substr(0, end);
            relative.remove_prefix(end == std::string_view::npos ? relative.size() : end);
            // JSON and proto names differ in case only (readTimeout / ReadTimeout).
            if (n->is_map())
                for (const map_entry& e : n->as_map())
                    if (!next && iequals(e.key, name)) next = &e.value, key_mark = &e.key_mark;
        }
        if (!next) break;
        found = next->where().line > 0 || !key_mark ? &next->where() : key_mark;
        n = next;
    }
    return found;
}

const mark&
no_mark() noexcept
{
    static const mark empty{};
    return empty;
}

}  // namespace

//----------------------------------------------------------------------------------------------

std::string
default_proto_name(std::string_view json_name)
{
    // Go's common initialisms (golint); AILERON's proto fields follow Go naming.
    static constexpr std::string_view initialisms[] = {
        "acl", "api", "ascii", "cpu", "css", "dns", "eof", "guid", "html", "http", "https",
        "id", "ip", "json", "lhs", "qps", "ram", "rhs", "rpc", "sla", "smtp", "sql", "ssh",
        "tcp", "tls", "ttl", "udp", "ui", "uid", "uuid", "uri", "url", "vm", "xml", "xmpp",
        "xsrf", "xss"};
    std::string out{json_name};
    std::size_t word = 0;
    while (word < out.size() && is_lower(out[word])) ++word;
    const std::string_view first = json_name.substr(0, word);
    const bool initialism =
        std::find(std::begin(initialisms), std::end(initialisms), first) != std::end(initialisms);
    for (std::size_t i = 0; i < (initialism ? word : std::min<std::size_t>(1, out.size())); ++i)
        out[i] = to_upper(out[i]);
    return out;
}

//----------------------------------------------------------------------------------------------

std::string
reference::id() const
{
    return api_version + '/' + kind + '/' + (ns.empty() ? "default" : ns) + '/' +
           (name.empty() ? "default" : name);
}

void
reference::normalize(decoder& d)
{
    if (api_version.empty())
        d.error("apiVersion", "is required");
    else if (!matches_api_version(api_version))
        d.error("apiVersion", pattern_message(api_version, "^[0-9A-Za-z]+/[0-9A-Za-z]+$"));
    if (kind.empty())
        d.error("kind", "is required");
    else if (!matches_kind(kind))
        d.error("kind", pattern_message(kind, "^[0-9A-Za-z]+$"));
    if (!matches_name(ns)) d.error("namespace", pattern_message(ns, "^[0-9A-Za-z-.]*$"));
    if (!matches_name(name)) d.error("name", pattern_message(name, "^[0-9A-Za-z-.]*$"));
    if (ns.empty()) ns = "default";
    if (name.empty()) name = "default";
}

//----------------------------------------------------------------------------------------------

decoder::decoder(diagnostics& diag, std::string resource_id, std::string base_path)
    : diag_(diag), resource_(std::move(resource_id)), path_(std::move(base_path))
{
}

void
decoder::error(std::string message)
{
    report(current_mark(), path_, std::move(message));
}

void
decoder::error(std::string_view relative_field, std::string message)
{
    std::string path = path_;
    if (!relative_field.empty()) {
        if (relative_field.front() != '[' && !path.empty()) path += '.';
        path += relative_field;
    }
    const mark* where = resolve(node_, relative_field);
    report(where ? *where : current_mark(), std::move(path), std::move(message));
}

void
decoder::error_at(const mark& where, std::string message)
{
    report(where, path_, std::move(message));
}

decoder::scope
decoder::enter_field(std::string_view json_name, const node* n, const mark* key_mark)
{
    const std::size_t size = path_.size();
    const node* old_node = node_;
    const mark* old_key_mark = key_mark_;
    if (!path_.empty()) path_ += '.';
    path_ += json_name;
    node_ = n;
    key_mark_ = key_mark;
    return scope{*this, size, old_node, old_key_mark};
}

decoder::scope
decoder::enter_index(std::size_t index, const node* n)
{
    const std::size_t size = path_.size();
    const node* old_node = node_;
    const mark* old_key_mark = key_mark_;
    path_ += '[';
    path_ += std::to_string(index);
    path_ += ']';
    node_ = n;
    key_mark_ = nullptr;
    return scope{*this, size, old_node, old_key_mark};
}

decoder::scope
decoder::enter_key(std::string_view key, const node* n, const mark* key_mark)
{
    const std::size_t size = path_.size();
    const node* old_node = node_;
    const mark* old_key_mark = key_mark_;
    path_ += '[';
    path_ += quote(key);
    path_ += ']';
    node_ = n;
    key_mark_ = key_mark;
    return scope{*this, size, old_node, old_key_mark};
}

void
decoder::leave(std::size_t size, const node* n, const mark* key_mark) noexcept
{
    path_.resize(size);
    node_ = n;
    key_mark_ = key_mark;
}

void
decoder::report(const mark& where, std::string path, std::string message)
{
    diag_.add(problem{where, resource_, std::move(path), std::move(message)});
    ++count_;
}

const mark&
decoder::current_mark() const noexcept
{
    // Null values and hand-built nodes may have no position: fall back to their key's.
    if (node_ && node_->where().line > 0) return node_->where();
    if (key_mark_) return *key_mark_;
    return node_ ? node_->where() : no_mark();
}

//----------------------------------------------------------------------------------------------

namespace detail {

std::size_t
field_table::find(std::string_view key) const noexcept
{
    for (std::size_t i = 0; i < json_names.size(); ++i)
        if (json_names[i] == key || proto_names[i] == key) return i;
    return npos;
}

std::string
mismatch(std::string_view what, const node& n)
{
    std::string out = "expected ";
    out += what;
    out += ", got ";
    out += node::type_name(n.kind());
    if (n.is_scalar()) {
        out += " (";
        out += render(n);
        out += ')';
    }
    return out;
}

std::string
unknown_field(std::string_view key, const std::vector<std::string_view>& names)
{
    std::string out = "unknown field " + quote(key, 40) + "; expected one of: ";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ", ";
        out += names[i];
    }
    return out;
}

bool
parse_integer(const node& n, std::int64_t min, std::int64_t max, std::string_view type,
              std::int64_t& out, std::string& error)
{
    const auto out_of_range = [&](const std::string& shown) {
        error = shown + " is out of range for " + std::string{type} + " [" + std::to_string(min) +
                ", " + std::to_string(max) + "]";
        return false;
    };
    const auto from_double = [&](double x, const std::string& shown) {
        if (!std::isfinite(x) || std::trunc(x) != x) {
            error = mismatch("an integer", n);
            return false;
        }
        // [-2^63, 2^63): every double in it converts to int64 exactly.
        if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) return out_of_range(shown);
        const auto v = static_cast<std::int64_t>(x);
        if (v < min || v > max) return out_of_range(shown);
        out = v;
        return true;
    };
    switch (n.kind()) {
    case node::type::integer: {
        const std::int64_t v = n.as_int();
        if (v < min || v > max) return out_of_range(std::to_string(v));
        out = v;
        return true;
    }
    case node::type::floating:
        return from_double(n.as_double(), format_double(n.as_double()));
    case node::type::string: {
        // protojson: a string holding a JSON number, with no surrounding spaces.
        const std::string& s = n.as_string();
        bool integral_syntax = true;
        if (!is_json_number(s, integral_syntax)) {
            error = mismatch("an integer", n);
            return false;
        }
        const char* first = s.data();
        const char* last = s.data() + s.size();
        if (integral_syntax) {
            std::int64_t v = 0;
            const auto [p, ec] = std::from_chars(first, last, v);
            if (ec == std::errc::result_out_of_range) return out_of_range(s);
            if (v < min || v > max) return out_of_range(s);
            out = v;
            return true;
        }
        double x = 0;
        const auto [p, ec] = std::from_chars(first, last, x);
        if (ec == std::errc::result_out_of_range) return out_of_range(s);
        return from_double(x, s);
    }
    default:
        error = mismatch("an integer", n);
        return false;
    }
}

bool
parse_double(const node& n, double& out, std::string& error)
{
    switch (n.kind()) {
    case node::type::integer: out = static_cast<double>(n.as_int()); return true;
    case node::type::floating: out = n.as_double(); return true;
    case node::type::string: {
        const std::string& s = n.as_string();
        if (s == "NaN") return out = std::numeric_limits<double>::quiet_NaN(), true;
        if (s == "Infinity") return out = std::numeric_limits<double>::infinity(), true;
        if (s == "-Infinity") return out = -std::numeric_limits<double>::infinity(), true;
        bool integral_syntax = true;
        if (is_json_number(s, integral_syntax)) {
            const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
            if (ec == std::errc{}) return true;
            error = s + " is out of range for double";
            return false;
        }
        break;
    }
    default: break;
    }
    error = mismatch("a number", n);
    return false;
}

std::string
unknown_enum(const node& n, const std::vector<std::pair<std::string_view, long long>>& values)
{
    const bool by_number = n.kind() == node::type::integer;
    std::string out = "unknown enum value " + render(n) + "; expected one of: ";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ", ";
        out += values[i].first;
        if (by_number) out += " (" + std::to_string(values[i].second) + ")";
    }
    return out;
}

}  // namespace detail

}  // namespace aileron::config
