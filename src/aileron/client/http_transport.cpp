#include <aileron/client/http_transport.hpp>

#include <aileron/detail/parse_buffered.hpp>

#include "tls_context.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <cerrno>
#include <sys/socket.h>

namespace aileron::client {

namespace {

using steady = std::chrono::steady_clock;
constexpr std::size_t chunk_size = 16 * 1024;

//----------------------------------------------------------------------------------------------
// The pool: idle connections per execution context (one per worker thread) and host:port.

/// The byte stream to one upstream: a TCP socket, or TLS over one. An Asio stream either way
/// (async_read_some / async_write_some), so Beast's parser and Asio's composed writes use it
/// unchanged; the choice costs one branch per operation.
class upstream_stream {
public:
    using executor_type = asio::any_io_executor;
    using tls_stream = asio::ssl::stream<tcp::socket>;

    explicit upstream_stream(tcp::socket sock) : sock_(std::move(sock)) {}
    explicit upstream_stream(std::unique_ptr<tls_stream> tls) : sock_(tls->get_executor()), tls_(std::move(tls)) {}

    executor_type get_executor() { return socket().get_executor(); }
    /// The TCP socket underneath (for deadlines, shutdown, is_open).
    tcp::socket& socket() noexcept { return tls_ ? tls_->next_layer() : sock_; }
    bool is_open() const noexcept { return tls_ ? tls_->next_layer().is_open() : sock_.is_open(); }

    template <class Buffers, class Token>
    auto async_read_some(const Buffers& b, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const Buffers& buffers) {
                if (tls_) tls_->async_read_some(buffers, std::move(handler));
                else sock_.async_read_some(buffers, std::move(handler));
            },
            token, b);
    }
    template <class Buffers, class Token>
    auto async_write_some(const Buffers& b, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const Buffers& buffers) {
                if (tls_) tls_->async_write_some(buffers, std::move(handler));
                else sock_.async_write_some(buffers, std::move(handler));
            },
            token, b);
    }

private:
    tcp::socket sock_;                  ///< the connection when plain; unused (closed) under TLS
    std::unique_ptr<tls_stream> tls_;   ///< TLS over its own socket, when https
};

struct idle_connection {
    upstream_stream stream;
    steady::time_point since;
};

bool still_idle(upstream_stream& s);

/**
 * The idle upstream connections of one execution context (a worker's io_context), kept as a
 * service of that context: its sockets belong to the context, so they are closed when it shuts
 * down, never after it is gone (a pool per thread outlived the contexts of a server destroyed
 * before its thread ended, and a new context at the same address would have found the old one's
 * sockets). The mutex is the context's own: uncontended on a worker, whose context one thread
 * runs; it keeps a context run by several threads correct.
 */
class pool final : public asio::execution_context::service {
public:
    using key_type = pool;
    static inline asio::execution_context::id id;

    explicit pool(asio::execution_context& ctx) : service(ctx) {}

    /// The newest idle connection under `key` that is still usable, if any; ones idle for longer
    /// than `idle_timeout` (zero: no limit) or closed by the upstream are dropped on the way.
    std::optional<upstream_stream> take(const std::string& key, std::chrono::milliseconds idle_timeout) {
        std::lock_guard lock{mutex_};
        auto it = idle_.find(key);
        if (it == idle_.end()) return std::nullopt;
        auto& list = it->second;
        const auto now = steady::now();
        while (!list.empty()) {
            idle_connection c = std::move(list.back());
            list.pop_back();
            if ((idle_timeout.count() <= 0 || now - c.since < idle_timeout) && still_idle(c.stream))
                return std::move(c.stream);
        }
        return std::nullopt;
    }
    /// Keeps `s` for reuse under `key`, unless `max_idle` connections already wait there.
    void put(const std::string& key, upstream_stream&& s, std::size_t max_idle) {
        std::lock_guard lock{mutex_};
        auto& list = idle_[key];
        if (list.size() < max_idle) list.push_back({std::move(s), steady::now()});
    }

private:
    void shutdown() override {
        std::lock_guard lock{mutex_};
        idle_.clear();
    }

    std::mutex mutex_;
    std::unordered_map<std::string, std::vector<idle_connection>> idle_;
};

pool& context_pool(const asio::any_io_executor& ex) {
    return asio::use_service<pool>(asio::query(ex, asio::execution::context));
}

/// A connection in use: taken from the pool or newly dialled.
struct upstream_connection {
    upstream_stream stream;
    std::string key;    ///< what it is pooled under: host:port, plus the TLS settings for https
    bool reused = false;
};

/// "http://host:port/path?q" -> host, port, origin-form target.
struct target_parts {
    std::string_view scheme, host, port, origin;
};

bool split_target(std::string_view t, target_parts& out) {
    auto colon = t.find("://");
    if (colon == std::string_view::npos) return false;
    out.scheme = t.substr(0, colon);
    std::string_view rest = t.substr(colon + 3);
    auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    out.origin = slash == std::string_view::npos ? std::string_view{"/"} : rest.substr(slash);
    if (authority.empty()) return false;
    if (authority.front() == '[') {   // [v6]:port
        auto close = authority.find(']');
        if (close == std::string_view::npos) return false;
        out.host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        out.port = after.starts_with(':') ? after.substr(1) : std::string_view{};
    } else {
        auto c = authority.rfind(':');
        out.host = authority.substr(0, c);
        out.port = c == std::string_view::npos ? std::string_view{} : authority.substr(c + 1);
    }
    if (out.port.empty()) out.port = out.scheme == "https" ? "443" : "80";
    return true;
}

/// Runs `op` with a deadline: when `timeout` passes first, `sock` is closed so `op` fails.
/// Sets `timed_out` then (and `sock` is closed, whatever `op` returned). A zero timeout means none.
///
/// "First" is as the event loop sees it. When the loop was held up past both the deadline and
/// the end of `op` (a worker thread that did not run for a while), it handles `op`'s completion
/// and the expired timer in the same turn, I/O first: `op` then looks successful, but the timer
/// can no longer be cancelled. That is a timeout too; without this, a response header that
/// came 400 ms after a 200 ms deadline was taken as in time. The timer's handler may then run
/// after this coroutine and the socket are gone, so it reaches the socket only through `target`,
/// which is cleared here first.
template <class Op>
auto with_deadline(tcp::socket& sock, std::chrono::milliseconds timeout, bool& timed_out, Op op)
    -> decltype(op()) {
    if (timeout.count() <= 0) co_return co_await op();
    auto target = std::make_shared<tcp::socket*>(&sock);
    asio::steady_timer timer{sock.get_executor(), timeout};
    timer.async_wait([target](error_code ec) {
        if (ec || !*target) return;   // cancelled, or late: `op` finished and the socket is not ours
        error_code ignored;
        (*target)->close(ignored);
    });
    auto r = co_await op();
    *target = nullptr;
    // Nothing left to cancel: the timer expired, and its handler has run or is queued behind us.
    timed_out = timer.cancel() == 0;
    if (timed_out) {
        error_code ignored;
        sock.close(ignored);
    }
    co_return r;
}

/// Whether a pooled connection can carry another request: open, and nothing to read on it. An
/// idle connection the upstream closed shows its end (or a TLS close_notify) here, so it is
/// dropped before a request is sent on it, rather than failing a request that could not be
/// retried. One non-blocking peek per reuse.
bool still_idle(upstream_stream& s) {
    if (!s.is_open()) return false;
    char byte;
    const ssize_t n = ::recv(s.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/// Whether `host` is an IP literal (no SNI then, and the certificate is checked for the address).
bool ip_literal(std::string_view host) {
    error_code ec;
    (void)asio::ip::make_address(std::string{host}, ec);
    return !ec;
}

/// Runs the TLS handshake on a connected socket: SNI and the verified name are the configured
/// server name or else the upstream's host.
task<result<upstream_stream>> handshake(const transport_options& opt, const tls_context& tls, std::string_view host,
                                        tcp::socket sock) {
    auto stream = std::make_unique<upstream_stream::tls_stream>(std::move(sock), tls.ctx);
    SSL* ssl = stream->native_handle();
    const std::string name = tls.server_name.empty() ? std::string{host} : tls.server_name;
    const bool ip = ip_literal(name);
    if (!ip && !name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (tls.verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
        if (ok != 1) co_return error_code{asio::error::invalid_argument};
    }
    bool timed_out = false;
    auto [ec] = co_await with_deadline(stream->next_layer(), opt.tls_handshake_timeout, timed_out, [&] {
        return stream->async_handshake(asio::ssl::stream_base::client, use_nothrow);
    });
    if (timed_out) co_return error_code{asio::error::timed_out};
    if (ec) co_return ec;
    co_return upstream_stream{std::move(stream)};
}

task<result<upstream_connection>> dial(const transport_options& opt, const target_parts& t, std::string key,
                                       const tls_context* tls) {
    auto ex = co_await asio::this_coro::executor;
    // A pooled connection first, newest first; ones idle for too long are dropped.
    if (auto s = context_pool(ex).take(key, opt.idle_timeout))
        co_return upstream_connection{std::move(*s), std::move(key), true};
    tcp::resolver resolver{ex};
    auto [rec, endpoints] =
        co_await resolver.async_resolve(std::string{t.host}, std::string{t.port}, use_nothrow);
    if (rec) co_return rec;
    tcp::socket sock{ex};
    bool timed_out = false;
    // The endpoints by an init-capture: clang 14 cannot capture a structured binding.
    auto [cec, ep] = co_await with_deadline(sock, opt.dial_timeout, timed_out, [&, &eps = endpoints] {
        return asio::async_connect(sock, eps, use_nothrow);
    });
    if (timed_out) co_return error_code{asio::error::timed_out};
    if (cec) co_return cec;
    error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    if (!tls) co_return upstream_connection{upstream_stream{std::move(sock)}, std::move(key), false};
    auto stream = co_await handshake(opt, *tls, t.host, std::move(sock));
    if (!stream) co_return stream.error();
    co_return upstream_connection{std::move(*stream), std::move(key), false};
}

bool is_framing_or_hop(http::field f) noexcept {
    return f == http::field::content_length || f == http::field::transfer_encoding || f == http::field::connection ||
           f == http::field::expect;
}

/// The request line and fields as they go upstream, with our own framing.
std::string serialize_head(const request& req, std::string_view origin, std::optional<std::uint64_t> length,
                           bool has_body, bool close) {
    std::string out;
    out.reserve(256);
    out += req.method_string();
    out += ' ';
    out += origin;
    out += " HTTP/1.1\r\n";
    for (const auto& f : req) {
        if (is_framing_or_hop(f.name())) continue;
        out += f.name_string();
        out += ": ";
        out += f.value();
        out += "\r\n";
    }
    char digits[24];
    if (length) {
        if (*length > 0 || has_body) {
            out += "Content-Length: ";
            out.append(digits, std::to_chars(digits, digits + sizeof digits, *length).ptr);
            out += "\r\n";
        }
    } else {
        out += "Transfer-Encoding: chunked\r\n";
    }
    // A protocol upgrade keeps its `Connection: Upgrade` (the only Connection token passed on).
    if (!req[http::field::upgrade].empty() && http::token_list{req[http::field::connection]}.exists("upgrade"))
        out += "Connection: Upgrade\r\n";
    else if (close)
        out += "Connection: close\r\n";
    out += "\r\n";
    return out;
}

/// Methods whose requests carry a body by definition, so an empty one is announced as
/// `Content-Length: 0` (as Go does).
bool method_has_body(http::verb v) noexcept {
    return v == http::verb::post || v == http::verb::put || v == http::verb::patch;
}

//----------------------------------------------------------------------------------------------

/// The upstream response body, read from the connection piece by piece. When it has been read
/// to its end, the connection goes back to the pool (if both sides keep it alive).
class upstream_body final : public body_source {
public:
    upstream_body(upstream_connection conn, beast::flat_buffer buf,
                  std::unique_ptr<http::response_parser<http::buffer_body>> parser, std::size_t max_idle,
                  bool reusable)
        : conn_(std::move(conn)), buf_(std::move(buf)), parser_(std::move(parser)), max_idle_(max_idle),
          reusable_(reusable) {}

    task<result<asio::const_buffer>> next() override {
        if (failed_) co_return error_code{http::error::partial_message};
        if (parser_->is_done()) {
            release();
            co_return asio::const_buffer{};
        }
        if (!chunk_) {
            // A small body gets a small buffer: most responses fit the allocator's fast path.
            auto n = parser_->content_length();
            chunk_len_ = n && *n < chunk_size ? static_cast<std::size_t>(std::max<std::uint64_t>(*n, 1)) : chunk_size;
            chunk_ = std::make_unique<char[]>(chunk_len_);
        }
        for (;;) {
            auto& b = parser_->get().body();
            b.data = chunk_.get();
            b.size = chunk_len_;
            // What came with the header (or the last read) is parsed without I/O first.
            error_code pec;
            const bool progressed = detail::parse_buffered(*parser_, buf_, pec);
            if (pec) {
                failed_ = true;
                co_return pec;
            }
            if (std::size_t got = chunk_len_ - parser_->get().body().size) co_return asio::const_buffer{chunk_.get(), got};
            if (parser_->is_done()) {
                release();
                co_return asio::const_buffer{};
            }
            if (progressed) continue;
            // Beast reads at most what the buffer has room for (512 bytes when it has none):
            // room for a whole chunk makes one read per chunk, not one per 512 bytes.
            if (buf_.capacity() - buf_.size() < chunk_len_) buf_.reserve(buf_.size() + chunk_len_);
            auto [ec, n] = co_await http::async_read_some(conn_.stream, buf_, *parser_, use_nothrow);
            if (ec == http::error::need_buffer) ec = {};
            if (ec) {
                failed_ = true;
                co_return ec;
            }
            std::size_t got = chunk_len_ - parser_->get().body().size;
            if (got) co_return asio::const_buffer{chunk_.get(), got};
            if (parser_->is_done()) {
                release();
                co_return asio::const_buffer{};
            }
        }
    }

    std::optional<std::uint64_t> size() const noexcept override {
        if (auto n = parser_->content_length()) return *n;
        return std::nullopt;
    }
    bool buffered() const noexcept override { return parser_->is_done() || buf_.size() != 0; }
    /// The header was moved into the response, so what the parser's fields hold at the end of
    /// a chunked body are its trailers.
    const http::fields* trailers() const noexcept override {
        if (!parser_->is_done() || !parser_->chunked() || parser_->get().begin() == parser_->get().end()) return nullptr;
        return &parser_->get();
    }

private:
    void release() {
        if (released_) return;
        released_ = true;
        if (!reusable_ || !parser_->keep_alive() || buf_.size() != 0 || !conn_.stream.is_open()) return;
        context_pool(conn_.stream.get_executor()).put(conn_.key, std::move(conn_.stream), max_idle_);
    }

    upstream_connection conn_;
    beast::flat_buffer buf_;
    std::unique_ptr<http::response_parser<http::buffer_body>> parser_;
    std::size_t max_idle_;
    bool reusable_;
    bool failed_ = false;
    bool released_ = false;
    std::unique_ptr<char[]> chunk_;
    std::size_t chunk_len_ = 0;
};

/// Copies bytes both ways between the client and the upstream after a 101, until both
/// directions have ended. Each direction passes on its end (shutdown) to the other side; no
/// deadline cuts a tunnel that is quiet but alive.
class tunnel final : public upgrade_handler {
public:
    tunnel(upstream_stream upstream, beast::flat_buffer pending) : upstream_(std::move(upstream)), pending_(std::move(pending)) {}

    task<void> run(tcp::socket& client, asio::const_buffer from_client) override {
        if (from_client.size()) {
            auto [ec, n] = co_await asio::async_write(upstream_, from_client, use_nothrow);
            if (ec) co_return;
        }
        if (pending_.size()) {
            auto [ec, n] = co_await asio::async_write(client, pending_.cdata(), use_nothrow);
            if (ec) co_return;
        }
        using namespace asio::experimental::awaitable_operators;
        co_await (pump(client, upstream_) && pump(upstream_, client));
    }

private:
    template <class From, class To>
    static task<void> pump(From& from, To& to) {
        std::array<char, 16 * 1024> buf;
        for (;;) {
            auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), use_nothrow);
            if (ec) break;
            auto [wec, wn] = co_await asio::async_write(to, asio::buffer(buf.data(), n), use_nothrow);
            if (wec) break;
        }
        error_code ignored;
        lowest(to).shutdown(tcp::socket::shutdown_send, ignored);
    }
    static tcp::socket& lowest(tcp::socket& s) noexcept { return s; }
    static tcp::socket& lowest(upstream_stream& s) noexcept { return s.socket(); }

    upstream_stream upstream_;
    beast::flat_buffer pending_;
};

/// Writes the request body upstream, framed by Content-Length or chunked.
task<error_code> send_body(upstream_stream& sock, request& req, bool chunked) {
    char size_line[24];
    for (;;) {
        auto piece = co_await req.body().next();
        if (!piece) co_return piece.error();
        if (piece->size() == 0) break;
        if (chunked) {
            auto end = std::to_chars(size_line, size_line + 20, piece->size(), 16).ptr;
            *end++ = '\r';
            *end++ = '\n';
            std::array<asio::const_buffer, 3> bufs{asio::buffer(size_line, static_cast<std::size_t>(end - size_line)),
                                                   *piece, asio::buffer("\r\n", 2)};
            auto [ec, n] = co_await asio::async_write(sock, bufs, use_nothrow);
            if (ec) co_return ec;
        } else {
            auto [ec, n] = co_await asio::async_write(sock, *piece, use_nothrow);
            if (ec) co_return ec;
        }
    }
    if (chunked) {
        const std::string end = last_chunk(req.body().trailers());
        auto [ec, n] = co_await asio::async_write(sock, asio::buffer(end), use_nothrow);
        if (ec) co_return ec;
    }
    co_return error_code{};
}

}  // namespace

task<result<response>> http_transport::operator()(request& req) const {
    target_parts t;
    if (!split_target(req.target(), t)) co_return error_code{asio::error::invalid_argument};
    const tls_context* tls = nullptr;
    if (t.scheme == "https") tls = opt_.tls ? opt_.tls.get() : default_tls_context().get();
    else if (t.scheme != "http") co_return error_code{asio::error::invalid_argument};

    std::string key{t.host};
    key += ':';
    key += t.port;
    if (tls) {   // TLS connections are kept apart by the settings they were made with
        char id[2 + 2 * sizeof(void*) + 1];
        key += " tls ";
        key.append(id, std::to_chars(id, id + sizeof id, reinterpret_cast<std::uintptr_t>(tls), 16).ptr);
    }
    const std::optional<std::uint64_t> length = req.body().size();
    const bool chunked = !length;
    const bool reusable = !opt_.disable_keep_alives;
    const std::string head = serialize_head(req, t.origin, length, method_has_body(req.method()), !reusable);
    const bool head_request = req.method() == http::verb::head;
    const http::verb m = req.method();
    const bool idempotent = m == http::verb::get || m == http::verb::head || m == http::verb::options ||
                            m == http::verb::trace || m == http::verb::put || m == http::verb::delete_;

    // A pooled connection may have been closed by the upstream meanwhile: when sending on it
    // fails before any of the body went out, the request is retried once on a new connection.
    for (int attempt = 0;; ++attempt) {
        auto conn = co_await dial(opt_, t, key, tls);
        if (!conn) co_return conn.error();
        upstream_connection c = std::move(*conn);

        auto [wec, wn] = co_await asio::async_write(c.stream, asio::buffer(head), use_nothrow);
        if (wec) {
            if (c.reused && attempt == 0) continue;
            co_return wec;
        }
        if (length ? *length > 0 : true) {
            if (error_code bec = co_await send_body(c.stream, req, chunked)) co_return bec;
        }

        beast::flat_buffer buf;
        auto parser = std::make_unique<http::response_parser<http::buffer_body>>();
        bool timed_out = false;
        for (;;) {
            parser->header_limit(static_cast<std::uint32_t>(opt_.max_response_header_bytes));
            parser->body_limit(boost::none);
            if (head_request) parser->skip(true);
            auto [rec, rn] = co_await with_deadline(c.stream.socket(), opt_.response_header_timeout, timed_out, [&] {
                return http::async_read_header(c.stream, buf, *parser, use_nothrow);
            });
            if (timed_out) co_return error_code{asio::error::timed_out};
            if (rec) {
                // Nothing came back on a reused connection: the upstream had probably closed it
                // before our request arrived. Sent again only when that is safe whatever the
                // upstream did (an idempotent method without a body), as Go's transport does.
                if (c.reused && attempt == 0 && idempotent && length && *length == 0 && buf.size() == 0 &&
                    (rec == http::error::end_of_stream || rec == asio::error::connection_reset ||
                     rec == asio::error::eof))
                    break;
                co_return rec;
            }
            const unsigned status = parser->get().result_int();
            // RFC 9110 section 15: a status outside 100..599 is invalid; the parser takes any
            // three digits ("020" would otherwise pass as neither interim nor final).
            if (status < 100 || status > 599) co_return error_code{http::error::bad_status};
            if (status == 101) {
                // A protocol upgrade: the connection becomes a tunnel and never returns to the pool.
                response res;
                res.base() = std::move(parser->get().base());
                res.set_upgrade(std::make_unique<tunnel>(std::move(c.stream), std::move(buf)));
                co_return res;
            }
            if (status >= 100 && status < 200) {
                parser = std::make_unique<http::response_parser<http::buffer_body>>();   // skip 1xx
                continue;
            }
            response res;
            res.base() = std::move(parser->get().base());
            if (!parser->is_done()) {
                res.set_stream(std::make_unique<upstream_body>(std::move(c), std::move(buf), std::move(parser),
                                                               opt_.max_idle_per_host, reusable));
            } else {
                // No body (HEAD, 204, 304, Content-Length: 0): the connection is free now.
                upstream_body rest{std::move(c), std::move(buf), std::move(parser), opt_.max_idle_per_host, reusable};
                (void)co_await rest.next();
            }
            co_return res;
        }
        if (!c.reused || attempt != 0) co_return error_code{http::error::end_of_stream};
    }
}

}  // namespace aileron::client
