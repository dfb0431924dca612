#include <aileron/registry/resource_graph.hpp>

#include <regex>

namespace aileron {

namespace {

bool matches(const std::string& s, const char* pattern) {
    return std::regex_match(s, std::regex{pattern});
}

const config::map_entry* find_entry(const config::node& map, std::string_view key) {
    for (auto& e : map.as_map())
        if (e.key == key) return &e;
    return nullptr;
}

}  // namespace

void metadata::normalize(config::decoder& d) {
    if (!matches(name, "^[0-9A-Za-z-.]*$")) d.error("name", "must match ^[0-9A-Za-z-.]*$");
    if (!matches(ns, "^[0-9A-Za-z-.]*$")) d.error("namespace", "must match ^[0-9A-Za-z-.]*$");
    if (name.empty()) name = "default";
    if (ns.empty()) ns = "default";
}

void resource_graph::add(const config::document& doc) {
    const config::node& root = doc.root;
    if (!root.is_map()) {
        diag_.add(doc.where, "a resource document must be a map with apiVersion, kind, metadata and spec");
        return;
    }
    bool ok = true;
    for (auto& e : root.as_map()) {
        if (e.key == "apiVersion" || e.key == "kind" || e.key == "metadata" || e.key == "spec" ||
            e.key == "APIVersion" || e.key == "Kind" || e.key == "Metadata" || e.key == "Spec")
            continue;
        diag_.add(config::problem{e.key_mark, {}, e.key,
                                  "unknown field \"" + e.key + "\"; expected one of: apiVersion, kind, metadata, spec"});
        ok = false;
    }
    auto scalar = [&](std::string_view json, std::string_view proto) -> const config::node* {
        const config::map_entry* e = find_entry(root, json);
        if (!e) e = find_entry(root, proto);
        if (!e) {
            diag_.add(config::problem{doc.where, {}, std::string{json}, std::string{json} + " is required"});
            return nullptr;
        }
        if (e->value.kind() != config::node::type::string) {
            diag_.add(config::problem{e->value.where(), {}, std::string{json},
                                      "expected a string, got " + std::string{config::node::type_name(e->value.kind())}});
            return nullptr;
        }
        return &e->value;
    };
    const config::node* api = scalar("apiVersion", "APIVersion");
    const config::node* kind = scalar("kind", "Kind");
    if (!api || !kind) return;
    if (!matches(api->as_string(), "^[0-9A-Za-z]+/[0-9A-Za-z]+$")) {
        diag_.add(config::problem{api->where(), {}, "apiVersion", "must look like group/version, e.g. core/v1"});
        return;
    }
    const kind_entry* k = reg_.find(api->as_string(), kind->as_string());
    if (!k) {
        std::string known;
        for (auto* e : reg_.kinds()) {
            if (e->api_version != api->as_string()) continue;
            known += known.empty() ? "" : ", ";
            known += e->kind;
        }
        diag_.add(config::problem{kind->where(), {}, "kind",
                                  "unknown kind " + api->as_string() + "/" + kind->as_string() +
                                      (known.empty() ? "; known groups are core/v1 and app/v1"
                                                     : "; " + api->as_string() + " has: " + known)});
        return;
    }

    entry e;
    e.kind = k;
    e.where = doc.where;
    std::string provisional = k->key() + "/?";
    const config::map_entry* meta = find_entry(root, "metadata");
    if (!meta) meta = find_entry(root, "Metadata");
    if (meta && !config::decode(meta->value, e.meta, diag_, provisional, "metadata")) ok = false;
    e.id = k->key() + "/" + e.meta.ns + "/" + e.meta.name;
    if (k->api_version == "core/v1" && k->kind == "Entrypoint") e.id = std::string{entrypoint_id};

    if (auto it = entries_.find(e.id); it != entries_.end()) {
        diag_.add(config::problem{doc.where, e.id, {},
                                  "duplicate resource " + e.id + "; first defined at " + it->second.where.to_string()});
        return;
    }
    const config::map_entry* spec = find_entry(root, "spec");
    if (!spec) spec = find_entry(root, "Spec");
    e.config = k->decode(spec ? &spec->value : nullptr, diag_, e.id);
    if (!e.config) ok = false;
    e.failed = !ok;
    entries_.emplace(e.id, std::move(e));
}

const resource_graph::entry* resource_graph::find(std::string_view id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
}

const resource_object* resource_graph::build(const std::string& id, role r, const std::string& referrer,
                                             const config::mark& where, const std::string& path) {
    auto it = entries_.find(id);
    if (it == entries_.end()) {
        diag_.add(config::problem{where, referrer, path, "no resource " + id + " is defined"});
        return nullptr;
    }
    entry& e = it->second;
    if (!(e.kind->roles & static_cast<unsigned>(r))) {
        diag_.add(config::problem{where, referrer, path,
                                  id + " is " + roles_description(e.kind->roles) + ", not a " +
                                      std::string{role_name(r)}});
        return nullptr;
    }
    if (e.failed || !e.config) return nullptr;   // its problems are reported already
    if (e.built) return &*e.built;
    if (e.building) {
        diag_.add(config::problem{where, referrer, path, "reference cycle: " + id + " refers back to itself"});
        return nullptr;
    }
    e.building = true;
    std::size_t before = diag_.problems().size();
    if (loggers_registered && !e.meta.logger.empty() && !named_loggers.contains(e.meta.logger))
        diag_.add(config::problem{e.where, e.id, "metadata.logger",
                                  e.meta.logger + " is not a logger the Entrypoint registers (its defaultLogger or loggers)"});
    build_context ctx{*this, e.id};
    resource_object obj;
    try {
        obj = e.kind->create(e.config.get(), ctx);
    } catch (const std::exception& ex) {
        ctx.error(e.where, {}, std::string{"cannot be created: "} + ex.what());
    }
    e.building = false;
    if (diag_.problems().size() != before) {
        e.failed = true;
        return nullptr;
    }
    e.built = std::move(obj);
    return &*e.built;
}

}  // namespace aileron
