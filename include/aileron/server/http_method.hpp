#pragma once
/// @file
/// AILERON's `HTTPMethod` enum (`GET`, `HEAD`, ... or their numbers in config).

#include <aileron/config/decode.hpp>

#include <boost/beast/http/verb.hpp>

#include <array>
#include <string_view>
#include <utility>
#include <vector>

namespace aileron {

enum class http_method { unknown = 0, get, head, post, put, patch, del, connect, options, trace };

/// The Beast verb of a method (`unknown` maps to `http::verb::unknown`).
boost::beast::http::verb to_verb(http_method m) noexcept;
std::vector<boost::beast::http::verb> to_verbs(const std::vector<http_method>& ms);

}  // namespace aileron

template <>
struct aileron::config::enum_traits<aileron::http_method> {
    static constexpr std::array values{
        std::pair{std::string_view{"HTTPMethodUnknown"}, http_method::unknown},
        std::pair{std::string_view{"GET"}, http_method::get},
        std::pair{std::string_view{"HEAD"}, http_method::head},
        std::pair{std::string_view{"POST"}, http_method::post},
        std::pair{std::string_view{"PUT"}, http_method::put},
        std::pair{std::string_view{"PATCH"}, http_method::patch},
        std::pair{std::string_view{"DELETE"}, http_method::del},
        std::pair{std::string_view{"CONNECT"}, http_method::connect},
        std::pair{std::string_view{"OPTIONS"}, http_method::options},
        std::pair{std::string_view{"TRACE"}, http_method::trace},
    };
};
