#pragma once
/// @file
/// The format-neutral config tree. YAML, JSON and TOML documents are all parsed into
/// `config::node`, which remembers where every value came from, so that every later error
/// (decoding, validation, reference resolution) can name file, line and column.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace aileron::config {

/// A position in a config file. Lines and columns are 1-based; 0 means unknown.
struct mark {
    std::shared_ptr<const std::string> file;   ///< shared by every node of one file
    int line = 0;
    int column = 0;

    /// "path/to/file.yaml:12:5" (or just the file name when the position is unknown).
    std::string to_string() const;
};

struct map_entry;   // defined below: a key, its position and its value

/**
 * A config value: null, bool, integer, floating, string, sequence or map.
 *
 * Scalars are typed by the parser: YAML plain scalars follow the YAML 1.2 core schema
 * (`true`, `42`, `1.5`, `null`, `~`), quoted YAML scalars and JSON strings are strings, TOML
 * values keep their TOML type (dates become strings). Map entries keep document order.
 */
class node {
public:
    enum class type { null, boolean, integer, floating, string, sequence, map };
    using sequence_t = std::vector<node>;
    using map_t = std::vector<map_entry>;

    node() = default;
    explicit node(bool v, mark m = {});
    explicit node(std::int64_t v, mark m = {});
    explicit node(double v, mark m = {});
    explicit node(std::string v, mark m = {});
    explicit node(sequence_t v, mark m = {});
    explicit node(map_t v, mark m = {});   // defined below, once map_entry is complete

    static node make_map(mark m = {});
    static node make_sequence(mark m = {});

    type kind() const noexcept { return static_cast<type>(value_.index()); }
    bool is_null() const noexcept { return kind() == type::null; }
    bool is_map() const noexcept { return kind() == type::map; }
    bool is_sequence() const noexcept { return kind() == type::sequence; }
    bool is_scalar() const noexcept { return !is_map() && !is_sequence() && !is_null(); }

    const mark& where() const noexcept { return mark_; }
    void set_where(mark m) { mark_ = std::move(m); }

    // Checked accessors: call only after testing kind().
    bool as_bool() const { return std::get<bool>(value_); }
    std::int64_t as_int() const { return std::get<std::int64_t>(value_); }
    double as_double() const { return std::get<double>(value_); }
    const std::string& as_string() const { return std::get<std::string>(value_); }
    const sequence_t& as_sequence() const { return std::get<sequence_t>(value_); }
    sequence_t& as_sequence() { return std::get<sequence_t>(value_); }
    const map_t& as_map() const { return std::get<map_t>(value_); }
    map_t& as_map() { return std::get<map_t>(value_); }

    /// The value of `key` in a map node, or nullptr (also for non-maps).
    const node* find(std::string_view key) const;
    node* find(std::string_view key);
    /// Appends (or replaces) `key` in a map node and returns the stored value. A null node
    /// becomes an empty map first; on replacement the key mark is kept unless one is given.
    node& set(std::string key, node value, mark key_mark = {});
    /// Appends to a sequence node and returns the stored value (a null node becomes a list).
    node& push_back(node value);

    /// A short human name of the type, for messages: "a map", "a string", ...
    static std::string_view type_name(type t) noexcept;

private:
    std::variant<std::monostate, bool, std::int64_t, double, std::string, sequence_t, map_t> value_;
    mark mark_;
};

/// One key of a map node, with the position of the key itself (where "unknown field" points).
struct map_entry {
    std::string key;
    mark key_mark;
    node value;
};

// Constructors are defined out of the class: clang needs map_entry complete before the variant
// holding vector<map_entry> is constructed.
inline node::node(bool v, mark m) : value_(v), mark_(std::move(m)) {}
inline node::node(std::int64_t v, mark m) : value_(v), mark_(std::move(m)) {}
inline node::node(double v, mark m) : value_(v), mark_(std::move(m)) {}
inline node::node(std::string v, mark m) : value_(std::move(v)), mark_(std::move(m)) {}
inline node::node(sequence_t v, mark m) : value_(std::move(v)), mark_(std::move(m)) {}
inline node node::make_sequence(mark m) { return node{sequence_t{}, std::move(m)}; }
inline node::node(map_t v, mark m) : value_(std::move(v)), mark_(std::move(m)) {}
inline node node::make_map(mark m) { return node{map_t{}, std::move(m)}; }

/**
 * True when `a` and `b` hold the same kinds and values, ignoring marks. Maps compare as sets of
 * keys (entry order does not matter, so a TOML round trip that moves tables last still
 * compares equal); sequences compare in order; NaN equals NaN.
 */
bool same_values(const node& a, const node& b) noexcept;

}  // namespace aileron::config
