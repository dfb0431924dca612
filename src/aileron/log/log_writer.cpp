#include <aileron/log/log_writer.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <pthread.h>
#include <unistd.h>

namespace aileron {

namespace {

constexpr std::uint32_t skip_marker = 0xffffffffu;   ///< "the rest of the ring is unused"
constexpr std::uint32_t heap_flag = 0x80000000u;     ///< the payload is a std::string* (a record too big for the ring)

constexpr std::size_t round4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

std::atomic<std::uint64_t> next_writer_id{1};

void write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;   // nowhere to report it: the log is the report channel
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

void fd_sink::write(std::string_view record) {
    buf_ += record;
    if (buf_.size() >= 256 * 1024) flush();
}

void fd_sink::flush() {
    write_all(fd_, buf_);
    buf_.clear();
}

//----------------------------------------------------------------------------------------------

/// One producing thread's queue: head is written by the producer, tail by the writer thread.
struct log_writer::ring {
    explicit ring(std::size_t cap) : capacity(cap), data(std::make_unique<char[]>(cap)) {}
    ~ring() {
        // Records too big for the ring that were never written.
        std::uint64_t t = tail.load(std::memory_order_relaxed), h = head.load(std::memory_order_relaxed);
        while (t != h) {
            const std::size_t pos = t % capacity;
            std::uint32_t hdr;
            std::memcpy(&hdr, data.get() + pos, 4);
            if (hdr == skip_marker) {
                t += capacity - pos;
                continue;
            }
            if (hdr & heap_flag) {
                std::string* s;
                std::memcpy(&s, data.get() + pos + 4, sizeof s);
                delete s;
                t += 4 + round4(sizeof s);
            } else {
                t += 4 + round4(hdr);
            }
        }
    }
    const std::size_t capacity;   ///< a multiple of 4
    std::unique_ptr<char[]> data;
    alignas(64) std::atomic<std::uint64_t> head{0};
    std::uint64_t tail_cache = 0;   ///< producer's last view of tail
    alignas(64) std::atomic<std::uint64_t> tail{0};
    std::atomic<std::uint64_t> dropped{0};
};

log_writer::log_writer(std::unique_ptr<log_sink> sink, options opt)
    : sink_(std::move(sink)), opt_(opt), id_(next_writer_id.fetch_add(1, std::memory_order_relaxed)) {
    opt_.ring_bytes = std::max<std::size_t>(round4(opt_.ring_bytes), 4096);
    // The thread inherits the signal mask: block everything so that SIGINT/SIGTERM go to the
    // thread that waits for them, whatever mask the creating thread has.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    thread_ = std::thread{[this] { run(); }};
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

log_writer::~log_writer() {
    {
        std::lock_guard lock{wake_mutex_};
        stop_ = true;
    }
    wake_cv_.notify_one();
    thread_.join();
}

namespace {

/// One ring of the calling thread: the writer's id (ids are never reused, so an entry of a
/// destroyed writer never matches) and the ring it shares with that writer.
struct thread_ring {
    std::uint64_t writer;
    std::shared_ptr<log_writer::ring> r;
};

/// The rings of this thread, one per writer it logged to. A ring that only this list still
/// holds belongs to a writer that is gone: it is freed when the thread takes its next ring, so
/// that loggers made and dropped one after another (config reloads, `--check` runs in one
/// process) do not each leave a ring (1 MiB by default) behind in every thread that used them.
std::vector<thread_ring>& this_thread_rings() {
    thread_local std::vector<thread_ring> mine;
    return mine;
}

void drop_orphaned(std::vector<thread_ring>& mine) {
    std::erase_if(mine, [](const thread_ring& e) { return e.r.use_count() == 1; });
}

}  // namespace

std::size_t log_writer::rings_of_this_thread() { return this_thread_rings().size(); }

log_writer::ring* log_writer::ring_for_this_thread() {
    auto& mine = this_thread_rings();
    for (auto& e : mine)
        if (e.writer == id_) return e.r.get();
    drop_orphaned(mine);
    auto r = std::make_shared<ring>(opt_.ring_bytes);
    {
        std::lock_guard lock{rings_mutex_};
        rings_.push_back(r);
        rings_generation_.fetch_add(1, std::memory_order_release);
    }
    mine.push_back(thread_ring{id_, r});
    return r.get();
}

bool log_writer::push(std::string_view record) noexcept {
    ring* r;
    try {
        r = ring_for_this_thread();
    } catch (...) {
        dropped_total_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    const std::size_t cap = r->capacity;
    // A record larger than a quarter of the ring goes on the heap; the ring carries a pointer.
    const bool on_heap = record.size() > cap / 4;
    const std::size_t payload = on_heap ? sizeof(std::string*) : record.size();
    const std::size_t need = 4 + round4(payload);
    std::uint64_t h = r->head.load(std::memory_order_relaxed);
    const std::size_t pos = h % cap;
    const std::size_t to_end = cap - pos;
    const std::size_t total = need > to_end ? to_end + need : need;
    if (h + total - r->tail_cache > cap) {
        r->tail_cache = r->tail.load(std::memory_order_acquire);
        if (h + total - r->tail_cache > cap) {
            r->dropped.fetch_add(1, std::memory_order_relaxed);
            dropped_total_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
    }
    char* d = r->data.get();
    std::size_t at = pos;
    if (need > to_end) {
        std::memcpy(d + pos, &skip_marker, 4);
        h += to_end;
        at = 0;
    }
    if (on_heap) {
        std::string* copy;
        try {
            copy = new std::string{record};
        } catch (...) {
            dropped_total_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        const std::uint32_t hdr = heap_flag;
        std::memcpy(d + at, &hdr, 4);
        std::memcpy(d + at + 4, &copy, sizeof copy);
    } else {
        const auto hdr = static_cast<std::uint32_t>(record.size());
        std::memcpy(d + at, &hdr, 4);
        std::memcpy(d + at + 4, record.data(), record.size());
    }
    h += need;
    r->head.store(h, std::memory_order_release);
    // A ring past half full calls the writer now, whatever it is doing (a burst).
    if (h - r->tail_cache > cap / 2) {
        r->tail_cache = r->tail.load(std::memory_order_acquire);
        if (h - r->tail_cache > cap / 2 && !urgent_.load(std::memory_order_relaxed)) {
            urgent_.store(true, std::memory_order_relaxed);
            std::lock_guard lock{wake_mutex_};
            wake_cv_.notify_one();
        }
    }
    // Wake the writer if it sleeps. No fence orders the store of head before this load (a
    // locked instruction per record costs more than the rest of push): a record pushed just as
    // the writer goes to sleep can miss the wake-up, and then waits for the next record's push,
    // which sees the flag, or for the writer's timed wake-up (100 ms), whichever comes first.
    if (sleeping_.load(std::memory_order_relaxed)) wake();
    return true;
}

void log_writer::wake() noexcept {
    // A plain load first: the exchange would make every producer write the shared flag.
    if (!sleeping_.load(std::memory_order_relaxed) || !sleeping_.exchange(false, std::memory_order_acq_rel)) return;
    std::lock_guard lock{wake_mutex_};
    wake_cv_.notify_one();
}

bool log_writer::drain() {
    if (std::uint64_t g = rings_generation_.load(std::memory_order_acquire); g != seen_generation_) {
        std::lock_guard lock{rings_mutex_};
        seen_generation_ = rings_generation_.load(std::memory_order_relaxed);
        // Rings whose thread has ended (only this list still holds them) go once empty.
        std::erase_if(rings_, [](const std::shared_ptr<ring>& r) {
            return r.use_count() == 1 && r->head.load(std::memory_order_acquire) == r->tail.load(std::memory_order_relaxed);
        });
        seen_rings_ = rings_;
    }
    bool wrote = false;
    for (auto& r : seen_rings_) {
        const std::uint64_t h = r->head.load(std::memory_order_acquire);
        std::uint64_t t = r->tail.load(std::memory_order_relaxed);
        const char* d = r->data.get();
        while (t != h) {
            const std::size_t pos = t % r->capacity;
            std::uint32_t hdr;
            std::memcpy(&hdr, d + pos, 4);
            if (hdr == skip_marker) {
                t += r->capacity - pos;
                continue;
            }
            if (hdr & heap_flag) {
                std::string* s;
                std::memcpy(&s, d + pos + 4, sizeof s);
                std::unique_ptr<std::string> owned{s};
                sink_->write(*owned);
                t += 4 + round4(sizeof s);
            } else {
                sink_->write(std::string_view{d + pos + 4, hdr});
                t += 4 + round4(hdr);
            }
            wrote = true;
        }
        r->tail.store(t, std::memory_order_release);
    }
    if (std::uint64_t dropped = dropped_total_.load(std::memory_order_relaxed); dropped != dropped_reported_) {
        const std::uint64_t n = dropped - dropped_reported_;
        dropped_reported_ = dropped;
        sink_->write(opt_.drop_format ? opt_.drop_format(n, opt_.drop_ctx)
                                      : "log records dropped: the writer's queue was full. count=" + std::to_string(n) + "\n");
        wrote = true;
    }
    if (wrote) sink_->flush();
    return wrote;
}

void log_writer::run() {
    using namespace std::chrono;
    for (;;) {
        const bool wrote = drain();
        if (auto t = sink_->next_tick(); t <= system_clock::now()) {
            sink_->tick(system_clock::now());
            sink_->flush();
        }
        std::unique_lock lock{wake_mutex_};
        if (flush_requested_ != flush_done_) {
            // Everything queued before the request was drained above, unless it arrived
            // between the drain and now: drain once more without the lock.
            const std::uint64_t upto = flush_requested_;
            lock.unlock();
            drain();
            sink_->flush();
            lock.lock();
            flush_done_ = upto;
            flushed_cv_.notify_all();
        }
        if (stop_) {
            lock.unlock();
            drain();
            sink_->flush();
            return;
        }
        if (wrote) {
            // Records keep coming: poll rather than make producers wake us. Every 5 ms: fewer
            // wake-ups of this thread that would preempt a busy worker; a ring half full cuts
            // the wait short (see push).
            wake_cv_.wait_for(lock, 5ms, [this] {
                return stop_ || flush_requested_ != flush_done_ || urgent_.load(std::memory_order_relaxed);
            });
            urgent_.store(false, std::memory_order_relaxed);
            continue;
        }
        sleeping_.store(true, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        lock.unlock();
        // A producer may have pushed between the drain and the flag: look once more.
        if (drain()) {
            sleeping_.store(false, std::memory_order_relaxed);
            continue;
        }
        lock.lock();
        auto until = std::min(sink_->next_tick(), system_clock::now() + milliseconds{100});
        wake_cv_.wait_until(lock, until, [this] {
            return stop_ || flush_requested_ != flush_done_ || !sleeping_.load(std::memory_order_relaxed) ||
                   urgent_.load(std::memory_order_relaxed);
        });
        sleeping_.store(false, std::memory_order_relaxed);
        urgent_.store(false, std::memory_order_relaxed);
    }
}

void log_writer::flush() {
    std::unique_lock lock{wake_mutex_};
    const std::uint64_t ticket = ++flush_requested_;
    wake_cv_.notify_one();
    flushed_cv_.wait(lock, [&] { return flush_done_ >= ticket || stop_; });
}

}  // namespace aileron
