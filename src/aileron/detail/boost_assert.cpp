// Boost's assertion handler for builds that define BOOST_ENABLE_ASSERT_HANDLER (the sanitizer
// pass, see CMakeLists.txt): every Boost assertion stops the process as assert() would, except
// the known ones below, which input from the network can reach in Boost 1.81 and which the
// release build (NDEBUG) handles within bounds; AddressSanitizer still checks those paths'
// memory accesses. Builds without the macro never call these functions.
#include <boost/assert.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

struct known_assertion {
    std::string_view file_suffix;
    std::string_view expr;
};

// Each entry: where, what, and why it is not a bug of ours.
constexpr known_assertion known[] = {
    // A last chunk whose size line ends in a bare LF ("0\n\r\n") from an upstream: Beast's
    // parse_chunk_header assumes at least "0\r\n\r\n" is buffered on its second call. The
    // release build parses within the buffer (find_eol and the hex digits are bounded by the
    // CRLF it found). Found by fuzz_upstream_response.
    {"boost/beast/http/impl/basic_parser.ipp", "n >= 5"},
};

bool is_known(const char* expr, const char* file) {
    const std::string_view f{file}, e{expr};
    for (const auto& k : known)
        if (f.ends_with(k.file_suffix) && e == k.expr) return true;
    return false;
}

[[noreturn]] void stop(const char* expr, const char* msg, const char* function, const char* file, long line) {
    std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s.\n", file, line, function, expr, msg ? ": " : "",
                 msg ? msg : "");
    std::abort();
}

}  // namespace

namespace boost {

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
    if (!is_known(expr, file)) stop(expr, nullptr, function, file, line);
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
    if (!is_known(expr, file)) stop(expr, msg, function, file, line);
}

}  // namespace boost
