#include <aileron/proxy/reverse_proxy.hpp>

#include <aileron/core/error.hpp>
#include <aileron/core/url.hpp>
#include <aileron/proxy/load_balancer.hpp>
#include <aileron/registry/registry.hpp>

#include <boost/beast/http/rfc7230.hpp>

#include <algorithm>

namespace aileron::proxy {

//----------------------------------------------------------------------------------------------
// Validation

void path_matcher_spec::normalize(config::decoder& d) {
    if (type == match_type::regex || type == match_type::regex_posix) {
        try {
            std::regex re{match, type == match_type::regex ? std::regex::ECMAScript : std::regex::extended};
        } catch (const std::regex_error& e) {
            d.error("match", std::string{"invalid regular expression: "} + e.what());
        }
    }
    if (!rewrite.empty() && type != match_type::regex && type != match_type::regex_posix)
        d.error("rewrite", "only applies to matchType Regex or RegexPOSIX");
}

void upstream_spec::normalize(config::decoder& d) {
    if (!url.starts_with("http://") && !url.starts_with("https://"))
        d.error("url", "must start with http:// or https://");
    else if (url.starts_with("https://"))
        d.error("url", "https upstreams need TLS, which aileron does not support yet");
    if (weight < -1 || weight > 65535) d.error("weight", "must be in -1..65535");
    // Health checking: AILERON only declares these fields; we refuse rather than pretend.
    if (enable_passive || enable_active || initial_delay || health_check_interval || !health_check_addr.empty())
        d.error(enable_passive ? "enablePassive" : "enableActive", "upstream health checks are not supported by aileron yet");
}

void load_balancer_spec::normalize(config::decoder& d) {
    // The patterns of param matchers must compile for their match type (AILERON fails at build).
    auto check = [&](std::string_view name, const std::vector<param_matcher_spec>& ms) {
        for (std::size_t i = 0; i < ms.size(); ++i)
            for (std::size_t j = 0; j < ms[i].patterns.size(); ++j)
                if (auto problem = config::pattern_problem(ms[i].type, ms[i].patterns[j]); !problem.empty())
                    d.error(std::string{name} + "[" + std::to_string(i) + "].patterns[" + std::to_string(j) + "]",
                            std::move(problem));
    };
    check("pathParamMatchers", path_param_matchers);
    check("headerMatchers", header_matchers);
    check("queryMatchers", query_matchers);
}

void reverse_proxy::config::normalize(aileron::config::decoder& d) {
    if (!tripperwares.empty()) d.error("tripperwares", "no tripperware kind exists in aileron yet");
}

//----------------------------------------------------------------------------------------------

namespace {

/// RFC 9110 §7.6.1: headers for one connection only, plus those the Connection header names.
void remove_hop_by_hop(http::fields& f) {
    std::vector<std::string> named;
    for (auto& token : http::token_list{f[http::field::connection]}) named.emplace_back(token);
    for (auto& n : named) f.erase(n);
    for (auto h : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                   http::field::proxy_authenticate, http::field::proxy_authorization, http::field::te,
                   http::field::trailer, http::field::transfer_encoding, http::field::upgrade})
        f.erase(h);
}

std::string ip_string(const tcp::endpoint& ep) { return ep.address().to_string(); }

}  // namespace

reverse_proxy::reverse_proxy(const config& cfg, build_context& ctx)
    : reverse_proxy(cfg.load_balancers) {
    static_cast<handlers::routes&>(*this) = handlers::routes{cfg.patterns, cfg.methods};
    if (!cfg.round_tripper.empty()) round_tripper_ = ctx.round_tripper(cfg.round_tripper);
}

reverse_proxy::reverse_proxy(const std::vector<load_balancer_spec>& lbs, client::transport_options transport)
    : transport_(transport) {
    for (auto& s : lbs) lbs_.push_back(std::make_unique<load_balancer>(s));
}

reverse_proxy::~reverse_proxy() = default;
reverse_proxy::reverse_proxy(reverse_proxy&&) noexcept = default;

task<response> reverse_proxy::operator()(request& req) const {
    url::target_view parts = url::split_target(req.target());
    std::string path, error;
    if (!url::unescape(parts.path, false, path, error))
        co_return error_response(req, http_error{.status = http::status::bad_request, .message = error});

    const load_balancer* lb = nullptr;
    std::string upstream_path;
    for (auto& candidate : lbs_)
        if (candidate->matches(req, path, upstream_path)) {
            lb = candidate.get();
            break;
        }
    if (!lb)
        co_return error_response(req, http_error{.status = http::status::not_found, .code = "E2122",
                                                 .kind = "CoreProxyNoUpstream", .message = "cannot find upstream for " + path});
    const upstream* up = lb->pick(req);
    if (!up)
        co_return error_response(req, http_error{.status = http::status::bad_gateway, .code = "E2121",
                                                 .kind = "CoreProxyUpstreamUnavailable"});

    // The request as the upstream sees it: absolute target for the transport, Host of the
    // upstream, X-Forwarded-*, no hop-by-hop headers.
    std::string target = up->origin + url::escape_path(upstream_path);
    if (!up->query.empty() || !parts.query.empty()) {
        target += '?';
        target += up->query;
        if (!up->query.empty() && !parts.query.empty()) target += '&';
        target += parts.query;
    }
    const bool te_trailers = http::token_list{req[http::field::te]}.exists("trailers");
    // A protocol upgrade (WebSocket) survives the hop-by-hop removal, as in Go's proxy.
    const bool upgrading = http::token_list{req[http::field::connection]}.exists("upgrade");
    const std::string upgrade_to = upgrading ? std::string{req[http::field::upgrade]} : std::string{};
    const std::string client_host{req[http::field::host]};
    remove_hop_by_hop(req.header());
    if (te_trailers) req.set(http::field::te, "trailers");
    if (upgrading && !upgrade_to.empty()) {
        req.set(http::field::connection, "Upgrade");
        req.set(http::field::upgrade, upgrade_to);
    }
    const request_context& ctx = req.context();
    std::string forwarded_for;
    for (auto& f : req)
        if (beast::iequals(f.name_string(), "X-Forwarded-For")) {
            if (!forwarded_for.empty()) forwarded_for += ", ";
            forwarded_for += f.value();
        }
    if (!forwarded_for.empty()) forwarded_for += ", ";
    forwarded_for += ip_string(ctx.remote);
    req.set("X-Forwarded-For", forwarded_for);
    req.set("X-Forwarded-Host", client_host);
    req.set("X-Forwarded-Port", std::to_string(ctx.local.port()));
    req.set("X-Forwarded-Proto", "http");
    req.set(http::field::host, up->host);
    req.target(target);

    result<response> res = error_code{};
    if (round_tripper_) res = co_await round_tripper_(req);
    else res = co_await transport_(req);
    if (!res) {
        const error_code ec = res.error();
        if (ec == asio::error::timed_out)
            co_return error_response(req, http_error{.status = http::status::gateway_timeout, .code = "E2123",
                                                     .kind = "CoreProxyTimeout", .message = ec.message()});
        co_return error_response(req, http_error{.status = http::status::bad_gateway, .code = "E2124",
                                                 .kind = "CoreProxyRoundtrip",
                                                 .message = up->origin + ": " + ec.message()});
    }
    response out = std::move(*res);
    if (out.result() == http::status::switching_protocols) {
        // The upstream must switch to what the client asked for (case-insensitively).
        std::string switched{out[http::field::upgrade]};
        if (!upgrading || !beast::iequals(switched, upgrade_to))
            co_return error_response(req, http_error{.status = http::status::bad_gateway, .code = "E2125",
                                                     .kind = "CoreProxyProtocolSwitch",
                                                     .message = "upstream switched to \"" + switched + "\""});
        remove_hop_by_hop(out.base());
        out.set(http::field::connection, "Upgrade");
        out.set(http::field::upgrade, switched);
        co_return out;
    }
    // The server frames the body itself: the upstream's framing and hop-by-hop headers go.
    const bool streamed = out.stream() != nullptr;
    remove_hop_by_hop(out.base());
    if (streamed) out.erase(http::field::content_length);
    co_return out;
}

}  // namespace aileron::proxy
