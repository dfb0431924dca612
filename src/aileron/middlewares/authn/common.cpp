#include <aileron/middlewares/authn/common.hpp>

#include <aileron/log/logger.hpp>
#include <aileron/registry/registry.hpp>

#include <chrono>

namespace aileron::middlewares::authn {

services::services(const aileron::config::reference& logger_ref, const aileron::config::reference& errors_ref,
                   build_context& ctx) {
    if (!logger_ref.empty())
        if (const resource_object* o = ctx.resolve(logger_ref, role::logger)) log_ = o->log;
    if (!errors_ref.empty())
        if (const resource_object* o = ctx.resolve(errors_ref, role::error_handler)) errors_ = o->errors;
}

response services::error(const request& req, const http_error& err) const {
    return errors_ ? errors_->make(req, err) : error_response(req, err);
}

const logger& services::log(const request& req) const noexcept {
    if (log_) return *log_;
    return req.context().log ? *req.context().log : logger::get_default();
}

std::int64_t unix_now() noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<std::string_view> strip_scheme(std::string_view authorization, std::string_view scheme) noexcept {
    if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ') return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(authorization[i]) != lower(scheme[i])) return std::nullopt;
    }
    return authorization.substr(scheme.size() + 1);
}

std::string quote_http(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace aileron::middlewares::authn
