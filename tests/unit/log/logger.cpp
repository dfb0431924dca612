#include <aileron/log/logger.hpp>   // first: the header is self-contained

#include <aileron/log/log_writer.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <regex>
#include <thread>
#include <vector>

using namespace aileron;

namespace {

/// Collects what the writer thread writes.
struct capture {
    std::mutex m;
    std::vector<std::string> records;
    std::vector<std::string> all() {
        std::lock_guard lock{m};
        return records;
    }
};

class capture_sink final : public log_sink {
public:
    explicit capture_sink(capture& c) : c_(c) {}
    void write(std::string_view r) override {
        std::lock_guard lock{c_.m};
        c_.records.emplace_back(r);
    }
    void flush() override {}

private:
    capture& c_;
};

logger::options plain() {
    logger::options o;
    o.zone = time_zone{};   // UTC
    return o;
}

}  // namespace

TEST_CASE("a JSON record has time, level, msg, datetime, location, then the attributes", "[log][logger]") {
    capture c;
    logger log{plain(), std::make_unique<capture_sink>(c)};
    log.info("hello", {{"server", "s1"}, {"status", "200", true}});
    log.flush();
    auto r = c.all();
    REQUIRE(r.size() == 1);
    const std::string& line = r[0];
    CHECK(line.starts_with(R"({"time":")"));
    CHECK(line.find(R"(","level":"INFO","msg":"hello","datetime":{"date":")") != std::string::npos);
    CHECK(line.find(R"(,"zone":"UTC"},"location":{"file":")") != std::string::npos);
    CHECK(line.find(R"(logger.cpp","func":")") != std::string::npos);
    // The function's qualified name, without return type or parameters.
    const auto func_at = line.find(R"("func":")") + 8;
    const std::string func = line.substr(func_at, line.find('"', func_at) - func_at);
    CHECK(func.find_first_of("( ") == std::string::npos);
    CHECK_FALSE(func.empty());
    CHECK(line.ends_with(R"(,"server":"s1","status":200})"
                         "\n"));
}

TEST_CASE("nested objects, numbers and escaping as Go's slog writes them", "[log][logger]") {
    capture c;
    auto o = plain();
    o.no_datetime = o.no_location = true;
    logger log{o, std::make_unique<capture_sink>(c)};
    log.log(log_level::warn, "m", [](log_record& r) {
        r.open("request");
        r.add("path", "/a\"b<c>\n");
        r.add("size", std::int64_t{-1});
        r.open("header");
        r.add("Bad", "\xff\xfe ok \xe2\x80\xa8");
        r.close();
        r.close();
    });
    log.flush();
    auto r = c.all();
    REQUIRE(r.size() == 1);
    CHECK(r[0].substr(r[0].find(R"("level")")) ==
          R"("level":"WARN","msg":"m","request":{"path":"/a\"b<c>\n","size":-1,"header":{"Bad":"\ufffd\ufffd ok \u2028"}}})"
          "\n");
}

TEST_CASE("a byte that needs escaping is escaped wherever it stands in a string or a key", "[log][logger]") {
    // The scan for plain bytes reads a word at a time: each special byte at each offset of
    // strings shorter and longer than a word, against the escaped form; then a plain key and
    // one that needs escaping, which take the two paths of a record's keys.
    const std::pair<char, std::string_view> specials[] = {
        {'"', R"(\")"},      {'\\', R"(\\)"},     {'\n', R"(\n)"},  {'\x01', R"(\u0001)"},
        {'\x1f', R"(\u001f)"}, {'\xff', R"(\ufffd)"}, {'\x7f', "\x7f"}, {' ', " "}};
    for (const auto& [byte, escaped] : specials) {
        for (std::size_t len = 1; len <= 19; ++len) {
            for (std::size_t at = 0; at < len; ++at) {
                std::string s(len, 'a');
                s[at] = byte;
                const std::string want = '"' + std::string(at, 'a') + std::string{escaped} + std::string(len - at - 1, 'a') + '"';
                std::string value;
                append_log_json_string(value, s);
                INFO("byte " << int(static_cast<unsigned char>(byte)) << " at " << at << " of " << len);
                CHECK(value == want);
            }
        }
    }
    capture c;
    auto o = plain();
    o.no_datetime = o.no_location = true;
    logger log{o, std::make_unique<capture_sink>(c)};
    log.log(log_level::info, "m", [](log_record& r) {
        r.add("plain-key-of-17b", "v");
        r.add("key with \"quote\"", "v");
    });
    log.flush();
    auto r = c.all();
    REQUIRE(r.size() == 1);
    CHECK(r[0].ends_with(R"("msg":"m","plain-key-of-17b":"v","key with \"quote\"":"v"})"
                         "\n"));
}

TEST_CASE("field replacers rewrite strings, remove fields and whole objects by path", "[log][logger]") {
    capture c;
    auto o = plain();
    o.no_location = true;
    config::replacer_spec mask;
    mask.fixed = config::fixed_replacer_spec{"***"};
    o.field_replacers.push_back({{"request", "header", "Authorization"}, replacer{mask, replacer::mode::text}});
    o.field_replacers.push_back({{"request", "size"}, std::nullopt});
    o.field_replacers.push_back({{"datetime"}, std::nullopt});
    o.field_replacers.push_back({{"msg"}, replacer{mask, replacer::mode::text}});
    logger log{o, std::make_unique<capture_sink>(c)};
    log.log(log_level::info, "secret message", [](log_record& r) {
        r.open("request");
        r.add("size", std::int64_t{12});
        r.open("header");
        r.add("Authorization", "Bearer x");
        r.add("Accept", "*/*");
        r.close();
        r.close();
        r.add("Authorization", "top-level is another path");
    });
    log.flush();
    auto r = c.all();
    REQUIRE(r.size() == 1);
    CHECK(r[0].find("datetime") == std::string::npos);
    CHECK(r[0].substr(r[0].find(R"("msg")")) ==
          R"("msg":"***","request":{"header":{"Authorization":"***","Accept":"*/*"}},"Authorization":"top-level is another path"})"
          "\n");
}

TEST_CASE("text records flatten nested keys with dots", "[log][logger]") {
    capture c;
    auto o = plain();
    o.unstructured = true;
    logger log{o, std::make_unique<capture_sink>(c)};
    log.log(log_level::error, "failed", [](log_record& r) {
        r.open("request");
        r.add("id", "x1");
        r.add("size", std::int64_t{3});
        r.close();
    });
    log.flush();
    auto r = c.all();
    REQUIRE(r.size() == 1);
    CHECK(r[0].substr(20) == "ERROR failed request.id=x1 request.size=3\n");
}

TEST_CASE("a record of a request has its tracking ids after location and before the attributes", "[log][logger]") {
    capture c;
    logger log{plain(), std::make_unique<capture_sink>(c)};
    request_ids ids;
    log.error(ids, "no tracking yet", {{"k", "v"}});   // empty: no "ids" key
    ids.assign("REQ0123456789", "trace-\"1\"");
    log.error(ids, "tracked", {{"k", "v"}});
    log.debug(ids, "below the level");
    log.flush();
    auto r = c.all();
    REQUIRE(r.size() == 2);
    CHECK(r[0].find(R"("ids")") == std::string::npos);
    CHECK(r[0].ends_with(R"(},"k":"v"})"
                         "\n"));
    CHECK(std::regex_search(r[1], std::regex{R"re("msg":"tracked","datetime":\{[^}]*\},"location":\{[^}]*\},)re"
                                             R"re("ids":\{"request":"REQ0123456789","trace":"trace-\\"1\\""\},)re"
                                             R"re("k":"v"\}\n$)re"}));

    // Text records: flattened like every nested attribute.
    capture t;
    auto o = plain();
    o.unstructured = true;
    o.no_location = true;
    logger text{o, std::make_unique<capture_sink>(t)};
    text.warn(ids, "tracked");
    text.flush();
    REQUIRE(t.all().size() == 1);
    CHECK(t.all()[0].ends_with("WARN tracked ids.request=REQ0123456789 ids.trace=trace-\"1\"\n"));
}

TEST_CASE("custom time layouts and zones shape time and datetime", "[log][logger]") {
    capture c;
    auto o = plain();
    o.output_time_format = "2006/01/02T15";
    o.date_format = "Jan 2";
    o.time_format = "15h04";
    auto tokyo = time_zone::load("Asia/Tokyo");
    REQUIRE(tokyo.has_value());
    o.zone = *tokyo;
    o.no_location = true;
    logger log{o, std::make_unique<capture_sink>(c)};
    log.info("t");
    log.flush();
    auto r = c.all();
    REQUIRE(r.size() == 1);
    CHECK(std::regex_search(r[0], std::regex{R"(^\{"time":"\d{4}/\d\d/\d\dT\d\d","level":"INFO","msg":"t","datetime":\{"date":"[A-Z][a-z]{2} \d{1,2}","time":"\d\dh\d\d","zone":"Asia/Tokyo"\}\}
$)"}));
}

TEST_CASE("records below the level are not formatted at all", "[log][logger]") {
    capture c;
    auto o = plain();
    o.level = log_level::warn;
    logger log{o, std::make_unique<capture_sink>(c)};
    bool called = false;
    log.log(log_level::info, "no", [&](log_record&) { called = true; });
    log.warn("yes");
    log.flush();
    CHECK_FALSE(called);
    CHECK(c.all().size() == 1);
}

TEST_CASE("records of many threads arrive whole, each thread's in order", "[log][log_writer]") {
    capture c;
    auto o = plain();
    o.no_datetime = o.no_location = true;
    logger log{o, std::make_unique<capture_sink>(c)};
    constexpr int threads = 4, each = 2000;
    {
        std::vector<std::jthread> ts;
        for (int t = 0; t < threads; ++t)
            ts.emplace_back([&, t] {
                for (int i = 0; i < each; ++i)
                    log.info("r", {{"t", std::to_string(t)}, {"i", std::to_string(i), true}});
            });
    }
    log.flush();
    auto r = c.all();
    CHECK(r.size() + log.dropped() == threads * each);
    std::vector<int> next(threads, 0);
    for (const auto& line : r) {
        REQUIRE(line.ends_with("}\n"));
        const int t = line[line.find(R"("t":")") + 5] - '0';
        const int i = std::stoi(line.substr(line.find(R"("i":)") + 4));
        CHECK(i >= next[t]);   // in order (dropped records leave gaps)
        next[t] = i + 1;
    }
}

TEST_CASE("a full queue drops records instead of waiting, and says how many", "[log][log_writer]") {
    // A sink that blocks until released: the writer cannot empty the ring meanwhile.
    struct gate_sink final : log_sink {
        std::atomic<bool>& open;
        std::vector<std::string>& out;
        gate_sink(std::atomic<bool>& o, std::vector<std::string>& v) : open(o), out(v) {}
        void write(std::string_view r) override {
            while (!open.load()) std::this_thread::yield();
            out.emplace_back(r);
        }
        void flush() override {}
    };
    std::atomic<bool> open{false};
    std::vector<std::string> out;
    {
        log_writer w{std::make_unique<gate_sink>(open, out), log_writer::options{4096}};
        const std::string rec(100, 'x');
        int accepted = 0, refused = 0;
        for (int i = 0; i < 200; ++i) (w.push(rec + "\n") ? accepted : refused)++;
        CHECK(refused > 0);
        CHECK(w.dropped() == static_cast<std::uint64_t>(refused));
        open = true;
    }
    // The writer is gone, its thread joined: everything it wrote is in `out`, the notice among
    // it (where it lands among the records depends on when the writer noticed the drops).
    CHECK(std::any_of(out.begin(), out.end(),
                      [](const std::string& r) { return r.find("log records dropped") != std::string::npos; }));
}

TEST_CASE("a thread keeps no ring of a writer that is gone", "[log][log_writer]") {
    // Found by fuzz_config: every logger a config built and dropped left its 1 MiB ring in the
    // thread that had logged to it, until the process ran out of memory.
    struct null_sink final : log_sink {
        void write(std::string_view) override {}
        void flush() override {}
    };
    auto writer = [] { return std::make_unique<log_writer>(std::make_unique<null_sink>(), log_writer::options{4096}); };
    std::size_t base;
    {
        auto first = writer();   // taking a ring lets go of what earlier tests left behind
        REQUIRE(first->push("x\n"));
        base = log_writer::rings_of_this_thread() - 1;
    }
    auto kept = writer();
    REQUIRE(kept->push("kept\n"));
    CHECK(log_writer::rings_of_this_thread() == base + 1);
    for (int i = 0; i < 50; ++i) {
        auto w = writer();
        REQUIRE(w->push("x\n"));
        CHECK(log_writer::rings_of_this_thread() == base + 2);   // kept's and w's, none of the ones before
    }
    auto last = writer();
    REQUIRE(last->push("x\n"));
    CHECK(log_writer::rings_of_this_thread() == base + 2);
    CHECK(kept->push("still kept\n"));
}

TEST_CASE("a record larger than the ring still goes through", "[log][log_writer]") {
    std::vector<std::string> out;
    struct vec_sink final : log_sink {
        std::vector<std::string>& v;
        explicit vec_sink(std::vector<std::string>& v) : v(v) {}
        void write(std::string_view r) override { v.emplace_back(r); }
        void flush() override {}
    };
    {
        log_writer w{std::make_unique<vec_sink>(out), log_writer::options{4096}};
        CHECK(w.push(std::string(100000, 'y')));
        CHECK(w.push("after\n"));
        w.flush();
    }
    REQUIRE(out.size() == 2);
    CHECK(out[0].size() == 100000);
    CHECK(out[1] == "after\n");
}
