#pragma once
/// @file
/// The resources of one configuration: every document decoded and validated when added, and
/// built lazily, once, when something reachable from the Entrypoint references it.

#include <aileron/config/source.hpp>
#include <aileron/registry/registry.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace aileron {

/// The `metadata` of a resource.
struct metadata {
    std::string name = "default";
    std::string ns = "default";
    std::string logger;          ///< a logger registered by the Entrypoint, by id
    std::string error_handler;   ///< an error handler registered by the Entrypoint, by id
    static constexpr auto fields() {
        return std::tuple{
            config::field("name", "Name", &metadata::name),
            config::field("namespace", "Namespace", &metadata::ns),
            config::field("logger", "Logger", &metadata::logger),
            config::field("errorHandler", "ErrorHandler", &metadata::error_handler),
        };
    }
    void normalize(config::decoder& d);
};

/**
 * All resources of a configuration, keyed by `apiVersion/kind/namespace/name`.
 *
 * `add` checks a document's envelope (`apiVersion`, `kind`, `metadata`, `spec` and nothing
 * else), finds its kind in the registry, and decodes its spec: every problem goes to the
 * diagnostics, so that all of them are reported together. `build` creates a resource and,
 * through `build_context`, everything it references; each resource is created at most once
 * and shared by all its referrers.
 */
class resource_graph {
public:
    /// The id the Entrypoint is stored under, whatever its metadata says (as in AILERON).
    static constexpr std::string_view entrypoint_id = "core/v1/Entrypoint/.entrypoint/.entrypoint";

    struct entry {
        std::string id;
        const kind_entry* kind = nullptr;
        std::shared_ptr<const void> config;   ///< null when decoding failed
        metadata meta;
        config::mark where;
        std::optional<resource_object> built;
        bool building = false;
        bool failed = false;
    };

    resource_graph(const registry& reg, config::diagnostics& diag) : reg_(reg), diag_(diag) {}

    void add(const config::document& doc);
    void add(const std::vector<config::document>& docs) {
        for (auto& d : docs) add(d);
    }

    /// Builds resource `id` for role `r`. `referrer`, `where` and `path` say who asked, for
    /// the message when it cannot be built. Returns nullptr after reporting why.
    const resource_object* build(const std::string& id, role r, const std::string& referrer,
                                 const config::mark& where, const std::string& path);

    const entry* find(std::string_view id) const;
    const registry& kinds() const noexcept { return reg_; }
    config::diagnostics& diagnostics() noexcept { return diag_; }

    /// Set by the Entrypoint while it is built; used by every resource built after.
    std::shared_ptr<const logger> default_logger;
    std::shared_ptr<const error_handler> default_errors;
    std::map<std::string, std::shared_ptr<const logger>, std::less<>> named_loggers;
    std::map<std::string, std::shared_ptr<const error_handler>, std::less<>> named_errors;
    /// Set once the Entrypoint has registered its loggers: from then on a resource whose
    /// `metadata.logger` names none of them is refused.
    bool loggers_registered = false;

private:
    const registry& reg_;
    config::diagnostics& diag_;
    std::map<std::string, entry, std::less<>> entries_;
};

}  // namespace aileron
