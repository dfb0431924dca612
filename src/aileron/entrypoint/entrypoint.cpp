#include <aileron/entrypoint/entrypoint.hpp>

#include <aileron/registry/resource_graph.hpp>

#include <mutex>
#include <thread>

namespace aileron {

void entrypoint::config::normalize(aileron::config::decoder& d) {
    // No kind implements the initializer or finalizer roles yet: say so instead of skipping.
    if (!initializers.empty()) d.error("initializers", "no kind in this build is an initializer");
    if (!finalizers.empty()) d.error("finalizers", "no kind in this build is a finalizer");
}

entrypoint::entrypoint(const config& cfg, build_context& ctx) {
    resource_graph& g = ctx.graph();
    // Loggers and error handlers first: everything built after them uses them.
    if (!cfg.default_logger.empty())
        if (auto* o = ctx.resolve(cfg.default_logger, role::logger)) {
            g.default_logger = o->log;
            g.named_loggers[cfg.default_logger.id()] = o->log;
            logger::set_default(o->log);
        }
    for (auto& ref : cfg.loggers)
        if (auto* o = ctx.resolve(ref, role::logger)) g.named_loggers[ref.id()] = o->log;
    g.loggers_registered = true;
    if (!cfg.default_error_handler.empty())
        if (auto* o = ctx.resolve(cfg.default_error_handler, role::error_handler)) {
            g.default_errors = o->errors;
            g.named_errors[cfg.default_error_handler.id()] = o->errors;
        }
    for (auto& ref : cfg.error_handlers)
        if (auto* o = ctx.resolve(ref, role::error_handler)) g.named_errors[ref.id()] = o->errors;
    for (auto& ref : cfg.runners)
        if (auto r = ctx.runner(ref)) runners_.push_back(std::move(r));
    log_ = g.default_logger;
}

error_code entrypoint::open() {
    for (auto& r : runners_)
        if (error_code ec = r.open()) return ec;
    return {};
}

error_code entrypoint::run(std::stop_token stop) {
    const logger& log = log_ ? *log_ : logger::get_default();
    if (runners_.empty()) {
        log.info("no runners to run");
        return {};
    }
    std::stop_source all;
    std::stop_callback forward{stop, [&all] { all.request_stop(); }};
    std::mutex m;
    error_code first_error;
    {
        std::vector<std::jthread> threads;
        for (auto& r : runners_)
            threads.emplace_back([&, &r = r] {
                error_code ec = r.run(all.get_token());
                if (ec) {
                    log.error("error returned from runner", {{"error", ec.message()}});
                    std::lock_guard lock{m};
                    if (!first_error) first_error = ec;
                }
                all.request_stop();   // the first runner to return stops the others
            });
    }
    return first_error;
}

}  // namespace aileron
