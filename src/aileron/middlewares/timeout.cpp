#include <aileron/middlewares/timeout.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace aileron::middlewares {

void timeout::api_timeout_config::normalize(aileron::config::decoder& d) {
    if (timeout < 0) d.error("timeout", "must be >= 0 milliseconds");
    for (std::size_t i = 0; i < methods.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (methods[i] == methods[j]) d.error("methods[" + std::to_string(i) + "]", "duplicate method");
}

void timeout::config::normalize(aileron::config::decoder& d) {
    if (default_timeout < 0) d.error("defaultTimeout", "must be >= 0 milliseconds");
}

timeout::timeout(const config& cfg) : default_(cfg.default_timeout) {
    for (const auto& a : cfg.api_timeouts) {
        if (a.timeout <= 0) continue;
        apis_.push_back({string_matcher{a.matcher}, to_verbs(a.methods), std::chrono::milliseconds{a.timeout}});
    }
}

std::chrono::milliseconds timeout::timeout_for(const request& req) const {
    if (apis_.empty()) return default_;
    std::string scratch;   // only a target with a %-escape is decoded into it
    const std::string_view path = url_path(req.target(), scratch);
    for (const auto& a : apis_) {
        if (!a.methods.empty() && std::find(a.methods.begin(), a.methods.end(), req.method()) == a.methods.end())
            continue;
        if (a.paths.match(path)) return a.limit;
    }
    return default_;
}

response timeout::timed_out(const request& req) {
    return error_response(req, http_error{.status = http::status::gateway_timeout,
                                          .code = "E3202",
                                          .kind = "AppMiddleAPITimeout",
                                          .message = "the response was not ready before the timeout"});
}

}  // namespace aileron::middlewares
