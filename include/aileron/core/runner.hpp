#pragma once
/// @file
/// The `runner` concept: something the Entrypoint runs until it is asked to stop (HTTP
/// servers are runners).

#include <boost/system/error_code.hpp>

#include <concepts>
#include <stop_token>

namespace aileron {

/**
 * A runner serves until `stop` is requested, then drains and returns; it returns early with an
 * error when it cannot go on. `run` blocks the calling thread (the Entrypoint gives each runner
 * its own) and is called once.
 *
 * A runner may also have `error_code open()`, called for every runner before any of them runs,
 * so that bind errors stop the process before anything starts serving.
 */
template <class R>
concept runner = requires(R& r, std::stop_token stop) {
    { r.run(stop) } -> std::same_as<boost::system::error_code>;
};

template <class R>
concept openable = requires(R& r) {
    { r.open() } -> std::same_as<boost::system::error_code>;
};

}  // namespace aileron
