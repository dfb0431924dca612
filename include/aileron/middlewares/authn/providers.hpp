#pragma once
/// @file
/// Where the authentication middleware get their users and keys: AILERON's env and file
/// providers (`BasicAuthnEnvProvider`, `...FileProvider` and their Digest, Key and IDKey twins).
///
/// - Env providers pair variables by number: `<usernamePrefix><N>` with `<passwordPrefix><N>`
///   (IDKey: `<idPrefix><N>` with `<keyPrefix><N>`), N an integer, so `_1` and `_001` pair.
///   A name without its secret (or the other way round) is skipped, as are empty values.
///   KeyAuthn takes every non-empty variable whose name starts with `keyPrefix`.
/// - File providers read `paths` line by line; blank lines and lines starting with `#` are
///   skipped. Basic, Digest: `user:password[:{json attributes}]`; IDKey: `id:key[:{json}]`;
///   Key: `key[:{json}]`.
/// - `encoding` decodes every secret (Base16, Base64, ...) at load.
/// Everything is read once, when the configuration is loaded.

#include <aileron/config/decode.hpp>
#include <aileron/middlewares/authn/secrets.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::middlewares::authn {

/// The env provider of user names and passwords; `Defaults` names the default prefixes.
template <class Defaults>
struct user_env_provider {
    std::string username_prefix{Defaults::username_prefix};
    std::string password_prefix{Defaults::password_prefix};
    encoding_type encoding = encoding_type::unknown;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("usernamePrefix", "UsernamePrefix", &user_env_provider::username_prefix),
                          field("passwordPrefix", "PasswordPrefix", &user_env_provider::password_prefix),
                          field("encoding", "Encoding", &user_env_provider::encoding)};
    }
};

struct basic_env_defaults {
    static constexpr std::string_view username_prefix = "GATEWAY_BASIC_USERNAME_";
    static constexpr std::string_view password_prefix = "GATEWAY_BASIC_PASSWORD_";
};
struct digest_env_defaults {
    static constexpr std::string_view username_prefix = "GATEWAY_DIGEST_USERNAME_";
    static constexpr std::string_view password_prefix = "GATEWAY_DIGEST_PASSWORD_";
};

/// KeyAuthnEnvProvider.
struct key_env_provider {
    std::string key_prefix = "GATEWAY_APIKEY_";
    encoding_type encoding = encoding_type::unknown;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("keyPrefix", "KeyPrefix", &key_env_provider::key_prefix),
                          field("encoding", "Encoding", &key_env_provider::encoding)};
    }
};

/// IDKeyAuthnEnvProvider.
struct idkey_env_provider {
    std::string key_prefix = "GATEWAY_APIKEY_KEY_";
    std::string id_prefix = "GATEWAY_APIKEY_ID_";
    encoding_type encoding = encoding_type::unknown;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("keyPrefix", "KeyPrefix", &idkey_env_provider::key_prefix),
                          field("idPrefix", "IDPrefix", &idkey_env_provider::id_prefix),
                          field("encoding", "Encoding", &idkey_env_provider::encoding)};
    }
};

/// Every kind's file provider.
struct file_provider {
    std::vector<std::string> paths;
    encoding_type encoding = encoding_type::unknown;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("paths", "Paths", &file_provider::paths),
                          field("encoding", "Encoding", &file_provider::encoding)};
    }
};

/// One user or key as a provider gives it.
struct credential {
    std::string name;     ///< user name or key ID; empty for KeyAuthn keys
    std::string secret;   ///< the password or key, decoded
    std::string attrs;    ///< the attributes as compact JSON (an object), or empty
    std::string origin;   ///< where it was read: "users.list:3" or "GATEWAY_BASIC_PASSWORD_1"
    std::string field;    ///< the provider's config field: "fileProvider.paths[0]" or "envProvider"
};

/// A problem loading credentials: `field` is the config field to blame ("fileProvider.paths[1]",
/// "envProvider"), relative to the middleware's spec.
struct load_error : std::invalid_argument {
    load_error(std::string field_path, const std::string& message)
        : std::invalid_argument(message), field(std::move(field_path)) {}
    std::string field;
};

/// How a file provider's lines are laid out.
enum class line_format {
    named,       ///< `name:secret[:{json}]` (Basic, Digest, IDKey); a line without ':' is an error
    key_only,    ///< `key[:{json}]` (Key)
};

/// `<name_prefix><N>` paired with `<secret_prefix><N>`. `what` ("user", "id") names entries
/// in errors. Throws load_error (field "envProvider") on duplicates and undecodable secrets.
std::vector<credential> load_env_pairs(std::string_view name_prefix, std::string_view secret_prefix,
                                       encoding_type enc, std::string_view what);
/// Every non-empty variable starting with `prefix`. Throws load_error on duplicates.
std::vector<credential> load_env_keys(std::string_view prefix, encoding_type enc);
/// The lines of every file in `paths`. Throws load_error (field "fileProvider.paths[i]") when a
/// file cannot be read or a line is malformed, a duplicate or undecodable.
std::vector<credential> load_files(const std::vector<std::string>& paths, encoding_type enc, line_format format,
                                   std::string_view what);

/// `text` as compact JSON when it is one JSON object (RFC 8259), else nothing.
std::optional<std::string> compact_json_object(std::string_view text);

}  // namespace aileron::middlewares::authn
