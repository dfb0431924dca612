#pragma once
/// @file
/// The request ID and trace ID a TrackingMiddleware gave a request, which its logs carry as
/// AILERON's context attribute `"ids":{"request":..,"trace":..}` (HTTPLogger's access records
/// and the records written through `logger::error(ids, ...)` and the like).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace aileron {

/**
 * A request's tracking IDs: empty until a TrackingMiddleware sets them.
 *
 * Lives in the request context, which a connection reuses across its requests: the request ID
 * is kept in a fixed buffer and the trace ID's storage is kept by `clear()`, so setting them
 * allocates at most once per connection (for a trace ID longer than the small-string buffer).
 */
class request_ids {
public:
    /// Longest request ID kept; TrackingMiddleware's are exactly this long.
    static constexpr std::size_t max_request_id = 48;

    /// True until `assign`.
    bool empty() const noexcept { return !set_; }
    std::string_view request() const noexcept { return {request_, request_size_}; }
    std::string_view trace() const noexcept { return trace_; }

    /// Sets both IDs (a request ID longer than `max_request_id` is cut there). Either may be a
    /// view of this object's own.
    void assign(std::string_view request_id, std::string_view trace_id) {
        request_size_ = static_cast<std::uint8_t>(std::min(request_id.size(), max_request_id));
        std::memmove(request_, request_id.data(), request_size_);
        trace_.assign(trace_id.data(), trace_id.size());
        set_ = true;
    }

    /// Back to empty, keeping the trace ID's storage for the next request.
    void clear() noexcept {
        set_ = false;
        request_size_ = 0;
        trace_.clear();
    }

private:
    char request_[max_request_id];
    std::uint8_t request_size_ = 0;
    bool set_ = false;
    std::string trace_;
};

}  // namespace aileron
