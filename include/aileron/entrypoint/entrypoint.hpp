#pragma once
/// @file
/// `core/v1 Entrypoint`: the root resource. It sets the default logger and error handler,
/// then runs every runner concurrently until one returns or a stop is requested.

#include <aileron/registry/registry.hpp>

#include <vector>

namespace aileron {

class entrypoint {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "Entrypoint";

    struct config {
        aileron::config::reference default_logger;
        std::vector<aileron::config::reference> loggers;
        aileron::config::reference default_error_handler;
        std::vector<aileron::config::reference> error_handlers;
        std::vector<aileron::config::reference> runners;
        std::vector<aileron::config::reference> initializers;
        std::vector<aileron::config::reference> finalizers;
        static constexpr auto fields() {
            using c = config;
            namespace cf = aileron::config;
            return std::tuple{cf::field("defaultLogger", "DefaultLogger", &c::default_logger),
                              cf::field("loggers", "Loggers", &c::loggers),
                              cf::field("defaultErrorHandler", "DefaultErrorHandler", &c::default_error_handler),
                              cf::field("errorHandlers", "ErrorHandlers", &c::error_handlers),
                              cf::field("runners", "Runners", &c::runners),
                              cf::field("initializers", "Initializers", &c::initializers),
                              cf::field("finalizers", "Finalizers", &c::finalizers)};
        }
        void normalize(aileron::config::decoder& d);
    };

    entrypoint(const config& cfg, build_context& ctx);
    /// A C++ entrypoint over runners made in code.
    explicit entrypoint(std::vector<any_runner> runners) : runners_(std::move(runners)) {}

    /// Opens every runner (binds listeners) before any of them runs.
    error_code open();
    /// Runs every runner on its own thread. The first runner to return, or `stop`, stops the
    /// others (each drains gracefully); returns the first runner error, if any.
    error_code run(std::stop_token stop);

    std::size_t size() const noexcept { return runners_.size(); }

private:
    std::vector<any_runner> runners_;
    std::shared_ptr<const logger> log_;
};

static_assert(runner<entrypoint> && openable<entrypoint>);

}  // namespace aileron
