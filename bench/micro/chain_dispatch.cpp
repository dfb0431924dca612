// What a request pays for going through a chain instead of a hand-written handler.
//
// Every variant does the same work per request: N counter increments (one per middleware,
// each into its own slot of a global array, so the stores cannot be dropped or merged) and
// one empty 200 response. What differs is how that work is dispatched:
//
//   baseline/N       one handler that does the N increments inline (what you would write by hand)
//   static_filter/N  static_chain<handler, filter x N>            filters run inline, one frame
//   dynamic_filter/N dynamic_chain of the same N filters as any_middleware + any_handler
//   static_response/N, dynamic_response/N   filters with on_response only: the run of filters
//                    needs one frame of its own (one per chain, not per filter)
//   static_around/N  static_chain<handler, around x N>            one coroutine frame per middleware
//   dynamic_around/N dynamic_chain of the same N around middleware
//
// One io_context serves every benchmark; each run co_spawns a single coroutine that executes
// the whole timed loop (`for (auto _ : state)`) itself, so the time per iteration is the time
// per request with no spawn or run() in it. Counters:
//   ns_per_mw   time per request / N (raw; the overhead over baseline/N is what
//               bench/micro/summarize.py prints from the same run)
//   allocs      heap allocations per request (operator new + aligned_alloc, which Asio uses for
//               coroutine frames once its 2-slot per-thread cache is exhausted)
#include <aileron/chain/any_handler.hpp>
#include <aileron/chain/any_middleware.hpp>
#include <aileron/chain/dynamic_chain.hpp>
#include <aileron/chain/static_chain.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <new>
#include <utility>
#include <vector>

//----------------------------------------------------------------------------------------------
// Allocation counting. Only the benchmark thread allocates inside the timed loop.

namespace {
thread_local std::uint64_t allocations = 0;
}

extern "C" void* __libc_memalign(std::size_t, std::size_t);   // glibc; aligned_alloc's body

// Asio allocates coroutine frames with std::aligned_alloc when its recycling cache misses.
extern "C" void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
    ++allocations;
    return __libc_memalign(align, size);
}
void* operator new(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc{};
}
// The default operator delete calls std::free, which matches.

//----------------------------------------------------------------------------------------------

namespace {

using namespace aileron;

constexpr std::size_t max_n = 16;
std::array<std::uint64_t, max_n> slots{};   // middleware i increments slots[i]

/// Filter shape: runs inline in the chain's frame.
struct count_filter {
    std::uint64_t* slot;
    std::optional<response> on_request(request&) const {
        ++*slot;
        return std::nullopt;
    }
};

/// Around shape: a coroutine of its own that awaits the rest of the chain.
struct count_around {
    std::uint64_t* slot;
    template <class Next>
    task<response> operator()(request& req, Next next) const {
        ++*slot;
        co_return co_await next(req);
    }
};

/// Filter shape with a response hook: the run of filters needs one frame for the chain.
struct count_response {
    std::uint64_t* slot;
    void on_response(request&, response&) const { ++*slot; }
};

static_assert(filter_middleware<count_filter> && filter_middleware<count_response> && around_middleware<count_around>);

/// The handler at the end of every chain: an empty 200, no allocation.
struct ok_handler {
    task<response> operator()(request& req) const { co_return response{http::status::ok, req.version()}; }
};

/// The hand-written equivalent of a chain of N counting middleware in front of ok_handler.
template <std::size_t N>
struct inline_handler {
    task<response> operator()(request& req) const {
        for (std::size_t i = 0; i < N; ++i) ++slots[i];
        co_return response{http::status::ok, req.version()};
    }
};

template <std::size_t, class T>
using repeat = T;

template <class M, std::size_t... I>
auto make_static(std::index_sequence<I...>) {
    return static_chain<ok_handler, repeat<I, M>...>{ok_handler{}, M{&slots[I]}...};
}

template <class M>
dynamic_chain make_dynamic(std::size_t n) {
    std::vector<any_middleware> ms;
    for (std::size_t i = 0; i < n; ++i) ms.emplace_back(M{&slots[i]});
    return dynamic_chain{std::move(ms), any_handler{ok_handler{}}};
}

asio::io_context& context() {
    static asio::io_context ioc{1};   // reused by every benchmark and every run
    return ioc;
}

/// The timed loop, inside one coroutine: each iteration is one request through `h`.
template <class H>
task<void> request_loop(benchmark::State& state, const H& h, std::uint64_t& allocs) {
    request req{http::verb::get, "/", 11};   // reused, as a connection reuses its context
    const std::uint64_t before = allocations;
    for (auto _ : state) {
        response res = co_await h(req);
        benchmark::DoNotOptimize(res);
    }
    allocs = allocations - before;
}

template <class H>
void run(benchmark::State& state, const H& h, std::size_t n) {
    std::uint64_t allocs = 0;
    std::exception_ptr failure;
    const auto before = slots;
    asio::io_context& ioc = context();
    asio::co_spawn(ioc, request_loop(state, h, allocs), [&](std::exception_ptr e) { failure = e; });
    ioc.restart();
    ioc.run();
    if (failure) {
        state.SkipWithError("the request loop threw");
        return;
    }
    // Proves the work was done (and makes the stores observable, so none can be elided).
    for (std::size_t i = 0; i < max_n; ++i)
        if (slots[i] - before[i] != (i < n ? static_cast<std::uint64_t>(state.iterations()) : 0)) {
            state.SkipWithError("a middleware did not run exactly once per request");
            return;
        }
    const auto iters = static_cast<double>(state.iterations());
    state.SetItemsProcessed(state.iterations());
    state.counters["ns_per_mw"] = benchmark::Counter(iters * static_cast<double>(n),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocs) / iters);
}

template <std::size_t N>
void baseline(benchmark::State& state) {
    run(state, inline_handler<N>{}, N);
}
template <std::size_t N>
void static_filter(benchmark::State& state) {
    run(state, make_static<count_filter>(std::make_index_sequence<N>{}), N);
}
template <std::size_t N>
void dynamic_filter(benchmark::State& state) {
    run(state, make_dynamic<count_filter>(N), N);
}
template <std::size_t N>
void static_response(benchmark::State& state) {
    run(state, make_static<count_response>(std::make_index_sequence<N>{}), N);
}
template <std::size_t N>
void dynamic_response(benchmark::State& state) {
    run(state, make_dynamic<count_response>(N), N);
}
template <std::size_t N>
void static_around(benchmark::State& state) {
    run(state, make_static<count_around>(std::make_index_sequence<N>{}), N);
}
template <std::size_t N>
void dynamic_around(benchmark::State& state) {
    run(state, make_dynamic<count_around>(N), N);
}

// Grouped by N so that each chain runs right after its baseline.
#define AILERON_CHAIN_BENCHES(N)                               \
    BENCHMARK(baseline<N>)->Name("baseline/" #N);              \
    BENCHMARK(static_filter<N>)->Name("static_filter/" #N);    \
    BENCHMARK(dynamic_filter<N>)->Name("dynamic_filter/" #N);  \
    BENCHMARK(static_response<N>)->Name("static_response/" #N); \
    BENCHMARK(dynamic_response<N>)->Name("dynamic_response/" #N); \
    BENCHMARK(static_around<N>)->Name("static_around/" #N);    \
    BENCHMARK(dynamic_around<N>)->Name("dynamic_around/" #N)

AILERON_CHAIN_BENCHES(1);
AILERON_CHAIN_BENCHES(4);
AILERON_CHAIN_BENCHES(16);

}  // namespace

BENCHMARK_MAIN();
