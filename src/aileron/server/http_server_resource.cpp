#include <aileron/server/http_server_resource.hpp>

#include <aileron/chain/dynamic_chain.hpp>
#include <aileron/core/url.hpp>
#include <aileron/server/serve_mux.hpp>

#include <algorithm>
#include <regex>
#include <set>

namespace aileron::server {

//----------------------------------------------------------------------------------------------
// Validation (AILERON's Mutate + Validate)

void listen_config::normalize(config::decoder& d) {
    // Refuse what we cannot honour rather than serve without it (TLS above all).
    if (!tls_config.is_null()) d.error("tlsConfig", "TLS is not supported by this build of aileron yet");
    if (!sock_option.is_null()) d.error("sockOption", "socket options are not supported by aileron yet");
    if (!networks.empty()) d.error("networks", "client network filters are not supported by aileron yet");
    if (read_deadline || write_deadline)
        d.error(read_deadline ? "readDeadline" : "writeDeadline", "listener deadlines are not supported by aileron yet");
    if (connection_limit < 0) d.error("connectionLimit", "must be >= 0");
}

void http_config::normalize(config::decoder& d) {
    for (auto [name, v] : {std::pair{"readTimeout", read_timeout}, {"readHeaderTimeout", read_header_timeout},
                           {"writeTimeout", write_timeout}, {"idleTimeout", idle_timeout}})
        if (v < 0) d.error(name, "must be >= 0 seconds");
    if (max_header_bytes <= 0) d.error("maxHeaderBytes", "must be > 0");
    if (allow_http2) d.error("allowHTTP2", "HTTP/2 is not supported by aileron yet");
}

void handler_spec::normalize(config::decoder& d) {
    if (handler.empty()) d.error("handler", "is required");
}

void virtual_host_spec::normalize(config::decoder& d) {
    static const std::regex host_re{"^[0-9a-zA-Z.-]+$"};
    std::set<std::string> seen;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        std::string f = "hosts[" + std::to_string(i) + "]";
        if (!std::regex_match(hosts[i], host_re)) d.error(f, "must be a host name without port (^[0-9a-zA-Z.-]+$)");
        else if (!seen.insert(hosts[i]).second) d.error(f, "duplicate host \"" + hosts[i] + "\"");
    }
    std::set<http_method> ms;
    for (std::size_t i = 0; i < methods.size(); ++i)
        if (!ms.insert(methods[i]).second) d.error("methods[" + std::to_string(i) + "]", "duplicate method");
}

void http_server_resource::config::normalize(aileron::config::decoder& d) {
    if (shutdown_timeout < 0) d.error("shutdownTimeout", "must be >= 0 seconds");
    if (!http2.is_null()) d.error("http2Config", "HTTP/2 is not supported by aileron yet");
    if (!http3.is_null()) d.error("http3Config", "HTTP/3 is not supported by aileron yet");
    if (enable_profile) d.error("enableProfile", "Go's pprof endpoints do not exist in aileron");
    if (enable_expvar) d.error("enableExpvar", "Go's expvar endpoint does not exist in aileron");
    if (workers < 0) d.error("workers", "must be >= 0 (0: one per core)");
    if (addr.empty() && http.listen.addr.empty()) d.error("addr", "is required");
}

//----------------------------------------------------------------------------------------------
// Routing

namespace {

/// One registered route: the chain for it and the methods it allows.
struct route {
    dynamic_chain chain;
    std::vector<http::verb> methods;   // empty: every method
    std::string allow;                 // the Allow header for 405s
    bool allow_all = true;
};

/// The handler at the heart of a server: routes with the ServeMux, checks the method, and runs
/// the route's chain. A null route is a not-found catch-all for a virtual host.
class router {
public:
    /// Not a coroutine: a matched request gets the route's own task back, so the router adds
    /// no frame; only its own answers (404, 405, 301, `*`) are wrapped in a ready task.
    task<response> operator()(request& req) const {
        if (req.target() == "*") return ready(asterisk(req));
        // An absolute-form target names the host itself (RFC 9112 §3.2.2): it wins over Host.
        std::string_view host = req[http::field::host];
        std::string_view target = req.target();
        if (target.starts_with("http://") || target.starts_with("https://")) {
            std::string_view rest = target.substr(target.find("//") + 2);
            host = rest.substr(0, rest.find_first_of("/?"));
        }
        auto found = mux_.match(host, target);
        if (found.redirect()) return ready(redirect(req, found.location));
        if (!found.matched() || !*found.value) return ready(not_found(req));
        const route& r = **found.value;
        if (!r.allow_all && std::find(r.methods.begin(), r.methods.end(), req.method()) == r.methods.end()) {
            http_error err{.status = http::status::method_not_allowed, .code = "E2131", .kind = "CoreServerNotFound"};
            err.headers.emplace_back("Allow", r.allow);
            return ready(error_response(req, err));
        }
        request_context& ctx = req.context();
        ctx.pattern = found.pattern;
        for (auto& p : found.params) ctx.params.emplace_back(std::string{p.name}, std::move(p.value));
        return r.chain(req);
    }

    serve_mux<const route*> mux_;
    std::vector<std::unique_ptr<route>> routes_;
    bool general_options = false;   ///< httpConfig.enableGeneralOptionsHandler

private:
    static task<response> ready(response res) { co_return res; }

    /// `OPTIONS *` is answered by the server when enableGeneralOptionsHandler is set; any other
    /// asterisk-form request is a 400, as Go's ServeMux answers it.
    response asterisk(const request& req) const {
        bool ok = general_options && req.method() == http::verb::options;
        response res{ok ? http::status::ok : http::status::bad_request, req.version()};
        if (!ok) res.set(http::field::connection, "close");
        res.content_length(0);
        return res;
    }

    static response not_found(const request& req) {
        return error_response(req, http_error{.status = http::status::not_found, .code = "E2131",
                                              .kind = "CoreServerNotFound"});
    }
    static response redirect(const request& req, const std::string& location) {
        // As Go's http.Redirect: a short HTML body for GET and HEAD.
        response res{http::status::moved_permanently, req.version()};
        res.set(http::field::location, location);
        if (req.method() == http::verb::get || req.method() == http::verb::head) {
            res.set(http::field::content_type, "text/html; charset=utf-8");
            std::string escaped;
            for (char c : location) {
                switch (c) {
                case '<': escaped += "&lt;"; break;
                case '>': escaped += "&gt;"; break;
                case '&': escaped += "&amp;"; break;
                case '"': escaped += "&#34;"; break;
                case '\'': escaped += "&#39;"; break;
                default: escaped += c;
                }
            }
            res.body() = "<a href=\"" + escaped + "\">Moved Permanently</a>.\n\n";
        }
        res.prepare_payload();
        return res;
    }
};

std::vector<std::string> make_patterns(const std::vector<std::string>& hosts, const std::vector<std::string>& paths) {
    std::vector<std::string> hs = hosts.empty() ? std::vector<std::string>{""} : hosts;
    std::vector<std::string> ps = paths.empty() ? std::vector<std::string>{"/"} : paths;
    std::vector<std::string> out;
    for (auto& h : hs)
        for (auto& p : ps) out.push_back(h + "/" + (p.starts_with('/') ? p.substr(1) : p));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace

http_server_resource::http_server_resource(const config& cfg, build_context& ctx) {
    auto rt = std::make_shared<router>();
    rt->general_options = cfg.http.enable_general_options_handler;
    for (std::size_t vi = 0; vi < cfg.virtual_hosts.size(); ++vi) {
        const virtual_host_spec& vh = cfg.virtual_hosts[vi];
        std::string vpath = "spec.virtualHosts[" + std::to_string(vi) + "]";
        std::vector<any_middleware> vmw = ctx.middleware(vh.middleware);
        std::vector<http::verb> vmethods = to_verbs(vh.methods);
        for (std::size_t hi = 0; hi < vh.handlers.size(); ++hi) {
            const handler_spec& hs = vh.handlers[hi];
            const resource_object* target = ctx.resolve(hs.handler, role::handler);
            std::vector<any_middleware> hmw = ctx.middleware(hs.middleware);
            if (!target) continue;

            // Paths: the handler's own patterns under the handler-spec pattern, under the vhost
            // pattern; trailing slashes (subtrees) kept, as AILERON does.
            std::vector<std::string> paths;
            for (auto& p : target->patterns) {
                std::string joined = url::join_path(hs.pattern, p);
                if (p.ends_with('/') && joined != "/") joined += '/';
                paths.push_back(joined);
            }
            std::sort(paths.begin(), paths.end());
            paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
            if (paths.empty()) paths.push_back(hs.pattern);
            for (auto& p : paths) {
                std::string full = url::clean_path("/" + vh.pattern + p);
                if (p.ends_with('/') && full != "/") full += '/';
                p = full;
            }

            // Methods: the handler's, narrowed by the vhost's.
            std::vector<http::verb> methods = target->methods;
            bool allow_all = methods.empty() && vmethods.empty();
            if (!vmethods.empty()) {
                if (methods.empty()) {
                    methods = vmethods;
                } else {
                    std::vector<http::verb> both;
                    for (auto m : methods)
                        if (std::find(vmethods.begin(), vmethods.end(), m) != vmethods.end()) both.push_back(m);
                    methods = both;
                    if (methods.empty())
                        ctx.log().warn("the methods of a handler and of its virtual host do not intersect: "
                                       "every request to it gets 405",
                                       {{"resource", ctx.resource_id()}, {"path", vpath}});
                }
            }
            std::sort(methods.begin(), methods.end());
            methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
            std::string allow;
            for (auto m : methods) {
                if (!allow.empty()) allow += ", ";
                allow += std::string{http::to_string(m)};
            }

            std::vector<any_middleware> chain_mw = vmw;
            chain_mw.insert(chain_mw.end(), hmw.begin(), hmw.end());
            auto r = std::make_unique<route>(route{dynamic_chain{std::move(chain_mw), target->handler}, methods, allow, allow_all});
            for (auto& pattern : make_patterns(vh.hosts, paths)) {
                if (auto err = rt->mux_.handle(pattern, r.get()))
                    ctx.error(hs.handler.where, vpath + ".handlers[" + std::to_string(hi) + "]",
                              "cannot route \"" + pattern + "\": " + *err);
            }
            rt->routes_.push_back(std::move(r));
        }
        // Requests for this vhost's hosts that match none of its routes are not found here,
        // rather than falling through to host-less routes of other vhosts (as in AILERON).
        for (auto& pattern : make_patterns(vh.hosts, {}))
            if (!rt->mux_.contains(pattern)) (void)rt->mux_.handle(pattern, nullptr);
    }

    http_server_options opt;
    opt.addr = cfg.http.listen.addr.empty() ? cfg.addr : cfg.http.listen.addr;
    opt.shutdown_timeout = std::chrono::seconds{cfg.shutdown_timeout};
    opt.read_timeout = std::chrono::seconds{cfg.http.read_timeout};
    opt.read_header_timeout = std::chrono::seconds{cfg.http.read_header_timeout};
    opt.write_timeout = std::chrono::seconds{cfg.http.write_timeout};
    opt.idle_timeout = std::chrono::seconds{cfg.http.idle_timeout};
    opt.max_header_bytes = static_cast<std::size_t>(cfg.http.max_header_bytes);
    opt.disable_keep_alive = cfg.http.disable_keep_alive;
    opt.workers = static_cast<unsigned>(cfg.workers);
    opt.connection_limit = static_cast<std::size_t>(cfg.http.listen.connection_limit);
    opt.alt_svc = cfg.http.alt_svc;
    opt.keep_alive_probes = {cfg.http.listen.keep_alive.disable, cfg.http.listen.keep_alive.idle,
                          cfg.http.listen.keep_alive.interval, cfg.http.listen.keep_alive.count};
    opt.name = ctx.resource_id();

    std::vector<any_middleware> smw = ctx.middleware(cfg.middleware);
    any_handler root{dynamic_chain{std::move(smw), any_handler{std::shared_ptr<const router>{std::move(rt)}}}};
    server_ = std::make_unique<http_server>(std::move(opt), std::move(root));
    server_->set_error_handler(&ctx.errors());
    server_->set_logger(&ctx.log());
}

}  // namespace aileron::server
