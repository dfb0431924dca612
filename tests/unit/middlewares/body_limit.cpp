#include <aileron/middlewares/body_limit.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using middlewares::body_limit;

/// A body of unknown length (as a chunked one), delivered in the given pieces.
class pieces_source final : public body_source {
public:
    explicit pieces_source(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
    task<result<asio::const_buffer>> next() override {
        if (i_ == pieces_.size()) co_return asio::const_buffer{};
        co_return asio::buffer(pieces_[i_++]);
    }
    std::optional<std::uint64_t> size() const noexcept override { return std::nullopt; }
    std::size_t delivered() const noexcept { return i_; }

private:
    std::vector<std::string> pieces_;
    std::size_t i_ = 0;
};

/// A handler that reads the whole body and answers with it (400 if reading failed).
struct reading_handler {
    task<response> operator()(request& req) const {
        auto body = co_await req.read_body(1 << 20);
        response res{body ? http::status::ok : http::status::bad_request, req.version()};
        if (body) res.body() = *body;
        res.prepare_payload();
        co_return res;
    }
};

body_limit limit(std::int64_t n) { return body_limit{body_limit::config{.max_size = n}}; }

}  // namespace

TEST_CASE("body_limit is an around middleware", "[middlewares][body_limit]") {
    STATIC_REQUIRE(around_middleware<body_limit, next_ref>);
    CHECK(body_limit::config{}.max_size == 4194304);
}

TEST_CASE("a known length above maxSize is 413 before the handler runs", "[middlewares][body_limit]") {
    int calls = 0;
    static_chain chain{test::text_handler{.calls = &calls}, limit(4)};
    string_body_source body{"12345"};
    request req{request::header_type{}, &body};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::payload_too_large);
    CHECK(res.body() == R"({"status":413,"statusText":"Request Entity Too Large"})");
    CHECK(calls == 0);
}

TEST_CASE("a known length up to maxSize passes", "[middlewares][body_limit]") {
    static_chain chain{reading_handler{}, limit(5)};
    string_body_source body{"12345"};
    request req{request::header_type{}, &body};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "12345");
}

TEST_CASE("a streamed body is counted as it is read and fails with 413 once over the limit", "[middlewares][body_limit]") {
    static_chain chain{reading_handler{}, limit(5)};
    pieces_source body{{"123", "456", "789"}};
    request req{request::header_type{}, &body};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::payload_too_large);
    CHECK(body.delivered() == 2);              // reading stopped at the piece that went over
    CHECK(&req.body() == &body);               // the original body is back
}

TEST_CASE("a streamed body within the limit reaches the handler whole", "[middlewares][body_limit]") {
    static_chain chain{reading_handler{}, limit(6)};
    pieces_source body{{"123", "456"}};
    request req{request::header_type{}, &body};
    response res = test::run_task(chain(req));
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "123456");
}

TEST_CASE("maxSize 0 or less disables the limit", "[middlewares][body_limit]") {
    static_chain chain{reading_handler{}, limit(-1)};
    string_body_source body{std::string(100, 'x')};
    request req{request::header_type{}, &body};
    CHECK(test::run_task(chain(req)).result() == http::status::ok);
}
