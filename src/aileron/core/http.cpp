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

bool forwardable_trailer(const http::fields::value_type& f) noexcept {
    switch (f.name()) {
    case http::field::content_length:
    case http::field::transfer_encoding:
    case http::field::trailer:
    case http::field::host:
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::te:
    case http::field::upgrade:
    case http::field::content_type:
    case http::field::content_encoding:
    case http::field::content_range:
    case http::field::authorization:
    case http::field::proxy_authorization:
    case http::field::set_cookie:
    case http::field::cookie:
    case http::field::cache_control:
    case http::field::expect:
    case http::field::max_forwards:
    case http::field::pragma:
    case http::field::range:
        return false;
    default:
        return true;
    }
}

std::string last_chunk(const http::fields* t) {
    std::string out = "0\r\n";
    if (t)
        for (const auto& f : *t) {
            if (!forwardable_trailer(f)) continue;
            out += f.name_string();
            out += ": ";
            out += f.value();
            out += "\r\n";
        }
    out += "\r\n";
    return out;
}

}  // namespace aileron
