#pragma once
/// @file
/// `core/v1 ErrorHandler`: custom error pages. Errors matching an `errorMessages[]` entry (by
/// path, error code, kind or message) are answered with that entry's `mimeContents`, chosen
/// by `Accept`; every other error gets AILERON's default bodies (spec §3.4, §3.5).

#include <aileron/config/decode.hpp>
#include <aileron/core/error.hpp>
#include <aileron/handlers/template.hpp>

#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::handlers {

/// `ErrorMessageSpec`: which errors one custom page answers, and the page.
struct error_message_spec {
    std::vector<std::string> paths;      ///< regular expressions (search), AND-filter; empty = all
    std::vector<std::string> codes;      ///< Go path.Match globs on the error code, e.g. "E21*"
    std::vector<std::string> kinds;      ///< Go path.Match globs on the error kind
    std::vector<std::string> messages;   ///< regular expressions (search) on the error message
    std::map<std::string, std::string> header_template;   ///< values with {{status}} {{statusText}} {{code}} {{kind}}
    std::vector<mime_content_spec> mime_contents;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("paths", "Paths", &error_message_spec::paths),
                          field("codes", "Codes", &error_message_spec::codes),
                          field("kinds", "Kinds", &error_message_spec::kinds),
                          field("messages", "Messages", &error_message_spec::messages),
                          field("headerTemplate", "HeaderTemplate", &error_message_spec::header_template),
                          field("mimeContents", "MIMEContents", &error_message_spec::mime_contents)};
    }
    /// Rejects bad regular expressions and globs.
    void normalize(aileron::config::decoder& d);
};

class error_pages final : public error_handler {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "ErrorHandler";

    struct config {
        bool stack_always = false;   ///< accepted; aileron logs no stack traces
        std::vector<error_message_spec> error_messages;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("stackAlways", "StackAlways", &config::stack_always),
                              field("errorMessages", "ErrorMessages", &config::error_messages)};
        }
    };

    error_pages() = default;
    /// Throws std::invalid_argument for a bad pattern or content (only for configs built in
    /// code: decoded configs were checked while decoding).
    explicit error_pages(const config& cfg);

    response make(const request& req, const http_error& err) const override;

    /// The index of the first entry matching the error for `path`, or -1.
    int match(std::string_view path, const http_error& err) const;

private:
    struct entry {
        std::vector<std::regex> paths;
        std::vector<std::string> codes;
        std::vector<std::string> kinds;
        std::vector<std::regex> messages;
        std::vector<std::pair<std::string, std::string>> header_template;
        std::vector<mime_content> contents;
    };
    std::vector<entry> entries_;
};

}  // namespace aileron::handlers
