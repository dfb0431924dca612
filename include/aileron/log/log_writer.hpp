#pragma once
/// @file
/// The background writer behind every logger: records are queued by the threads that log them
/// and written to the output by one thread of the writer's own, so that no event loop ever
/// waits for a disk, a full pipe or a file rotation.
///
/// Each thread that logs gets its own queue per writer (a single-producer ring of bytes, 1 MiB
/// by default): queueing a record copies it into the ring and stores an index, with no lock and
/// no system call. The writer thread empties the rings in turn (every 5 ms while records
/// keep coming, sooner when a ring is half full; otherwise it sleeps until woken) and hands the
/// records to its `log_sink`.
///
/// **When a ring is full** the record is dropped, never waited for: the thread may be an event
/// loop. The writer counts what was dropped and reports it through its sink as one record
/// (`log records dropped: the writer's queue was full`) once there is room again.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace aileron {

/// Where the writer thread puts records. Used by that thread only.
class log_sink {
public:
    virtual ~log_sink() = default;
    /// One whole record (a line, newline included).
    virtual void write(std::string_view record) = 0;
    /// Called after each batch: push buffered bytes to the OS.
    virtual void flush() = 0;
    /// The next instant the sink wants `tick` (a scheduled rotation), or max().
    virtual std::chrono::system_clock::time_point next_tick() const { return std::chrono::system_clock::time_point::max(); }
    virtual void tick(std::chrono::system_clock::time_point /*now*/) {}
};

/// Writes to a file descriptor it does not own (stdout, stderr), buffering each batch.
class fd_sink final : public log_sink {
public:
    explicit fd_sink(int fd) noexcept : fd_(fd) {}
    void write(std::string_view record) override;
    void flush() override;

private:
    int fd_;
    std::string buf_;
};

class log_writer {
public:
    struct options {
        std::size_t ring_bytes = std::size_t{1} << 20;   ///< per producing thread
        /// Formats the record that reports `n` dropped records (nullptr: a plain line); `drop_ctx`
        /// is handed to it. Called on the writer thread.
        std::string (*drop_format)(std::uint64_t n, const void* ctx) = nullptr;
        const void* drop_ctx = nullptr;
    };

    /// Starts the writer thread (with every signal blocked, so that signals reach the thread
    /// that waits for them).
    explicit log_writer(std::unique_ptr<log_sink> sink) : log_writer(std::move(sink), options{}) {}
    log_writer(std::unique_ptr<log_sink> sink, options opt);
    /// Writes everything queued, flushes the sink, and stops the thread.
    ~log_writer();
    log_writer(const log_writer&) = delete;
    log_writer& operator=(const log_writer&) = delete;

    /// Queues one record (the caller's bytes are copied). Never blocks; false when the calling
    /// thread's ring had no room and the record was dropped.
    bool push(std::string_view record) noexcept;

    /// Waits until every record queued before the call has been handed to the sink and flushed
    /// (tests, and the end of the process).
    void flush();

    /// How many rings the calling thread holds: one per live writer it logged to, and those of
    /// writers that are gone until the thread takes its next ring (tests and diagnostics).
    static std::size_t rings_of_this_thread();

    /// Records dropped since the writer started.
    std::uint64_t dropped() const noexcept { return dropped_total_.load(std::memory_order_relaxed); }

    struct ring;

private:
    ring* ring_for_this_thread();
    void run();
    bool drain();   ///< true when it wrote something
    void wake() noexcept;

    std::unique_ptr<log_sink> sink_;
    options opt_;
    const std::uint64_t id_;
    std::mutex rings_mutex_;   ///< guards rings_ (registration, rare)
    std::vector<std::shared_ptr<ring>> rings_;
    std::atomic<std::uint64_t> rings_generation_{0};
    std::vector<std::shared_ptr<ring>> seen_rings_;   ///< the writer thread's copy
    std::uint64_t seen_generation_ = ~std::uint64_t{0};

    std::mutex wake_mutex_;
    std::condition_variable wake_cv_;
    std::atomic<bool> sleeping_{false};
    std::atomic<bool> urgent_{false};   ///< a producer's ring is past half full
    bool stop_ = false;                          ///< guarded by wake_mutex_
    std::uint64_t flush_requested_ = 0;          ///< guarded by wake_mutex_
    std::uint64_t flush_done_ = 0;               ///< guarded by wake_mutex_
    std::condition_variable flushed_cv_;
    std::atomic<std::uint64_t> dropped_total_{0};
    std::uint64_t dropped_reported_ = 0;
    std::thread thread_;
};

}  // namespace aileron
