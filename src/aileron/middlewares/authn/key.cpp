#include <aileron/middlewares/authn/key.hpp>

#include "load.hpp"

#include <aileron/log/logger.hpp>
#include <aileron/registry/registry.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace aileron::middlewares {

struct key_authn::state {
    using id_type = std::array<unsigned char, 32>;   // SHA-256 of the stored key
    struct entry {
        id_type id;
        std::string secret;
        std::string attrs;
        std::string origin;
    };
    std::string claims_key;
    bool keep = false;
    std::string header;
    std::unique_ptr<authn::message_digest> transform;   // hash or HMAC of a presented key; null: as is
    std::unique_ptr<authn::message_digest> index = std::make_unique<authn::message_digest>(authn::hash_alg::sha256);
    std::vector<entry> entries;                         // sorted by id

    id_type id_of(std::string_view secret) const {
        authn::message_digest::buffer b;
        index->compute(secret, b);
        id_type id;
        std::memcpy(id.data(), b.data(), id.size());
        return id;
    }
};

namespace {

/// The hash or HMAC a spec applies to presented keys, or null.
std::unique_ptr<authn::message_digest> key_transform(authn::hash_alg alg, const std::string& hmac_secret) {
    auto key = authn::hmac_key(alg, hmac_secret);
    if (alg == authn::hash_alg::unknown) return nullptr;
    try {
        return std::make_unique<authn::message_digest>(alg, key ? std::optional<std::string_view>{*key} : std::nullopt);
    } catch (const std::invalid_argument& e) {
        throw authn::load_error("hashAlg", e.what());
    }
}

}  // namespace

std::shared_ptr<const key_authn::state> key_authn::load(const config& cfg) {
    auto s = std::make_shared<state>();
    s->claims_key = cfg.claims_key;
    s->keep = cfg.keep_credentials;
    s->header = cfg.key_header_name;
    s->transform = key_transform(cfg.hash_alg, cfg.hmac_secret);
    if (cfg.env_provider && cfg.file_provider)
        throw authn::load_error("fileProvider", "only one of envProvider and fileProvider may be given");
    std::vector<authn::credential> creds;
    if (cfg.file_provider) {
        creds = authn::load_files(cfg.file_provider->paths, cfg.file_provider->encoding, authn::line_format::key_only,
                                  "key");
    } else {
        authn::key_env_provider env = cfg.env_provider.value_or(authn::key_env_provider{});
        creds = authn::load_env_keys(env.key_prefix, env.encoding);
    }
    for (authn::credential& c : creds) {
        if (s->transform && c.secret.size() != s->transform->size())
            throw authn::load_error(c.field, c.origin + ": the key is " + std::to_string(c.secret.size()) +
                                                 " bytes, but " + std::string{authn::hash_alg_name(cfg.hash_alg)} +
                                                 " gives " + std::to_string(s->transform->size()) +
                                                 " (is the provider's encoding set?)");
        s->entries.push_back({s->id_of(c.secret), std::move(c.secret), std::move(c.attrs), std::move(c.origin)});
    }
    std::sort(s->entries.begin(), s->entries.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (std::size_t i = 1; i < s->entries.size(); ++i)
        if (s->entries[i].id == s->entries[i - 1].id)
            throw authn::load_error(cfg.file_provider ? "fileProvider" : "envProvider",
                                    s->entries[i].origin + ": the same key as " + s->entries[i - 1].origin);
    return s;
}

void key_authn::config::normalize(aileron::config::decoder& d) {
    try {
        loaded = key_authn::load(*this);
    } catch (const authn::load_error& e) {
        d.error(e.field, e.what());
    }
}

key_authn::key_authn(const config& cfg) {
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

key_authn::key_authn(const config& cfg, build_context& ctx) : key_authn(cfg) {
    services_ = authn::services{cfg.logger, cfg.error_handler, ctx};
}

std::optional<response> key_authn::on_request(request& req) const {
    const state& s = *s_;
    auto forbidden = [&](std::string_view reason) {
        const logger& log = services_.log(req);
        if (log.enabled(log_level::debug))
            log.debug(req.context().ids, "api key authentication failed", {{"reason", reason}});
        return services_.error(req, http_error{.status = http::status::forbidden, .message = std::string{reason}});
    };
    std::string_view key = req[s.header];
    if (key.empty()) return forbidden("no api key");
    authn::message_digest::buffer buf;
    std::string_view given = key;
    if (s.transform) given = {reinterpret_cast<const char*>(buf.data()), s.transform->compute(key, buf)};
    const state::id_type id = s.id_of(given);
    auto it = std::lower_bound(s.entries.begin(), s.entries.end(), id,
                               [](const state::entry& e, const state::id_type& v) { return e.id < v; });
    if (it == s.entries.end() || it->id != id) return forbidden("non registered api key");
    if (!crypto::equal(it->secret, given)) return forbidden("invalid api key");
    req.context().claims.push_back({s.claims_key, "APIKey", authn::unix_now(), {}, it->attrs});
    if (!s.keep) req.erase(s.header);
    return std::nullopt;
}

}  // namespace aileron::middlewares
