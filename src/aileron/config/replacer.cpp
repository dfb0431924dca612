#include <aileron/config/replacer.hpp>

#include <aileron/core/encoding.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <functional>
#include <regex>
#include <stdexcept>

namespace aileron {

namespace {

using config::common_key_crypt;
using config::encoding_type;
using config::hash_alg;

//----------------------------------------------------------------------------------------------
// Encodings

std::string base32(std::string_view data, const char* alphabet) {
    std::string out;
    out.reserve((data.size() + 4) / 5 * 8);
    for (std::size_t i = 0; i < data.size(); i += 5) {
        const std::size_t n = std::min<std::size_t>(5, data.size() - i);
        std::uint64_t v = 0;
        for (std::size_t k = 0; k < 5; ++k) v = v << 8 | (k < n ? static_cast<unsigned char>(data[i + k]) : 0);
        static constexpr std::size_t chars_for[] = {0, 2, 4, 5, 7, 8};
        const std::size_t c = chars_for[n];
        for (std::size_t k = 0; k < 8; ++k) out += k < c ? alphabet[v >> (35 - 5 * k) & 31] : '=';
    }
    return out;
}

//----------------------------------------------------------------------------------------------
// Digests (OpenSSL 3), fetched once per replacer: computing one takes no lock.

/// OpenSSL's name for an algorithm, or nullptr when OpenSSL 3.0 cannot compute it as a digest.
const char* digest_name(hash_alg a) noexcept {
    switch (a) {
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
    default: return nullptr;   // BLAKE2b-256/384 need a variable digest size (OpenSSL 3.2+)
    }
}

struct fetched_md {
    explicit fetched_md(hash_alg a) : alg(a), md(EVP_MD_fetch(nullptr, digest_name(a), nullptr), &EVP_MD_free) {}
    std::string operator()(std::string_view data) const {
        std::string out(crypto::digest_size(alg), '\0');
        std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
        const bool xof = alg == hash_alg::shake128 || alg == hash_alg::shake256;
        unsigned n = 0;
        auto* o = reinterpret_cast<unsigned char*>(out.data());
        const bool ok = ctx && md && EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) == 1 &&
                        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
                        (xof ? EVP_DigestFinalXOF(ctx.get(), o, out.size()) : EVP_DigestFinal_ex(ctx.get(), o, &n)) == 1;
        if (!ok) return {};
        if (!xof) out.resize(n);
        return out;
    }
    hash_alg alg;
    std::shared_ptr<EVP_MD> md;
};

//----------------------------------------------------------------------------------------------
// UTF-8

/// Length of the UTF-8 sequence at s[i] (1 for an invalid byte, as Go decodes RuneError).
std::size_t rune_len(std::string_view s, std::size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) return 1;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 1;
    return n;
}

std::vector<std::string_view> runes(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = rune_len(s, i);
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

bool in_cutset(std::string_view rune, std::string_view cutset) {
    for (std::size_t i = 0; i < cutset.size();) {
        const std::size_t n = rune_len(cutset, i);
        if (cutset.substr(i, n) == rune) return true;
        i += n;
    }
    return false;
}

std::string_view trim_left(std::string_view s, std::string_view cutset) {
    while (!s.empty()) {
        const std::size_t n = rune_len(s, 0);
        if (!in_cutset(s.substr(0, n), cutset)) break;
        s.remove_prefix(n);
    }
    return s;
}

std::string_view trim_right(std::string_view s, std::string_view cutset) {
    while (!s.empty()) {
        // Find the start of the last rune.
        std::size_t start = s.size() - 1;
        while (start > 0 && s.size() - start < 4 && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
        std::size_t n = rune_len(s, start);
        if (start + n != s.size()) {
            start = s.size() - 1;
            n = 1;
        }
        if (!in_cutset(s.substr(start), cutset)) break;
        s.remove_suffix(s.size() - start);
    }
    return s;
}

std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    out.reserve(s.size() * n);
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

//----------------------------------------------------------------------------------------------
// Regular expressions

std::regex compile(const std::string& pattern, bool posix) {
    return std::regex{pattern, posix ? std::regex::extended : std::regex::ECMAScript};
}

/// Go's Regexp.Expand: `$name`, `${name}` (numbers are group indexes; names this regex engine
/// cannot have expand to nothing), `$$` is `$`; a `$` that starts no name stays as it is.
void expand(std::string& out, std::string_view templ, const std::match_results<std::string_view::const_iterator>& m) {
    auto name_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    };
    while (!templ.empty()) {
        auto dollar = templ.find('$');
        if (dollar == std::string_view::npos) {
            out += templ;
            return;
        }
        out += templ.substr(0, dollar);
        templ.remove_prefix(dollar + 1);
        if (!templ.empty() && templ.front() == '$') {
            out += '$';
            templ.remove_prefix(1);
            continue;
        }
        std::string_view name;
        if (!templ.empty() && templ.front() == '{') {
            auto close = templ.find('}');
            std::size_t k = 1;
            while (k < templ.size() && name_char(templ[k])) ++k;
            if (close == std::string_view::npos || close != k || k == 1) {
                out += '$';
                continue;
            }
            name = templ.substr(1, k - 1);
            templ.remove_prefix(close + 1);
        } else {
            std::size_t k = 0;
            while (k < templ.size() && name_char(templ[k])) ++k;
            if (k == 0) {
                out += '$';
                continue;
            }
            name = templ.substr(0, k);
            templ.remove_prefix(k);
        }
        bool numeric = true;
        std::size_t index = 0;
        for (char c : name) {
            if (c < '0' || c > '9') {
                numeric = false;
                break;
            }
            index = index * 10 + static_cast<std::size_t>(c - '0');
            if (index > 1000) break;
        }
        if (numeric && index < m.size() && m[index].matched) out.append(m[index].first, m[index].second);
    }
}

using match_t = std::match_results<std::string_view::const_iterator>;

/// Calls `f(match)` for each successive non-overlapping match and copies the text between.
template <class F>
std::string replace_all(std::string_view in, const std::regex& re, F&& f) {
    std::string out;
    auto last = in.begin();
    for (std::regex_iterator<std::string_view::const_iterator> it{in.begin(), in.end(), re}, end; it != end; ++it) {
        const match_t& m = *it;
        out.append(last, m[0].first);
        f(out, m);
        last = m[0].second;
    }
    out.append(last, in.end());
    return out;
}

}  // namespace

std::string encode_bytes(encoding_type enc, std::string_view data) {
    using encoding::base64_alphabet;
    using encoding::base64_encode;
    switch (enc) {
    case encoding_type::base16: return encoding::hex_encode(data);
    case encoding_type::base32: return base32(data, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    case encoding_type::base32_hex: return base32(data, "0123456789ABCDEFGHIJKLMNOPQRSTUV");
    case encoding_type::base32_escaped: return base32(data, "BCDFGHJKLMNPQRSTUVWXYZ0123456789");
    case encoding_type::base64: return base64_encode(data, base64_alphabet::standard, true);
    case encoding_type::base64_raw: return base64_encode(data, base64_alphabet::standard, false);
    case encoding_type::base64_url: return base64_encode(data, base64_alphabet::url, true);
    case encoding_type::base64_raw_url: return base64_encode(data, base64_alphabet::url, false);
    default: return base32(data, "0123456789BCDFGHJKLMNPQRSTUVWXYZ");
    }
}

std::string replacer_problem(const config::replacer_spec& s) {
    int set = s.fixed.has_value() + s.value.has_value() + s.left.has_value() + s.right.has_value() +
              s.trim.has_value() + s.trim_left.has_value() + s.trim_right.has_value() + s.trim_prefix.has_value() +
              s.trim_suffix.has_value() + s.encode.has_value() + s.hash.has_value() + s.regexp.has_value() +
              s.expand.has_value() + s.encrypt.has_value() + s.hmac.has_value();
    if (set == 0) return "a replacer needs one of fixed, value, left, right, trim, trimLeft, trimRight, trimPrefix, "
                         "trimSuffix, encode, hash, regexp, expand, encrypt, hmac";
    if (set > 1) return "a replacer takes exactly one of its kinds (it is a oneof)";
    auto pattern_ok = [](const std::string& p, bool posix, bool allow_empty) -> std::string {
        if (p.empty()) return allow_empty ? std::string{} : "pattern must not be empty";
        try {
            (void)compile(p, posix);
        } catch (const std::regex_error& e) {
            return "invalid pattern `" + p + "` (" + e.what() + ")";
        }
        return {};
    };
    auto encoding_ok = [](encoding_type e) -> std::string {
        return e == encoding_type::unknown ? "encoding is required" : "";
    };
    auto hash_ok = [](hash_alg a) -> std::string {
        if (a == hash_alg::unknown) return "alg is required";
        if (!digest_name(a)) return "BLAKE2b-256 and BLAKE2b-384 are not supported (OpenSSL 3.0 has only BLAKE2b-512)";
        return {};
    };
    if (s.encode) {
        if (auto p = pattern_ok(s.encode->pattern, s.encode->posix, true); !p.empty()) return "encode." + p;
        if (auto p = encoding_ok(s.encode->encoding); !p.empty()) return "encode." + p;
    }
    if (s.hash) {
        if (auto p = pattern_ok(s.hash->pattern, s.hash->posix, true); !p.empty()) return "hash." + p;
        if (auto p = hash_ok(s.hash->alg); !p.empty()) return "hash." + p;
        if (auto p = encoding_ok(s.hash->encoding); !p.empty()) return "hash." + p;
    }
    if (s.regexp)
        if (auto p = pattern_ok(s.regexp->pattern, s.regexp->posix, false); !p.empty()) return "regexp." + p;
    if (s.expand)
        if (auto p = pattern_ok(s.expand->pattern, s.expand->posix, false); !p.empty()) return "expand." + p;
    if (s.encrypt) {
        if (auto p = pattern_ok(s.encrypt->pattern, s.encrypt->posix, true); !p.empty()) return "encrypt." + p;
        if (s.encrypt->alg == common_key_crypt::unknown) return "encrypt.alg is required";
        if (auto p = encoding_ok(s.encrypt->encoding); !p.empty()) return "encrypt." + p;
        auto key = encoding::hex_decode(s.encrypt->password);
        if (!key) return "encrypt.password must be hex encoded";
        if (auto p = crypto::cipher_problem(s.encrypt->alg, key->size()); !p.empty())
            return "encrypt.password: " + std::string{p};
    }
    if (s.hmac) {
        if (auto p = pattern_ok(s.hmac->pattern, s.hmac->posix, true); !p.empty()) return "hmac." + p;
        if (s.hmac->alg == hash_alg::unknown) return "hmac.alg is required";
        if (auto p = crypto::hmac_problem(s.hmac->alg); !p.empty()) return "hmac.alg: " + std::string{p};
        if (auto p = encoding_ok(s.hmac->encoding); !p.empty()) return "hmac." + p;
        if (!encoding::hex_decode(s.hmac->key)) return "hmac.key must be hex encoded";
    }
    return {};
}

void config::replacer_spec::normalize(decoder& d) {
    if (auto p = replacer_problem(*this); !p.empty()) d.error(std::move(p));
}

struct replacer::impl {
    std::function<std::string(std::string_view)> f;
};

replacer::replacer(const config::replacer_spec& s, mode m) {
    if (auto p = replacer_problem(s); !p.empty()) throw std::invalid_argument(p);
    auto i = std::make_shared<impl>();
    const bool text = m == mode::text;
    // Applies `g` to the whole input, or to each match of `pattern` when there is one.
    auto by_pattern = [](const std::string& pattern, bool posix, std::function<std::string(std::string_view)> g)
        -> std::function<std::string(std::string_view)> {
        if (pattern.empty()) return g;
        auto re = std::make_shared<const std::regex>(compile(pattern, posix));
        return [re, g = std::move(g)](std::string_view in) {
            return replace_all(in, *re, [&](std::string& out, const match_t& mt) {
                out += g(std::string_view{mt[0].first, mt[0].second});
            });
        };
    };
    if (s.fixed) {
        i->f = [v = s.fixed->value](std::string_view) { return v; };
    } else if (s.value) {
        i->f = [ft = s.value->from_to](std::string_view in) {
            std::string out{in};
            for (const auto& [from, to] : ft) {
                if (from.empty()) continue;   // Go's ReplaceAll with "" inserts everywhere; nobody means that
                std::string next;
                std::size_t pos = 0;
                for (std::size_t hit; (hit = out.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
                    next.append(out, pos, hit - pos);
                    next += to;
                }
                next.append(out, pos, std::string::npos);
                out = std::move(next);
            }
            return out;
        };
    } else if (s.left || s.right) {
        const bool left = s.left.has_value();
        const auto& side = left ? *s.left : *s.right;
        i->f = [c = side.character, n = std::size_t{side.length}, left, text](std::string_view in) {
            if (!text) {
                if (in.size() <= n) return repeat(c, in.size());
                return left ? repeat(c, n) + std::string{in.substr(n)} : std::string{in.substr(0, in.size() - n)} + repeat(c, n);
            }
            auto r = runes(in);
            if (r.size() <= n) return repeat(c, r.size());
            std::string out;
            if (left) {
                out = repeat(c, n);
                for (std::size_t k = n; k < r.size(); ++k) out += r[k];
            } else {
                for (std::size_t k = 0; k < r.size() - n; ++k) out += r[k];
                out += repeat(c, n);
            }
            return out;
        };
    } else if (s.trim || s.trim_left || s.trim_right) {
        const int which = s.trim ? 0 : s.trim_left ? 1 : 2;
        const auto& sets = (s.trim ? *s.trim : s.trim_left ? *s.trim_left : *s.trim_right).cut_sets;
        i->f = [sets, which](std::string_view in) {
            // The first cut set that removes anything is the only one applied.
            const std::size_t n = in.size();
            for (const auto& set : sets) {
                if (which != 2) in = trim_left(in, set);
                if (which != 1) in = trim_right(in, set);
                if (in.size() != n) break;
            }
            return std::string{in};
        };
    } else if (s.trim_prefix || s.trim_suffix) {
        const bool prefix = s.trim_prefix.has_value();
        i->f = [list = prefix ? s.trim_prefix->prefixes : s.trim_suffix->suffixes, prefix](std::string_view in) {
            for (const auto& p : list) {
                if (prefix && in.starts_with(p)) {
                    in.remove_prefix(p.size());
                    if (!p.empty()) break;
                } else if (!prefix && in.ends_with(p)) {
                    in.remove_suffix(p.size());
                    if (!p.empty()) break;
                }
            }
            return std::string{in};
        };
    } else if (s.encode) {
        i->f = by_pattern(s.encode->pattern, s.encode->posix,
                          [e = s.encode->encoding](std::string_view in) { return encode_bytes(e, in); });
    } else if (s.hash) {
        i->f = by_pattern(s.hash->pattern, s.hash->posix,
                          [md = fetched_md{s.hash->alg}, e = s.hash->encoding](std::string_view in) {
                              return encode_bytes(e, md(in));
                          });
    } else if (s.hmac) {
        auto mac = std::make_shared<const crypto::hmac>(s.hmac->alg, *encoding::hex_decode(s.hmac->key));
        i->f = by_pattern(s.hmac->pattern, s.hmac->posix, [mac, e = s.hmac->encoding](std::string_view in) {
            return encode_bytes(e, mac->sign(in));
        });
    } else if (s.encrypt) {
        auto c = std::make_shared<const crypto::cipher>(s.encrypt->alg, *encoding::hex_decode(s.encrypt->password));
        i->f = by_pattern(s.encrypt->pattern, s.encrypt->posix, [c, e = s.encrypt->encoding](std::string_view in) {
            auto out = c->encrypt(in);
            if (!out) return std::string{"!ERROR[encryption failed]"};
            return encode_bytes(e, *out);
        });
    } else if (s.regexp) {
        auto re = std::make_shared<const std::regex>(compile(s.regexp->pattern, s.regexp->posix));
        i->f = [re, repl = s.regexp->replace, literal = s.regexp->literal](std::string_view in) {
            return replace_all(in, *re, [&](std::string& out, const match_t& m) {
                if (literal) out += repl;
                else expand(out, repl, m);
            });
        };
    } else if (s.expand) {
        auto re = std::make_shared<const std::regex>(compile(s.expand->pattern, s.expand->posix));
        i->f = [re, templ = s.expand->templ](std::string_view in) {
            // Only the expansions, one per match, concatenated (Go's FindAll + Expand).
            std::string out;
            for (std::regex_iterator<std::string_view::const_iterator> it{in.begin(), in.end(), *re}, end; it != end; ++it)
                expand(out, templ, *it);
            return out;
        };
    }
    impl_ = std::move(i);
}

std::string replacer::operator()(std::string_view in) const { return impl_->f(in); }

}  // namespace aileron
