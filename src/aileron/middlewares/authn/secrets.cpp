#include <aileron/middlewares/authn/secrets.hpp>

#include <aileron/core/encoding.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace aileron::middlewares::authn {

//----------------------------------------------------------------------------------------------
// Encodings

namespace {

/// One of the RFC 4648 encodings: `bits` per character (5 or 6), groups of `group` characters.
struct base_alphabet {
    std::string_view chars;
    int bits;
    std::size_t group;
    bool padded;
};

constexpr std::string_view b32_std = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view b32_hex = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
constexpr std::string_view b32_std_escaped = "BCDFGHJKLMNPQRSTUVWXYZ0123456789";
constexpr std::string_view b32_hex_escaped = "0123456789BCDFGHJKLMNPQRSTUVWXYZ";
constexpr std::string_view b64_std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Go's decoders: `\r` and `\n` are skipped; padding, when the encoding has it, must complete
/// the last group; bits left over in the last character are ignored (Go is not strict there).
/// `emit(byte)` receives the output and returns false to stop (output full).
template <class Emit>
bool decode_base(std::string_view text, const base_alphabet& a, Emit&& emit) {
    auto skipped = [](char c) { return c == '\r' || c == '\n'; };
    std::size_t total = 0, pad = 0;
    for (char c : text) {
        if (skipped(c)) continue;
        ++total;
        if (c == '=') ++pad;
        else if (pad) return false;   // data after padding
    }
    const std::size_t data = total - pad;
    const std::size_t rest = data % a.group;
    if (a.padded) {
        if (total % a.group != 0) return false;
        if (rest == 0 ? pad != 0 : pad != a.group - rest) return false;
    } else if (pad != 0) {
        return false;
    }
    // A last group with too few characters to make a whole byte is invalid.
    if (a.bits == 6 ? rest == 1 : (rest == 1 || rest == 3 || rest == 6)) return false;
    unsigned acc = 0;
    int have = 0;
    for (char c : text) {
        if (skipped(c) || c == '=') continue;
        std::size_t v = a.chars.find(c);
        if (v == std::string_view::npos) return false;
        acc = (acc << a.bits) | static_cast<unsigned>(v);
        have += a.bits;
        if (have >= 8) {
            have -= 8;
            if (!emit(static_cast<char>((acc >> have) & 0xffu))) return false;
        }
    }
    return true;
}

std::optional<std::string> decode_base(std::string_view text, const base_alphabet& a) {
    std::string out;
    out.reserve(text.size() * static_cast<std::size_t>(a.bits) / 8);
    if (!decode_base(text, a, [&](char c) { out.push_back(c); return true; })) return std::nullopt;
    return out;
}

}  // namespace

std::optional<std::string> decode(encoding_type enc, std::string_view text) {
    switch (enc) {
    case encoding_type::unknown: return std::string{text};
    case encoding_type::base16: return encoding::hex_decode(text);
    case encoding_type::base32: return decode_base(text, {b32_std, 5, 8, true});
    case encoding_type::base32_hex: return decode_base(text, {b32_hex, 5, 8, true});
    case encoding_type::base32_escaped: return decode_base(text, {b32_std_escaped, 5, 8, true});
    case encoding_type::base32_hex_escaped: return decode_base(text, {b32_hex_escaped, 5, 8, true});
    case encoding_type::base64: return encoding::base64_decode(text);
    case encoding_type::base64_raw: return encoding::base64_decode(text, encoding::base64_alphabet::standard, false);
    case encoding_type::base64_url: return encoding::base64_decode(text, encoding::base64_alphabet::url);
    case encoding_type::base64_raw_url: return encoding::base64_decode(text, encoding::base64_alphabet::url, false);
    }
    return std::nullopt;
}

std::optional<std::size_t> decode_base64(std::string_view text, std::span<char> out) noexcept {
    std::size_t n = 0;
    bool ok = decode_base(text, {b64_std, 6, 4, true}, [&](char c) {
        if (n == out.size()) return false;
        out[n++] = c;
        return true;
    });
    if (!ok) return std::nullopt;
    return n;
}

std::string_view hash_alg_name(hash_alg alg) noexcept {
    for (const auto& [name, value] : config::enum_traits<hash_alg>::values)
        if (value == alg) return name;
    return "HashAlgUnknown";
}

//----------------------------------------------------------------------------------------------
// Hashes and HMACs

namespace {

struct algorithm {
    const char* openssl_name;   // nullptr: not available
    std::size_t size;
    bool xof;
};

algorithm algorithm_of(hash_alg alg) noexcept {
    switch (alg) {
    case hash_alg::sha1: return {"SHA1", 20, false};
    case hash_alg::sha224: return {"SHA224", 28, false};
    case hash_alg::sha256: return {"SHA256", 32, false};
    case hash_alg::sha384: return {"SHA384", 48, false};
    case hash_alg::sha512: return {"SHA512", 64, false};
    case hash_alg::sha512_224: return {"SHA512-224", 28, false};
    case hash_alg::sha512_256: return {"SHA512-256", 32, false};
    case hash_alg::sha3_224: return {"SHA3-224", 28, false};
    case hash_alg::sha3_256: return {"SHA3-256", 32, false};
    case hash_alg::sha3_384: return {"SHA3-384", 48, false};
    case hash_alg::sha3_512: return {"SHA3-512", 64, false};
    case hash_alg::shake128: return {"SHAKE128", 32, true};
    case hash_alg::shake256: return {"SHAKE256", 64, true};
    case hash_alg::blake2s_256: return {"BLAKE2S-256", 32, false};
    case hash_alg::blake2b_512: return {"BLAKE2B-512", 64, false};
    default: return {nullptr, 0, false};
    }
}

std::atomic<std::uint64_t> next_digest_id{1};

const unsigned char* bytes(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

/// The OpenSSL contexts of one thread: one for plain digests, one per HMAC key (by the id of
/// its message_digest). Never shared, so computing takes no lock.
struct thread_contexts {
    EVP_MD_CTX* md = nullptr;
    std::vector<std::pair<std::uint64_t, EVP_MAC_CTX*>> macs;
    ~thread_contexts() {
        EVP_MD_CTX_free(md);
        for (auto& [id, c] : macs) EVP_MAC_CTX_free(c);
    }
};
thread_local thread_contexts tls_contexts;

}  // namespace

struct message_digest::impl {
    EVP_MD* md = nullptr;
    EVP_MAC* mac = nullptr;
    std::string key;
    std::string md_name;
    std::size_t size = 0;
    bool xof = false;
    std::uint64_t id = next_digest_id.fetch_add(1, std::memory_order_relaxed);
    ~impl() {
        EVP_MD_free(md);
        EVP_MAC_free(mac);
        OPENSSL_cleanse(key.data(), key.size());
    }

    EVP_MAC_CTX* mac_context() const {
        auto& list = tls_contexts.macs;
        for (auto& [i, c] : list)
            if (i == id) return c;
        EVP_MAC_CTX* c = EVP_MAC_CTX_new(mac);
        if (!c) throw std::runtime_error("OpenSSL: cannot make an HMAC context");
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(md_name.c_str()), 0),
            OSSL_PARAM_construct_end()};
        if (EVP_MAC_init(c, bytes(key), key.size(), params) != 1) {
            EVP_MAC_CTX_free(c);
            throw std::runtime_error("OpenSSL: cannot key an HMAC-" + md_name);
        }
        list.emplace_back(id, c);
        return c;
    }
};

message_digest::message_digest(hash_alg alg, std::optional<std::string_view> hmac_key) : impl_(std::make_unique<impl>()) {
    algorithm a = algorithm_of(alg);
    if (alg == hash_alg::unknown) throw std::invalid_argument("no hash algorithm is set");
    if (!a.openssl_name)
        throw std::invalid_argument(std::string{hash_alg_name(alg)} +
                                    " is not available: OpenSSL 3.0 has BLAKE2b with a 512-bit output only");
    if (hmac_key && a.xof) throw std::invalid_argument(std::string{hash_alg_name(alg)} + " has no HMAC");
    impl_->md_name = a.openssl_name;
    impl_->md = EVP_MD_fetch(nullptr, a.openssl_name, nullptr);
    if (!impl_->md) throw std::invalid_argument(std::string{"OpenSSL does not provide "} + a.openssl_name);
    impl_->size = a.size;
    impl_->xof = a.xof;
    if (hmac_key) {
        impl_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (!impl_->mac) throw std::invalid_argument("OpenSSL does not provide HMAC");
        impl_->key = std::string{*hmac_key};
        impl_->mac_context();   // fails here, at load, rather than on a request
    }
}

message_digest::~message_digest() = default;

std::size_t message_digest::size() const noexcept { return impl_->size; }

std::size_t message_digest::compute(std::string_view data, buffer& out) const {
    const impl& m = *impl_;
    if (m.mac) {
        EVP_MAC_CTX* c = m.mac_context();
        std::size_t len = 0;
        if (EVP_MAC_init(c, nullptr, 0, nullptr) != 1 || EVP_MAC_update(c, bytes(data), data.size()) != 1 ||
            EVP_MAC_final(c, out.data(), &len, out.size()) != 1)
            throw std::runtime_error("OpenSSL: HMAC failed");
        return len;
    }
    EVP_MD_CTX*& c = tls_contexts.md;
    if (!c && !(c = EVP_MD_CTX_new())) throw std::runtime_error("OpenSSL: cannot make a digest context");
    bool ok = EVP_DigestInit_ex2(c, m.md, nullptr) == 1 && EVP_DigestUpdate(c, data.data(), data.size()) == 1;
    if (m.xof) {
        ok = ok && EVP_DigestFinalXOF(c, out.data(), m.size) == 1;
    } else {
        unsigned int len = 0;
        ok = ok && EVP_DigestFinal_ex(c, out.data(), &len) == 1;
    }
    if (!ok) throw std::runtime_error("OpenSSL: digest failed");
    return m.size;
}

std::string message_digest::operator()(std::string_view data) const {
    buffer b;
    std::size_t n = compute(data, b);
    return std::string{reinterpret_cast<const char*>(b.data()), n};
}

}  // namespace aileron::middlewares::authn
