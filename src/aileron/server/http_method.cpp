#include <aileron/server/http_method.hpp>

namespace aileron {

boost::beast::http::verb to_verb(http_method m) noexcept {
    using boost::beast::http::verb;
    switch (m) {
    case http_method::get: return verb::get;
    case http_method::head: return verb::head;
    case http_method::post: return verb::post;
    case http_method::put: return verb::put;
    case http_method::patch: return verb::patch;
    case http_method::del: return verb::delete_;
    case http_method::connect: return verb::connect;
    case http_method::options: return verb::options;
    case http_method::trace: return verb::trace;
    default: return verb::unknown;
    }
}

std::vector<boost::beast::http::verb> to_verbs(const std::vector<http_method>& ms) {
    std::vector<boost::beast::http::verb> out;
    for (auto m : ms) out.push_back(to_verb(m));
    return out;
}

}  // namespace aileron
