#include <aileron/middlewares/compression.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <brotli/decode.h>
#include <zlib.h>

#include <string>
#include <vector>

namespace {

using namespace aileron;
using middlewares::compression;
using middlewares::content_coding;

std::string gunzip(std::string_view in) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK) {
        char buf[4096];
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_SYNC_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;   // all input used (a flushed, unfinished stream)
    }
    inflateEnd(&z);
    return out;
}

std::string unbrotli(std::string_view in) {
    BrotliDecoderState* s = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    std::size_t avail_in = in.size();
    const std::uint8_t* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    std::string out;
    for (;;) {
        std::size_t avail_out = 0;
        BrotliDecoderResult r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, nullptr, nullptr);
        std::size_t n = 0;
        const std::uint8_t* p = BrotliDecoderTakeOutput(s, &n);
        out.append(reinterpret_cast<const char*>(p), n);
        if (r == BROTLI_DECODER_RESULT_ERROR) FAIL("brotli decode error");
        if (r == BROTLI_DECODER_RESULT_SUCCESS || r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) break;
    }
    BrotliDecoderDestroyInstance(s);
    return out;
}

std::string text(std::size_t n) {
    std::string s;
    while (s.size() < n) s += "the quick brown fox jumps over the lazy dog " + std::to_string(s.size()) + "\n";
    s.resize(n);
    return s;
}

/// A handler answering with `body` of type `type`, buffered or streamed in `pieces`.
struct body_handler {
    std::string body;
    std::string type = "text/plain; charset=utf-8";
    std::vector<std::string> pieces;   // non-empty: a streamed, chunked body
    std::string encoding;
    task<response> operator()(request& req) const;
};

class pieces_source final : public body_source {
public:
    explicit pieces_source(std::vector<std::string> p) : pieces_(std::move(p)) {}
    task<result<asio::const_buffer>> next() override {
        if (i_ == pieces_.size()) co_return asio::const_buffer{};
        co_return asio::buffer(pieces_[i_++]);
    }
    std::optional<std::uint64_t> size() const noexcept override { return std::nullopt; }

private:
    std::vector<std::string> pieces_;
    std::size_t i_ = 0;
};

task<response> body_handler::operator()(request& req) const {
    response res{http::status::ok, req.version()};
    if (!type.empty()) res.set(http::field::content_type, type);
    if (!encoding.empty()) res.set(http::field::content_encoding, encoding);
    if (pieces.empty()) {
        res.body() = body;
        res.prepare_payload();
    } else {
        res.set_stream(std::make_unique<pieces_source>(pieces));
    }
    co_return res;
}

/// Pulls a streamed body to its end, keeping the pieces.
task<std::vector<std::string>> drain(body_source& src) {
    std::vector<std::string> out;
    for (;;) {
        auto piece = co_await src.next();
        REQUIRE(piece.has_value());
        if (piece->size() == 0) co_return out;
        out.emplace_back(static_cast<const char*>(piece->data()), piece->size());
    }
}

content_coding choose(std::vector<std::string> values) {
    request req{http::verb::get, "/"};
    for (auto& v : values) req.insert(http::field::accept_encoding, v);
    return middlewares::choose_coding(req);
}

response run(const body_handler& h, std::string_view accept, compression::config c = {},
             http::verb method = http::verb::get) {
    static_chain chain{h, compression{c}};
    request req{method, "/"};
    if (!accept.empty()) req.set(http::field::accept_encoding, accept);
    return test::run_task(chain(req));
}

}  // namespace

TEST_CASE("compression is an around middleware", "[middlewares][compression]") {
    STATIC_REQUIRE(around_middleware<compression, test::text_handler>);
}

TEST_CASE("Accept-Encoding is honoured with q-values, br first at equal q", "[middlewares][compression]") {
    CHECK(choose({"gzip, deflate, br"}) == content_coding::br);
    CHECK(choose({"gzip"}) == content_coding::gzip);
    CHECK(choose({"GZIP;q=0.5, br;q=0.4"}) == content_coding::gzip);
    CHECK(choose({"br;q=0, gzip;q=0.1"}) == content_coding::gzip);
    CHECK(choose({"br;q=0", "gzip; q=0"}) == content_coding::identity);
    CHECK(choose({"deflate, identity"}) == content_coding::identity);
    CHECK(choose({"*"}) == content_coding::br);
    CHECK(choose({"*;q=0.5, br;q=0"}) == content_coding::gzip);
    CHECK(choose({"gzip;q=0.8", "br;q=0.9"}) == content_coding::br);   // several header lines
    CHECK(choose({"brotli, xgzip"}) == content_coding::identity);       // no substring matching
    CHECK(choose({"br;q=abc, gzip"}) == content_coding::gzip);          // a malformed element is ignored
    CHECK(choose({""}) == content_coding::identity);
}

TEST_CASE("a buffered body is gzip- or brotli-compressed at once", "[middlewares][compression]") {
    const std::string body = text(5000);
    response res = run(body_handler{.body = body}, "gzip");
    CHECK(res[http::field::content_encoding] == "gzip");
    CHECK(res[http::field::vary] == "Accept-Encoding");
    CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
    CHECK(res.body().size() < body.size());
    CHECK(gunzip(res.body()) == body);

    res = run(body_handler{.body = body}, "gzip, br");
    CHECK(res[http::field::content_encoding] == "br");
    CHECK(unbrotli(res.body()) == body);

    compression::config c;
    c.brotli_level = -1;   // quality 0
    c.gzip_level = 1;
    CHECK(unbrotli(run(body_handler{.body = body}, "br", c).body()) == body);
    CHECK(gunzip(run(body_handler{.body = body}, "gzip", c).body()) == body);
}

TEST_CASE("responses that do not qualify are left alone, with Vary when asked", "[middlewares][compression]") {
    const std::string body = text(5000);
    SECTION("no Accept-Encoding: untouched, no Vary") {
        response res = run(body_handler{.body = body}, "");
        CHECK(res.body() == body);
        CHECK(res.find(http::field::vary) == res.end());
    }
    SECTION("nothing acceptable") {
        response res = run(body_handler{.body = body}, "deflate");
        CHECK(res.body() == body);
        CHECK(res[http::field::vary] == "Accept-Encoding");
        CHECK(res.find(http::field::content_encoding) == res.end());
    }
    SECTION("already encoded") {
        response res = run(body_handler{.body = body, .encoding = "zstd"}, "gzip");
        CHECK(res.body() == body);
        CHECK(res[http::field::content_encoding] == "zstd");
    }
    SECTION("a media type that is not targeted, or none") {
        CHECK(run(body_handler{.body = body, .type = "image/png"}, "gzip").body() == body);
        CHECK(run(body_handler{.body = body, .type = ""}, "gzip").body() == body);
    }
    SECTION("smaller than minimumSize") {
        response res = run(body_handler{.body = text(1023)}, "gzip");
        CHECK(res.find(http::field::content_encoding) == res.end());
        CHECK(res[http::field::vary] == "Accept-Encoding");
        CHECK(run(body_handler{.body = text(1024)}, "gzip")[http::field::content_encoding] == "gzip");
        compression::config c;
        c.minimum_size = -1;   // compress any size
        CHECK(gunzip(run(body_handler{.body = "tiny"}, "gzip", c).body()) == "tiny");
    }
    SECTION("a HEAD request") {
        CHECK(run(body_handler{.body = body}, "gzip", {}, http::verb::head).body() == body);
    }
}

TEST_CASE("targetMIMEs replaces the default list; parameters are ignored", "[middlewares][compression]") {
    compression::config c;
    c.target_mimes = {"Application/Vnd.Custom"};
    const std::string body = text(2000);
    CHECK(run(body_handler{.body = body, .type = "application/vnd.custom; v=1"}, "gzip", c)
              [http::field::content_encoding] == "gzip");
    CHECK(run(body_handler{.body = body}, "gzip", c).body() == body);   // text/plain no longer targeted
}

TEST_CASE("a streamed body is compressed piece by piece, each piece decodable at once", "[middlewares][compression]") {
    const std::vector<std::string> pieces{"data: 1\n\n", "data: 2\n\n", "data: 3\n\n"};
    for (const char* accept : {"gzip", "br"}) {
        response res = run(body_handler{.type = "text/event-stream", .pieces = pieces}, accept,
                           compression::config{.target_mimes = {"text/event-stream"}});
        REQUIRE(res.stream() != nullptr);
        CHECK(res[http::field::content_encoding] == accept);
        CHECK(res.find(http::field::content_length) == res.end());
        CHECK_FALSE(res.stream()->size().has_value());
        std::vector<std::string> out = test::run_task(drain(*res.stream()));
        REQUIRE(out.size() >= pieces.size());
        // The first piece alone decodes to the first event: it was flushed, not held back.
        const bool gzip = std::string_view{accept} == "gzip";
        CHECK((gzip ? gunzip(out[0]) : unbrotli(out[0])) == pieces[0]);
        std::string all;
        for (auto& p : out) all += p;
        CHECK((gzip ? gunzip(all) : unbrotli(all)) == "data: 1\n\ndata: 2\n\ndata: 3\n\n");
    }
}
