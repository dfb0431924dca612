// A bespoke gateway with no config file: the chain is fixed at compile time.
//
//   example_static_gateway [ADDR]        (default 127.0.0.1:8080)
//   curl -i http://127.0.0.1:8080/anything -H 'X-Api-Key: secret'
//
// The chain is a static_chain: the compiler sees every middleware and the handler, so there is
// no virtual call between them. `require_key` is this example's own middleware.
#include <aileron/chain/static_chain.hpp>
#include <aileron/cli.hpp>
#include <aileron/core/error.hpp>
#include <aileron/handlers/echo.hpp>
#include <aileron/registry/registry.hpp>
#include <aileron/server/http_server.hpp>

#include <chrono>
#include <string>

namespace {

using namespace aileron;

/// A filter: answers 401 (in the client's preferred error format) unless X-Api-Key matches.
class require_key {
public:
    explicit require_key(std::string key) : key_(std::move(key)) {}

    std::optional<response> on_request(request& req) const {
        if (req["X-Api-Key"] == key_) return std::nullopt;
        http_error err{.status = http::status::unauthorized};
        err.headers.emplace_back("WWW-Authenticate", "ApiKey");
        return error_response(req, err);
    }

private:
    std::string key_;
};
static_assert(middleware<require_key>);

/// A filter: stamps every response with how long the request took, in microseconds.
struct server_timing {
    void on_response(request& req, response& res) const {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                        req.context().start);
        res.set("Server-Timing", "total;dur=" + std::to_string(us.count() / 1000.0));
    }
};
static_assert(middleware<server_timing>);

}  // namespace

int main(int argc, char** argv) {
    server::http_server_options opt;
    opt.addr = argc > 1 ? argv[1] : "127.0.0.1:8080";
    opt.name = "static_gateway";

    // Outermost first: timing wraps the key check, which guards the echo handler.
    static_chain app{handlers::echo{}, server_timing{}, require_key{"secret"}};

    auto srv = std::make_shared<server::http_server>(opt, any_handler{std::move(app)});
    return run_until_signal(any_runner{srv});
}
