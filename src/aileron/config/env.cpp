/// @file
/// `${VAR}` substitution (spec §2.4) and `-e` env files (spec §2.2), following AILERON's
/// helper library (aileron-projects/go `zos.EnvSubst2` and `zos.LoadEnv`).
///
/// Deliberate differences from the Go library, all on inputs it handles surprisingly:
/// - An expression ends at the first `}` that closes it (braces inside `word` must balance) and
///   never spans lines. The Go regex is leftmost-longest, so `${A:-x} {y}` would take
///   `x} {y` as the word.
/// - Patterns are POSIX extended regular expressions (`std::regex::extended`, leftmost-longest
///   like Go's `regexp.CompilePOSIX`). Case conversions (`^`, `,`, `@U`, ...) are ASCII-only.
/// - `${!prefix*}` lists the names sorted, not in environment order.
/// - In env files a `#` inside quotes is part of the value, `export` must be followed by a
///   blank, and `${..}` is expanded in the unquoted value instead of the raw line (so a value
///   containing quotes or `#` is not re-interpreted).

#include <aileron/config/source.hpp>

#include "detail/parsers.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <regex>

extern "C" char** environ;

namespace aileron::config {
namespace {

bool
is_name_char(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/// The outcome of one `${...}`: a value, or the message of a problem.
struct resolved {
    std::string value;
    std::optional<std::string> error;
};

resolved
fail(std::string_view expr, std::string_view why)
{
    return {{}, "`" + std::string(expr) + "`: " + std::string(why)};
}

std::optional<std::string>
lookup(const std::string& name)
{
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
}

std::string
getenv_or_empty(const std::string& name)
{
    return lookup(name).value_or(std::string{});
}

/// Byte offsets of the UTF-8 characters of `s` (each stray byte counts as one character),
/// plus `s.size()` at the end, so that offsets and lengths count characters as Go's []rune does.
std::vector<std::size_t>
char_starts(std::string_view s)
{
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < s.size();) {
        starts.push_back(i);
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
        std::size_t j = 1;
        while (j < len && i + j < s.size() && (static_cast<unsigned char>(s[i + j]) & 0xC0) == 0x80) ++j;
        i += j;
    }
    starts.push_back(s.size());
    return starts;
}

/// Go's strconv.Atoi: optional sign, decimal digits, nothing else.
std::optional<long long>
parse_int(std::string_view s)
{
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty() || s.front() == '+') return std::nullopt;
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string
to_upper(std::string s)
{
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

std::string
to_lower(std::string s)
{
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

/// Compiles a POSIX extended regex; std::regex reports bad patterns by throwing.
std::optional<std::regex>
compile(const std::string& pattern, std::string& error)
{
    try {
        return std::regex(pattern, std::regex::extended);
    } catch (const std::regex_error& e) {
        error = std::string("invalid regular expression: ") + e.what();
        return std::nullopt;
    }
}

/// Replaces every match of `re` in `v` by `f(match)` (Go's ReplaceAllStringFunc).
template <class F>
std::string
replace_all(const std::string& v, const std::regex& re, F f)
{
    std::string out;
    std::size_t last = 0;
    for (auto it = std::sregex_iterator(v.begin(), v.end(), re); it != std::sregex_iterator(); ++it) {
        const auto pos = static_cast<std::size_t>(it->position(0));
        out.append(v, last, pos - last);
        out += f(it->str(0));
        last = pos + static_cast<std::size_t>(it->length(0));
    }
    out.append(v, last, std::string::npos);
    return out;
}

/// `${V:off}` and `${V:off:len}`; offsets count characters, negative offsets give the whole value.
resolved
substring(std::string_view expr, const std::string& name, std::string_view spec)
{
    std::string_view off_text = spec, len_text;
    bool has_len = false;
    if (auto colon = spec.find(':'); colon != std::string_view::npos && colon > 0) {
        off_text = spec.substr(0, colon);
        len_text = spec.substr(colon + 1);
        has_len = true;
    }
    const auto off = parse_int(off_text);
    if (!off) return fail(expr, "offset is not an integer");
    std::optional<long long> len;
    if (has_len) {
        len = parse_int(len_text);
        if (!len) return fail(expr, "length is not an integer");
    }
    const std::string v = getenv_or_empty(name);
    if (*off < 0) return {v, {}};
    const auto starts = char_starts(v);
    const auto count = static_cast<long long>(starts.size() - 1);
    if (*off > count || (has_len && *off == count)) return {{}, {}};
    long long end = count;
    if (len && *len >= 0 && *off + *len <= count) end = *off + *len;
    return {v.substr(starts[*off], starts[end] - starts[*off]), {}};
}

/// Resolves the text between `${` and `}`; `expr` is the whole expression, for messages.
resolved
resolve(std::string_view expr, std::string_view body)
{
    std::size_t n = 0;
    while (n < body.size() && is_name_char(body[n])) ++n;
    const std::string name(body.substr(0, n));
    std::string_view rest = body.substr(n);

    if (rest.empty()) return {getenv_or_empty(name), {}};   // ${V}

    if (name.empty()) {   // ${#V}, ${!prefix*}, ${!prefix@}
        const std::string target(rest.substr(1));
        if (rest.front() == '#') {
            if (!std::all_of(target.begin(), target.end(), is_name_char)) return fail(expr, "expected ${#name}");
            return {std::to_string(char_starts(getenv_or_empty(target)).size() - 1), {}};
        }
        if (rest.back() != '*' && rest.back() != '@')
            return fail(expr, "expected ${!prefix*} or ${!prefix@}");
        const std::string prefix(rest.substr(1, rest.size() - 2));
        std::vector<std::string> names;
        for (char** e = environ; e && *e; ++e) {
            std::string_view entry(*e);
            std::string_view var = entry.substr(0, entry.find('='));
            if (var.starts_with(prefix)) names.emplace_back(var);
        }
        std::sort(names.begin(), names.end());
        std::string out;
        for (const auto& v : names) out += (out.empty() ? "" : " ") + v;
        return {out, {}};
    }

    const auto value = lookup(name);
    const bool set = value.has_value();
    const bool set_non_empty = set && !value->empty();
    const char op = rest.front();

    // ${V-w} ${V=w} ${V?w} ${V+w} and their `:` forms, where `:` also treats empty as unset.
    const bool colon = op == ':' && rest.size() >= 2 && std::string_view("-=?+").find(rest[1]) != std::string_view::npos;
    if (colon || std::string_view("-=?+").find(op) != std::string_view::npos) {
        const char kind = colon ? rest[1] : op;
        const std::string word(rest.substr(colon ? 2 : 1));
        const bool use_value = colon ? set_non_empty : set;
        switch (kind) {
        case '-': return {use_value ? *value : word, {}};
        case '=':
            if (use_value) return {*value, {}};
            ::setenv(name.c_str(), word.c_str(), 1);
            return {word, {}};
        case '?':
            if (use_value) return {*value, {}};
            return {{}, name + ": " + (word.empty() ? (colon ? "parameter null or not set" : "parameter not set") : word)};
        case '+': return {(colon ? set_non_empty : set) ? word : std::string{}, {}};
        }
    }
    if (op == ':') return substring(expr, name, rest.substr(1));

    const std::string v = value.value_or(std::string{});
    std::string error;
    switch (op) {
    case '#': {   // ${V#re} and ${V##re}: both remove the longest matching prefix
        const std::string word(rest.substr(rest.starts_with("##") ? 2 : 1));
        auto re = compile("^" + word, error);
        if (!re) return fail(expr, error);
        std::smatch m;
        if (!std::regex_search(v, m, *re)) return {v, {}};
        return {v.substr(static_cast<std::size_t>(m.position(0) + m.length(0))), {}};
    }
    case '%': {   // ${V%re} and ${V%%re}: both remove the longest matching suffix
        const std::string word(rest.substr(rest.starts_with("%%") ? 2 : 1));
        auto re = compile(word + "$", error);
        if (!re) return fail(expr, error);
        std::smatch m;
        if (!std::regex_search(v, m, *re)) return {v, {}};
        return {v.substr(0, static_cast<std::size_t>(m.position(0))), {}};
    }
    case '/': {   // ${V/re/s} ${V//re/s} ${V/#re/s} ${V/%re/s}
        const char mode = rest.size() >= 2 && std::string_view("/#%").find(rest[1]) != std::string_view::npos ? rest[1] : 0;
        const std::string_view spec = rest.substr(mode ? 2 : 1);
        const auto slash = spec.find('/');
        if (slash == std::string_view::npos || slash == 0) return fail(expr, "expected ${V/pattern/string}");
        const std::string pattern(spec.substr(0, slash));
        const std::string with(spec.substr(slash + 1));
        auto re = compile(mode == '#' ? "^" + pattern : mode == '%' ? pattern + "$" : pattern, error);
        if (!re) return fail(expr, error);
        if (mode == '/') return {replace_all(v, *re, [&](const std::string&) { return with; }), {}};
        std::smatch m;
        if (!std::regex_search(v, m, *re)) return {v, {}};
        const auto pos = static_cast<std::size_t>(m.position(0));
        return {v.substr(0, pos) + with + v.substr(pos + static_cast<std::size_t>(m.length(0))), {}};
    }
    case '^':
    case ',': {   // ${V^re} ${V^^re} ${V,re} ${V,,re}; the pattern defaults to `.?`
        const bool all = rest.size() >= 2 && rest[1] == op;
        std::string word(rest.substr(all ? 2 : 1));
        if (word.empty()) word = ".?";
        auto re = compile(word, error);
        if (!re) return fail(expr, error);
        const auto convert = [op](const std::string& s) { return op == '^' ? to_upper(s) : to_lower(s); };
        if (all) return {replace_all(v, *re, convert), {}};
        if (v.empty()) return {{}, {}};
        return {replace_all(v.substr(0, 1), *re, convert) + v.substr(1), {}};
    }
    case '@': {   // ${V@U} ${V@u} ${V@L} ${V@l}
        const std::string_view how = rest.substr(1);
        if (how != "U" && how != "u" && how != "L" && how != "l")
            return fail(expr, "unknown operator (expected U, u, L or l)");
        if (v.empty()) return {{}, {}};
        if (how == "U") return {to_upper(v), {}};
        if (how == "L") return {to_lower(v), {}};
        return {(how == "u" ? to_upper(v.substr(0, 1)) : to_lower(v.substr(0, 1))) + v.substr(1), {}};
    }
    }
    return fail(expr, "unsupported expression");
}

/// Length of the `${...}` expression starting at `text[i]`, or 0 when there is none there.
/// Accepts what AILERON's regex accepts: `${V}`, `${V@X}`, `${#V}`, `${!V*}`, `${!V@}` and
/// `${V<op>word}` where word has no `$`.
std::size_t
match_expression(std::string_view text, std::size_t i) noexcept
{
    std::size_t p = i + 2;
    const auto name_run = [&] {
        const std::size_t from = p;
        while (p < text.size() && is_name_char(text[p])) ++p;
        return p > from;
    };
    const auto close = [&]() -> std::size_t { return p < text.size() && text[p] == '}' ? p + 1 - i : 0; };
    if (p < text.size() && (text[p] == '#' || text[p] == '!')) {
        ++p;
        if (!name_run()) return 0;
        if (p < text.size() && (text[p] == '*' || text[p] == '@')) ++p;
        return close();
    }
    if (!name_run()) return 0;
    if (p >= text.size()) return 0;
    if (text[p] == '}') return close();
    if (text[p] == '@') {
        ++p;
        if (p < text.size() && std::string_view("UuLl").find(text[p]) != std::string_view::npos) ++p;
        return close();
    }
    if (std::string_view(":-=?+#%/,^").find(text[p]) == std::string_view::npos) return 0;
    int depth = 0;
    for (++p; p < text.size(); ++p) {
        const char c = text[p];
        if (c == '$' || c == '\n') return 0;
        if (c == '{') ++depth;
        if (c == '}' && depth-- == 0) return p + 1 - i;
    }
    return 0;
}

/// Turns byte offsets of one text into marks, scanning forward only.
class position_tracker {
public:
    position_tracker(std::string_view text, const mark& start)
        : text_(text), file_(start.file), line_(start.line > 0 ? start.line : 1),
          first_column_(start.line > 0 ? start.column : 1) {}

    mark at(std::size_t offset)
    {
        for (; scanned_ < offset; ++scanned_) {
            if (text_[scanned_] != '\n') continue;
            ++line_;
            line_start_ = scanned_ + 1;
            first_line_ = false;
        }
        int column = static_cast<int>(offset - line_start_) + 1;
        if (first_line_) column = first_column_ > 0 ? first_column_ + column - 1 : 0;
        return mark{file_, line_, column};
    }

private:
    std::string_view text_;
    std::shared_ptr<const std::string> file_;
    int line_;
    int first_column_;
    bool first_line_ = true;
    std::size_t scanned_ = 0;
    std::size_t line_start_ = 0;
};

std::string
expand_once(std::string_view text, const mark& start, diagnostics& diag)
{
    std::string out;
    out.reserve(text.size());
    position_tracker where(text, start);
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t pos = text.find("${", i);
        if (pos == std::string_view::npos) break;
        out.append(text, i, pos - i);
        const std::size_t len = match_expression(text, pos);
        if (len == 0) {   // not an expression here; an inner `${` may still be one
            out += '$';
            i = pos + 1;
            continue;
        }
        const std::string_view expr = text.substr(pos, len);
        resolved r = resolve(expr, expr.substr(2, len - 3));
        if (r.error) diag.add(where.at(pos), std::move(*r.error));
        else out += r.value;
        i = pos + len;
    }
    if (i < text.size()) out.append(text, i);
    return out;
}

bool
is_blank(char c) noexcept
{
    return c == ' ' || c == '\t';
}

std::string_view
trim(std::string_view s) noexcept
{
    constexpr std::string_view ws = "\t\n\f\r ";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

enum class quote { none, single, dbl };

/// Scans (part of) an env file value: removes quotes, applies escapes, stops at a comment.
/// `q` carries the open quote across the lines of a multi-line value.
void
scan_value(std::string_view raw, quote& q, std::string& out)
{
    bool escaped = false;
    bool after_blank = true;   // a `#` right after `=` or after a blank starts a comment
    std::size_t keep = out.size();   // length without unquoted trailing blanks
    for (const char c : raw) {
        if (escaped) {
            escaped = false;
            after_blank = false;
            if (c == 'n' && q != quote::none) out += '\n';
            else out += c;   // `\\ \' \" \#` and, as in AILERON, any other `\x` -> x
            keep = out.size();
            continue;
        }
        switch (c) {
        case '\\': escaped = true; continue;
        case '\'':
            if (q == quote::dbl) out += c;
            else q = q == quote::single ? quote::none : quote::single;
            break;
        case '"':
            if (q == quote::single) out += c;
            else q = q == quote::dbl ? quote::none : quote::dbl;
            break;
        case '#':
            if (q == quote::none && after_blank) {
                out.resize(keep);
                return;
            }
            out += c;
            break;
        default:
            out += c;
            if (q == quote::none && is_blank(c)) {
                after_blank = true;
                continue;
            }
        }
        after_blank = false;
        keep = out.size();
    }
    if (escaped) out += '\\';
}

}  // namespace

std::string
expand_env(std::string_view text, const mark& start, diagnostics& diag)
{
    // Two passes, as zos.EnvSubst2: the first resolves inner expressions of `${A_${B}}`.
    const std::string once = expand_once(text, start, diag);
    return expand_once(once, start, diag);
}

bool
load_env_file(const std::string& path, diagnostics& diag)
{
    const auto file = std::make_shared<const std::string>(path);
    std::string text, error;
    if (!detail::read_file(path, text, error)) {
        diag.add(mark{file, 0, 0}, "cannot read env file: " + error);
        return false;
    }
    if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);

    const std::size_t before = diag.problems().size();
    quote q = quote::none;
    std::string name, value;
    int value_line = 0;
    const auto finish = [&] {
        const std::string expanded = expand_env(value, mark{file, value_line, 0}, diag);
        ::setenv(name.c_str(), expanded.c_str(), 1);
    };

    std::string_view rest = text;
    for (int line_no = 1; !rest.empty(); ++line_no) {
        const auto nl = rest.find('\n');
        const std::string_view raw = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        std::string_view line = trim(raw);
        const int indent = static_cast<int>(line.empty() ? 0 : line.data() - raw.data());

        if (q != quote::none) {   // continuation of a quoted multi-line value: lines are joined
            scan_value(line, q, value);
            if (q == quote::none) finish();
            continue;
        }
        if (line.empty() || line.front() == '#') continue;
        if (line.starts_with("export") && line.size() > 6 && is_blank(line[6])) {
            line.remove_prefix(6);
            while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
        }
        const int line_offset = static_cast<int>(line.data() - raw.data());
        std::size_t eq = 0;
        while (eq < line.size() && is_name_char(line[eq])) ++eq;
        if (eq == line.size() || line[eq] != '=' || eq == 0) {
            const mark where{file, line_no, line_offset + static_cast<int>(eq) + 1};
            if (eq == line.size()) diag.add(mark{file, line_no, indent + 1}, "invalid line (expected KEY=VALUE)");
            else if (line[eq] == '=') diag.add(where, "variable name not found");
            else diag.add(where, "character not allowed for variable name `" + std::string(1, line[eq]) + "`");
            continue;
        }
        name.assign(line.substr(0, eq));
        value.clear();
        value_line = line_no;
        scan_value(line.substr(eq + 1), q, value);
        if (q == quote::none) finish();
    }
    if (q != quote::none) diag.add(mark{file, value_line, 0}, "quotation is not closed in variable " + name);
    return diag.problems().size() == before;
}

}  // namespace aileron::config
