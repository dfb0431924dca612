#pragma once
// Internal to src/aileron/client: what a tls_context holds, for the transport.

#include <aileron/client/tls.hpp>

#include <boost/asio/ssl/context.hpp>

#include <string>

namespace aileron::client {

class tls_context {
public:
    tls_context() : ctx(boost::asio::ssl::context::tls_client) {}

    /// Shared by every worker thread; only SSL objects are made from it after it is built.
    mutable boost::asio::ssl::context ctx;
    std::string server_name;   ///< SNI and verified name; empty: the upstream's host
    bool verify = true;
};

}  // namespace aileron::client
