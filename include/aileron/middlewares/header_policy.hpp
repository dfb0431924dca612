#pragma once
/// @file
/// `app/v1 HeaderPolicyMiddleware`: checks the request's media type and length, and edits
/// request and response headers (allows, then removes, then add, then set).
///
/// - `allowMIMEs`: the request's `Content-Type` media type (parameters dropped, lower-cased)
///   must be in the list, else 415. A request with no body and no `Content-Type` passes
///   (AILERON rejects it, which breaks every GET).
/// - `maxContentLength` > 0: a body of unknown length (chunked) gets 411, a larger
///   `Content-Length` 413.
/// Errors are `E3211 AppMiddleHeaderPolicy` through the error handler. Header names are
/// compared case-insensitively; the framing and routing headers (`Host`, `Content-Length`,
/// `Transfer-Encoding`) are never touched by a policy, as in Go where they are not in the header map.

#include <aileron/config/decode.hpp>
#include <aileron/core/middleware.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aileron::middlewares {

class header_policy {
public:
    static constexpr std::string_view api_version = "app/v1";
    static constexpr std::string_view kind = "HeaderPolicyMiddleware";

    /// AILERON's `HeaderRewriteSpec`; rejected at load (replacers are not supported yet).
    struct rewrite_config {
        std::string name;
        aileron::config::node replacer;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("name", "Name", &rewrite_config::name),
                              aileron::config::field("replacer", "Replacer", &rewrite_config::replacer)};
        }
    };

    /// AILERON's `HeaderPolicySpec`.
    struct policy_config {
        std::vector<std::string> allows;
        std::vector<std::string> removes;
        std::map<std::string, std::string> add;
        std::map<std::string, std::string> set;
        std::vector<rewrite_config> rewrites;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("allows", "Allows", &policy_config::allows),
                              field("removes", "Removes", &policy_config::removes),
                              field("add", "Add", &policy_config::add),
                              field("set", "Set", &policy_config::set),
                              field("rewrites", "Rewrites", &policy_config::rewrites)};
        }
        void normalize(aileron::config::decoder& d);
    };

    struct config {
        std::vector<std::string> allow_mimes;
        std::int64_t max_content_length = 0;   ///< bytes; 0: no check
        std::optional<policy_config> request_policy;
        std::optional<policy_config> response_policy;
        static constexpr auto fields() {
            using aileron::config::field;
            return std::tuple{field("allowMIMEs", "AllowMIMEs", &config::allow_mimes),
                              field("maxContentLength", "MaxContentLength", &config::max_content_length),
                              field("requestPolicy", "RequestPolicy", &config::request_policy),
                              field("responsePolicy", "ResponsePolicy", &config::response_policy)};
        }
    };

    header_policy() = default;
    /// Throws std::invalid_argument for `rewrites` (not supported yet); config loading
    /// rejects them first.
    explicit header_policy(const config& cfg);

    std::optional<response> on_request(request& req) const;
    void on_response(request& req, response& res) const;

private:
    struct policy {
        std::vector<std::string> allows, removes;
        std::vector<std::pair<std::string, std::string>> add, set;
        bool empty() const noexcept { return allows.empty() && removes.empty() && add.empty() && set.empty(); }
    };
    static policy make_policy(const std::optional<policy_config>& p);
    template <class Fields>
    static void apply(const policy& p, Fields& fields);

    std::vector<std::string> mimes_;
    std::int64_t max_length_ = 0;
    policy request_, response_;
};

static_assert(middleware<header_policy>);

}  // namespace aileron::middlewares
