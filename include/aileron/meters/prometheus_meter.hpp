#pragma once
/// @file
/// `app/v1 PrometheusMeter`: request metrics in the Prometheus text format, in three roles
/// played by one object, as in AILERON:
///
/// - **middleware**: counts the requests a server handles (`http_requests_total` with AILERON's
///   labels `host`, `path`, `code`, `method`), times them (`http_request_duration_seconds`, a
///   histogram by method and status class) and shows how many are in progress
///   (`http_requests_in_flight`);
/// - **tripperware**: the same for the requests a client sends upstream
///   (`http_client_requests_total`, `http_client_request_duration_seconds`,
///   `http_client_requests_in_flight`); a request that got no response is counted with code 0;
/// - **handler**: serves all of it, plus the process metrics (CPU, memory, file descriptors,
///   start time), as text exposition format 0.0.4 on its `patterns` (default `/metrics`).
///
/// Counting takes no lock shared between threads: each thread that observes requests has its
/// own shard of counters (found through a thread-local table), written by that thread alone
/// with relaxed atomic stores; a scrape sums the shards. A shard's mutex is taken only when its
/// thread meets a new label set (and by a scrape), never for a known one.
///
/// The label sets of the counters are bounded: AILERON labels by raw host and path, which the
/// client chooses, so after `max_series` series (or for a host or path longer than
/// `max_label_bytes`) requests are counted under host and path `_overflow_`, and under method
/// `OTHER` if it is not a standard one.
///
/// A request's duration ends when its response header exists: a streamed body (a proxied
/// download) is not included. The server side measures from the moment the request header was
/// read (`request_context::start`), the client side from the tripperware's call.

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/core/round_tripper.hpp>
#include <aileron/handlers/routes.hpp>
#include <aileron/server/http_method.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace aileron::meters {

class prometheus_meter : public handlers::routes {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "PrometheusMeter";

    /// Most counter series (label sets times codes, both directions together) kept apart.
    static constexpr std::size_t max_series = 10000;
    /// A host or path longer than this is counted under `_overflow_`.
    static constexpr std::size_t max_label_bytes = 1024;

    struct config {
        std::vector<std::string> patterns;   ///< empty: ["/metrics"] (AILERON's Mutate)
        std::vector<http_method> methods;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("patterns", "Patterns", &config::patterns),
                              aileron::config::field("methods", "Methods", &config::methods)};
        }
        void normalize(aileron::config::decoder& d);
    };

    using clock = std::chrono::steady_clock;

    /// `now` is the clock durations end on (tests pass their own).
    explicit prometheus_meter(const config& cfg, clock::time_point (*now)() = &clock::now);
    ~prometheus_meter();
    prometheus_meter(prometheus_meter&&) noexcept;
    prometheus_meter& operator=(prometheus_meter&&) noexcept;

    /// The handler: the exposition of every metric, `text/plain; version=0.0.4`.
    task<response> operator()(request& req) const;

    /// The middleware: counts and times the rest of the chain.
    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        observation obs{*state_, direction::server, req};
        response res = co_await next(req);
        obs.finish(res.result_int());
        co_return res;
    }

    /// The tripperware: counts and times the rest of the client chain.
    template <round_tripper Next>
    task<result<response>> operator()(request& req, Next next) const {
        observation obs{*state_, direction::client, req};
        result<response> res = co_await next(req);
        if (res) obs.finish(res->result_int());
        else obs.finish(0);
        co_return res;
    }

    /// The exposition text the handler serves; without the process metrics when `process` is
    /// false (they change by themselves).
    std::string exposition(bool process = true) const;

private:
    class state;
    enum class direction : unsigned char { server, client };

    /// One request between the start and the end of its measurement. Ending without `finish`
    /// (an exception, a cancelled coroutine) counts code 500 for a server request and 0 for a
    /// client one.
    class observation {
    public:
        observation(state& s, direction d, const request& req);
        observation(const observation&) = delete;
        observation& operator=(const observation&) = delete;
        ~observation();
        void finish(unsigned code) noexcept;

    private:
        state* state_;
        const void* labels_;
        clock::time_point start_;
        direction dir_;
        bool done_ = false;
    };

    std::unique_ptr<state> state_;
};

static_assert(handler<prometheus_meter>);
static_assert(around_middleware<prometheus_meter>);
static_assert(!round_tripper<prometheus_meter>);

}  // namespace aileron::meters
