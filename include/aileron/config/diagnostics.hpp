#pragma once
/// @file
/// Config problems, collected rather than thrown, so that `aileron --check` can report all of
/// them at once. Every problem names where it is (file:line:column), which resource it is in
/// (`core/v1/HTTPServer/default/x`) and the field path (`spec.virtualHosts[0].handlers[1].handler`).

#include <aileron/config/node.hpp>

#include <string>
#include <vector>

namespace aileron::config {

struct problem {
    mark where;
    std::string resource;   ///< "core/v1/HTTPServer/default/x", empty when not known yet
    std::string path;       ///< "spec.virtualHosts[0].pattern", empty for whole-document problems
    std::string message;    ///< what was wrong and what was expected

    /// `file:line:col: resource: path: message`, leaving out the parts that are empty.
    std::string to_string() const;
};

class diagnostics {
public:
    void add(problem p) { problems_.push_back(std::move(p)); }
    void add(mark where, std::string message) { problems_.push_back({std::move(where), {}, {}, std::move(message)}); }

    bool ok() const noexcept { return problems_.empty(); }
    const std::vector<problem>& problems() const noexcept { return problems_; }
    /// One problem per line.
    std::string to_string() const;

private:
    std::vector<problem> problems_;
};

}  // namespace aileron::config
