#pragma once
/// @file
/// `any_round_tripper`: a round tripper of any type behind one indirect call, as `any_handler`
/// is for handlers. It shares ownership of the round tripper, so one configured HTTPClient
/// can serve several proxies.

#include <aileron/core/round_tripper.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace aileron {

class any_round_tripper {
public:
    any_round_tripper() = default;

    template <round_tripper R>
    explicit any_round_tripper(std::shared_ptr<const R> r)
        : self_(std::move(r)), call_([](const void* self, request& req) {
              return (*static_cast<const R*>(self))(req);
          }) {}

    template <round_tripper R>
        requires(!std::same_as<std::remove_cvref_t<R>, any_round_tripper>)
    explicit any_round_tripper(R r)
        : any_round_tripper(std::shared_ptr<const R>(std::make_shared<R>(std::move(r)))) {}

    /// Calling an empty one is a programming error (check `operator bool` first).
    task<result<response>> operator()(request& req) const { return call_(self_.get(), req); }
    explicit operator bool() const noexcept { return call_ != nullptr; }

private:
    std::shared_ptr<const void> self_;
    task<result<response>> (*call_)(const void*, request&) = nullptr;
};

static_assert(round_tripper<any_round_tripper>);

}  // namespace aileron
