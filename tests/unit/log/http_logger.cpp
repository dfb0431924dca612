#include <aileron/log/http_logger.hpp>   // first: the header is self-contained

#include <aileron/chain/static_chain.hpp>
#include <aileron/log/logger.hpp>
#include <aileron/middlewares/tracking.hpp>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>

using namespace aileron;

namespace {

struct capture_sink final : log_sink {
    std::mutex& m;
    std::vector<std::string>& out;
    capture_sink(std::mutex& m, std::vector<std::string>& out) : m(m), out(out) {}
    void write(std::string_view r) override {
        std::lock_guard lock{m};
        out.emplace_back(r);
    }
    void flush() override {}
};

/// A logger whose records end up in `lines` (UTC, no datetime or location: shorter lines).
struct captured {
    std::mutex m;
    std::vector<std::string> lines;
    logger log;
    captured() : log(opts(), std::make_unique<capture_sink>(m, lines)) {}
    static logger::options opts() {
        logger::options o;
        o.zone = time_zone{};
        o.no_datetime = o.no_location = true;
        return o;
    }
    std::vector<std::string> all() {
        log.flush();
        std::lock_guard lock{m};
        return lines;
    }
};

http_logger::config defaults() {
    http_logger::config c;
    c.timezone = "UTC";
    c.request.mimes.clear();
    c.response.mimes.clear();
    return c;
}

/// The value of "key":<value> in a record (first occurrence, string values without quotes).
std::string field(const std::string& line, const std::string& key) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex{"\"" + key + "\":(\"((?:[^\"\\\\]|\\\\.)*)\"|-?[0-9]+|\\{[^}]*\\})"}))
        return m[2].matched ? m[2].str() : m[1].str();
    return "<missing>";
}

/// A streamed body of unknown size.
class pieces final : public body_source {
public:
    explicit pieces(std::vector<std::string> p) : p_(std::move(p)) {}
    task<result<asio::const_buffer>> next() override {
        if (i_ == p_.size()) co_return asio::const_buffer{};
        co_return asio::buffer(p_[i_++]);
    }
    std::optional<std::uint64_t> size() const noexcept override { return std::nullopt; }

private:
    std::vector<std::string> p_;
    std::size_t i_ = 0;
};

task<std::string> drain(body_source& b) {
    std::string out;
    for (;;) {
        auto piece = co_await b.next();
        if (!piece || piece->size() == 0) co_return out;
        out.append(static_cast<const char*>(piece->data()), piece->size());
    }
}

}  // namespace

TEST_CASE("log ids are 20 base64url characters and unique", "[log][http_logger]") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        char id[20];
        make_log_id(id);
        std::string s{id, 20};
        CHECK(std::regex_match(s, std::regex{"[A-Za-z0-9_-]{20}"}));
        seen.insert(s);
    }
    CHECK(seen.size() == 1000);
}

TEST_CASE("the middleware writes a request and a response record with AILERON's keys in order",
          "[log][http_logger]") {
    captured c;
    http_logger hl{defaults(), c.log};
    request req{http::verb::post, "/a%2Fb%20c?x=1", 11};
    req.set(http::field::host, "example.com");
    test::text_handler h{"hello"};
    response res = test::run_task(hl(req, h));
    CHECK(res.body() == "hello");
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(std::regex_search(lines[0], std::regex{
        R"re("msg":"server","request":\{"header":\{\},"host":"example.com","id":"[A-Za-z0-9_-]{20}","method":"POST","path":"/a/b c","proto":"HTTP/1.1","query":"x=1","remote":"","size":0,"time":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}"\}\}\n$)re"}));
    CHECK(std::regex_search(lines[1], std::regex{
        R"re("msg":"server","response":\{"duration":\d+,"header":\{\},"id":"[A-Za-z0-9_-]{20}","size":5,"status":200,"time":"[^"]+"\}\}\n$)re"}));
    CHECK(field(lines[0], "id") == field(lines[1], "id"));
    CHECK(req.context().log_id.empty());   // the id is the request's only while the chain runs
}

TEST_CASE("a handler that throws still gets a 500 response record", "[log][http_logger]") {
    captured c;
    http_logger hl{defaults(), c.log};
    request req{http::verb::get, "/", 11};
    auto boom = [](request&) -> task<response> {
        throw std::runtime_error("boom");
        co_return response{};
    };
    CHECK_THROWS(test::run_task(hl(req, boom)));
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(field(lines[1], "status") == "500");
}

TEST_CASE("a streamed body of unknown size is logged when it ends, with the bytes counted",
          "[log][http_logger]") {
    captured c;
    http_logger hl{defaults(), c.log};
    request req{http::verb::get, "/s", 11};
    auto stream = [](request&) -> task<response> {
        response r{http::status::ok, 11};
        r.set_stream(std::make_unique<pieces>(std::vector<std::string>{"abc", "defg"}));
        co_return r;
    };
    response res = test::run_task(hl(req, stream));
    CHECK(c.all().size() == 1);   // the response record waits for the body
    CHECK(test::run_task(drain(*res.stream())) == "abcdefg");
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(field(lines[1], "size") == "7");
}

TEST_CASE("headers: '*' logs all (not Host), names are canonical, replacers mask", "[log][http_logger]") {
    captured c;
    auto cfg = defaults();
    cfg.request.headers.push_back({"*", {}});
    config::replacer_spec mask;
    mask.left = config::side_replacer_spec{"#", 6};
    cfg.request.headers.push_back({"authorization", {mask}});
    config::replacer_spec q;
    q.value = config::value_replacer_spec{{{"secret", "***"}}};
    cfg.request.queries.push_back(q);
    http_logger hl{cfg, c.log};
    request req{http::verb::get, "/?k=secret", 11};
    req.set(http::field::host, "h");
    req.insert("x-two", "1");
    req.insert("X-Two", "2");
    req.set(http::field::authorization, "Bearer token");
    test::text_handler h;
    test::run_task(hl(req, h));
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(field(lines[0], "header") == R"({"Authorization":"###### token","X-Two":"1,2"})");
    CHECK(field(lines[0], "query") == "k=***");
}

TEST_CASE("logFormat renders tags, Go's map form for %header% and <undefined:...>", "[log][http_logger]") {
    captured c;
    auto cfg = defaults();
    cfg.request.headers.push_back({"B", {}});
    cfg.request.headers.push_back({"a", {}});
    cfg.request.log_format = "%method% %path% %header% %header.b% %bogus% 100%";
    cfg.response.log_format = "% status % %type%";
    http_logger hl{cfg, c.log};
    request req{http::verb::get, "/p", 11};
    req.set("a", "1");
    req.set("b", "2");
    test::text_handler h;
    test::run_task(hl(req, h));
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "GET /p map[A:1 B:2] 2 <undefined:bogus> 100%\n");
    CHECK(lines[1] == "200 server\n");
}

TEST_CASE("journal: bodies under the limit are logged, masked by JSON field, replayed to the handler",
          "[log][http_logger]") {
    captured c;
    auto cfg = defaults();
    cfg.journal = true;
    cfg.request.mimes = {"application/json"};
    cfg.response.mimes = {"text/plain"};
    config::replacer_spec stars;
    stars.fixed = config::fixed_replacer_spec{R"("***")"};
    cfg.request.bodies.push_back({"application/json", {stars}, {"a.1", "b"}});
    http_logger hl{cfg, c.log};
    const std::string body = R"({"a": [0, "x", 2], "b": {"deep": true}, "c": "keep"})";
    string_body_source src{body};
    request req{request::header_type{}, &src};
    req.method(http::verb::post);
    req.target("/j");
    req.set(http::field::content_type, "application/json; charset=utf-8");
    std::string seen;
    auto echo = [&](request& r) -> task<response> {
        auto b = co_await r.read_body(1 << 20);
        seen = *b;
        response out{http::status::ok, 11};
        out.set(http::field::content_type, "text/plain");
        out.body() = "pong";
        co_return out;
    };
    test::run_task(hl(req, echo));
    CHECK(seen == body);
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find(R"("body":"{\"a\": [0, \"***\", 2], \"b\": \"***\", \"c\": \"keep\"}")") != std::string::npos);
    CHECK(field(lines[1], "body") == "pong");
}

TEST_CASE("journal: a body of unknown size past the limit is not logged but fully delivered",
          "[log][http_logger]") {
    captured c;
    auto cfg = defaults();
    cfg.journal = true;
    cfg.request.mimes = {"text/plain"};
    cfg.request.max_content_length = 4;
    http_logger hl{cfg, c.log};
    pieces src{{"ab", "cd", "ef"}};
    request req{request::header_type{}, &src};
    req.method(http::verb::post);
    req.target("/u");
    req.set(http::field::content_type, "text/plain");
    std::string seen;
    auto read = [&](request& r) -> task<response> {
        seen = *(co_await r.read_body(100));
        co_return response{http::status::no_content, 11};
    };
    test::run_task(hl(req, read));
    CHECK(seen == "abcdef");
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(field(lines[0], "body") == "");
    CHECK(field(lines[0], "size") == "-1");
}

TEST_CASE("the tripperware reuses the server's id and logs a failed round trip as status 0",
          "[log][http_logger]") {
    captured c;
    http_logger hl{defaults(), c.log};
    request req{http::verb::get, "http://up.example:81/x?y", 11};
    req.context().log_id = "ABCDEFGHIJKLMNOPQRST";
    auto fail = [](request&) -> task<result<response>> { co_return error_code{asio::error::connection_refused}; };
    auto res = test::run_task(hl(req, fail));
    CHECK_FALSE(res.has_value());
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(field(lines[0], "id") == "ABCDEFGHIJKLMNOPQRST");
    CHECK(field(lines[0], "host") == "up.example:81");
    CHECK(field(lines[0], "path") == "/x");
    CHECK(lines[1].find(R"("msg":"client","response":{"duration":)") != std::string::npos);
    CHECK(field(lines[1], "status") == "0");
    CHECK(field(lines[1], "id") == "ABCDEFGHIJKLMNOPQRST");
}

namespace {

/// The "ids" object of a record ("<missing>" when it has none).
std::string ids_of(const std::string& line) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex{R"re("ids":(\{"request":"[^"]*","trace":"[^"]*"\}),)re"})) return m[1];
    return "<missing>";
}

std::string ids_json(const request_ids& ids) {
    return R"({"request":")" + std::string{ids.request()} + R"(","trace":")" + std::string{ids.trace()} + "\"}";
}

middlewares::tracking tracking_from(std::string extract) {
    return middlewares::tracking{{.trace_id_extract_name = std::move(extract)}};
}

}  // namespace

TEST_CASE("HTTPLogger outside TrackingMiddleware: the response record has the ids, the request record none",
          "[log][http_logger]") {
    captured c;
    static_chain chain{test::text_handler{"hi"}, http_logger{defaults(), c.log}, tracking_from("X-Trace-ID")};
    request req{http::verb::get, "/", 11};
    req.set("X-Trace-ID", "client-trace-1");
    test::run_task(chain(req));
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    const request_ids& ids = req.context().ids;
    REQUIRE(ids.request().size() == 48);
    CHECK(ids.trace() == "client-trace-1");
    CHECK(ids_of(lines[0]) == "<missing>");   // written before TrackingMiddleware ran
    CHECK(lines[1].find(R"("msg":"server","ids":)" + ids_json(ids) + R"(,"response":{)") != std::string::npos);
}

TEST_CASE("HTTPLogger inside TrackingMiddleware: both records have the ids, the trace ID defaulting to the request ID",
          "[log][http_logger]") {
    captured c;
    static_chain chain{test::text_handler{"hi"}, tracking_from("X-Trace-ID"), http_logger{defaults(), c.log}};
    request req{http::verb::get, "/", 11};
    test::run_task(chain(req));
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    const request_ids& ids = req.context().ids;
    CHECK(ids.trace() == ids.request());
    CHECK(lines[0].find(R"("msg":"server","ids":)" + ids_json(ids) + R"(,"request":{)") != std::string::npos);
    CHECK(ids_of(lines[1]) == ids_json(ids));
}

TEST_CASE("a streamed response's record has the ids even when written after the request's context moved on",
          "[log][http_logger]") {
    captured c;
    auto stream = [](request&) -> task<response> {
        response r{http::status::ok, 11};
        r.set_stream(std::make_unique<pieces>(std::vector<std::string>{"abc", "de"}));
        co_return r;
    };
    static_chain chain{stream, http_logger{defaults(), c.log}, tracking_from("")};
    request req{http::verb::get, "/s", 11};
    response res = test::run_task(chain(req));
    const std::string expected = ids_json(req.context().ids);
    req.context().ids.clear();   // as the server does for the connection's next request
    CHECK(test::run_task(drain(*res.stream())) == "abcde");
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(field(lines[1], "size") == "5");
    CHECK(ids_of(lines[1]) == expected);
}

TEST_CASE("the tripperware's records have the ids of the request it sends, the failed round trip's too",
          "[log][http_logger]") {
    captured c;
    http_logger hl{defaults(), c.log};
    request req{http::verb::get, "http://up.example/x", 11};
    req.context().ids.assign("R-FROM-TRACKING", "T-FROM-TRACKING");
    auto ok = [](request&) -> task<result<response>> {
        response r{http::status::ok, 11};
        r.body() = "x";
        r.prepare_payload();
        co_return r;
    };
    auto fail = [](request&) -> task<result<response>> { co_return error_code{asio::error::connection_refused}; };
    CHECK(test::run_task(hl(req, ok)).has_value());
    CHECK_FALSE(test::run_task(hl(req, fail)).has_value());
    auto lines = c.all();
    REQUIRE(lines.size() == 4);
    for (const auto& line : lines) {
        CHECK(line.find(R"("msg":"client","ids":{"request":"R-FROM-TRACKING","trace":"T-FROM-TRACKING"},)") !=
              std::string::npos);
    }
}

TEST_CASE("logFormat lines have no ids, as AILERON's templates have no tag for them", "[log][http_logger]") {
    captured c;
    auto cfg = defaults();
    cfg.request.log_format = "REQ %id% %ids% %request%";
    static_chain chain{test::text_handler{"hi"}, tracking_from(""), http_logger{cfg, c.log}};
    request req{http::verb::get, "/", 11};
    test::run_task(chain(req));
    auto lines = c.all();
    REQUIRE(lines.size() == 2);
    CHECK(std::regex_match(lines[0], std::regex{"REQ [A-Za-z0-9_-]{20} <undefined:ids> <undefined:request>\n"}));
    CHECK(lines[0].find(std::string{req.context().ids.request()}) == std::string::npos);
}
