#pragma once
/// @file
/// Loads of a native-endian word from any byte address: a memcpy, which compilers turn into one
/// unaligned load. For code that reads bytes a word at a time (hashing, scanning).

#include <cstdint>
#include <cstring>

namespace aileron::detail {

inline std::uint64_t load64(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline std::uint32_t load32(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace aileron::detail
