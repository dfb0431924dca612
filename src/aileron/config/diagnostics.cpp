/// @file
/// Printing config problems.

#include <aileron/config/diagnostics.hpp>

namespace aileron::config {

std::string
problem::to_string() const
{
    std::string out;
    const auto append = [&out](const std::string& part) {
        if (part.empty()) return;
        if (!out.empty()) out += ": ";
        out += part;
    };
    append(where.to_string());
    append(resource);
    append(path);
    append(message);
    return out;
}

std::string
diagnostics::to_string() const
{
    std::string out;
    for (const problem& p : problems_) {
        out += p.to_string();
        out += '\n';
    }
    return out;
}

}  // namespace aileron::config
