#include <aileron/middlewares/authn/basic.hpp>

#include "load.hpp"

#include <aileron/log/logger.hpp>
#include <aileron/registry/registry.hpp>

#include <atomic>
#include <chrono>
#include <unordered_map>

namespace aileron::middlewares {

namespace {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

std::atomic<std::uint64_t> next_instance{1};

}  // namespace

struct basic_authn::user {
    std::string name;
    std::string secret;   // as stored: plain password or hash, decrypted
    std::string attrs;
};

struct basic_authn::state {
    std::string claims_key;
    bool keep = false;
    bool prefer_error = false;
    std::string challenge;
    authn::password_hasher hasher;
    std::unordered_map<std::string, user, string_hash, std::equal_to<>> users;
    /// HMAC-SHA256 under a random key: how worker threads remember verified passwords.
    std::unique_ptr<authn::message_digest> remember_mac;
    std::uint64_t id = next_instance.fetch_add(1, std::memory_order_relaxed);
};

//----------------------------------------------------------------------------------------------
// Verified passwords, per worker thread

namespace {

constexpr auto remember_for = std::chrono::minutes{5};

struct verified_entry {
    std::uint64_t instance = 0;
    const void* who = nullptr;
    authn::message_digest::buffer mac{};
    std::chrono::steady_clock::time_point until{};
};

/// Direct-mapped: a colliding user just evicts the entry (and pays one more hash). Only the
/// worker thread that owns it reads or writes it.
thread_local std::array<verified_entry, 256> verified;

verified_entry& slot(std::uint64_t instance, const void* who) {
    std::size_t h = std::hash<const void*>{}(who) ^ (instance * 0x9E3779B97F4A7C15ull);
    return verified[(h ^ (h >> 17)) % verified.size()];
}

}  // namespace

//----------------------------------------------------------------------------------------------

std::shared_ptr<const basic_authn::state> basic_authn::load(const config& cfg) {
    auto s = std::make_shared<state>();
    s->claims_key = cfg.claims_key;
    s->keep = cfg.keep_credentials;
    s->prefer_error = cfg.prefer_error;
    s->challenge = "Basic realm=" + authn::quote_http(cfg.realm) + ", charset=\"UTF-8\"";
    if (cfg.password_crypt) {
        try {
            s->hasher = authn::password_hasher{*cfg.password_crypt};
        } catch (const std::invalid_argument& e) {
            throw authn::load_error("passwordCrypt", e.what());
        }
    }
    auto key = authn::crypt_key(cfg.common_key_crypt_type, cfg.crypt_secret);
    auto creds = authn::load_users(cfg.env_provider, cfg.file_provider);
    if (key) authn::decrypt_secrets(creds, cfg.common_key_crypt_type, *key, "user");
    for (authn::credential& c : creds) {
        if (std::string problem = s->hasher.check_stored(c.secret); !problem.empty())
            throw authn::load_error(c.field, c.origin + ": the password of user \"" + c.name + "\" " + problem);
        s->users.emplace(c.name, user{c.name, std::move(c.secret), std::move(c.attrs)});
    }
    if (s->hasher.slow())
        s->remember_mac = std::make_unique<authn::message_digest>(authn::hash_alg::sha256, authn::random_key());
    return s;
}

void basic_authn::config::normalize(aileron::config::decoder& d) {
    try {
        loaded = basic_authn::load(*this);
    } catch (const authn::load_error& e) {
        d.error(e.field, e.what());
    }
}

namespace {

std::shared_ptr<const basic_authn::state> load_or_throw(const basic_authn::config& cfg,
                                                         std::shared_ptr<const basic_authn::state> (*load)(
                                                             const basic_authn::config&)) {
    try {
        return load(cfg);
    } catch (const authn::load_error& e) {
        throw std::invalid_argument(authn::describe(e));
    }
}

}  // namespace

basic_authn::basic_authn(const config& cfg) : s_(cfg.loaded ? cfg.loaded : load_or_throw(cfg, &basic_authn::load)) {}

basic_authn::basic_authn(const config& cfg, build_context& ctx) : basic_authn(cfg) {
    services_ = authn::services{cfg.logger, cfg.error_handler, ctx};
}

basic_authn::verdict basic_authn::check(request& req, attempt& a) const {
    std::optional<std::string_view> encoded = authn::strip_scheme(req[http::field::authorization], "Basic");
    if (!encoded) return verdict::fail;
    std::string_view text;
    if (encoded->size() <= a.buffer.size() / 3 * 4) {
        std::optional<std::size_t> n = authn::decode_base64(*encoded, a.buffer);
        if (!n) return verdict::fail;
        text = {a.buffer.data(), *n};
    } else {
        auto decoded = authn::decode(authn::encoding_type::base64, *encoded);
        if (!decoded) return verdict::fail;
        a.large = std::move(*decoded);
        text = a.large;
    }
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return verdict::fail;   // not credentials at all: ask for them
    a.had_credentials = true;
    a.name = text.substr(0, colon);
    a.password = text.substr(colon + 1);
    auto it = s_->users.find(a.name);
    if (it == s_->users.end()) return verdict::fail;
    a.who = &it->second;
    if (!s_->hasher.slow()) return crypto::equal(a.who->secret, a.password) ? verdict::pass : verdict::fail;
    // A hash: this worker may have verified the same password recently.
    verified_entry& e = slot(s_->id, a.who);
    if (e.instance != s_->id || e.who != a.who || std::chrono::steady_clock::now() > e.until) return verdict::verify;
    authn::message_digest::buffer mac;
    std::size_t n = s_->remember_mac->compute(a.password, mac);
    const std::string_view given{reinterpret_cast<const char*>(mac.data()), n},
        known{reinterpret_cast<const char*>(e.mac.data()), n};
    return crypto::equal(given, known) ? verdict::pass : verdict::verify;
}

task<basic_authn::verdict> basic_authn::verify(const attempt& a) const {
    using verification = authn::password_hasher::verification;
    const verification v = co_await s_->hasher.verify_off_loop(a.who->secret, std::string{a.password});
    if (v == verification::busy) co_return verdict::busy;
    if (v == verification::mismatch) co_return verdict::fail;
    // Back on the worker thread: remember the password there.
    verified_entry& e = slot(s_->id, a.who);
    e.instance = s_->id;
    e.who = a.who;
    s_->remember_mac->compute(a.password, e.mac);
    e.until = std::chrono::steady_clock::now() + remember_for;
    co_return verdict::pass;
}

response basic_authn::reject(request& req, const attempt& a, verdict v) const {
    if (v == verdict::busy) {
        const logger& log = services_.log(req);
        if (log.enabled(log_level::warn))
            log.warn(req.context().ids, "basic authentication: too many password verifications pending",
                     {{"user", a.name}});
        return services_.error(req, http_error{.status = http::status::service_unavailable,
                                               .message = "too many password verifications pending",
                                               .headers = {{"Retry-After", "1"}}});
    }
    if (a.had_credentials) {
        const logger& log = services_.log(req);
        if (log.enabled(log_level::debug))
            log.debug(req.context().ids, "basic authentication failed",
                      {{"user", a.name}, {"reason", a.who ? "wrong password" : "unknown user"}});
    }
    if (a.had_credentials && s_->prefer_error)
        return services_.error(req, http_error{.status = http::status::unauthorized,
                                               .code = "E3050",
                                               .kind = "AppAuthnAuthentication",
                                               .message = "invalid credentials",
                                               .headers = {{"WWW-Authenticate", s_->challenge}}});
    response res{http::status::unauthorized, req.version()};
    res.set(http::field::www_authenticate, s_->challenge);
    res.prepare_payload();
    return res;
}

void basic_authn::admit(request& req, const attempt& a) const {
    req.context().claims.push_back({s_->claims_key, "Basic", authn::unix_now(), a.who->name, a.who->attrs});
    if (!s_->keep) req.erase(http::field::authorization);
}

}  // namespace aileron::middlewares
