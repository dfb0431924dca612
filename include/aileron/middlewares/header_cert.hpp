#pragma once
/// @file
/// `app/v1 HeaderCertMiddleware`: verifies the client certificate that a TLS-terminating proxy
/// in front of the gateway passes in a request header.
///
/// The header (`certHeader`) holds the PEM certificate in base64 (AILERON's URL-safe alphabet
/// with padding; the standard alphabet is accepted too). It is verified with OpenSSL against
/// the certificates in `rootCAs` (each one a trust anchor, as Go's root pool) at the current
/// time, for use by a TLS client. With `fingerprintHeader`, that header must also hold the
/// hex SHA-256 of the certificate's DER encoding (either case).
///
/// No header, or one that is not base64, PEM or a certificate: 400 (`E3214
/// AppMiddleInvalidCert`). A certificate that does not verify: 401. A fingerprint that is
/// missing or differs: 401 (`E3215 AppMiddleInvalidFingerprint`).
///
/// The root certificates are read when the config is loaded. Each worker thread verifies
/// against its own copy of them, so verification takes no lock another thread holds, and
/// remembers the last 256 certificates it verified (by header value) until their chain
/// expires: a client that sends the same certificate again is not parsed and verified again.

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aileron::middlewares {

class header_cert {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "HeaderCertMiddleware";

    /// AILERON's `HeaderCertMiddlewareSpec`.
    struct config {
        std::vector<std::string> root_cas;   ///< PEM files; at least one
        std::string cert_header = "X-SSL-Client-Cert";
        std::string fingerprint_header;      ///< empty: no fingerprint check
        static constexpr auto fields() {
            using aileron::config::field;
            // "FingerprintpHeader" is the proto field's own spelling.
            return std::tuple{field("rootCAs", "RootCAs", &config::root_cas),
                              field("certHeader", "CertHeader", &config::cert_header),
                              field("fingerprintHeader", "FingerprintpHeader", &config::fingerprint_header)};
        }
        /// Checks the header names and reads every root CA file into `roots_pem`.
        void normalize(aileron::config::decoder& d);

        /// The root certificates, as read by `normalize` (not a field).
        std::string roots_pem;
        bool roots_loaded = false;
    };

    /// Reads the root CA files unless `normalize` did; throws std::invalid_argument when one
    /// cannot be read or holds no certificate, or when there is none.
    explicit header_cert(const config& cfg);

    std::optional<response> on_request(request& req) const;

private:
    struct roots;   // the PEM bundle and the per-thread stores made from it
    std::shared_ptr<const roots> roots_;
    std::string cert_header_;
    std::string fingerprint_header_;
};

static_assert(middleware<header_cert>);

}  // namespace aileron::middlewares
