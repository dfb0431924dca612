#include <aileron/handlers/health_check.hpp>

namespace aileron::handlers {

void health_check::config::normalize(aileron::config::decoder& d) {
    if (timeout < 0) d.error("timeout", "must be >= 0 seconds");
    // AILERON has no built-in kind that implements a probe either; only Go plugins do.
    if (!external_probes.empty()) d.error("externalProbes", "no kind in this build implements a health probe");
}

task<response> health_check::operator()(request& req) const {
    response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = "{}";
    res.prepare_payload();
    co_return res;
}

}  // namespace aileron::handlers
