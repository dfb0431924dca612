#include <aileron/template/text_template.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

namespace aileron {

using config::node;

namespace {

/// One operand: `.`, a field chain `.a.b` (fields from dot) or a literal.
struct operand {
    bool literal = false;
    std::vector<std::string> fields;   // empty with !literal: dot itself
    node value;                        // the literal
};

enum class func { none, index, len, not_ };

/// One action's pipeline: an operand, or a function applied to operands.
struct pipeline {
    func fn = func::none;
    std::vector<operand> args;
    std::string text;   // the action as written, for execution errors
    int line = 0, column = 0;
};

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_ident(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

struct text_template::node_t {
    enum class kind { list, text, action, if_, range } k = kind::list;
    std::string text;
    pipeline pipe;
    std::vector<node_t> body;
    std::vector<node_t> else_body;
};

namespace {

using tnode = text_template::node_t;

struct parse_failure {
    std::size_t offset;
    std::string message;
};

/// Offset -> (line, column), both from 1 (columns in bytes).
std::pair<int, int> position(std::string_view src, std::size_t off) {
    int line = 1;
    std::size_t start = 0;
    for (std::size_t i = 0; i < off && i < src.size(); ++i)
        if (src[i] == '\n') ++line, start = i + 1;
    return {line, static_cast<int>(off - start) + 1};
}

/// Go's strconv.Unquote for a double-quoted literal (the common escapes).
std::string unquote(std::string_view s, std::size_t off) {
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        char c = s[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        char e = s[++i];
        switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case '\\': out += '\\'; break;
            case '"': out += '"'; break;
            case '\'': out += '\''; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            default: throw parse_failure{off, "invalid syntax in quoted string"};
        }
    }
    return out;
}

class parser {
public:
    explicit parser(std::string_view src) : src_(src) {}

    tnode run() {
        tnode root;
        stack_.push_back({&root, false, false});
        std::size_t pos = 0;
        std::size_t n = src_.size();
        while (pos < n) {
            std::size_t open = src_.find("{{", pos);
            std::string_view text = src_.substr(pos, open == std::string_view::npos ? n - pos : open - pos);
            if (open == std::string_view::npos) {
                add_text(text);
                break;
            }
            std::size_t p = open + 2;
            if (p + 1 < n && src_[p] == '-' && is_space(src_[p + 1])) {
                while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
                p += 2;
            }
            add_text(text);
            std::size_t close = find_close(p, open);
            std::size_t end = close;
            bool rtrim = end >= p + 2 && src_[end - 1] == '-' && is_space(src_[end - 2]);
            if (rtrim) --end;
            action(p, src_.substr(p, end - p), open);
            pos = close + 2;
            if (rtrim)
                while (pos < n && is_space(src_[pos])) ++pos;
        }
        if (stack_.size() > 1) throw parse_failure{n, "unexpected EOF"};
        return root;
    }

private:
    struct frame {
        tnode* n;
        bool in_else;
        bool implicit;   // an `else if`'s if: closed by the same {{end}}
    };

    std::vector<tnode>& current() { return stack_.back().in_else ? stack_.back().n->else_body : stack_.back().n->body; }

    void add_text(std::string_view t) {
        if (t.empty()) return;
        tnode x;
        x.k = tnode::kind::text;
        x.text = std::string{t};
        current().push_back(std::move(x));
    }

    /// The offset of the `}}` closing the action opened at `open`, skipping quoted text and comments.
    std::size_t find_close(std::size_t p, std::size_t open) {
        std::size_t n = src_.size();
        while (p < n) {
            char c = src_[p];
            if (c == '}' && p + 1 < n && src_[p + 1] == '}') return p;
            if (c == '/' && p + 1 < n && src_[p + 1] == '*') {
                std::size_t e = src_.find("*/", p + 2);
                if (e == std::string_view::npos) throw parse_failure{p, "unclosed comment"};
                p = e + 2;
                continue;
            }
            if (c == '"' || c == '`' || c == '\'') {
                std::size_t q = p + 1;
                while (q < n && src_[q] != c) {
                    if (c != '`' && src_[q] == '\\') ++q;
                    if (c != '`' && q < n && src_[q] == '\n') throw parse_failure{p, "unterminated quoted string"};
                    ++q;
                }
                if (q >= n) throw parse_failure{p, c == '`' ? "unterminated raw quoted string" : "unterminated quoted string"};
                p = q + 1;
                continue;
            }
            ++p;
        }
        throw parse_failure{open, "unclosed action"};
    }

    struct token {
        enum class kind { ident, field, string, number } k;
        std::string_view text;
        std::size_t offset;
    };

    std::vector<token> tokenize(std::size_t base, std::string_view s) {
        std::vector<token> out;
        std::size_t i = 0;
        while (i < s.size()) {
            char c = s[i];
            if (is_space(c)) {
                ++i;
                continue;
            }
            std::size_t start = i;
            token::kind k;
            if (c == '.') {
                k = token::kind::field;
                ++i;
                while (i < s.size() && (is_ident(s[i]) || s[i] == '.')) {
                    if (s[i] == '.' && s[i - 1] == '.') throw parse_failure{base + i, "unexpected . after term"};
                    ++i;
                }
                if (i - start > 1 && s[i - 1] == '.') throw parse_failure{base + i - 1, "unexpected . after term"};
            } else if (c == '"' || c == '`') {
                k = token::kind::string;
                ++i;
                while (i < s.size() && s[i] != c) i += (c == '"' && s[i] == '\\') ? 2 : 1;
                ++i;
            } else if ((c >= '0' && c <= '9') || ((c == '-' || c == '+') && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9')) {
                k = token::kind::number;
                ++i;
                while (i < s.size() && (is_ident(s[i]) || s[i] == '.' || ((s[i] == '-' || s[i] == '+') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
                    ++i;
            } else if (is_ident(c)) {
                k = token::kind::ident;
                while (i < s.size() && is_ident(s[i])) ++i;
            } else if (c == '$') {
                throw parse_failure{base + i, "variables are not supported by aileron's templates"};
            } else if (c == '(' || c == ')' || c == '|') {
                throw parse_failure{base + i, std::string{"'"} + c + "' is not supported by aileron's templates"};
            } else {
                throw parse_failure{base + i, std::string{"unexpected \""} + c + "\" in command"};
            }
            if (i < s.size() && !is_space(s[i])) throw parse_failure{base + i, "unexpected \"" + std::string{s.substr(i, 1)} + "\" in operand"};
            out.push_back({k, s.substr(start, std::min(i, s.size()) - start), base + start});
        }
        return out;
    }

    operand make_operand(const token& t) {
        operand o;
        switch (t.k) {
            case token::kind::field: {
                std::string_view f = t.text.substr(1);
                while (!f.empty()) {
                    std::size_t d = f.find('.');
                    o.fields.emplace_back(f.substr(0, d));
                    f = d == std::string_view::npos ? std::string_view{} : f.substr(d + 1);
                }
                break;
            }
            case token::kind::string:
                o.literal = true;
                o.value = node{t.text.front() == '`' ? std::string{t.text.substr(1, t.text.size() - 2)} : unquote(t.text, t.offset)};
                break;
            case token::kind::number: {
                o.literal = true;
                std::string_view s = t.text;
                if (s.front() == '+') s.remove_prefix(1);
                std::int64_t iv = 0;
                auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), iv);
                if (ec == std::errc{} && p == s.data() + s.size()) {
                    o.value = node{iv};
                    break;
                }
                double dv = 0;
                auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), dv);
                if (ec2 != std::errc{} || p2 != s.data() + s.size())
                    throw parse_failure{t.offset, "bad number syntax: \"" + std::string{t.text} + "\""};
                o.value = node{dv};
                break;
            }
            case token::kind::ident:
                if (t.text == "true" || t.text == "false") {
                    o.literal = true;
                    o.value = node{t.text == "true"};
                } else if (t.text == "nil") {
                    throw parse_failure{t.offset, "nil is not a command"};
                } else {
                    throw parse_failure{t.offset, "function \"" + std::string{t.text} + "\" not defined"};
                }
                break;
        }
        return o;
    }

    pipeline make_pipeline(const std::vector<token>& ts, std::size_t from, std::size_t offset, std::string_view text) {
        pipeline p;
        p.text = std::string{text};
        std::tie(p.line, p.column) = position(src_, offset);
        if (from >= ts.size()) throw parse_failure{offset, "missing value for command"};
        const token& first = ts[from];
        if (first.k == token::kind::ident && first.text != "true" && first.text != "false" && first.text != "nil") {
            if (first.text == "index") p.fn = func::index;
            else if (first.text == "len") p.fn = func::len;
            else if (first.text == "not") p.fn = func::not_;
            else throw parse_failure{first.offset, "function \"" + std::string{first.text} + "\" not defined"};
            for (std::size_t i = from + 1; i < ts.size(); ++i) p.args.push_back(make_operand(ts[i]));
            if (p.args.empty() || (p.fn != func::index && p.args.size() != 1))
                throw parse_failure{first.offset, "wrong number of args for " + std::string{first.text} + ": want " +
                                                      (p.fn == func::index ? "at least 1" : "1") + " got " +
                                                      std::to_string(p.args.size())};
            return p;
        }
        if (ts.size() - from > 1) throw parse_failure{ts[from + 1].offset, "can't give argument to non-function " + std::string{first.text}};
        p.args.push_back(make_operand(first));
        return p;
    }

    void action(std::size_t base, std::string_view content, std::size_t open) {
        // A comment: the whole action, between optional trim markers.
        std::string_view trimmed = content;
        while (!trimmed.empty() && is_space(trimmed.front())) trimmed.remove_prefix(1);
        while (!trimmed.empty() && is_space(trimmed.back())) trimmed.remove_suffix(1);
        if (trimmed.starts_with("/*")) {
            if (!trimmed.ends_with("*/") || trimmed.size() < 4) throw parse_failure{open, "comment ends before closing delimiter"};
            return;
        }
        std::vector<token> ts = tokenize(base, content);
        if (ts.empty()) throw parse_failure{open, "missing value for command"};
        const token& t0 = ts[0];
        auto keyword = [&](std::string_view k) { return t0.k == token::kind::ident && t0.text == k; };
        if (keyword("if") || keyword("range")) {
            tnode x;
            x.k = keyword("if") ? tnode::kind::if_ : tnode::kind::range;
            x.pipe = make_pipeline(ts, 1, t0.offset, trimmed);
            current().push_back(std::move(x));
            stack_.push_back({&current().back(), false, false});
        } else if (keyword("else")) {
            if (stack_.size() < 2 || stack_.back().in_else) throw parse_failure{t0.offset, "unexpected {{else}}"};
            stack_.back().in_else = true;
            if (ts.size() > 1) {
                if (!(ts[1].k == token::kind::ident && ts[1].text == "if") || stack_.back().n->k != tnode::kind::if_)
                    throw parse_failure{ts[1].offset, "unexpected \"" + std::string{ts[1].text} + "\" in else"};
                tnode x;
                x.k = tnode::kind::if_;
                x.pipe = make_pipeline(ts, 2, ts[1].offset, trimmed);
                current().push_back(std::move(x));
                stack_.push_back({&current().back(), false, true});
            }
        } else if (keyword("end")) {
            if (ts.size() > 1) throw parse_failure{ts[1].offset, "unexpected \"" + std::string{ts[1].text} + "\" in end"};
            if (stack_.size() < 2) throw parse_failure{t0.offset, "unexpected {{end}}"};
            while (stack_.back().implicit) stack_.pop_back();
            stack_.pop_back();
        } else if (keyword("with") || keyword("define") || keyword("template") || keyword("block") || keyword("break") ||
                   keyword("continue")) {
            throw parse_failure{t0.offset, "{{" + std::string{t0.text} + "}} is not supported by aileron's templates"};
        } else {
            tnode x;
            x.k = tnode::kind::action;
            x.pipe = make_pipeline(ts, 0, t0.offset, trimmed);
            current().push_back(std::move(x));
        }
    }

    std::string_view src_;
    std::vector<frame> stack_;
};

//----------------------------------------------------------------------------------------------
// Execution

struct exec_failure {
    std::string message;
};

/// A value during execution: a node of the data or of the template, or one computed.
struct value {
    const node* ref = nullptr;
    std::optional<node> own;
    const node* get() const { return own ? &*own : (ref && !ref->is_null() ? ref : nullptr); }
};

std::string type_name(const node* v) {
    if (!v) return "<nil>";
    switch (v->kind()) {
        case node::type::boolean: return "bool";
        case node::type::integer: return "int";
        case node::type::floating: return "float64";
        case node::type::string: return "string";
        case node::type::sequence: return "[]interface {}";
        case node::type::map: return "map[string]interface {}";
        default: return "<nil>";
    }
}

bool truth(const node* v) {
    if (!v) return false;
    switch (v->kind()) {
        case node::type::boolean: return v->as_bool();
        case node::type::integer: return v->as_int() != 0;
        case node::type::floating: return v->as_double() != 0;
        case node::type::string: return !v->as_string().empty();
        case node::type::sequence: return !v->as_sequence().empty();
        case node::type::map: return !v->as_map().empty();
        default: return false;
    }
}

/// Go's %v of a float64 (strconv 'g' with the shortest precision, exponent from 1e+06).
std::string go_float(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string sci{buf, r.ptr};
    int exp = std::atoi(sci.c_str() + sci.find('e') + 1);
    if (exp < -4 || exp >= 6) return sci;
    r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    return std::string{buf, r.ptr};
}

void print_to(std::string& out, const node* v, bool nested) {
    if (!v || v->is_null()) {
        out += nested ? "<nil>" : "<no value>";
        return;
    }
    switch (v->kind()) {
        case node::type::boolean: out += v->as_bool() ? "true" : "false"; break;
        case node::type::integer: out += std::to_string(v->as_int()); break;
        case node::type::floating: out += go_float(v->as_double()); break;
        case node::type::string: out += v->as_string(); break;
        case node::type::sequence: {
            out += '[';
            bool first = true;
            for (auto& e : v->as_sequence()) {
                if (!first) out += ' ';
                first = false;
                print_to(out, &e, true);
            }
            out += ']';
            break;
        }
        case node::type::map: {
            std::vector<const config::map_entry*> es;
            for (auto& e : v->as_map()) es.push_back(&e);
            std::sort(es.begin(), es.end(), [](auto* a, auto* b) { return a->key < b->key; });
            out += "map[";
            bool first = true;
            for (auto* e : es) {
                if (!first) out += ' ';
                first = false;
                out += e->key;
                out += ':';
                print_to(out, &e->value, true);
            }
            out += ']';
            break;
        }
        default: break;
    }
}

/// html/template's escaping of a value in HTML text.
void html_escape_to(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
            case '"': out += "&#34;"; break;
            case '&': out += "&amp;"; break;
            case '\'': out += "&#39;"; break;
            case '+': out += "&#43;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\0': out += "\xEF\xBF\xBD"; break;
            default: out += c;
        }
    }
}

class executor {
public:
    executor(std::string& out, bool html) : out_(out), html_(html) {}

    void run(const std::vector<tnode>& list, const node* dot) {
        for (auto& n : list) {
            switch (n.k) {
                case tnode::kind::text: out_ += n.text; break;
                case tnode::kind::action: {
                    value v = eval(n.pipe, dot);
                    const node* x = v.get();
                    if (html_) {
                        if (x) {
                            std::string s;
                            print_to(s, x, false);
                            html_escape_to(out_, s);
                        }
                    } else {
                        print_to(out_, x, false);
                    }
                    break;
                }
                case tnode::kind::if_: {
                    value v = eval(n.pipe, dot);
                    run(truth(v.get()) ? n.body : n.else_body, dot);
                    break;
                }
                case tnode::kind::range: {
                    value v = eval(n.pipe, dot);
                    const node* x = v.get();
                    if (!x) {
                        run(n.else_body, dot);
                    } else if (x->is_sequence()) {
                        if (x->as_sequence().empty()) run(n.else_body, dot);
                        for (auto& e : x->as_sequence()) run(n.body, &e);
                    } else if (x->is_map()) {
                        std::vector<const config::map_entry*> es;
                        for (auto& e : x->as_map()) es.push_back(&e);
                        std::sort(es.begin(), es.end(), [](auto* a, auto* b) { return a->key < b->key; });
                        if (es.empty()) run(n.else_body, dot);
                        for (auto* e : es) run(n.body, &e->value);
                    } else {
                        fail(n.pipe, "range can't iterate over " + printed(x));
                    }
                    break;
                }
                case tnode::kind::list: run(n.body, dot); break;
            }
        }
    }

private:
    [[noreturn]] static void fail(const pipeline& p, const std::string& message) {
        throw exec_failure{std::to_string(p.line) + ":" + std::to_string(p.column) + ": executing at <" + p.text + ">: " + message};
    }

    static std::string printed(const node* x) {
        std::string s;
        print_to(s, x, false);
        return s;
    }

    value operand_value(const pipeline& p, const operand& o, const node* dot) {
        value v;
        if (o.literal) {
            v.ref = &o.value;
            return v;
        }
        const node* cur = dot && !dot->is_null() ? dot : nullptr;
        for (auto& f : o.fields) {
            if (!cur) fail(p, "nil pointer evaluating interface {}." + f);
            if (!cur->is_map()) fail(p, "can't evaluate field " + f + " in type " + type_name(cur));
            cur = cur->find(f);
            if (cur && cur->is_null()) cur = nullptr;
        }
        v.ref = cur;
        return v;
    }

    value eval(const pipeline& p, const node* dot) {
        switch (p.fn) {
            case func::none: return operand_value(p, p.args[0], dot);
            case func::not_: {
                value v;
                v.own = node{!truth(operand_value(p, p.args[0], dot).get())};
                return v;
            }
            case func::len: {
                value a = operand_value(p, p.args[0], dot);
                const node* x = a.get();
                std::int64_t n = 0;
                if (x && x->kind() == node::type::string) n = static_cast<std::int64_t>(x->as_string().size());
                else if (x && x->is_sequence()) n = static_cast<std::int64_t>(x->as_sequence().size());
                else if (x && x->is_map()) n = static_cast<std::int64_t>(x->as_map().size());
                else fail(p, "error calling len: len of type " + type_name(x));
                value v;
                v.own = node{n};
                return v;
            }
            case func::index: {
                value item = operand_value(p, p.args[0], dot);
                for (std::size_t i = 1; i < p.args.size(); ++i) {
                    const node* x = item.get();
                    value key = operand_value(p, p.args[i], dot);
                    const node* k = key.get();
                    if (!x) fail(p, "error calling index: index of untyped nil");
                    value next;
                    if (x->is_map()) {
                        if (!k || k->kind() != node::type::string)
                            fail(p, "error calling index: value has type " + type_name(k) + "; should be string");
                        next.ref = x->find(k->as_string());
                    } else if (x->is_sequence() || x->kind() == node::type::string) {
                        if (!k || k->kind() != node::type::integer)
                            fail(p, "error calling index: cannot index slice/array with type " + type_name(k));
                        std::int64_t ix = k->as_int();
                        std::size_t size = x->is_sequence() ? x->as_sequence().size() : x->as_string().size();
                        if (ix < 0 || static_cast<std::size_t>(ix) >= size)
                            fail(p, "error calling index: index out of range: " + std::to_string(ix));
                        if (x->is_sequence()) {
                            next.ref = &x->as_sequence()[static_cast<std::size_t>(ix)];
                        } else {
                            next.own = node{static_cast<std::int64_t>(static_cast<unsigned char>(x->as_string()[static_cast<std::size_t>(ix)]))};
                        }
                    } else {
                        fail(p, "error calling index: can't index item of type " + type_name(x));
                    }
                    item = std::move(next);
                }
                return item;
            }
        }
        return {};
    }

    std::string& out_;
    bool html_;
};

}  // namespace

std::optional<text_template> text_template::parse(std::string_view source, std::string_view name, escaping esc,
                                                  std::string& error) {
    try {
        parser p{source};
        auto root = std::make_shared<node_t>(p.run());
        text_template t;
        t.root_ = std::move(root);
        t.name_ = std::string{name};
        t.esc_ = esc;
        return t;
    } catch (const parse_failure& f) {
        auto [line, col] = position(source, f.offset);
        error = "template: " + std::string{name} + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + f.message;
        return std::nullopt;
    }
}

bool text_template::execute(const config::node& data, std::string& out, std::string& error) const {
    if (!root_) return true;
    try {
        executor{out, esc_ == escaping::html}.run(root_->body, &data);
        return true;
    } catch (const exec_failure& f) {
        error = "template: " + name_ + ":" + f.message;
        return false;
    }
}

std::string template_print(const config::node* v) {
    std::string s;
    print_to(s, v, false);
    return s;
}

}  // namespace aileron
