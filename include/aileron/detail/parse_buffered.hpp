#pragma once
/// @file
/// Feeding a Beast parser from bytes already buffered, without I/O. Beast's async reads
/// complete at once through a posted completion when the buffer already holds what they need;
/// parsing in place saves that round through the scheduler on the hot path.

#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

namespace aileron::detail {

/// Puts what `buf` holds into `parser`. Returns true when that made progress (bytes consumed,
/// or the message is complete). `ec` is set only for a real parse error: "need more input" and
/// "need a body buffer" are the caller's ordinary cases, not errors.
template <class Parser, class Buffer>
bool parse_buffered(Parser& parser, Buffer& buf, boost::system::error_code& ec) {
    ec = {};
    if (buf.size() == 0 || parser.is_done()) return parser.is_done();
    const std::size_t n = parser.put(buf.data(), ec);
    buf.consume(n);
    if (ec == boost::beast::http::error::need_more || ec == boost::beast::http::error::need_buffer) ec = {};
    return n > 0 || parser.is_done();
}

}  // namespace aileron::detail
