#include <aileron/middlewares/compression.hpp>

#include <boost/beast/core/string.hpp>

#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace aileron::middlewares {

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// The q-value of one `coding;q=0.5` element, or -1 when it is malformed.
double q_value(std::string_view params) noexcept {
    double q = 1.0;
    while (!params.empty()) {
        const std::size_t semi = params.find(';');
        std::string_view p = trim(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || trim(p.substr(1)).empty() || trim(p.substr(1))[0] != '=')
            continue;
        std::string_view v = trim(trim(p.substr(1)).substr(1));
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
        if (ec != std::errc{} || end != v.data() + v.size() || q < 0 || q > 1) return -1;
    }
    return q;
}

class gzip_compressor final : public detail::compressor {
public:
    explicit gzip_compressor(int level) {
        // windowBits 15 + 16: a gzip wrapper instead of zlib's.
        if (deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::runtime_error("deflateInit2 failed");
    }
    ~gzip_compressor() override { deflateEnd(&z_); }
    gzip_compressor(const gzip_compressor&) = delete;
    gzip_compressor& operator=(const gzip_compressor&) = delete;

    void write(std::string_view in, std::string& out, bool finish) override {
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
        const int flush = finish ? Z_FINISH : Z_SYNC_FLUSH;
        for (;;) {
            const std::size_t old = out.size();
            const std::size_t room = std::max<std::size_t>(deflateBound(&z_, z_.avail_in), 64);
            out.resize(old + room);
            z_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
            z_.avail_out = static_cast<uInt>(room);
            const int rc = deflate(&z_, flush);
            out.resize(old + (room - z_.avail_out));
            if (rc == Z_STREAM_ERROR) throw std::runtime_error("deflate failed");
            if (finish ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) break;
        }
    }

private:
    z_stream z_{};
};

class brotli_compressor final : public detail::compressor {
public:
    explicit brotli_compressor(int quality) : s_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)) {
        if (!s_) throw std::runtime_error("BrotliEncoderCreateInstance failed");
        BrotliEncoderSetParameter(s_, BROTLI_PARAM_QUALITY, static_cast<std::uint32_t>(quality));
    }
    ~brotli_compressor() override { BrotliEncoderDestroyInstance(s_); }
    brotli_compressor(const brotli_compressor&) = delete;
    brotli_compressor& operator=(const brotli_compressor&) = delete;

    void write(std::string_view in, std::string& out, bool finish) override {
        std::size_t avail_in = in.size();
        const std::uint8_t* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
        const BrotliEncoderOperation op = finish ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_FLUSH;
        for (;;) {
            std::size_t avail_out = 0;
            if (!BrotliEncoderCompressStream(s_, op, &avail_in, &next_in, &avail_out, nullptr, nullptr))
                throw std::runtime_error("brotli compression failed");
            std::size_t n = 0;
            const std::uint8_t* produced = BrotliEncoderTakeOutput(s_, &n);
            out.append(reinterpret_cast<const char*>(produced), n);
            if (avail_in == 0 && !BrotliEncoderHasMoreOutput(s_) && (finish ? BrotliEncoderIsFinished(s_) != 0 : true))
                break;
        }
    }

private:
    BrotliEncoderState* s_;
};

/// A streamed body, compressed piece by piece; every piece is flushed so it can be decoded
/// as soon as it arrives.
class compressed_body final : public body_source {
public:
    compressed_body(std::unique_ptr<response> original, std::unique_ptr<detail::compressor> c)
        : original_(std::move(original)), inner_(original_->stream()), c_(std::move(c)) {}

    task<result<asio::const_buffer>> next() override {
        while (!done_) {
            result<asio::const_buffer> piece = co_await inner_->next();
            if (!piece) co_return piece.error();
            out_.clear();
            const bool last = piece->size() == 0;
            c_->write({static_cast<const char*>(piece->data()), piece->size()}, out_, last);
            done_ = last;
            if (!out_.empty()) co_return asio::buffer(out_);
        }
        co_return asio::const_buffer{};
    }
    std::optional<std::uint64_t> size() const noexcept override { return std::nullopt; }
    bool buffered() const noexcept override { return inner_->buffered(); }

private:
    std::unique_ptr<response> original_;   // owns inner_
    body_source* inner_;
    std::unique_ptr<detail::compressor> c_;
    std::string out_;
    bool done_ = false;
};

}  // namespace

std::unique_ptr<detail::compressor> detail::make_compressor(content_coding coding, int level) {
    if (coding == content_coding::gzip) return std::make_unique<gzip_compressor>(level);
    if (coding == content_coding::br) return std::make_unique<brotli_compressor>(level);
    return nullptr;
}

content_coding choose_coding(const request& req) {
    double br = -1, gzip = -1, any = -1;   // -1: not listed
    auto [b, e] = req.equal_range(http::field::accept_encoding);
    for (auto it = b; it != e; ++it) {
        std::string_view list = it->value();
        while (!list.empty()) {
            const std::size_t comma = list.find(',');
            std::string_view element = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            const std::size_t semi = element.find(';');
            std::string_view name = trim(element.substr(0, semi));
            if (name.empty()) continue;
            const double q = semi == std::string_view::npos ? 1.0 : q_value(element.substr(semi + 1));
            if (q < 0) continue;   // malformed: ignored
            if (beast::iequals(name, "br")) br = std::max(br, q);
            else if (beast::iequals(name, "gzip") || beast::iequals(name, "x-gzip")) gzip = std::max(gzip, q);
            else if (name == "*") any = std::max(any, q);
        }
    }
    if (br < 0) br = any;
    if (gzip < 0) gzip = any;
    if (br > 0 && br >= gzip) return content_coding::br;
    if (gzip > 0) return content_coding::gzip;
    return content_coding::identity;
}

void compression::config::normalize(aileron::config::decoder& d) {
    if (gzip_level < 1 || gzip_level > 9) d.error("gzipLevel", "must be between 1 and 9");
    if (brotli_level < -1 || brotli_level > 11) d.error("brotliLevel", "must be between -1 and 11");
}

compression::compression(const config& cfg)
    : gzip_level_(std::clamp(cfg.gzip_level, 1, 9)),
      brotli_level_(std::clamp(cfg.brotli_level, 0, 11)),
      mimes_(cfg.target_mimes),
      minimum_(cfg.minimum_size) {
    if (mimes_.empty())
        mimes_ = {"application/json", "application/manifest+json", "application/graphql+json",
                  "text/html", "text/richtext", "text/plain", "text/css",
                  "text/xml", "application/xml", "application/xhtml+xml", "image/svg+xml",
                  "application/javascript", "text/javascript", "text/js"};
    for (auto& m : mimes_)
        std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
}

bool compression::targeted(const response& res) const {
    std::string_view type = res[http::field::content_type];
    type = trim(type.substr(0, type.find(';')));
    if (type.empty()) return false;
    return std::any_of(mimes_.begin(), mimes_.end(), [&](const std::string& m) { return beast::iequals(m, type); });
}

void compression::encode(response& res, content_coding coding, bool head_request) const {
    res.insert(http::field::vary, "Accept-Encoding");
    if (coding == content_coding::identity || head_request) return;
    const unsigned status = res.result_int();
    if (status < 200 || status == 204 || status == 206 || status == 304 || res.upgrade()) return;
    if (std::string_view ce = trim(res[http::field::content_encoding]); !ce.empty() && !beast::iequals(ce, "identity"))
        return;
    if (res.find(http::field::content_range) != res.end() || !targeted(res)) return;
    body_source* stream = res.stream();
    const std::optional<std::uint64_t> size = stream ? stream->size() : std::optional<std::uint64_t>{res.body().size()};
    if (size && minimum_ > 0 && *size < static_cast<std::uint64_t>(minimum_)) return;

    const int level = coding == content_coding::gzip ? gzip_level_ : brotli_level_;
    res.set(http::field::content_encoding, coding == content_coding::gzip ? "gzip" : "br");
    if (stream) {
        // A response cannot hand its stream over, so the compressed body keeps the whole
        // original response (whose stream it reads) and `res` gets a copy of its header.
        auto original = std::make_unique<response>(std::move(res));
        res = response{};
        static_cast<http::response_header<>&>(res) = static_cast<const http::response_header<>&>(*original);
        res.set_stream(std::make_unique<compressed_body>(std::move(original), detail::make_compressor(coding, level)));
        res.erase(http::field::content_length);
        return;
    }
    std::string out;
    detail::make_compressor(coding, level)->write(res.body(), out, true);
    res.body() = std::move(out);
    res.prepare_payload();
}

}  // namespace aileron::middlewares
