#pragma once
/// @file
/// `core/v1 StaticFileHandler`: serves the files under a directory, as AILERON does with Go's
/// `http.FileServer` (content types, validators, conditional and range requests, redirects,
/// optional listings), confined to that directory. File bodies are streamed in bounded pieces.

#include <aileron/config/decode.hpp>
#include <aileron/core/handler.hpp>
#include <aileron/handlers/routes.hpp>
#include <aileron/server/http_method.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::handlers {

class static_file : public routes {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "StaticFileHandler";
    /// A file body is read and sent in pieces of at most this many bytes.
    static constexpr std::size_t piece_size = 64 * 1024;
    /// A Range header with more ranges than this is ignored (the whole file is sent).
    static constexpr std::size_t max_ranges = 100;

    struct config {
        std::vector<std::string> patterns;
        std::vector<http_method> methods;
        std::string root_dir = "./";
        std::string strip_prefix;
        bool enable_listing = false;
        std::map<std::string, std::string> header;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("patterns", "Patterns", &config::patterns),
                              field("methods", "Methods", &config::methods),
                              field("rootDir", "RootDir", &config::root_dir),
                              field("stripPrefix", "StripPrefix", &config::strip_prefix),
                              field("enableListing", "EnableListing", &config::enable_listing),
                              field("header", "Header", &config::header)};
        }
    };

    static_file() : static_file(config{}) {}
    explicit static_file(const config& cfg);

    task<response> operator()(request& req) const;

    /// The directory served, resolved (absolute, symbolic links followed) when it exists.
    const std::filesystem::path& root() const noexcept { return root_; }

private:
    std::filesystem::path root_;
    std::string strip_prefix_;
    bool listing_ = false;
    std::vector<std::pair<std::string, std::string>> header_;
};

static_assert(handler<static_file>);

namespace static_detail {

/// One byte range, resolved against a size: `[start, start + length)`.
struct byte_range {
    std::uint64_t start = 0;
    std::uint64_t length = 0;
    friend bool operator==(const byte_range&, const byte_range&) = default;
};

/// The outcome of reading a `Range` header against a resource of `size` bytes (Go's
/// `parseRange`): the ranges, or `invalid` (malformed) or `unsatisfiable` (no range overlaps).
struct range_result {
    enum class status { ok, invalid, unsatisfiable } state = status::ok;
    std::vector<byte_range> ranges;   ///< empty with `ok`: no Range header
};
range_result parse_range(std::string_view header, std::uint64_t size);

/// The media type for a file name by its extension (case-insensitive), or empty.
std::string_view type_by_extension(std::string_view name) noexcept;

/// An HTTP date (IMF-fixdate, RFC 850 or asctime form) as seconds since the epoch.
std::optional<std::int64_t> parse_http_date(std::string_view s) noexcept;
/// Seconds since the epoch as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string format_http_date(std::int64_t seconds);

}  // namespace static_detail

}  // namespace aileron::handlers
