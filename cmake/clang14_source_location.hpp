#pragma once
// Force-included (`-include`) into every translation unit of a clang < 15 build only (see the
// top-level CMakeLists.txt): the fuzz and sanitizer build (scripts/test-sanitized.sh) uses clang 14.
//
// libstdc++ 12 defines std::source_location only when the compiler has
// __builtin_source_location, which clang gained in version 15; the logger takes a
// std::source_location. This is the same class, made from the builtins clang 14 does have. It is
// defined only when the library did not define its own.
#include <version>

#if !defined(__cpp_lib_source_location)
#include <cstdint>

namespace std {

struct source_location {
    static constexpr source_location current(const char* file = __builtin_FILE(),
                                             const char* function = __builtin_FUNCTION(),
                                             uint_least32_t line = __builtin_LINE(),
                                             uint_least32_t column = __builtin_COLUMN()) noexcept {
        source_location loc;
        loc.file_ = file;
        loc.function_ = function;
        loc.line_ = line;
        loc.column_ = column;
        return loc;
    }
    constexpr source_location() noexcept = default;
    constexpr uint_least32_t line() const noexcept { return line_; }
    constexpr uint_least32_t column() const noexcept { return column_; }
    constexpr const char* file_name() const noexcept { return file_; }
    constexpr const char* function_name() const noexcept { return function_; }

private:
    const char* file_ = "";
    const char* function_ = "";
    uint_least32_t line_ = 0;
    uint_least32_t column_ = 0;
};

}  // namespace std
#endif
