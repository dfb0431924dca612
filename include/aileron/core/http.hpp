#pragma once
/// @file
/// The HTTP vocabulary of aileron: a request and a response that stream their bodies, the
/// per-request context, and the names every other header uses (`task`, `result`, ...).
///
/// A request is a Beast request header plus a pull-based body source; a response is a Beast
/// response with a buffered string body, or a header plus a streamed body source. Bodies are
/// never buffered by the framework: whoever needs a whole body reads it, with a limit.

#include <aileron/core/request_ids.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
template <class T>
using result = boost::system::result<T>;
/// Every asynchronous operation of the framework is a coroutine returning `task<T>`.
template <class T = void>
using task = asio::awaitable<T>;
/// `auto [ec, n] = co_await op(..., use_nothrow);`: expected failures are values, not throws.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

//----------------------------------------------------------------------------------------------

/**
 * A body that is pulled piece by piece. `next()` yields the next bytes, valid until the
 * following call; an empty buffer means the body is complete. Nothing is read from the
 * producer until the consumer asks, which is what gives streaming its backpressure.
 */
class body_source {
public:
    virtual ~body_source() = default;
    /// The next piece of the body, or an empty buffer at the end; an error if it broke.
    virtual task<result<asio::const_buffer>> next() = 0;
    /// The total size when known in advance (a Content-Length), else nothing.
    virtual std::optional<std::uint64_t> size() const noexcept = 0;
    /// A hint: the next piece is (probably) at hand without waiting for I/O. The server then
    /// sends it together with the response header instead of flushing the header first.
    virtual bool buffered() const noexcept { return false; }
    /// A region of an open file, which is the whole body.
    struct file_region {
        int fd;
        std::uint64_t offset;
        std::uint64_t length;
    };
    /// The body as a region of an open file, if it is one and nothing was read yet: the server
    /// may then send it from the page cache with sendfile(2) instead of calling `next()`.
    /// A source that transforms or counts its bytes must not offer one.
    virtual std::optional<file_region> file() const noexcept { return std::nullopt; }
    /// Whether `next()` failed because of the sender of the body (a malformed or cut-off
    /// message, a stalled client) rather than the reader. A proxy that could not send a request
    /// upstream tells the client's fault (400, upstream healthy) from the upstream's (502) by it.
    virtual bool broken() const noexcept { return false; }
    /// The trailer fields that followed a chunked body, once `next()` has returned its end;
    /// null when there were none. Valid while the source lives.
    virtual const http::fields* trailers() const noexcept { return nullptr; }
};

/// Whether a trailer field may be passed on: not one that frames, routes or controls the
/// message (RFC 9110 §6.5.1), which a recipient must not take from a trailer.
bool forwardable_trailer(const http::fields::value_type& f) noexcept;

/// `0\r\n`, the forwardable trailer fields of `t` (may be null), and the final `\r\n`: the
/// end of a chunked body.
std::string last_chunk(const http::fields* t);

/// A body held in memory (tests, handlers that produce small bodies).
class string_body_source final : public body_source {
public:
    explicit string_body_source(std::string data) : data_(std::move(data)) {}
    task<result<asio::const_buffer>> next() override {
        asio::const_buffer b = done_ ? asio::const_buffer{} : asio::buffer(data_);
        done_ = true;
        co_return b;
    }
    std::optional<std::uint64_t> size() const noexcept override { return data_.size(); }
    bool buffered() const noexcept override { return true; }

private:
    std::string data_;
    bool done_ = false;
};

/**
 * What an authentication middleware established about the client: AILERON's claims, which
 * it keeps in the request under the middleware's `claimsKey` for later middleware (an
 * authorization step) to read. The views point into the middleware's own tables, which live as
 * long as the middleware.
 */
struct authn_claims {
    std::string_view key;        ///< the middleware's claimsKey ("AuthnClaims" by default)
    std::string_view method;     ///< "Basic", "Digest" or "APIKey"
    std::int64_t auth_time = 0;  ///< when, in Unix seconds
    std::string_view name;       ///< the user name (Basic, Digest) or key ID (IDKey); empty for Key
    std::string_view attrs;      ///< the user's attributes as a compact JSON object, or empty
};

/**
 * Takes over a connection after a `101 Switching Protocols` response (WebSocket and other
 * upgrades). A handler that upgrades returns one with its 101; once the server has written the
 * 101 it hands over the client's socket and runs it until the tunnel ends, with no timeout.
 */
class upgrade_handler {
public:
    virtual ~upgrade_handler() = default;
    /// `pending`: bytes the client already sent after its request (the new protocol's first).
    virtual task<void> run(tcp::socket& client, asio::const_buffer pending) = 0;
};

class error_handler;
class logger;
class session_data;

/**
 * What a request carries besides its message: where it came from, when it started, what the
 * router matched, and the services (error handler, logger) the server configured for it.
 * Owned by the connection; one per request, reused across keep-alive requests.
 */
class request_context {
public:
    tcp::endpoint local;
    tcp::endpoint remote;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    /// The pattern the router matched ("/api/{id}"), empty before routing.
    std::string_view pattern;
    /// Wildcard values of the matched pattern, in pattern order.
    std::vector<std::pair<std::string, std::string>> params;
    const error_handler* errors = nullptr;
    const logger* log = nullptr;
    /// The access-log id of the request while an HTTPLogger middleware runs the rest of the
    /// chain, else empty: an HTTPLogger tripperware gives the upstream records the same id.
    std::string_view log_id;
    /// The request ID and trace ID a TrackingMiddleware gave the request, empty before one ran
    /// (the server clears them for each request of a connection). HTTPLogger's records and the
    /// request's logs carry them as `"ids"`.
    request_ids ids;
    /// The client's session while a SessionMiddleware runs the rest of the chain, else null
    /// (`core/session.hpp`).
    session_data* session = nullptr;

    /// The value of wildcard `name`, or an empty view.
    std::string_view param(std::string_view name) const noexcept {
        for (auto& [k, v] : params)
            if (k == name) return v;
        return {};
    }

    /// Claims of the authentication middleware the request passed, in the order they ran.
    std::vector<authn_claims> claims;
    /// The claims stored under `key`, or null.
    const authn_claims* find_claims(std::string_view key) const noexcept {
        for (auto& c : claims)
            if (c.key == key) return &c;
        return nullptr;
    }
};

//----------------------------------------------------------------------------------------------

/**
 * An incoming HTTP request: the Beast header (method, target, fields: the whole Beast API via
 * the base class), a streamed body and the per-request context.
 *
 * @par Thread Safety
 * A request belongs to one connection and is used on its executor only.
 */
class request : public http::request_header<> {
public:
    using header_type = http::request_header<>;

    request() : request(header_type{}) {}
    /// A request with `hdr` and the body `body` (none: an empty body). The context is the
    /// request's own, on the heap, unless one is given (the server passes the connection's).
    explicit request(header_type hdr, body_source* body = nullptr, request_context* ctx = nullptr)
        : header_type(std::move(hdr)), body_(body),
          ctx_(ctx ? ctx : (own_ctx_ = std::make_unique<request_context>()).get()) {}
    request(http::verb method, std::string_view target, unsigned version = 11)
        : request(header_type{}) {
        this->method(method);
        this->target(target);
        this->version(version);
    }
    request(const request&) = delete;
    request& operator=(const request&) = delete;

    header_type& header() noexcept { return *this; }
    const header_type& header() const noexcept { return *this; }

    /// The request body. Read it at most once; an empty body when the request has none.
    body_source& body() noexcept { return body_ ? *body_ : empty_; }
    /// Replaces the body (a middleware that transforms or buffers it).
    void set_body(body_source* b) noexcept { body_ = b; }

    request_context& context() noexcept { return *ctx_; }
    const request_context& context() const noexcept { return *ctx_; }

    /// Reads the whole body into a string. Fails with `http::error::body_limit` once more
    /// than `limit` bytes arrived (what remains is left unread).
    task<result<std::string>> read_body(std::size_t limit);

private:
    struct empty_source final : body_source {
        task<result<asio::const_buffer>> next() override { co_return asio::const_buffer{}; }
        std::optional<std::uint64_t> size() const noexcept override { return 0; }
    };
    // Only for requests made without a server (tests, code that builds requests itself). A
    // pointer, not an optional: a context is ~260 bytes, which every request the server makes
    // would carry unused in its connection's coroutine frame. Declared before ctx_, which
    // may point to it.
    std::unique_ptr<request_context> own_ctx_;
    body_source* body_;
    request_context* ctx_;
    empty_source empty_;
};

/**
 * An HTTP response: a Beast response with a string body (the whole Beast API via the base
 * class), or, when `stream()` is set, a header whose body is pulled from a source while it is
 * written (chunked unless the source knows its size).
 */
class response : public http::response<http::string_body> {
public:
    using message_type = http::response<http::string_body>;

    response() = default;
    explicit response(http::status status, unsigned version = 11) : message_type(status, version) {}

    message_type& message() noexcept { return *this; }

    /// Streams the body from `src` instead of body(); the server writes it piece by piece.
    void set_stream(std::unique_ptr<body_source> src) noexcept { stream_ = std::move(src); }
    body_source* stream() const noexcept { return stream_.get(); }
    /// Hands the streamed body over (a middleware that wraps it sets the wrapper back).
    std::unique_ptr<body_source> take_stream() noexcept { return std::move(stream_); }

    /// With a 101 status: what takes over the connection once the 101 is written.
    void set_upgrade(std::unique_ptr<upgrade_handler> u) noexcept { upgrade_ = std::move(u); }
    upgrade_handler* upgrade() const noexcept { return upgrade_.get(); }

private:
    std::unique_ptr<body_source> stream_;
    std::unique_ptr<upgrade_handler> upgrade_;
};

}  // namespace aileron
