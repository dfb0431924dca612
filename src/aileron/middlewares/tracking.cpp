#include <aileron/middlewares/tracking.hpp>

#include <array>
#include <cstdint>
#include <random>

namespace aileron::middlewares {

namespace {

constexpr std::string_view alphabet = "0123456789BCDFGHJKLMNPQRSTUVWXYZ";

bool valid_header_name(std::string_view name) noexcept {
    for (char c : name) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                        c == '_';
        if (!ok) return false;
    }
    return true;
}

/// xoshiro256** (Blackman & Vigna): fast, 256-bit state, one per thread.
class xoshiro256 {
public:
    xoshiro256() {
        std::random_device rd;
        for (auto& w : s_) w = (std::uint64_t{rd()} << 32) ^ rd();
        if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
    }
    std::uint64_t operator()() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::array<std::uint64_t, 4> s_{};
};

}  // namespace

void tracking::config::normalize(aileron::config::decoder& d) {
    if (!valid_header_name(request_id_proxy_name)) d.error("requestIDProxyName", "must match ^[0-9a-zA-Z-_]*$");
    if (!valid_header_name(trace_id_proxy_name)) d.error("traceIDProxyName", "must match ^[0-9a-zA-Z-_]*$");
    if (!valid_header_name(trace_id_extract_name)) d.error("traceIDExtractName", "must match ^[0-9a-zA-Z-_]*$");
}

void tracking::new_request_id(char (&out)[48]) noexcept {
    thread_local xoshiro256 rng;
    // 30 bytes = 240 bits = 48 base32 digits of 5 bits, no padding: take them straight from
    // 4 words of randomness (256 bits, the last 16 unused).
    std::array<std::uint64_t, 4> words{rng(), rng(), rng(), rng()};
    for (std::size_t i = 0; i < 48; ++i) {
        const std::size_t bit = i * 5;
        const std::size_t w = bit / 64, off = bit % 64;
        std::uint64_t v = words[w] >> off;
        if (off > 59) v |= words[w + 1] << (64 - off);
        out[i] = alphabet[v & 31];
    }
}

std::string tracking::new_request_id() {
    char id[48];
    new_request_id(id);
    return std::string{id, sizeof id};
}

std::optional<response> tracking::on_request(request& req) const {
    request_ids& ids = req.context().ids;
    // As AILERON: a request ID the request already has (a TrackingMiddleware further out gave
    // it) is kept. The IDs are copied into the context, which outlives every header of the
    // request that a middleware may replace (the trace header, below, for one).
    char fresh[48];
    std::string_view request_id = ids.request();
    if (ids.empty()) {
        new_request_id(fresh);
        request_id = std::string_view{fresh, sizeof fresh};
    }
    std::string_view trace_id;
    if (!extract_header_.empty()) trace_id = req[extract_header_];
    if (trace_id.empty()) trace_id = request_id;
    ids.assign(request_id, trace_id);
    if (!request_header_.empty()) req.set(request_header_, ids.request());
    if (!trace_header_.empty()) req.set(trace_header_, ids.trace());
    return std::nullopt;
}

}  // namespace aileron::middlewares
