#pragma once
// Helpers for unit tests: run a coroutine to completion on a private io_context, and small
// middleware/handlers that record what they saw.

#include <aileron/core/http.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace aileron::test {

/// Runs `t` to completion and returns its value (rethrows what it threw).
template <class T>
T run_task(task<T> t) {
    asio::io_context ioc;
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(ioc, std::move(t), [&](std::exception_ptr e, T v) {
        error = e;
        if (!e) out.emplace(std::move(v));
    });
    ioc.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
}

/// A handler answering 200 with a fixed body, counting its calls.
struct text_handler {
    std::string text = "ok";
    int* calls = nullptr;
    task<response> operator()(request& req) const {
        if (calls) ++*calls;
        response res{http::status::ok, req.version()};
        res.body() = text;
        res.prepare_payload();
        co_return res;
    }
};

}  // namespace aileron::test
