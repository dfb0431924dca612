#include <aileron/middlewares/session.hpp>

#include <aileron/core/encoding.hpp>
#include <aileron/core/error.hpp>

#include <zlib.h>

#include <algorithm>
#include <regex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace aileron::middlewares {

namespace {

/// Decompressed sessions larger than this are refused (a small cookie can inflate a lot).
constexpr std::size_t max_inflated = 1 << 20;

std::optional<std::string> gzip(std::string_view in) {
    z_stream zs{};
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return std::nullopt;
    return out;
}

std::optional<std::string> gunzip(std::string_view in) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return std::nullopt;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    std::string out;
    char buf[4096];
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
        if (out.size() > max_inflated) rc = Z_DATA_ERROR;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;   // truncated input
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || zs.avail_in != 0) return std::nullopt;
    return out;
}

struct problem {
    std::string field;
    std::string message;
};

/// Everything wrong with an encoder config (its keys decoded and sized).
std::vector<problem> encoder_problems(const session::secure_encoder_config& c) {
    std::vector<problem> out;
    if (!c.disable_hmac) {
        if (auto p = crypto::hmac_problem(c.hash_alg); !p.empty()) out.push_back({"hashAlg", std::string{p}});
        if (!c.hmac_secret.empty() && !encoding::base64_decode(c.hmac_secret))
            out.push_back({"hmacSecret", "not valid standard base64"});
    }
    if (!c.disable_encryption) {
        std::size_t key_size = 32;   // the default key: SHA-256 of the host name
        if (!c.crypt_secret.empty()) {
            auto key = encoding::base64_decode(c.crypt_secret);
            if (!key) out.push_back({"cryptSecret", "not valid standard base64"});
            key_size = key ? key->size() : 16;
        }
        if (c.common_key_crypt_type == common_key_crypt::unknown)
            out.push_back({"commonKeyCryptType", "CommonKeyCryptTypeUnknown is not a cipher"});
        else if (auto p = crypto::cipher_problem(c.common_key_crypt_type, key_size); !p.empty())
            out.push_back({"cryptSecret", std::string{p} + " (this one decodes to " + std::to_string(key_size) + ")"});
    }
    return out;
}

std::vector<problem> config_problems(const session::config& c) {
    std::vector<problem> out;
    if (!c.storage.empty())
        out.push_back({"storage", "not supported: sessions are kept in cookies; this build has no key-value "
                                  "store kind (such as RedisClient)"});
    if (!c.tracer.empty()) out.push_back({"tracer", "not supported: it traces key-value store calls, and sessions "
                                                    "are kept in cookies"});
    static const std::regex prefix_re{"^[0-9a-zA-Z_:-]*$"}, name_re{"^[0-9a-zA-Z_-]+$"};
    if (!std::regex_match(c.prefix, prefix_re)) out.push_back({"prefix", "must match ^[0-9a-zA-Z-_:]*$"});
    if (!std::regex_match(c.cookie_name, name_re)) out.push_back({"cookieName", "must match ^[0-9a-zA-Z-_]+$"});
    for (auto& p : encoder_problems(c.secure_encoder)) out.push_back({"secureEncoder." + p.field, p.message});
    return out;
}

/// The index i of a cookie named `<prefix>i` (digits only), or -1.
int chunk_index(std::string_view name, std::string_view prefix) noexcept {
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return -1;
    std::string_view digits = name.substr(prefix.size());
    if (digits.size() > 2) return -1;
    int i = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return -1;
        i = i * 10 + (c - '0');
    }
    return i;
}

}  // namespace

void session::secure_encoder_config::normalize(aileron::config::decoder& d) {
    for (auto& p : encoder_problems(*this)) d.error(p.field, p.message);
}

void session::config::normalize(aileron::config::decoder& d) {
    // The encoder's problems are reported by its own normalize.
    for (auto& p : config_problems(*this))
        if (!p.field.starts_with("secureEncoder.")) d.error(p.field, p.message);
}

session::session(const config& cfg) : name_(cfg.cookie_name), cookie_(cookie_attributes::from(cfg.cookie)) {
    if (auto problems = config_problems(cfg); !problems.empty())
        throw std::invalid_argument("SessionMiddleware: " + problems.front().field + ": " + problems.front().message);
    const secure_encoder_config& e = cfg.secure_encoder;
    if (!e.disable_hmac) {
        std::string key = e.hmac_secret.empty() ? crypto::host_name_digest(hash_alg::sha512)
                                                : *encoding::base64_decode(e.hmac_secret);
        hmac_.emplace(e.hash_alg, key);
    }
    if (!e.disable_encryption) {
        std::string key = e.crypt_secret.empty() ? crypto::host_name_digest(hash_alg::sha256)
                                                 : *encoding::base64_decode(e.crypt_secret);
        cipher_.emplace(e.common_key_crypt_type, std::move(key));
    }
    compress_ = e.enable_compression;
}

std::optional<std::string> session::encode(const session_data& data) const {
    std::string bytes = data.serialize();
    if (compress_) {
        auto z = gzip(bytes);
        if (!z) return std::nullopt;
        bytes = std::move(*z);
    }
    if (cipher_) {
        auto c = cipher_->encrypt(bytes);
        if (!c) return std::nullopt;
        bytes = std::move(*c);
    }
    if (hmac_) bytes += hmac_->sign(bytes);   // encrypt, then MAC
    return encoding::base64_encode(bytes);
}

bool session::decode(std::string_view value, session_data& out) const {
    auto raw = encoding::base64_decode(value);
    if (!raw) return false;
    std::string bytes = std::move(*raw);
    if (hmac_) {
        if (bytes.size() < hmac_->size()) return false;
        std::string_view all{bytes};
        std::size_t n = bytes.size() - hmac_->size();
        if (!hmac_->verify(all.substr(0, n), all.substr(n))) return false;
        bytes.resize(n);
    }
    if (cipher_) {
        auto p = cipher_->decrypt(bytes);
        if (!p) return false;
        bytes = std::move(*p);
    }
    if (compress_) {
        auto p = gunzip(bytes);
        if (!p) return false;
        bytes = std::move(*p);
    }
    return out.restore(bytes);
}

session::loaded session::load(const request& req, session_data& data) const {
    loaded state;
    std::string_view parts[64];
    std::size_t total = 0;   // every cookie sent, as Go bounds the indices by it
    auto [b, e] = req.equal_range(http::field::cookie);
    for (auto it = b; it != e; ++it) {
        cookie_reader r{it->value()};
        std::string_view n, v;
        while (r.next(n, v)) {
            ++total;
            int i = chunk_index(n, name_);
            if (i < 0 || i >= 64) continue;
            parts[i] = v;
            state.present |= std::uint64_t{1} << i;
        }
    }
    if (!state.present) return state;
    std::string joined;
    for (std::size_t i = 0; i < 64 && i < total; ++i) joined += parts[i];
    if (!decode(joined, data)) {
        data = session_data{};
        state.broken = true;
    }
    return state;
}

void session::delete_cookies(std::uint64_t present, std::size_t from, response& res) const {
    for (std::size_t i = from; i < 64; ++i)
        if (present & (std::uint64_t{1} << i))
            res.insert(http::field::set_cookie, cookie_.delete_cookie(name_ + std::to_string(i)));
}

void session::save(const request& req, const session_data& data, const loaded& state, response& res) const {
    if (data.destroyed()) return delete_cookies(state.present, 0, res);
    const bool write = data.updated() || (data.restored() && cookie_.has_expiry());
    if (!write) {
        if (state.broken) delete_cookies(state.present, 0, res);
        return;
    }
    std::optional<std::string> value = encode(data);
    if (!value) {
        res = error_response(req, http_error{.status = http::status::internal_server_error,
                                             .code = "E3212",
                                             .kind = "AppMiddleSession",
                                             .message = "session: cannot encrypt the session data"});
        return;
    }
    // As AILERON: m cookies of equal length, none longer than max_cookie_value.
    const std::size_t n = value->size();
    const std::size_t m = std::max<std::size_t>(1, (n + max_cookie_value - 1) / max_cookie_value);
    const std::size_t l = std::max<std::size_t>(1, (n + m - 1) / m);
    for (std::size_t i = 0; i < m; ++i)
        res.insert(http::field::set_cookie,
                   cookie_.set_cookie(name_ + std::to_string(i), std::string_view{*value}.substr(i * l, l)));
    delete_cookies(state.present, m, res);
}

}  // namespace aileron::middlewares
