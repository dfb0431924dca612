// fuzz_http_server: the HTTP/1.1 request path as the server sees it, bytes in, behaviour out.
//
// One real `server::http_server` (one worker thread) listens on 127.0.0.1. Every input is sent
// as is on a new loopback connection, which is then half-closed; everything the server answers
// is read until it closes the connection, and checked:
//
//  - the output is a sequence of well-formed HTTP/1.1 responses (status line, field syntax, no
//    CR or LF inside a field, Content-Length or chunked framing that matches the bytes, no body
//    for HEAD/204/304), of which only the last may be a server error (4xx/5xx the handler did
//    not produce), and nothing follows a response that says `Connection: close`;
//  - the handler answered every request it was given, in order (X-Fuzz-Seq), and `100 Continue`
//    came only for a request that asked for it;
//  - the handler was never given more requests than the input frames: at most one per
//    "\r\n\r\n" in the input, each with a method and target that occur in the input;
//  - the handler never read more body bytes than the input holds;
//  - the server closes the connection within 15 s (no hang) and leaves no connection behind.
//
// The handler's behaviour depends on the request target, so that the corpus reaches every way a
// handler can use the connection: /stream (echo the body as it is read, chunked), /ignore (answer
// without reading the body), /close (ask for Connection: close), /throw (an exception: the server's
// 500), /upgrade (101 and a tunnel that echoes), anything else the real EchoHandler.

#include <aileron/handlers/echo.hpp>
#include <aileron/log/logger.hpp>
#include <aileron/server/http_server.hpp>

#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace aileron;
using namespace std::chrono_literals;

namespace {

enum class mode { echo, stream, ignore, close, throws, upgrade };

/// What the handler saw of one request.
struct dispatch {
    mode how = mode::echo;
    std::string method;
    std::string target;
    bool head = false;
    bool expects_continue = false;
    std::uint64_t body_read = 0;
};

struct journal {
    std::mutex m;
    std::vector<dispatch> calls;
};
journal log_book;

mode mode_of(std::string_view target) {
    if (target.starts_with("/stream")) return mode::stream;
    if (target.starts_with("/ignore")) return mode::ignore;
    if (target.starts_with("/close")) return mode::close;
    if (target.starts_with("/throw")) return mode::throws;
    if (target.starts_with("/upgrade")) return mode::upgrade;
    return mode::echo;
}

/// Passes the request body on as the response body, counting what went through.
class echo_stream final : public body_source {
public:
    echo_stream(request& req, std::size_t index) : req_(req), index_(index) {}
    task<result<asio::const_buffer>> next() override {
        auto piece = co_await req_.body().next();
        if (piece) {
            std::lock_guard lock{log_book.m};
            log_book.calls[index_].body_read += piece->size();
        }
        co_return piece;
    }
    std::optional<std::uint64_t> size() const noexcept override { return std::nullopt; }

private:
    request& req_;
    std::size_t index_;
};

/// After a 101: sends back "tunnel:" and every byte the client sends, until it stops.
class echo_tunnel final : public upgrade_handler {
public:
    task<void> run(tcp::socket& client, asio::const_buffer pending) override {
        std::string first = "tunnel:";
        first.append(static_cast<const char*>(pending.data()), pending.size());
        auto [ec, n] = co_await asio::async_write(client, asio::buffer(first), use_nothrow);
        if (ec) co_return;
        char buf[4096];
        for (;;) {
            auto [rec, rn] = co_await client.async_read_some(asio::buffer(buf), use_nothrow);
            if (rec) break;
            auto [wec, wn] = co_await asio::async_write(client, asio::buffer(buf, rn), use_nothrow);
            if (wec) break;
        }
        error_code ignored;
        client.shutdown(tcp::socket::shutdown_send, ignored);
    }
};

struct fuzz_handler {
    task<response> operator()(request& req) const {
        std::size_t index;
        const mode how = mode_of(req.target());
        {
            std::lock_guard lock{log_book.m};
            index = log_book.calls.size();
            log_book.calls.push_back({how, std::string{req.method_string()}, std::string{req.target()},
                                      req.method() == http::verb::head,
                                      beast::iequals(req[http::field::expect], "100-continue")});
        }
        const std::string seq = std::to_string(index + 1);
        switch (how) {
        case mode::stream: {
            response res{http::status::ok, req.version()};
            res.set("X-Fuzz-Seq", seq);
            res.set_stream(std::make_unique<echo_stream>(req, index));
            co_return res;
        }
        case mode::ignore:
        case mode::close: {
            response res{http::status::ok, req.version()};
            res.set("X-Fuzz-Seq", seq);
            if (how == mode::close) res.set(http::field::connection, "close");
            res.body() = "not read\n";
            res.prepare_payload();
            co_return res;
        }
        case mode::throws: throw std::runtime_error("fuzz handler throws");
        case mode::upgrade: {
            response res{http::status::switching_protocols, 11};
            res.set("X-Fuzz-Seq", seq);
            res.set(http::field::connection, "Upgrade");
            res.set(http::field::upgrade, "fuzz");
            res.set_upgrade(std::make_unique<echo_tunnel>());
            co_return res;
        }
        case mode::echo: break;
        }
        // The real EchoHandler reads the whole body; count it through a wrapper.
        struct counting final : body_source {
            counting(body_source& in, std::size_t index) : in(in), index(index) {}
            task<result<asio::const_buffer>> next() override {
                auto piece = co_await in.next();
                if (piece) {
                    std::lock_guard lock{log_book.m};
                    log_book.calls[index].body_read += piece->size();
                }
                co_return piece;
            }
            std::optional<std::uint64_t> size() const noexcept override { return in.size(); }
            body_source& in;
            std::size_t index;
        } body{req.body(), index};
        req.set_body(&body);
        response res = co_await handlers::echo{}(req);
        res.set("X-Fuzz-Seq", seq);
        co_return res;
    }
};

/// The server, started once for the whole run and stopped at exit.
struct fixture {
    logger quiet{logger::options{.target = logger::output::discard}};
    server::http_server srv{[] {
                                server::http_server_options o;
                                o.addr = "127.0.0.1:0";
                                o.workers = 1;
                                o.max_header_bytes = 1024;   // 1024 + Go's 4096 slack: 431 is reachable
                                o.name = "fuzz";
                                return o;
                            }(),
                            any_handler{fuzz_handler{}}};
    std::stop_source stop;
    std::jthread thread;
    std::uint16_t port = 0;

    fixture() {
        srv.set_logger(&quiet);
        if (auto ec = srv.open()) {
            std::fprintf(stderr, "fuzz_http_server: cannot listen: %s\n", ec.message().c_str());
            std::abort();
        }
        port = srv.local_endpoint().port();
        thread = std::jthread{[this] { srv.run(stop.get_token()); }};
    }
    ~fixture() {
        stop.request_stop();
        thread.join();
    }
};

fixture& server_fixture() {
    static fixture f;
    return f;
}

[[noreturn]] void fail(const char* what, std::string_view in, std::string_view out) {
    std::fprintf(stderr, "\nfuzz_http_server: %s\n--- input (%zu bytes):\n%.*s\n--- output (%zu bytes):\n%.*s\n", what,
                 in.size(), static_cast<int>(std::min<std::size_t>(in.size(), 4000)), in.data(), out.size(),
                 static_cast<int>(std::min<std::size_t>(out.size(), 4000)), out.data());
    std::abort();
}

/// Sends `in`, half-closes, reads until the server closes. Sets `reset` when it reset instead.
std::string exchange(std::uint16_t port, std::string_view in, bool& reset) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::perror("fuzz_http_server: connect");
        std::abort();
    }
    std::string out;
    std::size_t sent = 0;
    bool writing = true;
    if (in.empty()) {
        ::shutdown(fd, SHUT_WR);
        writing = false;
    }
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    char buf[16384];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fd, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0)
            fail("the server did not close the connection within 15 s", in, out);
        if (writing && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = ::send(fd, in.data() + sent, in.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) sent += static_cast<std::size_t>(n);
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || sent == in.size()) {
                ::shutdown(fd, SHUT_WR);
                writing = false;
            }
        }
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
            ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                out.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0) break;
            if (errno == EAGAIN || errno == EINTR) continue;
            reset = true;
            break;
        }
    }
    ::close(fd);
    return out;
}

bool is_tchar(unsigned char c) {
    return std::isalnum(c) || std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c)) != std::string_view::npos;
}

/// One response as read from the output.
struct parsed {
    unsigned status = 0;
    std::optional<std::string> seq;
    bool close = false;
    bool complete = false;   ///< its whole body was there
};

/// Parses one response at `out[pos]` for a request that was (not) HEAD. Fails the run on a
/// syntax error; returns an incomplete response when the bytes end early.
parsed parse_response(std::string_view out, std::size_t& pos, bool head, std::string_view in) {
    parsed r;
    auto end = out.find("\r\n\r\n", pos);
    if (end == std::string_view::npos) return r;
    std::string_view block = out.substr(pos, end + 2 - pos);
    pos = end + 4;
    auto eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    if (line.size() < 13 || !line.starts_with("HTTP/1.1 ") || !std::isdigit(static_cast<unsigned char>(line[9])) ||
        !std::isdigit(static_cast<unsigned char>(line[10])) || !std::isdigit(static_cast<unsigned char>(line[11])) ||
        line[12] != ' ')
        fail("malformed status line", in, out);
    r.status = static_cast<unsigned>((line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0'));
    if (r.status < 100 || r.status > 599) fail("status out of range", in, out);
    std::optional<std::uint64_t> length;
    bool chunked = false;
    for (std::size_t at = eol + 2; at < block.size();) {
        auto next = block.find("\r\n", at);
        std::string_view field = block.substr(at, next - at);
        at = next + 2;
        auto colon = field.find(':');
        if (colon == std::string_view::npos || colon == 0) fail("field without a name", in, out);
        std::string_view name = field.substr(0, colon), value = field.substr(colon + 1);
        for (unsigned char c : name)
            if (!is_tchar(c)) fail("bad byte in a field name", in, out);
        for (unsigned char c : value)
            if (c == '\r' || c == '\n' || c == 0) fail("CR, LF or NUL in a field value", in, out);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        if (beast::iequals(name, "Content-Length")) {
            if (length) fail("two Content-Length fields", in, out);
            std::uint64_t v = 0;
            if (value.empty() || value.size() > 18) fail("bad Content-Length", in, out);
            for (char c : value) {
                if (!std::isdigit(static_cast<unsigned char>(c))) fail("bad Content-Length", in, out);
                v = v * 10 + static_cast<unsigned>(c - '0');
            }
            length = v;
        } else if (beast::iequals(name, "Transfer-Encoding")) {
            if (!beast::iequals(value, "chunked")) fail("Transfer-Encoding other than chunked", in, out);
            chunked = true;
        } else if (beast::iequals(name, "Connection")) {
            r.close = http::token_list{value}.exists("close");
        } else if (beast::iequals(name, "X-Fuzz-Seq")) {
            r.seq = std::string{value};
        }
    }
    if (chunked && length) fail("both Content-Length and chunked", in, out);
    const bool bodiless = head || r.status < 200 || r.status == 204 || r.status == 304;
    if (bodiless) {
        if (chunked && r.status < 200) fail("a 1xx response with a body", in, out);
        r.complete = true;
        return r;
    }
    if (length) {
        if (out.size() - pos < *length) {
            pos = out.size();
            return r;
        }
        pos += *length;
        r.complete = true;
        return r;
    }
    if (chunked) {
        for (;;) {
            auto le = out.find("\r\n", pos);
            if (le == std::string_view::npos) {
                pos = out.size();
                return r;
            }
            std::string_view size_line = out.substr(pos, le - pos);
            std::uint64_t size = 0;
            if (size_line.empty() || size_line.size() > 15) fail("bad chunk size line", in, out);
            for (char c : size_line) {
                if (!std::isxdigit(static_cast<unsigned char>(c))) fail("bad chunk size line", in, out);
                size = size * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10);
            }
            pos = le + 2;
            if (size == 0) {
                if (out.substr(pos, 2) != "\r\n") {
                    if (out.size() - pos < 2) {
                        pos = out.size();
                        return r;
                    }
                    fail("trailers or garbage after the last chunk", in, out);
                }
                pos += 2;
                r.complete = true;
                return r;
            }
            if (out.size() - pos < size + 2) {
                pos = out.size();
                return r;
            }
            if (out.substr(pos + size, 2) != "\r\n") fail("chunk data not followed by CRLF", in, out);
            pos += size + 2;
        }
    }
    // Delimited by the end of the connection: only allowed when the server says it closes.
    if (!r.close) fail("a body with no framing on a connection that stays open", in, out);
    pos = out.size();
    r.complete = true;
    return r;
}

std::size_t count(std::string_view hay, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fixture& f = server_fixture();
    const std::string_view in{reinterpret_cast<const char*>(data), size};
    {
        std::lock_guard lock{log_book.m};
        log_book.calls.clear();
    }
    bool reset = false;
    const std::string out = exchange(f.port, in, reset);
    // The connection is gone from the server too before the next input (nothing accumulates).
    for (int i = 0; f.srv.active_connections() != 0; ++i) {
        if (i > 15000) fail("the server kept the connection after closing it", in, out);
        std::this_thread::sleep_for(1ms);
    }
    std::vector<dispatch> calls;
    {
        std::lock_guard lock{log_book.m};
        calls = log_book.calls;
    }

    // Never more requests than the input frames, and only requests that are in it.
    if (calls.size() > count(in, "\r\n\r\n")) fail("more requests dispatched than the input frames", in, out);
    std::uint64_t body_total = 0;
    for (auto& c : calls) {
        if (in.find(c.target) == std::string_view::npos) fail("a dispatched target that is not in the input", in, out);
        if (in.find(c.method) == std::string_view::npos) fail("a dispatched method that is not in the input", in, out);
        body_total += c.body_read;
    }
    if (body_total > size) fail("the handler read more body bytes than the input holds", in, out);

    // The responses: one per dispatched request, in order, then at most one server error.
    std::size_t pos = 0, next_call = 0;
    bool closed = false;
    while (pos < out.size()) {
        if (closed) fail("bytes after a response that closed the connection", in, out);
        const bool head = next_call < calls.size() && calls[next_call].head;
        parsed r = parse_response(out, pos, head, in);
        if (!r.complete) {
            // Cut short: only when the connection was reset, or a streamed echo lost its body.
            const bool stream_broke = next_call < calls.size() && calls[next_call].how == mode::stream;
            if (!reset && !stream_broke) fail("an incomplete response on a connection closed cleanly", in, out);
            break;
        }
        if (r.status == 100) {
            if (next_call >= calls.size() || !calls[next_call].expects_continue)
                fail("100 Continue for a request that did not ask for it", in, out);
            continue;
        }
        if (r.status < 200 && r.status != 101) fail("an unexpected 1xx response", in, out);
        if (next_call < calls.size()) {
            const dispatch& c = calls[next_call];
            if (c.how == mode::throws) {
                if (r.status != 500 || r.seq) fail("a throwing handler did not give the server's 500", in, out);
            } else if (r.seq != std::to_string(next_call + 1)) {
                fail("responses out of order, or one missing", in, out);
            }
            ++next_call;
            if (r.status == 101) break;   // the rest is the tunnel's
            closed = r.close;
            continue;
        }
        // Not the handler's: the server rejected what followed. It ends the connection.
        if (r.seq) fail("a handler response with no request", in, out);
        if (r.status < 400) fail("a server response that is not an error", in, out);
        if (!r.close) fail("a server error that keeps the connection open", in, out);
        closed = true;
    }
    if (next_call < calls.size()) {
        // A request the handler got but whose response did not (all) come: only the last one,
        // and only when the connection was reset or its streamed body broke.
        const bool stream_broke = calls[next_call].how == mode::stream;
        if (next_call + 1 != calls.size() || (!reset && !stream_broke))
            fail("a dispatched request got no complete response", in, out);
    }
    return 0;
}
