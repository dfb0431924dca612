#include <aileron/log/http_logger.hpp>

#include <aileron/core/encoding.hpp>
#include <aileron/core/error.hpp>
#include <aileron/core/url.hpp>
#include <aileron/log/log_writer.hpp>
#include <aileron/log/logger.hpp>
#include <aileron/log/time_layout.hpp>
#include <aileron/log/time_zone.hpp>
#include <aileron/registry/registry.hpp>
#include <aileron/registry/resource_graph.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <fcntl.h>
#include <unistd.h>

namespace aileron {

namespace {

using namespace std::chrono;

const std::vector<std::string> default_mimes{
    "application/json", "application/x-www-form-urlencoded", "application/xml", "application/soap+xml",
    "application/graphql+json", "text/plain", "text/html", "text/xml"};

}  // namespace

void http_logger::logging_config::normalize(aileron::config::decoder& d) {
    // AILERON's Mutate: the default journal media types when none are listed.
    if (mimes.empty()) mimes = default_mimes;
    for (std::size_t i = 0; i < bodies.size(); ++i)
        for (std::size_t j = 0; j < bodies[i].json_fields.size(); ++j)
            if (bodies[i].json_fields[j].empty())
                d.error("bodies[" + std::to_string(i) + "].jsonFields[" + std::to_string(j) + "]", "must not be empty");
}

void http_logger::config::normalize(aileron::config::decoder& d) {
    if (!time_zone::load(timezone)) d.error("timezone", "unknown time zone \"" + timezone + "\"");
    if (time_format.empty()) time_format = "2006-01-02 15:04:05.000";
}

//----------------------------------------------------------------------------------------------
// Ids

void make_log_id(char (&out)[20]) noexcept {
    make_log_id(out, duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

void make_log_id(char (&out)[20], std::int64_t unix_seconds) noexcept {
    static const std::uint32_t host_hash = [] {
        char name[256] = {};
        ::gethostname(name, sizeof name - 1);
        std::uint32_t h = 2166136261u;   // FNV-1a, 32 bits
        for (const char* p = name; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
        return h;
    }();
    static std::atomic<std::uint64_t> threads{0};
    // The counter is the thread's: its top byte numbers the thread, so ids stay unique without
    // a counter shared by the workers.
    thread_local std::uint64_t counter = (threads.fetch_add(1, std::memory_order_relaxed) & 0xff) << 48;
    const std::uint64_t c = ++counter & 0x00ffffffffffffffULL;
    const auto secs = static_cast<std::uint32_t>(unix_seconds);
    unsigned char b[15];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<unsigned char>(host_hash >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i) b[4 + i] = static_cast<unsigned char>(secs >> (24 - 8 * i));
    for (int i = 0; i < 7; ++i) b[8 + i] = static_cast<unsigned char>(c >> (48 - 8 * i));
    static constexpr char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 5; ++i) {
        const unsigned v = b[3 * i] << 16 | b[3 * i + 1] << 8 | b[3 * i + 2];
        out[4 * i] = a[v >> 18 & 63];
        out[4 * i + 1] = a[v >> 12 & 63];
        out[4 * i + 2] = a[v >> 6 & 63];
        out[4 * i + 3] = a[v & 63];
    }
}

//----------------------------------------------------------------------------------------------
// Compiled configuration

namespace {

/// A body replacer: AILERON's replacers for one media type, on the whole body or on JSON fields.
struct body_rule {
    std::vector<replacer> replacers;
    std::vector<std::vector<std::string>> json_fields;   ///< paths; empty: the whole body
};

/// `%tag%` templates (AILERON's ztext): a tag is `%`, optional spaces, [0-9A-Za-z_.-]+,
/// optional spaces, `%`; everything else is text.
struct log_template {
    struct part {
        bool tag;
        std::string text;
    };
    std::vector<part> parts;

    explicit log_template(std::string_view t) {
        auto name_char = [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        };
        std::string text;
        std::size_t i = 0;
        while (i < t.size()) {
            if (t[i] == '%') {
                std::size_t j = i + 1;
                while (j < t.size() && t[j] == ' ') ++j;
                const std::size_t name_start = j;
                while (j < t.size() && name_char(t[j])) ++j;
                const std::size_t name_end = j;
                while (j < t.size() && t[j] == ' ') ++j;
                if (name_end > name_start && j < t.size() && t[j] == '%') {
                    if (!text.empty()) parts.push_back({false, std::move(text)});
                    text.clear();
                    parts.push_back({true, std::string{t.substr(name_start, name_end - name_start)}});
                    i = j + 1;
                    continue;
                }
            }
            text += t[i++];
        }
        if (!text.empty()) parts.push_back({false, std::move(text)});
    }
};

/// One side (request or response) of the configuration, compiled.
struct side_config {
    bool all_headers = false;
    /// Canonical names, sorted, with their replacers.
    std::vector<std::pair<std::string, std::vector<replacer>>> headers;
    std::map<std::string, body_rule, std::less<>> bodies;
    std::vector<replacer> queries;
    std::optional<log_template> format;
    std::string body_dir;   ///< "" or "<bodyOutputPath>/"
    bool base64 = false;
    std::int64_t max_body = 4096;
    std::vector<std::string> mimes;

    const std::vector<replacer>* header_replacers(std::string_view canonical) const {
        for (auto& [name, rs] : headers)
            if (name == canonical) return &rs;
        return nullptr;
    }
    bool journals(std::string_view mime) const {
        return std::find(mimes.begin(), mimes.end(), mime) != mimes.end();
    }
};

std::vector<std::string> split_path(std::string_view p) {
    // gjson's dotted paths; `\.` is a literal dot.
    std::vector<std::string> out(1);
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '\\' && i + 1 < p.size()) out.back() += p[++i];
        else if (p[i] == '.') out.emplace_back();
        else out.back() += p[i];
    }
    return out;
}

side_config compile_side(const http_logger::logging_config& c) {
    side_config s;
    for (const auto& h : c.headers) {
        if (h.name.empty()) continue;
        if (h.name == "*") {
            s.all_headers = true;   // AILERON ignores replacers given with "*"
            continue;
        }
        std::string name = url::canonical_header_key(h.name);
        auto it = std::find_if(s.headers.begin(), s.headers.end(), [&](auto& e) { return e.first == name; });
        if (it == s.headers.end()) it = s.headers.insert(s.headers.end(), {name, {}});
        for (const auto& r : h.replacers) it->second.emplace_back(r, replacer::mode::text);
    }
    std::sort(s.headers.begin(), s.headers.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (const auto& b : c.bodies) {
        if (b.mime.empty()) continue;
        body_rule& rule = s.bodies[b.mime];
        for (const auto& r : b.replacers) rule.replacers.emplace_back(r, replacer::mode::bytes);
        for (const auto& f : b.json_fields) rule.json_fields.push_back(split_path(f));
    }
    for (const auto& q : c.queries) s.queries.emplace_back(q, replacer::mode::text);
    if (!c.log_format.empty()) s.format.emplace(c.log_format + "\n");
    if (!c.body_output_path.empty()) s.body_dir = std::filesystem::path{c.body_output_path}.lexically_normal().string() + "/";
    s.base64 = c.base64;
    s.max_body = c.max_content_length;
    s.mimes = c.mimes.empty() ? default_mimes : c.mimes;
    return s;
}

//----------------------------------------------------------------------------------------------
// Body files (journal mode with bodyOutputPath): written by a background writer.

/// Records are [flags:1][name length:4][name][data]: flag 1 opens (truncating), flag 2 closes.
class body_file_sink final : public log_sink {
public:
    ~body_file_sink() override {
        for (auto& [name, fd] : open_) ::close(fd);
    }
    void write(std::string_view r) override {
        if (r.size() < 5) return;
        const auto flags = static_cast<unsigned char>(r[0]);
        std::uint32_t n;
        std::memcpy(&n, r.data() + 1, 4);
        if (r.size() < 5 + n) return;
        const std::string name{r.substr(5, n)};
        std::string_view data = r.substr(5 + n);
        auto it = open_.find(name);
        if (flags & 1) {
            if (it != open_.end()) ::close(it->second);
            const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) return;
            it = open_.insert_or_assign(name, fd).first;
        }
        if (it == open_.end()) return;
        while (!data.empty()) {
            ssize_t w = ::write(it->second, data.data(), data.size());
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            data.remove_prefix(static_cast<std::size_t>(w));
        }
        if (flags & 2) {
            ::close(it->second);
            open_.erase(it);
        }
    }
    void flush() override {}

private:
    std::map<std::string, int> open_;
};

void push_body_chunk(log_writer& w, std::string_view path, unsigned flags, std::string_view data) {
    thread_local std::string rec;
    rec.clear();
    rec += static_cast<char>(flags);
    const auto n = static_cast<std::uint32_t>(path.size());
    rec.append(reinterpret_cast<const char*>(&n), 4);
    rec += path;
    rec += data;
    w.push(rec);
}

//----------------------------------------------------------------------------------------------
// JSON field lookup for `jsonFields` (objects by key, arrays by index)

std::size_t skip_ws(std::string_view s, std::size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
}

/// The end of the JSON value starting at i (npos when malformed).
std::size_t value_end(std::string_view s, std::size_t i) {
    if (i >= s.size()) return std::string_view::npos;
    if (s[i] == '"') {
        for (++i; i < s.size(); ++i) {
            if (s[i] == '\\') ++i;
            else if (s[i] == '"') return i + 1;
        }
        return std::string_view::npos;
    }
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        for (; i < s.size(); ++i) {
            if (s[i] == '"') {
                i = value_end(s, i);
                if (i == std::string_view::npos) return i;
                --i;
            } else if (s[i] == '{' || s[i] == '[') {
                ++depth;
            } else if (s[i] == '}' || s[i] == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return std::string_view::npos;
    }
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' &&
           s[i] != '\r')
        ++i;
    return i;
}

/// [begin, end) of the value at `path`, or nothing.
std::optional<std::pair<std::size_t, std::size_t>> find_json(std::string_view s, const std::vector<std::string>& path) {
    std::size_t i = skip_ws(s, 0);
    for (const auto& key : path) {
        if (i >= s.size()) return std::nullopt;
        if (s[i] == '{') {
            i = skip_ws(s, i + 1);
            bool found = false;
            while (i < s.size() && s[i] == '"') {
                const std::size_t kend = value_end(s, i);
                if (kend == std::string_view::npos) return std::nullopt;
                std::string k;
                for (std::size_t p = i + 1; p + 1 < kend; ++p) k += s[p] == '\\' && p + 2 < kend ? s[++p] : s[p];
                i = skip_ws(s, kend);
                if (i >= s.size() || s[i] != ':') return std::nullopt;
                i = skip_ws(s, i + 1);
                if (k == key) {
                    found = true;
                    break;
                }
                i = value_end(s, i);
                if (i == std::string_view::npos) return std::nullopt;
                i = skip_ws(s, i);
                if (i < s.size() && s[i] == ',') i = skip_ws(s, i + 1);
            }
            if (!found) return std::nullopt;
        } else if (s[i] == '[') {
            std::size_t index = 0;
            auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
            if (ec != std::errc{} || p != key.data() + key.size()) return std::nullopt;
            i = skip_ws(s, i + 1);
            for (std::size_t n = 0; n < index; ++n) {
                i = value_end(s, i);
                if (i == std::string_view::npos) return std::nullopt;
                i = skip_ws(s, i);
                if (i >= s.size() || s[i] != ',') return std::nullopt;
                i = skip_ws(s, i + 1);
            }
            if (i >= s.size() || s[i] == ']') return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    const std::size_t end = value_end(s, i);
    if (end == std::string_view::npos) return std::nullopt;
    return std::pair{i, end};
}

std::string apply_body_rule(const body_rule& rule, std::string body) {
    if (rule.json_fields.empty()) {
        for (const auto& r : rule.replacers) body = r(body);
        return body;
    }
    // Each field's raw JSON text (quotes included, as in AILERON) goes through the replacers.
    for (const auto& path : rule.json_fields) {
        auto at = find_json(body, path);
        if (!at) continue;
        std::string value = body.substr(at->first, at->second - at->first);
        for (const auto& r : rule.replacers) value = r(value);
        body.replace(at->first, at->second - at->first, value);
    }
    return body;
}

//----------------------------------------------------------------------------------------------
// Small formatting helpers

/// "ip:port", IPv6 in brackets, IPv4-mapped IPv6 as IPv4 (as Go prints a RemoteAddr).
void append_endpoint(std::string& out, const tcp::endpoint& ep) {
    asio::ip::address a = ep.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    char buf[64];
    if (a.is_v4()) {
        const auto bytes = a.to_v4().to_bytes();
        char* p = buf;
        for (int i = 0; i < 4; ++i) {
            if (i) *p++ = '.';
            p = std::to_chars(p, buf + sizeof buf, static_cast<unsigned>(bytes[i])).ptr;
        }
        out.append(buf, p);
    } else {
        out += '[';
        out += a.to_string();
        out += ']';
    }
    out += ':';
    out.append(buf, std::to_chars(buf, buf + sizeof buf, ep.port()).ptr);
}

/// The media type of a Content-Type value, lower-case, without parameters.
std::string media_type(std::string_view ct) {
    ct = ct.substr(0, ct.find(';'));
    while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
    while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
    std::string out{ct};
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_compressed(std::string_view ce) {
    for (std::string_view c : {"gzip", "br", "deflate", "compress", "zstd"})
        if (ce.find(c) != std::string_view::npos) return true;
    return false;
}

std::optional<std::int64_t> content_length(const http::fields& f) {
    auto it = f.find(http::field::content_length);
    if (it == f.end()) return std::nullopt;
    std::int64_t n = 0;
    auto v = it->value();
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{}) return std::nullopt;
    return n;
}

using header_list = std::vector<std::pair<std::string, std::string>>;

/// The headers a side logs, canonical names sorted, values joined with "," and masked.
void collect_headers(const side_config& s, const http::fields& f, bool is_request, header_list& out) {
    out.clear();
    if (s.all_headers) {
        for (const auto& field : f) {
            if (is_request && field.name() == http::field::host) continue;   // Go keeps it in r.Host
            std::string name = url::canonical_header_key(field.name_string());
            auto it = std::find_if(out.begin(), out.end(), [&](auto& e) { return e.first == name; });
            if (it == out.end()) out.emplace_back(std::move(name), std::string{field.value()});
            else (it->second += ',') += field.value();
        }
        std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
    } else {
        for (const auto& [name, rs] : s.headers) {
            if (is_request && name == "Host") continue;
            auto range = f.equal_range(name);
            if (range.first == range.second) continue;
            std::string value;
            for (auto it = range.first; it != range.second; ++it) {
                if (!value.empty() || it != range.first) value += ',';
                value += it->value();
            }
            out.emplace_back(name, std::move(value));
        }
    }
    for (auto& [name, value] : out)
        if (const auto* rs = s.header_replacers(name))
            for (const auto& r : *rs) value = r(value);
}

}  // namespace

//----------------------------------------------------------------------------------------------

struct http_logger::impl {
    const logger* log = nullptr;
    std::shared_ptr<const logger> log_owner;
    const error_handler* errors = nullptr;
    std::shared_ptr<const error_handler> errors_owner;
    bool journal = false;
    time_zone zone;
    time_layout layout;
    side_config req, res;
    std::unique_ptr<log_writer> body_files;

    /// Appends the current time in `timeFormat`; the text is reused within the finest unit
    /// the layout prints (per thread).
    void format_time(std::string& out, system_clock::time_point now) const {
        struct cache_t {
            std::uint64_t owner = 0;
            std::int64_t key = -1;
            std::string text;
        };
        thread_local cache_t cache;
        const auto ns = duration_cast<nanoseconds>(now.time_since_epoch()).count();
        const std::int64_t key = ns / tick_ns;
        if (cache.owner != serial || cache.key != key) {
            cache.owner = serial;
            cache.key = key;
            cache.text.clear();
            layout.append(cache.text, zone.at(ns / 1'000'000'000), static_cast<std::uint32_t>(ns % 1'000'000'000));
        }
        out += cache.text;
    }

    std::int64_t tick_ns = 1'000'000;
    std::uint64_t serial = 0;
};

namespace {

struct request_record {
    system_clock::time_point at;
    bool client;
    std::string_view id, time, method, path, query, host, remote, proto;
    std::int64_t size;
    const header_list& headers;
    bool journal;
    std::string_view body;
    const request_ids& ids;   ///< TrackingMiddleware's, when it ran before this record
};

struct response_record {
    system_clock::time_point at;
    bool client;
    std::string_view id, time;
    std::int64_t duration;
    unsigned status;
    std::int64_t size;
    const header_list& headers;
    bool journal;
    std::string_view body;
    const request_ids& ids;   ///< TrackingMiddleware's, when it ran before this record
};

void append_go_map(std::string& out, const header_list& h) {
    out += "map[";
    for (std::size_t i = 0; i < h.size(); ++i) {
        if (i) out += ' ';
        out += h[i].first;
        out += ':';
        out += h[i].second;
    }
    out += ']';
}

std::string_view header_value(const header_list& h, std::string_view name) {
    const std::string canonical = url::canonical_header_key(name);
    for (const auto& [k, v] : h)
        if (k == canonical) return v;
    return {};
}

void emit_headers(log_record& r, const header_list& h) {
    r.open("header");
    for (const auto& [k, v] : h) r.add(k, v);
    r.close();
}

void emit(const http_logger::impl& l, const side_config& s, const request_record& a) {
    if (s.format) {
        thread_local std::string line;
        line.clear();
        char num[24];
        for (const auto& p : s.format->parts) {
            if (!p.tag) {
                line += p.text;
                continue;
            }
            const std::string& t = p.text;
            if (t == "id") line += a.id;
            else if (t == "time") line += a.time;
            else if (t == "type") line += a.client ? "client" : "server";
            else if (t == "method") line += a.method;
            else if (t == "path") line += a.path;
            else if (t == "query") line += a.query;
            else if (t == "host") line += a.host;
            else if (t == "remote") line += a.remote;
            else if (t == "proto") line += a.proto;
            else if (t == "size") line.append(num, std::to_chars(num, num + sizeof num, a.size).ptr);
            else if (t == "header") append_go_map(line, a.headers);
            else if (t == "body") line += a.body;
            else if (t.starts_with("header.")) line += header_value(a.headers, std::string_view{t}.substr(7));
            else (line += "<undefined:") += t + ">";
        }
        l.log->write_raw(line);
        return;
    }
    l.log->log_at(log_level::info, a.client ? "client" : "server", a.at, [&](log_record& r) {
        r.add(a.ids);   // AILERON: the request context's attributes, after datetime and location
        r.open("request");
        if (a.journal) r.add("body", a.body);
        emit_headers(r, a.headers);
        r.add("host", a.host);
        r.add("id", a.id);
        r.add("method", a.method);
        r.add("path", a.path);
        r.add("proto", a.proto);
        r.add("query", a.query);
        r.add("remote", a.remote);
        r.add("size", a.size);
        r.add("time", a.time);
        r.close();
    });
}

void emit(const http_logger::impl& l, const side_config& s, const response_record& a) {
    if (s.format) {
        thread_local std::string line;
        line.clear();
        char num[24];
        for (const auto& p : s.format->parts) {
            if (!p.tag) {
                line += p.text;
                continue;
            }
            const std::string& t = p.text;
            if (t == "id") line += a.id;
            else if (t == "time") line += a.time;
            else if (t == "type") line += a.client ? "client" : "server";
            else if (t == "duration") line.append(num, std::to_chars(num, num + sizeof num, a.duration).ptr);
            else if (t == "status") line.append(num, std::to_chars(num, num + sizeof num, a.status).ptr);
            else if (t == "size") line.append(num, std::to_chars(num, num + sizeof num, a.size).ptr);
            else if (t == "header") append_go_map(line, a.headers);
            else if (t == "body") line += a.body;
            else if (t.starts_with("header.")) line += header_value(a.headers, std::string_view{t}.substr(7));
            else (line += "<undefined:") += t + ">";
        }
        l.log->write_raw(line);
        return;
    }
    l.log->log_at(log_level::info, a.client ? "client" : "server", a.at, [&](log_record& r) {
        r.add(a.ids);
        r.open("response");
        if (a.journal) r.add("body", a.body);
        r.add("duration", a.duration);
        emit_headers(r, a.headers);
        r.add("id", a.id);
        r.add("size", a.size);
        r.add("status", static_cast<std::int64_t>(a.status));
        r.add("time", a.time);
        r.close();
    });
}

/// A captured body as it is logged: replacers for its media type, then base64 if asked (or if
/// it is compressed: its bytes are not text).
std::string body_for_log(const side_config& s, std::string_view mime, std::string body, bool compressed) {
    if (body.empty()) return body;
    if (auto it = s.bodies.find(mime); it != s.bodies.end()) body = apply_body_rule(it->second, std::move(body));
    if (s.base64 || compressed) return encoding::base64_encode(body);
    return body;
}

/// What to do with a body in journal mode.
struct journal_plan {
    enum kind_t { none, capture, file } kind = none;
    std::string file_name;   ///< "body-<id>.svr.req.bin"
};

journal_plan plan_for(const side_config& s, std::string_view mime, std::optional<std::int64_t> length,
                      std::string_view id, std::string_view suffix) {
    journal_plan p;
    if (!s.journals(mime) || length == std::int64_t{0}) return p;
    if (length && *length > 0 && *length < s.max_body) {
        p.kind = journal_plan::capture;
        return p;
    }
    if (!s.body_dir.empty()) {
        p.kind = journal_plan::file;
        p.file_name = "body-" + std::string{id} + std::string{suffix};
        return p;
    }
    // Unknown length: captured while it stays under the limit (AILERON reads it all).
    if (!length) p.kind = journal_plan::capture;
    return p;
}

/**
 * A response body that streams through while the exchange's response record waits for its end:
 * counts the bytes sent, and in journal mode keeps (up to the limit) or files what passes.
 */
class logged_body final : public body_source {
public:
    struct pending {
        const http_logger::impl* l;
        bool client;
        char id[20];
        std::string time;
        std::int64_t duration;
        unsigned status;
        std::optional<std::int64_t> size;   ///< known in advance, else counted
        header_list headers;
        journal_plan plan;
        std::string mime;
        bool compressed;
        request_ids ids{};   ///< the request's when the response came (the record is written later)
    };

    logged_body(std::unique_ptr<body_source> inner, pending p) : inner_(std::move(inner)), p_(std::move(p)) {}
    ~logged_body() override { finish(); }

    task<result<asio::const_buffer>> next() override {
        auto piece = co_await inner_->next();
        if (!piece) {
            finish();
            co_return piece;
        }
        if (piece->size() == 0) {
            finish();
            co_return piece;
        }
        count_ += piece->size();
        std::string_view data{static_cast<const char*>(piece->data()), piece->size()};
        if (p_.plan.kind == journal_plan::capture && !over_) {
            const side_config& s = p_.l->res;
            if (captured_.size() + data.size() >= static_cast<std::size_t>(std::max<std::int64_t>(s.max_body, 0))) {
                over_ = true;   // past the limit: not logged
                captured_.clear();
                captured_.shrink_to_fit();
            } else {
                captured_ += data;
            }
        } else if (p_.plan.kind == journal_plan::file && p_.l->body_files) {
            push_body_chunk(*p_.l->body_files, p_.l->res.body_dir + p_.plan.file_name, file_started_ ? 0 : 1, data);
            file_started_ = true;
        }
        co_return piece;
    }
    std::optional<std::uint64_t> size() const noexcept override { return inner_->size(); }
    bool buffered() const noexcept override { return inner_->buffered(); }
    bool broken() const noexcept override { return inner_->broken(); }

private:
    void finish() {
        if (done_) return;
        done_ = true;
        std::string body;
        if (p_.plan.kind == journal_plan::capture && !over_)
            body = body_for_log(p_.l->res, p_.mime, std::move(captured_), p_.compressed);
        if (p_.plan.kind == journal_plan::file) {
            if (p_.l->body_files) push_body_chunk(*p_.l->body_files, p_.l->res.body_dir + p_.plan.file_name, file_started_ ? 2 : 3, {});
            body = p_.plan.file_name;
        }
        emit(*p_.l, p_.l->res,
             response_record{system_clock::now(), p_.client, std::string_view{p_.id, 20}, p_.time, p_.duration, p_.status,
                             p_.size ? *p_.size : static_cast<std::int64_t>(count_), p_.headers, p_.l->journal, body,
                             p_.ids});
    }

    std::unique_ptr<body_source> inner_;
    pending p_;
    std::uint64_t count_ = 0;
    std::string captured_;
    bool over_ = false;
    bool file_started_ = false;
    bool done_ = false;
};

/// The request body the rest of the chain reads in journal mode: what was read ahead, then
/// the rest of the original (which may be nothing). Optionally files every piece.
class replay_body final : public body_source {
public:
    replay_body(std::string head, body_source* rest, std::optional<std::uint64_t> size)
        : head_(std::move(head)), rest_(rest), size_(size) {}
    task<result<asio::const_buffer>> next() override {
        if (!head_sent_) {
            head_sent_ = true;
            if (!head_.empty()) co_return asio::buffer(head_);
        }
        if (!rest_) co_return asio::const_buffer{};
        auto piece = co_await rest_->next();
        if (piece && file_ && piece->size()) {
            push_body_chunk(*file_writer_, path_, started_ ? 0 : 1,
                            std::string_view{static_cast<const char*>(piece->data()), piece->size()});
            started_ = true;
        }
        if (piece && piece->size() == 0) close_file();
        co_return piece;
    }
    std::optional<std::uint64_t> size() const noexcept override { return size_; }
    bool buffered() const noexcept override { return !head_sent_ && !head_.empty(); }
    bool broken() const noexcept override { return rest_ && rest_->broken(); }
    ~replay_body() override { close_file(); }

    /// Files every piece read from the original body to `path`.
    void tee_to(log_writer& w, std::string path) {
        file_ = true;
        file_writer_ = &w;
        path_ = std::move(path);
    }

private:
    void close_file() {
        if (!file_ || closed_) return;
        closed_ = true;
        push_body_chunk(*file_writer_, path_, started_ ? 2 : 3, {});
    }

    std::string head_;
    body_source* rest_;
    std::optional<std::uint64_t> size_;
    bool head_sent_ = false;
    bool file_ = false, started_ = false, closed_ = false;
    log_writer* file_writer_ = nullptr;
    std::string path_;
};

}  // namespace

//----------------------------------------------------------------------------------------------

namespace {

std::shared_ptr<http_logger::impl> compile(const http_logger::config& cfg) {
    auto i = std::make_shared<http_logger::impl>();
    i->journal = cfg.journal;
    if (auto z = time_zone::load(cfg.timezone)) i->zone = *z;
    i->layout = time_layout{cfg.time_format.empty() ? "2006-01-02 15:04:05.000" : cfg.time_format};
    i->tick_ns = 1'000'000'000;
    for (unsigned d = 0; d < i->layout.fraction_digits(); ++d) i->tick_ns /= 10;
    static std::atomic<std::uint64_t> serials{0};
    i->serial = serials.fetch_add(1, std::memory_order_relaxed) + 1;
    i->req = compile_side(cfg.request);
    i->res = compile_side(cfg.response);
    if (cfg.journal && (!i->req.body_dir.empty() || !i->res.body_dir.empty())) {
        for (const std::string* d : {&i->req.body_dir, &i->res.body_dir})
            if (!d->empty()) std::filesystem::create_directories(*d);   // throws when it cannot
        i->body_files = std::make_unique<log_writer>(std::make_unique<body_file_sink>());
    }
    return i;
}

}  // namespace

http_logger::http_logger(const config& cfg, build_context& ctx) {
    std::shared_ptr<impl> i;
    try {
        i = compile(cfg);
    } catch (const std::exception& e) {
        const auto* entry = ctx.graph().find(ctx.resource_id());
        ctx.error(entry ? entry->where : aileron::config::mark{}, "spec", std::string{"bodyOutputPath: "} + e.what());
        i = std::make_shared<impl>();
    }
    if (!cfg.logger.empty()) {
        if (const auto* o = ctx.resolve(cfg.logger, role::logger)) i->log_owner = o->log;
    }
    i->log = i->log_owner ? i->log_owner.get() : &ctx.log();
    if (!cfg.error_handler.empty()) {
        if (const auto* o = ctx.resolve(cfg.error_handler, role::error_handler)) i->errors_owner = o->errors;
    }
    i->errors = i->errors_owner ? i->errors_owner.get() : &ctx.errors();
    impl_ = std::move(i);
}

http_logger::http_logger(const config& cfg, const logger& log) {
    auto i = compile(cfg);
    i->log = &log;
    i->errors = &default_error_handler::instance();
    impl_ = std::move(i);
}

http_logger::~http_logger() = default;

bool http_logger::enabled() const noexcept { return impl_->log->enabled(log_level::info); }
bool http_logger::journal() const noexcept { return impl_->journal; }

//----------------------------------------------------------------------------------------------
// One exchange

http_logger::exchange::exchange(const http_logger& l, request& req, bool client)
    : l_(*l.impl_), req_(req), client_(client),
      // Server side the request started when the server had its header (AILERON: when the
      // middleware was entered, a moment later); client side now.
      start_(client ? steady_clock::now() : req.context().start), at_(system_clock::now()) {
    // As in AILERON, an id already given to the request (by an HTTPLogger further out, server
    // side) is used again: the records of one request share it, upstream calls included.
    std::string_view inherited = req.context().log_id;
    if (inherited.size() == sizeof id_) {
        std::memcpy(id_, inherited.data(), sizeof id_);
    } else {
        make_log_id(id_, duration_cast<seconds>(at_.time_since_epoch()).count());
        if (!client) {
            req.context().log_id = std::string_view{id_, sizeof id_};
            own_id_ = true;
        }
    }
}

http_logger::exchange::~exchange() {
    if (own_id_) req_.context().log_id = {};
    if (original_) req_.set_body(original_);
}

namespace {

struct request_parts {
    std::string time, path, query, remote, host;
    header_list headers;
};

void fill_request(const http_logger::impl& l, const side_config& s, request& req, bool client, request_parts& p,
                  system_clock::time_point now) {
    p.time.clear();
    l.format_time(p.time, now);
    const url::target_view t = url::split_target(req.target());
    std::string error;
    p.path.clear();
    if (!url::unescape(t.path, false, p.path, error)) p.path.assign(t.path);
    p.query.assign(t.query);
    for (const auto& r : s.queries) p.query = r(p.query);
    p.remote.clear();
    if (req.context().remote.port() != 0) append_endpoint(p.remote, req.context().remote);
    p.host.assign(req[http::field::host]);
    if (client && p.host.empty()) {
        // An absolute target's authority.
        std::string_view target = req.target();
        if (auto scheme = target.find("://"); scheme != std::string_view::npos) {
            auto rest = target.substr(scheme + 3);
            p.host.assign(rest.substr(0, rest.find_first_of("/?")));
        }
    }
    collect_headers(s, req, true, p.headers);
}

std::int64_t request_size(request& req) {
    auto n = req.body().size();
    return n ? static_cast<std::int64_t>(*n) : -1;
}

std::string_view proto_of(unsigned version) { return version == 10 ? "HTTP/1.0" : "HTTP/1.1"; }

}  // namespace

void http_logger::exchange::log_request() {
    thread_local request_parts p;
    const auto now = at_;
    fill_request(l_, l_.req, req_, client_, p, now);
    emit(l_, l_.req,
         request_record{now, client_, std::string_view{id_, sizeof id_}, p.time, req_.method_string(), p.path, p.query,
                        p.host, p.remote, proto_of(req_.version()), request_size(req_), p.headers, false, {},
                        req_.context().ids});
}

task<error_code> http_logger::exchange::journal_request() {
    const side_config& s = l_.req;
    const std::optional<std::uint64_t> known = req_.body().size();
    const std::optional<std::int64_t> length =
        known ? std::optional<std::int64_t>{static_cast<std::int64_t>(*known)} : std::nullopt;
    const std::string mime = media_type(req_[http::field::content_type]);
    const journal_plan plan = plan_for(s, mime, length, std::string_view{id_, sizeof id_}, client_ ? ".cli.req.bin" : ".svr.req.bin");
    std::string body;
    if (plan.kind == journal_plan::capture) {
        // Read ahead up to the limit; the rest of the chain reads it again, then the rest.
        const std::size_t limit = static_cast<std::size_t>(std::max<std::int64_t>(s.max_body, 0));
        std::string head;
        bool complete = false;
        for (;;) {
            auto piece = co_await req_.body().next();
            if (!piece) co_return piece.error();
            if (piece->size() == 0) {
                complete = true;
                break;
            }
            head.append(static_cast<const char*>(piece->data()), piece->size());
            if (head.size() >= limit) break;
        }
        if (complete) body = body_for_log(s, mime, head, false);
        original_ = &req_.body();
        replay_ = std::make_unique<replay_body>(std::move(head), complete ? nullptr : original_, known);
        req_.set_body(replay_.get());
    } else if (plan.kind == journal_plan::file && l_.body_files) {
        original_ = &req_.body();
        auto r = std::make_unique<replay_body>(std::string{}, original_, known);
        r->tee_to(*l_.body_files, s.body_dir + plan.file_name);
        replay_ = std::move(r);
        req_.set_body(replay_.get());
        body = plan.file_name;
    }
    thread_local request_parts p;
    const auto now = system_clock::now();
    fill_request(l_, s, req_, client_, p, now);
    emit(l_, s,
         request_record{now, client_, std::string_view{id_, sizeof id_}, p.time, req_.method_string(), p.path, p.query,
                        p.host, p.remote, proto_of(req_.version()), length ? *length : -1, p.headers, true, body,
                        req_.context().ids});
    co_return error_code{};
}

response http_logger::exchange::journal_error(error_code ec) const {
    // AILERON answers a request body it could not read for the journal with E2050.
    return l_.errors->make(req_, http_error{.status = http::status::internal_server_error, .code = "E2050",
                                           .kind = "CoreLogger", .message = "http logging error: " + ec.message()});
}

void http_logger::exchange::log_response(response& res) {
    const side_config& s = l_.res;
    thread_local std::string time;
    time.clear();
    const auto now = system_clock::now();
    l_.format_time(time, now);
    const std::int64_t duration = duration_cast<microseconds>(steady_clock::now() - start_).count();
    std::optional<std::int64_t> size = content_length(res);
    body_source* stream = res.stream();
    if (!size) {
        if (stream) {
            if (auto n = stream->size()) size = static_cast<std::int64_t>(*n);
        } else {
            size = static_cast<std::int64_t>(res.body().size());
        }
    }
    journal_plan plan;
    std::string mime;
    bool compressed = false;
    if (l_.journal) {
        mime = media_type(res[http::field::content_type]);
        compressed = is_compressed(res[http::field::content_encoding]);
        plan = plan_for(s, mime, size, std::string_view{id_, sizeof id_}, ".svr.res.bin");
    }
    if (stream && (!size || plan.kind != journal_plan::none)) {
        // The record waits for the end of the body: the size is known then, and the body.
        logged_body::pending p{&l_, false, {}, time, duration, res.result_int(), size, {}, std::move(plan),
                               std::move(mime), compressed};
        std::memcpy(p.id, id_, sizeof id_);
        p.ids = req_.context().ids;
        collect_headers(s, res, false, p.headers);
        res.set_stream(std::make_unique<logged_body>(res.take_stream(), std::move(p)));
        return;
    }
    thread_local header_list headers;
    collect_headers(s, res, false, headers);
    std::string body;
    if (plan.kind == journal_plan::capture) {
        body = body_for_log(s, mime, res.body(), compressed);
    } else if (plan.kind == journal_plan::file && l_.body_files) {
        push_body_chunk(*l_.body_files, s.body_dir + plan.file_name, 3, res.body());
        body = plan.file_name;
    }
    emit(l_, s,
         response_record{now, false, std::string_view{id_, sizeof id_}, time, duration, res.result_int(), size ? *size : -1,
                         headers, l_.journal, body, req_.context().ids});
}

void http_logger::exchange::log_client_response(result<response>& res) {
    const side_config& s = l_.res;
    thread_local std::string time;
    time.clear();
    const auto now = system_clock::now();
    l_.format_time(time, now);
    const std::int64_t duration = duration_cast<microseconds>(steady_clock::now() - start_).count();
    thread_local header_list headers;
    headers.clear();
    if (!res) {
        emit(l_, s,
             response_record{now, true, std::string_view{id_, sizeof id_}, time, duration, 0, 0, headers, l_.journal,
                             {}, req_.context().ids});
        return;
    }
    response& r = *res;
    std::optional<std::int64_t> size = content_length(r);
    body_source* stream = r.stream();
    if (!size && stream)
        if (auto n = stream->size()) size = static_cast<std::int64_t>(*n);
    if (!size && !stream) size = static_cast<std::int64_t>(r.body().size());
    if (l_.journal) {
        logged_body::pending p{&l_, true, {}, time, duration, r.result_int(), size, {}, {}, {}, false};
        std::memcpy(p.id, id_, sizeof id_);
        p.ids = req_.context().ids;
        p.mime = media_type(r[http::field::content_type]);
        p.compressed = is_compressed(r[http::field::content_encoding]);
        p.plan = plan_for(s, p.mime, size, std::string_view{id_, sizeof id_}, ".cli.res.bin");
        if (stream && p.plan.kind != journal_plan::none) {
            collect_headers(s, r, false, p.headers);
            // AILERON reports the upstream's Content-Length (-1 unknown) for the client side.
            if (!size) p.size = -1;
            r.set_stream(std::make_unique<logged_body>(r.take_stream(), std::move(p)));
            return;
        }
    }
    collect_headers(s, r, false, headers);
    emit(l_, s,
         response_record{now, true, std::string_view{id_, sizeof id_}, time, duration, r.result_int(), size ? *size : -1,
                         headers, l_.journal, {}, req_.context().ids});
}

void http_logger::exchange::log_failure() {
    thread_local std::string time;
    time.clear();
    const auto now = system_clock::now();
    l_.format_time(time, now);
    const std::int64_t duration = duration_cast<microseconds>(steady_clock::now() - start_).count();
    static const header_list none;
    emit(l_, l_.res,
         response_record{now, client_, std::string_view{id_, sizeof id_}, time, duration, client_ ? 0u : 500u,
                         client_ ? 0 : -1, none, l_.journal, {}, req_.context().ids});
}

}  // namespace aileron
