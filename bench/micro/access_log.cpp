// What HTTPLogger's access log costs the thread that serves a request: the request's two records
// formatted and queued, against the same request through a plain around middleware.
//
//   plain            static_chain<handler, around middleware that only awaits next>
//   access_log       static_chain<handler, http_logger>: default config (no headers logged)
//   access_headers   the same logging every request header ("*", 6 headers) and masking one
//   access_format    the same with logFormat text lines instead of JSON records
//   access_tracked   access_log behind a TrackingMiddleware (no header names): both records carry
//                    the request's "ids" (request ID and a 36-byte trace ID taken from a header)
//
// The records go to a logger whose background writer throws them away (a sink that counts
// bytes): what is measured is the worker's share, formatting and queueing. The writer's own
// cost (the write(2) of each batch) is on its thread; bench/load measures both together. The
// request carries 6 typical headers and a query string. Counters: allocs (heap allocations per
// request on the serving thread) and bytes (log bytes per request).
#include <aileron/chain/static_chain.hpp>
#include <aileron/log/http_logger.hpp>
#include <aileron/log/logger.hpp>
#include <aileron/middlewares/tracking.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <new>

namespace {
thread_local std::uint64_t allocations = 0;
}

extern "C" void* __libc_memalign(std::size_t, std::size_t);

extern "C" void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
    ++allocations;
    return __libc_memalign(align, size);
}
void* operator new(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc{};
}

namespace {

using namespace aileron;

std::atomic<std::uint64_t> sunk_bytes{0};

/// Drops what it is given, counting it (on the writer thread).
struct null_sink final : log_sink {
    void write(std::string_view r) override { sunk_bytes.fetch_add(r.size(), std::memory_order_relaxed); }
    void flush() override {}
};

const logger& access_logger() {
    static logger l{logger::options{}, std::make_unique<null_sink>()};
    return l;
}

struct ok_handler {
    task<response> operator()(request& req) const {
        response res{http::status::ok, req.version()};
        res.set(http::field::content_type, "text/plain");
        res.body() = "hello world";
        co_return res;
    }
};

struct plain_around {
    template <class Next>
    task<response> operator()(request& req, Next next) const {
        co_return co_await next(req);
    }
};

asio::io_context& context() {
    static asio::io_context ioc{1};
    return ioc;
}

template <class H>
task<void> request_loop(benchmark::State& state, const H& h, std::uint64_t& allocs) {
    request req{http::verb::get, "/api/v1/items?page=2&limit=50", 11};
    req.set(http::field::host, "gateway.example");
    req.set(http::field::user_agent, "wrk/4.1.0");
    req.set(http::field::accept, "application/json");
    req.set(http::field::accept_encoding, "gzip, br");
    req.set(http::field::authorization, "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig");
    req.set("x-request-id", "0a1b2c3d4e5f");
    req.set("x-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736-01");
    req.context().remote = tcp::endpoint{asio::ip::make_address("127.0.0.1"), 53124};
    const std::uint64_t before = allocations;
    for (auto _ : state) {
        req.context().ids.clear();   // as the server does before each request of a connection
        response res = co_await h(req);
        benchmark::DoNotOptimize(res);
    }
    allocs = allocations - before;
}

template <class H>
void run(benchmark::State& state, const H& h) {
    std::uint64_t allocs = 0;
    std::exception_ptr failure;
    const std::uint64_t bytes_before = sunk_bytes.load();
    asio::io_context& ioc = context();
    asio::co_spawn(ioc, request_loop(state, h, allocs), [&](std::exception_ptr e) { failure = e; });
    ioc.restart();
    ioc.run();
    if (failure) {
        state.SkipWithError("the request loop threw");
        return;
    }
    access_logger().flush();
    const auto iters = static_cast<double>(state.iterations());
    state.SetItemsProcessed(state.iterations());
    state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocs) / iters);
    state.counters["bytes"] = benchmark::Counter(static_cast<double>(sunk_bytes.load() - bytes_before) / iters);
    state.counters["dropped"] = benchmark::Counter(static_cast<double>(access_logger().dropped()));
}

http_logger::config base_config() {
    http_logger::config c;
    return c;
}

void plain(benchmark::State& state) {
    static_chain chain{ok_handler{}, plain_around{}};
    run(state, chain);
}

void access_log(benchmark::State& state) {
    static_chain chain{ok_handler{}, http_logger{base_config(), access_logger()}};
    run(state, chain);
}

void access_headers(benchmark::State& state) {
    auto c = base_config();
    c.request.headers.push_back({"*", {}});
    config::replacer_spec mask;
    mask.fixed = config::fixed_replacer_spec{"***"};
    c.request.headers.push_back({"Authorization", {mask}});
    c.response.headers.push_back({"*", {}});
    static_chain chain{ok_handler{}, http_logger{c, access_logger()}};
    run(state, chain);
}

void access_format(benchmark::State& state) {
    auto c = base_config();
    c.request.log_format = "%time% %id% %remote% \"%method% %path%?%query% %proto%\" %size%";
    c.response.log_format = "%time% %id% %status% %size% %duration%";
    static_chain chain{ok_handler{}, http_logger{c, access_logger()}};
    run(state, chain);
}

void access_tracked(benchmark::State& state) {
    static_chain chain{ok_handler{}, middlewares::tracking{{.trace_id_extract_name = "X-Trace-ID"}},
                       http_logger{base_config(), access_logger()}};
    run(state, chain);
}

}  // namespace

BENCHMARK(plain);
BENCHMARK(access_log);
BENCHMARK(access_headers);
BENCHMARK(access_format);
BENCHMARK(access_tracked);

BENCHMARK_MAIN();
