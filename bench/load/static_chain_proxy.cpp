// The static side of the middleware-chain bench: bench/load/proxy-chain.yaml's chain (tracking,
// access log to a rotating file, CORS, a throttle that never refuses) compiled in as a
// static_chain over the same middleware types, each built from its config struct with the
// YAML's settings, in front of the same ReverseProxyHandler.
//
//   static_chain_proxy           the chain in front of the proxy
//   static_chain_proxy --bare    the proxy alone: the static baseline
//
// env (as peers-up.sh sets them for the YAML targets):
//   AILERON_ADDR=127.0.0.1:9311  AILERON_WORKERS=2  UPSTREAM=http://127.0.0.1:9300
//   ACCESS_LOG_DIR=/tmp/aileron-chain-log (the log file is access.log in it; with the chain only)
#include <aileron/chain/static_chain.hpp>
#include <aileron/cli.hpp>
#include <aileron/log/http_logger.hpp>
#include <aileron/log/slogger.hpp>
#include <aileron/middlewares/cors.hpp>
#include <aileron/middlewares/throttle.hpp>
#include <aileron/middlewares/tracking.hpp>
#include <aileron/proxy/reverse_proxy.hpp>
#include <aileron/registry/registry.hpp>
#include <aileron/server/http_server.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace aileron;

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string{v} : std::move(fallback);
}

}  // namespace

int main(int argc, char** argv) {
    bool bare = false;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view{argv[i]} == "--bare") {
            bare = true;
        } else {
            std::cerr << "usage: static_chain_proxy [--bare]   (env AILERON_ADDR, AILERON_WORKERS, UPSTREAM, ACCESS_LOG_DIR)\n";
            return 2;
        }
    }

    server::http_server_options opt;
    opt.addr = env_or("AILERON_ADDR", "127.0.0.1:9311");
    opt.workers = static_cast<unsigned>(std::stoul(env_or("AILERON_WORKERS", "2")));
    opt.name = bare ? "static_proxy_bare" : "static_proxy_chain";

    // ReverseProxyHandler: loadBalancers [{pathMatcher {match "/", Prefix}, upstreams [{url UPSTREAM}]}].
    proxy::load_balancer_spec lb;
    lb.path_matcher = proxy::path_matcher_spec{.match = "/", .type = proxy::match_type::prefix};
    lb.upstreams.push_back(proxy::upstream_spec{.url = env_or("UPSTREAM", "http://127.0.0.1:9300")});
    proxy::reverse_proxy handler{{lb}};

    if (bare) {
        auto srv = std::make_shared<server::http_server>(opt, any_handler{std::move(handler)});
        return run_until_signal(any_runner{srv});
    }

    // SLogger "access": File output, logDir ACCESS_LOG_DIR, access.log, rotateSize 256 MiB, maxBackup 1.
    slogger::config log_cfg;
    log_cfg.output.output_target = slog_target::file;
    log_cfg.output.log_dir = env_or("ACCESS_LOG_DIR", "/tmp/aileron-chain-log");
    log_cfg.output.log_file_name = "access.log";
    log_cfg.output.rotate_size = 256;
    log_cfg.output.max_backup = 1;
    slogger access_log{log_cfg};   // outlives the chain, which logs through it

    // TrackingMiddleware: requestIDProxyName X-Request-ID.
    middlewares::tracking::config tracking_cfg;
    tracking_cfg.request_id_proxy_name = "X-Request-ID";

    // HTTPLogger: logger SLogger "access", every other field at its default.
    http_logger::config logger_cfg;

    // CORSMiddleware: corsPolicy.allowedOrigins ["http://localhost:3000"].
    middlewares::cors::config cors_cfg;
    cors_cfg.cors_policy.allowed_origins = {"http://localhost:3000"};

    // ThrottleMiddleware: one tokenBucket on the prefix "/" that never runs dry at bench rates.
    middlewares::throttle::api_throttler_config bucket;
    bucket.matcher = config::matcher_spec{.patterns = {"/"}, .type = config::match_type::prefix};
    bucket.token_bucket = middlewares::throttle::token_bucket_config{
        .bucket_size = 10'000'000, .fill_interval = 1000, .fill_rate = 10'000'000};
    middlewares::throttle::config throttle_cfg;
    throttle_cfg.api_throttlers.push_back(bucket);

    // Outermost first, as the YAML's `middleware` list.
    static_chain app{std::move(handler), middlewares::tracking{tracking_cfg}, http_logger{logger_cfg, access_log},
                     middlewares::cors{cors_cfg}, middlewares::throttle{throttle_cfg}};
    auto srv = std::make_shared<server::http_server>(opt, any_handler{std::move(app)});
    return run_until_signal(any_runner{srv});
}
