#pragma once
/// @file
/// `handlers::routes`: the paths and methods a handler asks the router for (AILERON's
/// `patterns` and `methods` fields). A handler kind derives from it; the registry reads
/// `patterns()` and `methods()` when the handler is mounted on a server.

#include <aileron/server/http_method.hpp>

#include <boost/beast/http/verb.hpp>

#include <string>
#include <vector>

namespace aileron::handlers {

class routes {
public:
    routes() = default;
    routes(std::vector<std::string> patterns, const std::vector<http_method>& methods)
        : patterns_(std::move(patterns)), methods_(to_verbs(methods)) {}
    /// For a handler whose routes come from another (an `HTTPHandler` wrapping its child).
    routes(std::vector<std::string> patterns, std::vector<boost::beast::http::verb> methods)
        : patterns_(std::move(patterns)), methods_(std::move(methods)) {}

    /// Paths in ServeMux syntax, placed under the handler spec's and the virtual host's pattern.
    const std::vector<std::string>& patterns() const noexcept { return patterns_; }
    /// Methods the router lets through (empty: all).
    const std::vector<boost::beast::http::verb>& methods() const noexcept { return methods_; }

private:
    std::vector<std::string> patterns_;
    std::vector<boost::beast::http::verb> methods_;
};

}  // namespace aileron::handlers
