#include <aileron/registry/registry.hpp>

#include <aileron/registry/resource_graph.hpp>

#include <stdexcept>

namespace aileron {

std::string_view role_name(role r) noexcept {
    switch (r) {
    case role::handler: return "handler";
    case role::middleware: return "middleware";
    case role::runner: return "runner";
    case role::error_handler: return "error handler";
    case role::logger: return "logger";
    case role::round_tripper: return "round tripper";
    case role::tripperware: return "tripperware";
    }
    return "resource";
}

std::string roles_description(unsigned roles) {
    std::string out;
    for (role r : {role::handler, role::middleware, role::runner, role::error_handler, role::logger, role::round_tripper,
                   role::tripperware}) {
        if (!(roles & static_cast<unsigned>(r))) continue;
        out += out.empty() ? "a " : " and a ";
        out += role_name(r);
    }
    return out.empty() ? std::string{"nothing usable"} : out;
}

void registry::add_entry(kind_entry e) {
    std::string key = e.key();
    if (kinds_.contains(key)) throw std::logic_error("aileron::registry: kind registered twice: " + key);
    kinds_.emplace(std::move(key), std::move(e));
}

const kind_entry* registry::find(std::string_view api_version, std::string_view kind) const {
    std::string key{api_version};
    key += '/';
    key += kind;
    auto it = kinds_.find(key);
    return it == kinds_.end() ? nullptr : &it->second;
}

std::vector<const kind_entry*> registry::kinds() const {
    std::vector<const kind_entry*> out;
    for (auto& [k, e] : kinds_) out.push_back(&e);
    return out;
}

//----------------------------------------------------------------------------------------------

config::diagnostics& build_context::diagnostics() noexcept { return graph_.diagnostics(); }

const resource_object* build_context::resolve(const config::reference& ref, role r) {
    return graph_.build(ref.id(), r, id_, ref.where, ref.path);
}

any_handler build_context::handler(const config::reference& ref) {
    auto* o = resolve(ref, role::handler);
    return o ? o->handler : any_handler{};
}

std::vector<any_middleware> build_context::middleware(const std::vector<config::reference>& refs) {
    std::vector<any_middleware> out;
    out.reserve(refs.size());
    for (auto& ref : refs)
        if (auto* o = resolve(ref, role::middleware)) out.push_back(o->middleware);
    return out;
}

any_runner build_context::runner(const config::reference& ref) {
    auto* o = resolve(ref, role::runner);
    return o ? o->runner : any_runner{};
}

any_round_tripper build_context::round_tripper(const config::reference& ref) {
    auto* o = resolve(ref, role::round_tripper);
    return o ? o->round_tripper : any_round_tripper{};
}

std::vector<any_tripperware> build_context::tripperware(const std::vector<config::reference>& refs) {
    std::vector<any_tripperware> out;
    out.reserve(refs.size());
    for (auto& ref : refs)
        if (auto* o = resolve(ref, role::tripperware)) out.push_back(o->tripperware);
    return out;
}

const logger& build_context::log() const noexcept {
    if (auto* e = graph_.find(id_); e && !e->meta.logger.empty())
        if (auto it = graph_.named_loggers.find(e->meta.logger); it != graph_.named_loggers.end()) return *it->second;
    return graph_.default_logger ? *graph_.default_logger : logger::get_default();
}

const error_handler& build_context::errors() const noexcept {
    if (auto* e = graph_.find(id_); e && !e->meta.error_handler.empty())
        if (auto it = graph_.named_errors.find(e->meta.error_handler); it != graph_.named_errors.end())
            return *it->second;
    return graph_.default_errors ? *graph_.default_errors : default_error_handler::instance();
}

void build_context::error(const config::mark& where, std::string path, std::string message) {
    graph_.diagnostics().add(config::problem{where, id_, std::move(path), std::move(message)});
}

}  // namespace aileron
