#include <aileron/core/deadline.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <variant>

namespace aileron {

task<std::optional<response>> run_with_timeout(task<response> work, std::chrono::steady_clock::duration timeout) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer{co_await asio::this_coro::executor, timeout};
    // `||` runs both, cancels the loser once one completes, and waits for it to finish.
    std::variant<response, std::monostate> first =
        co_await (std::move(work) || timer.async_wait(asio::use_awaitable));
    if (first.index() == 0) co_return std::move(std::get<0>(first));
    co_return std::nullopt;
}

}  // namespace aileron
