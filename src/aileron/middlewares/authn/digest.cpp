#include <aileron/middlewares/authn/digest.hpp>

#include "load.hpp"

#include <aileron/log/logger.hpp>
#include <aileron/registry/registry.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <unordered_map>

namespace aileron::middlewares {

namespace {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct md_deleter {
    void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};

constexpr std::int64_t nonce_lifetime = 300;   // seconds
constexpr std::size_t nonce_time = 8, nonce_random = 16, nonce_mac = 24;
constexpr std::size_t nonce_bytes = nonce_time + nonce_random + nonce_mac;   // 48: 64 base64 characters
constexpr std::size_t nonce_chars = nonce_bytes / 3 * 4;

/// Lower-case hex of a digest; 128 characters hold SHA-512-256 and anything smaller.
using hex_buffer = std::array<char, 2 * EVP_MAX_MD_SIZE>;

/// This thread's digest context: hashing on a request takes no lock and, after the first, no
/// allocation.
thread_local struct md_context {
    EVP_MD_CTX* ctx = nullptr;
    ~md_context() { EVP_MD_CTX_free(ctx); }
} tls_md;

/// H(parts[0] ":" parts[1] ":" ...) in lower-case hex.
std::string_view hash_hex(const EVP_MD* md, std::initializer_list<std::string_view> parts, hex_buffer& out) {
    EVP_MD_CTX*& c = tls_md.ctx;
    if (!c && !(c = EVP_MD_CTX_new())) throw std::runtime_error("OpenSSL: cannot make a digest context");
    bool ok = EVP_DigestInit_ex2(c, md, nullptr) == 1;
    bool first = true;
    for (std::string_view p : parts) {
        if (!first) ok = ok && EVP_DigestUpdate(c, ":", 1) == 1;
        first = false;
        ok = ok && EVP_DigestUpdate(c, p.data(), p.size()) == 1;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    ok = ok && EVP_DigestFinal_ex(c, digest, &n) == 1;
    if (!ok) throw std::runtime_error("OpenSSL: digest failed");
    constexpr char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    return {out.data(), 2 * std::size_t{n}};
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool is_tchar(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

/// The auth-params of a Digest credential (RFC 7616 §3.4).
struct digest_params {
    std::string_view username, realm, nonce, uri, response, algorithm, cnonce, nc, qop, userhash;
    bool username_star = false;
};

/**
 * Parses `#auth-param` (RFC 9110 §11.2): `name = (token / quoted-string)`, comma separated.
 * Quoted values with escapes are unescaped into `scratch`, which is reserved up front so views
 * into it stay valid. False on a syntax error or a repeated parameter.
 */
bool parse_params(std::string_view s, digest_params& p, std::string& scratch) {
    std::size_t i = 0;
    auto ows = [&] {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    };
    for (;;) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
        if (i == s.size()) return true;
        std::size_t start = i;
        while (i < s.size() && is_tchar(s[i])) ++i;
        std::string_view name = s.substr(start, i - start);
        if (name.empty()) return false;
        ows();
        if (i == s.size() || s[i] != '=') return false;
        ++i;
        ows();
        std::string_view value;
        if (i < s.size() && s[i] == '"') {
            ++i;
            start = i;
            bool escaped = false;
            while (i < s.size() && s[i] != '"') {
                if (s[i] == '\\') {
                    escaped = true;
                    ++i;
                }
                ++i;
            }
            if (i >= s.size()) return false;   // no closing quote
            value = s.substr(start, i - start);
            ++i;
            if (escaped) {
                if (scratch.capacity() < s.size()) {
                    if (!scratch.empty()) return false;   // cannot happen: reserved once, up front
                    scratch.reserve(s.size());
                }
                std::size_t from = scratch.size();
                for (std::size_t k = 0; k < value.size(); ++k) {
                    if (value[k] == '\\') ++k;
                    scratch.push_back(value[k]);
                }
                value = std::string_view{scratch}.substr(from);
            }
        } else {
            start = i;
            while (i < s.size() && is_tchar(s[i])) ++i;
            value = s.substr(start, i - start);
        }
        ows();
        if (i < s.size() && s[i] != ',') return false;

        std::string_view* slot = nullptr;
        if (iequals(name, "username")) slot = &p.username;
        else if (iequals(name, "realm")) slot = &p.realm;
        else if (iequals(name, "nonce")) slot = &p.nonce;
        else if (iequals(name, "uri")) slot = &p.uri;
        else if (iequals(name, "response")) slot = &p.response;
        else if (iequals(name, "algorithm")) slot = &p.algorithm;
        else if (iequals(name, "cnonce")) slot = &p.cnonce;
        else if (iequals(name, "nc")) slot = &p.nc;
        else if (iequals(name, "qop")) slot = &p.qop;
        else if (iequals(name, "userhash")) slot = &p.userhash;
        else if (iequals(name, "username*")) p.username_star = true;
        if (slot) {
            if (slot->data() != nullptr) return false;   // given twice
            *slot = value.data() ? value : std::string_view{"", 0};
        }
    }
}

bool all_hex(std::string_view s) noexcept {
    for (char c : s)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

const char* openssl_name(std::string_view algorithm) noexcept {
    if (algorithm == "MD5") return "MD5";
    if (algorithm == "SHA-256") return "SHA256";
    if (algorithm == "SHA-512-256") return "SHA512-256";
    return nullptr;
}

}  // namespace

struct digest_authn::state {
    struct user {
        std::string name;
        std::string ha1;   // H(name:realm:password), lower-case hex
        std::string attrs;
    };
    std::string claims_key;
    bool keep = false;
    std::string realm;
    std::string algorithm;
    std::unique_ptr<EVP_MD, md_deleter> md;
    std::unordered_map<std::string, user, string_hash, std::equal_to<>> users;
    std::unique_ptr<authn::message_digest> nonce_key;   // HMAC-SHA256 under a random key
    std::string challenge_head;                         // up to the nonce's opening quote
};

std::shared_ptr<const digest_authn::state> digest_authn::load(const config& cfg) {
    if (cfg.password_crypt)
        throw authn::load_error("passwordCrypt", "cannot be used with Digest authentication: a digest response can only "
                                                 "be checked against the password itself, not a hash of it");
    const char* md_name = openssl_name(cfg.algorithm);
    if (!md_name) throw authn::load_error("algorithm", "must be MD5, SHA-256 or SHA-512-256");
    auto s = std::make_shared<state>();
    s->claims_key = cfg.claims_key;
    s->keep = cfg.keep_credentials;
    s->realm = cfg.realm;
    s->algorithm = cfg.algorithm;
    s->md.reset(EVP_MD_fetch(nullptr, md_name, nullptr));
    if (!s->md) throw authn::load_error("algorithm", std::string{"OpenSSL does not provide "} + md_name);
    s->challenge_head = "Digest realm=" + authn::quote_http(cfg.realm) + ", qop=\"auth\", algorithm=" + cfg.algorithm +
                        ", nonce=\"";
    s->nonce_key = std::make_unique<authn::message_digest>(authn::hash_alg::sha256, authn::random_key());

    auto key = authn::crypt_key(cfg.common_key_crypt_type, cfg.crypt_secret);
    auto creds = authn::load_users(cfg.env_provider, cfg.file_provider);
    if (key) authn::decrypt_secrets(creds, cfg.common_key_crypt_type, *key, "user");
    for (authn::credential& c : creds) {
        hex_buffer hex;
        std::string ha1{hash_hex(s->md.get(), {c.name, cfg.realm, c.secret}, hex)};
        std::fill(c.secret.begin(), c.secret.end(), '\0');
        s->users.emplace(c.name, state::user{c.name, std::move(ha1), std::move(c.attrs)});
    }
    return s;
}

void digest_authn::config::normalize(aileron::config::decoder& d) {
    try {
        loaded = digest_authn::load(*this);
    } catch (const authn::load_error& e) {
        d.error(e.field, e.what());
    }
}

digest_authn::digest_authn(const config& cfg) {
    if (cfg.loaded) {
        s_ = cfg.loaded;
        return;
    }
    try {
        s_ = load(cfg);
    } catch (const authn::load_error& e) {
        throw std::invalid_argument(authn::describe(e));
    }
}

digest_authn::digest_authn(const config& cfg, build_context& ctx) : digest_authn(cfg) {
    services_ = authn::services{cfg.logger, cfg.error_handler, ctx};
}

//----------------------------------------------------------------------------------------------
// Nonces: base64(issue time (8 bytes, big endian) || 16 random bytes || HMAC-SHA256(first 24)[0:24])

namespace {

void nonce_tag(const authn::message_digest& key, const unsigned char* head, unsigned char* tag) {
    authn::message_digest::buffer mac;
    key.compute({reinterpret_cast<const char*>(head), nonce_time + nonce_random}, mac);
    std::memcpy(tag, mac.data(), nonce_mac);
}

enum class nonce_state { invalid, fresh, expired };

nonce_state check_nonce(const authn::message_digest& key, std::string_view nonce, std::int64_t now) {
    if (nonce.size() != nonce_chars) return nonce_state::invalid;
    std::array<char, nonce_bytes> raw;
    auto n = authn::decode_base64(nonce, raw);
    if (!n || *n != nonce_bytes) return nonce_state::invalid;
    const auto* b = reinterpret_cast<const unsigned char*>(raw.data());
    unsigned char tag[nonce_mac];
    nonce_tag(key, b, tag);
    if (!crypto::equal({reinterpret_cast<const char*>(tag), nonce_mac},
                              {raw.data() + nonce_time + nonce_random, nonce_mac}))
        return nonce_state::invalid;
    std::uint64_t issued = 0;
    for (std::size_t i = 0; i < nonce_time; ++i) issued = issued << 8 | b[i];
    const std::int64_t age = now - static_cast<std::int64_t>(issued);
    return age >= -5 && age <= nonce_lifetime ? nonce_state::fresh : nonce_state::expired;
}

}  // namespace

std::string digest_authn::make_nonce() const { return make_nonce(authn::unix_now()); }

std::string digest_authn::make_nonce(std::int64_t issued) const {
    unsigned char raw[nonce_bytes];
    const auto now = static_cast<std::uint64_t>(issued);
    for (std::size_t i = 0; i < nonce_time; ++i) raw[i] = static_cast<unsigned char>(now >> (8 * (nonce_time - 1 - i)));
    if (RAND_bytes(raw + nonce_time, nonce_random) != 1) throw std::runtime_error("OpenSSL's random generator failed");
    nonce_tag(*s_->nonce_key, raw, raw + nonce_time + nonce_random);
    std::string out(nonce_chars + 1, '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), raw, static_cast<int>(nonce_bytes));
    out.resize(nonce_chars);
    return out;
}

response digest_authn::challenge(const request& req, bool stale) const {
    response res{http::status::unauthorized, req.version()};
    std::string value = s_->challenge_head;
    value += make_nonce();
    value += "\", charset=UTF-8";
    if (stale) value += ", stale=true";
    res.set(http::field::www_authenticate, value);
    res.prepare_payload();
    return res;
}

std::optional<response> digest_authn::on_request(request& req) const {
    const state& s = *s_;
    std::optional<std::string_view> rest = authn::strip_scheme(req[http::field::authorization], "Digest");
    if (!rest) return challenge(req, false);
    auto fail = [&](std::string_view reason) {
        const logger& log = services_.log(req);
        if (log.enabled(log_level::debug))
            log.debug(req.context().ids, "digest authentication failed", {{"reason", reason}});
        return challenge(req, false);
    };
    digest_params p;
    std::string scratch;
    if (!parse_params(*rest, p, scratch)) return fail("malformed credentials");
    if (p.username.empty() || p.nonce.empty() || p.uri.empty() || p.response.empty() || p.cnonce.empty())
        return fail("a parameter is missing");
    if (p.username_star || iequals(p.userhash, "true")) return fail("hashed or extended user names are not supported");
    if (p.realm != s.realm) return fail("another realm");
    if (p.algorithm.empty() ? s.algorithm != "MD5" : !iequals(p.algorithm, s.algorithm))
        return fail("another algorithm");
    if (!iequals(p.qop, "auth")) return fail("qop is not auth");
    if (p.nc.size() != 8 || !all_hex(p.nc)) return fail("bad nonce count");
    // RFC 7616 §3.4.6: the digest covers `uri`; it must be this request's target.
    if (p.uri != req.target())
        return services_.error(req, http_error{.status = http::status::bad_request,
                                               .message = "the digest uri is not the request target"});
    auto it = s.users.find(p.username);
    if (it == s.users.end()) return fail("unknown user");
    const nonce_state ns = check_nonce(*s.nonce_key, p.nonce, authn::unix_now());
    if (ns == nonce_state::invalid) return fail("a nonce this middleware did not issue");

    hex_buffer ha2_buf, expected_buf;
    std::string_view ha2 = hash_hex(s.md.get(), {req.method_string(), p.uri}, ha2_buf);
    std::string_view expected =
        hash_hex(s.md.get(), {it->second.ha1, p.nonce, p.nc, p.cnonce, p.qop, ha2}, expected_buf);
    // Hex digits may come in either case: compare lower-cased, in constant time.
    hex_buffer given_buf;
    if (p.response.size() != expected.size()) return fail("wrong response");
    for (std::size_t i = 0; i < p.response.size(); ++i) {
        char c = p.response[i];
        given_buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (!crypto::equal({given_buf.data(), expected.size()}, expected)) return fail("wrong response");
    if (ns == nonce_state::expired) return challenge(req, true);   // right password, old nonce

    req.context().claims.push_back({s.claims_key, "Digest", authn::unix_now(), it->second.name, it->second.attrs});
    if (!s.keep) req.erase(http::field::authorization);
    return std::nullopt;
}

}  // namespace aileron::middlewares
