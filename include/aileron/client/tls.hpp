#pragma once
/// @file
/// TLS to upstreams: the client side of AILERON's `kernel.TLSConfig` (an HTTPClient's
/// `httpTransportConfig.tlsConfig`) and the OpenSSL context the transport dials `https://`
/// upstreams with. Without a config, upstreams are verified against the system's roots
/// (Debian's ca-certificates), as Go's default transport does.

#include <aileron/config/decode.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::client {

/// AILERON's `kernel.TLSCipher`: IANA names, as Go's crypto/tls.
enum class tls_cipher : std::int32_t {
    rsa_rc4_128_sha, rsa_3des_ede_cbc_sha, rsa_aes_128_cbc_sha, rsa_aes_256_cbc_sha, rsa_aes_128_cbc_sha256,
    rsa_aes_128_gcm_sha256, rsa_aes_256_gcm_sha384, ecdhe_ecdsa_rc4_128_sha, ecdhe_ecdsa_aes_128_cbc_sha,
    ecdhe_ecdsa_aes_256_cbc_sha, ecdhe_rsa_rc4_128_sha, ecdhe_rsa_3des_ede_cbc_sha, ecdhe_rsa_aes_128_cbc_sha,
    ecdhe_rsa_aes_256_cbc_sha, ecdhe_ecdsa_aes_128_cbc_sha256, ecdhe_rsa_aes_128_cbc_sha256,
    ecdhe_rsa_aes_128_gcm_sha256, ecdhe_ecdsa_aes_128_gcm_sha256, ecdhe_rsa_aes_256_gcm_sha384,
    ecdhe_ecdsa_aes_256_gcm_sha384, ecdhe_rsa_chacha20_poly1305_sha256, ecdhe_ecdsa_chacha20_poly1305_sha256,
    tls13_aes_128_gcm_sha256, tls13_aes_256_gcm_sha384, tls13_chacha20_poly1305_sha256, fallback_scsv,
    ecdhe_rsa_chacha20_poly1305, ecdhe_ecdsa_chacha20_poly1305,
};

/// AILERON's `kernel.CurveID`.
enum class tls_curve : std::int32_t { p256, p384, p521, x25519 };

/// AILERON's `kernel.ClientAuthType` (server side only: rejected in a client's config).
enum class tls_client_auth : std::int32_t {
    no_client_cert, request_client_cert, require_any_client_cert, verify_client_cert_if_given,
    require_and_verify_client_cert,
};

/// AILERON's `kernel.RenegotiationSupport`.
enum class tls_renegotiation : std::int32_t { never, once_as_client, freely_as_client };

/// `certKeyPairs[]`: a PEM certificate chain and its private key.
struct cert_key_pair {
    std::string cert_file;
    std::string key_file;
    static constexpr auto fields() {
        return std::tuple{config::field("certFile", "CertFile", &cert_key_pair::cert_file),
                          config::field("keyFile", "KeyFile", &cert_key_pair::key_file)};
    }
};

/// `tlsConfig` as a client uses it. Every file is read and every setting is tried on a real
/// OpenSSL context by `normalize`, so a bad file or an impossible combination fails the load
/// at its field.
struct tls_config {
    std::vector<cert_key_pair> cert_key_pairs;   ///< client certificates (mutual TLS)
    std::vector<std::string> root_cas;           ///< PEM files; empty: the system's roots
    std::vector<std::string> next_protos;        ///< ALPN; only "http/1.1" can be spoken
    std::string server_name;                     ///< SNI and the name verified; empty: the upstream's host
    tls_client_auth client_auth = tls_client_auth::no_client_cert;
    std::vector<std::string> client_cas;
    bool insecure_skip_verify = false;
    std::vector<tls_cipher> ciphers;             ///< TLS 1.2 suites; empty: OpenSSL's defaults
    bool session_tickets_disabled = false;
    std::uint32_t min_version = 0;               ///< 0x0301..0x0304; 0: TLS 1.2 (Go's client default)
    std::uint32_t max_version = 0;               ///< 0: TLS 1.3
    std::vector<tls_curve> curve_preferences;
    bool dynamic_record_sizing_disabled = false;
    tls_renegotiation renegotiation = tls_renegotiation::never;

    static constexpr auto fields() {
        using c = tls_config;
        return std::tuple{config::field("certKeyPairs", "CertKeyPairs", &c::cert_key_pairs),
                          config::field("rootCAs", "RootCAs", &c::root_cas),
                          config::field("nextProtos", "NextProtos", &c::next_protos),
                          config::field("serverName", "ServerName", &c::server_name),
                          config::field("clientAuth", "ClientAuth", &c::client_auth),
                          config::field("clientCAs", "ClientCAs", &c::client_cas),
                          config::field("insecureSkipVerify", "InsecureSkipVerify", &c::insecure_skip_verify),
                          config::field("tlsCipher", "TLSCiphers", &c::ciphers),
                          config::field("sessionTicketsDisabled", "SessionTicketsDisabled", &c::session_tickets_disabled),
                          config::field("minVersion", "MinVersion", &c::min_version),
                          config::field("maxVersion", "MaxVersion", &c::max_version),
                          config::field("curvePreferences", "CurvePreferences", &c::curve_preferences),
                          config::field("dynamicRecordSizingDisabled", "DynamicRecordSizingDisabled",
                                        &c::dynamic_record_sizing_disabled),
                          config::field("renegotiation", "Renegotiation", &c::renegotiation)};
    }
    void normalize(config::decoder& d);
};

/// An OpenSSL client context built from a `tls_config`, shared by every worker thread (OpenSSL
/// contexts are safe to share once built). Opaque here: only the transport looks inside.
class tls_context;

/// Builds the context for `cfg`; throws std::runtime_error naming the field and the reason
/// (an unreadable file, a key that does not match its certificate, ...).
std::shared_ptr<const tls_context> make_tls_context(const tls_config& cfg);

/// The context used for `https://` upstreams when no tlsConfig is given: the system's roots,
/// verification on, TLS 1.2 at least. Built once, on first use.
std::shared_ptr<const tls_context> default_tls_context();

}  // namespace aileron::client

template <>
struct aileron::config::enum_traits<aileron::client::tls_cipher> {
    using c = aileron::client::tls_cipher;
    static constexpr std::array values{
        std::pair{std::string_view{"TLS_RSA_WITH_RC4_128_SHA"}, c::rsa_rc4_128_sha},
        std::pair{std::string_view{"TLS_RSA_WITH_3DES_EDE_CBC_SHA"}, c::rsa_3des_ede_cbc_sha},
        std::pair{std::string_view{"TLS_RSA_WITH_AES_128_CBC_SHA"}, c::rsa_aes_128_cbc_sha},
        std::pair{std::string_view{"TLS_RSA_WITH_AES_256_CBC_SHA"}, c::rsa_aes_256_cbc_sha},
        std::pair{std::string_view{"TLS_RSA_WITH_AES_128_CBC_SHA256"}, c::rsa_aes_128_cbc_sha256},
        std::pair{std::string_view{"TLS_RSA_WITH_AES_128_GCM_SHA256"}, c::rsa_aes_128_gcm_sha256},
        std::pair{std::string_view{"TLS_RSA_WITH_AES_256_GCM_SHA384"}, c::rsa_aes_256_gcm_sha384},
        std::pair{std::string_view{"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"}, c::ecdhe_ecdsa_rc4_128_sha},
        std::pair{std::string_view{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}, c::ecdhe_ecdsa_aes_128_cbc_sha},
        std::pair{std::string_view{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"}, c::ecdhe_ecdsa_aes_256_cbc_sha},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_RC4_128_SHA"}, c::ecdhe_rsa_rc4_128_sha},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"}, c::ecdhe_rsa_3des_ede_cbc_sha},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}, c::ecdhe_rsa_aes_128_cbc_sha},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"}, c::ecdhe_rsa_aes_256_cbc_sha},
        std::pair{std::string_view{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"}, c::ecdhe_ecdsa_aes_128_cbc_sha256},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"}, c::ecdhe_rsa_aes_128_cbc_sha256},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, c::ecdhe_rsa_aes_128_gcm_sha256},
        std::pair{std::string_view{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}, c::ecdhe_ecdsa_aes_128_gcm_sha256},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}, c::ecdhe_rsa_aes_256_gcm_sha384},
        std::pair{std::string_view{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}, c::ecdhe_ecdsa_aes_256_gcm_sha384},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}, c::ecdhe_rsa_chacha20_poly1305_sha256},
        std::pair{std::string_view{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
                  c::ecdhe_ecdsa_chacha20_poly1305_sha256},
        std::pair{std::string_view{"TLS_AES_128_GCM_SHA256"}, c::tls13_aes_128_gcm_sha256},
        std::pair{std::string_view{"TLS_AES_256_GCM_SHA384"}, c::tls13_aes_256_gcm_sha384},
        std::pair{std::string_view{"TLS_CHACHA20_POLY1305_SHA256"}, c::tls13_chacha20_poly1305_sha256},
        std::pair{std::string_view{"TLS_FALLBACK_SCSV"}, c::fallback_scsv},
        std::pair{std::string_view{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"}, c::ecdhe_rsa_chacha20_poly1305},
        std::pair{std::string_view{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"}, c::ecdhe_ecdsa_chacha20_poly1305},
    };
};

template <>
struct aileron::config::enum_traits<aileron::client::tls_curve> {
    using c = aileron::client::tls_curve;
    static constexpr std::array values{std::pair{std::string_view{"CurveP256"}, c::p256},
                                       std::pair{std::string_view{"CurveP384"}, c::p384},
                                       std::pair{std::string_view{"CurveP521"}, c::p521},
                                       std::pair{std::string_view{"X25519"}, c::x25519}};
};

template <>
struct aileron::config::enum_traits<aileron::client::tls_client_auth> {
    using c = aileron::client::tls_client_auth;
    static constexpr std::array values{
        std::pair{std::string_view{"NoClientCert"}, c::no_client_cert},
        std::pair{std::string_view{"RequestClientCert"}, c::request_client_cert},
        std::pair{std::string_view{"RequireAnyClientCert"}, c::require_any_client_cert},
        std::pair{std::string_view{"VerifyClientCertIfGiven"}, c::verify_client_cert_if_given},
        std::pair{std::string_view{"RequireAndVerifyClientCert"}, c::require_and_verify_client_cert}};
};

template <>
struct aileron::config::enum_traits<aileron::client::tls_renegotiation> {
    using c = aileron::client::tls_renegotiation;
    static constexpr std::array values{std::pair{std::string_view{"RenegotiateNever"}, c::never},
                                       std::pair{std::string_view{"RenegotiateOnceAsClient"}, c::once_as_client},
                                       std::pair{std::string_view{"RenegotiateFreelyAsClient"}, c::freely_as_client}};
};
