#pragma once
/// @file
/// Typed decoding of `config::node` trees into plain C++ config structs, and encoding back.
///
/// The rules are protojson's, as AILERON applies them (spec §2.5–§2.7, §7 items 7–8):
/// - a field is found by its JSON name or its proto name; unknown fields are problems;
/// - integers accept a number or a string holding one, enums a name or a number;
/// - `null` leaves the default; zero values (0, false, "", the zero enumerator) do not override
///   non-zero defaults (AILERON's `proto.Merge(default, user)`); lists append to the default
///   list, maps merge keys, nested structs merge field-wise;
/// - decoding goes on after a problem, so one pass reports every problem of a document.
///
/// A config struct is a plain aggregate with defaults that lists its fields:
/// @code
/// struct http_config {
///     std::int64_t read_timeout = 30;
///     static constexpr auto fields() {
///         return std::tuple{config::field("readTimeout", &http_config::read_timeout)};
///     }
///     void normalize(config::decoder& d);   // optional: AILERON's Mutate() + Validate()
/// };
/// @endcode

#include <aileron/config/diagnostics.hpp>
#include <aileron/config/node.hpp>

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace aileron::config {

class decoder;

//----------------------------------------------------------------------------------------------
// Describing config types

/// One entry of a struct's `fields()`: names and member pointer. Made by `field()` and
/// `required_field()`; not spelled out by users.
template <class Struct, class Member>
struct field_t {
    using struct_type = Struct;
    using member_type = Member;

    std::string_view json_name;    ///< the YAML/JSON name, e.g. "readTimeout"
    std::string_view proto_name;   ///< empty: `default_proto_name(json_name)`
    Member Struct::*member;
    bool required = false;         ///< absent or null is reported as "is required"
};

/// A field known by `json_name` and by the proto name derived from it (`default_proto_name`).
template <class Struct, class Member>
constexpr field_t<Struct, Member>
field(std::string_view json_name, Member Struct::*member) noexcept
{
    return {json_name, {}, member, false};
}

/// A field whose proto name is not derivable from the JSON name
/// (`field("httpTransportConfig", "HTTPTransportConfig", &spec::transport)`).
template <class Struct, class Member>
constexpr field_t<Struct, Member>
field(std::string_view json_name, std::string_view proto_name, Member Struct::*member) noexcept
{
    return {json_name, proto_name, member, false};
}

/// Like `field()`, but a document that leaves the field out (or sets it to null) gets
/// "is required" at the field's path.
template <class Struct, class Member>
constexpr field_t<Struct, Member>
required_field(std::string_view json_name, Member Struct::*member) noexcept
{
    return {json_name, {}, member, true};
}

template <class Struct, class Member>
constexpr field_t<Struct, Member>
required_field(std::string_view json_name, std::string_view proto_name, Member Struct::*member) noexcept
{
    return {json_name, proto_name, member, true};
}

/**
 * The proto field name AILERON's protos use for a JSON name: the JSON name with its first
 * word upper-cased as Go does (`shutdownTimeout` → `ShutdownTimeout`; a leading Go initialism
 * is upper-cased whole: `httpConfig` → `HTTPConfig`, `tlsConfig` → `TLSConfig`,
 * `apiVersion` → `APIVersion`, `http2Config` → `HTTP2Config`). Pass the proto name to
 * `field()` when this guess is wrong.
 */
std::string default_proto_name(std::string_view json_name);

/// Specialise for each config enum: `values` lists (name, enumerator) pairs; the enum number
/// accepted in documents is the enumerator's underlying value.
/// @code
/// template <> struct config::enum_traits<match_type> {
///     static constexpr std::array values{std::pair{std::string_view{"Exact"}, match_type::exact}};
/// };
/// @endcode
template <class E>
struct enum_traits {};

namespace detail {

template <class T, class Tuple>
struct is_field_tuple : std::false_type {};

template <class T, class... S, class... M>
struct is_field_tuple<T, std::tuple<field_t<S, M>...>>
    : std::bool_constant<(std::is_base_of_v<S, T> && ...)> {};

}  // namespace detail

/// A config struct: default-constructible, with `static constexpr auto fields()` returning a
/// `std::tuple` of `field(...)`s of its members.
///
/// (`requires { T{}; }` rather than `std::default_initializable`: clang 14 caches
/// `is_constructible<T>` as false when a struct nested in a class is used in `std::optional`
/// before the class is complete, although `T{}` is valid once it is.)
template <class T>
concept described =
    std::is_class_v<T> &&
    requires { T{}; } &&
    requires { T::fields(); } &&
    detail::is_field_tuple<T, std::remove_cvref_t<decltype(T::fields())>>::value;

/// An enum with an `enum_traits` specialisation.
template <class E>
concept described_enum =
    std::is_enum_v<E> &&
    requires {
        { enum_traits<E>::values.size() } -> std::convertible_to<std::size_t>;
        { enum_traits<E>::values[0].first } -> std::convertible_to<std::string_view>;
        { enum_traits<E>::values[0].second } -> std::convertible_to<E>;
    };

/// A described struct with `void normalize(decoder&)`, called after the struct is decoded
/// (AILERON's `Mutate()` + `Validate()`); it reports problems with `decoder::error`.
template <class T>
concept normalizable = requires(T& t, decoder& d) { t.normalize(d); };

//----------------------------------------------------------------------------------------------
// References between resources

/**
 * A reference to another resource (AILERON's `kernel.Reference`), written in documents as
 * `{apiVersion: core/v1, kind: HTTPHandler, namespace: ..., name: ...}`. `apiVersion` and
 * `kind` are required; an empty or absent namespace or name means "default".
 */
struct reference {
    std::string api_version;       ///< `^[0-9A-Za-z]+/[0-9A-Za-z]+$`, e.g. "core/v1"
    std::string kind;              ///< `^[0-9A-Za-z]+$`, e.g. "HTTPHandler"
    std::string ns = "default";    ///< `^[0-9A-Za-z-.]*$`
    std::string name = "default";  ///< `^[0-9A-Za-z-.]*$`
    mark where;                    ///< set by the decoder: where the reference was written
    std::string path;              ///< set by the decoder: its field path, for later errors

    /// "core/v1/HTTPServer/default/x", the key resources are stored under.
    std::string id() const;
    /// True when nothing was referenced (no apiVersion and no kind).
    bool empty() const noexcept { return api_version.empty() && kind.empty(); }

    static constexpr auto
    fields()
    {
        return std::tuple{
            config::field("apiVersion", "APIVersion", &reference::api_version),
            config::field("kind", "Kind", &reference::kind),
            config::field("namespace", "Namespace", &reference::ns),
            config::field("name", "Name", &reference::name),
        };
    }
    /// Checks the required fields and the name patterns.
    void normalize(decoder& d);

    /// Compares what is referenced; `where` and `path` are ignored.
    friend bool operator==(const reference& a, const reference& b) noexcept
    {
        return a.api_version == b.api_version && a.kind == b.kind && a.ns == b.ns &&
               a.name == b.name;
    }
};

//----------------------------------------------------------------------------------------------
// Supported member types

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <class V, class C, class A>
struct is_string_map<std::map<std::string, V, C, A>> : std::true_type {};

template <class T>
inline constexpr bool is_integer_v = std::same_as<T, std::int32_t> ||
                                     std::same_as<T, std::uint32_t> ||
                                     std::same_as<T, std::int64_t>;

template <class T>
struct is_decodable
    : std::bool_constant<std::same_as<T, bool> || is_integer_v<T> || std::same_as<T, double> ||
                         std::same_as<T, std::string> || std::same_as<T, node> ||
                         described_enum<T> || described<T>> {};
template <class T>
struct is_decodable<std::optional<T>> : is_decodable<T> {};
template <class T, class A>
struct is_decodable<std::vector<T, A>> : is_decodable<T> {};
template <class V, class C, class A>
struct is_decodable<std::map<std::string, V, C, A>> : is_decodable<V> {};
// std::vector<bool> elements are proxies: not worth supporting.
template <class A>
struct is_decodable<std::vector<bool, A>> : std::false_type {};

}  // namespace detail

/// A type `decode` and `encode` handle: bool, std::int32_t, std::uint32_t, std::int64_t,
/// double, std::string, described enums, std::optional / std::vector / std::map<std::string, _>
/// of decodable types, described structs (including `reference`) and `node` (a raw copy).
template <class T>
concept decodable = detail::is_decodable<T>::value;

//----------------------------------------------------------------------------------------------
// The decoder

/**
 * Decoding state: where problems go, which resource is decoded, and the field path and node
 * being decoded. `normalize()` functions receive it to report validation problems.
 */
class decoder {
public:
    /// Problems are added to `diag`, tagged with `resource_id`; paths start at `base_path`.
    decoder(diagnostics& diag, std::string resource_id, std::string base_path = "spec");
    decoder(const decoder&) = delete;
    decoder& operator=(const decoder&) = delete;

    /// Reports `message` at the current path and node.
    void error(std::string message);
    /// Reports `message` at `<path>.<relative_field>` (`relative_field` may go deeper:
    /// "listenConfig.addr", "hosts[1]"), pointing at that field's node when the document has it
    /// and at the current node otherwise.
    void error(std::string_view relative_field, std::string message);
    /// Reports `message` at the current path but at an explicit position.
    void error_at(const mark& where, std::string message);

    /// "spec.virtualHosts[0].handlers[1]"
    const std::string& path() const noexcept { return path_; }
    const std::string& resource() const noexcept { return resource_; }
    /// The node being decoded (null before decoding starts).
    const node* current() const noexcept { return node_; }
    /// How many problems this decoder reported so far.
    std::size_t problem_count() const noexcept { return count_; }

    /// Decodes `n` into `out` at the current path. A null `n` keeps `out` as it is, except that
    /// a struct is then decoded as if from an empty map (required fields, `normalize`).
    template <class T>
    void decode(const node& n, T& out);
    /// Decodes `n` into `out` at `<path>.<field_name>`; for fields kept as raw `node`s.
    template <class T>
    void decode(std::string_view field_name, const node& n, T& out);

    /// Moves the decoder into a sub-path for its lifetime (see `enter_field` and friends).
    class [[nodiscard]] scope {
    public:
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
        ~scope() { d_.leave(size_, node_, key_mark_); }

    private:
        friend class decoder;
        /// Restores `d` to (path length, node, key mark) when destroyed.
        scope(decoder& d, std::size_t size, const node* n, const mark* key_mark) noexcept
            : d_(d), size_(size), node_(n), key_mark_(key_mark) {}
        decoder& d_;
        std::size_t size_;
        const node* node_;
        const mark* key_mark_;
    };

    /// `<path>.<json_name>`, decoding `n` (whose key is at `key_mark`).
    scope enter_field(std::string_view json_name, const node* n, const mark* key_mark = nullptr);
    /// `<path>[index]`
    scope enter_index(std::size_t index, const node* n);
    /// `<path>["key"]`, for values of maps.
    scope enter_key(std::string_view key, const node* n, const mark* key_mark = nullptr);

private:
    void leave(std::size_t size, const node* n, const mark* key_mark) noexcept;
    void report(const mark& where, std::string path, std::string message);
    const mark& current_mark() const noexcept;

    diagnostics& diag_;
    std::string resource_;
    std::string path_;
    const node* node_ = nullptr;
    const mark* key_mark_ = nullptr;
    std::size_t count_ = 0;
};

//----------------------------------------------------------------------------------------------
// Non-template helpers (src/aileron/config/decode.cpp)

namespace detail {

/// "expected <what>, got <type> (<value>)"
std::string mismatch(std::string_view what, const node& n);
/// "unknown field \"foo\"; expected one of: a, b"
std::string unknown_field(std::string_view key, const std::vector<std::string_view>& names);
/// Integer from an integer node, an integral floating node or a string holding a JSON number.
/// On failure returns false with the message in `error`.
bool parse_integer(const node& n, std::int64_t min, std::int64_t max, std::string_view type,
                   std::int64_t& out, std::string& error);
/// Number from an integer, floating or numeric string node ("NaN", "Infinity", "-Infinity" too).
bool parse_double(const node& n, double& out, std::string& error);
/// "unknown enum value \"x\"; expected one of: A, B"; numbers list "A (0), B (1)".
std::string unknown_enum(const node& n, const std::vector<std::pair<std::string_view, long long>>& values);

/// JSON and proto names of a described struct, computed once per type.
struct field_table {
    std::vector<std::string_view> json_names;
    std::vector<std::string> proto_names;
    std::vector<bool> required;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::size_t find(std::string_view key) const noexcept;
};

template <class T>
const field_table&
fields_of()
{
    static const field_table table = [] {
        field_table t;
        std::apply(
            [&t](const auto&... f) {
                ((t.json_names.push_back(f.json_name),
                  t.proto_names.push_back(f.proto_name.empty() ? default_proto_name(f.json_name)
                                                               : std::string{f.proto_name}),
                  t.required.push_back(f.required)),
                 ...);
            },
            T::fields());
        return t;
    }();
    return table;
}

template <class T>
consteval bool
has_unique_json_names()
{
    constexpr auto names = std::apply(
        [](const auto&... f) { return std::array<std::string_view, sizeof...(f)>{f.json_name...}; },
        T::fields());
    for (std::size_t i = 0; i < names.size(); ++i)
        for (std::size_t j = i + 1; j < names.size(); ++j)
            if (names[i] == names[j]) return false;
    return true;
}

template <class Tuple, class F, std::size_t... I>
void
visit_field(const Tuple& fields, std::size_t index, F&& f, std::index_sequence<I...>)
{
    ((I == index ? (f(std::get<I>(fields)), 0) : 0), ...);
}

template <class E>
std::vector<std::pair<std::string_view, long long>>
enum_values()
{
    std::vector<std::pair<std::string_view, long long>> out;
    for (const auto& [name, value] : enum_traits<E>::values)
        out.emplace_back(name, static_cast<long long>(value));
    return out;
}

template <class T>
void decode_value(decoder& d, const node& n, T& out);

template <class T>
void
decode_struct(decoder& d, const node& n, T& out)
{
    static_assert(has_unique_json_names<T>(),
                  "aileron::config: two entries of T::fields() have the same JSON name");
    const std::size_t before = d.problem_count();
    if (!n.is_map() && !n.is_null()) {
        d.error(mismatch("a map", n));
        return;
    }
    const field_table& table = fields_of<T>();
    constexpr auto fields = T::fields();
    constexpr std::size_t count = std::tuple_size_v<std::remove_cvref_t<decltype(fields)>>;
    std::array<const map_entry*, count> seen{};
    if (n.is_map()) {
        for (const map_entry& e : n.as_map()) {
            const std::size_t i = table.find(e.key);
            if (i == field_table::npos) {
                auto s = d.enter_field(e.key, &e.value, &e.key_mark);
                d.error_at(e.key_mark, unknown_field(e.key, table.json_names));
                continue;
            }
            auto s = d.enter_field(table.json_names[i], &e.value, &e.key_mark);
            if (seen[i]) {
                std::string message = "field \"" + std::string{table.json_names[i]} +
                                      "\" is given twice";
                if (seen[i]->key != e.key)
                    message += " (as \"" + seen[i]->key + "\" and \"" + e.key + "\")";
                d.error_at(e.key_mark, std::move(message));
                continue;
            }
            seen[i] = &e;
            if (e.value.is_null()) continue;   // null keeps the default
            visit_field(
                fields, i,
                [&](const auto& f) {
                    using member = typename std::remove_cvref_t<decltype(f)>::member_type;
                    static_assert(decodable<member>,
                                  "aileron::config: a member listed in T::fields() has a type "
                                  "decode() does not support (see config::decodable)");
                    decode_value(d, e.value, out.*(f.member));
                },
                std::make_index_sequence<count>{});
        }
    }
    for (std::size_t i = 0; i < count; ++i)
        if (table.required[i] && (!seen[i] || seen[i]->value.is_null()))
            d.error(table.json_names[i], "is required");
    if constexpr (normalizable<T>) {
        // A struct that did not decode cleanly is not validated: its problems would only echo.
        if (d.problem_count() == before) out.normalize(d);
    }
}

template <class T>
void
decode_value(decoder& d, const node& n, T& out)
{
    static_assert(decodable<T>,
                  "aileron::config::decode: T is not decodable; use bool, std::int32_t, "
                  "std::uint32_t, std::int64_t, double, std::string, an enum with "
                  "config::enum_traits, std::optional, std::vector, std::map<std::string, _>, "
                  "config::node, config::reference or a struct with static fields()");
    if constexpr (std::same_as<T, node>) {
        out = n;
    } else if constexpr (std::same_as<T, bool>) {
        if (n.kind() != node::type::boolean) return d.error(mismatch("a boolean", n));
        if (n.as_bool()) out = true;
    } else if constexpr (is_integer_v<T>) {
        constexpr std::string_view type = std::same_as<T, std::int32_t>    ? "int32"
                                          : std::same_as<T, std::uint32_t> ? "uint32"
                                                                           : "int64";
        std::int64_t v = 0;
        std::string error;
        if (!parse_integer(n, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), type,
                           v, error))
            return d.error(std::move(error));
        if (v != 0) out = static_cast<T>(v);
    } else if constexpr (std::same_as<T, double>) {
        double v = 0;
        std::string error;
        if (!parse_double(n, v, error)) return d.error(std::move(error));
        if (v != 0 || std::signbit(v)) out = v;
    } else if constexpr (std::same_as<T, std::string>) {
        if (n.kind() != node::type::string)
            return d.error(mismatch("a string", n) + (n.is_scalar() ? "; quote it" : ""));
        if (!n.as_string().empty()) out = n.as_string();
    } else if constexpr (described_enum<T>) {
        using underlying = std::underlying_type_t<T>;
        for (const auto& [name, value] : enum_traits<T>::values) {
            const bool match =
                n.kind() == node::type::string ? n.as_string() == name
                : n.kind() == node::type::integer
                    ? n.as_int() == static_cast<long long>(static_cast<underlying>(value))
                    : false;
            if (!match) continue;
            if (static_cast<underlying>(value) != 0) out = value;
            return;
        }
        if (n.kind() == node::type::string || n.kind() == node::type::integer)
            return d.error(unknown_enum(n, enum_values<T>()));
        d.error(mismatch("an enum name or number", n));
    } else if constexpr (is_optional<T>::value) {
        using value_type = typename T::value_type;
        if (n.is_null()) return;
        // Presence: a value engages the optional even when it turns out bad, so that later
        // code sees the field as given. Messages merge into what is already there.
        if (!out || !described<value_type>) out = value_type{};   // not emplace(): see `described`
        decode_value(d, n, *out);
    } else if constexpr (is_vector<T>::value) {
        if (!n.is_sequence()) return d.error(mismatch("a list", n));
        const node::sequence_t& items = n.as_sequence();
        out.reserve(out.size() + items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            auto s = d.enter_index(i, &items[i]);
            // Bad elements are kept (partly decoded) so indexes match the document's.
            decode_value(d, items[i], out.emplace_back());
        }
    } else if constexpr (is_string_map<T>::value) {
        if (!n.is_map()) return d.error(mismatch("a map", n));
        const node::map_t& entries = n.as_map();
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const map_entry& e = entries[i];
            auto s = d.enter_key(e.key, &e.value, &e.key_mark);
            bool repeated = false;
            for (std::size_t j = 0; j < i && !repeated; ++j) repeated = entries[j].key == e.key;
            if (repeated) {
                d.error_at(e.key_mark, "key \"" + e.key + "\" is given twice");
                continue;
            }
            typename T::mapped_type v{};
            decode_value(d, e.value, v);
            out.insert_or_assign(e.key, std::move(v));
        }
    } else {
        if (!n.is_map()) return d.error(mismatch("a map", n));
        if constexpr (std::same_as<T, reference>) {
            out.where = n.where();
            out.path = d.path();
        }
        decode_struct(d, n, out);
    }
}

}  // namespace detail

template <class T>
void
decoder::decode(const node& n, T& out)
{
    static_assert(decodable<T>, "aileron::config::decoder::decode: T is not decodable (see "
                                "config::decodable in aileron/config/decode.hpp)");
    auto s = scope{*this, path_.size(), node_, key_mark_};
    node_ = &n;
    if (n.is_null()) {
        if constexpr (described<T>) {
            if constexpr (std::same_as<T, reference>) {
                out.where = n.where();
                out.path = path_;
            }
            detail::decode_struct(*this, n, out);
        } else if constexpr (std::same_as<T, node>) {
            out = n;
        }
        return;
    }
    detail::decode_value(*this, n, out);
}

template <class T>
void
decoder::decode(std::string_view field_name, const node& n, T& out)
{
    auto s = enter_field(field_name, &n);
    decode(n, out);
}

/**
 * Decodes a resource's `spec` (or any other node) into `out`, which should hold the defaults.
 * Problems go to `diag`, tagged with `resource_id` and paths under `base_path`. Returns true
 * when no problem was added.
 */
template <class T>
bool
decode(const node& n, T& out, diagnostics& diag, std::string_view resource_id,
       std::string_view base_path = "spec")
{
    static_assert(decodable<T>, "aileron::config::decode<T>: T is not decodable (see "
                                "config::decodable in aileron/config/decode.hpp)");
    decoder d{diag, std::string{resource_id}, std::string{base_path}};
    d.decode(n, out);
    return d.problem_count() == 0;
}

//----------------------------------------------------------------------------------------------
// Encoding

/**
 * The node tree of `value`: every field under its JSON name (AILERON's `EmitUnpopulated`),
 * unset optionals and empty references as null, enums by name, integers as integer nodes.
 * Marks are empty.
 * Decoding the result into a default-constructed `T` gives `value` back as long as T's default
 * lists are empty (lists append).
 */
template <class T>
node
encode(const T& value)
{
    static_assert(decodable<T>, "aileron::config::encode<T>: T is not encodable (see "
                                "config::decodable in aileron/config/decode.hpp)");
    if constexpr (std::same_as<T, node>) {
        return value;
    } else if constexpr (std::same_as<T, bool> || std::same_as<T, double> ||
                         std::same_as<T, std::string>) {
        return node{value};
    } else if constexpr (detail::is_integer_v<T>) {
        return node{static_cast<std::int64_t>(value)};
    } else if constexpr (described_enum<T>) {
        for (const auto& [name, v] : enum_traits<T>::values)
            if (v == value) return node{std::string{name}};
        return node{static_cast<std::int64_t>(static_cast<std::underlying_type_t<T>>(value))};
    } else if constexpr (detail::is_optional<T>::value) {
        return value ? encode(*value) : node{};
    } else if constexpr (detail::is_vector<T>::value) {
        node out = node::make_sequence();
        for (const auto& item : value) out.as_sequence().push_back(encode(item));
        return out;
    } else if constexpr (detail::is_string_map<T>::value) {
        node out = node::make_map();
        for (const auto& [key, item] : value)
            out.as_map().push_back(map_entry{key, mark{}, encode(item)});
        return out;
    } else {
        if constexpr (std::same_as<T, reference>) {
            if (value.empty()) return node{};   // an unset message field, as protojson writes it
        }
        node out = node::make_map();
        std::apply(
            [&](const auto&... f) {
                (out.as_map().push_back(
                     map_entry{std::string{f.json_name}, mark{}, encode(value.*(f.member))}),
                 ...);
            },
            T::fields());
        return out;
    }
}

}  // namespace aileron::config
