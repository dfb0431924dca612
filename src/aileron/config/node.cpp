/// @file
/// `config::node` and `config::mark`: lookup, building and printing helpers.

#include <aileron/config/node.hpp>

#include <algorithm>
#include <cmath>

namespace aileron::config {

std::string
mark::to_string() const
{
    std::string out = file ? *file : std::string{};
    if (line <= 0) return out;
    if (!out.empty()) out += ':';
    out += std::to_string(line);
    if (column > 0) {
        out += ':';
        out += std::to_string(column);
    }
    return out;
}

const node*
node::find(std::string_view key) const
{
    if (!is_map()) return nullptr;
    for (const map_entry& e : as_map())
        if (e.key == key) return &e.value;
    return nullptr;
}

node*
node::find(std::string_view key)
{
    return const_cast<node*>(static_cast<const node&>(*this).find(key));
}

node&
node::set(std::string key, node value, mark key_mark)
{
    // A null node grows into a map, so trees can be built from a default-constructed node.
    if (is_null()) value_ = map_t{};
    map_t& entries = std::get<map_t>(value_);
    for (map_entry& e : entries) {
        if (e.key != key) continue;
        e.value = std::move(value);
        if (key_mark.file || key_mark.line > 0) e.key_mark = std::move(key_mark);
        return e.value;
    }
    entries.push_back(map_entry{std::move(key), std::move(key_mark), std::move(value)});
    return entries.back().value;
}

node&
node::push_back(node value)
{
    if (is_null()) value_ = sequence_t{};
    sequence_t& items = std::get<sequence_t>(value_);
    items.push_back(std::move(value));
    return items.back();
}

std::string_view
node::type_name(type t) noexcept
{
    switch (t) {
    case type::null: return "null";
    case type::boolean: return "a boolean";
    case type::integer: return "an integer";
    case type::floating: return "a floating-point number";
    case type::string: return "a string";
    case type::sequence: return "a list";
    case type::map: return "a map";
    }
    return "an unknown value";
}

bool
same_values(const node& a, const node& b) noexcept
{
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
    case node::type::null: return true;
    case node::type::boolean: return a.as_bool() == b.as_bool();
    case node::type::integer: return a.as_int() == b.as_int();
    case node::type::floating: {
        const double x = a.as_double(), y = b.as_double();
        return x == y || (std::isnan(x) && std::isnan(y));
    }
    case node::type::string: return a.as_string() == b.as_string();
    case node::type::sequence: {
        const auto& xs = a.as_sequence();
        const auto& ys = b.as_sequence();
        return std::equal(xs.begin(), xs.end(), ys.begin(), ys.end(),
                          [](const node& x, const node& y) { return same_values(x, y); });
    }
    case node::type::map: {
        const auto& xs = a.as_map();
        const auto& ys = b.as_map();
        if (xs.size() != ys.size()) return false;
        return std::all_of(xs.begin(), xs.end(), [&](const map_entry& e) {
            const node* other = b.find(e.key);
            return other && same_values(e.value, *other);
        });
    }
    }
    return false;
}

}  // namespace aileron::config
