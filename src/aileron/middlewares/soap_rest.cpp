#include <aileron/middlewares/soap_rest.hpp>

#include <aileron/detail/quote.hpp>

#include <boost/beast/http/error.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <expat.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

namespace aileron::middlewares {

namespace {

//----------------------------------------------------------------------------------------------
// A JSON value that keeps member order and the text of numbers (Go's json.Number).

// An object member. Not a std::pair: a pair of a type still being defined cannot be a vector's
// element in clang 14 (its traits need the pair complete); a struct declared ahead can.
struct jmember;

struct jvalue {
    enum class kind : unsigned char { null, boolean, number, string, array, object };
    kind k = kind::null;
    std::string text;   // a string's value, a number's text, "true" / "false"
    std::vector<jvalue> items;
    std::vector<jmember> members;

    static jvalue of(kind k, std::string text = {});
    /// Sets member `key` (a repeated key keeps its first place and its last value, as a Go map).
    void set(std::string key, jvalue v);
};

struct jmember {
    std::string first;
    jvalue second;
};

jvalue jvalue::of(kind k, std::string text) {
    jvalue v;
    v.k = k;
    v.text = std::move(text);
    return v;
}

void jvalue::set(std::string key, jvalue v) {
    for (auto& [name, value] : members)
        if (name == key) {
            value = std::move(v);
            return;
        }
    members.push_back({std::move(key), std::move(v)});
}

using json_string_view = boost::json::string_view;

/// Builds a `jvalue` from Boost.JSON's parser events.
struct json_builder {
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    std::vector<jvalue> open;         // containers being built
    std::vector<std::string> keys;    // the pending key of each open object
    jvalue root;
    std::string part;

    void put(jvalue v) {
        if (open.empty()) {
            root = std::move(v);
            return;
        }
        jvalue& top = open.back();
        if (top.k == jvalue::kind::array) top.items.push_back(std::move(v));
        else top.set(std::move(keys.back()), std::move(v));
    }
    void put_part(jvalue::kind k, json_string_view s) {
        part.append(s.data(), s.size());
        put(jvalue::of(k, std::move(part)));
        part.clear();
    }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) {
        open.push_back(jvalue::of(jvalue::kind::array));
        return true;
    }
    bool on_array_end(std::size_t, error_code&) {
        jvalue v = std::move(open.back());
        open.pop_back();
        put(std::move(v));
        return true;
    }
    bool on_object_begin(error_code&) {
        open.push_back(jvalue::of(jvalue::kind::object));
        keys.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, error_code&) {
        jvalue v = std::move(open.back());
        open.pop_back();
        keys.pop_back();
        put(std::move(v));
        return true;
    }
    bool on_string_part(json_string_view s, std::size_t, error_code&) {
        part.append(s.data(), s.size());
        return true;
    }
    bool on_string(json_string_view s, std::size_t, error_code&) {
        put_part(jvalue::kind::string, s);
        return true;
    }
    bool on_key_part(json_string_view s, std::size_t, error_code&) {
        part.append(s.data(), s.size());
        return true;
    }
    bool on_key(json_string_view s, std::size_t, error_code&) {
        part.append(s.data(), s.size());
        keys.back() = std::move(part);
        part.clear();
        return true;
    }
    bool on_number_part(json_string_view s, error_code&) {
        part.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t, json_string_view s, error_code&) {
        put_part(jvalue::kind::number, s);
        return true;
    }
    bool on_uint64(std::uint64_t, json_string_view s, error_code&) {
        put_part(jvalue::kind::number, s);
        return true;
    }
    bool on_double(double, json_string_view s, error_code&) {
        put_part(jvalue::kind::number, s);
        return true;
    }
    bool on_bool(bool b, error_code&) {
        put(jvalue::of(jvalue::kind::boolean, b ? "true" : "false"));
        return true;
    }
    bool on_null(error_code&) {
        put(jvalue{});
        return true;
    }
    bool on_comment_part(json_string_view, error_code&) { return true; }
    bool on_comment(json_string_view, error_code&) { return true; }
};

/// The first JSON value of `text` (what follows it is ignored, as Go's json.Decoder does).
std::optional<jvalue> parse_json(std::string_view text, std::string& error) {
    boost::json::parse_options opt;
    opt.max_depth = soap_rest::max_depth;
    boost::json::basic_parser<json_builder> p{opt};
    error_code ec;
    p.write_some(false, text.data(), text.size(), ec);
    if (ec) {
        error = "invalid JSON: " + ec.message();
        return std::nullopt;
    }
    return std::move(p.handler().root);
}

void append_json_string(std::string& out, std::string_view s) {
    std::string quoted;
    detail::append_quoted(quoted, s, detail::json_quote);
    // Go's encoder also escapes U+2028 and U+2029 (line and paragraph separators).
    for (std::size_t i = 0; i < quoted.size(); ++i) {
        if (quoted[i] == '\xe2' && i + 2 < quoted.size() && quoted[i + 1] == '\x80' &&
            (quoted[i + 2] == '\xa8' || quoted[i + 2] == '\xa9')) {
            out += quoted[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
            i += 2;
            continue;
        }
        out += quoted[i];
    }
}

/// Compact JSON with object members sorted by name (Go's encoding of a map).
void write_json(std::string& out, const jvalue& v) {
    switch (v.k) {
    case jvalue::kind::null: out += "null"; return;
    case jvalue::kind::boolean:
    case jvalue::kind::number: out += v.text; return;
    case jvalue::kind::string: append_json_string(out, v.text); return;
    case jvalue::kind::array:
        out += '[';
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            if (i) out += ',';
            write_json(out, v.items[i]);
        }
        out += ']';
        return;
    case jvalue::kind::object: {
        std::vector<const jmember*> sorted;
        for (const auto& m : v.members) sorted.push_back(&m);
        std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
        out += '{';
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            if (i) out += ',';
            append_json_string(out, sorted[i]->first);
            out += ':';
            write_json(out, sorted[i]->second);
        }
        out += '}';
        return;
    }
    }
}

//----------------------------------------------------------------------------------------------
// XML in: Expat builds a small tree.

struct xnode {
    std::string name;   // the qualified name as written ("soap:Envelope")
    std::vector<std::pair<std::string, std::string>> attrs;
    std::string text;
    std::vector<xnode> children;
};

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

struct xml_reader {
    XML_Parser parser = nullptr;
    bool trim_space = false;
    std::vector<xnode> open;
    std::vector<xnode> roots;
    std::string run;   // character data since the last markup (one Go CharData token)
    std::string stopped;

    /// Ends a run of text: as Go's decoders, whitespace-only runs are dropped, others added
    /// trimmed (with trimSpace) or as they are.
    void flush() {
        std::string_view t = trim(run);
        if (!t.empty() && !open.empty()) open.back().text += trim_space ? std::string{t} : run;
        run.clear();
    }
    void stop(std::string why) {
        if (stopped.empty()) stopped = std::move(why);
        XML_StopParser(parser, XML_FALSE);
    }

    static void on_start(void* self, const XML_Char* name, const XML_Char** atts) {
        auto& r = *static_cast<xml_reader*>(self);
        r.flush();
        if (r.open.size() >= soap_rest::max_depth) return r.stop("elements nested too deep");
        xnode n;
        n.name = name;
        for (std::size_t i = 0; atts[i]; i += 2) n.attrs.emplace_back(atts[i], atts[i + 1]);
        r.open.push_back(std::move(n));
    }
    static void on_end(void* self, const XML_Char*) {
        auto& r = *static_cast<xml_reader*>(self);
        r.flush();
        xnode n = std::move(r.open.back());
        r.open.pop_back();
        (r.open.empty() ? r.roots : r.open.back().children).push_back(std::move(n));
    }
    static void on_text(void* self, const XML_Char* s, int len) {
        static_cast<xml_reader*>(self)->run.append(s, static_cast<std::size_t>(len));
    }
    static void on_markup(void* self) { static_cast<xml_reader*>(self)->flush(); }
    static void on_comment(void* self, const XML_Char*) { on_markup(self); }
    static void on_pi(void* self, const XML_Char*, const XML_Char*) { on_markup(self); }
    static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        static_cast<xml_reader*>(self)->stop("a document type declaration is not allowed in SOAP");
    }
};

/// The elements of an XML document, or why it is not one.
std::optional<std::vector<xnode>> parse_xml(std::string_view text, bool trim_space, std::string& error) {
    xml_reader r;
    r.trim_space = trim_space;
    r.parser = XML_ParserCreate(nullptr);
    if (!r.parser) throw std::bad_alloc{};
    XML_SetUserData(r.parser, &r);
    XML_SetElementHandler(r.parser, &xml_reader::on_start, &xml_reader::on_end);
    XML_SetCharacterDataHandler(r.parser, &xml_reader::on_text);
    XML_SetCdataSectionHandler(r.parser, &xml_reader::on_markup, &xml_reader::on_markup);
    XML_SetCommentHandler(r.parser, &xml_reader::on_comment);
    XML_SetProcessingInstructionHandler(r.parser, &xml_reader::on_pi);
    XML_SetStartDoctypeDeclHandler(r.parser, &xml_reader::on_doctype);
    XML_SetParamEntityParsing(r.parser, XML_PARAM_ENTITY_PARSING_NEVER);
    const bool ok = XML_Parse(r.parser, text.data(), static_cast<int>(text.size()), XML_TRUE) == XML_STATUS_OK;
    if (!ok) {
        error = !r.stopped.empty() ? r.stopped
                                   : std::string{"line "} + std::to_string(XML_GetCurrentLineNumber(r.parser)) + ": " +
                                         XML_ErrorString(XML_GetErrorCode(r.parser));
    }
    XML_ParserFree(r.parser);
    if (!ok) return std::nullopt;
    return std::move(r.roots);
}

//----------------------------------------------------------------------------------------------
// XML out, written as Go's xml.Encoder with Indent("", "  ") writes it.

bool in_xml_range(char32_t c) noexcept {
    return c == 0x09 || c == 0x0a || c == 0x0d || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
           (c >= 0x10000 && c <= 0x10ffff);
}

/// Decodes one UTF-8 sequence at s[i]; returns its length (1 with U+FFFD for a bad byte).
std::size_t utf8_next(std::string_view s, std::size_t i, char32_t& c) noexcept {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
        c = 0xfffd;
        return 1;
    }
    c = n == 1 ? b : n == 2 ? (b & 0x1f) : n == 3 ? (b & 0x0f) : (b & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
        const auto cb = static_cast<unsigned char>(s[i + k]);
        if ((cb >> 6) != 2) {
            c = 0xfffd;
            return 1;
        }
        c = c << 6 | (cb & 0x3f);
    }
    return n;
}

/// Go's EscapeText: `"'&<>` as references, tab and CR as character references, line feeds
/// too in attributes, characters XML cannot hold as U+FFFD.
void escape_xml(std::string& out, std::string_view s, bool attribute) {
    for (std::size_t i = 0; i < s.size();) {
        char32_t c = 0;
        const std::size_t n = utf8_next(s, i, c);
        switch (c) {
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\t': out += "&#x9;"; break;
        case '\r': out += "&#xD;"; break;
        case '\n':
            if (attribute) out += "&#xA;";
            else out += '\n';
            break;
        default:
            if (!in_xml_range(c) || (c == 0xfffd && n == 1)) out += "\xef\xbf\xbd";
            else out.append(s.substr(i, n));
        }
        i += n;
    }
}

bool name_start(unsigned char c) noexcept { return std::isalpha(c) || c == '_' || c == ':' || c >= 0x80; }
bool name_char(unsigned char c) noexcept { return name_start(c) || std::isdigit(c) || c == '-' || c == '.'; }
bool valid_name(std::string_view n) noexcept {
    if (n.empty() || !name_start(static_cast<unsigned char>(n.front()))) return false;
    return std::all_of(n.begin(), n.end(), [](char c) { return name_char(static_cast<unsigned char>(c)); });
}

class xml_printer {
public:
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    std::string error;

    bool start(std::string_view name, const std::vector<std::pair<std::string, std::string>>& attrs) {
        if (name.empty()) return fail("an element has no name");
        if (!valid_name(name)) return fail("\"" + std::string{name} + "\" is not an XML name");
        tags_.emplace_back(name);
        indent(1);
        out += '<';
        out += name;
        for (const auto& [k, v] : attrs) {
            if (k.empty()) continue;
            if (!valid_name(k)) return fail("\"" + k + "\" is not an XML attribute name");
            out += ' ';
            out += k;
            out += "=\"";
            escape_xml(out, v, true);
            out += '"';
        }
        out += '>';
        return true;
    }
    void text(std::string_view s) { escape_xml(out, s, false); }
    void end() {
        indent(-1);
        out += "</";
        out += tags_.back();
        out += '>';
        tags_.pop_back();
    }
    bool fail(std::string why) {
        if (error.empty()) error = std::move(why);
        return false;
    }

private:
    /// Go's printer.writeIndent: a line break and indentation before every tag, except before
    /// an end tag that directly follows its start tag or text.
    void indent(int delta) {
        if (delta < 0) {
            --depth_;
            if (indented_in_) {
                indented_in_ = false;
                return;
            }
            indented_in_ = false;
        }
        if (put_newline_) out += '\n';
        else put_newline_ = true;
        for (int i = 0; i < depth_; ++i) out += "  ";
        if (delta > 0) {
            ++depth_;
            indented_in_ = true;
        }
    }

    std::vector<std::string> tags_;
    int depth_ = 0;
    bool put_newline_ = false;
    bool indented_in_ = false;
};

bool starts_with(std::string_view s, std::string_view prefix) noexcept { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

//----------------------------------------------------------------------------------------------
// The conventions

namespace {

struct converter {
    const std::string& name_key;
    const std::string& text_key;
    const std::string& children_key;
    const std::string& attr_prefix;
    const std::string& sep;
    bool trim_space;
    bool prefer_short;

    /// "soap:Envelope" with the namespace separator ("soap_Envelope" for "_").
    std::string qname(std::string_view name) const {
        std::size_t colon = name.find(':');
        if (colon == std::string_view::npos || colon == 0) return std::string{name};
        return std::string{name.substr(0, colon)} + sep + std::string{name.substr(colon + 1)};
    }
    /// The XML name for a JSON key: the separator back to ':' (Go's restoreNamespace).
    std::string restore(std::string_view key) const {
        if (sep == ":" || sep.empty()) return std::string{key};
        std::size_t at = key.find(sep);
        if (at == std::string_view::npos || at == 0) return std::string{key};
        return std::string{key.substr(0, at)} + ":" + std::string{key.substr(at + sep.size())};
    }

    // -- XML to JSON ---------------------------------------------------------------------------

    /// AILERON's mergeChildren: a name seen once is a value, a repeated name an array.
    static void merge(jvalue& target, std::vector<std::string>& keys, std::vector<jvalue>& values) {
        std::map<std::string_view, std::size_t> counts;
        for (const auto& k : keys) ++counts[k];
        for (const auto& [key, count] : counts) {
            if (count == 1) {
                std::size_t i = static_cast<std::size_t>(std::find(keys.begin(), keys.end(), key) - keys.begin());
                target.set(std::string{key}, std::move(values[i]));
                continue;
            }
            jvalue arr = jvalue::of(jvalue::kind::array);
            for (std::size_t i = 0; i < keys.size(); ++i)
                if (keys[i] == key) arr.items.push_back(std::move(values[i]));
            target.set(std::string{key}, std::move(arr));
        }
    }

    std::pair<std::string, jvalue> simple(const xnode& e) const {
        jvalue obj = jvalue::of(jvalue::kind::object);
        for (const auto& [k, v] : e.attrs) obj.set(attr_prefix + qname(k), jvalue::of(jvalue::kind::string, v));
        std::vector<std::string> keys;
        std::vector<jvalue> values;
        for (const xnode& c : e.children) {
            auto [k, v] = simple(c);
            keys.push_back(std::move(k));
            values.push_back(std::move(v));
        }
        merge(obj, keys, values);
        std::optional<jvalue> val;
        if (!e.text.empty()) val = jvalue::of(jvalue::kind::string, e.text);
        if (obj.members.empty()) {
            if (!val) val = jvalue::of(jvalue::kind::string);   // AILERON's empty value ""
            if (prefer_short) return {qname(e.name), std::move(*val)};
        }
        if (val) obj.set(text_key, std::move(*val));
        return {qname(e.name), std::move(obj)};
    }

    jvalue rayfish(const xnode& e) const {
        jvalue children = jvalue::of(jvalue::kind::array);
        for (const auto& [k, v] : e.attrs) {
            jvalue a = jvalue::of(jvalue::kind::object);
            a.set(name_key, jvalue::of(jvalue::kind::string, attr_prefix + qname(k)));
            a.set(text_key, jvalue::of(jvalue::kind::string, v));
            a.set(children_key, jvalue::of(jvalue::kind::array));
            children.items.push_back(std::move(a));
        }
        for (const xnode& c : e.children) children.items.push_back(rayfish(c));
        jvalue obj = jvalue::of(jvalue::kind::object);
        obj.set(name_key, jvalue::of(jvalue::kind::string, qname(e.name)));
        obj.set(text_key, jvalue::of(jvalue::kind::string, e.text));
        obj.set(children_key, std::move(children));
        return obj;
    }

    std::pair<std::string, jvalue> badgerfish(const xnode& e) const {
        jvalue obj = jvalue::of(jvalue::kind::object);
        for (const auto& [k, v] : e.attrs) {
            std::string ns_key;
            if (k == "xmlns") ns_key = text_key;
            else if (starts_with(k, "xmlns:")) ns_key = k.substr(6);
            else {
                obj.set(attr_prefix + qname(k), jvalue::of(jvalue::kind::string, v));
                continue;
            }
            const std::string xmlns = attr_prefix + "xmlns";
            auto it = std::find_if(obj.members.begin(), obj.members.end(), [&](auto& m) { return m.first == xmlns; });
            if (it == obj.members.end() || it->second.k != jvalue::kind::object) {
                obj.set(xmlns, jvalue::of(jvalue::kind::object));
                it = std::find_if(obj.members.begin(), obj.members.end(), [&](auto& m) { return m.first == xmlns; });
            }
            it->second.set(ns_key, jvalue::of(jvalue::kind::string, v));
        }
        std::vector<std::string> keys;
        std::vector<jvalue> values;
        for (const xnode& c : e.children) {
            auto [k, v] = badgerfish(c);
            keys.push_back(std::move(k));
            values.push_back(std::move(v));
        }
        if (!e.text.empty()) {
            keys.push_back(text_key);
            values.push_back(jvalue::of(jvalue::kind::string, e.text));
        }
        merge(obj, keys, values);
        return {qname(e.name), std::move(obj)};   // an empty element is {}
    }

    // -- JSON to XML ---------------------------------------------------------------------------

    /// The text of a JSON scalar for element content; false for objects and arrays.
    bool scalar_text(const jvalue& v, std::string& out) const {
        switch (v.k) {
        case jvalue::kind::string: out = trim_space ? std::string{trim(v.text)} : v.text; return true;
        case jvalue::kind::boolean:
        case jvalue::kind::number: out = v.text; return true;
        case jvalue::kind::null: out.clear(); return true;
        default: return false;
        }
    }

    /// Simple and BadgerFish: element `key` from `elem`.
    bool keyed(xml_printer& p, const std::string& key, const jvalue& elem, bool badger) const {
        if (elem.k == jvalue::kind::array) {
            for (const jvalue& item : elem.items)
                if (!keyed(p, key, item, badger)) return false;
            return true;
        }
        const jvalue* text = nullptr;
        std::vector<std::pair<std::string, std::string>> attrs;
        std::vector<const jmember*> children;
        if (elem.k == jvalue::kind::object) {
            for (const auto& m : elem.members) {
                const auto& [k, v] = m;
                if (k == text_key) {
                    text = &v;
                } else if (starts_with(k, attr_prefix)) {
                    std::string name = restore(std::string_view{k}.substr(attr_prefix.size()));
                    if (v.k == jvalue::kind::string) {
                        attrs.emplace_back(name, v.text);
                    } else if (v.k == jvalue::kind::null) {
                        attrs.emplace_back(name, std::string{});
                    } else if (badger && v.k == jvalue::kind::object) {
                        for (const auto& [kk, vv] : v.members) {
                            if (vv.k != jvalue::kind::string) return p.fail("a namespace must be a string");
                            attrs.emplace_back(kk == text_key ? name : name + ":" + kk, vv.text);
                        }
                    } else {
                        return p.fail("attribute \"" + k + "\" must be a string or null");
                    }
                } else {
                    children.push_back(&m);
                }
            }
        } else {
            text = &elem;
        }
        std::string content;
        const bool has_text = text && text->k != jvalue::kind::null;
        if (has_text && !scalar_text(*text, content))
            return p.fail("the text of \"" + key + "\" must be null, a string, a boolean or a number");
        if (!p.start(restore(key), attrs)) return false;
        if (has_text) p.text(content);
        for (const auto* c : children)
            if (!keyed(p, c->first, c->second, badger)) return false;
        p.end();
        return true;
    }

    bool ray(xml_printer& p, const jvalue& obj) const {
        if (obj.members.empty()) return true;   // an empty object is skipped
        std::string name;
        const jvalue* text = nullptr;
        const jvalue* children = nullptr;
        for (const auto& [k, v] : obj.members) {
            if (k == name_key) {
                if (v.k != jvalue::kind::string) return p.fail(name_key + " must be a string");
                name = v.text;
            } else if (k == text_key) {
                text = &v;
            } else if (k == children_key) {
                if (v.k != jvalue::kind::array) return p.fail(children_key + " must be an array");
                children = &v;
            } else {
                return p.fail("key \"" + k + "\" is not allowed");
            }
        }
        std::vector<std::pair<std::string, std::string>> attrs;
        std::vector<const jvalue*> elems;
        if (children) {
            for (const jvalue& c : children->items) {
                if (c.k != jvalue::kind::object) return p.fail(children_key + " must hold objects");
                const jvalue* n = nullptr;
                const jvalue* t = nullptr;
                for (const auto& [k, v] : c.members) {
                    if (k == name_key) n = &v;
                    else if (k == text_key) t = &v;
                }
                if (!n) return p.fail(name_key + " is missing in a child");
                if (n->k != jvalue::kind::string) return p.fail(name_key + " must be a string");
                if (!starts_with(n->text, attr_prefix)) {
                    elems.push_back(&c);
                    continue;
                }
                std::string attr = restore(std::string_view{n->text}.substr(attr_prefix.size()));
                if (!t || t->k == jvalue::kind::null) attrs.emplace_back(attr, std::string{});
                else if (t->k == jvalue::kind::string) attrs.emplace_back(attr, t->text);
                else return p.fail("attribute \"" + n->text + "\" must be a string or null");
            }
        }
        std::string content;
        if (text && !scalar_text(*text, content))
            return p.fail("the text of \"" + name + "\" must be null, a string, a boolean or a number");
        if (!p.start(restore(name), attrs)) return false;
        p.text(content);
        for (const jvalue* c : elems)
            if (!ray(p, *c)) return false;
        p.end();
        return true;
    }
};

}  // namespace

//----------------------------------------------------------------------------------------------

void soap_rest::config::normalize(aileron::config::decoder& d) {
    if (int{simple.has_value()} + int{rayfish.has_value()} + int{badgerfish.has_value()} > 1)
        d.error("only one of simple, rayfish or badgerfish may be given");
}

soap_rest::soap_rest(const config& cfg) {
    if (int{cfg.simple.has_value()} + int{cfg.rayfish.has_value()} + int{cfg.badgerfish.has_value()} > 1)
        throw std::invalid_argument("SOAPRESTMiddleware: only one of simple, rayfish or badgerfish may be given");
    if (cfg.rayfish) {
        const rayfish_config& c = *cfg.rayfish;
        convention_ = convention::rayfish;
        name_key_ = c.name_key;
        text_key_ = c.text_key;
        children_key_ = c.children_key;
        attr_prefix_ = c.attr_prefix;
        namespace_sep_ = c.namespace_sep;
        trim_space_ = c.trim_space;
    } else if (cfg.badgerfish) {
        const badgerfish_config& c = *cfg.badgerfish;
        convention_ = convention::badgerfish;
        text_key_ = c.text_key;
        attr_prefix_ = c.attr_prefix;
        namespace_sep_ = c.namespace_sep;
        trim_space_ = c.trim_space;
    } else {
        const simple_config c = cfg.simple.value_or(simple_config{});
        convention_ = convention::simple;
        text_key_ = c.text_key;
        attr_prefix_ = c.attr_prefix;
        namespace_sep_ = c.namespace_sep;
        trim_space_ = c.trim_space;
        prefer_short_ = c.prefer_short;
    }
}

soap_rest::conversion soap_rest::xml_to_json(std::string_view xml) const {
    conversion out;
    std::optional<std::vector<xnode>> roots = parse_xml(xml, trim_space_, out.error);
    if (!roots) return out;
    converter cv{name_key_, text_key_, children_key_, attr_prefix_, namespace_sep_, trim_space_, prefer_short_};
    std::vector<jvalue> objs;
    for (const xnode& r : *roots) {
        if (convention_ == convention::rayfish) {
            objs.push_back(cv.rayfish(r));
            continue;
        }
        auto [k, v] = convention_ == convention::simple ? cv.simple(r) : cv.badgerfish(r);
        jvalue o = jvalue::of(jvalue::kind::object);
        o.set(std::move(k), std::move(v));
        objs.push_back(std::move(o));
    }
    jvalue result = jvalue::of(jvalue::kind::object);
    if (objs.size() == 1) {
        result = std::move(objs.front());
    } else if (objs.size() > 1) {
        result = jvalue::of(jvalue::kind::array);
        result.items = std::move(objs);
    }
    write_json(out.text, result);
    out.text += '\n';
    return out;
}

soap_rest::conversion soap_rest::json_to_xml(std::string_view json) const {
    conversion out;
    std::optional<jvalue> v = parse_json(json, out.error);
    if (!v) return out;
    std::vector<const jvalue*> objs;
    if (v->k == jvalue::kind::object) {
        objs.push_back(&*v);
    } else if (v->k == jvalue::kind::array) {
        for (const jvalue& item : v->items) {
            if (item.k != jvalue::kind::object) {
                out.error = "the JSON must be an object or an array of objects";
                return out;
            }
            objs.push_back(&item);
        }
    } else {
        out.error = "the JSON must be an object or an array of objects";
        return out;
    }
    converter cv{name_key_, text_key_, children_key_, attr_prefix_, namespace_sep_, trim_space_, prefer_short_};
    xml_printer p;
    for (const jvalue* o : objs) {
        bool ok = true;
        if (convention_ == convention::rayfish) {
            ok = cv.ray(p, *o);
        } else {
            for (const auto& [k, item] : o->members)
                if (ok) ok = cv.keyed(p, k, item, convention_ == convention::badgerfish);
        }
        if (!ok) {
            out.error = p.error;
            return out;
        }
    }
    out.text = std::move(p.out);
    return out;
}

//----------------------------------------------------------------------------------------------
// The middleware

namespace {

/// Go's mime.ParseMediaType, enough for SOAP: the lower-cased media type and its parameters
/// (names lower-cased, quoted values unquoted); an empty type when it does not parse.
std::string parse_media_type(std::string_view value, std::vector<std::pair<std::string, std::string>>* params) {
    auto lower = [](std::string_view s) {
        std::string out{s};
        std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return out;
    };
    const std::size_t semi = value.find(';');
    std::string type = lower(trim(value.substr(0, semi)));
    if (type.find('/') == std::string::npos) return {};
    std::string_view rest = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
    while (params && !rest.empty()) {
        const std::size_t eq = rest.find('=');
        if (eq == std::string_view::npos) break;
        std::string key = lower(trim(rest.substr(0, eq)));
        rest.remove_prefix(eq + 1);
        while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
        std::string val;
        if (!rest.empty() && rest.front() == '"') {   // a quoted value may hold ';'
            std::size_t i = 1;
            for (; i < rest.size() && rest[i] != '"'; ++i) {
                if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
                val += rest[i];
            }
            rest.remove_prefix(std::min(rest.size(), i + 1));
        } else {
            val = std::string{trim(rest.substr(0, rest.find(';')))};
        }
        const std::size_t next = rest.find(';');
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        params->emplace_back(std::move(key), std::move(val));
    }
    return type;
}

}  // namespace

std::optional<response> soap_rest::accept(const request& req, soap_call& call) const {
    std::vector<std::pair<std::string, std::string>> params;
    call.media_type = parse_media_type(req[http::field::content_type], &params);
    if (call.media_type == "application/soap+xml") {
        call.content_type = "application/soap+xml; charset=utf-8";
        for (auto& [k, v] : params)
            if (k == "action") call.action = v;
        return std::nullopt;
    }
    if (call.media_type == "text/xml" && req.find("SOAPAction") != req.end()) {
        call.content_type = "text/xml; charset=utf-8";
        call.action = req["SOAPAction"];
        return std::nullopt;
    }
    return error_response(req, http_error{.status = http::status::forbidden,
                                          .code = "E3216",
                                          .kind = "AppMiddleSOAPRESTVersionMismatch",
                                          .message = "not a SOAP 1.1 or 1.2 request"});
}

response soap_rest::read_failed(const request& req, error_code ec) {
    const bool too_large = ec == http::error::body_limit;
    return error_response(req, http_error{.status = too_large ? http::status::payload_too_large : http::status::bad_request,
                                          .code = "E3217",
                                          .kind = "AppMiddleSOAPRESTReadXMLBody",
                                          .message = "cannot read the XML body: " + ec.message()});
}

response soap_rest::conversion_failed(const request& req, const std::string& why) {
    return error_response(req, http_error{.status = http::status::bad_request,
                                          .code = "E3218",
                                          .kind = "AppMiddleSOAPRESTConvertXMLtoJSON",
                                          .message = "cannot convert the XML body to JSON: " + why});
}

soap_rest::rewritten_request::rewritten_request(request& req, const soap_call& call, std::string json)
    : req_(req), original_body_(&req.body()), json_(std::move(json)) {
    const std::string length = std::to_string(*json_.size());
    const std::pair<std::string_view, std::string_view> headers[] = {
        {"Content-Type", "application/json"},   {"Accept", "application/json"},
        {"X-SOAP-Action", call.action},         {"X-Content-Type", call.media_type},
        {"Content-Length", length},             {"Transfer-Encoding", {}},
    };
    for (const auto& [name, value] : headers) {
        auto it = req.find(name);
        saved_.emplace_back(std::string{name}, it == req.end() ? std::nullopt : std::optional<std::string>{it->value()});
        if (name == "Transfer-Encoding") req.erase(name);
        else req.set(name, value);
    }
    req.set_body(&json_);
}

soap_rest::rewritten_request::~rewritten_request() {
    req_.set_body(original_body_);
    for (auto& [name, value] : saved_) {
        if (value) req_.set(name, *value);
        else req_.erase(name);
    }
}

task<response> soap_rest::to_soap(const request& req, const soap_call& call, response res) const {
    res.erase(http::field::content_length);
    if (parse_media_type(res[http::field::content_type], nullptr) != "application/json")
        co_return error_response(req, http_error{.status = http::status::internal_server_error,
                                                 .code = "E3219",
                                                 .kind = "AppMiddleSOAPRESTInvalidContentType",
                                                 .message = "the answer is not application/json"});
    std::string json;
    if (body_source* src = res.stream()) {
        for (;;) {
            result<asio::const_buffer> piece = co_await src->next();
            if (!piece)
                co_return error_response(req, http_error{.status = http::status::bad_gateway,
                                                         .message = "reading the JSON answer: " + piece.error().message()});
            if (piece->size() == 0) break;
            if (json.size() + piece->size() > max_body)
                co_return error_response(req, http_error{.status = http::status::internal_server_error,
                                                         .code = "E3220",
                                                         .kind = "AppMiddleSOAPRESTConvertJSONtoXML",
                                                         .message = "the JSON answer is larger than 10 MiB"});
            json.append(static_cast<const char*>(piece->data()), piece->size());
        }
        res.set_stream(nullptr);
    } else {
        json = std::move(res.body());
    }
    conversion xml = json_to_xml(json);
    if (!xml)
        co_return error_response(req, http_error{.status = http::status::internal_server_error,
                                                 .code = "E3220",
                                                 .kind = "AppMiddleSOAPRESTConvertJSONtoXML",
                                                 .message = "cannot convert the JSON answer to XML: " + xml.error});
    res.erase(http::field::transfer_encoding);
    res.set(http::field::content_type, call.content_type);
    res.body() = std::move(xml.text);
    res.prepare_payload();
    co_return res;
}

}  // namespace aileron::middlewares
