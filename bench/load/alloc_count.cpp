// An LD_PRELOAD library that counts a process's heap allocations (malloc, calloc, realloc,
// aligned_alloc, posix_memalign, memalign; operator new and Asio's frame allocator end up in
// these) and prints the total to stderr when the process exits:
//
//   LD_PRELOAD=build/bench/liballoc_count.so server ...   ->   "alloc_count: 123456 allocations"
//
// bench/load/alloc_count.sh runs a server under it twice, without load and under wrk, and
// prints the allocations per request. One relaxed atomic increment per allocation: cheap, but
// not free; do not measure throughput with it loaded.
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdio>

namespace {

std::atomic<unsigned long> count{0};

using malloc_fn = void* (*)(std::size_t);
using calloc_fn = void* (*)(std::size_t, std::size_t);
using realloc_fn = void* (*)(void*, std::size_t);
using aligned_fn = void* (*)(std::size_t, std::size_t);
using posix_fn = int (*)(void**, std::size_t, std::size_t);
using free_fn = void (*)(void*);

template <class F>
F next(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

// dlsym may itself call calloc before the real one is known: those few blocks come from here
// and are never freed.
alignas(16) char bootstrap[8192];
std::size_t bootstrap_used = 0;
bool in_dlsym = false;

bool from_bootstrap(void* p) {
    return p >= static_cast<void*>(bootstrap) && p < static_cast<void*>(bootstrap + sizeof bootstrap);
}

void bump() { count.fetch_add(1, std::memory_order_relaxed); }

struct reporter {
    ~reporter() {
        char line[64];
        int n = std::snprintf(line, sizeof line, "alloc_count: %lu allocations\n", count.load());
        if (n > 0) (void)!::write(2, line, static_cast<std::size_t>(n));
    }
} report_at_exit;

}  // namespace

extern "C" {

void* malloc(std::size_t n) {
    static malloc_fn real = nullptr;   // no guarded static: dlsym may allocate
    if (!real) real = next<malloc_fn>("malloc");
    bump();
    return real(n);
}

void* calloc(std::size_t a, std::size_t b) {
    static calloc_fn real = nullptr;
    if (!real) {
        if (in_dlsym) {
            void* p = bootstrap + bootstrap_used;
            bootstrap_used += (a * b + 15) & ~std::size_t{15};
            return bootstrap_used <= sizeof bootstrap ? p : nullptr;
        }
        in_dlsym = true;
        real = next<calloc_fn>("calloc");
        in_dlsym = false;
    }
    bump();
    return real(a, b);
}

void* realloc(void* p, std::size_t n) {
    static realloc_fn real = nullptr;   // no guarded static: dlsym may allocate
    if (!real) real = next<realloc_fn>("realloc");
    bump();
    return real(p, n);
}

void* aligned_alloc(std::size_t align, std::size_t n) {
    static aligned_fn real = nullptr;   // no guarded static: dlsym may allocate
    if (!real) real = next<aligned_fn>("aligned_alloc");
    bump();
    return real(align, n);
}

void* memalign(std::size_t align, std::size_t n) {
    static aligned_fn real = nullptr;   // no guarded static: dlsym may allocate
    if (!real) real = next<aligned_fn>("memalign");
    bump();
    return real(align, n);
}

int posix_memalign(void** out, std::size_t align, std::size_t n) {
    static posix_fn real = nullptr;   // no guarded static: dlsym may allocate
    if (!real) real = next<posix_fn>("posix_memalign");
    bump();
    return real(out, align, n);
}

void free(void* p) {
    static free_fn real = nullptr;   // no guarded static: dlsym may allocate
    if (!real) real = next<free_fn>("free");
    if (from_bootstrap(p)) return;
    real(p);
}

}  // extern "C"
