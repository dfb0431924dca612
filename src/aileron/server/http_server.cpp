#include <aileron/server/http_server.hpp>

#include <aileron/core/error.hpp>
#include <aileron/detail/parse_buffered.hpp>
#include <aileron/log/logger.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <cctype>
#include <array>
#include <charconv>
#include <ctime>
#include <span>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <csignal>
#include <list>
#include <thread>
#include <unistd.h>

namespace aileron::server {

using namespace std::chrono_literals;

namespace {

constexpr std::size_t body_chunk_size = 16 * 1024;        // one read of a request body
constexpr std::uint64_t max_unread_body_drain = 256 * 1024;   // Go discards up to 256 KiB
/// Files up to this size are read and sent with their response header in one write; larger ones
/// go with sendfile(2). Below about this size the copy costs less than sendfile's own setup.
constexpr std::uint64_t inline_file_limit = 16 * 1024;

/// The Date header value, formatted at most once per second per thread.
std::string_view http_date() {
    thread_local std::time_t last = 0;
    thread_local char buf[40] = {};
    std::time_t now = std::time(nullptr);
    if (now != last) {
        last = now;
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    }
    return buf;
}

bool allows_body(unsigned status) noexcept { return status >= 200 && status != 204 && status != 304; }

/// "host:port", ":port", "[v6]:port" -> host and port strings.
bool split_addr(std::string_view addr, std::string& host, std::string& port) {
    auto colon = addr.rfind(':');
    if (colon == std::string_view::npos) return false;
    host.assign(addr.substr(0, colon));
    port.assign(addr.substr(colon + 1));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return !port.empty();
}

/// Whether a header section over the limit is a request target too long (414) rather than too
/// many fields (431). The parser consumes the request line as soon as it is complete: once it
/// has a target, the target's length decides; before, the unfinished request line is still at
/// the front of the buffer and overflowed the limit by itself, unless it ends early.
bool target_too_long(const http::request_parser<http::buffer_body>& parser, const beast::flat_buffer& buf,
                     std::size_t max_header_bytes) {
    if (!parser.get().target().empty()) return parser.get().target().size() > max_header_bytes;
    std::string_view head{static_cast<const char*>(buf.cdata().data()), buf.size()};
    auto eol = head.find('\n');
    return eol == std::string_view::npos || eol > max_header_bytes;
}

/// Whether the request line is well formed but names an HTTP version other than 1.0/1.1
/// ("GET / HTTP/2.0"): that is a 505, where a garbled version is a 400. Well formed means
/// exactly `method SP target SP version`: in "GET /a b HTTP/1.1" the version is "b HTTP/1.1".
bool well_formed_other_version(const beast::flat_buffer& buf) {
    std::string_view head{static_cast<const char*>(buf.cdata().data()), buf.size()};
    auto eol = head.find("\r\n");
    if (eol == std::string_view::npos) return false;
    std::string_view line = head.substr(0, eol);
    auto sp1 = line.find(' ');
    auto sp = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp1 == 0 || sp == sp1 + 1 || line.find(' ', sp1 + 1) != sp) return false;
    std::string_view v = line.substr(sp + 1);
    return v.size() == 8 && v.starts_with("HTTP/") && std::isdigit(static_cast<unsigned char>(v[5])) &&
           v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[7]));
}

/// Whether the header bytes at the front of `in` fold a field value over two lines (obs-fold:
/// CRLF followed by SP or HTAB), which RFC 9112 §5.2 lets a server reject. `in` is what the
/// parser is about to consume, so it starts at a line start (the request line, or a field line
/// after the ones already consumed); the scan stops at the empty line that ends the header.
/// Beast would accept the fold and join the lines: a proxy in front of us that reads the folded
/// line as a field of its own (` Transfer-Encoding: chunked`) would disagree about the framing.
bool has_obs_fold(std::string_view in) noexcept {
    std::size_t line = 0;
    for (;;) {
        const auto eol = in.find("\r\n", line);
        if (eol == std::string_view::npos || eol == line) return false;   // incomplete, or the header ends
        if (eol + 2 >= in.size()) return false;                          // the next line has not come yet
        if (in[eol + 2] == ' ' || in[eol + 2] == '\t') return true;
        line = eol + 2;
    }
}

/// RFC 9112 §6.1 on a request's `Transfer-Encoding` fields, read as one list. Returns 0 when
/// there is none, or when it is exactly `chunked` (case-insensitive, empty list elements
/// ignored); 400 when the body length cannot be determined (no `chunked`, `chunked` not last or
/// twice, an element that is not a token, any transfer coding in HTTP/1.0); 501 for codings
/// before `chunked` that aileron does not implement (`gzip, chunked`). Beast would treat a
/// request whose last coding is not `chunked` as having no body, and parse that body as the
/// next request.
unsigned transfer_encoding_status(const http::request_header<>& h) {
    bool any = false, last_chunked = false, others = false;
    int chunked = 0;
    const auto [first, last] = h.equal_range(http::field::transfer_encoding);
    for (auto f = first; f != last; ++f) {
        any = true;
        std::string_view list = f->value();
        for (std::size_t start = 0; start <= list.size();) {
            std::size_t comma = list.find(',', start);
            if (comma == std::string_view::npos) comma = list.size();
            std::string_view coding = list.substr(start, comma - start);
            start = comma + 1;
            while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
            while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
            if (coding.empty()) continue;
            for (unsigned char ch : coding)
                if (!std::isalnum(ch) && std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(ch)) == std::string_view::npos)
                    return 400;
            last_chunked = beast::iequals(coding, "chunked");
            if (last_chunked) ++chunked;
            else others = true;
        }
    }
    if (!any) return 0;
    if (h.version() < 11 || chunked != 1 || !last_chunked) return 400;
    return others ? 501 : 0;
}

/// Go's httpguts.ValidHostHeader: the bytes a Host header may hold.
bool valid_host_header(std::string_view h) noexcept {
    for (unsigned char c : h) {
        if (std::isalnum(c)) continue;
        if (std::string_view{"!$%&'()*+,-.:;=[]_~"}.find(static_cast<char>(c)) != std::string_view::npos) continue;
        return false;
    }
    return true;
}

/// TCP keep-alive probes on an accepted socket (Go enables them, 15 s, by default).
void set_keep_alive(tcp::socket& sock, const tcp_keep_alive& ka) {
    error_code ec;
    sock.set_option(asio::socket_base::keep_alive(!ka.disable), ec);
    if (ka.disable) return;
    int fd = sock.native_handle();
    int idle = ka.idle > 0 ? ka.idle : 15;
    int interval = ka.interval > 0 ? ka.interval : 15;
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    if (ka.count > 0) ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &ka.count, sizeof ka.count);
}

std::string endpoint_string(const tcp::endpoint& ep) {
    auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

}  // namespace

//----------------------------------------------------------------------------------------------

using steady = std::chrono::steady_clock;

/// A connection's place in its worker: made before its coroutine starts and erased when that
/// coroutine has completed, so it can carry the signal that cancels whatever the coroutine
/// awaits (at the drain deadline, an upstream that does not answer).
struct conn_entry {
    struct connection* c = nullptr;   ///< set while serve() runs
    asio::cancellation_signal cancel;
    bool cut = false;                 ///< cut at the drain deadline: its unwinding is no error
};

/// One event loop, its acceptor, and the connections it owns.
struct worker {
    // One thread runs it and only that thread touches its sockets: no reactor locking needed
    // (posts from other threads still go through the locked scheduler queue).
    asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    tcp::acceptor acceptor{ioc};
    std::list<conn_entry> conns;
    bool draining = false;
    asio::steady_timer drain_timer{ioc};
    /// Timeouts are deadlines checked by one sweep per worker (deadline_sweep), not a timer
    /// per operation: arming one is a store, and `now` is refreshed by the sweep itself.
    steady::time_point now = steady::now();
    asio::steady_timer sweep_timer{ioc};
};

constexpr auto sweep_interval = 250ms;

struct connection {
    connection(worker& w, tcp::socket s) : w(w), sock(std::move(s)) {}
    worker& w;
    tcp::socket sock;
    steady::time_point deadline = steady::time_point::max();
    bool idle = true;        ///< waiting for a request to start: a drain closes it at once
    bool timed_out = false;  ///< the sweep closed it
    std::string out;         ///< serialized response header, reused across requests

    /// The next operation must finish within `t` (to the sweep's precision).
    void arm(std::chrono::seconds t) noexcept {
        deadline = t.count() > 0 ? w.now + t : steady::time_point::max();
    }
    void disarm() noexcept { deadline = steady::time_point::max(); }
};

/// A request body read from the connection through the parser, piece by piece.
class connection_body final : public body_source {
public:
    connection_body(connection& c, beast::flat_buffer& buf, http::request_parser<http::buffer_body>& p,
                    std::chrono::seconds read_timeout, std::chrono::seconds write_timeout, bool expect_continue)
        : c_(c), buf_(buf), parser_(p), read_timeout_(read_timeout), write_timeout_(write_timeout),
          expect_continue_(expect_continue) {
        // Known before any of it is read: a request with neither Content-Length nor chunked
        // framing has no body at all (the parser is done with the header).
        if (auto n = parser_.content_length()) size_ = *n;
        else if (parser_.is_done()) size_ = 0;
    }

    task<result<asio::const_buffer>> next() override {
        if (failed_) co_return error_code{http::error::partial_message};
        if (parser_.is_done()) co_return asio::const_buffer{};
        if (expect_continue_) {
            // The handler wants the body: now tell the client to send it.
            expect_continue_ = false;
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            c_.arm(write_timeout_);
            auto [ec, n] = co_await asio::async_write(c_.sock, asio::buffer(cont), use_nothrow);
            c_.disarm();
            if (ec) {
                failed_ = true;
                co_return ec;
            }
        }
        if (!chunk_) chunk_ = std::make_unique<char[]>(body_chunk_size);
        for (;;) {
            auto& b = parser_.get().body();
            b.data = chunk_.get();
            b.size = body_chunk_size;
            // What came with the header (or the last read) is parsed without I/O first.
            error_code pec;
            const bool progressed = detail::parse_buffered(parser_, buf_, pec);
            if (pec) {
                failed_ = true;
                co_return pec;
            }
            if (std::size_t got = body_chunk_size - parser_.get().body().size) co_return asio::const_buffer{chunk_.get(), got};
            if (parser_.is_done()) co_return asio::const_buffer{};
            if (progressed) continue;
            // Beast reads at most what the buffer has room for (512 bytes when it has none):
            // room for a whole chunk makes one read per chunk, not one per 512 bytes.
            if (const std::size_t room = std::min(body_chunk_size, buf_.max_size() - buf_.size());
                buf_.capacity() - buf_.size() < room)
                buf_.reserve(buf_.size() + room);
            c_.arm(read_timeout_);
            auto [ec, n] = co_await http::async_read_some(c_.sock, buf_, parser_, use_nothrow);
            c_.disarm();
            if (ec == http::error::need_buffer) ec = {};
            if (ec) {
                failed_ = true;
                co_return ec;
            }
            std::size_t got = body_chunk_size - parser_.get().body().size;
            if (got) co_return asio::const_buffer{chunk_.get(), got};
            if (parser_.is_done()) co_return asio::const_buffer{};
        }
    }

    std::optional<std::uint64_t> size() const noexcept override { return size_; }

    bool done() const noexcept { return parser_.is_done(); }
    bool failed() const noexcept { return failed_; }
    /// Reading failed: the client's framing broke, it closed or stalled, or a 100 could not go out.
    bool broken() const noexcept override { return failed_; }
    /// The header went into the request, so what the parser's fields hold at the end of a
    /// chunked body are its trailers.
    const http::fields* trailers() const noexcept override {
        if (!parser_.is_done() || !parser_.chunked() || parser_.get().begin() == parser_.get().end()) return nullptr;
        return &parser_.get();
    }
    bool continue_pending() const noexcept { return expect_continue_; }

private:
    connection& c_;
    beast::flat_buffer& buf_;
    http::request_parser<http::buffer_body>& parser_;
    std::chrono::seconds read_timeout_, write_timeout_;
    bool expect_continue_;
    std::optional<std::uint64_t> size_;
    bool failed_ = false;
    std::unique_ptr<char[]> chunk_;   // allocated only when a body is read
};

//----------------------------------------------------------------------------------------------

struct http_server::impl {
    explicit impl(http_server& s) : srv(s) {}

    http_server& srv;
    std::vector<std::unique_ptr<worker>> workers;
    tcp::endpoint endpoint;

    const logger& log() const { return srv.log_ ? *srv.log_ : logger::get_default(); }

    error_code listen();   ///< creates the workers, binds and listens

    task<void> accept_loop(worker& w);
    task<void> deadline_sweep(worker& w);
    void spawn(worker& w, tcp::socket sock);
    task<void> serve(worker& w, tcp::socket sock, conn_entry& entry);
    task<bool> write_response(connection& c, response& res, bool head_only, bool keep_alive, unsigned version);
    task<bool> send_file(connection& c, const body_source::file_region& f);
    void finish_fields(response& res, bool keep_alive, unsigned version) const;
    void serialize_head(connection& c, const response& res, bool keep_alive, unsigned version,
                        std::optional<std::uint64_t> length, bool chunked, bool source_frames) const;
    task<void> write_plain_error(connection& c, http::status status);
    task<void> close_gracefully(connection& c);
    void begin_drain(worker& w);
};

http_server::http_server(http_server_options opt, any_handler root)
    : opt_(std::move(opt)), root_(std::move(root)), impl_(std::make_unique<impl>(*this)) {}

http_server::~http_server() = default;

tcp::endpoint http_server::local_endpoint() const { return impl_->endpoint; }

error_code http_server::open() {
    if (!impl_->workers.empty()) return {};
    // sendfile(2) cannot be told MSG_NOSIGNAL: a client that went away while a file was sent
    // must not end the process with SIGPIPE. Left alone if the application handles the signal.
    struct sigaction sa {};
    if (::sigaction(SIGPIPE, nullptr, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &sa, nullptr);
    }
    if (error_code ec = impl_->listen()) {
        // Name the address: with several servers, "Address already in use" alone names none.
        impl_->log().error("cannot listen on " + opt_.addr, {{"server", opt_.name}, {"error", ec.message()}});
        impl_->workers.clear();   // so that a later open() tries again instead of reporting success
        return ec;
    }
    return {};
}

error_code http_server::impl::listen() {
    const http_server_options& opt = srv.opt_;
    unsigned n = opt.workers ? opt.workers : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) workers.push_back(std::make_unique<worker>());
    worker& first = *workers.front();

    std::string host, port;
    if (!split_addr(opt.addr, host, port)) return asio::error::invalid_argument;
    error_code ec;
    tcp::endpoint ep;
    if (host.empty()) {
        // ":port" listens on every interface, IPv6 and IPv4 alike where IPv6 exists.
        tcp::resolver r{first.ioc};
        auto found = r.resolve("::", port, tcp::resolver::passive | tcp::resolver::numeric_host, ec);
        if (ec || found.empty()) found = r.resolve("0.0.0.0", port, tcp::resolver::passive, ec);
        if (ec) return ec;
        ep = found.begin()->endpoint();
    } else {
        tcp::resolver r{first.ioc};
        auto found = r.resolve(host, port, tcp::resolver::passive, ec);
        if (ec) return ec;
        if (found.empty()) return asio::error::host_not_found;
        ep = found.begin()->endpoint();
    }
    tcp::acceptor& a = first.acceptor;
    a.open(ep.protocol(), ec);
    if (ec) return ec;
    a.set_option(asio::socket_base::reuse_address(true), ec);
    if (ep.address().is_v6()) a.set_option(asio::ip::v6_only(false), ec);
    a.bind(ep, ec);
    if (ec) {
        // Fall back to IPv4 when the machine has no IPv6 (":port" only).
        if (!host.empty() || !ep.address().is_v6()) return ec;
        a.close(ec);
        ep = tcp::endpoint{asio::ip::address_v4::any(), ep.port()};
        a.open(ep.protocol(), ec);
        if (ec) return ec;
        a.set_option(asio::socket_base::reuse_address(true), ec);
        a.bind(ep, ec);
        if (ec) return ec;
    }
    a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return ec;
    endpoint = a.local_endpoint(ec);
    // Every other worker accepts from the same listening socket, through its own descriptor.
    for (std::size_t i = 1; i < workers.size(); ++i) {
        int fd = ::dup(a.native_handle());
        if (fd < 0) return error_code{errno, boost::system::system_category()};
        workers[i]->acceptor.assign(ep.protocol(), fd, ec);
        if (ec) return ec;
    }
    return {};
}

error_code http_server::run(std::stop_token stop) {
    if (error_code ec = open()) return ec;
    auto& ws = impl_->workers;
    std::string where = endpoint_string(impl_->endpoint);
    for (auto& w : ws) {
        asio::co_spawn(w->ioc, impl_->accept_loop(*w), [this](std::exception_ptr e) {
            if (e) impl_->log().error("accept loop failed");
        });
        asio::co_spawn(w->ioc, impl_->deadline_sweep(*w), [this](std::exception_ptr e) {
            if (e) impl_->log().error("deadline sweep failed");
        });
    }
    impl_->log().info("server started. listening on " + where, {{"server", opt_.name}});

    std::stop_callback on_stop{stop, [this, &ws, where] {
        impl_->log().info("server shutting down " + where + " with graceful period " +
                          std::to_string(opt_.shutdown_timeout.count()) + " seconds.", {{"server", opt_.name}});
        for (auto& w : ws) asio::post(w->ioc, [this, wp = w.get()] { impl_->begin_drain(*wp); });
    }};

    std::vector<std::jthread> threads;
    for (std::size_t i = 1; i < ws.size(); ++i) threads.emplace_back([w = ws[i].get()] { w->ioc.run(); });
    ws.front()->ioc.run();
    threads.clear();   // joins
    impl_->log().info("server stopped " + where, {{"server", opt_.name}});
    return {};
}

//----------------------------------------------------------------------------------------------

void http_server::impl::begin_drain(worker& w) {
    if (w.draining) return;
    w.draining = true;
    error_code ec;
    // Connections the kernel accepted already are clients who may have sent a request: take
    // them too (an idle one is closed below), then stop listening.
    if (w.acceptor.is_open()) {
        const int fd = w.acceptor.native_handle();
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);   // never wait here for a new one
        for (;;) {
            const int s = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (s < 0) break;
            tcp::socket sock{w.ioc};
            sock.assign(endpoint.protocol(), s, ec);
            if (ec) {
                ::close(s);
                continue;
            }
            spawn(w, std::move(sock));
        }
    }
    w.acceptor.close(ec);
    for (conn_entry& e : w.conns)
        // An idle connection is closed, unless its next request has arrived meanwhile: that one
        // is served (then the connection closes).
        if (e.c && e.c->idle && e.c->sock.available(ec) == 0) {
            error_code ignored;
            e.c->sock.cancel(ignored);
        }
    if (w.conns.empty()) {
        w.sweep_timer.cancel();
        return;
    }
    w.drain_timer.expires_after(srv.opt_.shutdown_timeout);
    w.drain_timer.async_wait([&w](error_code ec) {
        if (ec) return;   // every connection finished in time
        // Whatever is left is cut: its socket closed, and whatever its coroutine awaits (an
        // upstream, a timer) cancelled, so that it ends now rather than when that answers.
        for (conn_entry& e : w.conns) {
            e.cut = true;
            if (e.c) {
                error_code ignored;
                e.c->sock.close(ignored);
            }
            e.cancel.emit(asio::cancellation_type::terminal);
        }
    });
}

task<void> http_server::impl::deadline_sweep(worker& w) {
    for (;;) {
        w.sweep_timer.expires_after(sweep_interval);
        co_await w.sweep_timer.async_wait(use_nothrow);
        if (w.draining && w.conns.empty()) co_return;   // nothing left to watch: let run() end
        w.now = steady::now();
        for (conn_entry& e : w.conns) {
            connection* c = e.c;
            if (!c || c->deadline > w.now) continue;
            c->timed_out = true;
            c->disarm();
            error_code ignored;
            c->sock.close(ignored);
        }
    }
}

task<void> http_server::impl::accept_loop(worker& w) {
    for (;;) {
        // At the connection limit, stop accepting: new clients wait in the listen queue.
        while (srv.opt_.connection_limit &&
               srv.connections_.load(std::memory_order_relaxed) >= srv.opt_.connection_limit && !w.draining) {
            asio::steady_timer t{w.ioc, 5ms};
            co_await t.async_wait(use_nothrow);
        }
        auto [ec, sock] = co_await w.acceptor.async_accept(use_nothrow);
        if (ec) {
            if (w.draining || !w.acceptor.is_open()) co_return;
            // Out of descriptors or a transient error: back off instead of spinning.
            asio::steady_timer t{w.ioc, 20ms};
            co_await t.async_wait(use_nothrow);
            continue;
        }
        spawn(w, std::move(sock));
    }
}

void http_server::impl::spawn(worker& w, tcp::socket sock) {
    error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    set_keep_alive(sock, srv.opt_.keep_alive_probes);
    w.conns.emplace_front();
    const auto it = w.conns.begin();
    srv.connections_.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(w.ioc, serve(w, std::move(sock), *it),
                   asio::bind_cancellation_slot(it->cancel.slot(), [this, &w, it](std::exception_ptr e) {
                       const bool cut = it->cut;
                       w.conns.erase(it);
                       srv.connections_.fetch_sub(1, std::memory_order_relaxed);
                       if (w.draining && w.conns.empty()) {
                           w.drain_timer.cancel();
                           w.sweep_timer.cancel();
                       }
                       if (!e || cut) return;
                       try {
                           std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                           log().error("connection failed", {{"error", ex.what()}});
                       } catch (...) {
                           log().error("connection failed");
                       }
                   }));
}

task<void> http_server::impl::serve(worker& w, tcp::socket sock, conn_entry& entry) {
    const http_server_options& opt = srv.opt_;
    connection c{w, std::move(sock)};
    entry.c = &c;
    struct unregister {
        conn_entry& e;
        ~unregister() { e.c = nullptr; }
    } guard{entry};

    request_context ctx;
    error_code ec;
    ctx.local = c.sock.local_endpoint(ec);
    ctx.remote = c.sock.remote_endpoint(ec);
    ctx.errors = srv.errors_;
    ctx.log = srv.log_;

    const std::size_t header_limit = opt.max_header_bytes + 4096;   // Go's slack
    // Unparsed bytes never exceed the header limit and one read: a chunk-size line or a trailer
    // section that does not end is a buffer_overflow (400), not a buffer that grows without end.
    beast::flat_buffer buf{header_limit + 4096};
    bool first = true;
    for (;;) {
        // Wait for the first byte of a request; an idle connection is what a drain closes,
        // unless its request is already there.
        if (buf.size() == 0) {
            if (w.draining && c.sock.available(ec) == 0) break;
            c.idle = true;
            c.arm(first ? opt.read_header_timeout : opt.idle_timeout);
            auto [rec, n] = co_await c.sock.async_read_some(buf.prepare(4096), use_nothrow);
            c.idle = false;
            c.disarm();
            if (rec) break;
            buf.commit(n);
        }
        first = false;

        http::request_parser<http::buffer_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(header_limit));
        parser.body_limit(boost::none);   // bodies stream; BodyLimitMiddleware bounds them
        // The whole header is usually in the buffer already (it came with the first read):
        // parse it in place, and go to the socket only for the rest of a partial header. Every
        // piece is checked for obs-fold before the parser, which would accept it, sees it.
        // One deadline for the rest of the header, however many reads it takes: a client that
        // trickles a byte at a time (slowloris) is cut after readHeaderTimeout.
        error_code hec;
        std::size_t hn = 0;
        bool armed = false;
        for (;;) {
            if (has_obs_fold({static_cast<const char*>(buf.cdata().data()), buf.size()})) {
                hec = http::error::bad_value;
                break;
            }
            const std::size_t before = buf.size();
            detail::parse_buffered(parser, buf, hec);
            hn += before - buf.size();
            if (hec || parser.is_header_done()) break;
            const std::size_t room = std::min<std::size_t>(4096, buf.max_size() - buf.size());
            if (room == 0) {
                hec = http::error::buffer_overflow;
                break;
            }
            if (!armed) c.arm(opt.read_header_timeout);
            armed = true;
            auto [rec, rn] = co_await c.sock.async_read_some(buf.prepare(room), use_nothrow);
            if (c.timed_out) break;
            if (rec) {
                hec = rec == asio::error::eof ? error_code{http::error::partial_message} : rec;
                break;
            }
            buf.commit(rn);
        }
        c.disarm();
        if (c.timed_out) break;
        // Beast holds its limit against the bytes it has not consumed yet; the fields it
        // consumed from the first read do not count, so up to one more read (4 KiB) passes.
        // Go limits the whole header section: count what was consumed too.
        if (!hec && hn > header_limit) hec = http::error::header_limit;
        if (hec) {
            if (hec == http::error::header_limit) {
                co_await write_plain_error(c, target_too_long(parser, buf, opt.max_header_bytes)
                                                  ? http::status::uri_too_long
                                                  : http::status::request_header_fields_too_large);
            } else if (hec == http::error::bad_version && well_formed_other_version(buf)) {
                co_await write_plain_error(c, http::status::http_version_not_supported);
            } else if (hec != http::error::end_of_stream && hec != asio::error::eof &&
                       hec != asio::error::operation_aborted &&
                       hec != asio::error::connection_reset) {
                co_await write_plain_error(c, http::status::bad_request);
            }
            break;
        }
        if (parser.get().target().size() > opt.max_header_bytes) {
            co_await write_plain_error(c, http::status::uri_too_long);
            break;
        }
        if (parser.get().version() != 10 && parser.get().version() != 11) {
            co_await write_plain_error(c, http::status::http_version_not_supported);
            break;
        }
        // HTTP/1.1 requires Host (RFC 9112 §3.2).
        if ((parser.get().version() == 11 && parser.get().count(http::field::host) != 1) ||
            parser.get().count(http::field::host) > 1 || !valid_host_header(parser.get()[http::field::host])) {
            co_await write_plain_error(c, http::status::bad_request);
            break;
        }
        if (unsigned te = transfer_encoding_status(parser.get())) {
            co_await write_plain_error(c, static_cast<http::status>(te));
            break;
        }

        bool expect_continue = false;
        // An expectation from an HTTP/1.0 client is ignored (RFC 9110 §10.1.1).
        if (auto e = parser.get()[http::field::expect]; !e.empty() && parser.get().version() >= 11) {
            if (!beast::iequals(e, "100-continue")) {
                co_await write_plain_error(c, http::status::expectation_failed);
                break;
            }
            expect_continue = !parser.is_done();
        }
        connection_body body{c, buf, parser, opt.read_timeout, opt.write_timeout, expect_continue};
        bool keep_alive = parser.keep_alive() && !opt.disable_keep_alive;
        const bool head = parser.get().method() == http::verb::head;
        const unsigned version = parser.get().version();

        ctx.start = std::chrono::steady_clock::now();
        ctx.pattern = {};
        ctx.params.clear();
        ctx.claims.clear();
        ctx.ids.clear();
        request req{std::move(parser.get().base()), &body, &ctx};

        response res;
        bool failed = false;
        try {
            res = co_await srv.root_(req);
        } catch (const std::exception& ex) {
            failed = true;
            // Cut at the drain deadline: every co_await now throws; nothing to recover.
            if (!entry.cut) log().error(ctx.ids, "panic recovered", {{"error", ex.what()}});
        }
        if (entry.cut) break;
        if (failed) res = error_response(req, http_error{.status = http::status::internal_server_error,
                                                         .code = "E2132", .kind = "CoreServerRecover"});

        // A body the handler did not read must go before the next request can be parsed.
        if (!body.done()) {
            if (body.failed() || body.continue_pending()) keep_alive = false;
            else if (auto n = body.size(); n && *n > max_unread_body_drain) keep_alive = false;
        }
        if (w.draining) keep_alive = false;
        // A handler or middleware may ask to close the connection after this response.
        if (http::token_list{res[http::field::connection]}.exists("close")) keep_alive = false;

        if (!co_await write_response(c, res, head, keep_alive, version)) break;
        if (res.result() == http::status::switching_protocols && res.upgrade()) {
            // The connection now belongs to the upgrade (a tunnel): no deadline, no more HTTP.
            c.disarm();
            co_await res.upgrade()->run(c.sock, buf.cdata());
            break;
        }

        if (!body.done() && keep_alive) {
            std::uint64_t drained = 0;
            while (!body.done() && drained <= max_unread_body_drain) {
                auto piece = co_await body.next();
                if (!piece) break;
                drained += piece->size();
            }
            if (!body.done()) keep_alive = false;
        }
        if (!keep_alive) {
            co_await close_gracefully(c);
            break;
        }
    }
}

void http_server::impl::finish_fields(response& res, bool keep_alive, unsigned version) const {
    res.version(11);
    res.keep_alive(keep_alive);
    if (keep_alive && version == 10) res.set(http::field::connection, "keep-alive");
    if (res.find(http::field::date) == res.end()) res.set(http::field::date, http_date());
    if (!srv.opt_.alt_svc.empty() && res.find(http::field::alt_svc) == res.end())
        res.set(http::field::alt_svc, srv.opt_.alt_svc);
}

void http_server::impl::serialize_head(connection& c, const response& res, bool keep_alive, unsigned version,
                                       std::optional<std::uint64_t> length, bool chunked, bool source_frames) const {
    std::string& out = c.out;
    out.clear();
    const unsigned status = res.result_int();
    char digits[24];
    out += "HTTP/1.1 ";
    out.append(digits, std::to_chars(digits, digits + sizeof digits, status).ptr);
    out += ' ';
    beast::string_view reason = res.reason();   // a handler's own reason phrase, if it set one
    if (reason.empty()) reason = status_text(status);   // else Go's, as AILERON writes it
    if (reason.empty()) reason = http::obsolete_reason(res.result());
    out.append(reason.data(), reason.size());
    out += "\r\n";
    bool has_date = false, has_length = false, has_alt_svc = false;
    std::string_view connection_value;
    for (const auto& f : res) {
        switch (f.name()) {
        case http::field::connection: connection_value = f.value(); continue;   // decided below
        case http::field::date: has_date = true; break;
        case http::field::content_length:
            if (source_frames) continue;   // the body source decides the framing
            has_length = true;
            break;
        case http::field::transfer_encoding:
            if (source_frames) continue;
            break;
        case http::field::alt_svc: has_alt_svc = true; break;
        default: break;
        }
        out += f.name_string();
        out += ": ";
        out += f.value();
        out += "\r\n";
    }
    if (!has_date) {
        out += "Date: ";
        out += http_date();
        out += "\r\n";
    }
    if (!has_alt_svc && !srv.opt_.alt_svc.empty()) {
        out += "Alt-Svc: ";
        out += srv.opt_.alt_svc;
        out += "\r\n";
    }
    if (length && !has_length) {
        out += "Content-Length: ";
        out.append(digits, std::to_chars(digits, digits + sizeof digits, *length).ptr);
        out += "\r\n";
    }
    if (chunked) out += "Transfer-Encoding: chunked\r\n";
    if (!keep_alive) out += "Connection: close\r\n";
    else if (!connection_value.empty()) (out += "Connection: ", out += connection_value, out += "\r\n");
    else if (version == 10) out += "Connection: keep-alive\r\n";
    out += "\r\n";
}

task<bool> http_server::impl::write_response(connection& c, response& res, bool head_only, bool keep_alive,
                                             unsigned version) {
    const auto timeout = srv.opt_.write_timeout;
    const unsigned status = res.result_int();
    const bool body_allowed = allows_body(status);

    if (body_source* src = res.stream()) {
        // A streamed body: each piece is written as it comes, with the write timeout applied
        // per write, so a live stream is never cut. Framing is ours: Content-Length when the
        // source knows its size, chunked otherwise.
        const std::optional<std::uint64_t> size = body_allowed ? src->size() : std::nullopt;
        const bool chunked = body_allowed && !size;
        // HTTP/1.0 clients know no chunked framing: the end of the body is the end of the connection.
        const bool close_delimited = chunked && version == 10;
        serialize_head(c, res, keep_alive && !close_delimited, version, size, chunked && !close_delimited, true);
        if (!head_only && body_allowed && size) {
            // A file: from the page cache to the socket, without a copy through our memory.
            if (auto f = src->file(); f && f->length == *size) co_return co_await send_file(c, *f);
        }
        bool head_pending = true;
        if (head_only || !body_allowed || !src->buffered()) {
            // Nothing to wait for, or the first piece may be long in coming (server-sent
            // events): the header goes now.
            c.arm(timeout);
            auto [ec, n] = co_await asio::async_write(c.sock, asio::buffer(c.out), use_nothrow);
            c.disarm();
            if (ec) co_return false;
            head_pending = false;
            if (head_only || !body_allowed) co_return true;
        }
        char size_line[24];
        std::string end_chunk;   // the last chunk, when it carries trailers
        for (;;) {
            auto piece = co_await src->next();
            if (!piece) co_return false;   // a broken body ends the connection: never fake success
            const bool last = piece->size() == 0;
            std::array<asio::const_buffer, 4> bufs;
            std::size_t count = 0;
            if (head_pending) bufs[count++] = asio::buffer(c.out);
            if (chunked && !close_delimited) {
                if (!last) {
                    auto end = std::to_chars(size_line, size_line + 20, piece->size(), 16).ptr;
                    *end++ = '\r';
                    *end++ = '\n';
                    bufs[count++] = asio::buffer(size_line, static_cast<std::size_t>(end - size_line));
                    bufs[count++] = *piece;
                    bufs[count++] = asio::buffer("\r\n", 2);
                } else if (const http::fields* t = src->trailers()) {
                    end_chunk = last_chunk(t);
                    bufs[count++] = asio::buffer(end_chunk);
                } else {
                    bufs[count++] = asio::buffer("0\r\n\r\n", 5);
                }
            } else if (!last) {
                bufs[count++] = *piece;
            }
            if (count) {
                c.arm(timeout);
                auto [ec, n] = co_await asio::async_write(c.sock, std::span{bufs.data(), count}, use_nothrow);
                c.disarm();
                if (ec) co_return false;
                head_pending = false;
            }
            if (last) co_return !close_delimited;
        }
    }
    if (res.find(http::field::transfer_encoding) != res.end()) {
        // A buffered body the handler wants chunked: let Beast frame it.
        finish_fields(res, keep_alive, version);
        c.arm(timeout);
        auto [ec, n] = co_await http::async_write(c.sock, res.message(), use_nothrow);
        c.disarm();
        co_return !ec;
    }

    // A buffered body: the header is serialized into the connection's reused buffer, with the
    // fields the server adds (Date, Content-Length, Connection, Alt-Svc) appended rather than
    // inserted into the response; then header and body go out in one gather write.
    serialize_head(c, res, keep_alive, version, body_allowed ? std::optional<std::uint64_t>{res.body().size()} : std::nullopt,
                   false, false);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(c.out), asio::buffer(res.body())};
    const std::size_t count = head_only || !body_allowed || res.body().empty() ? 1 : 2;
    c.arm(timeout);
    auto [ec, n] = co_await asio::async_write(c.sock, std::span{buffers.data(), count}, use_nothrow);
    c.disarm();
    co_return !ec;
}

/// The serialized header (`c.out`), then the file region with sendfile(2). The header is sent
/// with MSG_MORE, so that it leaves in one packet with the start of the file. A region of up to
/// `inline_file_limit` bytes is read behind the header instead and sent with it. The write
/// timeout applies to each wait for the socket to take more.
task<bool> http_server::impl::send_file(connection& c, const body_source::file_region& f) {
    const auto timeout = srv.opt_.write_timeout;
    if (!c.sock.native_non_blocking()) {
        error_code ec;
        c.sock.native_non_blocking(true, ec);
        if (ec) co_return false;
    }
    const int sock = c.sock.native_handle();
    std::size_t head_sent = 0;
    auto offset = static_cast<off_t>(f.offset);
    std::uint64_t left = f.length;
    if (left <= inline_file_limit) {
        // A small file goes out with its header in one send: one pread into the header's
        // buffer (reused across requests) costs less kernel time than a sendfile of its own.
        const std::size_t at = c.out.size();
        c.out.resize(at + left);
        const ssize_t n = ::pread(f.fd, c.out.data() + at, left, offset);
        if (n < 0 || static_cast<std::uint64_t>(n) != left) co_return false;   // unreadable, or it shrank
        left = 0;
    }
    while (head_sent < c.out.size() || left > 0) {
        ssize_t n;
        if (head_sent < c.out.size()) {
            n = ::send(sock, c.out.data() + head_sent, c.out.size() - head_sent, MSG_NOSIGNAL | (left ? MSG_MORE : 0));
            if (n > 0) head_sent += static_cast<std::size_t>(n);
        } else {
            n = ::sendfile(sock, f.fd, &offset, static_cast<std::size_t>(std::min<std::uint64_t>(left, 1u << 30)));
            if (n == 0) co_return false;   // the file shrank: the promised length cannot be kept
            if (n > 0) left -= static_cast<std::uint64_t>(n);
        }
        if (n >= 0) continue;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return false;
        c.arm(timeout);
        auto [ec] = co_await c.sock.async_wait(tcp::socket::wait_write, use_nothrow);
        c.disarm();
        if (ec) co_return false;
    }
    co_return true;
}

task<void> http_server::impl::write_plain_error(connection& c, http::status status) {
    // Like Go's net/http for requests it cannot parse: a short text body, then close.
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::connection, "close");
    res.set(http::field::date, http_date());
    res.body() = std::to_string(static_cast<unsigned>(status)) + " " + std::string{status_text(static_cast<unsigned>(status))};
    res.prepare_payload();
    c.arm(srv.opt_.write_timeout);
    co_await http::async_write(c.sock, res, use_nothrow);
    c.disarm();
    co_await close_gracefully(c);
}

task<void> http_server::impl::close_gracefully(connection& c) {
    // Send FIN, then read what the client still sends for a moment, so that unread request
    // bytes do not turn the close into a reset that destroys the response in flight.
    error_code ec;
    auto& sock = c.sock;
    sock.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    char sink[4096];
    std::size_t total = 0;
    c.arm(2s);
    while (total < max_unread_body_drain) {
        auto [rec, n] = co_await c.sock.async_read_some(asio::buffer(sink), use_nothrow);
        if (rec) break;
        total += n;
    }
    sock.close(ec);
}

}  // namespace aileron::server
