#include <aileron/middlewares/header_cert.hpp>   // first: proves the header is self-contained

#include <aileron/chain/static_chain.hpp>
#include <aileron/config/source.hpp>
#include <aileron/core/encoding.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/test_support.hpp"

namespace {

using namespace aileron;
using middlewares::header_cert;
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
    std::ifstream f{p, std::ios::binary};
    std::ostringstream ss;
    ss << f.rdbuf();
    return std::move(ss).str();
}

/// A root CA, a client certificate it issued, one from another CA and one for servers only,
/// made with the openssl command line in a temporary folder.
struct pki {
    fs::path dir;
    pki() {
        char tmpl[] = "/tmp/aileron-headercert-XXXXXX";
        REQUIRE(mkdtemp(tmpl));
        dir = tmpl;
        const std::string d = dir.string();
        std::ofstream{dir / "client.ext"} << "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
        std::ofstream{dir / "server.ext"} << "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
        std::string script =
            "set -e; cd '" + d + "'\n"
            "ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 "
            "  -keyout $1.key -out $1.crt -subj \"/CN=$1\" -addext basicConstraints=critical,CA:TRUE "
            "  -addext keyUsage=critical,keyCertSign,cRLSign; }\n"
            "leaf() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $1.key -out $1.csr "
            "  -subj \"/CN=$1\"; openssl x509 -req -in $1.csr -CA $2.crt -CAkey $2.key -CAcreateserial -days 30 "
            "  -extfile $3 -out $1.crt; }\n"
            "ca root; ca other\n"
            "leaf client root client.ext; leaf stranger other client.ext; leaf server root server.ext\n"
            "openssl x509 -in client.crt -outform DER -out client.der\n"
            "openssl dgst -sha256 -r client.der | cut -d' ' -f1 > client.fp\n";
        REQUIRE(std::system(("bash -c \"$(cat <<'EOS'\n" + script + "EOS\n)\" >/dev/null 2>&1").c_str()) == 0);
    }
    ~pki() { fs::remove_all(dir); }
    std::string path(const char* name) const { return (dir / name).string(); }
    std::string header(const char* name, encoding::base64_alphabet a = encoding::base64_alphabet::url) const {
        return encoding::base64_encode(slurp(dir / name), a);
    }
    std::string fingerprint() const {
        std::string fp = slurp(dir / "client.fp");
        while (!fp.empty() && (fp.back() == '\n' || fp.back() == ' ')) fp.pop_back();
        return fp;
    }
};

const pki& certs() {
    static const pki p;
    return p;
}

header_cert::config roots(std::string fingerprint_header = {}) {
    header_cert::config c;
    c.root_cas = {certs().path("root.crt")};
    c.fingerprint_header = std::move(fingerprint_header);
    return c;
}

response send(const header_cert& mw, std::vector<std::pair<std::string, std::string>> headers) {
    static_chain chain{test::text_handler{}, mw};
    request req{http::verb::get, "/"};
    for (auto& [k, v] : headers) req.insert(k, v);
    return test::run_task(chain(req));
}

std::vector<std::string> problems(const std::string& spec_yaml) {
    config::diagnostics diag;
    auto docs = config::parse_documents(spec_yaml, "t.yaml", config::format::yaml, diag);
    REQUIRE(docs.size() == 1);
    header_cert::config out;
    config::decode(docs[0].root, out, diag, "app/v1/HeaderCertMiddleware/default/t");
    std::vector<std::string> lines;
    for (const config::problem& p : diag.problems()) lines.push_back(p.path + ": " + p.message);
    return lines;
}

}  // namespace

TEST_CASE("header_cert is a filter middleware", "[middlewares][header_cert]") {
    STATIC_REQUIRE(filter_middleware<header_cert>);
}

TEST_CASE("a client certificate issued by a root CA passes, in either base64 alphabet", "[middlewares][header_cert]") {
    header_cert mw{roots()};
    response res = send(mw, {{"X-SSL-Client-Cert", certs().header("client.crt")}});
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "ok");
    CHECK(send(mw, {{"X-SSL-Client-Cert", certs().header("client.crt", encoding::base64_alphabet::standard)}})
              .result() == http::status::ok);
}

TEST_CASE("a missing or undecodable certificate header is 400", "[middlewares][header_cert]") {
    header_cert mw{roots()};
    for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {},
             {{"X-SSL-Client-Cert", "%%%"}},
             {{"X-SSL-Client-Cert", encoding::base64_encode("not a pem")}},
             {{"X-SSL-Client-Cert", encoding::base64_encode("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}},
         }) {
        response res = send(mw, headers);
        CHECK(res.result() == http::status::bad_request);
        CHECK(res.body() == R"({"status":400,"statusText":"Bad Request"})");
    }
}

TEST_CASE("a certificate from another CA, or not for clients, is 401", "[middlewares][header_cert]") {
    header_cert mw{roots()};
    for (const char* name : {"stranger.crt", "server.crt", "other.crt"}) {
        response res = send(mw, {{"X-SSL-Client-Cert", certs().header(name)}});
        CHECK(res.result() == http::status::unauthorized);
        CHECK(res.body() == R"({"status":401,"statusText":"Unauthorized"})");
    }
}

TEST_CASE("several root files and a custom header name work together", "[middlewares][header_cert]") {
    header_cert::config c;
    c.root_cas = {certs().path("other.crt"), certs().path("root.crt")};
    c.cert_header = "X-Client-Cert";
    header_cert mw{c};
    CHECK(send(mw, {{"X-Client-Cert", certs().header("client.crt")}}).result() == http::status::ok);
    CHECK(send(mw, {{"X-Client-Cert", certs().header("stranger.crt")}}).result() == http::status::ok);
    CHECK(send(mw, {{"X-SSL-Client-Cert", certs().header("client.crt")}}).result() == http::status::bad_request);
}

TEST_CASE("with a fingerprint header, the SHA-256 of the certificate must be sent too", "[middlewares][header_cert]") {
    header_cert mw{roots("X-SSL-Client-Fingerprint")};
    const std::string cert = certs().header("client.crt");
    const std::string fp = certs().fingerprint();
    REQUIRE(fp.size() == 64);
    CHECK(send(mw, {{"X-SSL-Client-Cert", cert}, {"X-SSL-Client-Fingerprint", fp}}).result() == http::status::ok);
    std::string upper = fp;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(send(mw, {{"X-SSL-Client-Cert", cert}, {"X-SSL-Client-Fingerprint", upper}}).result() == http::status::ok);
    std::string wrong = fp;
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    CHECK(send(mw, {{"X-SSL-Client-Cert", cert}, {"X-SSL-Client-Fingerprint", wrong}}).result() ==
          http::status::unauthorized);
    CHECK(send(mw, {{"X-SSL-Client-Cert", cert}}).result() == http::status::unauthorized);
}

TEST_CASE("a remembered verification belongs to its own middleware and roots", "[middlewares][header_cert]") {
    header_cert trusting{roots("X-Fp")};
    header_cert::config other_roots;
    other_roots.root_cas = {certs().path("other.crt")};
    header_cert other{other_roots};
    const std::string cert = certs().header("client.crt");
    for (int i = 0; i < 3; ++i) {   // the first request verifies, the next ones are remembered
        CHECK(send(trusting, {{"X-SSL-Client-Cert", cert}, {"X-Fp", certs().fingerprint()}}).result() == http::status::ok);
        CHECK(send(trusting, {{"X-SSL-Client-Cert", cert}, {"X-Fp", "00"}}).result() == http::status::unauthorized);
        CHECK(send(other, {{"X-SSL-Client-Cert", cert}}).result() == http::status::unauthorized);
    }
}

TEST_CASE("every worker thread verifies against its own copy of the roots", "[middlewares][header_cert]") {
    header_cert mw{roots()};
    const std::string good = certs().header("client.crt"), bad = certs().header("stranger.crt");
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                if (send(mw, {{"X-SSL-Client-Cert", good}}).result() != http::status::ok) ++wrong;
                if (send(mw, {{"X-SSL-Client-Cert", bad}}).result() != http::status::unauthorized) ++wrong;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(wrong == 0);
}

TEST_CASE("root CA files are read at load; a missing list, file or certificate is reported", "[middlewares][header_cert]") {
    CHECK(problems("certHeader: X-A\n") == std::vector<std::string>{"spec.rootCAs: at least one root CA file is required"});
    auto p = problems("rootCAs: [\"/nonexistent/ca.pem\"]\n");
    REQUIRE(p.size() == 1);
    CHECK(p[0].rfind("spec.rootCAs[0]: cannot read \"/nonexistent/ca.pem\"", 0) == 0);
    CHECK(problems("rootCAs: [\"" + certs().path("client.fp") + "\"]\n") ==
          std::vector<std::string>{"spec.rootCAs[0]: \"" + certs().path("client.fp") + "\" holds no PEM certificate"});
    CHECK(problems("rootCAs: [\"" + certs().path("root.crt") + "\"]\nfingerprintHeader: \"a b\"\n") ==
          std::vector<std::string>{"spec.fingerprintHeader: not a valid header name"});
    CHECK(problems("rootCAs: [\"" + certs().path("root.crt") + "\"]\nFingerprintpHeader: X-Fp\n").empty());
    CHECK_THROWS_AS(header_cert{header_cert::config{}}, std::invalid_argument);
}
