#include <aileron/core/session.hpp>

#include <aileron/core/encoding.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace aileron {

void session_data::set(std::string_view key, std::string value) {
    auto it = values_.find(key);
    if (it == values_.end()) values_.emplace(std::string{key}, std::move(value));
    else it->second = std::move(value);
    updated_ = true;
}

bool session_data::erase(std::string_view key) {
    auto it = values_.find(key);
    if (it == values_.end()) return false;
    values_.erase(it);
    updated_ = true;
    return true;
}

std::string session_data::serialize() const {
    boost::json::object o;
    for (const auto& [k, v] : values_) o.emplace(boost::json::string_view{k.data(), k.size()}, encoding::base64_encode(v));
    return boost::json::serialize(o);
}

bool session_data::restore(std::string_view data) {
    values_.clear();
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(boost::json::string_view{data.data(), data.size()}, ec);
    if (ec || !v.is_object()) return false;
    map_type values;
    for (const auto& [k, item] : v.get_object()) {
        if (!item.is_string()) return false;
        const boost::json::string& text = item.get_string();
        auto decoded = encoding::base64_decode(std::string_view{text.data(), text.size()});
        if (!decoded) return false;
        values.insert_or_assign(std::string{k.data(), k.size()}, std::move(*decoded));
    }
    values_ = std::move(values);
    restored_ = true;
    return true;
}

}  // namespace aileron
