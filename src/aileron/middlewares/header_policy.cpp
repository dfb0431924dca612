#include <aileron/middlewares/header_policy.hpp>

#include <aileron/core/error.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace aileron::middlewares {

namespace {

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!std::isalnum(c) && std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c)) == std::string_view::npos)
            return false;
    return true;
}

bool valid_value(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

/// Headers that belong to the message framing or routing, not to the header map a policy edits.
bool is_protected(std::string_view name) {
    return beast::iequals(name, "Host") || beast::iequals(name, "Content-Length") ||
           beast::iequals(name, "Transfer-Encoding");
}

/// The media type of a Content-Type value as Go's mime.ParseMediaType returns it: lower-cased,
/// without parameters or surrounding space.
std::string media_type(std::string_view v) {
    v = v.substr(0, v.find(';'));
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    std::string out{v};
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

response policy_error(const request& req, http::status status, std::string message) {
    return error_response(req, http_error{.status = status, .code = "E3211", .kind = "AppMiddleHeaderPolicy",
                                          .message = std::move(message)});
}

}  // namespace

void header_policy::policy_config::normalize(aileron::config::decoder& d) {
    auto check_name = [&](const std::string& where, const std::string& name) {
        if (!is_token(name)) d.error(where, "\"" + name + "\" is not a valid header name");
        else if (is_protected(name))
            d.error(where, "\"" + name + "\" is part of the message framing and cannot be changed by a policy");
    };
    for (std::size_t i = 0; i < allows.size(); ++i) check_name("allows[" + std::to_string(i) + "]", allows[i]);
    for (std::size_t i = 0; i < removes.size(); ++i) check_name("removes[" + std::to_string(i) + "]", removes[i]);
    for (auto* m : {&add, &set}) {
        const char* field = m == &add ? "add" : "set";
        for (const auto& [k, v] : *m) {
            check_name(std::string{field} + "[\"" + k + "\"]", k);
            if (!valid_value(v)) d.error(std::string{field} + "[\"" + k + "\"]", "header values cannot hold CR, LF or NUL");
        }
    }
    if (!rewrites.empty()) d.error("rewrites", "header rewrites (replacers) are not supported yet");
}

header_policy::policy header_policy::make_policy(const std::optional<policy_config>& p) {
    policy out;
    if (!p) return out;
    if (!p->rewrites.empty()) throw std::invalid_argument("HeaderPolicyMiddleware: rewrites are not supported yet");
    out.allows = p->allows;
    out.removes = p->removes;
    out.add.assign(p->add.begin(), p->add.end());
    out.set.assign(p->set.begin(), p->set.end());
    return out;
}

header_policy::header_policy(const config& cfg)
    : mimes_(cfg.allow_mimes), max_length_(cfg.max_content_length), request_(make_policy(cfg.request_policy)),
      response_(make_policy(cfg.response_policy)) {}

template <class Fields>
void header_policy::apply(const policy& p, Fields& fields) {
    if (!p.allows.empty()) {
        for (auto it = fields.begin(); it != fields.end();) {
            std::string_view name = it->name_string();
            bool keep = is_protected(name) || std::any_of(p.allows.begin(), p.allows.end(), [&](const std::string& a) {
                            return beast::iequals(a, name);
                        });
            it = keep ? std::next(it) : fields.erase(it);
        }
    }
    for (const auto& name : p.removes) fields.erase(name);
    for (const auto& [name, value] : p.add) fields.insert(name, value);
    for (const auto& [name, value] : p.set) fields.set(name, value);
}

std::optional<response> header_policy::on_request(request& req) const {
    const bool chunked = req.find(http::field::transfer_encoding) != req.end();
    auto cl = req.find(http::field::content_length);
    std::uint64_t length = 0;
    if (cl != req.end()) {
        // The server validated the value; a hand-made request might not have.
        try {
            length = std::stoull(std::string{cl->value()});
        } catch (const std::exception&) {
            return policy_error(req, http::status::bad_request, "invalid Content-Length");
        }
    }
    if (!mimes_.empty()) {
        auto ct = req.find(http::field::content_type);
        const bool no_body = !chunked && length == 0;
        if (!(ct == req.end() && no_body)) {
            std::string mt = ct == req.end() ? std::string{} : media_type(ct->value());
            if (std::find(mimes_.begin(), mimes_.end(), mt) == mimes_.end())
                return policy_error(req, http::status::unsupported_media_type,
                                    "requested media type is not allowed: " + mt);
        }
    }
    if (max_length_ > 0) {
        if (chunked)
            return policy_error(req, http::status::length_required, "unknown sized request is not allowed");
        if (length > static_cast<std::uint64_t>(max_length_))
            return policy_error(req, http::status::payload_too_large,
                                "request's Content-Length exceeded the maximum allowed length");
    }
    if (!request_.empty()) apply(request_, req.header());
    return std::nullopt;
}

void header_policy::on_response(request&, response& res) const {
    if (!response_.empty()) apply(response_, res.base());
}

}  // namespace aileron::middlewares
