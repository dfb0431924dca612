#include <aileron/middlewares/throttle.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aileron::middlewares {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint64_t low_mask = 0xffffffffull;

/// Milliseconds since `epoch`.
std::int64_t ms_since(clock::time_point epoch) noexcept {
    return std::chrono::duration_cast<milliseconds>(clock::now() - epoch).count();
}

class max_connections final : public throttle::limiter {
public:
    explicit max_connections(std::int32_t max) : max_(max) {}
    throttle::decision accept() noexcept override {
        if (in_flight_.fetch_add(1, std::memory_order_acquire) >= max_) {
            in_flight_.fetch_sub(1, std::memory_order_release);
            return {.retry_after = milliseconds{1000}};
        }
        return {.accepted = true, .holds_slot = true};
    }
    void release() noexcept override { in_flight_.fetch_sub(1, std::memory_order_release); }

private:
    std::int32_t max_;
    std::atomic<std::int32_t> in_flight_{0};
};

/// State: window number (mod 2^32) in the high half, requests counted in it in the low half.
class fixed_window final : public throttle::limiter {
public:
    fixed_window(std::int64_t size_ms, std::int32_t limit) : size_(size_ms), limit_(static_cast<std::uint32_t>(limit)) {}
    throttle::decision accept() noexcept override {
        const std::int64_t now = ms_since(epoch_);
        std::uint32_t window = static_cast<std::uint32_t>(now / size_);
        std::uint64_t s = state_.load(std::memory_order_relaxed);
        for (;;) {
            const auto seen = static_cast<std::uint32_t>(s >> 32);
            const auto count = static_cast<std::uint32_t>(s & low_mask);
            std::uint64_t next;
            // A thread that read the clock later may already have opened the next window.
            const bool newer = static_cast<std::int32_t>(window - seen) > 0;
            if (newer) {
                next = (std::uint64_t{window} << 32) | 1u;
            } else if (count >= limit_) {
                const std::int64_t end = (static_cast<std::int64_t>(now / size_) + 1) * size_;
                return {.retry_after = milliseconds{std::max<std::int64_t>(end - now, 1)}};
            } else {
                next = s + 1;
            }
            if (state_.compare_exchange_weak(s, next, std::memory_order_relaxed)) return {.accepted = true};
        }
    }

private:
    clock::time_point epoch_ = clock::now();
    std::int64_t size_;
    std::uint32_t limit_;
    std::atomic<std::uint64_t> state_{0};   // window 0, nothing counted
};

/// State: fill tick (mod 2^32) in the high half, tokens in the low half.
class token_bucket final : public throttle::limiter {
public:
    token_bucket(std::int32_t size, std::int64_t interval_ms, std::int32_t rate)
        : size_(static_cast<std::uint32_t>(size)), interval_(interval_ms), rate_(static_cast<std::uint32_t>(rate)),
          state_(std::uint64_t{static_cast<std::uint32_t>(size)}) {}   // tick 0, full
    throttle::decision accept() noexcept override {
        const std::int64_t now = ms_since(epoch_);
        const auto tick = static_cast<std::uint32_t>(now / interval_);
        std::uint64_t s = state_.load(std::memory_order_relaxed);
        for (;;) {
            const auto last = static_cast<std::uint32_t>(s >> 32);
            const auto ticks = static_cast<std::int32_t>(tick - last);
            std::uint64_t tokens = s & low_mask;
            std::uint32_t new_tick = last;
            if (ticks > 0) {
                tokens = std::min<std::uint64_t>(size_, tokens + std::uint64_t(ticks) * rate_);
                new_tick = tick;
            }
            if (tokens == 0) {
                const std::int64_t next_fill = (static_cast<std::int64_t>(now / interval_) + 1) * interval_;
                return {.retry_after = milliseconds{std::max<std::int64_t>(next_fill - now, 1)}};
            }
            const std::uint64_t next = (std::uint64_t{new_tick} << 32) | (tokens - 1);
            if (state_.compare_exchange_weak(s, next, std::memory_order_relaxed)) return {.accepted = true};
        }
    }

private:
    clock::time_point epoch_ = clock::now();
    std::uint32_t size_;
    std::int64_t interval_;
    std::uint32_t rate_;
    std::atomic<std::uint64_t> state_;
};

/// GCRA: `tat_` is the theoretical arrival time (µs since epoch) of the next request at the
/// leak rate; a request is accepted while it is at most bucketSize - 1 intervals ahead.
class leaky_bucket final : public throttle::limiter {
public:
    leaky_bucket(std::int32_t size, std::int64_t interval_ms)
        : interval_(interval_ms * 1000), tolerance_((static_cast<std::int64_t>(size) - 1) * interval_ms * 1000) {}
    throttle::decision accept() noexcept override {
        const std::int64_t now =
            std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - epoch_).count();
        std::int64_t tat = tat_.load(std::memory_order_relaxed);
        for (;;) {
            const std::int64_t start = std::max(tat, now);
            if (start - now > tolerance_) {
                const std::int64_t wait_us = start - tolerance_ - now;
                return {.retry_after = milliseconds{std::max<std::int64_t>((wait_us + 999) / 1000, 1)}};
            }
            if (tat_.compare_exchange_weak(tat, start + interval_, std::memory_order_relaxed)) return {.accepted = true};
        }
    }

private:
    clock::time_point epoch_ = clock::now();
    std::int64_t interval_, tolerance_;
    std::atomic<std::int64_t> tat_{0};
};

int limiter_count(const throttle::api_throttler_config& c) {
    return int{c.max_connections.has_value()} + int{c.token_bucket.has_value()} + int{c.fixed_window.has_value()} +
           int{c.leaky_bucket.has_value()};
}

}  // namespace

void throttle::api_throttler_config::normalize(aileron::config::decoder& d) {
    if (max_retry < 0) d.error("maxRetry", "must be >= 0");
    for (std::size_t i = 0; i < methods.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (methods[i] == methods[j]) d.error("methods[" + std::to_string(i) + "]", "duplicate method");
    const int n = limiter_count(*this);
    if (n == 0) d.error("one of maxConnections, tokenBucket, fixedWindow or leakyBucket is required");
    if (n > 1) d.error("only one of maxConnections, tokenBucket, fixedWindow or leakyBucket may be given");
    if (max_connections && max_connections->max_conns < 1) d.error("maxConnections.maxConns", "must be >= 1");
    if (fixed_window) {
        if (fixed_window->window_size < 1) d.error("fixedWindow.windowSize", "must be >= 1 millisecond");
        if (fixed_window->limit < 1) d.error("fixedWindow.limit", "must be >= 1");
    }
    if (token_bucket) {
        if (token_bucket->bucket_size < 1) d.error("tokenBucket.bucketSize", "must be >= 1");
        if (token_bucket->fill_interval < 1) d.error("tokenBucket.fillInterval", "must be >= 1 millisecond");
        if (token_bucket->fill_rate < 1) d.error("tokenBucket.fillRate", "must be >= 1");
    }
    if (leaky_bucket) {
        if (leaky_bucket->bucket_size < 1) d.error("leakyBucket.bucketSize", "must be >= 1");
        if (leaky_bucket->leak_interval < 1) d.error("leakyBucket.leakInterval", "must be >= 1 millisecond");
    }
}

throttle::throttle(const config& cfg) {
    for (const auto& c : cfg.api_throttlers) {
        if (limiter_count(c) != 1)
            throw std::invalid_argument("ThrottleMiddleware: each apiThrottlers entry needs exactly one limiter");
        entry e{string_matcher{c.matcher}, to_verbs(c.methods), c.max_retry, nullptr};
        if (c.max_connections) e.limit = std::make_unique<max_connections>(c.max_connections->max_conns);
        else if (c.fixed_window) e.limit = std::make_unique<fixed_window>(c.fixed_window->window_size, c.fixed_window->limit);
        else if (c.token_bucket)
            e.limit = std::make_unique<token_bucket>(c.token_bucket->bucket_size, c.token_bucket->fill_interval,
                                                     c.token_bucket->fill_rate);
        else e.limit = std::make_unique<leaky_bucket>(c.leaky_bucket->bucket_size, c.leaky_bucket->leak_interval);
        entries_.push_back(std::move(e));
    }
}

const throttle::entry* throttle::find(const request& req) const {
    if (entries_.empty()) return nullptr;
    std::string scratch;   // only a target with a %-escape is decoded into it
    const std::string_view path = url_path(req.target(), scratch);
    for (const auto& e : entries_) {
        if (!e.methods.empty() && std::find(e.methods.begin(), e.methods.end(), req.method()) == e.methods.end())
            continue;
        if (e.paths.match(path)) return &e;
    }
    return nullptr;
}

task<bool> throttle::wait_backoff(std::int32_t attempt) {
    // Exponential backoff with full jitter: uniform in [1 ms, min(10 s, 1 ms * 2^attempt)].
    thread_local std::minstd_rand rng{std::random_device{}()};
    const std::int64_t cap = std::min<std::int64_t>(10'000, std::int64_t{1} << std::min(attempt, 20));
    std::uniform_int_distribution<std::int64_t> pick{1, std::max<std::int64_t>(cap, 1)};
    asio::steady_timer timer{co_await asio::this_coro::executor, milliseconds{pick(rng)}};
    auto [ec] = co_await timer.async_wait(use_nothrow);
    co_return !ec;
}

response throttle::too_many_requests(const request& req, milliseconds retry_after) {
    http_error err{.status = http::status::too_many_requests, .code = "E3213", .kind = "AppMiddleThrottle",
                   .message = "throttled"};
    const auto seconds = std::max<std::int64_t>(1, (retry_after.count() + 999) / 1000);
    err.headers.emplace_back("Retry-After", std::to_string(seconds));
    return error_response(req, err);
}

}  // namespace aileron::middlewares
