// responseHeaderTimeout of the built-in transport: a header that comes too late is a timeout
// however the event loop was scheduled, and the connection it was awaited on is closed, never
// pooled or reused.

#include <aileron/client/http_transport.hpp>

#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace aileron;
using namespace aileron::client;
using std::chrono::milliseconds;

/// How a connection of the upstream ended after its answer.
enum class ending { closed_by_client, reused, not_watched, left_open };

/// A blocking upstream on loopback, on threads of its own. Connection i gets one request, waits
/// `delays[i]` and answers 200 with the body `i`. A late answer's connection (delay > 0) is then
/// watched for up to 2 s: the client closes it (EOF or reset), or sends another request on it.
class scripted_upstream {
public:
    explicit scripted_upstream(std::vector<milliseconds> delays)
        : delays_(std::move(delays)), endings_(delays_.size(), ending::not_watched) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listener_, 8) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread{[this] {
            std::vector<std::thread> served;   // one thread a connection: a late answer holds up no other
            for (std::size_t i = 0; i < delays_.size(); ++i) {
                const int fd = ::accept(listener_, nullptr, nullptr);
                if (fd < 0) break;
                ++accepted_;
                served.emplace_back([this, fd, i] { serve(fd, i); });
            }
            for (auto& t : served) t.join();
        }};
    }
    ~scripted_upstream() {
        ::shutdown(listener_, SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
        ::close(listener_);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/slow"; }
    /// Takes no more connections and waits for the ones taken; then the counts are final.
    void join() {
        ::shutdown(listener_, SHUT_RDWR);
        thread_.join();
    }
    int accepted() const { return accepted_; }
    /// Read after join().
    ending how_ended(std::size_t i) const { return endings_[i]; }

private:
    void serve(int fd, std::size_t i) {
        std::string in;
        char buf[4096];
        while (in.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                ::close(fd);
                return;
            }
            in.append(buf, static_cast<std::size_t>(n));
        }
        std::this_thread::sleep_for(delays_[i]);
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + std::to_string(i);
        (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
        if (delays_[i].count() > 0) {
            endings_[i] = ending::left_open;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 2000) == 1)
                endings_[i] = ::recv(fd, buf, sizeof buf, 0) <= 0 ? ending::closed_by_client : ending::reused;
        }
        ::close(fd);
    }

    std::vector<milliseconds> delays_;
    std::vector<ending> endings_;   // endings_[i] written by connection i's thread, read after join()
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

/// What one GET through `transport` came to: the error, or the status and the body.
struct got {
    error_code error;
    unsigned status = 0;
    std::string body;
};

task<got> get(const http_transport& transport, std::string url) {
    request req{http::verb::get, url};
    req.set(http::field::host, "127.0.0.1");
    auto res = co_await transport(req);
    if (!res) co_return got{.error = res.error()};
    got out{.status = static_cast<unsigned>(res->result_int())};
    if (auto* body = res->stream())
        for (;;) {
            auto piece = co_await body->next();
            if (!piece || piece->size() == 0) break;
            out.body.append(static_cast<const char*>(piece->data()), piece->size());
        }
    co_return out;
}

transport_options header_timeout(milliseconds t) {
    transport_options o;
    o.response_header_timeout = t;
    return o;
}

}  // namespace

TEST_CASE("a response header later than responseHeaderTimeout is a timeout, and its connection is closed, not reused",
          "[client][timeout]") {
    // The first answer comes 300 ms after a 50 ms deadline; the second at once.
    scripted_upstream up{{milliseconds{300}, milliseconds{0}}};
    const http_transport transport{header_timeout(milliseconds{50})};
    auto both = [&]() -> task<std::vector<got>> {
        std::vector<got> out;
        out.push_back(co_await get(transport, up.url()));
        out.push_back(co_await get(transport, up.url()));
        co_return out;
    };
    const auto results = test::run_task(both());
    CHECK(results[0].error == asio::error::timed_out);
    CHECK(results[1].status == 200);
    CHECK(results[1].body == "1");   // the second connection's answer, not the late one
    up.join();
    CHECK(up.accepted() == 2);
    CHECK(up.how_ended(0) == ending::closed_by_client);
}

TEST_CASE("a response header that came after the deadline is a timeout also when the event loop was held up past both",
          "[client][timeout]") {
    // The worker does not run from 20 ms to 420 ms (a descheduled thread): by the time it looks,
    // the 100 ms deadline has passed and the header that came at 150 ms is there. The loop
    // handles the socket before the timer in that turn; the header must still count as late.
    // (When the request goes out after 20 ms, the deadline passes normally after the stall:
    // a timeout as well.)
    scripted_upstream up{{milliseconds{150}, milliseconds{0}}};
    const http_transport transport{header_timeout(milliseconds{100})};
    auto run = [&]() -> task<std::vector<got>> {
        asio::steady_timer stall{co_await asio::this_coro::executor, milliseconds{20}};
        stall.async_wait([](error_code) { std::this_thread::sleep_for(milliseconds{400}); });
        std::vector<got> out;
        out.push_back(co_await get(transport, up.url()));
        out.push_back(co_await get(transport, up.url()));
        co_return out;
    };
    const auto results = test::run_task(run());
    CHECK(results[0].error == asio::error::timed_out);
    CHECK(results[0].status == 0);
    CHECK(results[1].status == 200);
    CHECK(results[1].body == "1");
    up.join();
    CHECK(up.accepted() == 2);
    CHECK(up.how_ended(0) == ending::closed_by_client);
}
