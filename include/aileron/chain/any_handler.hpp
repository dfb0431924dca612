#pragma once
/// @file
/// `any_handler`: a handler of any type behind one indirect call. It shares ownership of the
/// handler object, so one configured resource can serve several routes and servers.

#include <aileron/core/handler.hpp>

#include <memory>
#include <utility>

namespace aileron {

class any_handler {
public:
    any_handler() = default;

    template <handler H>
    explicit any_handler(std::shared_ptr<const H> h)
        : self_(std::move(h)), call_([](const void* self, request& req) {
              return (*static_cast<const H*>(self))(req);
          }) {}

    template <handler H>
        requires(!std::same_as<std::remove_cvref_t<H>, any_handler>)
    explicit any_handler(H h) : any_handler(std::shared_ptr<const H>(std::make_shared<H>(std::move(h)))) {}

    task<response> operator()(request& req) const { return call_(self_.get(), req); }
    explicit operator bool() const noexcept { return call_ != nullptr; }

private:
    std::shared_ptr<const void> self_;
    task<response> (*call_)(const void*, request&) = nullptr;
};

static_assert(handler<any_handler>);

}  // namespace aileron
