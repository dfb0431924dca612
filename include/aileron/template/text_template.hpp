#pragma once
/// @file
/// `text_template`: a subset of Go's `text/template` (and, with `escaping::html`, the
/// value escaping of `html/template` in HTML text), parsed once and executed many times
/// against a `config::node` data tree (maps, lists, strings, numbers, booleans).
///
/// Supported: text, `{{.}}`, `{{.a}}`, `{{.a.b}}`, `{{index .header "Accept"}}` (maps and
/// lists, several keys), `{{len .x}}`, `{{not .x}}`, string/number/bool literals,
/// `{{if P}}…{{else if P}}…{{else}}…{{end}}`, `{{range P}}…{{else}}…{{end}}` (lists; maps in key
/// order), `{{/* comments */}}`, and the trim markers `{{- ` and ` -}}`. Values print as Go's
/// `fmt.Print` does (`[a b]` for lists, `map[k:v]` for maps); a missing map key prints
/// `<no value>` (empty with HTML escaping, as `html/template` does).
///
/// @par Example
/// @code
/// std::string error;
/// auto t = text_template::parse("Hi {{.name}}!", "greeting", text_template::escaping::none, error);
/// std::string out;
/// if (t && t->execute(data, out, error)) send(out);
/// @endcode

#include <aileron/config/node.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aileron {

class text_template {
public:
    enum class escaping { none, html };

    /// Parses `source`. On a syntax error returns nullopt and sets `error` to Go's form:
    /// `template: <name>:<line>:<column>: <message>`.
    static std::optional<text_template> parse(std::string_view source, std::string_view name, escaping esc,
                                              std::string& error);

    /// Appends the output for `data` to `out`. On an execution error (a field of a string, an
    /// index out of range, ranging over a scalar...) returns false with `error` set; `out` then
    /// holds what was written before the error.
    bool execute(const config::node& data, std::string& out, std::string& error) const;

    struct node_t;   // the parse tree (defined in the .cpp)

private:
    std::shared_ptr<const node_t> root_;
    std::string name_;
    escaping esc_ = escaping::none;
};

/// Go's `fmt.Print` of a data value (`<no value>` for null), as templates print it.
std::string template_print(const config::node* v);

}  // namespace aileron
