#include <aileron/middlewares/body_limit.hpp>

#include <boost/beast/http/error.hpp>

namespace aileron::middlewares {

task<result<asio::const_buffer>> detail::limited_body::next() {
    if (exceeded_) co_return error_code{http::error::body_limit};
    auto piece = co_await inner_.next();
    if (!piece) co_return piece;
    read_ += piece->size();
    if (read_ > limit_) {
        exceeded_ = true;
        co_return error_code{http::error::body_limit};
    }
    co_return piece;
}

response body_limit::too_large(const request& req) {
    return error_response(req, http_error{.status = http::status::payload_too_large,
                                          .code = "E3205",
                                          .kind = "AppMiddleBodyTooLarge",
                                          .message = "request body larger than maxSize"});
}

}  // namespace aileron::middlewares
