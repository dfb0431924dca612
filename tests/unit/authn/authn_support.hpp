#pragma once
// Helpers for the authentication middleware tests: temporary credential files, a handler that
// records what reached it, and Basic credentials.

#include <aileron/core/http.hpp>

#include <boost/beast/core/string.hpp>

#include <openssl/evp.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace aileron::test {

/// A file with `text` in a fresh temporary directory, removed with the object.
class temp_file {
public:
    explicit temp_file(const std::string& text, const std::string& name = "credentials.list") {
        static std::atomic<int> n{0};
        dir_ = std::filesystem::temp_directory_path() /
               ("aileron-authn-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / name).string();
        std::ofstream{path_, std::ios::binary} << text;
    }
    ~temp_file() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    const std::string& path() const { return path_; }
    std::string dir() const { return dir_.string(); }

private:
    std::filesystem::path dir_;
    std::string path_;
};

/// What the handler behind an authentication middleware saw.
struct seen_request {
    int calls = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<authn_claims> claims;   // views into the middleware, alive as long as it is

    bool has(std::string_view name) const {
        for (auto& [k, v] : headers)
            if (beast::iequals(k, name)) return true;
        return false;
    }
};

/// Answers 200 "ok" and records the request into `out`.
struct recording_handler {
    seen_request* out;
    task<response> operator()(request& req) const {
        ++out->calls;
        out->headers.clear();
        for (auto& f : req) out->headers.emplace_back(std::string{f.name_string()}, std::string{f.value()});
        out->claims = req.context().claims;
        response res{http::status::ok, req.version()};
        res.body() = "ok";
        res.prepare_payload();
        co_return res;
    }
};

inline std::string base64(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

/// `Basic base64(user:password)`.
inline std::string basic_credentials(std::string_view user, std::string_view password) {
    return "Basic " + base64(std::string{user} + ":" + std::string{password});
}

}  // namespace aileron::test
