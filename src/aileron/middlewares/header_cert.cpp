#include <aileron/middlewares/header_cert.hpp>

#include <aileron/core/crypto.hpp>
#include <aileron/core/encoding.hpp>
#include <aileron/core/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <stdexcept>
#include <utility>

namespace aileron::middlewares {

namespace {

struct bio_deleter {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct x509_deleter {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct store_ctx_deleter {
    void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
struct md_deleter {
    void operator()(EVP_MD* p) const noexcept { EVP_MD_free(p); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

/// Every certificate in a PEM text, in order.
std::vector<x509_ptr> read_certificates(std::string_view pem) {
    std::vector<x509_ptr> out;
    std::unique_ptr<BIO, bio_deleter> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
    if (!bio) return out;
    while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
    ERR_clear_error();   // the read that ended the loop left "no start line"
    return out;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (unsigned char c : s) {
        if (c <= 0x20 || c >= 0x7f) return false;
        if (std::string_view{"()<>@,;:\\\"/[]?={}"}.find(static_cast<char>(c)) != std::string_view::npos) return false;
    }
    return true;
}

/// Reads `path`; on failure returns the message.
std::optional<std::string> read_roots(const std::string& path, std::string& pem) {
    std::ifstream f{path, std::ios::binary};
    std::ostringstream ss;
    if (f) ss << f.rdbuf();
    if (!f || f.bad()) return "cannot read \"" + path + "\": " + std::strerror(errno);
    std::string text = std::move(ss).str();
    if (read_certificates(text).empty()) return "\"" + path + "\" holds no PEM certificate";
    pem += text;
    pem += '\n';
    return std::nullopt;
}

std::atomic<std::uint64_t> next_id{1};

/// A certificate this thread verified, remembered by its header value: verification depends only
/// on the certificate, the roots (fixed) and the time, so until the chain expires a client that
/// sends the same certificate again costs a lookup instead of a parse and a signature check.
struct verified_cert {
    std::string fingerprint;        ///< hex SHA-256 of the DER encoding
    std::time_t not_before = 0;     ///< the latest notBefore of the chain
    std::time_t not_after = 0;      ///< the earliest notAfter of the chain
};

/// Looks strings up by string_view, without a copy.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// What one worker thread keeps for one set of roots.
struct thread_roots {
    X509_STORE* store = nullptr;
    std::unordered_map<std::string, verified_cert, string_hash, std::equal_to<>> verified;   // ≤ max_cached
    ~thread_roots() { X509_STORE_free(store); }
};
constexpr std::size_t max_cached = 256;

/// This thread's roots, by the id of the configuration they were built from.
struct thread_stores {
    std::vector<std::pair<std::uint64_t, std::unique_ptr<thread_roots>>> entries;
};

std::time_t to_time(const ASN1_TIME* t) noexcept {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return timegm(&tm);
}

}  // namespace

struct header_cert::roots {
    std::string pem;
    std::uint64_t id = next_id.fetch_add(1, std::memory_order_relaxed);
    std::unique_ptr<EVP_MD, md_deleter> sha256{EVP_MD_fetch(nullptr, "SHA256", nullptr)};

    /// This thread's store of the root certificates (built on first use) and its cache.
    thread_roots& local() const {
        thread_local thread_stores stores;
        for (auto& [key, r] : stores.entries)
            if (key == id) return *r;
        auto r = std::make_unique<thread_roots>();
        r->store = X509_STORE_new();
        if (r->store) {
            for (auto& c : read_certificates(pem)) X509_STORE_add_cert(r->store, c.get());
            // Every configured certificate is a trust anchor, self-signed or not (as Go's root pool).
            X509_STORE_set_flags(r->store, X509_V_FLAG_PARTIAL_CHAIN);
        }
        stores.entries.emplace_back(id, std::move(r));
        return *stores.entries.back().second;
    }
};

void header_cert::config::normalize(aileron::config::decoder& d) {
    if (!is_token(cert_header)) d.error("certHeader", "not a valid header name");
    if (!fingerprint_header.empty() && !is_token(fingerprint_header))
        d.error("fingerprintHeader", "not a valid header name");
    if (root_cas.empty()) {
        d.error("rootCAs", "at least one root CA file is required");
        return;
    }
    roots_pem.clear();
    bool ok = true;
    for (std::size_t i = 0; i < root_cas.size(); ++i) {
        if (auto problem = read_roots(root_cas[i], roots_pem)) {
            d.error("rootCAs[" + std::to_string(i) + "]", *problem);
            ok = false;
        }
    }
    roots_loaded = ok;
}

header_cert::header_cert(const config& cfg)
    : cert_header_(cfg.cert_header), fingerprint_header_(cfg.fingerprint_header) {
    if (!is_token(cert_header_) || (!fingerprint_header_.empty() && !is_token(fingerprint_header_)))
        throw std::invalid_argument("HeaderCertMiddleware: invalid header name");
    auto r = std::make_shared<roots>();
    if (cfg.roots_loaded) {
        r->pem = cfg.roots_pem;
    } else {
        if (cfg.root_cas.empty()) throw std::invalid_argument("HeaderCertMiddleware: rootCAs: at least one root CA file is required");
        for (const auto& path : cfg.root_cas)
            if (auto problem = read_roots(path, r->pem)) throw std::invalid_argument("HeaderCertMiddleware: rootCAs: " + *problem);
    }
    if (!r->sha256) throw std::runtime_error("HeaderCertMiddleware: OpenSSL has no SHA256");
    roots_ = std::move(r);
}

namespace {

response invalid_cert(const request& req, std::string message) {
    return error_response(req, http_error{.status = http::status::bad_request,
                                          .code = "E3214",
                                          .kind = "AppMiddleInvalidCert",
                                          .message = std::move(message)});
}

}  // namespace

std::optional<response> header_cert::on_request(request& req) const {
    std::string_view header = req[cert_header_];
    if (header.empty()) return invalid_cert(req, "client certificate invalid or not found. cert not found");
    thread_roots& local = roots_->local();
    const std::time_t now = std::time(nullptr);
    const verified_cert* good = nullptr;
    if (auto hit = local.verified.find(header); hit != local.verified.end()) {
        if (now >= hit->second.not_before && now <= hit->second.not_after) good = &hit->second;
        else local.verified.erase(hit);
    }
    if (!good) {
        std::optional<std::string> pem = encoding::base64_decode(header, encoding::base64_alphabet::url);
        if (!pem) pem = encoding::base64_decode(header, encoding::base64_alphabet::standard);
        if (!pem) return invalid_cert(req, "client certificate invalid or not found. base64 decode failed");
        if (pem->find("-----BEGIN ") == std::string::npos)
            return invalid_cert(req, "client certificate invalid or not found. pem not found");
        std::unique_ptr<BIO, bio_deleter> bio{BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()))};
        x509_ptr cert{bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr};
        if (!cert) {
            ERR_clear_error();
            return invalid_cert(req, "client certificate invalid or not found. x509 parse failed");
        }
        std::unique_ptr<X509_STORE_CTX, store_ctx_deleter> ctx{X509_STORE_CTX_new()};
        int verified = 0;
        if (local.store && ctx && X509_STORE_CTX_init(ctx.get(), local.store, cert.get(), nullptr) == 1 &&
            X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT) == 1)
            verified = X509_verify_cert(ctx.get());
        if (verified != 1) {
            const int err = ctx ? X509_STORE_CTX_get_error(ctx.get()) : X509_V_ERR_UNSPECIFIED;
            ERR_clear_error();
            return error_response(req, http_error{.status = http::status::unauthorized,
                                                  .message = std::string{"client certificate not verified: "} +
                                                             X509_verify_cert_error_string(err)});
        }
        verified_cert v;
        v.not_after = std::numeric_limits<std::time_t>::max();
        STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
        for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
            X509* c = sk_X509_value(chain, i);
            v.not_before = std::max(v.not_before, to_time(X509_get0_notBefore(c)));
            v.not_after = std::min(v.not_after, to_time(X509_get0_notAfter(c)));
        }
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (X509_digest(cert.get(), roots_->sha256.get(), md, &n) != 1) {
            ERR_clear_error();
            n = 0;
        }
        v.fingerprint = encoding::hex_encode(std::string_view{reinterpret_cast<const char*>(md), n});
        if (local.verified.size() >= max_cached) local.verified.clear();
        good = &local.verified.insert_or_assign(std::string{header}, std::move(v)).first->second;
    }

    if (!fingerprint_header_.empty()) {
        std::string sent{req[fingerprint_header_]};
        std::transform(sent.begin(), sent.end(), sent.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (good->fingerprint.empty() || !crypto::equal(sent, good->fingerprint))
            return error_response(req, http_error{.status = http::status::unauthorized,
                                                  .code = "E3215",
                                                  .kind = "AppMiddleInvalidFingerprint",
                                                  .message = "fingerprint invalid."});
    }
    return std::nullopt;
}

}  // namespace aileron::middlewares
