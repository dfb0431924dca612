/// @file
/// toml++ -> `config::node`. Every toml++ exception stops here.
///
/// A TOML file holds one resource at the top level (`apiVersion`, `kind`, `metadata`, `spec`)
/// or several as `[[resource]]` tables. toml++ keeps tables sorted by key, so entries are put
/// back in document order using the source position of each key.

#include "detail/parsers.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>
#include <tuple>

namespace aileron::config::detail {
namespace {

mark
mark_of(const file_ptr& file, const toml::source_region& r)
{
    return mark{file, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

template <class T>
std::string
print(const T& value)
{
    std::ostringstream out;
    out << value;
    return out.str();
}

node
convert(const toml::node& in, const file_ptr& file)
{
    const mark where = mark_of(file, in.source());
    switch (in.type()) {
    case toml::node_type::table: {
        node out = node::make_map(where);
        for (const auto& [key, value] : *in.as_table())
            out.as_map().push_back(map_entry{std::string(key.str()), mark_of(file, key.source()), convert(value, file)});
        std::stable_sort(out.as_map().begin(), out.as_map().end(), [](const map_entry& a, const map_entry& b) {
            return std::tie(a.key_mark.line, a.key_mark.column) < std::tie(b.key_mark.line, b.key_mark.column);
        });
        return out;
    }
    case toml::node_type::array: {
        node out = node::make_sequence(where);
        for (const toml::node& item : *in.as_array()) out.as_sequence().push_back(convert(item, file));
        return out;
    }
    case toml::node_type::string: return node{std::string(in.as_string()->get()), where};
    case toml::node_type::integer: return node{in.as_integer()->get(), where};
    case toml::node_type::floating_point: return node{in.as_floating_point()->get(), where};
    case toml::node_type::boolean: return node{in.as_boolean()->get(), where};
    case toml::node_type::date: return node{print(in.as_date()->get()), where};
    case toml::node_type::time: return node{print(in.as_time()->get()), where};
    case toml::node_type::date_time: return node{print(in.as_date_time()->get()), where};
    case toml::node_type::none: break;
    }
    node null;
    null.set_where(where);
    return null;
}

/// The mark of a table's first key in document order (toml++ gives the root table no position).
mark
first_key_mark(const node& table, const file_ptr& file)
{
    if (table.is_map() && !table.as_map().empty()) return table.as_map().front().key_mark;
    return mark{file, 1, 1};
}

}  // namespace

void
parse_toml(std::string_view text, const file_ptr& file, std::vector<document>& out, diagnostics& diag)
{
    try {
        const toml::table root = toml::parse(text, std::string_view(*file));
        if (root.empty()) return;   // empty or comment-only file

        const toml::node* resources = root.get("resource");
        if (resources && resources->is_array_of_tables()) {
            if (root.size() > 1) {
                diag.add(mark_of(file, resources->source()),
                         "a TOML file holds either one resource at the top level or [[resource]] tables, not both");
                return;
            }
            for (const toml::node& table : *resources->as_array()) {
                node doc = convert(table, file);
                const mark header = mark_of(file, table.source());   // the `[[resource]]` line
                const mark where = header.line > 0 ? header : first_key_mark(doc, file);
                doc.set_where(where);
                out.push_back(document{std::move(doc), where});
            }
            return;
        }
        node doc = convert(root, file);
        const mark where = first_key_mark(doc, file);
        doc.set_where(where);
        out.push_back(document{std::move(doc), where});
    } catch (const toml::parse_error& e) {
        diag.add(mark_of(file, e.source()), "invalid TOML: " + std::string(e.description()));
    } catch (const std::exception& e) {
        diag.add(mark{file, 0, 0}, std::string("invalid TOML: ") + e.what());
    }
}

}  // namespace aileron::config::detail
