#include <aileron/handlers/static_file.hpp>   // first: proves the header is self-contained

#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace {

using namespace aileron;
using handlers::static_file;
namespace fs = std::filesystem;
namespace sd = handlers::static_detail;

/// A temp tree, removed at the end of the test:
///   <tmp>/outside/secret.txt             (must never be served)
///   <tmp>/root/{hello.txt, page.html, data.json, UPPER.TXT, notes, blob, big.bin, a&b<c>.txt}
///   <tmp>/root/dir/{index.html, inner.txt}, <tmp>/root/empty/
///   <tmp>/root/out -> ../outside/secret.txt, root/outdir -> ../outside, root/inlink -> hello.txt
struct tree {
    fs::path base;
    fs::path root;
    std::string big;

    tree() {
        std::random_device rd;
        base = fs::temp_directory_path() / ("aileron-static-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        root = base / "root";
        fs::create_directories(root / "dir");
        fs::create_directories(root / "empty");
        fs::create_directories(base / "outside");
        write(base / "outside/secret.txt", "TOP SECRET\n");
        write(root / "hello.txt", "hello world\n");
        write(root / "page.html", "<p>hi</p>");
        write(root / "data.json", "{}");
        write(root / "UPPER.TXT", "upper");
        write(root / "notes", "plain text without extension\n");
        write(root / "blob", std::string("\x00\x01\x02\x03", 4));
        write(root / "a&b<c>.txt", "odd");
        write(root / "dir/index.html", "<h1>index</h1>");
        write(root / "dir/inner.txt", "inner");
        big.resize(3 * static_file::piece_size + 123);
        std::mt19937 gen{42};
        for (auto& c : big) c = static_cast<char>(gen());
        write(root / "big.bin", big);
        fs::create_symlink("../outside/secret.txt", root / "out");
        fs::create_symlink("../outside", root / "outdir");
        fs::create_symlink("hello.txt", root / "inlink");
    }
    ~tree() {
        std::error_code ec;
        fs::remove_all(base, ec);
    }
    static void write(const fs::path& p, const std::string& data) {
        std::ofstream f{p, std::ios::binary};
        f << data;
    }
};

static_file make(const tree& t, bool listing = false, std::string strip = {}, std::vector<http_method> methods = {},
                 std::map<std::string, std::string> header = {}) {
    static_file::config cfg;
    cfg.root_dir = t.root.string();
    cfg.enable_listing = listing;
    cfg.strip_prefix = std::move(strip);
    cfg.methods = std::move(methods);
    cfg.header = std::move(header);
    return static_file{cfg};
}

struct reply {
    response res;
    std::string body;
    std::size_t pieces = 0;
    std::size_t largest_piece = 0;
    unsigned status() const { return res.result_int(); }
    std::string header(std::string_view name) const {
        auto it = res.find(name);
        return it == res.end() ? std::string{"<none>"} : std::string{it->value()};
    }
};

task<reply> drain(response res) {
    reply r{std::move(res), {}};
    if (body_source* src = r.res.stream()) {
        for (;;) {
            auto piece = co_await src->next();
            if (!piece) throw std::runtime_error("body broke: " + piece.error().message());
            if (piece->size() == 0) break;
            ++r.pieces;
            r.largest_piece = std::max(r.largest_piece, piece->size());
            r.body.append(static_cast<const char*>(piece->data()), piece->size());
        }
    } else {
        r.body = r.res.body();
    }
    co_return r;
}

reply get(const static_file& h, std::string_view target, std::vector<std::pair<std::string, std::string>> headers = {},
          http::verb method = http::verb::get) {
    request req{method, target};
    for (auto& [k, v] : headers) req.set(k, v);
    response res = test::run_task(h(req));
    return test::run_task(drain(std::move(res)));
}

}  // namespace

TEST_CASE("static_file config defaults are AILERON's", "[handlers][static_file]") {
    static_file::config cfg;
    CHECK(cfg.root_dir == "./");
    CHECK_FALSE(cfg.enable_listing);
    CHECK(cfg.strip_prefix.empty());
}

TEST_CASE("static_file: content type by extension, then by sniffing", "[handlers][static_file]") {
    tree t;
    auto h = make(t);
    auto r = get(h, "/hello.txt");
    CHECK(r.status() == 200);
    CHECK(r.body == "hello world\n");
    CHECK(r.header("Content-Type") == "text/plain; charset=utf-8");
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK(r.header("Accept-Ranges") == "bytes");
    CHECK(r.res.stream()->size() == 12);
    CHECK(get(h, "/page.html").header("Content-Type") == "text/html; charset=utf-8");
    CHECK(get(h, "/data.json").header("Content-Type") == "application/json");
    CHECK(get(h, "/UPPER.TXT").header("Content-Type") == "text/plain; charset=utf-8");
    CHECK(get(h, "/notes").header("Content-Type") == "text/plain; charset=utf-8");
    CHECK(get(h, "/blob").header("Content-Type") == "application/octet-stream");
    CHECK(sd::type_by_extension("a/b.tar.gz") == "application/gzip");
    CHECK(sd::type_by_extension("noext").empty());
    CHECK(sd::type_by_extension("/A/Site.WebManifest") == "application/manifest+json");
    CHECK(sd::type_by_extension("x.averyveryverylongextension").empty());
}

TEST_CASE("static_file: configured headers on every response; a configured Content-Type skips detection",
          "[handlers][static_file]") {
    tree t;
    auto h = make(t, false, {}, {}, {{"Cache-Control", "no-cache"}, {"Content-Type", "application/x-custom"}});
    auto ok = get(h, "/hello.txt");
    CHECK(ok.header("Cache-Control") == "no-cache");
    CHECK(ok.header("Content-Type") == "application/x-custom");
    auto missing = get(h, "/nope.txt");
    CHECK(missing.status() == 404);
    CHECK(missing.header("Cache-Control") == "no-cache");
    CHECK(missing.header("Content-Type") != "application/x-custom");   // the error body's own type
    CHECK(missing.header("X-Content-Type-Options") == "nosniff");
}

TEST_CASE("static_file: validators and HEAD", "[handlers][static_file]") {
    tree t;
    auto h = make(t);
    struct stat st {};
    REQUIRE(::stat((t.root / "hello.txt").c_str(), &st) == 0);
    auto r = get(h, "/hello.txt");
    CHECK(r.header("Last-Modified") == sd::format_http_date(st.st_mtim.tv_sec));
    std::string etag = r.header("ETag");
    CHECK(etag.starts_with('"'));
    CHECK(etag.ends_with("-c\""));   // size 12 in hex
    auto head = get(h, "/hello.txt", {}, http::verb::head);
    CHECK(head.status() == 200);
    CHECK(head.res.stream()->size() == 12);   // the server sends the length, not the body
    CHECK(head.header("ETag") == etag);

    CHECK(sd::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
    CHECK(sd::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
    CHECK(sd::parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777);
    CHECK_FALSE(sd::parse_http_date("yesterday"));
    CHECK(sd::format_http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(sd::format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(sd::format_http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK(sd::format_http_date(1798761599) == "Thu, 31 Dec 2026 23:59:59 GMT");
    for (std::int64_t t : {784111777LL, 1000000000LL, 1798761599LL, 4102444800LL})
        CHECK(sd::parse_http_date(sd::format_http_date(t)) == t);
}

TEST_CASE("static_file: conditional requests give 304 and 412", "[handlers][static_file]") {
    tree t;
    auto h = make(t, false, {}, {http_method::get, http_method::head, http_method::put});
    std::string etag = get(h, "/hello.txt").header("ETag");
    std::string last = get(h, "/hello.txt").header("Last-Modified");

    auto nm = get(h, "/hello.txt", {{"If-None-Match", etag}});
    CHECK(nm.status() == 304);
    CHECK(nm.body.empty());
    CHECK(nm.header("ETag") == etag);
    CHECK(nm.header("Content-Type") == "<none>");
    CHECK(nm.header("Last-Modified") == "<none>");
    CHECK(get(h, "/hello.txt", {{"If-None-Match", "\"x\", W/" + etag}}).status() == 304);   // weak comparison
    CHECK(get(h, "/hello.txt", {{"If-None-Match", "*"}}).status() == 304);
    CHECK(get(h, "/hello.txt", {{"If-None-Match", "\"other\""}}).status() == 200);
    CHECK(get(h, "/hello.txt", {{"If-None-Match", etag}}, http::verb::put).status() == 412);

    CHECK(get(h, "/hello.txt", {{"If-Modified-Since", last}}).status() == 304);
    CHECK(get(h, "/hello.txt", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status() == 200);
    // If-None-Match wins over If-Modified-Since.
    CHECK(get(h, "/hello.txt", {{"If-None-Match", "\"other\""}, {"If-Modified-Since", last}}).status() == 200);

    CHECK(get(h, "/hello.txt", {{"If-Match", etag}}).status() == 200);
    CHECK(get(h, "/hello.txt", {{"If-Match", "\"other\""}}).status() == 412);
    CHECK(get(h, "/hello.txt", {{"If-Match", "W/" + etag}}).status() == 412);   // strong comparison
    CHECK(get(h, "/hello.txt", {{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status() == 412);
    CHECK(get(h, "/hello.txt", {{"If-Unmodified-Since", last}}).status() == 200);
}

TEST_CASE("static_file: parse_range follows Go's parseRange", "[handlers][static_file]") {
    using st = sd::range_result::status;
    CHECK(sd::parse_range("", 10).ranges.empty());
    CHECK(sd::parse_range("bytes=0-4", 10).ranges == std::vector<sd::byte_range>{{0, 5}});
    CHECK(sd::parse_range("bytes=-3", 10).ranges == std::vector<sd::byte_range>{{7, 3}});
    CHECK(sd::parse_range("bytes=-30", 10).ranges == std::vector<sd::byte_range>{{0, 10}});
    CHECK(sd::parse_range("bytes=8-", 10).ranges == std::vector<sd::byte_range>{{8, 2}});
    CHECK(sd::parse_range("bytes=8-100", 10).ranges == std::vector<sd::byte_range>{{8, 2}});
    CHECK(sd::parse_range("bytes= 0-0 , 2-3", 10).ranges == std::vector<sd::byte_range>{{0, 1}, {2, 2}});
    CHECK(sd::parse_range("bytes=10-", 10).state == st::unsatisfiable);
    CHECK(sd::parse_range("bytes=-0", 10).state == st::unsatisfiable);
    CHECK(sd::parse_range("bytes=10-,0-1", 10).ranges == std::vector<sd::byte_range>{{0, 2}});
    CHECK(sd::parse_range("items=0-1", 10).state == st::invalid);
    CHECK(sd::parse_range("bytes=5-1", 10).state == st::invalid);
    CHECK(sd::parse_range("bytes=a-b", 10).state == st::invalid);
    CHECK(sd::parse_range("bytes=1", 10).state == st::invalid);
}

TEST_CASE("static_file: single, multiple and unsatisfiable ranges", "[handlers][static_file]") {
    tree t;
    auto h = make(t);
    auto one = get(h, "/hello.txt", {{"Range", "bytes=0-4"}});
    CHECK(one.status() == 206);
    CHECK(one.body == "hello");
    CHECK(one.header("Content-Range") == "bytes 0-4/12");
    CHECK(one.res.stream()->size() == 5);
    CHECK(get(h, "/hello.txt", {{"Range", "bytes=-6"}}).body == "world\n");

    auto multi = get(h, "/hello.txt", {{"Range", "bytes=0-1,6-7"}});
    CHECK(multi.status() == 206);
    std::string ctype = multi.header("Content-Type");
    REQUIRE(ctype.starts_with("multipart/byteranges; boundary="));
    std::string b = ctype.substr(ctype.find('=') + 1);
    CHECK(b.size() == 60);
    CHECK(multi.body == "--" + b + "\r\nContent-Range: bytes 0-1/12\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhe" +
                            "\r\n--" + b + "\r\nContent-Range: bytes 6-7/12\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nwo" +
                            "\r\n--" + b + "--\r\n");
    CHECK(multi.res.stream()->size() == multi.body.size());

    auto bad = get(h, "/hello.txt", {{"Range", "bytes=100-"}});
    CHECK(bad.status() == 416);
    CHECK(bad.header("Content-Range") == "bytes */12");
    CHECK(get(h, "/hello.txt", {{"Range", "lines=1-2"}}).status() == 416);
    // Overlapping ranges adding up to more than the file: the whole file instead.
    auto overlap = get(h, "/hello.txt", {{"Range", "bytes=0-10,0-10"}});
    CHECK(overlap.status() == 200);
    CHECK(overlap.body == "hello world\n");

    // If-Range: the range only while the validator still matches.
    std::string etag = one.header("ETag");
    CHECK(get(h, "/hello.txt", {{"Range", "bytes=0-4"}, {"If-Range", etag}}).status() == 206);
    CHECK(get(h, "/hello.txt", {{"Range", "bytes=0-4"}, {"If-Range", "\"stale\""}}).status() == 200);
    CHECK(get(h, "/hello.txt", {{"Range", "bytes=0-4"}, {"If-Range", one.header("Last-Modified")}}).status() == 206);
    CHECK(get(h, "/hello.txt", {{"Range", "bytes=0-4"}, {"If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status() == 200);
}

TEST_CASE("static_file: a large file streams in bounded pieces", "[handlers][static_file]") {
    tree t;
    auto h = make(t);
    auto r = get(h, "/big.bin");
    CHECK(r.status() == 200);
    CHECK(r.body == t.big);
    CHECK(r.pieces == 4);
    CHECK(r.largest_piece == static_file::piece_size);
    auto mid = get(h, "/big.bin", {{"Range", "bytes=65530-65545"}});
    CHECK(mid.body == t.big.substr(65530, 16));
}

TEST_CASE("static_file: no way out of the root", "[handlers][static_file]") {
    tree t;
    auto h = make(t, true);
    for (std::string target : {"/../outside/secret.txt", "/%2e%2e/outside/secret.txt", "/%2E%2E%2Foutside%2Fsecret.txt",
                               "/dir/..%2f..%2foutside%2fsecret.txt", "/dir%2f..%2f..%2foutside/secret.txt",
                               "/..", "/dir/../../outside/secret.txt"}) {
        INFO(target);
        auto r = get(h, target);
        CHECK(r.status() == 400);
        CHECK(r.body.find("TOP SECRET") == std::string::npos);
    }
    CHECK(get(h, "/hello.txt%00.png").status() == 400);
    CHECK(get(h, "/%zz").status() == 400);
    // Symbolic links: followed inside the root, 404 when they lead out of it.
    CHECK(get(h, "/inlink").body == "hello world\n");
    auto out = get(h, "/out");
    CHECK(out.status() == 404);
    CHECK(out.body.find("TOP SECRET") == std::string::npos);
    CHECK(get(h, "/outdir/secret.txt").status() == 404);
    CHECK(get(h, "/outdir/").status() == 404);
    // "..." and names that merely contain dots are ordinary names.
    CHECK(get(h, "/...").status() == 404);
}

TEST_CASE("static_file: special files are not opened", "[handlers][static_file]") {
    tree t;
    REQUIRE(::mkfifo((t.root / "fifo").c_str(), 0600) == 0);
    auto h = make(t);
    CHECK(get(h, "/fifo").status() == 404);   // and does not hang on open
}

TEST_CASE("static_file: without listing every directory is a 404", "[handlers][static_file]") {
    tree t;
    auto h = make(t);
    CHECK(get(h, "/").status() == 404);
    CHECK(get(h, "/dir").status() == 404);
    CHECK(get(h, "/dir/").status() == 404);   // even with an index.html (AILERON)
    auto idx = get(h, "/dir/index.html?x=1");
    CHECK(idx.status() == 301);
    CHECK(idx.header("Location") == "./?x=1");
    auto slash = get(h, "/hello.txt/");
    CHECK(slash.status() == 301);
    CHECK(slash.header("Location") == "../hello.txt");
}

TEST_CASE("static_file: with listing, redirects, index.html and an escaped listing", "[handlers][static_file]") {
    tree t;
    auto h = make(t, true);
    auto dir = get(h, "/dir?a=1");
    CHECK(dir.status() == 301);
    CHECK(dir.header("Location") == "dir/?a=1");
    auto index = get(h, "/dir/");
    CHECK(index.status() == 200);
    CHECK(index.body == "<h1>index</h1>");
    CHECK(index.header("Content-Type") == "text/html; charset=utf-8");

    auto list = get(h, "/");
    CHECK(list.status() == 200);
    CHECK(list.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(list.body.starts_with("<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n"));
    CHECK(list.body.ends_with("</pre>\n"));
    CHECK(list.body.find("<a href=\"hello.txt\">hello.txt</a>\n") != std::string::npos);
    CHECK(list.body.find("<a href=\"dir/\">dir/</a>\n") != std::string::npos);
    CHECK(list.body.find("<a href=\"a&amp;b%3Cc%3E.txt\">a&amp;b&lt;c&gt;.txt</a>\n") != std::string::npos);
    CHECK(list.body.find("inlink") != std::string::npos);
    CHECK(list.body.find("\"out\"") == std::string::npos);     // leads out of the root
    CHECK(list.body.find("outdir") == std::string::npos);
    CHECK(list.body.find("<a href=\"UPPER.TXT\">") < list.body.find("<a href=\"a&amp;b"));   // sorted bytewise
    auto empty = get(h, "/empty/");
    CHECK(empty.body.ends_with("<pre>\n</pre>\n"));
    CHECK(get(h, "/empty/", {{"If-Modified-Since", empty.header("Last-Modified")}}).status() == 304);
}

TEST_CASE("static_file: methods and stripPrefix", "[handlers][static_file]") {
    tree t;
    auto h = make(t);
    auto post = get(h, "/hello.txt", {}, http::verb::post);
    CHECK(post.status() == 405);
    CHECK(post.header("Allow") == "GET, HEAD");
    auto allowed = make(t, false, {}, {http_method::post});
    CHECK(get(allowed, "/hello.txt", {}, http::verb::post).body == "hello world\n");

    auto stripped = make(t, false, "/static");
    CHECK(get(stripped, "/static/hello.txt").body == "hello world\n");
    CHECK(get(stripped, "/static/dir/inner.txt").body == "inner");
    CHECK(get(stripped, "/other/hello.txt").status() == 404);
    CHECK(get(stripped, "/hello.txt").status() == 404);
}

TEST_CASE("static_file: a root that does not exist serves nothing", "[handlers][static_file]") {
    tree t;
    static_file::config cfg;
    cfg.root_dir = (t.base / "missing").string();
    static_file h{cfg};
    CHECK(get(h, "/hello.txt").status() == 404);
    CHECK(get(h, "/../root/hello.txt").status() == 400);
}
