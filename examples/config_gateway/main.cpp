// A gateway loaded from config that adds kinds of its own: `example/v1 StampMiddleware`
// (server side) and `example/v1 BearerTripperware` (client side). Registering them is all it
// takes to load them from YAML/TOML, check them with --check and print their skeletons with -t:
//
//   example_config_gateway -t example/v1/StampMiddleware
//   example_config_gateway -f examples/config_gateway/config.yaml
//   curl -i http://127.0.0.1:8081/echo      # X-Stamp: from-config
#include <aileron/cli.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/core/round_tripper.hpp>
#include <aileron/registry/registry.hpp>

namespace {

using namespace aileron;

/// Sets a configured header on every response.
class stamp {
public:
    static constexpr std::string_view api_version = "example/v1";
    static constexpr std::string_view kind = "StampMiddleware";

    struct config {
        std::string header = "X-Stamp";
        std::string value;
        static constexpr auto fields() {
            return std::tuple{aileron::config::field("header", &config::header),
                              aileron::config::required_field("value", &config::value)};
        }
        void normalize(aileron::config::decoder& d) {
            if (header.empty()) d.error("header", "must not be empty");
        }
    };

    explicit stamp(const config& c) : header_(c.header), value_(c.value) {}

    void on_response(request&, response& res) const { res.set(header_, value_); }

private:
    std::string header_;
    std::string value_;
};
static_assert(middleware<stamp>);

/// Client side: gives every upstream request `Authorization: Bearer <token>`, replacing what
/// the client sent (an HTTPClient's or ReverseProxyHandler's `tripperwares` refer to it).
class bearer {
public:
    static constexpr std::string_view api_version = "example/v1";
    static constexpr std::string_view kind = "BearerTripperware";

    struct config {
        std::string token;
        static constexpr auto fields() { return std::tuple{aileron::config::required_field("token", &config::token)}; }
    };

    explicit bearer(const config& c) : value_("Bearer " + c.token) {}

    template <round_tripper Next>
    task<result<response>> operator()(request& req, Next next) const {
        req.set(http::field::authorization, value_);
        return next(req);
    }

private:
    std::string value_;
};
static_assert(tripperware<bearer, any_round_tripper>);

}  // namespace

int main(int argc, char** argv) {
    registry reg;
    register_builtins(reg);
    reg.add<stamp>();
    reg.add<bearer>();
    return run_cli(argc, argv, reg);
}
