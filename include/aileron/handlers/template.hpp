#pragma once
/// @file
/// `core/v1 TemplateHandler`: answers with a fixed or templated body chosen by the request's
/// `Accept` header among the configured `mimeContents` (AILERON's `MIMEContentSpec`).

#include <aileron/config/decode.hpp>
#include <aileron/core/handler.hpp>
#include <aileron/handlers/routes.hpp>
#include <aileron/server/http_method.hpp>
#include <aileron/template/text_template.hpp>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron::handlers {

/// AILERON's `TemplateType`: the body as written, Go `text/template`, or Go `html/template`.
enum class template_type { text = 0, go_text = 1, go_html = 2 };

}  // namespace aileron::handlers

template <>
struct aileron::config::enum_traits<aileron::handlers::template_type> {
    static constexpr std::array values{
        std::pair{std::string_view{"Text"}, handlers::template_type::text},
        std::pair{std::string_view{"GoText"}, handlers::template_type::go_text},
        std::pair{std::string_view{"GoHTML"}, handlers::template_type::go_html},
    };
};

namespace aileron::handlers {

/**
 * `MIMEContentSpec`: one representation. Decoding applies AILERON's defaults (`text/plain`,
 * 200), reads `templateFile` (it wins over `template`) and parses the template, so a bad file
 * or template is a config problem.
 */
struct mime_content_spec {
    std::string mime_type;
    int status_code = 0;
    std::map<std::string, std::string> header;
    template_type type = template_type::text;
    std::string template_text;
    std::string template_file;
    static constexpr auto fields() {
        using aileron::config::field;
        return std::tuple{field("mimeType", "MIMEType", &mime_content_spec::mime_type),
                          field("statusCode", "StatusCode", &mime_content_spec::status_code),
                          field("header", "Header", &mime_content_spec::header),
                          field("templateType", "TemplateType", &mime_content_spec::type),
                          field("template", "Template", &mime_content_spec::template_text),
                          field("templateFile", "TemplateFile", &mime_content_spec::template_file)};
    }
    void normalize(aileron::config::decoder& d);

    /// Not config fields: filled when decoded (or by `prepare`).
    std::string body;                               ///< the template text (the file's, if any)
    std::shared_ptr<const text_template> parsed;   ///< for GoText and GoHTML
    bool prepared = false;
    bool status_defaulted = false;                  ///< `statusCode` was absent (<= 0): 200 applied

    /// Applies the defaults, reads the file and parses the template; false with `error` set
    /// (the message names the file, or gives the template position) when that fails.
    bool prepare(std::string& error, std::string* field = nullptr);
};

/// A prepared `MIMEContentSpec`, as TemplateHandler and ErrorHandler use it. Immutable.
struct mime_content {
    std::string mime;                 ///< lower-cased
    unsigned status = 200;
    bool status_given = true;         ///< false when the config left `statusCode` out
    std::vector<std::pair<std::string, std::string>> header;   ///< canonical keys
    template_type type = template_type::text;
    std::string body;
    std::shared_ptr<const text_template> tpl;

    /// Throws std::invalid_argument when the spec cannot be prepared.
    static mime_content from(const mime_content_spec& spec);
    /// The body for `data` (the text as is for `Text`; empty when execution fails, as AILERON).
    std::string render(const config::node& data) const;
};

/// The index of the first content whose mime type matches a media range of `accept` (list
/// order, Go `path.Match(range, mimeType)`, q-values ignored; empty `accept` = `*/*`), or -1.
int select_mime_content(std::string_view accept, const std::vector<mime_content>& contents);

class template_handler : public routes {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "TemplateHandler";

    struct config {
        std::vector<std::string> patterns;
        std::vector<http_method> methods;
        std::vector<mime_content_spec> mime_contents;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("patterns", "Patterns", &config::patterns),
                              field("methods", "Methods", &config::methods),
                              field("mimeContents", "MIMEContents", &config::mime_contents)};
        }
    };

    template_handler() = default;
    /// Throws std::invalid_argument when a content cannot be prepared (only for configs built
    /// in code: decoded configs were prepared and checked while decoding).
    explicit template_handler(const config& cfg);

    task<response> operator()(request& req) const;

    /// The index of the content for an `Accept` value (absent: `*/*`), or -1 (406).
    int select(std::string_view accept) const;

private:
    std::vector<mime_content> contents_;
};

static_assert(handler<template_handler>);

}  // namespace aileron::handlers

