#pragma once
/// @file
/// `app/v1 BodyLimitMiddleware`: limits the size of request bodies.
///
/// A `Content-Length` above `maxSize` is answered with 413 (`E3205 AppMiddleBodyTooLarge`)
/// before the handler runs. A body of unknown length (chunked) is counted as the handler
/// reads it: the read that goes over `maxSize` fails, and the handler's response is replaced
/// by 413. Bodies stream through aileron and are never buffered, so `memLimit` and `tempPath`
/// are accepted for compatibility and have no effect. `maxSize` ≤ 0 disables the limit.
///
/// The limit covers the reads made until the rest of the chain returns; a streamed response
/// that reads the request body after that reads it unlimited.

#include <aileron/config/decode.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/middleware.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aileron::middlewares {

namespace detail {
/// A body source that fails with `http::error::body_limit` once more than `limit` bytes came.
class limited_body final : public body_source {
public:
    limited_body(body_source& inner, std::uint64_t limit) noexcept : inner_(inner), limit_(limit) {}
    task<result<asio::const_buffer>> next() override;
    std::optional<std::uint64_t> size() const noexcept override { return inner_.size(); }
    bool exceeded() const noexcept { return exceeded_; }

private:
    body_source& inner_;
    std::uint64_t limit_;
    std::uint64_t read_ = 0;
    bool exceeded_ = false;
};

/// Puts a request's original body back when it goes out of scope.
struct body_restorer {
    request& req;
    body_source* original;
    ~body_restorer() { req.set_body(original); }
};
}  // namespace detail

class body_limit {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "BodyLimitMiddleware";

    struct config {
        std::int64_t max_size = 4194304;   ///< bytes; ≤ 0: no limit
        std::int64_t mem_limit = 0;        ///< bytes; no effect (bodies are never buffered)
        std::string temp_path;             ///< no effect (bodies are never spooled)
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("maxSize", "MaxSize", &config::max_size),
                              field("memLimit", "MemLimit", &config::mem_limit),
                              field("tempPath", "TempPath", &config::temp_path)};
        }
    };

    body_limit() : body_limit(config{}) {}
    explicit body_limit(const config& cfg) noexcept : max_(cfg.max_size) {}

    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        if (max_ <= 0) co_return co_await next(req);
        const auto known = req.body().size();
        if (known && *known > static_cast<std::uint64_t>(max_)) co_return too_large(req);
        // A known length is enforced by the server's parser: exactly that many bytes arrive.
        if (known) co_return co_await next(req);
        body_source* original = &req.body();
        detail::limited_body limited{*original, static_cast<std::uint64_t>(max_)};
        req.set_body(&limited);
        response res;
        {
            detail::body_restorer restore{req, original};   // also when next() throws
            res = co_await next(req);
        }
        if (limited.exceeded()) co_return too_large(req);
        co_return res;
    }

private:
    static response too_large(const request& req);

    std::int64_t max_;
};

static_assert(middleware<body_limit>);

}  // namespace aileron::middlewares
