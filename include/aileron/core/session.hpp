#pragma once
/// @file
/// `session_data`: the values of one client's session, as a `SessionMiddleware` loaded them for
/// a request. Middleware and handlers after it read and change them through
/// `req.context().session` (null when no session middleware ran); the middleware saves the
/// changes with the response.
///
/// @par Example
/// @code
/// if (session_data* s = req.context().session) {
///     const std::string* visits = s->find("visits");
///     s->set("visits", visits ? std::to_string(std::stoi(*visits) + 1) : "1");
/// }
/// @endcode

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace aileron {

class session_data {
public:
    using map_type = std::map<std::string, std::string, std::less<>>;

    /// The value stored under `key`, or nullptr.
    const std::string* find(std::string_view key) const noexcept {
        auto it = values_.find(key);
        return it == values_.end() ? nullptr : &it->second;
    }
    /// Stores `value` (any bytes) under `key`.
    void set(std::string_view key, std::string value);
    /// Removes `key`; false when it was not there.
    bool erase(std::string_view key);
    /// Ends the session: its cookies are removed with the response, whatever else was set.
    void destroy() noexcept { destroyed_ = true; }

    const map_type& values() const noexcept { return values_; }
    /// Changed since it was loaded.
    bool updated() const noexcept { return updated_; }
    bool destroyed() const noexcept { return destroyed_; }
    /// Loaded from what the client sent (as opposed to new).
    bool restored() const noexcept { return restored_; }

    /// AILERON's layout: a JSON object mapping every key to its value in standard base64.
    std::string serialize() const;
    /// Replaces the values with `data` (what `serialize` wrote) and marks the session restored;
    /// false, leaving it empty, when `data` is malformed.
    bool restore(std::string_view data);

private:
    map_type values_;
    bool updated_ = false;
    bool destroyed_ = false;
    bool restored_ = false;
};

}  // namespace aileron
