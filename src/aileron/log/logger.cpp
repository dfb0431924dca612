#include <aileron/log/logger.hpp>

#include <aileron/detail/quote.hpp>
#include <aileron/detail/unaligned.hpp>

#include <array>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>
#include <unistd.h>

namespace aileron {

void append_json_string(std::string& out, std::string_view s) {
    detail::append_quoted(out, s, detail::go_json_quote);
}

namespace {

/// Bytes that go into a JSON string as they are: printable ASCII but `"` and `\`.
constexpr auto json_plain = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return t;
}();

/// Whether one of the eight bytes of `x` is not plain: below 0x20, at or above 0x80, `"` or
/// `\`, each of which the usual bit tricks tell for all eight bytes at once.
constexpr bool has_special(std::uint64_t x) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101, high = 0x8080808080808080;
    const std::uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    return ((((x - ones * 0x20) & ~x)              // a byte < 0x20
             | ((quote - ones) & ~quote)           // a '"'
             | ((backslash - ones) & ~backslash)   // a '\'
             | x)                                  // a byte >= 0x80
            & high) != 0;
}

/// How many bytes at the start of `s` are plain (`json_plain`). Log records are mostly plain
/// ASCII in short strings (keys, methods, ids), so the common answer "all of them" is found a
/// word at a time, the last word overlapping the one before it, and a string of 4 to 7 bytes as
/// two overlapping halves of one word; only a word with a special byte goes byte by byte.
std::size_t plain_prefix(std::string_view s) noexcept {
    const char* p = s.data();
    const std::size_t n = s.size();
    std::size_t i = 0;
    if (n >= 8) {
        for (; i + 8 <= n; i += 8)
            if (has_special(detail::load64(p + i))) break;
        if (i + 8 > n && (i == n || !has_special(detail::load64(p + n - 8)))) return n;
    } else if (n >= 4) {
        if (!has_special(std::uint64_t{detail::load32(p)} | std::uint64_t{detail::load32(p + n - 4)} << 32)) return n;
    }
    while (i < n && json_plain[static_cast<unsigned char>(p[i])]) ++i;
    return i;
}

}  // namespace

void append_log_json_string(std::string& out, std::string_view s) {
    // The common case, nothing to escape: one resize and one copy.
    const std::size_t plain = plain_prefix(s);
    const std::size_t at = out.size();
    if (plain == s.size()) {
        out.resize(at + s.size() + 2);
        char* p = out.data() + at;
        *p = '"';
        if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());   // an empty view may have no data
        p[s.size() + 1] = '"';
        return;
    }
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    out.append(s.data(), plain);
    std::size_t run = plain;   // start of the bytes not yet copied
    auto flush_run = [&](std::size_t i) { out.append(s.data() + run, i - run); };
    for (std::size_t i = plain; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (json_plain[c]) {
            ++i;
            continue;
        }
        if (c < 0x80) {
            flush_run(i);
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
            }
            run = ++i;
            continue;
        }
        // Multi-byte: copy valid sequences, replace invalid bytes with U+FFFD.
        std::size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool valid = n != 0 && i + n <= s.size();
        for (std::size_t k = 1; valid && k < n; ++k)
            valid = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (valid) {
            // Overlong forms and surrogates are invalid too (as Go's utf8.DecodeRuneInString).
            std::uint32_t cp = n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
            for (std::size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
            valid = !((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                      (cp >= 0xd800 && cp <= 0xdfff));
            if (valid && (cp == 0x2028 || cp == 0x2029)) {
                flush_run(i);
                out += cp == 0x2028 ? "\\u2028" : "\\u2029";
                i += n;
                run = i;
                continue;
            }
        }
        if (!valid) {
            flush_run(i);
            out += "\\ufffd";
            run = ++i;
            continue;
        }
        i += n;
    }
    flush_run(s.size());
    out += '"';
}

namespace {

std::string_view level_name(log_level l) noexcept {
    switch (l) {   // AILERON prints Trace as DEBUG and Fatal as ERROR
    case log_level::trace:
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO";
    case log_level::warn: return "WARN";
    default: return "ERROR";
    }
}

bool env_is_false(const char* name) {
    const char* v = std::getenv(name);
    if (!v) return false;
    std::string s{v};
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s == "false" || s == "0";
}

std::mutex default_mutex;
std::shared_ptr<const logger> default_logger;   // guarded by default_mutex (set rarely)
std::atomic<const logger*> default_raw{nullptr};

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

/// The source file of a call site as the records name it: the path below `src/` or `include/`.
std::string_view source_file(const std::source_location& where) noexcept {
    std::string_view file = where.file_name();
    if (auto p = file.rfind("/src/"); p != std::string_view::npos) file.remove_prefix(p + 5);
    else if (auto q = file.rfind("/include/"); q != std::string_view::npos) file.remove_prefix(q + 9);
    return file;
}

/// The civil time of the current second, computed once per second per thread and zone.
const civil_time& civil_now(const time_zone& zone, std::int64_t secs) {
    thread_local std::int64_t cached_secs = -1;
    thread_local const void* cached_zone = nullptr;
    thread_local civil_time cached{};
    if (secs != cached_secs || cached_zone != &zone) {
        cached = zone.at(secs);
        cached_secs = secs;
        cached_zone = &zone;
    }
    return cached;
}

/// The qualified name of a function from its signature as the compiler spells it: no return
/// type, no parameter lists ("aileron::error_code aileron::server::http_server::run(std::stop_token)"
/// -> "aileron::server::http_server::run", a lambda in it "...::run::<lambda>"), as AILERON's
/// records name Go functions without their signatures.
std::string function_name(std::string_view sig) {
    std::string out;
    out.reserve(sig.size());
    int parens = 0;
    for (char c : sig) {
        if (c == '(') ++parens;
        else if (c == ')') --parens;
        else if (parens == 0) out += c;
    }
    // Qualifiers after the parameters ("const", "noexcept", "&&") are not part of the name.
    for (bool again = true; again;) {
        again = false;
        for (std::string_view q : {" const", " noexcept", " volatile", " &&", " &"})
            if (std::string_view{out}.ends_with(q)) {
                out.resize(out.size() - q.size());
                again = true;
            }
    }
    // The return type ends at the last space outside template arguments.
    int angles = 0;
    std::size_t cut = std::string::npos;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '<') ++angles;
        else if (out[i] == '>') --angles;
        else if (out[i] == ' ' && angles == 0) cut = i;
    }
    if (cut != std::string::npos) out.erase(0, cut + 1);
    return out.empty() ? std::string{sig} : out;
}

struct record_buffers {
    std::vector<std::unique_ptr<log_record>> records;
    std::size_t depth = 0;
};
thread_local record_buffers record_stack;

std::unique_ptr<log_sink> sink_for(logger::output target) {
    switch (target) {
    case logger::output::stdout_: return std::make_unique<fd_sink>(STDOUT_FILENO);
    case logger::output::stderr_: return std::make_unique<fd_sink>(STDERR_FILENO);
    default: return nullptr;   // discard (file needs its own sink)
    }
}

}  // namespace

//----------------------------------------------------------------------------------------------
// log_record

const field_replacer* log_record::match(std::string_view key) const {
    for (const auto& fr : log_->opt_.field_replacers) {
        if (fr.path.size() != path_.size() + 1 || fr.path.back() != key) continue;
        bool same = true;
        for (std::size_t i = 0; same && i < path_.size(); ++i) same = fr.path[i] == path_[i];
        if (same) return &fr;
    }
    return nullptr;
}

void log_record::append_text_key(std::string_view key) {
    line_ += ' ';
    for (auto p : path_) {
        line_ += p;
        line_ += '.';
    }
    line_ += key;
    line_ += '=';
}

void log_record::begin_value(std::string_view key) {
    if (log_->opt_.unstructured) {
        append_text_key(key);
        return;
    }
    const bool comma = !first_.back();
    first_.back() = false;
    if (plain_prefix(key) == key.size()) {
        // Keys are nearly always plain: the comma, the quoted key and the colon in one resize.
        const std::size_t at = line_.size();
        line_.resize(at + comma + key.size() + 3);
        char* p = line_.data() + at;
        if (comma) *p++ = ',';
        *p++ = '"';
        if (!key.empty()) std::memcpy(p, key.data(), key.size());
        p += key.size();
        p[0] = '"';
        p[1] = ':';
        return;
    }
    if (comma) line_ += ',';
    append_log_json_string(line_, key);
    line_ += ':';
}

void log_record::add(std::string_view key, std::string_view value) {
    if (skip_depth_) return;
    if (!log_->opt_.field_replacers.empty()) {
        if (const field_replacer* fr = match(key)) {
            if (!fr->replace) return;
            scratch_ = (*fr->replace)(value);
            begin_value(key);
            if (log_->opt_.unstructured) line_ += scratch_;
            else append_log_json_string(line_, scratch_);
            return;
        }
    }
    begin_value(key);
    if (log_->opt_.unstructured) line_ += value;
    else append_log_json_string(line_, value);
}

void log_record::add(std::string_view key, std::int64_t value) {
    if (skip_depth_) return;
    if (!log_->opt_.field_replacers.empty())
        if (const field_replacer* fr = match(key); fr && !fr->replace) return;   // numbers are only removed
    begin_value(key);
    append_int(line_, value);
}

void log_record::add_raw(std::string_view key, std::string_view json) {
    if (skip_depth_) return;
    if (!log_->opt_.field_replacers.empty())
        if (const field_replacer* fr = match(key); fr && !fr->replace) return;
    begin_value(key);
    line_ += json.empty() ? std::string_view{"null"} : json;
}

void log_record::open(std::string_view key) {
    if (skip_depth_) {
        ++skip_depth_;
        return;
    }
    if (!log_->opt_.field_replacers.empty())
        if (const field_replacer* fr = match(key); fr && !fr->replace) {
            skip_depth_ = 1;
            return;
        }
    if (!log_->opt_.unstructured) {
        begin_value(key);
        line_ += '{';
        first_.push_back(true);
    }
    path_.push_back(key);
}

void log_record::close() {
    if (skip_depth_) {
        --skip_depth_;
        return;
    }
    if (path_.empty()) return;
    path_.pop_back();
    if (!log_->opt_.unstructured) {
        line_ += '}';
        first_.pop_back();
    }
}

void log_record::add(const request_ids& ids) {
    if (ids.empty()) return;
    open("ids");
    add("request", ids.request());
    add("trace", ids.trace());
    close();
}

//----------------------------------------------------------------------------------------------
// logger

logger::logger(options opt) : logger(opt, sink_for(opt.target)) {}

logger::logger(options opt, std::unique_ptr<log_sink> sink)
    : opt_(std::move(opt)), output_layout_(opt_.output_time_format), date_layout_(opt_.date_format),
      time_layout_(opt_.time_format) {
    static std::atomic<std::uint64_t> serials{0};
    serial_ = serials.fetch_add(1, std::memory_order_relaxed) + 1;
    // Formatted times are reused within the finest unit any of the three layouts prints.
    const unsigned digits = std::max({output_layout_.fraction_digits(), date_layout_.fraction_digits(),
                                      time_layout_.fraction_digits()});
    tick_ns_ = 1'000'000'000;
    for (unsigned i = 0; i < digits; ++i) tick_ns_ /= 10;
    if (sink && opt_.target != output::discard) {
        writer_ = std::make_unique<log_writer>(std::move(sink),
                                               log_writer::options{opt_.queue_bytes, &logger::format_dropped, this});
    }
}

logger::~logger() = default;   // the writer drains and stops

logger::options logger::options_from_env() {
    options o;
    if (const char* v = std::getenv("GATEWAY_LOG_LEVEL")) {
        std::string s{v};
        for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (s == "TRACE") o.level = log_level::trace;
        else if (s == "DEBUG") o.level = log_level::debug;
        else if (s == "WARN") o.level = log_level::warn;
        else if (s == "ERROR") o.level = log_level::error;
        else if (s == "FATAL") o.level = log_level::fatal;
    }
    o.no_location = env_is_false("GATEWAY_LOG_LOCATION");
    o.no_datetime = env_is_false("GATEWAY_LOG_DATETIME");
    return o;
}

log_record& logger::begin(log_level l, std::string_view msg, std::chrono::system_clock::time_point now,
                          const std::source_location& where) const {
    // One record buffer per thread and nesting depth (a value that logs while it is formatted
    // gets its own), reused from record to record: no allocation once warm.
    auto& st = record_stack;
    if (st.depth == st.records.size()) st.records.push_back(std::make_unique<log_record>());
    log_record& r = *st.records[st.depth++];
    r.log_ = this;
    r.line_.clear();
    r.path_.clear();
    r.first_.assign(1, true);
    r.skip_depth_ = 0;

    using namespace std::chrono;
    const auto ns = duration_cast<nanoseconds>(now.time_since_epoch()).count();
    const std::int64_t secs = ns / 1'000'000'000;
    const auto nanos = static_cast<std::uint32_t>(ns % 1'000'000'000);
    const civil_time& c = civil_now(opt_.zone, secs);

    if (opt_.unstructured) {
        output_layout_.append(r.line_, c, nanos);
        r.line_ += ' ';
        r.line_ += level_name(l);
        r.line_ += ' ';
        r.line_ += msg;
        return r;
    }
    if (!opt_.field_replacers.empty()) {
        // Every field goes through add(), where the replacers are.
        r.line_ += R"({"time":)";
        r.stamp_.clear();
        output_layout_.append(r.stamp_, c, nanos);
        append_log_json_string(r.line_, r.stamp_);
        r.first_.back() = false;
        r.add("level", level_name(l));
        r.add("msg", msg);
        if (!opt_.no_datetime) {
            r.open("datetime");
            std::string& sv = r.stamp_;
            sv.clear();
            date_layout_.append(sv, c, nanos);
            const std::size_t date_end = sv.size();
            time_layout_.append(sv, c, nanos);
            r.add("date", std::string_view{sv}.substr(0, date_end));
            r.add("time", std::string_view{sv}.substr(date_end));
            r.add("zone", opt_.zone.name());
            r.close();
        }
        if (!opt_.no_location) {
            r.open("location");
            r.add("file", source_file(where));
            r.add("func", function_name(where.function_name()));
            r.add("line", static_cast<std::int64_t>(where.line()));
            r.close();
        }
        return r;
    }
    // Without replacers the parts that do not change from record to record are formatted once
    // and reused: the times for as long as their precision allows, the location per call site.
    const stamp_cache& stamp = stamps(c, ns);
    r.line_ += stamp.time;
    r.first_.back() = false;
    r.add("level", level_name(l));
    r.add("msg", msg);
    if (!opt_.no_datetime) r.line_ += stamp.datetime;
    if (!opt_.no_location) r.line_ += location_json(where);
    return r;
}

const logger::stamp_cache& logger::stamps(const civil_time& c, std::int64_t ns) const {
    thread_local stamp_cache cache;
    const std::int64_t key = ns / tick_ns_;
    if (cache.owner == serial_ && cache.key == key) return cache;
    const auto nanos = static_cast<std::uint32_t>(ns % 1'000'000'000);
    cache.owner = serial_;
    cache.key = key;
    cache.time.assign(R"({"time":)");
    std::string s;
    output_layout_.append(s, c, nanos);
    append_log_json_string(cache.time, s);
    cache.datetime.assign(R"(,"datetime":{"date":)");
    s.clear();
    date_layout_.append(s, c, nanos);
    append_log_json_string(cache.datetime, s);
    cache.datetime += R"(,"time":)";
    s.clear();
    time_layout_.append(s, c, nanos);
    append_log_json_string(cache.datetime, s);
    cache.datetime += R"(,"zone":)";
    append_log_json_string(cache.datetime, opt_.zone.name());
    cache.datetime += '}';
    return cache;
}

std::string_view logger::location_json(const std::source_location& where) const {
    struct entry {
        const char* file;
        const char* func;
        std::uint_least32_t line;
        std::string json;
    };
    thread_local std::vector<entry> sites;
    for (const auto& e : sites)
        if (e.line == where.line() && e.file == where.file_name() && e.func == where.function_name()) return e.json;
    std::string json = R"(,"location":{"file":)";
    append_log_json_string(json, source_file(where));
    json += R"(,"func":)";
    append_log_json_string(json, function_name(where.function_name()));
    json += R"(,"line":)";
    append_int(json, static_cast<std::int64_t>(where.line()));
    json += '}';
    if (sites.size() >= 256) sites.clear();   // call sites are few; this only bounds odd cases
    sites.push_back(entry{where.file_name(), where.function_name(), where.line(), std::move(json)});
    return sites.back().json;
}

void logger::end(log_record& r) const {
    if (!opt_.unstructured) r.line_ += '}';
    r.line_ += '\n';
    writer_->push(r.line_);
    --record_stack.depth;
}

void logger::write(log_level l, std::string_view msg, std::initializer_list<log_attr> attrs,
                   std::source_location where) const {
    log(
        l, msg,
        [&](log_record& r) {
            for (const auto& a : attrs) {
                if (a.json) r.add_raw(a.key, a.value);
                else r.add(a.key, a.value);
            }
        },
        where);
}

void logger::write(const request_ids& ids, log_level l, std::string_view msg, std::initializer_list<log_attr> attrs,
                   std::source_location where) const {
    log(
        l, msg,
        [&](log_record& r) {
            r.add(ids);
            for (const auto& a : attrs) {
                if (a.json) r.add_raw(a.key, a.value);
                else r.add(a.key, a.value);
            }
        },
        where);
}

void logger::write_raw(std::string_view line) const {
    if (writer_) writer_->push(line);
}

void logger::flush() const {
    if (writer_) writer_->flush();
}

std::string logger::format_dropped(std::uint64_t n, const void* self) {
    const auto* l = static_cast<const logger*>(self);
    // Formatted on the writer thread; queued behind nothing, written at once by the caller.
    std::string line;
    if (l->opt_.unstructured) {
        line = "log records dropped: the writer's queue was full count=" + std::to_string(n) + "\n";
        return line;
    }
    line = R"({"time":)";
    append_log_json_string(line, l->output_layout_.format(std::chrono::system_clock::now(), l->opt_.zone));
    line += R"(,"level":"WARN","msg":"log records dropped: the writer's queue was full","count":)";
    append_int(line, static_cast<std::int64_t>(n));
    line += "}\n";
    return line;
}

const logger& logger::get_default() noexcept {
    if (const logger* l = default_raw.load(std::memory_order_acquire)) return *l;
    std::lock_guard lock{default_mutex};
    if (!default_logger) {
        default_logger = std::make_shared<const logger>(options_from_env());
        default_raw.store(default_logger.get(), std::memory_order_release);
    }
    return *default_logger;
}

void logger::set_default(std::shared_ptr<const logger> l) {
    std::lock_guard lock{default_mutex};
    // The previous default stays alive: references to it may still be in use. Loggers are
    // set a handful of times per process, so keeping them is cheap and safe.
    static std::vector<std::shared_ptr<const logger>> retired;
    if (default_logger) retired.push_back(default_logger);
    default_logger = std::move(l);
    default_raw.store(default_logger.get(), std::memory_order_release);
}

}  // namespace aileron
