#pragma once
/// @file
/// `core/v1 HTTPLogger`: AILERON's access log, as server middleware and as client tripperware.
///
/// Each exchange gives two records at INFO, through the configured logger: a request record
/// when the request arrives (or goes upstream) and a response record when the response comes
/// back, both with the same id (`msg` is `server` or `client`; see docs/config/httplogger.md
/// for the fields). A response record is written for every request, including those the
/// handler answered with an empty response or failed on. Records written once a
/// TrackingMiddleware ran for the request carry its IDs (`request_context::ids`) as the
/// top-level key `"ids":{"request":..,"trace":..}`, AILERON's context attribute. With
/// `logFormat` a text line made from the template replaces the JSON record (no tag for the IDs).
///
/// Bodies stream. A streamed response of unknown size is wrapped by a body source that counts
/// its bytes, and its response record is written when the body ends, with the size sent.
/// Journal mode (`journal: true`) adds the bodies of listed media types: a body shorter than
/// `maxContentLength` is captured up to that limit as it streams by (the request body is read
/// ahead up to the limit, then replayed); longer or unsized bodies go to files under
/// `bodyOutputPath` if set, written by a background writer. Nothing here writes to a disk on
/// the calling thread.

#include <aileron/chain/any_round_tripper.hpp>
#include <aileron/config/decode.hpp>
#include <aileron/config/replacer.hpp>
#include <aileron/core/handler.hpp>
#include <aileron/core/middleware.hpp>
#include <aileron/core/round_tripper.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aileron {

class build_context;
class logger;

class http_logger {
public:
    static constexpr std::string_view api_version = "core/v1";
    static constexpr std::string_view kind = "HTTPLogger";

    /// AILERON's `LogHeaderSpec`: a header to log ("*": all of them), with masking.
    struct header_config {
        std::string name;
        std::vector<aileron::config::replacer_spec> replacers;
        static constexpr auto fields() {
            using c = header_config;
            return std::tuple{aileron::config::field("name", "Name", &c::name),
                              aileron::config::field("replacers", "Replacers", &c::replacers)};
        }
    };

    /// AILERON's `LogBodySpec`: replacers for the bodies of one media type, applied to the whole
    /// body or to the values of `jsonFields` ("a.b.0.c" paths).
    struct body_config {
        std::string mime;
        std::vector<aileron::config::replacer_spec> replacers;
        std::vector<std::string> json_fields;
        static constexpr auto fields() {
            using c = body_config;
            return std::tuple{aileron::config::field("mime", "Mime", &c::mime),
                              aileron::config::field("replacers", "Replacers", &c::replacers),
                              aileron::config::field("jsonFields", "JSONFields", &c::json_fields)};
        }
    };

    /// AILERON's `LoggingSpec`, for the request side or the response side.
    struct logging_config {
        std::vector<header_config> headers;
        std::vector<body_config> bodies;
        std::vector<aileron::config::replacer_spec> queries;   ///< request side only
        std::string log_format;
        std::string body_output_path;
        bool base64 = false;
        std::int64_t max_content_length = 4096;   ///< bytes
        std::vector<std::string> mimes;           ///< empty: AILERON's default list
        static constexpr auto fields() {
            using c = logging_config;
            return std::tuple{aileron::config::field("headers", "Headers", &c::headers),
                              aileron::config::field("bodies", "Bodies", &c::bodies),
                              aileron::config::field("queries", "Queries", &c::queries),
                              aileron::config::field("logFormat", "LogFormat", &c::log_format),
                              aileron::config::field("bodyOutputPath", "BodyOutputPath", &c::body_output_path),
                              aileron::config::field("base64", "Base64", &c::base64),
                              aileron::config::field("maxContentLength", "MaxContentLength", &c::max_content_length),
                              aileron::config::field("mimes", "MIMEs", &c::mimes)};
        }
        void normalize(aileron::config::decoder& d);
    };

    struct config {
        aileron::config::reference logger;
        aileron::config::reference error_handler;
        bool journal = false;
        std::string timezone = "Local";
        std::string time_format = "2006-01-02 15:04:05.000";
        logging_config request;
        logging_config response;
        static constexpr auto fields() {
            using c = config;
            return std::tuple{aileron::config::field("logger", "Logger", &c::logger),
                              aileron::config::field("errorHandler", "ErrorHandler", &c::error_handler),
                              aileron::config::field("journal", "Journal", &c::journal),
                              aileron::config::field("timezone", "Timezone", &c::timezone),
                              aileron::config::field("timeFormat", "TimeFormat", &c::time_format),
                              aileron::config::field("request", "Request", &c::request),
                              aileron::config::field("response", "Response", &c::response)};
        }
        void normalize(aileron::config::decoder& d);
    };

    /// Logs through `spec.logger`, or the resource's `metadata.logger`, or the default logger.
    http_logger(const config& cfg, build_context& ctx);
    /// Logs through `log` (which must outlive this object); errors go to the default error
    /// handler. For binaries that compose chains in C++, and tests.
    http_logger(const config& cfg, const logger& log);
    ~http_logger();

    /// Server side.
    template <handler Next>
    task<response> operator()(request& req, Next next) const {
        if (!enabled()) co_return co_await next(req);
        exchange x{*this, req, false};
        if (journal()) {
            if (error_code ec = co_await x.journal_request()) co_return x.journal_error(ec);
        } else {
            x.log_request();
        }
        try {
            response res = co_await next(req);
            x.log_response(res);
            co_return res;
        } catch (...) {
            x.log_failure();   // the server answers 500
            throw;
        }
    }

    /// Client side.
    template <round_tripper Next>
    task<result<response>> operator()(request& req, Next next) const {
        if (!enabled()) co_return co_await next(req);
        exchange x{*this, req, true};
        if (journal()) {
            if (error_code ec = co_await x.journal_request()) co_return ec;
        } else {
            x.log_request();
        }
        try {
            result<response> res = co_await next(req);
            x.log_client_response(res);
            co_return res;
        } catch (...) {
            x.log_failure();
            throw;
        }
    }

    struct impl;

    /// The state of one exchange, in the middleware's coroutine frame.
    class exchange {
    public:
        exchange(const http_logger& l, request& req, bool client);
        ~exchange();
        exchange(const exchange&) = delete;
        exchange& operator=(const exchange&) = delete;

        void log_request();
        /// Journal mode: captures (the start of) the request body, then logs the request.
        task<error_code> journal_request();
        response journal_error(error_code ec) const;
        void log_response(response& res);
        void log_client_response(result<response>& res);
        void log_failure();

    private:
        const impl& l_;
        request& req_;
        bool client_;
        bool own_id_ = false;
        char id_[20];
        std::chrono::steady_clock::time_point start_;
        /// When the exchange began, read once: the id's seconds and the request record's time.
        std::chrono::system_clock::time_point at_;
        std::unique_ptr<body_source> replay_;   ///< journal: what the rest of the chain reads
        body_source* original_ = nullptr;       ///< the request's body before replay_
    };

private:
    bool enabled() const noexcept;
    bool journal() const noexcept;

    std::shared_ptr<const impl> impl_;
};

static_assert(middleware<http_logger>);
static_assert(tripperware<http_logger, any_round_tripper>);

/// A new access-log id: 15 bytes (FNV-1a of the host name, unix seconds, a counter), as 20
/// characters of base64url, as AILERON makes them. No lock or shared counter: the counter is
/// per thread, its top byte numbering the thread.
void make_log_id(char (&out)[20]) noexcept;
/// The same for a given time (unix seconds).
void make_log_id(char (&out)[20], std::int64_t unix_seconds) noexcept;

}  // namespace aileron
