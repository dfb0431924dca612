#pragma once
/// @file
/// Go's time layouts (`"2006-01-02 15:04:05.000"`), compiled once and applied to instants in a
/// `time_zone`: what SLogger's `outputTimeFormat`, `dateFormat`, `timeFormat` and HTTPLogger's
/// `timeFormat` are written in.
///
/// Every element of Go's `time.Format` is understood: `2006 06 01 1 Jan January 02 2 _2 __2 002
/// 15 03 3 04 4 05 5 PM pm Mon Monday MST -0700 -07:00 -07 -070000 -07:00:00 Z0700 Z07:00 Z07
/// Z070000 Z07:00:00`, and fractional seconds `.000` / `.999` (or with `,`) of 1 to 9 digits;
/// everything else is copied as it is.

#include <aileron/log/time_zone.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aileron {

class time_layout {
public:
    /// Go's `time.DateTime` layout.
    time_layout() : time_layout("2006-01-02 15:04:05") {}
    explicit time_layout(std::string_view layout);

    /// Appends `t` as seen in `zone`, formatted, to `out`.
    void append(std::string& out, std::chrono::system_clock::time_point t, const time_zone& zone) const;
    /// The same with the civil time already computed; `nanos` is the sub-second part.
    void append(std::string& out, const civil_time& c, std::uint32_t nanos) const;

    std::string format(std::chrono::system_clock::time_point t, const time_zone& zone) const {
        std::string s;
        append(s, t, zone);
        return s;
    }

    /// The most fractional-second digits the layout prints (0: whole seconds): a formatted
    /// time can be reused for as long as this precision does not change it.
    unsigned fraction_digits() const noexcept { return fraction_digits_; }
    const std::string& layout() const noexcept { return layout_; }

    enum class element : std::uint8_t;

private:
    struct part {
        element el;
        std::uint8_t digits = 0;   ///< fractional seconds
        char sep = '.';
        std::string literal;
    };
    std::string layout_;
    std::vector<part> parts_;
    unsigned fraction_digits_ = 0;
};

}  // namespace aileron
