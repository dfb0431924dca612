#pragma once
/// @file
/// Running a piece of work against a deadline, with cancellation of the work when the
/// deadline wins.

#include <aileron/core/http.hpp>

#include <chrono>
#include <optional>

namespace aileron {

/**
 * Runs `work` until it yields a response or `timeout` passes, whichever is first. When the
 * deadline wins, the work is cancelled (terminal cancellation through its cancellation slot:
 * socket reads and timers it awaits complete with `operation_aborted`) and awaited until it
 * has unwound, then nothing is returned. Work that awaits nothing cancellable runs to its end
 * first. An exception thrown by the work propagates.
 */
task<std::optional<response>> run_with_timeout(task<response> work, std::chrono::steady_clock::duration timeout);

}  // namespace aileron
