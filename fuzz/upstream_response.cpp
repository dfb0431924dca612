// fuzz_upstream_response: the HTTP client's upstream response parser, through the real
// `client::http_transport` and a loopback upstream that answers with the input.
//
// The first byte chooses the request and the client (bit 0: HEAD instead of GET, bit 1: POST
// with a 5-byte body, bit 2: keep-alive disabled, bit 3: the body is left unread); the rest is
// what the upstream sends back before it closes the connection. Checked:
//
//  - nothing crashes, leaks or hangs, whatever the upstream sends;
//  - a response is final (>= 200) or a 101, and its fields hold no CR, LF or NUL;
//  - no body for HEAD, 1xx, 204 and 304; never more body bytes than the upstream sent; a body
//    read to its end has exactly its announced Content-Length;
//  - a keep-alive connection goes back to the pool only once its body has been read to its end,
//    so that the next exchange never starts on bytes left over from this one (the pooled
//    connection of the previous input is dead then: an idempotent request is sent again on a new
//    connection, a POST fails cleanly), and a response always comes from a connection the
//    upstream accepted for this input.

#include <aileron/client/http_transport.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace aileron;

namespace {

[[noreturn]] void fail(const char* what, std::string_view in) {
    std::fprintf(stderr, "\nfuzz_upstream_response: %s\n--- upstream sent (%zu bytes):\n%.*s\n", what, in.size(),
                 static_cast<int>(std::min<std::size_t>(in.size(), 4000)), in.data());
    std::abort();
}

struct fixture {
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc, tcp::endpoint{asio::ip::address_v4::loopback(), 0}};
    std::string base = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
    client::http_transport keep_alive{client::transport_options{}};
    client::http_transport one_shot{[] {
        client::transport_options o;
        o.disable_keep_alives = true;
        return o;
    }()};
    bool accepted = false;   ///< the upstream took a connection for this input
};

/// The upstream: one connection, reads the request (head, and a Content-Length body), answers
/// with `reply` and closes.
task<void> upstream(fixture& f, std::string_view reply) {
    auto [aec, sock] = co_await f.acceptor.async_accept(use_nothrow);
    if (aec) co_return;
    f.accepted = true;
    std::string in;
    auto [rec, n] = co_await asio::async_read_until(sock, asio::dynamic_buffer(in), "\r\n\r\n", use_nothrow);
    if (rec) co_return;
    if (in.find("Content-Length: 5\r\n") != std::string::npos) {
        while (in.size() < n + 5) {
            char buf[64];
            auto [ec, got] = co_await sock.async_read_some(asio::buffer(buf), use_nothrow);
            if (ec) co_return;
            in.append(buf, got);
        }
    }
    co_await asio::async_write(sock, asio::buffer(reply), use_nothrow);
    error_code ignored;
    sock.shutdown(tcp::socket::shutdown_send, ignored);
    sock.close(ignored);
}

task<void> client_side(fixture& f, unsigned flags, std::string_view reply) {
    const bool head = flags & 1, post = flags & 2, one_shot = flags & 4, read_body = !(flags & 8);
    request req{head ? http::verb::head : post ? http::verb::post : http::verb::get, f.base + "/fuzz?x=1"};
    req.set(http::field::host, "upstream.test");
    string_body_source body{"hello"};
    if (post) req.set_body(&body);
    auto res = co_await (one_shot ? f.one_shot : f.keep_alive)(req);
    if (res) {
        // Only this input's upstream can have answered: bytes left on a pooled connection by the
        // previous one must never become this request's response.
        if (!f.accepted) fail("a response that the upstream did not send for this request", reply);
        const unsigned status = res->result_int();
        if (status < 200 && status != 101) fail("an interim response returned as the response", reply);
        for (const auto& field : *res)
            for (char c : field.value())
                if (c == '\r' || c == '\n' || c == '\0') fail("CR, LF or NUL in a response field", reply);
        if (body_source* src = res->stream(); src && read_body) {
            const bool bodiless = head || status < 200 || status == 204 || status == 304;
            const auto announced = src->size();
            std::uint64_t total = 0;
            for (;;) {
                auto piece = co_await src->next();
                if (!piece) break;
                if (piece->size() == 0) {
                    if (announced && *announced != total && !bodiless)
                        fail("a body that ended before or after its Content-Length", reply);
                    break;
                }
                total += piece->size();
                if (bodiless) fail("a body for a response that cannot have one", reply);
                if (total > reply.size()) fail("more body bytes than the upstream sent", reply);
            }
        }
    }
    // Whatever happened, the upstream waits no longer.
    error_code ignored;
    f.acceptor.cancel(ignored);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fixture f;
    if (size == 0) return 0;
    const unsigned flags = data[0];
    const std::string_view reply{reinterpret_cast<const char*>(data) + 1, size - 1};
    f.accepted = false;
    asio::co_spawn(f.ioc, upstream(f, reply), asio::detached);
    asio::co_spawn(f.ioc, client_side(f, flags, reply), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    f.ioc.run();
    f.ioc.restart();
    return 0;
}
