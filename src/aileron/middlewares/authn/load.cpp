#include "load.hpp"

#include <aileron/core/crypto.hpp>

namespace aileron::middlewares::authn {

std::optional<std::string> crypt_key(common_key_crypt type, const std::string& crypt_secret) {
    if (crypt_secret.empty()) return std::nullopt;
    auto key = decode(encoding_type::base64, crypt_secret);
    if (!key) throw load_error("cryptSecret", "is not valid base64 (standard alphabet, padded)");
    if (key->size() != 16 && key->size() != 24 && key->size() != 32)
        throw load_error("cryptSecret", "must decode to 16, 24 or 32 bytes (AES-128, -192, -256), not " +
                                            std::to_string(key->size()));
    if (type == common_key_crypt::unknown)
        throw load_error("commonKeyCryptType", "is required with cryptSecret: AESGCM, AESCBC, AESCFB, AESCTR or AESOFB");
    return key;
}

void decrypt_secrets(std::vector<credential>& creds, common_key_crypt type, const std::string& key,
                     std::string_view what) {
    const crypto::cipher cipher{type, key};
    for (credential& c : creds) {
        auto plain = cipher.decrypt(c.secret);
        if (!plain) {
            std::string who = c.name.empty() ? std::string{"the key"}
                                             : "the secret of " + std::string{what} + " \"" + c.name + "\"";
            throw load_error(c.field, c.origin + ": cannot decrypt " + who +
                                          " (wrong key or type, truncated, bad padding or altered)");
        }
        c.secret = std::move(*plain);
    }
}

std::optional<std::string> hmac_key(hash_alg alg, const std::string& hmac_secret) {
    if (hmac_secret.empty()) return std::nullopt;
    auto key = decode(encoding_type::base64, hmac_secret);
    if (!key) throw load_error("hmacSecret", "is not valid base64 (standard alphabet, padded)");
    if (alg == hash_alg::unknown) throw load_error("hashAlg", "is required with hmacSecret");
    return key;
}

std::string describe(const load_error& e) { return e.field + ": " + e.what(); }

std::string random_key() {
    auto key = crypto::random_bytes(32);
    if (!key) throw std::runtime_error("OpenSSL's random generator failed");
    return std::move(*key);
}

}  // namespace aileron::middlewares::authn
