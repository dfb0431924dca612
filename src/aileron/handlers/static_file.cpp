#include <aileron/handlers/static_file.hpp>

#include <aileron/core/error.hpp>
#include <aileron/core/url.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <system_error>

namespace aileron::handlers {

namespace fs = std::filesystem;

namespace static_detail {

namespace {

/// Go's textproto.TrimString: spaces and tabs at both ends.
std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// A non-negative decimal integer, digits only (Go's ParseInt also takes a sign: a '-' is
/// caught by the callers, a '+' makes the range invalid here, which Go accepts; harmless).
std::optional<std::uint64_t> parse_uint(std::string_view s) noexcept {
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v > static_cast<std::uint64_t>(INT64_MAX))
        return std::nullopt;
    return v;
}

}  // namespace

range_result parse_range(std::string_view s, std::uint64_t size) {
    range_result out;
    if (s.empty()) return out;
    constexpr std::string_view prefix = "bytes=";
    if (!s.starts_with(prefix)) return {range_result::status::invalid, {}};
    s.remove_prefix(prefix.size());
    bool no_overlap = false;
    while (true) {
        auto comma = s.find(',');
        std::string_view ra = trim(s.substr(0, comma));
        if (!ra.empty()) {
            auto dash = ra.find('-');
            if (dash == std::string_view::npos) return {range_result::status::invalid, {}};
            std::string_view start = trim(ra.substr(0, dash)), end = trim(ra.substr(dash + 1));
            byte_range r;
            if (start.empty()) {
                // A suffix: the last `end` bytes.
                auto n = parse_uint(end);
                if (!n) return {range_result::status::invalid, {}};
                if (*n == 0) {   // RFC 9110 §14.1.3: a zero suffix cannot be satisfied
                    no_overlap = true;
                } else {
                    std::uint64_t len = std::min(*n, size);
                    if (len == 0) no_overlap = true;
                    else out.ranges.push_back({size - len, len});
                }
            } else {
                auto first = parse_uint(start);
                if (!first) return {range_result::status::invalid, {}};
                if (*first >= size) {
                    no_overlap = true;
                } else {
                    r.start = *first;
                    if (end.empty()) {
                        r.length = size - r.start;
                    } else {
                        auto last = parse_uint(end);
                        if (!last || *last < r.start) return {range_result::status::invalid, {}};
                        r.length = std::min(*last, size - 1) - r.start + 1;
                    }
                    out.ranges.push_back(r);
                }
            }
        }
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    if (no_overlap && out.ranges.empty()) out.state = range_result::status::unsatisfiable;
    return out;
}

std::string_view type_by_extension(std::string_view name) noexcept {
    // Go's built-in table first (mime.TypeByExtension), then common types Go finds in the
    // system's mime.types; the text types carry charset=utf-8 as Go's do.
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 46> table{{
        {".avif", "image/avif"},
        {".css", "text/css; charset=utf-8"},
        {".gif", "image/gif"},
        {".htm", "text/html; charset=utf-8"},
        {".html", "text/html; charset=utf-8"},
        {".jpeg", "image/jpeg"},
        {".jpg", "image/jpeg"},
        {".js", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".pdf", "application/pdf"},
        {".png", "image/png"},
        {".svg", "image/svg+xml"},
        {".wasm", "application/wasm"},
        {".webp", "image/webp"},
        {".xml", "text/xml; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
        {".text", "text/plain; charset=utf-8"},
        {".md", "text/markdown; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
        {".ico", "image/vnd.microsoft.icon"},
        {".bmp", "image/bmp"},
        {".tif", "image/tiff"},
        {".tiff", "image/tiff"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},
        {".otf", "font/otf"},
        {".mp3", "audio/mpeg"},
        {".ogg", "audio/ogg"},
        {".wav", "audio/wav"},
        {".mp4", "video/mp4"},
        {".webm", "video/webm"},
        {".zip", "application/zip"},
        {".gz", "application/gzip"},
        {".tar", "application/x-tar"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".xhtml", "application/xhtml+xml"},
        {".yaml", "application/yaml"},
        {".yml", "application/yaml"},
        {".toml", "application/toml"},
        {".rss", "application/rss+xml"},
        {".atom", "application/atom+xml"},
        {".jsonld", "application/ld+json"},
        {".apng", "image/apng"},
    }};
    // filepath.Ext: from the last dot of the last element.
    auto slash = name.rfind('/');
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos) return {};
    std::string_view ext = name.substr(dot);
    // Lower-cased once; no extension in the table is longer than 15 bytes.
    char lower[16];
    if (ext.size() > sizeof lower) return {};
    for (std::size_t i = 0; i < ext.size(); ++i) {
        char c = ext[i];
        lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const std::string_view key{lower, ext.size()};
    for (auto& [e, type] : table)
        if (e == key) return type;
    return {};
}

std::optional<std::int64_t> parse_http_date(std::string_view s) noexcept {
    // Go's http.ParseTime: TimeFormat, RFC 850, ANSI C asctime.
    static constexpr const char* formats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                              "%a %b %e %H:%M:%S %Y"};
    if (s.size() > 64) return std::nullopt;
    char buf[65];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    for (const char* f : formats) {
        std::tm tm{};
        const char* end = ::strptime(buf, f, &tm);
        if (end && *end == '\0') return static_cast<std::int64_t>(::timegm(&tm));
    }
    return std::nullopt;
}

std::string format_http_date(std::int64_t seconds) {
    // By hand: strftime consults the locale, which costs more than the rest of a file answer.
    static constexpr std::string_view days = "SunMonTueWedThuFriSat";
    static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) return {};
    std::string out = "Sun, 00 Jan 0000 00:00:00 GMT";
    out.replace(0, 3, days.substr(static_cast<std::size_t>(tm.tm_wday) * 3, 3));
    auto two = [&](std::size_t at, int v) {
        out[at] = static_cast<char>('0' + v / 10);
        out[at + 1] = static_cast<char>('0' + v % 10);
    };
    two(5, tm.tm_mday);
    out.replace(8, 3, months.substr(static_cast<std::size_t>(tm.tm_mon) * 3, 3));
    const int year = tm.tm_year + 1900;
    two(12, year / 100);
    two(14, year % 100);
    two(17, tm.tm_hour);
    two(20, tm.tm_min);
    two(23, tm.tm_sec);
    return out;
}

}  // namespace static_detail

namespace {

using static_detail::byte_range;

constexpr std::string_view error_code_ = "E2140";
constexpr std::string_view error_kind = "CoreStaticServer";

/// An open file descriptor, closed with its last owner.
class unique_fd {
public:
    explicit unique_fd(int fd = -1) noexcept : fd_(fd) {}
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    ~unique_fd() { reset(); }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }
    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

private:
    int fd_;
};

/**
 * A file body: a list of segments, each either literal text (multipart framing) or a byte
 * range of the file, read with pread in pieces of at most `piece_size` bytes. The file is
 * read only as the server asks for pieces, so a slow client holds one piece, never the file.
 */
class file_source final : public body_source {
public:
    struct segment {
        std::string text;              ///< literal bytes, when `length` is 0
        std::uint64_t offset = 0;
        std::uint64_t length = 0;
    };

    file_source(unique_fd fd, std::vector<segment> segs) : fd_(std::move(fd)), segs_(std::move(segs)) {
        std::uint64_t largest = 0;
        for (auto& s : segs_) {
            total_ += s.length ? s.length : s.text.size();
            largest = std::max(largest, s.length);
        }
        buf_size_ = static_cast<std::size_t>(std::min<std::uint64_t>(largest, static_file::piece_size));
    }

    task<result<asio::const_buffer>> next() override { co_return read_next(); }
    std::optional<std::uint64_t> size() const noexcept override { return total_; }
    bool buffered() const noexcept override { return true; }   // local files: a read is at hand
    /// One range of the file (the whole of it, or a single Range), not yet read from.
    std::optional<file_region> file() const noexcept override {
        if (segs_.size() != 1 || segs_[0].length == 0 || i_ != 0 || done_ != 0) return std::nullopt;
        return file_region{fd_.get(), segs_[0].offset, segs_[0].length};
    }

private:
    result<asio::const_buffer> read_next() {
        while (i_ < segs_.size()) {
            segment& s = segs_[i_];
            if (s.length == 0) {
                ++i_;
                if (s.text.empty()) continue;
                return asio::buffer(s.text);
            }
            std::uint64_t left = s.length - done_;
            if (left == 0) {
                ++i_;
                done_ = 0;
                continue;
            }
            if (!buf_) buf_ = std::make_unique<char[]>(buf_size_);
            std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf_size_));
            ssize_t n;
            do n = ::pread(fd_.get(), buf_.get(), want, static_cast<off_t>(s.offset + done_));
            while (n < 0 && errno == EINTR);
            if (n < 0) return error_code{errno, boost::system::system_category()};
            // The file shrank under us: the promised length cannot be kept; break the body.
            if (n == 0) return error_code{EIO, boost::system::system_category()};
            done_ += static_cast<std::uint64_t>(n);
            return asio::const_buffer{buf_.get(), static_cast<std::size_t>(n)};
        }
        return asio::const_buffer{};
    }

    unique_fd fd_;
    std::vector<segment> segs_;
    std::size_t i_ = 0;
    std::uint64_t done_ = 0;
    std::uint64_t total_ = 0;
    std::size_t buf_size_ = 0;
    std::unique_ptr<char[]> buf_;
};

/// Go's path.Clean for a rooted path without ".." segments (those are rejected earlier).
std::string clean_rooted(std::string_view p) {
    std::string out = "/";
    std::size_t i = 0;
    while (i < p.size()) {
        std::size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        std::string_view seg = p.substr(i, j - i);
        if (!seg.empty() && seg != ".") {
            if (out.size() > 1) out += '/';
            out += seg;
        }
        i = j + 1;
    }
    return out;
}

/// Go's path.Base.
std::string_view base_name(std::string_view p) noexcept {
    while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    if (p == "/") return p;
    auto slash = p.rfind('/');
    return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

bool has_dot_dot_segment(std::string_view p) noexcept {
    std::size_t i = 0;
    while (i <= p.size()) {
        std::size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        if (p.substr(i, j - i) == "..") return true;
        i = j + 1;
    }
    return false;
}

/// Whether `p` (resolved) is `root` or below it.
bool within(const fs::path& root, const fs::path& p) noexcept {
    const std::string& r = root.native();
    const std::string& s = p.native();
    if (!s.starts_with(r)) return false;
    return s.size() == r.size() || r.back() == '/' || s[r.size()] == '/';
}

/// Whether openat2(2) is missing (an old kernel, or a sandbox that refuses it).
std::atomic<bool> no_openat2{false};

/// Resolves `p` (symbolic links followed) and opens it if it lies under `root`. Fifos,
/// devices and sockets are refused (opened non-blocking so a fifo cannot hang the worker).
/// `p` is `root` joined with a clean path (no `.` or `..` segments).
unique_fd open_beneath(const fs::path& root, const std::string& p, struct stat& st) {
    unique_fd fd;
    // The usual case first: no symbolic link on the way. Then `p` names the file it spells,
    // which lies under `root` (itself resolved at start), and one system call opens it.
    if (!no_openat2.load(std::memory_order_relaxed)) {
        open_how how{};
        how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
        how.resolve = RESOLVE_NO_SYMLINKS;
        long r = ::syscall(SYS_openat2, AT_FDCWD, p.c_str(), &how, sizeof how);
        if (r >= 0) fd.reset(static_cast<int>(r));
        else if (errno == ENOSYS || errno == EPERM) no_openat2.store(true, std::memory_order_relaxed);
        else if (errno != ELOOP) return fd;   // not there, not readable, a file on the way: 404
    }
    if (!fd) {
        // A symbolic link on the way: resolve it and check where it leads.
        std::error_code ec;
        fs::path resolved = fs::canonical(fs::path{p}, ec);
        if (ec || !within(root, resolved)) return unique_fd{};
        fd.reset(::open(resolved.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        if (!fd) return fd;
    }
    if (::fstat(fd.get(), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) return unique_fd{};
    return fd;
}

/// Go's scanETag: a syntactically valid entity tag at the start of `s`, and what follows.
std::pair<std::string_view, std::string_view> scan_etag(std::string_view s) noexcept {
    s = static_detail::trim(s);
    std::size_t start = s.starts_with("W/") ? 2 : 0;
    if (s.size() - start < 2 || s[start] != '"') return {};
    for (std::size_t i = start + 1; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '"') return {s.substr(0, i + 1), s.substr(i + 1)};
        if (!(c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80)) return {};
    }
    return {};
}

std::string_view strip_weak(std::string_view e) noexcept { return e.starts_with("W/") ? e.substr(2) : e; }

enum class cond { none, yes, no };

/// Whether any tag in the list `header` matches `etag` (`strong`: byte for byte and not
/// weak; else ignoring W/). `*` matches anything.
cond match_etags(std::string_view header, std::string_view etag, bool strong) {
    if (header.empty()) return cond::none;
    while (true) {
        header = static_detail::trim(header);
        if (header.empty()) break;
        if (header.front() == ',') {
            header.remove_prefix(1);
            continue;
        }
        if (header.front() == '*') return cond::yes;
        auto [tag, rest] = scan_etag(header);
        if (tag.empty()) break;
        if (strong ? (tag == etag && tag.front() == '"') : strip_weak(tag) == strip_weak(etag)) return cond::yes;
        header = rest;
    }
    return cond::no;
}

bool is_get_or_head(const request& req) noexcept {
    return req.method() == http::verb::get || req.method() == http::verb::head;
}

/// If-Modified-Since: `no` when the resource is not newer than the date (GET/HEAD only).
cond if_modified_since(const request& req, std::int64_t mtime) {
    if (!is_get_or_head(req)) return cond::none;
    auto h = req[http::field::if_modified_since];
    if (h.empty() || mtime <= 0) return cond::none;
    auto t = static_detail::parse_http_date(h);
    if (!t) return cond::none;
    return mtime <= *t ? cond::no : cond::yes;
}

/// Go's url.URL{Path: name}.String() for a listing link: escaped for a path, with "./" in
/// front of a first segment that holds a ':' (so it is not read as a scheme).
std::string link_for(std::string_view name) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    auto colon = name.find(':');
    if (colon != std::string_view::npos && name.substr(0, colon).find('/') == std::string_view::npos) out = "./";
    for (unsigned char c : name) {
        bool plain = std::isalnum(c) || std::string_view{"-_.~$&+,/:;=@"}.find(static_cast<char>(c)) != std::string_view::npos;
        if (plain) {
            if (c == '&') out += "&amp;";   // Go leaves it bare; escaped it is still the same link
            else out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

/// Go's htmlReplacer.
std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string random_boundary() {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(60, '0');
    for (std::size_t i = 0; i < out.size(); i += 16) {
        std::uint64_t v = gen();
        for (std::size_t k = i; k < std::min(out.size(), i + 16); ++k, v >>= 4) out[k] = hex[v & 0xf];
    }
    return out;
}

/// Go's DetectContentType reduced to its text test: no control bytes that text never holds
/// in the first 512 bytes means UTF-8 text, anything else is opaque bytes.
std::string_view sniff(int fd) {
    char buf[512];
    ssize_t n;
    do n = ::pread(fd, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) return "application/octet-stream";
    for (ssize_t i = 0; i < n; ++i) {
        auto c = static_cast<unsigned char>(buf[i]);
        if (c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f))
            return "application/octet-stream";
    }
    return "text/plain; charset=utf-8";
}

}  // namespace

//----------------------------------------------------------------------------------------------

static_file::static_file(const config& cfg)
    : routes(cfg.patterns, cfg.methods), strip_prefix_(cfg.strip_prefix),
      listing_(cfg.enable_listing), header_(cfg.header.begin(), cfg.header.end()) {
    std::error_code ec;
    fs::path root = cfg.root_dir.empty() ? fs::path{"./"} : fs::path{cfg.root_dir};
    root_ = fs::canonical(root, ec);
    // A root that does not exist (yet): every request is a 404 until it does and matches.
    if (ec) root_ = fs::weakly_canonical(fs::absolute(root, ec), ec);
    if (root_.native().size() > 1 && root_.native().back() == '/') root_ = root_.parent_path();
}

namespace {

/// What one request needs while it is being answered.
struct exchange {
    const static_file& h;
    const std::vector<std::pair<std::string, std::string>>& header;
    request& req;

    /// The configured headers and nosniff, on any response of the handler.
    void common(response& res, bool keep_existing) const {
        if (!keep_existing || res.find("X-Content-Type-Options") == res.end())
            res.set("X-Content-Type-Options", "nosniff");
        for (auto& [k, v] : header)
            if (!keep_existing || res.find(k) == res.end()) res.set(k, v);
    }

    response fail(http::status s, std::string message,
                  std::vector<std::pair<std::string, std::string>> extra = {}) const {
        http_error err{.status = s, .code = error_code_, .kind = error_kind, .message = std::move(message),
                       .headers = std::move(extra)};
        response res = error_response(req, err);
        common(res, true);   // the error handler's own Content-Type and body win
        return res;
    }

    /// Go's localRedirect: a relative Location, the query kept, no body.
    response redirect(std::string_view to, std::string_view query) const {
        response res{http::status::moved_permanently, req.version()};
        common(res, false);
        res.erase(http::field::content_type);
        std::string location{to};
        if (!query.empty()) (location += '?') += query;
        res.set(http::field::location, location);
        res.content_length(0);
        return res;
    }

    response not_modified(response& res) const {
        res.result(http::status::not_modified);
        res.erase(http::field::content_type);
        res.erase(http::field::content_length);
        res.erase(http::field::content_encoding);
        if (res.find(http::field::etag) != res.end()) res.erase(http::field::last_modified);
        res.body().clear();
        return std::move(res);
    }
};



/// A directory as Go's dirList writes it: names sorted, directories with a trailing slash,
/// each a link. Symbolic links that lead out of the root are left out.
response listing(const exchange& x, const fs::path& dir, const struct stat& st) {
    response res{http::status::ok, x.req.version()};
    x.common(res, false);
    const std::int64_t mtime = st.st_mtim.tv_sec;
    if (mtime > 0) res.set(http::field::last_modified, static_detail::format_http_date(mtime));
    if (if_modified_since(x.req, mtime) == cond::no) return x.not_modified(res);

    std::error_code ec;
    std::vector<std::pair<std::string, bool>> entries;
    for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec)) {
        std::error_code ec2;
        auto type = it->symlink_status(ec2).type();
        if (ec2) continue;
        if (type == fs::file_type::symlink) {
            fs::path target = fs::canonical(it->path(), ec2);
            if (ec2 || !within(x.h.root(), target)) continue;
        }
        entries.emplace_back(it->path().filename().string(), type == fs::file_type::directory);
    }
    if (ec) return x.fail(http::status::internal_server_error, "Error reading directory: " + ec.message());
    std::sort(entries.begin(), entries.end());

    std::string body = "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n";
    for (auto& [name, is_dir] : entries) {
        std::string n = is_dir ? name + "/" : name;
        body += "<a href=\"" + link_for(n) + "\">" + html_escape(n) + "</a>\n";
    }
    body += "</pre>\n";
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

/// A file, as Go's serveContent sends it: validators, preconditions, ranges, streamed body.
response content(const exchange& x, unique_fd fd, const struct stat& st, std::string_view file_name) {
    request& req = x.req;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const std::int64_t mtime = st.st_mtim.tv_sec;
    const auto mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                          static_cast<std::uint64_t>(st.st_mtim.tv_nsec);

    response res{http::status::ok, req.version()};
    x.common(res, false);
    // Strong: size and modification time in nanoseconds change with any ordinary write.
    char etag_buf[40];   // '"', 16 hex digits, '-', 16 hex digits, '"'
    char* e = etag_buf;
    *e++ = '"';
    e = std::to_chars(e, etag_buf + sizeof etag_buf, mtime_ns, 16).ptr;
    *e++ = '-';
    e = std::to_chars(e, etag_buf + sizeof etag_buf, size, 16).ptr;
    *e++ = '"';
    const std::string_view etag{etag_buf, static_cast<std::size_t>(e - etag_buf)};
    res.set(http::field::etag, etag);
    if (mtime > 0) res.set(http::field::last_modified, static_detail::format_http_date(mtime));

    // Preconditions in RFC 9110 §13.2.2 order, as Go's checkPreconditions.
    cond c = match_etags(req[http::field::if_match], etag, true);
    if (c == cond::none) {
        auto h = req[http::field::if_unmodified_since];
        if (!h.empty() && mtime > 0)
            if (auto t = static_detail::parse_http_date(h)) c = mtime <= *t ? cond::yes : cond::no;
    }
    if (c == cond::no)
        return x.fail(http::status::precondition_failed, "precondition failed",
                      {{"ETag", std::string{etag}}});
    switch (match_etags(req[http::field::if_none_match], etag, false)) {
    case cond::yes:
        if (is_get_or_head(req)) return x.not_modified(res);
        return x.fail(http::status::precondition_failed, "If-None-Match matched", {{"ETag", std::string{etag}}});
    case cond::none:
        if (if_modified_since(req, mtime) == cond::no) return x.not_modified(res);
        break;
    case cond::no: break;
    }

    std::string_view range_header = req[http::field::range];
    if (!range_header.empty() && is_get_or_head(req)) {
        // If-Range: an entity tag must match strongly, a date exactly (to the second).
        std::string_view ir = req[http::field::if_range];
        if (!ir.empty()) {
            auto [tag, rest] = scan_etag(ir);
            bool ok = !tag.empty() ? tag == etag : [&] {
                auto t = static_detail::parse_http_date(ir);
                return t && mtime > 0 && *t == mtime;
            }();
            if (!ok) range_header = {};
        }
    }

    // The file's type (static text, or the field `header` set: valid until the field is
    // replaced, which multipart does only after writing the parts' headers).
    std::string_view ctype;
    if (auto it = res.find(http::field::content_type); it != res.end()) {
        ctype = it->value();   // set by `header`: no detection
    } else {
        ctype = static_detail::type_by_extension(file_name);
        if (ctype.empty()) ctype = sniff(fd.get());
        res.set(http::field::content_type, ctype);
    }

    auto parsed = static_detail::parse_range(range_header, size);
    auto all = [&] { return "bytes */" + std::to_string(size); };
    if (parsed.state == static_detail::range_result::status::invalid)
        return x.fail(http::status::range_not_satisfiable, "invalid range", {{"Content-Range", all()}});
    if (parsed.state == static_detail::range_result::status::unsatisfiable && size > 0)
        return x.fail(http::status::range_not_satisfiable, "invalid range: failed to overlap",
                      {{"Content-Range", all()}});
    std::vector<byte_range>& ranges = parsed.ranges;
    std::uint64_t sum = 0;
    for (auto& r : ranges) sum += r.length;
    // More bytes than the file has (overlaps), or a flood of ranges: send the file instead.
    if (sum > size || ranges.size() > static_file::max_ranges) ranges.clear();

    auto content_range = [&](const byte_range& r) {
        return "bytes " + std::to_string(r.start) + "-" + std::to_string(r.start + r.length - 1) + "/" +
               std::to_string(size);
    };
    std::vector<file_source::segment> segs;
    if (ranges.size() == 1) {
        res.result(http::status::partial_content);
        res.set(http::field::content_range, content_range(ranges[0]));
        segs.push_back({{}, ranges[0].start, ranges[0].length});
    } else if (ranges.size() > 1) {
        // multipart/byteranges laid out as Go's mime/multipart writer does.
        res.result(http::status::partial_content);
        const std::string boundary = random_boundary();
        for (std::size_t i = 0; i < ranges.size(); ++i) {
            std::string head = i ? "\r\n--" : "--";
            head += boundary + "\r\nContent-Range: " + content_range(ranges[i]) + "\r\nContent-Type: " + std::string{ctype} +
                    "\r\n\r\n";
            segs.push_back({std::move(head), 0, 0});
            segs.push_back({{}, ranges[i].start, ranges[i].length});
        }
        segs.push_back({"\r\n--" + boundary + "--\r\n", 0, 0});
        res.set(http::field::content_type, "multipart/byteranges; boundary=" + boundary);
    } else {
        segs.push_back({{}, 0, size});
    }
    res.set(http::field::accept_ranges, "bytes");
    res.set_stream(std::make_unique<file_source>(std::move(fd), std::move(segs)));
    return res;
}

}  // namespace

task<response> static_file::operator()(request& req) const {
    exchange x{*this, header_, req};
    // Everything but the body is decided here, at once; the body streams from file_source.
    auto answer = [&]() -> response {
        if (methods().empty() && !is_get_or_head(req))
            return x.fail(http::status::method_not_allowed, "method not allowed", {{"Allow", "GET, HEAD"}});

        url::target_view parts = url::split_target(req.target());
        std::string path, error;
        if (!url::unescape(parts.path, false, path, error)) return x.fail(http::status::bad_request, error);
        if (path.find('\0') != std::string::npos) return x.fail(http::status::bad_request, "NUL byte in path");
        if (!strip_prefix_.empty()) {
            if (!path.starts_with(strip_prefix_)) return x.fail(http::status::not_found, "prefix not found");
            path.erase(0, strip_prefix_.size());
        }
        if (!path.starts_with('/')) path.insert(path.begin(), '/');
        // Decoded "..": a client trying to leave the root (or a malformed path). Rejected, not
        // cleaned away, so %2e%2e and %2f tricks never name something else than they show.
        if (has_dot_dot_segment(path)) return x.fail(http::status::bad_request, "invalid URL path");

        if (path.ends_with("/index.html")) return x.redirect("./", parts.query);

        const std::string name = clean_rooted(path);
        // root_ has no trailing slash (but is "/" itself for the file system's root).
        std::string full = root_.native().size() > 1 ? root_.native() : std::string{};
        if (name != "/") full += name;
        else if (full.empty()) full = "/";
        struct stat st {};
        unique_fd fd = open_beneath(root_, full, st);
        if (!fd) return x.fail(http::status::not_found, "not found: " + name);

        std::string_view file_name = base_name(name);
        if (S_ISDIR(st.st_mode)) {
            // AILERON: without listing a directory does not exist, index.html or not.
            if (!listing_) return x.fail(http::status::not_found, "directory: " + name);
            if (!path.ends_with('/')) {
                std::string to = url::escape_path(base_name(path));
                return x.redirect(to + "/", parts.query);
            }
            struct stat ist {};
            unique_fd index = open_beneath(root_, full + (full.ends_with('/') ? "index.html" : "/index.html"), ist);
            if (!index || !S_ISREG(ist.st_mode)) return listing(x, fs::path{full}, st);
            fd = std::move(index);
            st = ist;
            file_name = "index.html";
        } else if (path.ends_with('/')) {
            std::string base{base_name(path)};
            if (base == "/" || base == ".") base.clear();
            return x.redirect("../" + url::escape_path(base), parts.query);
        }
        return content(x, std::move(fd), st, file_name);
    };
    co_return answer();
}

}  // namespace aileron::handlers
