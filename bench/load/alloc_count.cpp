// An LD_PRELOAD library that counts a process's heap allocations (malloc, calloc, realloc,
// aligned_alloc, posix_memalign, memalign, and operator new, which a malloc such as jemalloc
// replaces too instead of letting libstdc++'s call malloc; Asio's frame allocator ends up in
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
#include <new>

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

/// > 0 while an operator new of this library runs: it counted the allocation already, and
/// libstdc++'s operator new (the one it calls when the malloc is glibc's) calls malloc.
thread_local int in_new = 0;

void bump() {
    if (!in_new) count.fetch_add(1, std::memory_order_relaxed);
}

/// Counts one allocation and calls the operator new that the process would call without this
/// library (jemalloc's or libstdc++'s), found by its mangled name.
template <class Sig, class... Args>
void* counted_new(Sig*& real, const char* name, Args... args) {
    if (!real) real = reinterpret_cast<Sig*>(::dlsym(RTLD_NEXT, name));
    bump();
    ++in_new;
    struct leave {
        ~leave() { --in_new; }
    } on_exit;
    return real(args...);
}

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

// The replaceable allocating forms of operator new (the deleting forms need no counting: they
// go to the same library as the matching new, which this one called).
using new_fn = void*(std::size_t);
using new_nothrow_fn = void*(std::size_t, const std::nothrow_t&) noexcept;
using new_aligned_fn = void*(std::size_t, std::align_val_t);
using new_aligned_nothrow_fn = void*(std::size_t, std::align_val_t, const std::nothrow_t&) noexcept;

void* operator new(std::size_t n) {
    static new_fn* real = nullptr;
    return counted_new(real, "_Znwm", n);
}
void* operator new[](std::size_t n) {
    static new_fn* real = nullptr;
    return counted_new(real, "_Znam", n);
}
void* operator new(std::size_t n, const std::nothrow_t& t) noexcept {
    static new_nothrow_fn* real = nullptr;
    return counted_new<new_nothrow_fn, std::size_t, const std::nothrow_t&>(real, "_ZnwmRKSt9nothrow_t", n, t);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
    static new_nothrow_fn* real = nullptr;
    return counted_new<new_nothrow_fn, std::size_t, const std::nothrow_t&>(real, "_ZnamRKSt9nothrow_t", n, t);
}
void* operator new(std::size_t n, std::align_val_t a) {
    static new_aligned_fn* real = nullptr;
    return counted_new(real, "_ZnwmSt11align_val_t", n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
    static new_aligned_fn* real = nullptr;
    return counted_new(real, "_ZnamSt11align_val_t", n, a);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t& t) noexcept {
    static new_aligned_nothrow_fn* real = nullptr;
    return counted_new<new_aligned_nothrow_fn, std::size_t, std::align_val_t, const std::nothrow_t&>(
        real, "_ZnwmSt11align_val_tRKSt9nothrow_t", n, a, t);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t& t) noexcept {
    static new_aligned_nothrow_fn* real = nullptr;
    return counted_new<new_aligned_nothrow_fn, std::size_t, std::align_val_t, const std::nothrow_t&>(
        real, "_ZnamSt11align_val_tRKSt9nothrow_t", n, a, t);
}
