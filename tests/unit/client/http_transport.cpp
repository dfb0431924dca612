#include <aileron/client/http_transport.hpp>   // first: proves the header is self-contained

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace aileron;
using namespace aileron::client;

/// A blocking keep-alive upstream on loopback, on its own thread: it accepts connections one
/// after another, answers every request on them with a small 200, and records how each
/// connection ended: closed by the client (EOF), or still open after `hold` without a word.
class keep_alive_upstream {
public:
    explicit keep_alive_upstream(int connections, std::chrono::milliseconds hold) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listener_, 8) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread{[this, connections, hold] {
            for (int i = 0; i < connections; ++i) serve(::accept(listener_, nullptr, nullptr), hold);
        }};
    }
    ~keep_alive_upstream() {
        ::shutdown(listener_, SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
        ::close(listener_);
    }
    std::string url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string{path}; }
    /// Waits for the upstream thread; then the counts are final.
    void join() { thread_.join(); }
    int requests() const { return requests_; }
    int closed_by_client() const { return closed_by_client_; }
    int left_open() const { return left_open_; }

private:
    void serve(int fd, std::chrono::milliseconds hold) {
        if (fd < 0) return;
        std::string in;
        char buf[4096];
        for (;;) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(hold.count())) == 0) {   // silent for `hold`
                ++left_open_;
                break;
            }
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                ++closed_by_client_;
                break;
            }
            in.append(buf, static_cast<std::size_t>(n));
            for (auto end = in.find("\r\n\r\n"); end != std::string::npos; end = in.find("\r\n\r\n")) {
                in.erase(0, end + 4);
                ++requests_;
                static constexpr char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                (void)::send(fd, answer, sizeof answer - 1, MSG_NOSIGNAL);
            }
        }
        ::close(fd);
    }

    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<int> requests_{0}, closed_by_client_{0}, left_open_{0};
    std::thread thread_;
};

/// One GET through `transport` on the calling task's context, its body read to the end (which
/// returns the connection to the pool); the status, or 0 on an error.
task<unsigned> get(const http_transport& transport, std::string url) {
    request req{http::verb::get, url};
    req.set(http::field::host, "127.0.0.1");
    auto res = co_await transport(req);
    if (!res) co_return 0;
    if (auto* body = res->stream())
        for (;;) {
            auto piece = co_await body->next();
            if (!piece || piece->size() == 0) break;
        }
    co_return static_cast<unsigned>(res->result_int());
}

}  // namespace

TEST_CASE("requests on one context reuse its pooled upstream connection", "[client][pool]") {
    keep_alive_upstream up{1, std::chrono::milliseconds{5000}};
    const http_transport transport;
    const auto url = up.url("/a");
    auto both = [&]() -> task<unsigned> {
        const unsigned first = co_await get(transport, url);
        const unsigned second = co_await get(transport, url);
        co_return first * 1000 + second;
    };
    CHECK(test::run_task(both()) == 200200);
    up.join();
    CHECK(up.requests() == 2);
    // The context is gone, and its pooled connection with it.
    CHECK(up.closed_by_client() == 1);
}

TEST_CASE("pooled upstream connections are closed with the context that owns them, not kept for the thread",
          "[client][pool]") {
    // Two contexts one after the other on this thread: the first one's idle connection is closed
    // when it is destroyed, and the second dials its own.
    keep_alive_upstream up{2, std::chrono::milliseconds{5000}};
    const http_transport transport;
    CHECK(test::run_task(get(transport, up.url("/first"))) == 200);
    CHECK(test::run_task(get(transport, up.url("/second"))) == 200);
    up.join();
    CHECK(up.requests() == 2);
    CHECK(up.closed_by_client() == 2);
    CHECK(up.left_open() == 0);
}
