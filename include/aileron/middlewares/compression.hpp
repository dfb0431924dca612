#pragma once
/// @file
/// `app/v1 CompressionMiddleware`: compresses response bodies with brotli or gzip, as the
/// client's `Accept-Encoding` allows.
///
/// The coding is chosen by q-value (br over gzip at equal q; `q=0` excludes a coding; `*`
/// covers codings not listed). A response is left as it is when it already has a
/// `Content-Encoding`, when its media type is not in `targetMIMEs`, when its size is known and
/// below `minimumSize`, or when it has no body (HEAD, 1xx, 204, 304, 206). A buffered body is
/// compressed at once; a streamed body is compressed piece by piece, each piece flushed so a
/// stream (server-sent events) still streams. `Vary: Accept-Encoding` is added whenever the
/// request had `Accept-Encoding`.

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aileron::middlewares {

/// A content coding this middleware can produce.
enum class content_coding { identity, gzip, br };

/// The coding to use for a request with these `Accept-Encoding` values (all the header's
/// lines): the acceptable one with the highest q, br first at equal q; identity if none.
content_coding choose_coding(const request& req);

namespace detail {
/// Compresses a stream of bytes; `flush` makes everything written so far decodable.
class compressor {
public:
    virtual ~compressor() = default;
    /// Appends to `out` the compressed form of `in`, then flushes (`finish`: ends the stream).
    virtual void write(std::string_view in, std::string& out, bool finish) = 0;
};
std::unique_ptr<compressor> make_compressor(content_coding coding, int level);
}  // namespace detail

class compression {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "CompressionMiddleware";

    /// AILERON's `CompressionMiddlewareSpec`.
    struct config {
        std::int32_t gzip_level = 6;          ///< 1..9
        std::int32_t brotli_level = 4;        ///< -1..11; -1 means 0 (0 itself cannot override the default)
        std::vector<std::string> target_mimes;   ///< empty: AILERON's default list
        std::int32_t minimum_size = 1024;     ///< bytes; negative: compress any size
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("gzipLevel", "GzipLevel", &config::gzip_level),
                              field("brotliLevel", "BrotliLevel", &config::brotli_level),
                              field("targetMIMEs", "TargetMIMEs", &config::target_mimes),
                              field("minimumSize", "MinimumSize", &config::minimum_size)};
        }
        void normalize(aileron::config::decoder& d);
    };

    compression() : compression(config{}) {}
    explicit compression(const config& cfg);

    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        const bool asked = req.find(http::field::accept_encoding) != req.end();
        const content_coding coding = asked ? choose_coding(req) : content_coding::identity;
        const bool head = req.method() == http::verb::head;
        response res = co_await next(req);
        if (asked) encode(res, coding, head);
        co_return res;
    }

    /// Adds `Vary: Accept-Encoding` and compresses `res` with `coding` when it qualifies.
    void encode(response& res, content_coding coding, bool head_request) const;

private:
    bool targeted(const response& res) const;

    int gzip_level_;
    int brotli_level_;
    std::vector<std::string> mimes_;
    std::int64_t minimum_;
};

static_assert(middleware<compression>);

}  // namespace aileron::middlewares
