#include <aileron/log/log_file.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

using namespace aileron;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the temp dir, removed at the end of the test.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "aileron-logfile-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::set<std::string> names(const fs::path& dir) {
    std::set<std::string> out;
    for (auto& e : fs::directory_iterator{dir}) out.insert(e.path().filename().string());
    return out;
}

std::string read(const fs::path& p) {
    std::ifstream in{p, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
}

std::string gunzip(const fs::path& p) {
    gzFile f = gzopen(p.c_str(), "rb");
    std::string out;
    char buf[4096];
    for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    gzclose(f);
    return out;
}

/// Waits for the archive thread to have moved, compressed or removed what it should.
template <class F>
bool eventually(F f) {
    for (int i = 0; i < 200; ++i) {
        if (f()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return f();
}

}  // namespace

TEST_CASE("records go to logDir/logFileName, appended to what is there", "[log][log_file]") {
    temp_dir d;
    fs::create_directories(d.path / "logs");
    std::ofstream{d.path / "logs" / "app.log"} << "old\n";
    log_file_options o;
    o.dir = (d.path / "logs").string();
    o.file_name = "app.log";
    std::string error;
    auto sink = log_file_sink::open(o, error);
    REQUIRE(sink);
    sink->write("one\n");
    sink->write("two\n");
    sink->flush();
    CHECK(read(d.path / "logs" / "app.log") == "old\none\ntwo\n");
}

TEST_CASE("a record that would pass rotateSize starts a new file; archives are numbered", "[log][log_file]") {
    temp_dir d;
    log_file_options o;
    o.dir = d.path.string();
    o.rotate_bytes = 10;
    std::string error;
    auto sink = log_file_sink::open(o, error);
    REQUIRE(sink);
    sink->write("123456\n");   // 7 bytes
    sink->write("abcdef\n");   // would make 14: rotate first
    sink->write("xyz\n");      // 11: rotate again
    sink->flush();
    CHECK(names(d.path) == std::set<std::string>{"application.log", "application.log.1", "application.log.2"});
    CHECK(read(d.path / "application.log.1") == "123456\n");
    CHECK(read(d.path / "application.log.2") == "abcdef\n");
    CHECK(read(d.path / "application.log") == "xyz\n");
}

TEST_CASE("archives move to backupDir compressed, and the oldest beyond maxBackup go", "[log][log_file]") {
    temp_dir d;
    log_file_options o;
    o.dir = (d.path / "live").string();
    o.backup_dir = (d.path / "old").string();
    o.pattern = "app.%i.log";
    o.gzip_level = 9;
    o.max_backups = 2;
    std::string error;
    auto sink = log_file_sink::open(o, error);
    REQUIRE(sink);
    for (int i = 1; i <= 4; ++i) {
        sink->write("record " + std::to_string(i) + "\n");
        sink->rotate();
    }
    sink->write("current\n");
    sink->flush();
    CHECK(eventually([&] { return names(d.path / "old") == std::set<std::string>{"app.3.log.gz", "app.4.log.gz"}; }));
    CHECK(gunzip(d.path / "old" / "app.4.log.gz") == "record 4\n");
    CHECK(names(d.path / "live") == std::set<std::string>{"application.log"});
    CHECK(read(d.path / "live" / "application.log") == "current\n");
}

TEST_CASE("maxTotalSize removes the oldest archives past the total", "[log][log_file]") {
    temp_dir d;
    log_file_options o;
    o.dir = d.path.string();
    o.max_total_bytes = 25;   // each archive is 10 bytes: two fit
    std::string error;
    auto sink = log_file_sink::open(o, error);
    REQUIRE(sink);
    for (int i = 1; i <= 4; ++i) {
        sink->write("123456789\n");
        sink->rotate();
    }
    CHECK(eventually([&] {
        return names(d.path) == std::set<std::string>{"application.log", "application.log.3", "application.log.4"};
    }));
}

TEST_CASE("numbering continues after the archives a previous run left", "[log][log_file]") {
    temp_dir d;
    std::ofstream{d.path / "application.log.7"} << "x\n";
    log_file_options o;
    o.dir = d.path.string();
    std::string error;
    auto sink = log_file_sink::open(o, error);
    REQUIRE(sink);
    sink->write("y\n");
    sink->rotate();
    CHECK(fs::exists(d.path / "application.log.8"));
}

TEST_CASE("date patterns name archives by the rotation time", "[log][log_file]") {
    temp_dir d;
    log_file_options o;
    o.dir = d.path.string();
    o.pattern = "app-%Y%M%D.log";
    std::string error;
    auto sink = log_file_sink::open(o, error);
    REQUIRE(sink);
    sink->write("y\n");
    sink->rotate();
    const civil_time c = time_zone::local().at(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
    char expect[32];
    std::snprintf(expect, sizeof expect, "app-%04d%02d%02d.log", static_cast<int>(c.year), c.month, c.day);
    CHECK(fs::exists(d.path / expect));
}

TEST_CASE("bad patterns, unwritable directories and bad crons are reported", "[log][log_file]") {
    CHECK_FALSE(archive_pattern_problem("dir/app.log").empty());
    CHECK_FALSE(archive_pattern_problem("app.%q.log").empty());
    CHECK(archive_pattern_problem("app.%H.%p.%i.log").empty());
    log_file_options o;
    o.dir = "/proc/aileron-cannot-create-this";
    std::string error;
    CHECK_FALSE(log_file_sink::open(o, error));
    CHECK(error.find("cannot create directory") != std::string::npos);
    temp_dir d;
    o.dir = d.path.string();
    o.cron = "61 * * * *";
    CHECK_FALSE(log_file_sink::open(o, error));
    CHECK(error.find("minute") != std::string::npos);
}

TEST_CASE("cron schedules find the next matching second in their zone", "[log][cron]") {
    cron_schedule c;
    std::string error;
    // 2025-05-23 16:32:46 UTC, a Friday.
    const auto t = system_clock::time_point{seconds{1748017966}};
    auto next = [&](std::string_view expr) {
        REQUIRE(cron_schedule::parse(expr, c, error));
        return duration_cast<seconds>(c.next_after(t).time_since_epoch()).count();
    };
    CHECK(next("TZ=UTC * * * * *") == 1748017980);          // 16:33:00
    CHECK(next("TZ=UTC 50 * * * * *") == 1748017970);       // 16:32:50 (six fields: seconds first)
    CHECK(next("TZ=UTC 0 0 * * *") == 1748044800);          // midnight
    CHECK(next("TZ=UTC @hourly") == 1748019600);            // 17:00
    CHECK(next("CRON_TZ=UTC 0 12 * * MON") == 1748260800);  // Monday 2025-05-26 12:00
    CHECK(next("TZ=Asia/Tokyo 0 0 * * *") == 1748098800);   // 2025-05-25 00:00 JST
    CHECK(next("TZ=UTC @every 90s") == 1748017980);         // */30 */1: 16:33:00
    CHECK_FALSE(cron_schedule::parse("0 0 30 2 *", c, error));   // never
    CHECK_FALSE(cron_schedule::parse("* * * *", c, error));
    CHECK_FALSE(cron_schedule::parse("TZ=Nowhere/Land * * * * *", c, error));
}
