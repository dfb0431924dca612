#include <aileron/meters/prometheus_meter.hpp>

#include <aileron/core/url.hpp>

#include <boost/beast/http/field.hpp>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace aileron::meters {

namespace {

// Histogram bucket upper bounds, inclusive: 1 ms to 10 s (Prometheus' defaults with 1 ms and
// 2.5 ms added, since a gateway's own work is well under 5 ms).
constexpr std::array<std::uint64_t, 13> bounds_ns{
    1'000'000,   2'500'000,   5'000'000,     10'000'000,    25'000'000,    50'000'000,    100'000'000,
    250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
constexpr std::array<std::string_view, 13> bounds_text{"0.001", "0.0025", "0.005", "0.01", "0.025",
                                                       "0.05",  "0.1",    "0.25",  "0.5",  "1",
                                                       "2.5",   "5",      "10"};

// The `method` label of the histograms: standard methods, anything else is OTHER. In
// alphabetical order, the order series are written in.
constexpr std::array<std::string_view, 10> method_names{"CONNECT", "DELETE", "GET",  "HEAD", "OPTIONS",
                                                        "OTHER",   "PATCH",  "POST", "PUT",  "TRACE"};
constexpr unsigned other_method = 5;

unsigned method_index(std::string_view m) noexcept {
    for (unsigned i = 0; i < method_names.size(); ++i)
        if (i != other_method && m == method_names[i]) return i;
    return other_method;
}

// The `status_class` label of the histograms: "error" is a client request without a response.
constexpr std::array<std::string_view, 7> class_names{"1xx", "2xx", "3xx", "4xx", "5xx", "error", "other"};

unsigned class_index(unsigned code) noexcept {
    if (code == 0) return 5;
    if (code >= 100 && code < 600) return code / 100 - 1;
    return 6;
}

constexpr std::string_view overflow = "_overflow_";

/// Increments a value only the calling thread writes: a relaxed load and store, no locked
/// instruction. Readers (a scrape) see it with a relaxed load.
template <class T>
void bump(std::atomic<T>& a, T n) noexcept {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct label_set {
    std::string host;
    std::string path;
    std::string method;
    unsigned method_index = other_method;
};
struct label_view {
    std::string_view host, path, method;
};
label_view view(const label_set& l) noexcept { return {l.host, l.path, l.method}; }
label_view view(const label_view& l) noexcept { return l; }

struct label_hash {
    using is_transparent = void;
    template <class L>
    std::size_t operator()(const L& l) const noexcept {
        label_view v = view(l);
        std::hash<std::string_view> h;
        std::size_t x = h(v.host);
        x ^= h(v.path) + 0x9e3779b97f4a7c15ull + (x << 6) + (x >> 2);
        x ^= h(v.method) + 0x9e3779b97f4a7c15ull + (x << 6) + (x >> 2);
        return x;
    }
};
struct label_eq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
        label_view x = view(a), y = view(b);
        return x.host == y.host && x.path == y.path && x.method == y.method;
    }
};

struct series_key {
    const label_set* labels;
    unsigned code;
    friend bool operator==(const series_key&, const series_key&) = default;
};
struct series_hash {
    std::size_t operator()(const series_key& k) const noexcept {
        return std::hash<const void*>{}(k.labels) ^ (std::size_t{k.code} * 0x9e3779b97f4a7c15ull);
    }
};

struct histogram {
    std::array<std::atomic<std::uint64_t>, bounds_ns.size() + 1> buckets{};   // not cumulative
    std::atomic<std::uint64_t> sum_ns{0};

    void observe(std::uint64_t ns) noexcept {
        std::size_t i = 0;
        while (i < bounds_ns.size() && ns > bounds_ns[i]) ++i;
        bump(buckets[i], std::uint64_t{1});
        bump(sum_ns, ns);
    }
};

/// One direction (server or client) of one shard.
struct side {
    std::unordered_set<label_set, label_hash, label_eq> labels;   // nodes: addresses are stable
    std::unordered_map<series_key, std::atomic<std::uint64_t>, series_hash> counts;
    std::array<std::array<histogram, class_names.size()>, method_names.size()> durations{};
    std::atomic<std::int64_t> in_flight{0};
};

/// The counters of one thread. Only that thread writes them; it inserts into the containers
/// under `m`, which a scrape takes to read them. Lookups of known entries take no lock.
struct alignas(64) shard {
    std::mutex m;
    side server;
    side client;
    std::string scratch;   ///< a decoded path, reused
};

/// Which shard each meter uses on this thread, by meter id (ids are never reused, so the entry
/// of a destroyed meter never matches again).
struct tls_entry {
    std::uint64_t id;
    shard* s;
};
thread_local std::vector<tls_entry> tls_shards;
std::atomic<std::uint64_t> next_meter_id{1};

//----------------------------------------------------------------------------------------------
// Exposition

void append_number(std::string& out, std::uint64_t v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
void append_number(std::string& out, std::int64_t v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
void append_number(std::string& out, double v) {
    char buf[32];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

/// Length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence(std::string_view s) noexcept {
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char c = b(0);
    if (c < 0x80) return 1;
    std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4 || s.size() < n) return 0;
    for (std::size_t i = 1; i < n; ++i)
        if ((b(i) & 0xc0) != 0x80) return 0;
    if (n == 3 && c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (n == 3 && c == 0xed && b(1) >= 0xa0) return 0;  // surrogates
    if (n == 4 && c == 0xf0 && b(1) < 0x90) return 0;   // overlong
    if (n == 4 && c == 0xf4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return n;
}

/// A label value as the format requires it, UTF-8: a byte that is not part of valid UTF-8 is
/// written as %XX (a decoded path may hold any byte).
std::string valid_utf8(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        if (std::size_t n = utf8_sequence(s)) {
            out.append(s.substr(0, n));
            s.remove_prefix(n);
        } else {
            auto c = static_cast<unsigned char>(s[0]);
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
            s.remove_prefix(1);
        }
    }
    return out;
}

/// `name="value"` with the value escaped (backslash, double quote, line feed).
void append_label(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out += "=\"";
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    out += '"';
}

void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP ";
    out.append(name);
    out += ' ';
    out.append(help);   // our own texts: nothing to escape
    out += "\n# TYPE ";
    out.append(name);
    out += ' ';
    out.append(type);
    out += '\n';
}

struct merged_histogram {
    std::array<std::uint64_t, bounds_ns.size() + 1> buckets{};
    std::uint64_t sum_ns = 0;
};

/// One direction summed over the shards; label values already made valid UTF-8.
struct merged_side {
    /// code, host, method, path: the label names in order, as series are sorted.
    std::map<std::tuple<unsigned, std::string, std::string, std::string>, std::uint64_t> counts;
    std::array<std::array<merged_histogram, class_names.size()>, method_names.size()> durations{};
    std::int64_t in_flight = 0;

    void add(const side& s) {
        for (auto& [key, n] : s.counts)
            counts[{key.code, valid_utf8(key.labels->host), valid_utf8(key.labels->method),
                    valid_utf8(key.labels->path)}] += n.load(std::memory_order_relaxed);
        for (std::size_t m = 0; m < method_names.size(); ++m)
            for (std::size_t c = 0; c < class_names.size(); ++c) {
                const histogram& h = s.durations[m][c];
                merged_histogram& out = durations[m][c];
                for (std::size_t i = 0; i < h.buckets.size(); ++i)
                    out.buckets[i] += h.buckets[i].load(std::memory_order_relaxed);
                out.sum_ns += h.sum_ns.load(std::memory_order_relaxed);
            }
        in_flight += s.in_flight.load(std::memory_order_relaxed);
    }
};

void append_counters(std::string& out, std::string_view name, std::string_view help, const merged_side& s) {
    append_family(out, name, "counter", help);
    for (auto& [key, n] : s.counts) {
        auto& [code, host, method, path] = key;
        out.append(name);
        out += "{code=\"";
        append_number(out, std::uint64_t{code});
        out += "\",";
        append_label(out, "host", host);
        out += ',';
        append_label(out, "method", method);
        out += ',';
        append_label(out, "path", path);
        out += "} ";
        append_number(out, n);
        out += '\n';
    }
}

void append_histograms(std::string& out, std::string_view name, std::string_view help, const merged_side& s) {
    append_family(out, name, "histogram", help);
    for (std::size_t m = 0; m < method_names.size(); ++m)
        for (std::size_t c = 0; c < class_names.size(); ++c) {
            const merged_histogram& h = s.durations[m][c];
            std::uint64_t total = 0;
            for (auto n : h.buckets) total += n;
            if (total == 0) continue;
            std::string labels;
            append_label(labels, "method", method_names[m]);
            labels += ',';
            append_label(labels, "status_class", class_names[c]);
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < h.buckets.size(); ++i) {
                cumulative += h.buckets[i];
                out.append(name);
                out += "_bucket{";
                out += labels;
                out += ",le=\"";
                out.append(i < bounds_text.size() ? bounds_text[i] : std::string_view{"+Inf"});
                out += "\"} ";
                append_number(out, cumulative);
                out += '\n';
            }
            out.append(name);
            out += "_sum{";
            out += labels;
            out += "} ";
            append_number(out, static_cast<double>(h.sum_ns) / 1e9);
            out += '\n';
            out.append(name);
            out += "_count{";
            out += labels;
            out += "} ";
            append_number(out, total);   // the +Inf bucket, by construction
            out += '\n';
        }
}

template <class T>
void append_single(std::string& out, std::string_view name, std::string_view type, std::string_view help, T value) {
    append_family(out, name, type, help);
    out.append(name);
    out += ' ';
    append_number(out, value);
    out += '\n';
}

/// A limit as Go's process collector reports it: "unlimited" is the largest uint64.
double limit_value(rlim_t v) {
    return v == RLIM_INFINITY ? static_cast<double>(std::numeric_limits<std::uint64_t>::max())
                              : static_cast<double>(v);
}

/// Reads a small /proc file (procfs is in memory: no disk I/O).
std::optional<std::string> read_proc(const char* path) {
    std::FILE* f = std::fopen(path, "re");
    if (!f) return std::nullopt;
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    std::fclose(f);
    return out;
}

/// The process start as seconds since the epoch: boot time plus the start in clock ticks.
std::optional<double> process_start_time() {
    auto stat = read_proc("/proc/self/stat");
    auto sys = read_proc("/proc/stat");
    if (!stat || !sys) return std::nullopt;
    // Fields after the command name (which may hold spaces): state is field 3, starttime 22.
    auto close = stat->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view{*stat}.substr(close + 1);
    unsigned long long start_ticks = 0;
    for (int field = 3; field <= 22; ++field) {
        rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
        auto end = std::min(rest.find(' '), rest.size());
        if (field == 22) std::from_chars(rest.data(), rest.data() + end, start_ticks);
        rest.remove_prefix(end);
    }
    auto at = sys->find("\nbtime ");
    if (at == std::string::npos) return std::nullopt;
    unsigned long long btime = 0;
    std::string_view b = std::string_view{*sys}.substr(at + 7);
    if (std::from_chars(b.data(), b.data() + b.size(), btime).ec != std::errc{}) return std::nullopt;
    long ticks = ::sysconf(_SC_CLK_TCK);
    if (ticks <= 0) return std::nullopt;
    return static_cast<double>(btime) + static_cast<double>(start_ticks) / static_cast<double>(ticks);
}

void append_process(std::string& out, std::optional<double> start_time) {
    rusage ru{};
    if (::getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        append_single(out, "process_cpu_seconds_total", "counter", "User and system CPU time the process used, in seconds.", cpu);
    }
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0)
        append_single(out, "process_max_fds", "gauge", "Limit on the number of open file descriptors.",
                      limit_value(nofile.rlim_cur));
    if (DIR* d = ::opendir("/proc/self/fd")) {
        std::int64_t n = 0;
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
        append_single(out, "process_open_fds", "gauge", "Number of open file descriptors.", n - 1);   // less ours
    }
    if (auto statm = read_proc("/proc/self/statm")) {
        std::uint64_t size = 0, resident = 0;
        const char* p = statm->data();
        const char* e = p + statm->size();
        auto r1 = std::from_chars(p, e, size);
        auto r2 = r1.ec == std::errc{} && r1.ptr < e ? std::from_chars(r1.ptr + 1, e, resident) : r1;
        if (r2.ec == std::errc{}) {
            auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
            append_single(out, "process_resident_memory_bytes", "gauge", "Resident memory size, in bytes.", resident * page);
            append_single(out, "process_start_time_seconds", "gauge",
                          "Start time of the process since the Unix epoch, in seconds.", start_time.value_or(0.0));
            append_single(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size, in bytes.", size * page);
        }
    }
    rlimit as{};
    if (::getrlimit(RLIMIT_AS, &as) == 0)
        append_single(out, "process_virtual_memory_max_bytes", "gauge", "Limit on the virtual memory size, in bytes.",
                      limit_value(as.rlim_cur));
}

}  // namespace

//----------------------------------------------------------------------------------------------

class prometheus_meter::state {
public:
    explicit state(clock::time_point (*now)())
        : now_(now), id_(next_meter_id.fetch_add(1, std::memory_order_relaxed)), start_time_(process_start_time()) {}

    clock::time_point now() const { return now_(); }

    /// The labels of `req` in this thread's shard (added if new); counts it in flight.
    const label_set* begin(direction d, const request& req) {
        shard& s = local();
        side& sd = side_of(s, d);
        std::string_view target = req.target();
        std::string_view host;
        if (d == direction::client && (target.starts_with("http://") || target.starts_with("https://"))) {
            std::string_view rest = target.substr(target.find("//") + 2);
            host = rest.substr(0, rest.find_first_of("/?#"));
        } else {
            host = req[http::field::host];
        }
        // Go's URL.Path: decoded (a malformed escape, which Go would have refused, stays as is).
        std::string_view path = url::split_target(target).path;
        if (path.find('%') != std::string_view::npos) {
            std::string error;
            if (url::unescape(path, false, s.scratch, error)) path = s.scratch;
        }
        const label_view key{host, path, req.method_string()};
        const label_set* l = nullptr;
        if (auto it = sd.labels.find(key); it != sd.labels.end()) l = &*it;
        else if (key.host.size() <= max_label_bytes && key.path.size() <= max_label_bytes && reserve_series())
            l = insert(s, sd, key);
        else
            l = overflow_labels(s, sd, method_index(key.method));
        bump(sd.in_flight, std::int64_t{1});
        return l;
    }

    /// Ends what `begin` started, on whichever thread this runs.
    void end(direction d, const label_set* l, unsigned code, clock::duration elapsed) {
        shard& s = local();
        side& sd = side_of(s, d);
        bump(sd.in_flight, std::int64_t{-1});
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
        sd.durations[l->method_index][class_index(code)].observe(ns > 0 ? static_cast<std::uint64_t>(ns) : 0);
        if (auto it = sd.counts.find(series_key{l, code}); it != sd.counts.end()) {
            bump(it->second, std::uint64_t{1});
            return;
        }
        if (!reserve_series()) {
            l = overflow_labels(s, sd, l->method_index);
            if (auto it = sd.counts.find(series_key{l, code}); it != sd.counts.end()) {
                bump(it->second, std::uint64_t{1});
                return;
            }
        }
        std::lock_guard lock{s.m};
        sd.counts.try_emplace(series_key{l, code}, std::uint64_t{1});
    }

    void write(std::string& out, bool process) const {
        merged_side server, client;
        {
            std::lock_guard lock{shards_mutex_};
            for (auto& s : shards_) {
                std::lock_guard shard_lock{s->m};
                server.add(s->server);
                client.add(s->client);
            }
        }
        append_histograms(out, "http_client_request_duration_seconds",
                          "Time from sending a request upstream to receiving its response header, in seconds.", client);
        append_single(out, "http_client_requests_in_flight", "gauge",
                      "Requests sent upstream that are waiting for their response header.", client.in_flight);
        append_counters(out, "http_client_requests_total", "Total number of sent http requests", client);
        append_histograms(out, "http_request_duration_seconds",
                          "Time from reading a request header to having its response header, in seconds.", server);
        append_single(out, "http_requests_in_flight", "gauge", "Requests being handled.", server.in_flight);
        append_counters(out, "http_requests_total", "Total number of received http requests", server);
        if (process) append_process(out, start_time_);
        append_single(out, "promhttp_metric_handler_requests_in_flight", "gauge",
                      "Scrapes being served.", std::int64_t{scrapes_in_flight.load(std::memory_order_relaxed)});
        append_family(out, "promhttp_metric_handler_requests_total", "counter", "Total number of scrapes by HTTP status code.");
        static constexpr std::array<std::string_view, 3> codes{"200", "500", "503"};
        for (std::size_t i = 0; i < codes.size(); ++i) {
            out += "promhttp_metric_handler_requests_total{code=\"";
            out.append(codes[i]);
            out += "\"} ";
            append_number(out, scrapes[i].load(std::memory_order_relaxed));
            out += '\n';
        }
    }

    // Scrapes are rare: shared atomics are fine for them.
    std::atomic<int> scrapes_in_flight{0};
    std::array<std::atomic<std::uint64_t>, 3> scrapes{};   // by code: 200, 500, 503

private:
    static side& side_of(shard& s, direction d) noexcept { return d == direction::server ? s.server : s.client; }

    shard& local() {
        for (const tls_entry& e : tls_shards)
            if (e.id == id_) return *e.s;
        std::lock_guard lock{shards_mutex_};
        shards_.push_back(std::make_unique<shard>());
        tls_shards.push_back({id_, shards_.back().get()});
        return *shards_.back();
    }

    bool reserve_series() noexcept {
        if (series_.load(std::memory_order_relaxed) >= max_series) return false;
        series_.fetch_add(1, std::memory_order_relaxed);
        return true;
    }

    static const label_set* insert(shard& s, side& sd, const label_view& key) {
        std::lock_guard lock{s.m};
        label_set l{std::string{key.host}, std::string{key.path}, std::string{key.method}, method_index(key.method)};
        return &*sd.labels.insert(std::move(l)).first;
    }

    /// The label set that stands for every request beyond the limits (per method).
    static const label_set* overflow_labels(shard& s, side& sd, unsigned method) {
        const label_view key{overflow, overflow, method_names[method]};
        if (auto it = sd.labels.find(key); it != sd.labels.end()) return &*it;
        return insert(s, sd, key);
    }

    clock::time_point (*now_)();
    const std::uint64_t id_;
    const std::optional<double> start_time_;
    std::atomic<std::size_t> series_{0};
    mutable std::mutex shards_mutex_;
    std::vector<std::unique_ptr<shard>> shards_;
};

//----------------------------------------------------------------------------------------------

void prometheus_meter::config::normalize(aileron::config::decoder&) {
    if (patterns.empty()) patterns.emplace_back("/metrics");
}

prometheus_meter::prometheus_meter(const config& cfg, clock::time_point (*now)())
    : routes(cfg.patterns.empty() ? std::vector<std::string>{"/metrics"} : cfg.patterns, cfg.methods),
      state_(std::make_unique<state>(now)) {}

prometheus_meter::~prometheus_meter() = default;
prometheus_meter::prometheus_meter(prometheus_meter&&) noexcept = default;
prometheus_meter& prometheus_meter::operator=(prometheus_meter&&) noexcept = default;

std::string prometheus_meter::exposition(bool process) const {
    std::string out;
    out.reserve(8192);
    state_->write(out, process);
    return out;
}

task<response> prometheus_meter::operator()(request& req) const {
    state& st = *state_;
    st.scrapes_in_flight.fetch_add(1, std::memory_order_relaxed);
    struct leave {
        state& st;
        ~leave() { st.scrapes_in_flight.fetch_sub(1, std::memory_order_relaxed); }
    };
    response res{http::status::ok, req.version()};
    {
        leave l{st};
        try {
            res.body() = exposition(true);
        } catch (...) {
            st.scrapes[1].fetch_add(1, std::memory_order_relaxed);
            throw;
        }
    }
    st.scrapes[0].fetch_add(1, std::memory_order_relaxed);
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.prepare_payload();
    co_return res;
}

//----------------------------------------------------------------------------------------------

prometheus_meter::observation::observation(state& s, direction d, const request& req)
    : state_(&s), labels_(nullptr), start_(), dir_(d) {
    labels_ = s.begin(d, req);
    start_ = d == direction::server ? req.context().start : s.now();
}

prometheus_meter::observation::~observation() {
    if (!done_) finish(dir_ == direction::server ? 500 : 0);
}

void prometheus_meter::observation::finish(unsigned code) noexcept {
    if (done_) return;
    done_ = true;
    try {
        state_->end(dir_, static_cast<const label_set*>(labels_), code, state_->now() - start_);
    } catch (...) {
        // Out of memory for a new series: this request is not counted.
    }
}

}  // namespace aileron::meters
