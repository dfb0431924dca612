#pragma once
// Private to src/aileron/middlewares/authn: the load-time steps the four kinds share. Each
// throws authn::load_error naming the spec field to blame, so that a config's normalize()
// reports it at that field and a C++ caller gets "field: problem".

#include <aileron/middlewares/authn/providers.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aileron::middlewares::authn {

/// The AES key that `cryptSecret` encodes (nothing when it is empty).
std::optional<std::string> crypt_key(common_key_crypt type, const std::string& crypt_secret);

/// Decrypts every credential's secret in place.
void decrypt_secrets(std::vector<credential>& creds, common_key_crypt type, const std::string& key,
                     std::string_view what);

/// The HMAC key that `hmacSecret` encodes (nothing when it is empty); checks `hashAlg` goes with it.
std::optional<std::string> hmac_key(hash_alg alg, const std::string& hmac_secret);

/// The credentials of a Basic or Digest spec: the file provider if given, else the env provider
/// (its defaults when not given).
template <class EnvProvider>
std::vector<credential> load_users(const std::optional<EnvProvider>& env, const std::optional<file_provider>& file) {
    if (env && file) throw load_error("fileProvider", "only one of envProvider and fileProvider may be given");
    if (file) return load_files(file->paths, file->encoding, line_format::named, "user");
    EnvProvider e = env.value_or(EnvProvider{});
    return load_env_pairs(e.username_prefix, e.password_prefix, e.encoding, "user");
}

/// "fileProvider.paths[0]: users.list:3: ..." for exceptions thrown to C++ callers.
std::string describe(const load_error& e);

/// 32 random bytes: the key of a middleware's own HMACs (nonces, remembered passwords).
std::string random_key();

}  // namespace aileron::middlewares::authn
