#pragma once
/// @file
/// The registry maps `apiVersion/kind` to a factory, and `build_context` lets a factory
/// resolve the references in its config while the resource graph is built.
///
/// A kind is a C++ type with `kind`, `api_version`, a described `config` struct and a
/// constructor from it (optionally also taking `build_context&` to resolve references). Its
/// roles (handler, middleware, runner, ...) are read off the type by the concepts, and one
/// instance serves every role and every referrer, as in AILERON.
///
/// @par Example
/// @code
/// struct hello {
///     static constexpr std::string_view api_version = "example/v1";
///     static constexpr std::string_view kind = "HelloHandler";
///     struct config {
///         std::string text = "hello";
///         static constexpr auto fields() { return std::tuple{config::field("text", &config::text)}; }
///     };
///     explicit hello(const config& c) : text_(c.text) {}
///     task<response> operator()(request& req) const;
///     std::string text_;
/// };
/// registry reg;
/// register_builtins(reg);
/// reg.add<hello>();   // now loadable from config, checked by --check, printed by -t
/// @endcode

#include <aileron/chain/any_handler.hpp>
#include <aileron/chain/any_middleware.hpp>
#include <aileron/chain/client_chain.hpp>
#include <aileron/chain/any_round_tripper.hpp>
#include <aileron/config/decode.hpp>
#include <aileron/config/diagnostics.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/runner.hpp>
#include <aileron/log/logger.hpp>

#include <boost/beast/http/verb.hpp>

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace aileron {

/// A runner of any type. Shares ownership of the runner object.
class any_runner {
public:
    any_runner() = default;
    template <runner R>
    explicit any_runner(std::shared_ptr<R> r) : self_(std::move(r)) {
        run_ = [](void* s, std::stop_token st) { return static_cast<R*>(s)->run(st); };
        if constexpr (openable<R>) open_ = [](void* s) { return static_cast<R*>(s)->open(); };
    }
    error_code open() { return open_ ? open_(self_.get()) : error_code{}; }
    error_code run(std::stop_token st) { return run_(self_.get(), st); }
    explicit operator bool() const noexcept { return run_ != nullptr; }

private:
    std::shared_ptr<void> self_;
    error_code (*run_)(void*, std::stop_token) = nullptr;
    error_code (*open_)(void*) = nullptr;
};

/// The roles a kind can play; a kind may play several (an HTTPLogger is both middleware and
/// tripperware). A round tripper is what a ReverseProxyHandler's `roundTripper` refers to.
enum class role : unsigned {
    handler = 1u << 0,
    middleware = 1u << 1,
    runner = 1u << 2,
    error_handler = 1u << 3,
    logger = 1u << 4,
    round_tripper = 1u << 5,
    tripperware = 1u << 6,
};
constexpr unsigned operator|(role a, role b) noexcept { return static_cast<unsigned>(a) | static_cast<unsigned>(b); }
constexpr unsigned operator|(unsigned a, role b) noexcept { return a | static_cast<unsigned>(b); }
std::string_view role_name(role r) noexcept;
/// "a handler", "a middleware or a handler"...
std::string roles_description(unsigned roles);

/// One built resource, seen through each of its roles (unused roles are empty).
struct resource_object {
    std::shared_ptr<const void> instance;
    any_handler handler;
    std::vector<std::string> patterns;   ///< a handler's own path patterns (may be empty)
    std::vector<http::verb> methods;     ///< a handler's own allowed methods (empty: all)
    any_middleware middleware;
    any_runner runner;
    std::shared_ptr<const error_handler> errors;
    std::shared_ptr<const logger> log;
    any_round_tripper round_tripper;
    any_tripperware tripperware;
};

class resource_graph;

/**
 * Given to a kind's constructor while it is built: resolves references to other resources
 * (building them first, once), and reports problems at the reference's file, line and path.
 * Resolution failures return empty values; the build then fails as a whole with every
 * problem listed.
 */
class build_context {
public:
    build_context(resource_graph& g, std::string resource_id) : graph_(g), id_(std::move(resource_id)) {}

    /// The resource being built, e.g. "core/v1/HTTPServer/default/x".
    const std::string& resource_id() const noexcept { return id_; }
    config::diagnostics& diagnostics() noexcept;

    /// The resource `ref` points at, built, if it plays `r`; nullptr after reporting why not.
    const resource_object* resolve(const config::reference& ref, role r);
    any_handler handler(const config::reference& ref);
    std::vector<any_middleware> middleware(const std::vector<config::reference>& refs);
    any_runner runner(const config::reference& ref);
    /// An HTTPClient (or any kind that is a round tripper); empty after reporting why not.
    any_round_tripper round_tripper(const config::reference& ref);
    /// Tripperware (client-side middleware), in the order given; unresolvable ones are left out
    /// after reporting why.
    std::vector<any_tripperware> tripperware(const std::vector<config::reference>& refs);

    /// The logger and error handler resources use unless configured otherwise.
    const logger& log() const noexcept;
    const error_handler& errors() const noexcept;

    /// Reports a problem of the resource being built, at `path` (a field path such as
    /// "spec.virtualHosts[0]") and `where`.
    void error(const config::mark& where, std::string path, std::string message);

    /// The graph being built (the Entrypoint sets the default logger and error handler there).
    resource_graph& graph() noexcept { return graph_; }

private:
    resource_graph& graph_;
    std::string id_;
};

/// How to decode, build and print one kind. Filled by `registry::add<T>()`.
struct kind_entry {
    std::string api_version;   ///< "core/v1"
    std::string kind;          ///< "HTTPServer"
    unsigned roles = 0;        ///< bitwise or of `role`
    /// Decodes and validates a spec (null: all defaults) into the kind's config struct.
    std::function<std::shared_ptr<const void>(const config::node* spec, config::diagnostics&,
                                              const std::string& id)> decode;
    /// Builds an instance from a decoded config; problems go to ctx.
    std::function<resource_object(const void* cfg, build_context& ctx)> create;
    /// A decoded config printed back as a spec (`aileron -t kind/namespace/name`).
    std::function<config::node(const void* cfg)> encode;
    /// The spec with every default, for `aileron -t kind` (printed, not validated).
    std::function<config::node()> skeleton;

    std::string key() const { return api_version + "/" + kind; }
};

namespace detail {
template <class T>
concept routed_handler = requires(const T& t) {
    { t.patterns() } -> std::convertible_to<std::vector<std::string>>;
    { t.methods() } -> std::convertible_to<std::vector<http::verb>>;
};
}  // namespace detail

/// The kinds `aileron` (or a user's own binary) can build from config.
class registry {
public:
    /// Registers kind T (see the file comment for what T provides). Registering the same
    /// `apiVersion/kind` twice is a programming error and throws std::logic_error.
    template <class T>
    void add() {
        using cfg_t = typename T::config;
        static_assert(config::described<cfg_t>,
                      "aileron::registry::add<T>: T::config needs `static constexpr auto fields()`; "
                      "see include/aileron/config/decode.hpp");
        static_assert(std::constructible_from<T, const cfg_t&> ||
                          std::constructible_from<T, const cfg_t&, build_context&>,
                      "aileron::registry::add<T>: T needs a constructor T(const T::config&) or "
                      "T(const T::config&, build_context&)");
        kind_entry e;
        e.api_version = std::string{T::api_version};
        e.kind = std::string{T::kind};
        if constexpr (handler<T>) e.roles = e.roles | role::handler;
        if constexpr (middleware<T>) e.roles = e.roles | role::middleware;
        if constexpr (runner<T>) e.roles = e.roles | role::runner;
        if constexpr (std::derived_from<T, error_handler>) e.roles = e.roles | role::error_handler;
        if constexpr (std::derived_from<T, logger>) e.roles = e.roles | role::logger;
        if constexpr (aileron::round_tripper<T>) e.roles = e.roles | role::round_tripper;
        if constexpr (aileron::tripperware<T, tripper_next>) e.roles = e.roles | role::tripperware;
        e.decode = [](const config::node* spec, config::diagnostics& diag, const std::string& id) {
            auto cfg = std::make_shared<cfg_t>();
            config::node empty = config::node::make_map();
            bool ok = config::decode(spec ? *spec : empty, *cfg, diag, id, "spec");
            return ok ? std::shared_ptr<const void>{std::move(cfg)} : nullptr;
        };
        e.create = [](const void* p, build_context& ctx) {
            const cfg_t& cfg = *static_cast<const cfg_t*>(p);
            std::shared_ptr<T> obj;
            if constexpr (std::constructible_from<T, const cfg_t&, build_context&>) obj = std::make_shared<T>(cfg, ctx);
            else obj = std::make_shared<T>(cfg);
            resource_object o;
            o.instance = obj;
            if constexpr (handler<T>) {
                o.handler = any_handler{std::shared_ptr<const T>{obj}};
                if constexpr (detail::routed_handler<T>) {
                    o.patterns = obj->patterns();
                    o.methods = obj->methods();
                }
            }
            if constexpr (middleware<T>) o.middleware = any_middleware{std::shared_ptr<const T>{obj}};
            if constexpr (runner<T>) o.runner = any_runner{obj};
            if constexpr (std::derived_from<T, error_handler>) o.errors = obj;
            if constexpr (std::derived_from<T, logger>) o.log = obj;
            if constexpr (aileron::round_tripper<T>) o.round_tripper = any_round_tripper{std::shared_ptr<const T>{obj}};
            if constexpr (aileron::tripperware<T, tripper_next>)
                o.tripperware = any_tripperware{std::shared_ptr<const T>{obj}};
            return o;
        };
        e.encode = [](const void* p) { return config::encode(*static_cast<const cfg_t*>(p)); };
        e.skeleton = [] { return config::encode(cfg_t{}); };
        add_entry(std::move(e));
    }

    /// The entry for `apiVersion/kind`, or nullptr.
    const kind_entry* find(std::string_view api_version, std::string_view kind) const;
    /// Every registered kind, ordered by key.
    std::vector<const kind_entry*> kinds() const;

private:
    void add_entry(kind_entry e);
    std::map<std::string, kind_entry, std::less<>> kinds_;
};

/// Registers every kind this build of aileron ships.
void register_builtins(registry& reg);

}  // namespace aileron
