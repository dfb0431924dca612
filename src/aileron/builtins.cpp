#include <aileron/registry/registry.hpp>

#include <aileron/client/http_client.hpp>
#include <aileron/entrypoint/entrypoint.hpp>
#include <aileron/handlers/echo.hpp>
#include <aileron/handlers/error_pages.hpp>
#include <aileron/handlers/health_check.hpp>
#include <aileron/handlers/http_handler.hpp>
#include <aileron/handlers/static_file.hpp>
#include <aileron/handlers/template.hpp>
#include <aileron/log/http_logger.hpp>
#include <aileron/log/slogger.hpp>
#include <aileron/meters/prometheus_meter.hpp>
#include <aileron/middlewares/authn/basic.hpp>
#include <aileron/middlewares/authn/digest.hpp>
#include <aileron/middlewares/authn/idkey.hpp>
#include <aileron/middlewares/authn/key.hpp>
#include <aileron/middlewares/body_limit.hpp>
#include <aileron/middlewares/compression.hpp>
#include <aileron/middlewares/cors.hpp>
#include <aileron/middlewares/csrf.hpp>
#include <aileron/middlewares/header_cert.hpp>
#include <aileron/middlewares/header_policy.hpp>
#include <aileron/middlewares/session.hpp>
#include <aileron/middlewares/skipper.hpp>
#include <aileron/middlewares/soap_rest.hpp>
#include <aileron/middlewares/throttle.hpp>
#include <aileron/middlewares/timeout.hpp>
#include <aileron/middlewares/tracking.hpp>
#include <aileron/proxy/reverse_proxy.hpp>
#include <aileron/server/http_server_resource.hpp>

namespace aileron {

void register_builtins(registry& reg) {
    // core/v1
    reg.add<entrypoint>();
    reg.add<server::http_server_resource>();
    reg.add<slogger>();
    reg.add<http_logger>();
    reg.add<proxy::reverse_proxy>();
    reg.add<client::http_client>();
    reg.add<handlers::static_file>();
    reg.add<handlers::http_handler>();
    reg.add<handlers::template_handler>();
    reg.add<handlers::error_pages>();
    // app/v1
    reg.add<handlers::echo>();
    reg.add<handlers::health_check>();
    reg.add<middlewares::cors>();
    reg.add<middlewares::header_policy>();
    reg.add<middlewares::body_limit>();
    reg.add<middlewares::timeout>();
    reg.add<middlewares::throttle>();
    reg.add<middlewares::tracking>();
    reg.add<middlewares::compression>();
    reg.add<middlewares::skipper>();
    reg.add<middlewares::basic_authn>();
    reg.add<middlewares::digest_authn>();
    reg.add<middlewares::key_authn>();
    reg.add<middlewares::idkey_authn>();
    reg.add<middlewares::csrf>();
    reg.add<middlewares::session>();
    reg.add<middlewares::header_cert>();
    reg.add<middlewares::soap_rest>();
    reg.add<meters::prometheus_meter>();
}

}  // namespace aileron
