#include <aileron/client/tls.hpp>

#include "tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <stdexcept>

namespace aileron::client {

namespace {

/// A problem with one field of a tlsConfig, for `normalize` to report at that field.
struct tls_problem : std::runtime_error {
    tls_problem(std::string field, const std::string& message)
        : std::runtime_error(field + ": " + message), field(std::move(field)), message(message) {}
    std::string field;
    std::string message;
};

/// OpenSSL's queued errors as one line (and the queue emptied).
std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? std::string{"unknown OpenSSL error"} : out;
}

std::string_view cipher_name(tls_cipher c) {
    for (auto& [name, value] : config::enum_traits<tls_cipher>::values)
        if (value == c) return name;
    return {};
}

bool tls13_suite(tls_cipher c) {
    return c == tls_cipher::tls13_aes_128_gcm_sha256 || c == tls_cipher::tls13_aes_256_gcm_sha384 ||
           c == tls_cipher::tls13_chacha20_poly1305_sha256;
}

int protocol_version(std::uint32_t v, const char* field) {
    switch (v) {
    case 0x0301: return TLS1_VERSION;
    case 0x0302: return TLS1_1_VERSION;
    case 0x0303: return TLS1_2_VERSION;
    case 0x0304: return TLS1_3_VERSION;
    }
    throw tls_problem(field, "must be 0 or a TLS version: 769 (0x0301, TLS 1.0), 770, 771 or 772 (0x0304, TLS 1.3)");
}

std::shared_ptr<tls_context> build(const tls_config& cfg) {
    ERR_clear_error();
    auto t = std::make_shared<tls_context>();
    SSL_CTX* c = t->ctx.native_handle();
    t->server_name = cfg.server_name;
    t->verify = !cfg.insecure_skip_verify;

    if (cfg.client_auth != tls_client_auth::no_client_cert)
        throw tls_problem("clientAuth", "a server setting: it has no meaning for a client, leave it unset");
    if (!cfg.client_cas.empty())
        throw tls_problem("clientCAs", "a server setting: it has no meaning for a client, leave it unset");
    if (cfg.renegotiation != tls_renegotiation::never)
        throw tls_problem("renegotiation", "renegotiation with upstreams is not supported by aileron");

    const int min = cfg.min_version ? protocol_version(cfg.min_version, "minVersion") : TLS1_2_VERSION;
    const int max = cfg.max_version ? protocol_version(cfg.max_version, "maxVersion") : TLS1_3_VERSION;
    if (min > max) throw tls_problem("minVersion", "is above maxVersion");
    SSL_CTX_set_min_proto_version(c, min);
    SSL_CTX_set_max_proto_version(c, max);
    if (min < TLS1_2_VERSION) SSL_CTX_set_security_level(c, 0);   // OpenSSL 3 refuses TLS 1.0/1.1 at level 1+

    if (cfg.root_cas.empty()) {
        if (SSL_CTX_set_default_verify_paths(c) != 1) throw tls_problem("rootCAs", "system roots: " + openssl_errors());
    } else {
        for (std::size_t i = 0; i < cfg.root_cas.size(); ++i)
            if (SSL_CTX_load_verify_locations(c, cfg.root_cas[i].c_str(), nullptr) != 1)
                throw tls_problem("rootCAs[" + std::to_string(i) + "]",
                                  "cannot load PEM certificates from \"" + cfg.root_cas[i] + "\": " + openssl_errors());
    }

    if (cfg.cert_key_pairs.size() > 1)
        throw tls_problem("certKeyPairs", "aileron presents one client certificate; give one pair");
    if (!cfg.cert_key_pairs.empty()) {
        const auto& p = cfg.cert_key_pairs.front();
        if (SSL_CTX_use_certificate_chain_file(c, p.cert_file.c_str()) != 1)
            throw tls_problem("certKeyPairs[0].certFile",
                              "cannot load a PEM certificate chain from \"" + p.cert_file + "\": " + openssl_errors());
        if (SSL_CTX_use_PrivateKey_file(c, p.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
            throw tls_problem("certKeyPairs[0].keyFile",
                              "cannot load a PEM private key from \"" + p.key_file + "\": " + openssl_errors());
        if (SSL_CTX_check_private_key(c) != 1)
            throw tls_problem("certKeyPairs[0].keyFile", "does not match the certificate: " + openssl_errors());
    }

    // TLS 1.2 suites by their IANA names; TLS 1.3 suites and the SCSV are not configurable, as
    // in Go (which ignores them here too).
    std::string list;
    for (std::size_t i = 0; i < cfg.ciphers.size(); ++i) {
        if (tls13_suite(cfg.ciphers[i]) || cfg.ciphers[i] == tls_cipher::fallback_scsv) continue;
        std::string iana{cipher_name(cfg.ciphers[i])};
        if (iana.ends_with("_CHACHA20_POLY1305")) iana += "_SHA256";   // Go's aliases
        const char* name = OPENSSL_cipher_name(iana.c_str());
        if (!name || std::string_view{name} == "(NONE)")
            throw tls_problem("tlsCipher[" + std::to_string(i) + "]", iana + " is not available in this OpenSSL");
        if (!list.empty()) list += ':';
        list += name;
    }
    if (!list.empty() && SSL_CTX_set_cipher_list(c, list.c_str()) != 1)
        throw tls_problem("tlsCipher", "none of the suites can be used: " + openssl_errors());

    if (!cfg.curve_preferences.empty()) {
        std::string groups;
        for (tls_curve g : cfg.curve_preferences) {
            if (!groups.empty()) groups += ':';
            groups += g == tls_curve::p256 ? "P-256" : g == tls_curve::p384 ? "P-384" : g == tls_curve::p521 ? "P-521" : "X25519";
        }
        if (SSL_CTX_set1_groups_list(c, groups.c_str()) != 1)
            throw tls_problem("curvePreferences", openssl_errors());
    }
    if (cfg.session_tickets_disabled) SSL_CTX_set_options(c, SSL_OP_NO_TICKET);

    if (!cfg.next_protos.empty()) {
        std::string wire;
        for (std::size_t i = 0; i < cfg.next_protos.size(); ++i) {
            if (cfg.next_protos[i] != "http/1.1")
                throw tls_problem("nextProtos[" + std::to_string(i) + "]",
                                  "aileron speaks HTTP/1.1 to upstreams: only \"http/1.1\" can be offered");
            wire += static_cast<char>(cfg.next_protos[i].size());
            wire += cfg.next_protos[i];
        }
        if (SSL_CTX_set_alpn_protos(c, reinterpret_cast<const unsigned char*>(wire.data()),
                                    static_cast<unsigned>(wire.size())) != 0)
            throw tls_problem("nextProtos", openssl_errors());
    }
    SSL_CTX_set_verify(c, t->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);   // idle pooled connections keep no 34 KiB buffers
    return t;
}

}  // namespace

void tls_config::normalize(config::decoder& d) {
    try {
        (void)build(*this);
    } catch (const tls_problem& p) {
        d.error(p.field, p.message);
    }
}

std::shared_ptr<const tls_context> make_tls_context(const tls_config& cfg) { return build(cfg); }

std::shared_ptr<const tls_context> default_tls_context() {
    static const std::shared_ptr<const tls_context> ctx = build(tls_config{});
    return ctx;
}

}  // namespace aileron::client
