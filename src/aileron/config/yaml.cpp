/// @file
/// yaml-cpp -> `config::node`, for YAML and JSON files. Every yaml-cpp exception stops here.
///
/// Plain scalars are typed with the YAML 1.2 core schema (what AILERON's yaml.v3 does for the
/// common cases); quoted and block scalars are strings. yaml-cpp 0.7 does not apply `<<` merge
/// keys, so they are applied here (explicit keys win over merged ones, as in yaml.v3).

#include "detail/parsers.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <charconv>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>

namespace aileron::config::detail {
namespace {

std::string utf8_scalar(const std::string& s);

/// Alias expansion can blow a small file up exponentially ("billion laughs") or loop; these
/// bound the tree built from one document.
constexpr std::size_t max_values = 1'000'000;
constexpr int max_depth = 512;

constexpr std::string_view core_tag = "tag:yaml.org,2002:";

bool
all_of(std::string_view s, bool (*pred)(char)) noexcept
{
    return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool is_dec(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_oct(char c) noexcept { return c >= '0' && c <= '7'; }
bool is_hex(char c) noexcept { return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool
is_null_text(std::string_view s) noexcept
{
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
bool
is_float_text(std::string_view s) noexcept
{
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t int_digits = 0, frac_digits = 0;
    while (i < s.size() && is_dec(s[i])) ++i, ++int_digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && is_dec(s[i])) ++i, ++frac_digits;
        if (int_digits == 0 && frac_digits == 0) return false;
    } else if (int_digits == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        std::size_t exp_digits = 0;
        while (i < s.size() && is_dec(s[i])) ++i, ++exp_digits;
        if (exp_digits == 0) return false;
    }
    return i == s.size();
}

/// Decimal order of magnitude of an unsigned float text, to tell overflow from underflow.
long
magnitude(std::string_view s) noexcept
{
    const std::size_t e = s.find_first_of("eE");
    long exponent = 0;
    if (e != std::string_view::npos) {
        std::string_view x = s.substr(e + 1);
        const bool negative = !x.empty() && x.front() == '-';
        if (!x.empty() && (x.front() == '-' || x.front() == '+')) x.remove_prefix(1);
        if (std::from_chars(x.data(), x.data() + x.size(), exponent).ec != std::errc{}) exponent = 100000;
        if (negative) exponent = -exponent;
    }
    const std::string_view mantissa = s.substr(0, e);
    const std::size_t dot = mantissa.find('.');
    std::string_view whole = mantissa.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : mantissa.substr(dot + 1);
    while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
    if (!whole.empty()) return static_cast<long>(whole.size()) + exponent;
    const std::size_t zeros = fraction.find_first_not_of('0');
    return -static_cast<long>(zeros == std::string_view::npos ? fraction.size() : zeros) + exponent;
}

/// Locale-independent text -> double; values out of range become infinity or zero.
std::optional<double>
parse_double(std::string_view s) noexcept
{
    bool negative = false;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
    if (p != s.data() + s.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) v = magnitude(s) > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    else if (ec != std::errc{}) return std::nullopt;
    return negative ? -v : v;
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
node
resolve_plain(const std::string& s, mark m)
{
    if (is_null_text(s)) {
        node null;
        null.set_where(std::move(m));
        return null;
    }
    if (s == "true" || s == "True" || s == "TRUE") return node{true, std::move(m)};
    if (s == "false" || s == "False" || s == "FALSE") return node{false, std::move(m)};

    std::string_view t = s;
    const bool negative = !t.empty() && t.front() == '-';
    std::string_view digits = (!t.empty() && (t.front() == '-' || t.front() == '+')) ? t.substr(1) : t;
    if (all_of(digits, is_dec)) {
        std::int64_t v = 0;
        const std::string_view signed_digits = negative ? t : digits;
        auto [p, ec] = std::from_chars(signed_digits.data(), signed_digits.data() + signed_digits.size(), v);
        if (ec == std::errc{} && p == signed_digits.data() + signed_digits.size()) return node{v, std::move(m)};
        if (auto d = parse_double(t)) return node{*d, std::move(m)};   // too big for 64 bits
        return node{s, std::move(m)};
    }
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o')) {
        const std::string_view body = t.substr(2);
        const int base = t[1] == 'x' ? 16 : 8;
        if (all_of(body, base == 16 ? is_hex : is_oct)) {
            std::int64_t v = 0;
            auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v, base);
            if (ec == std::errc{} && p == body.data() + body.size()) return node{v, std::move(m)};
            return node{s, std::move(m)};   // does not fit in 64 bits: keep the text
        }
    }
    if (is_float_text(t)) {
        if (auto d = parse_double(t)) return node{*d, std::move(m)};
    }
    if (digits == ".inf" || digits == ".Inf" || digits == ".INF")
        return node{negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity(),
                    std::move(m)};
    if (t == ".nan" || t == ".NaN" || t == ".NAN") return node{std::numeric_limits<double>::quiet_NaN(), std::move(m)};
    return node{s, std::move(m)};
}

class converter {
public:
    converter(std::string_view text, const file_ptr& file, int first_line, diagnostics& diag)
        : text_(text), file_(file), first_line_(first_line), diag_(diag) {}

    mark mark_of(const YAML::Mark& m) const
    {
        if (m.is_null() || m.line < 0) return mark{file_, 0, 0};
        return mark{file_, m.line + first_line_, m.column + 1};
    }

    /// Converts `in`; false when the document had to be abandoned (already reported).
    bool convert(const YAML::Node& in, node& out, int depth)
    {
        const mark where = mark_of(in.Mark());
        if (++values_ > max_values || depth > max_depth) {
            if (!gave_up_)
                diag_.add(where, depth > max_depth ? "values nested too deeply (recursive alias?)"
                                                   : "document has too many values (alias expansion?)");
            gave_up_ = true;
            return false;
        }
        switch (in.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null: out = node{}; out.set_where(where); return true;
        case YAML::NodeType::Scalar: out = scalar(in, where); return true;
        case YAML::NodeType::Sequence: {
            out = node::make_sequence(where);
            for (const YAML::Node& item : in) {
                node value;
                if (!convert(item, value, depth + 1)) return false;
                out.as_sequence().push_back(std::move(value));
            }
            return true;
        }
        case YAML::NodeType::Map: return convert_map(in, out, where, depth);
        }
        return true;
    }

private:
    node scalar(const YAML::Node& in, const mark& where)
    {
        const std::string& tag = in.Tag();
        const std::string text = utf8_scalar(in.Scalar());
        if (tag == "!") return node{text, where};   // quoted or block scalar: always a string
        if (tag.starts_with(core_tag)) {
            const std::string_view name = std::string_view(tag).substr(core_tag.size());
            if (name == "str") return node{text, where};
            node typed = resolve_plain(text, where);
            typed.set_where(where);
            const bool fits = (name == "int" && typed.kind() == node::type::integer) ||
                              (name == "float" && (typed.kind() == node::type::floating ||
                                                   typed.kind() == node::type::integer)) ||
                              (name == "bool" && typed.kind() == node::type::boolean) ||
                              (name == "null" && typed.is_null());
            if (name == "float" && typed.kind() == node::type::integer)
                return node{static_cast<double>(typed.as_int()), where};
            if (!fits && (name == "int" || name == "float" || name == "bool" || name == "null"))
                diag_.add(where, "`" + text + "` is not a valid !!" + std::string(name));
            return typed;
        }
        node typed = resolve_plain(text, where);   // plain, or an application tag we ignore
        typed.set_where(where);
        return typed;
    }

    bool convert_map(const YAML::Node& in, node& out, const mark& where, int depth)
    {
        out = node::make_map(where);
        std::unordered_map<std::string, int> seen;   // key -> line of its first occurrence
        std::vector<node> merges;
        for (const auto& entry : in) {   // iterator values are temporaries: bind, don't point
            const YAML::Node& key = entry.first;
            const mark key_mark = mark_of(key.Mark());
            if (!key.IsScalar() && !key.IsNull()) {
                diag_.add(key_mark, "map keys must be scalars");
                continue;
            }
            const std::string name = key.IsNull() ? std::string{} : utf8_scalar(key.Scalar());
            node value;
            if (!convert(entry.second, value, depth + 1)) return false;
            if (value.is_null() && !written_null(entry.second.Mark())) value.set_where(key_mark);
            if (name == "<<" && key.Tag() == "?") {
                merges.push_back(std::move(value));
                continue;
            }
            if (auto [first, inserted] = seen.emplace(name, key_mark.line); !inserted) {
                diag_.add(key_mark, "duplicate key \"" + name + "\" (first defined at line " +
                                        std::to_string(first->second) + ")");
                continue;
            }
            out.as_map().push_back(map_entry{name, key_mark, std::move(value)});
        }
        // `<<: *base` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all.
        for (node& merge : merges) {
            std::vector<node*> sources;
            if (merge.is_map()) sources.push_back(&merge);
            else if (merge.is_sequence())
                for (node& s : merge.as_sequence()) sources.push_back(&s);
            for (node* source : sources) {
                if (!source->is_map()) {
                    diag_.add(source->where(), "a merge key (<<) needs a map or a list of maps");
                    continue;
                }
                for (map_entry& e : source->as_map())
                    if (seen.emplace(e.key, e.key_mark.line).second) out.as_map().push_back(e);
            }
        }
        return true;
    }

    /// yaml-cpp marks an empty value (`key:`) at the token after it, often the next line;
    /// such values are better reported at their key. True for a written `~`/`null`.
    bool written_null(const YAML::Mark& m) const noexcept
    {
        if (m.is_null() || m.pos < 0 || static_cast<std::size_t>(m.pos) >= text_.size()) return false;
        const std::string_view at = text_.substr(static_cast<std::size_t>(m.pos));
        return at.starts_with("~") || at.starts_with("null") || at.starts_with("Null") || at.starts_with("NULL") ||
               at.starts_with("!");
    }

    std::string_view text_;
    file_ptr file_;
    int first_line_;
    diagnostics& diag_;
    std::size_t values_ = 0;
    bool gave_up_ = false;
};

/// Records where the parser's last document started.
class document_marks final : public YAML::EventHandler {
public:
    YAML::Mark last;
    void OnDocumentStart(const YAML::Mark& m) override { last = m; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

/// Where yaml-cpp 0.7 would report documents without end, or nothing. A token it cannot start a
/// node with at the top of a document (a `,` as the root, or after a root scalar) is left unread
/// and reported as one more empty document, again and again, so YAML::LoadAll never returns and
/// allocates until the process dies. A first pass over the parser's events stops at the first
/// document beyond what the text can hold (one per `---` or `...` line, plus one).
std::optional<YAML::Mark>
runaway_document(const std::string& text)
{
    std::size_t markers = 1;
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 3, "---") == 0 || text.compare(i, 3, "...") == 0) ++markers;
        const std::size_t eol = text.find('\n', i);
        i = eol == std::string::npos ? text.size() : eol + 1;
    }
    std::istringstream in{text};
    YAML::Parser parser{in};
    document_marks marks;
    for (std::size_t docs = 0; parser.HandleNextDocument(marks);)
        if (++docs > markers) return marks.last;
    return std::nullopt;
}

/// The first character of `text` that a YAML reader refuses, as yaml.v3 does: bytes that are not
/// well-formed UTF-8 (overlong forms, surrogates, code points past U+10FFFF) and control
/// characters (C0 but tab, LF and CR; DEL; C1 but NEL; U+FFFE and U+FFFF).
struct unreadable {
    std::size_t at = std::string_view::npos;   ///< byte offset, npos when all is readable
    bool control = false;                      ///< a control character, else not UTF-8
    std::uint32_t code = 0;                    ///< the byte (not UTF-8) or the code point (control)
};

/// The length of the well-formed UTF-8 sequence at byte `i` of `p[0..n)` (no overlong forms,
/// surrogates or code points past U+10FFFF), its code point in `code`; 0 when there is none.
std::size_t
utf8_at(const unsigned char* p, std::size_t n, std::size_t i, std::uint32_t& code) noexcept
{
    const unsigned char c = p[i];
    if (c < 0x80) {
        code = c;
        return 1;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;   // the range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;          // overlong
        else if (c == 0xED) hi = 0x9F;     // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;          // overlong
        else if (c == 0xF4) hi = 0x8F;     // past U+10FFFF
    } else {
        return 0;
    }
    if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return 0;
    code = c & (0xFFu >> (len + 1));
    for (std::size_t k = 1; k < len; ++k) {
        if (k >= 2 && (p[i + k] < 0x80 || p[i + k] > 0xBF)) return 0;
        code = (code << 6) | (p[i + k] & 0x3Fu);
    }
    return len;
}

unreadable
first_unreadable(std::string_view text) noexcept
{
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    for (std::size_t i = 0; i < n;) {
        std::uint32_t code = 0;
        const std::size_t len = utf8_at(p, n, i, code);
        if (len == 0) return {i, false, p[i]};
        if ((code < 0x20 && code != 0x09 && code != 0x0A && code != 0x0D) || code == 0x7F ||
            (code >= 0x80 && code <= 0x9F && code != 0x85) || code == 0xFFFE || code == 0xFFFF)
            return {i, true, code};
        i += len;
    }
    return {};
}

/// yaml-cpp 0.7 writes the escapes `\N` (U+0085) and `\_` (U+00A0) of a double-quoted scalar as
/// one byte each, not as UTF-8. The text was checked to be UTF-8 before it was parsed, so a byte of
/// a scalar that is not part of well-formed UTF-8 came from such an escape: it is written as the
/// code point it stands for. Scalars without one are returned as they are.
std::string
utf8_scalar(const std::string& s)
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::string out;
    std::size_t done = 0;   // bytes of `s` already in `out`
    for (std::size_t i = 0; i < s.size();) {
        std::uint32_t code = 0;
        if (const std::size_t len = utf8_at(p, s.size(), i, code)) {
            i += len;
            continue;
        }
        out.append(s, done, i - done);
        out += static_cast<char>(0xC0 | (p[i] >> 6));
        out += static_cast<char>(0x80 | (p[i] & 0x3F));
        done = ++i;
    }
    if (done == 0) return s;   // all well-formed
    out.append(s, done, std::string::npos);
    return out;
}

}  // namespace

bool
plain_yaml_is_string(const std::string& text)
{
    return resolve_plain(text, mark{}).kind() == node::type::string;
}

void
parse_yaml(std::string_view text, const file_ptr& file, int first_line, std::string_view format_name,
           std::vector<document>& out, diagnostics& diag)
{
    // The position of byte `at` of the text.
    auto mark_at = [&](std::size_t at) {
        const std::string_view before = text.substr(0, at);
        const auto newlines = std::count(before.begin(), before.end(), '\n');
        const std::size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
        return mark{file, first_line + static_cast<int>(newlines), static_cast<int>(at - line_start) + 1};
    };
    // YAML and JSON are Unicode text: bytes that are not UTF-8, and control characters, are an
    // error (as in AILERON's yaml.v3), not passed on into values that no printer could write back.
    if (const unreadable bad = first_unreadable(text); bad.at != std::string_view::npos) {
        char code[16];
        std::snprintf(code, sizeof code, bad.control ? "U+%04X" : "byte 0x%02X", static_cast<unsigned>(bad.code));
        diag.add(mark_at(bad.at),
                 "invalid " + std::string(format_name) + (bad.control ? ": control character " : ": not UTF-8 (") +
                     code + (bad.control ? " is not allowed" : ")"));
        return;
    }
    converter conv(text, file, first_line, diag);
    try {
        const std::string whole{text};
        if (const auto stuck = runaway_document(whole)) {
            diag.add(conv.mark_of(*stuck), "invalid " + std::string(format_name) +
                                               ": did not find expected node content (a ',' outside a flow collection?)");
            return;
        }
        const std::vector<YAML::Node> docs = YAML::LoadAll(whole);
        for (const YAML::Node& doc : docs) {
            if (doc.IsNull() || !doc.IsDefined()) continue;   // empty or comment-only
            const mark where = conv.mark_of(doc.Mark());
            if (!doc.IsMap()) {
                node probe;
                const bool ok = conv.convert(doc, probe, 0);
                diag.add(where, std::string("a config document must be a map (apiVersion, kind, metadata, spec), not ") +
                                    std::string(node::type_name(ok ? probe.kind() : node::type::sequence)));
                continue;
            }
            document d{{}, where};
            if (conv.convert(doc, d.root, 0)) out.push_back(std::move(d));
        }
    } catch (const YAML::Exception& e) {
        diag.add(conv.mark_of(e.mark), "invalid " + std::string(format_name) + ": " + e.msg);
    } catch (const std::exception& e) {
        diag.add(mark{file, first_line, 0}, "invalid " + std::string(format_name) + ": " + e.what());
    }
}

}  // namespace aileron::config::detail
