#include <aileron/middlewares/cors.hpp>

#include <aileron/core/error.hpp>

#include <algorithm>

namespace aileron::middlewares {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += ',';
        out += s;
    }
    return out;
}

std::string_view embedder_value(cors_embedder_policy p) noexcept {
    switch (p) {
    case cors_embedder_policy::unsafe_none: return "unsafe-none";
    case cors_embedder_policy::require_corp: return "require-corp";
    case cors_embedder_policy::credentialless: return "credentialless";
    default: return {};
    }
}
std::string_view opener_value(cors_opener_policy p) noexcept {
    switch (p) {
    case cors_opener_policy::unsafe_none: return "unsafe-none";
    case cors_opener_policy::same_origin_allow_popups: return "same-origin-allow-popups";
    case cors_opener_policy::same_origin: return "same-origin";
    default: return {};
    }
}
std::string_view resource_value(cors_resource_policy p) noexcept {
    switch (p) {
    case cors_resource_policy::same_site: return "same-site";
    case cors_resource_policy::same_origin: return "same-origin";
    case cors_resource_policy::cross_origin: return "cross-origin";
    default: return {};
    }
}

bool is_preflight(const request& req) {
    return req.method() == http::verb::options && !req["Access-Control-Request-Method"].empty();
}

}  // namespace

void cors::policy_config::normalize(aileron::config::decoder& d) {
    if (max_age < 0) d.error("maxAge", "must be >= 0 seconds");
    for (std::size_t i = 0; i < allowed_methods.size(); ++i)
        if (allowed_methods[i] == http_method::unknown)
            d.error("allowedMethods[" + std::to_string(i) + "]", "HTTPMethodUnknown is not a method");
}

cors::cors(const config& cfg) {
    const policy_config& p = cfg.cors_policy;
    origins_ = p.allowed_origins.empty() ? std::vector<std::string>{"*"} : p.allowed_origins;
    any_origin_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
    // AILERON's defaults, applied when the list is empty (its Mutate()).
    std::vector<http_method> ms = p.allowed_methods.empty()
                                      ? std::vector<http_method>{http_method::post, http_method::get, http_method::options}
                                      : p.allowed_methods;
    methods_ = to_verbs(ms);
    // Sorted and without duplicates, as AILERON's utilhttp.Methods.
    std::vector<std::string> names;
    for (auto v : methods_) names.emplace_back(http::to_string(v));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    joined_methods_ = join(names);
    joined_headers_ = join(p.allowed_headers.empty() ? std::vector<std::string>{"Content-Type", "X-Requested-With"}
                                                     : p.allowed_headers);
    joined_exposed_ = join(p.exposed_headers);
    credentials_ = p.allow_credentials;
    max_age_ = p.max_age;
    embedder_ = embedder_value(p.embedder_policy);
    opener_ = opener_value(p.opener_policy);
    resource_ = resource_value(p.resource_policy);
    private_network_ = p.allow_private_network;
    echo_origin_ = p.disable_wildcard_origin;
}

std::string_view cors::allow_origin(std::string_view origin) const {
    if (origin.empty()) return {};
    if (std::find(origins_.begin(), origins_.end(), origin) != origins_.end()) return origin;
    if (any_origin_) return echo_origin_ ? origin : std::string_view{"*"};
    return {};
}

response cors::preflight(const request& req, std::string_view origin) const {
    response res{http::status::ok, req.version()};
    res.insert(http::field::vary, "Origin");
    res.set(http::field::access_control_allow_methods, joined_methods_);
    res.insert(http::field::vary, "Access-Control-Request-Method");
    res.insert(http::field::vary, "Access-Control-Request-Headers");
    if (!req["Access-Control-Request-Headers"].empty())
        res.set(http::field::access_control_allow_headers, joined_headers_);
    if (!joined_exposed_.empty()) res.set(http::field::access_control_expose_headers, joined_exposed_);
    if (credentials_) res.set(http::field::access_control_allow_credentials, "true");
    // AILERON sends Max-Age even when it is 0; 0 here means "not configured": the browser's
    // default (5 s) applies.
    if (max_age_ > 0) res.set(http::field::access_control_max_age, std::to_string(max_age_));
    if (!req["Access-Control-Request-Private-Network"].empty()) {
        res.insert(http::field::vary, "Access-Control-Request-Private-Network");
        if (private_network_) res.set("Access-Control-Allow-Private-Network", "true");
    }
    if (std::string_view allowed = allow_origin(origin); !allowed.empty())
        res.set(http::field::access_control_allow_origin, allowed);
    else
        res.result(http::status::forbidden);
    res.prepare_payload();
    return res;
}

void cors::add_actual_headers(response& res, std::string_view allowed_origin) const {
    res.insert(http::field::vary, "Origin");
    res.set(http::field::access_control_allow_methods, joined_methods_);
    if (!joined_headers_.empty()) res.set(http::field::access_control_allow_headers, joined_headers_);
    if (!joined_exposed_.empty()) res.set(http::field::access_control_expose_headers, joined_exposed_);
    if (!allowed_origin.empty()) {
        // Credentials cannot be used with a wildcard origin (Fetch), so they are not offered then.
        if (credentials_ && allowed_origin != "*") res.set(http::field::access_control_allow_credentials, "true");
        res.set(http::field::access_control_allow_origin, allowed_origin);
    }
}

std::optional<response> cors::on_request(request& req) const {
    std::string_view origin = req[http::field::origin];
    if (origin.empty()) return std::nullopt;   // not a CORS request
    if (is_preflight(req)) return preflight(req, origin);
    std::string_view allowed = allow_origin(origin);
    if (!allowed.empty() && std::find(methods_.begin(), methods_.end(), req.method()) != methods_.end())
        return std::nullopt;
    response res = error_response(req, http_error{.status = http::status::forbidden,
                                                  .code = "E3204",
                                                  .kind = "AppMiddleCORSForbidden",
                                                  .message = "origin or method not allowed by the CORS policy"});
    add_actual_headers(res, allowed);
    return res;
}

void cors::on_response(request& req, response& res) const {
    std::string_view origin = req[http::field::origin];
    if (origin.empty()) return;
    add_actual_headers(res, allow_origin(origin));
    if (!embedder_.empty()) res.set("Cross-Origin-Embedder-Policy", embedder_);
    if (!opener_.empty()) res.set("Cross-Origin-Opener-Policy", opener_);
    if (!resource_.empty()) res.set("Cross-Origin-Resource-Policy", resource_);
}

}  // namespace aileron::middlewares
