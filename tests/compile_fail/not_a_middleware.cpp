// expect: M = [^ ]*wrong_signature.*this M is not a middleware
// A type with neither on_request/on_response nor operator()(request&, Next) in a static chain
// must give one short diagnostic that names the contract.
#include <aileron/chain/static_chain.hpp>

namespace {
struct hello {
    aileron::task<aileron::response> operator()(aileron::request&) const { co_return aileron::response{}; }
};
struct wrong_signature {   // on_request returns bool: not a filter
    bool on_request(aileron::request&) const { return true; }
};
}  // namespace

void instantiate() {
    aileron::static_chain chain{hello{}, wrong_signature{}};
    (void)chain;
}
