#include <aileron/core/http.hpp>

#include <boost/beast/http/error.hpp>

namespace aileron {

task<result<std::string>> request::read_body(std::size_t limit) {
    std::string out;
    if (auto n = body().size(); n && *n <= limit) out.reserve(static_cast<std::size_t>(*n));
    for (;;) {
        auto piece = co_await body().next();
        if (!piece) co_return piece.error();
        if (piece->size() == 0) co_return out;
        if (out.size() + piece->size() > limit) co_return error_code{http::error::body_limit};
        out.append(static_cast<const char*>(piece->data()), piece->size());
    }
}

}  // namespace aileron
