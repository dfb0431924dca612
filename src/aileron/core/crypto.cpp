#include <aileron/core/crypto.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <unistd.h>

#include <climits>
#include <stdexcept>

namespace aileron::crypto {

namespace {

/// OpenSSL's name for a digest, or nullptr.
const char* digest_name(hash_alg alg) noexcept {
    switch (alg) {
    case hash_alg::sha1: return "SHA1";
    case hash_alg::sha224: return "SHA224";
    case hash_alg::sha256: return "SHA256";
    case hash_alg::sha384: return "SHA384";
    case hash_alg::sha512: return "SHA512";
    case hash_alg::sha512_224: return "SHA512-224";
    case hash_alg::sha512_256: return "SHA512-256";
    case hash_alg::sha3_224: return "SHA3-224";
    case hash_alg::sha3_256: return "SHA3-256";
    case hash_alg::sha3_384: return "SHA3-384";
    case hash_alg::sha3_512: return "SHA3-512";
    case hash_alg::shake128: return "SHAKE128";
    case hash_alg::shake256: return "SHAKE256";
    case hash_alg::blake2s_256: return "BLAKE2S-256";
    case hash_alg::blake2b_512: return "BLAKE2B-512";
    // OpenSSL 3.0 has BLAKE2b only with a 512-bit output as a digest.
    case hash_alg::blake2b_256:
    case hash_alg::blake2b_384:
    case hash_alg::unknown: return nullptr;
    }
    return nullptr;
}

struct md_deleter {
    void operator()(EVP_MD* p) const noexcept { EVP_MD_free(p); }
};
struct md_ctx_deleter {
    void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct mac_deleter {
    void operator()(EVP_MAC* p) const noexcept { EVP_MAC_free(p); }
};
struct mac_ctx_deleter {
    void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};
struct cipher_deleter {
    void operator()(EVP_CIPHER* p) const noexcept { EVP_CIPHER_free(p); }
};
struct cipher_ctx_deleter {
    void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};

unsigned char* bytes(std::string& s) noexcept { return reinterpret_cast<unsigned char*>(s.data()); }
const unsigned char* bytes(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

constexpr std::size_t gcm_nonce = 12, gcm_tag = 16, aes_block = 16;

}  // namespace

std::size_t digest_size(hash_alg alg) noexcept {
    switch (alg) {
    case hash_alg::sha1: return 20;
    case hash_alg::sha224:
    case hash_alg::sha512_224:
    case hash_alg::sha3_224: return 28;
    case hash_alg::sha256:
    case hash_alg::sha512_256:
    case hash_alg::sha3_256:
    case hash_alg::shake128:
    case hash_alg::blake2s_256:
    case hash_alg::blake2b_256: return 32;
    case hash_alg::sha384:
    case hash_alg::sha3_384:
    case hash_alg::blake2b_384: return 48;
    case hash_alg::sha512:
    case hash_alg::sha3_512:
    case hash_alg::shake256:
    case hash_alg::blake2b_512: return 64;
    case hash_alg::unknown: return 0;
    }
    return 0;
}

std::string_view hmac_problem(hash_alg alg) noexcept {
    switch (alg) {
    case hash_alg::unknown: return "HashAlgUnknown is not a hash algorithm";
    case hash_alg::shake128:
    case hash_alg::shake256: return "SHAKE has no HMAC (AILERON has none either)";
    case hash_alg::blake2b_256:
    case hash_alg::blake2b_384: return "HMAC with BLAKE2b-256/384 is not supported (OpenSSL 3.0 has only BLAKE2b-512)";
    default: return {};
    }
}

std::string digest(hash_alg alg, std::string_view data) {
    const char* name = digest_name(alg);
    if (!name) throw std::invalid_argument("digest: unsupported hash algorithm");
    std::unique_ptr<EVP_MD, md_deleter> md{EVP_MD_fetch(nullptr, name, nullptr)};
    std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx{EVP_MD_CTX_new()};
    if (!md || !ctx || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1)
        throw std::runtime_error(std::string{"digest: OpenSSL failed for "} + name);
    std::string out(digest_size(alg), '\0');
    const bool xof = alg == hash_alg::shake128 || alg == hash_alg::shake256;
    unsigned int n = 0;
    const int ok = xof ? EVP_DigestFinalXOF(ctx.get(), bytes(out), out.size())
                       : EVP_DigestFinal_ex(ctx.get(), bytes(out), &n);
    if (ok != 1) throw std::runtime_error(std::string{"digest: OpenSSL failed for "} + name);
    if (!xof) out.resize(n);
    return out;
}

//----------------------------------------------------------------------------------------------

struct hmac::impl {
    std::unique_ptr<EVP_MAC, mac_deleter> mac;
    std::unique_ptr<EVP_MAC_CTX, mac_ctx_deleter> keyed;   // initialised with the key; copied per call
};

hmac::hmac(hash_alg alg, std::string_view key) {
    if (std::string_view p = hmac_problem(alg); !p.empty()) throw std::invalid_argument(std::string{p});
    const char* name = digest_name(alg);
    auto state = std::make_shared<impl>();
    state->mac.reset(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
    if (!state->mac) throw std::runtime_error("hmac: OpenSSL has no HMAC");
    state->keyed.reset(EVP_MAC_CTX_new(state->mac.get()));
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(name), 0),
        OSSL_PARAM_construct_end(),
    };
    // An empty key is a valid HMAC key; OpenSSL wants a non-null pointer for it.
    static const unsigned char no_key = 0;
    if (!state->keyed ||
        EVP_MAC_init(state->keyed.get(), key.empty() ? &no_key : bytes(key), key.size(), params) != 1)
        throw std::runtime_error(std::string{"hmac: OpenSSL cannot make HMAC-"} + name);
    size_ = EVP_MAC_CTX_get_mac_size(state->keyed.get());
    impl_ = std::move(state);
}

std::string hmac::sign(std::string_view message) const {
    std::unique_ptr<EVP_MAC_CTX, mac_ctx_deleter> ctx{EVP_MAC_CTX_dup(impl_->keyed.get())};
    std::string out(size_, '\0');
    std::size_t n = 0;
    if (!ctx || EVP_MAC_update(ctx.get(), bytes(message), message.size()) != 1 ||
        EVP_MAC_final(ctx.get(), bytes(out), &n, out.size()) != 1)
        throw std::runtime_error("hmac: OpenSSL failed");
    out.resize(n);
    return out;
}

bool hmac::verify(std::string_view message, std::string_view mac) const {
    return mac.size() == size_ && equal(sign(message), mac);
}

//----------------------------------------------------------------------------------------------

std::string_view cipher_problem(common_key_crypt type, std::size_t key_size) noexcept {
    if (type == common_key_crypt::unknown) return "CommonKeyCryptTypeUnknown is not a cipher";
    if (key_size != 16 && key_size != 24 && key_size != 32) return "an AES key must be 16, 24 or 32 bytes";
    return {};
}

struct cipher::impl {
    common_key_crypt type;
    std::string key;
    std::unique_ptr<EVP_CIPHER, cipher_deleter> evp;
    ~impl() { OPENSSL_cleanse(key.data(), key.size()); }
};

cipher::cipher(common_key_crypt type, std::string key) {
    if (std::string_view p = cipher_problem(type, key.size()); !p.empty()) throw std::invalid_argument(std::string{p});
    std::string name = "AES-" + std::to_string(key.size() * 8) + "-";
    switch (type) {
    case common_key_crypt::aes_gcm: name += "GCM"; break;
    case common_key_crypt::aes_cbc: name += "CBC"; break;
    case common_key_crypt::aes_cfb: name += "CFB"; break;   // CFB128, as Go's cipher.NewCFBEncrypter
    case common_key_crypt::aes_ctr: name += "CTR"; break;
    case common_key_crypt::aes_ofb: name += "OFB"; break;
    case common_key_crypt::unknown: break;
    }
    auto state = std::make_shared<impl>();
    state->type = type;
    state->key = std::move(key);
    state->evp.reset(EVP_CIPHER_fetch(nullptr, name.c_str(), nullptr));
    if (!state->evp) throw std::runtime_error("cipher: OpenSSL has no " + name);
    impl_ = std::move(state);
}

std::optional<std::string> cipher::encrypt(std::string_view plaintext) const {
    const bool gcm = impl_->type == common_key_crypt::aes_gcm;
    const std::size_t iv_size = gcm ? gcm_nonce : aes_block;
    std::string out(iv_size + plaintext.size() + aes_block + (gcm ? gcm_tag : 0), '\0');
    if (RAND_bytes(bytes(out), static_cast<int>(iv_size)) != 1) return std::nullopt;
    std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter> ctx{EVP_CIPHER_CTX_new()};
    if (!ctx || EVP_EncryptInit_ex2(ctx.get(), impl_->evp.get(), bytes(impl_->key), bytes(out), nullptr) != 1)
        return std::nullopt;
    int n = 0, m = 0;
    unsigned char* dst = bytes(out) + iv_size;
    if (EVP_EncryptUpdate(ctx.get(), dst, &n, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), dst + n, &m) != 1)
        return std::nullopt;
    std::size_t size = iv_size + static_cast<std::size_t>(n + m);
    if (gcm) {
        if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, gcm_tag, bytes(out) + size) != 1) return std::nullopt;
        size += gcm_tag;
    }
    out.resize(size);
    return out;
}

std::optional<std::string> cipher::decrypt(std::string_view ciphertext) const {
    const bool gcm = impl_->type == common_key_crypt::aes_gcm;
    const std::size_t iv_size = gcm ? gcm_nonce : aes_block;
    if (ciphertext.size() < iv_size + (gcm ? gcm_tag : 0)) return std::nullopt;
    if (impl_->type == common_key_crypt::aes_cbc && (ciphertext.size() - iv_size) % aes_block) return std::nullopt;
    std::string_view iv = ciphertext.substr(0, iv_size);
    std::string_view body = ciphertext.substr(iv_size, ciphertext.size() - iv_size - (gcm ? gcm_tag : 0));
    std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter> ctx{EVP_CIPHER_CTX_new()};
    if (!ctx || EVP_DecryptInit_ex2(ctx.get(), impl_->evp.get(), bytes(impl_->key), bytes(iv), nullptr) != 1)
        return std::nullopt;
    std::string out(body.size() + aes_block, '\0');
    int n = 0, m = 0;
    if (EVP_DecryptUpdate(ctx.get(), bytes(out), &n, bytes(body), static_cast<int>(body.size())) != 1)
        return std::nullopt;
    if (gcm) {
        std::string tag{ciphertext.substr(ciphertext.size() - gcm_tag)};
        if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, gcm_tag, tag.data()) != 1) return std::nullopt;
    }
    if (EVP_DecryptFinal_ex(ctx.get(), bytes(out) + n, &m) != 1) return std::nullopt;   // bad tag or padding
    out.resize(static_cast<std::size_t>(n + m));
    return out;
}

//----------------------------------------------------------------------------------------------

std::string host_name_digest(hash_alg alg) {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) != 0) name[0] = '\0';
    return digest(alg, name);
}

std::optional<std::string> random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n && RAND_bytes(bytes(out), static_cast<int>(n)) != 1) return std::nullopt;
    return out;
}

bool equal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace aileron::crypto
