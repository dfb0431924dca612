// expect: static_chain<[^ ]*not_handler>.*H is not a handler
#include <aileron/chain/static_chain.hpp>

namespace {
struct not_handler {
    int operator()(aileron::request&) const { return 0; }
};
}  // namespace

void instantiate() {
    aileron::static_chain chain{not_handler{}};
    (void)chain;
}
