#include <aileron/middlewares/authn/idkey.hpp>

#include "load.hpp"

#include <aileron/log/logger.hpp>
#include <aileron/registry/registry.hpp>

#include <unordered_map>

namespace aileron::middlewares {

namespace {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace

struct idkey_authn::state {
    struct entry {
        std::string id;
        std::string secret;   // decrypted: the key, or its hash or HMAC
        std::string attrs;
    };
    std::string claims_key;
    bool keep = false;
    std::string key_header, id_header;
    std::unique_ptr<authn::message_digest> transform;   // hash or HMAC of a presented key; null: as is
    std::unordered_map<std::string, entry, string_hash, std::equal_to<>> entries;
};

std::shared_ptr<const idkey_authn::state> idkey_authn::load(const config& cfg) {
    auto s = std::make_shared<state>();
    s->claims_key = cfg.claims_key;
    s->keep = cfg.keep_credentials;
    s->key_header = cfg.key_header_name;
    s->id_header = cfg.id_header_name;
    auto hmac = authn::hmac_key(cfg.hash_alg, cfg.hmac_secret);
    if (cfg.hash_alg != authn::hash_alg::unknown) {
        try {
            s->transform = std::make_unique<authn::message_digest>(
                cfg.hash_alg, hmac ? std::optional<std::string_view>{*hmac} : std::nullopt);
        } catch (const std::invalid_argument& e) {
            throw authn::load_error("hashAlg", e.what());
        }
    }
    auto crypt = authn::crypt_key(cfg.common_key_crypt_type, cfg.crypt_secret);
    if (cfg.env_provider && cfg.file_provider)
        throw authn::load_error("fileProvider", "only one of envProvider and fileProvider may be given");
    std::vector<authn::credential> creds;
    if (cfg.file_provider) {
        creds = authn::load_files(cfg.file_provider->paths, cfg.file_provider->encoding, authn::line_format::named, "id");
    } else {
        authn::idkey_env_provider env = cfg.env_provider.value_or(authn::idkey_env_provider{});
        creds = authn::load_env_pairs(env.id_prefix, env.key_prefix, env.encoding, "id");
    }
    if (crypt) authn::decrypt_secrets(creds, cfg.common_key_crypt_type, *crypt, "id");
    for (authn::credential& c : creds) {
        if (s->transform && c.secret.size() != s->transform->size())
            throw authn::load_error(c.field, c.origin + ": the key of id \"" + c.name + "\" is " +
                                                 std::to_string(c.secret.size()) + " bytes, but " +
                                                 std::string{authn::hash_alg_name(cfg.hash_alg)} + " gives " +
                                                 std::to_string(s->transform->size()) +
                                                 " (is the provider's encoding set?)");
        s->entries.emplace(c.name, state::entry{c.name, std::move(c.secret), std::move(c.attrs)});
    }
    return s;
}

void idkey_authn::config::normalize(aileron::config::decoder& d) {
    try {
        loaded = idkey_authn::load(*this);
    } catch (const authn::load_error& e) {
        d.error(e.field, e.what());
    }
}

idkey_authn::idkey_authn(const config& cfg) {
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

idkey_authn::idkey_authn(const config& cfg, build_context& ctx) : idkey_authn(cfg) {
    services_ = authn::services{cfg.logger, cfg.error_handler, ctx};
}

std::optional<response> idkey_authn::on_request(request& req) const {
    const state& s = *s_;
    auto forbidden = [&](std::string_view reason) {
        const logger& log = services_.log(req);
        if (log.enabled(log_level::debug))
            log.debug(req.context().ids, "id and key authentication failed", {{"reason", reason}});
        return services_.error(req, http_error{.status = http::status::forbidden, .message = std::string{reason}});
    };
    std::string_view id = req[s.id_header];
    if (id.empty()) return forbidden("no api key id");
    std::string_view key = req[s.key_header];
    if (key.empty()) return forbidden("no api key");
    auto it = s.entries.find(id);
    if (it == s.entries.end()) return forbidden("non registered api key id");
    authn::message_digest::buffer buf;
    std::string_view given = key;
    if (s.transform) given = {reinterpret_cast<const char*>(buf.data()), s.transform->compute(key, buf)};
    if (!crypto::equal(it->second.secret, given)) return forbidden("invalid api key");
    req.context().claims.push_back({s.claims_key, "APIKey", authn::unix_now(), it->second.id, it->second.attrs});
    if (!s.keep) {
        req.erase(s.id_header);
        req.erase(s.key_header);
    }
    return std::nullopt;
}

}  // namespace aileron::middlewares
