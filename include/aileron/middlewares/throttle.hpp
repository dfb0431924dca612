#pragma once
/// @file
/// `app/v1 ThrottleMiddleware`: rate and concurrency limits per API.
///
/// The first `apiThrottlers` entry whose methods and path matcher match the request decides:
/// the request passes when its limiter accepts it (after up to `maxRetry` retries with
/// exponential backoff and full jitter, 1 ms to 10 s), else it gets 429 (`E3213
/// AppMiddleThrottle`) with a `Retry-After` header (seconds). Requests no entry matches pass.
///
/// Limiters are lock-free and shared by every worker thread: `maxConnections` an atomic
/// in-flight count, `fixedWindow` an atomic (window, count) pair, `tokenBucket` an atomic
/// (fill tick, tokens) pair, `leakyBucket` a leaky bucket as a meter (GCRA: one atomic
/// theoretical arrival time; a request that would overflow the bucket is rejected, never
/// queued). Windows and ticks count from the moment the middleware was built.
///
/// An around middleware: `maxConnections` holds its slot until the rest of the chain has
/// returned (also when it throws or is cancelled), and retries await a timer.

#include <aileron/config/decode.hpp>
#include <aileron/config/matcher.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/server/http_method.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace aileron::middlewares {

class throttle {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "ThrottleMiddleware";

    struct max_connections_config {
        std::int32_t max_conns = 128;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("maxConns", "MaxConns", &max_connections_config::max_conns)};
        }
    };
    struct fixed_window_config {
        std::int64_t window_size = 1000;   ///< milliseconds
        std::int32_t limit = 1000;         ///< requests per window
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("windowSize", "WindowSize", &fixed_window_config::window_size),
                              field("limit", "Limit", &fixed_window_config::limit)};
        }
    };
    struct token_bucket_config {
        std::int32_t bucket_size = 1000;
        std::int64_t fill_interval = 1000;   ///< milliseconds
        std::int32_t fill_rate = 1000;       ///< tokens per interval
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("bucketSize", "BucketSize", &token_bucket_config::bucket_size),
                              field("fillInterval", "FillInterval", &token_bucket_config::fill_interval),
                              field("fillRate", "FillRate", &token_bucket_config::fill_rate)};
        }
    };
    struct leaky_bucket_config {
        std::int32_t bucket_size = 1000;
        std::int64_t leak_interval = 1;   ///< milliseconds per request leaked
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("bucketSize", "BucketSize", &leaky_bucket_config::bucket_size),
                              field("leakInterval", "LeakInterval", &leaky_bucket_config::leak_interval)};
        }
    };

    /// AILERON's `APIThrottlerSpec`; exactly one of the four limiters must be given.
    struct api_throttler_config {
        aileron::config::matcher_spec matcher;
        std::vector<http_method> methods;
        std::int32_t max_retry = 0;
        std::optional<max_connections_config> max_connections;
        std::optional<token_bucket_config> token_bucket;
        std::optional<fixed_window_config> fixed_window;
        std::optional<leaky_bucket_config> leaky_bucket;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{aileron::config::required_field("matcher", "Matcher", &api_throttler_config::matcher),
                              field("methods", "Methods", &api_throttler_config::methods),
                              field("maxRetry", "MaxRetry", &api_throttler_config::max_retry),
                              field("maxConnections", "MaxConnections", &api_throttler_config::max_connections),
                              field("tokenBucket", "TokenBucket", &api_throttler_config::token_bucket),
                              field("fixedWindow", "FixedWindow", &api_throttler_config::fixed_window),
                              field("leakyBucket", "LeakyBucket", &api_throttler_config::leaky_bucket)};
        }
        void normalize(aileron::config::decoder& d);
    };

    struct config {
        std::vector<api_throttler_config> api_throttlers;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("apiThrottlers", "APIThrottlers", &config::api_throttlers)};
        }
    };

    /// What a limiter says about one request.
    struct decision {
        bool accepted = false;
        bool holds_slot = false;                  ///< accepted and must be released
        std::chrono::milliseconds retry_after{};  ///< when rejected: a hint for the client
    };
    /// A lock-free limiter shared by every worker thread.
    class limiter {
    public:
        virtual ~limiter() = default;
        virtual decision accept() noexcept = 0;
        virtual void release() noexcept {}
    };

    throttle() = default;
    /// Throws std::invalid_argument when an entry has no limiter or more than one.
    explicit throttle(const config& cfg);

    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        const entry* e = find(req);
        if (!e) co_return co_await next(req);
        decision d = e->limit->accept();
        for (std::int32_t i = 0; !d.accepted && i < e->max_retry; ++i) {
            if (!co_await wait_backoff(i)) break;
            d = e->limit->accept();
        }
        if (!d.accepted) co_return too_many_requests(req, d.retry_after);
        slot held{d.holds_slot ? e->limit.get() : nullptr};
        co_return co_await next(req);
    }

private:
    struct entry {
        string_matcher paths;
        std::vector<http::verb> methods;
        std::int32_t max_retry = 0;
        std::unique_ptr<limiter> limit;
    };
    /// Releases a held limiter slot when the request is done.
    struct slot {
        limiter* l;
        ~slot() {
            if (l) l->release();
        }
    };

    const entry* find(const request& req) const;
    /// Sleeps the backoff of retry `attempt`; false when cancelled.
    static task<bool> wait_backoff(std::int32_t attempt);
    static response too_many_requests(const request& req, std::chrono::milliseconds retry_after);

    std::vector<entry> entries_;
};

static_assert(middleware<throttle>);

}  // namespace aileron::middlewares
