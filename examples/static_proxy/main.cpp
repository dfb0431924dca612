// A bespoke reverse proxy with no config file: middleware and tripperware fixed at compile time.
//
//   example_static_proxy UPSTREAM [ADDR]     (e.g. http://127.0.0.1:9000, default ADDR 127.0.0.1:8080)
//   curl -i http://127.0.0.1:8080/api/anything
//
// Server side, a static_chain: a filter that stamps each request with an id, in front of the
// proxy. Client side, a static_client_chain: a tripperware that signs each upstream request and
// a retry tripperware, in front of the HTTP/1.1 transport. Inside each chain every call is
// direct; the proxy reaches its client chain through one indirect call.
#include <aileron/chain/client_chain.hpp>
#include <aileron/chain/static_chain.hpp>
#include <aileron/cli.hpp>
#include <aileron/client/http_client.hpp>
#include <aileron/proxy/reverse_proxy.hpp>
#include <aileron/registry/registry.hpp>
#include <aileron/server/http_server.hpp>

#include <atomic>
#include <iostream>
#include <string>

namespace {

using namespace aileron;

/// Server side: gives every request an `X-Request-Seq` (a counter per process) unless it has one.
class sequence {
public:
    std::optional<response> on_request(request& req) const {
        if (req.find("X-Request-Seq") == req.end())
            req.set("X-Request-Seq", std::to_string(next_->fetch_add(1, std::memory_order_relaxed)));
        return std::nullopt;
    }

private:
    std::shared_ptr<std::atomic<std::uint64_t>> next_ = std::make_shared<std::atomic<std::uint64_t>>(1);
};
static_assert(middleware<sequence>);

/// Client side: tells the upstream who sent the request, and marks what came back.
class sign {
public:
    explicit sign(std::string name) : name_(std::move(name)) {}

    template <round_tripper Next>
    task<result<response>> operator()(request& req, Next next) const {
        req.set("X-Gateway", name_);
        result<response> res = co_await next(req);
        if (res) res->set("X-Signed-By", name_);
        co_return res;
    }

private:
    std::string name_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: example_static_proxy UPSTREAM [ADDR]\n";
        return 2;
    }
    proxy::load_balancer_spec lb;
    // /api/x goes upstream as /x; other paths are not proxied (404).
    lb.path_matcher = proxy::path_matcher_spec{.match = "^/api(/.*)$", .type = proxy::match_type::regex, .rewrite = "$1"};
    lb.upstreams.push_back(proxy::upstream_spec{.url = argv[1]});

    // Two attempts for idempotent requests that fail to connect or get a 503.
    client::retry_policy retry;
    retry.max_retry = 1;
    retry.statuses = {503};
    static_client_chain client{client::http_transport{}, sign{"static_proxy"}, client::retry{retry}};

    static_chain app{proxy::reverse_proxy{{lb}, any_round_tripper{std::move(client)}}, sequence{}};

    server::http_server_options opt;
    opt.addr = argc > 2 ? argv[2] : "127.0.0.1:8080";
    opt.name = "static_proxy";
    auto srv = std::make_shared<server::http_server>(opt, any_handler{std::move(app)});
    return run_until_signal(any_runner{srv});
}
