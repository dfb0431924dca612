#pragma once
/// @file
/// `any_middleware`: a middleware of either shape (filter or around) behind a table of
/// function pointers. The same middleware types serve static chains and, erased here exactly
/// once, the chains that config builds.

#include <aileron/core/middleware.hpp>

#include <memory>
#include <optional>
#include <utility>

namespace aileron {

class any_middleware {
public:
    any_middleware() = default;

    template <middleware M>
    explicit any_middleware(std::shared_ptr<const M> m) : self_(std::move(m)) {
        if constexpr (around_middleware<M>) {
            around_ = [](const void* s, request& req, next_ref next) {
                return (*static_cast<const M*>(s))(req, next);
            };
        } else {
            if constexpr (has_on_request<M>)
                on_request_ = [](const void* s, request& req) {
                    return static_cast<const M*>(s)->on_request(req);
                };
            if constexpr (has_on_response<M>)
                on_response_ = [](const void* s, request& req, response& res) {
                    static_cast<const M*>(s)->on_response(req, res);
                };
        }
    }

    template <middleware M>
        requires(!std::same_as<std::remove_cvref_t<M>, any_middleware>)
    explicit any_middleware(M m) : any_middleware(std::shared_ptr<const M>(std::make_shared<M>(std::move(m)))) {}

    bool is_around() const noexcept { return around_ != nullptr; }
    bool has_response_hook() const noexcept { return on_response_ != nullptr; }
    explicit operator bool() const noexcept { return around_ || on_request_ || on_response_; }

    /// Filter shape: runs the request hook (if any); a response means "answer now".
    std::optional<response> on_request(request& req) const {
        return on_request_ ? on_request_(self_.get(), req) : std::nullopt;
    }
    /// Filter shape: runs the response hook (if any).
    void on_response(request& req, response& res) const {
        if (on_response_) on_response_(self_.get(), req, res);
    }
    /// Around shape: runs the middleware with the rest of the chain.
    task<response> operator()(request& req, next_ref next) const { return around_(self_.get(), req, next); }

private:
    std::shared_ptr<const void> self_;
    std::optional<response> (*on_request_)(const void*, request&) = nullptr;
    void (*on_response_)(const void*, request&, response&) = nullptr;
    task<response> (*around_)(const void*, request&, next_ref) = nullptr;
};

}  // namespace aileron
