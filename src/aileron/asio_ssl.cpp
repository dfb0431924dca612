// Asio's SSL implementation, compiled once (BOOST_ASIO_SEPARATE_COMPILATION), for TLS to upstreams.
#include <boost/asio/ssl/impl/src.hpp>
