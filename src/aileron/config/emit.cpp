/// @file
/// Printing a node tree as YAML, JSON or TOML (`aileron -t`, tests). Written by hand rather
/// than with the libraries' emitters so that map order, quoting and number formats are ours
/// and every output reads back (through `parse_documents`) as the same kinds and values.

#include <aileron/config/source.hpp>

#include <aileron/detail/quote.hpp>

#include "detail/parsers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace aileron::config {
namespace {


/// Shortest text that reads back as the same double, always with a `.` or an exponent so
/// that it stays a float (not an integer) in YAML, JSON and TOML. Finite values only.
std::string
format_double(double d)
{
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
    std::string s(buffer, ec == std::errc{} ? end : buffer);
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
}

//----------------------------------------------------------------------------------------------
// YAML

bool
yaml_needs_quotes(const std::string& s)
{
    if (s.empty() || !detail::plain_yaml_is_string(s)) return true;
    // YAML 1.1 readers (yaml.v2, many tools) would take these as booleans.
    static constexpr std::string_view yaml11[] = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
                                                  "on", "On", "ON", "off", "Off", "OFF"};
    for (std::string_view w : yaml11)
        if (s == w) return true;
    if (s == "<<") return true;   // a plain << is a merge key
    const char first = s.front();
    if (std::string_view("-?:,[]{}#&*!|>'\"%@`. ").find(first) != std::string_view::npos) return true;
    if (first >= '0' && first <= '9') return true;   // dates, times, 1.1 octals, sexagesimals
    if (s.back() == ' ' || s.back() == ':') return true;
    if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '{' || c == '}' || c == '[' || c == ']' || c == ',') return true;
        if (aileron::detail::c1_or_nonchar_at(s, i) != 0) return true;   // only escaped, in quotes
    }
    return false;
}

void
yaml_string(const std::string& s, std::string& out)
{
    if (!yaml_needs_quotes(s)) {
        out += s;
        return;
    }
    aileron::detail::append_quoted(out, s, aileron::detail::yaml_quote);
}

bool
yaml_inline(const node& n)
{
    return !(n.is_map() && !n.as_map().empty()) && !(n.is_sequence() && !n.as_sequence().empty());
}

void
yaml_scalar(const node& n, std::string& out)
{
    switch (n.kind()) {
    case node::type::null: out += "null"; break;
    case node::type::boolean: out += n.as_bool() ? "true" : "false"; break;
    case node::type::integer: out += std::to_string(n.as_int()); break;
    case node::type::floating: {
        const double d = n.as_double();
        if (std::isnan(d)) out += ".nan";
        else if (std::isinf(d)) out += d < 0 ? "-.inf" : ".inf";
        else out += format_double(d);
        break;
    }
    case node::type::string: yaml_string(n.as_string(), out); break;
    case node::type::sequence: out += "[]"; break;
    case node::type::map: out += "{}"; break;
    }
}

/// A non-empty map or sequence in block style at `indent`; with `first_inline` the first line
/// continues a line already started (`- ` of an enclosing sequence item).
void
yaml_block(const node& n, int indent, bool first_inline, std::string& out)
{
    bool first = true;
    const auto start_line = [&] {
        if (!(first && first_inline)) out.append(static_cast<std::size_t>(indent), ' ');
        first = false;
    };
    const auto value = [&](const node& v, bool in_sequence) {
        if (yaml_inline(v)) {
            out += ' ';
            yaml_scalar(v, out);
            out += '\n';
        } else if (in_sequence) {
            out += ' ';
            yaml_block(v, indent + 2, true, out);
        } else {
            out += '\n';
            yaml_block(v, indent + 2, false, out);
        }
    };
    if (n.is_map()) {
        for (const map_entry& e : n.as_map()) {
            start_line();
            yaml_string(e.key, out);
            out += ':';
            value(e.value, false);
        }
    } else {
        for (const node& item : n.as_sequence()) {
            start_line();
            out += '-';
            value(item, true);
        }
    }
}

//----------------------------------------------------------------------------------------------
// JSON

void
json_string(const std::string& s, std::string& out)
{
    aileron::detail::append_quoted(out, s, aileron::detail::json_quote);
}

void
json_value(const node& n, int indent, bool pretty, std::string& out)
{
    const auto newline = [&](int level) {
        if (!pretty) return;
        out += '\n';
        out.append(static_cast<std::size_t>(level), ' ');
    };
    switch (n.kind()) {
    case node::type::null: out += "null"; return;
    case node::type::boolean: out += n.as_bool() ? "true" : "false"; return;
    case node::type::integer: out += std::to_string(n.as_int()); return;
    case node::type::floating:   // JSON has no infinity or NaN
        out += std::isfinite(n.as_double()) ? format_double(n.as_double()) : "null";
        return;
    case node::type::string: json_string(n.as_string(), out); return;
    case node::type::sequence: {
        const auto& items = n.as_sequence();
        if (items.empty()) {
            out += "[]";
            return;
        }
        out += '[';
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i) out += ',';
            newline(indent + 2);
            json_value(items[i], indent + 2, pretty, out);
        }
        newline(indent);
        out += ']';
        return;
    }
    case node::type::map: {
        const auto& entries = n.as_map();
        if (entries.empty()) {
            out += "{}";
            return;
        }
        out += '{';
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i) out += ',';
            newline(indent + 2);
            json_string(entries[i].key, out);
            out += pretty ? ": " : ":";
            json_value(entries[i].value, indent + 2, pretty, out);
        }
        newline(indent);
        out += '}';
        return;
    }
    }
}

//----------------------------------------------------------------------------------------------
// TOML

void
toml_string(const std::string& s, std::string& out)
{
    aileron::detail::append_quoted(out, s, aileron::detail::toml_quote);
}

std::string
toml_key(const std::string& key)
{
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (bare) return key;
    std::string quoted;
    toml_string(key, quoted);
    return quoted;
}

bool
toml_is_table(const node& n)
{
    return n.is_map() && !n.as_map().empty();
}

bool
toml_is_table_array(const node& n)
{
    return n.is_sequence() && !n.as_sequence().empty() &&
           std::all_of(n.as_sequence().begin(), n.as_sequence().end(), [](const node& i) { return i.is_map(); });
}

/// A value on the right of `=`; nulls inside arrays and inline tables are left out.
void
toml_inline(const node& n, std::string& out)
{
    switch (n.kind()) {
    case node::type::null: return;   // callers skip nulls
    case node::type::boolean: out += n.as_bool() ? "true" : "false"; return;
    case node::type::integer: out += std::to_string(n.as_int()); return;
    case node::type::floating: {
        const double d = n.as_double();
        if (std::isnan(d)) out += "nan";
        else if (std::isinf(d)) out += d < 0 ? "-inf" : "inf";
        else out += format_double(d);
        return;
    }
    case node::type::string: toml_string(n.as_string(), out); return;
    case node::type::sequence: {
        out += '[';
        bool first = true;
        for (const node& item : n.as_sequence()) {
            if (item.is_null()) continue;
            if (!first) out += ", ";
            first = false;
            toml_inline(item, out);
        }
        out += ']';
        return;
    }
    case node::type::map: {
        bool first = true;
        out += '{';
        for (const map_entry& e : n.as_map()) {
            if (e.value.is_null()) continue;
            out += first ? " " : ", ";
            first = false;
            out += toml_key(e.key);
            out += " = ";
            toml_inline(e.value, out);
        }
        out += first ? "}" : " }";
        return;
    }
    }
}

/// Key/value lines first (TOML needs them before any header), then sub-tables `[a.b]` and
/// arrays of tables `[[a.b]]` in document order.
void
toml_table(const node& table, const std::string& path, bool header, std::string& out)
{
    bool has_values = false, has_children = false;
    for (const map_entry& e : table.as_map()) {
        if (e.value.is_null()) continue;
        (toml_is_table(e.value) || toml_is_table_array(e.value) ? has_children : has_values) = true;
    }
    // `[a]` is implied by `[a.b]`; print it only when `a` has values of its own or nothing else.
    if (header && (has_values || !has_children)) {
        if (!out.empty()) out += '\n';
        out += "[" + path + "]\n";
    }
    for (const map_entry& e : table.as_map()) {
        if (e.value.is_null() || toml_is_table(e.value) || toml_is_table_array(e.value)) continue;
        out += toml_key(e.key);
        out += " = ";
        toml_inline(e.value, out);
        out += '\n';
    }
    for (const map_entry& e : table.as_map()) {
        const std::string child = path.empty() ? toml_key(e.key) : path + "." + toml_key(e.key);
        if (toml_is_table(e.value)) {
            toml_table(e.value, child, true, out);
        } else if (toml_is_table_array(e.value)) {
            for (const node& item : e.value.as_sequence()) {
                if (!out.empty()) out += '\n';
                out += "[[" + child + "]]\n";
                toml_table(item, child, false, out);
            }
        }
    }
}

}  // namespace

std::string
to_yaml(const node& n)
{
    std::string out;
    if (yaml_inline(n)) {
        yaml_scalar(n, out);
        out += '\n';
    } else {
        yaml_block(n, 0, false, out);
    }
    return out;
}

std::string
to_json(const node& n, bool pretty)
{
    std::string out;
    json_value(n, 0, pretty, out);
    if (pretty) out += '\n';
    return out;
}

std::string
to_toml(const node& n)
{
    std::string out;
    if (n.is_map()) toml_table(n, {}, false, out);
    return out;
}

}  // namespace aileron::config
