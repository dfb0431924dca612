#include <aileron/handlers/error_pages.hpp>

#include <aileron/core/url.hpp>

#include <aileron/config/matcher.hpp>
#include <aileron/config/node.hpp>

#include <stdexcept>

namespace aileron::handlers {

namespace {

/// The problem with `pattern` as a glob (Go's path.Match) or a regular expression, or "".
std::string glob_problem(const std::string& pattern) {
    return config::pattern_problem(config::match_type::path, pattern);
}
std::string regex_problem(const std::string& pattern) {
    return config::pattern_problem(config::match_type::regex, pattern);
}

bool any_glob(const std::vector<std::string>& globs, std::string_view s) {
    for (auto& g : globs) {
        bool bad = false;
        if (path_match(g, s, bad)) return true;
    }
    return false;
}

bool any_regex(const std::vector<std::regex>& res, const std::string& s) {
    for (auto& re : res)
        if (std::regex_search(s, re)) return true;
    return false;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

}  // namespace

void error_message_spec::normalize(aileron::config::decoder& d) {
    auto check = [&](const char* name, const std::vector<std::string>& list, auto problem) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (list[i].empty()) {
                d.error(std::string{name} + "[" + std::to_string(i) + "]", "must not be empty");
                continue;
            }
            if (std::string p = problem(list[i]); !p.empty())
                d.error(std::string{name} + "[" + std::to_string(i) + "]", p);
        }
    };
    check("paths", paths, regex_problem);
    check("codes", codes, glob_problem);
    check("kinds", kinds, glob_problem);
    check("messages", messages, regex_problem);
}

error_pages::error_pages(const config& cfg) {
    for (const error_message_spec& m : cfg.error_messages) {
        if (m.mime_contents.empty()) continue;   // AILERON drops entries without content
        entry e;
        for (auto& p : m.paths) {
            if (auto problem = regex_problem(p); !problem.empty()) throw std::invalid_argument("paths: " + problem);
            e.paths.emplace_back(p, std::regex::ECMAScript);
        }
        for (auto& list : {&m.codes, &m.kinds})
            for (auto& g : *list)
                if (auto problem = glob_problem(g); !problem.empty()) throw std::invalid_argument(problem);
        e.codes = m.codes;
        e.kinds = m.kinds;
        for (auto& p : m.messages) {
            if (auto problem = regex_problem(p); !problem.empty()) throw std::invalid_argument("messages: " + problem);
            e.messages.emplace_back(p, std::regex::ECMAScript);
        }
        for (auto& [k, v] : m.header_template) e.header_template.emplace_back(url::canonical_header_key(k), v);
        for (auto& c : m.mime_contents) e.contents.push_back(mime_content::from(c));
        entries_.push_back(std::move(e));
    }
}

int error_pages::match(std::string_view path, const http_error& err) const {
    const std::string p{path};
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const entry& e = entries_[i];
        if (!e.paths.empty() && !any_regex(e.paths, p)) continue;
        if (any_glob(e.codes, err.code) || any_glob(e.kinds, err.kind) || any_regex(e.messages, err.message))
            return static_cast<int>(i);
    }
    return -1;
}

response error_pages::make(const request& req, const http_error& err) const {
    int i = entries_.empty() ? -1 : match(url_path(req.target()), err);
    if (i < 0) return default_error_handler::instance().make(req, err);
    const entry& e = entries_[static_cast<std::size_t>(i)];

    auto accept = req.find(http::field::accept);
    int ci = select_mime_content(accept == req.end() ? std::string_view{} : std::string_view{accept->value()},
                                 e.contents);
    const mime_content& c = e.contents[ci < 0 ? 0 : static_cast<std::size_t>(ci)];   // no match: the first

    const unsigned status = c.status_given ? c.status : static_cast<unsigned>(err.status);
    const std::string status_str = std::to_string(status);
    const std::string_view text = status_text(status);

    aileron::config::node data = aileron::config::node::make_map();
    data.set("status", aileron::config::node{static_cast<std::int64_t>(status)});
    data.set("statusText", aileron::config::node{std::string{text}});
    data.set("code", aileron::config::node{std::string{err.code}});
    data.set("kind", aileron::config::node{std::string{err.kind}});

    response res{static_cast<http::status>(status), req.version()};
    for (auto& [k, v] : c.header) res.insert(k, v);
    for (auto& [k, tpl] : e.header_template) {   // rendered per response; nothing shared is touched
        std::string v = tpl;
        replace_all(v, "{{status}}", status_str);
        replace_all(v, "{{statusText}}", text);
        replace_all(v, "{{code}}", err.code);
        replace_all(v, "{{kind}}", err.kind);
        res.insert(k, v);
    }
    res.set(http::field::content_type, c.mime + "; charset=utf-8");
    res.set("X-Content-Type-Options", "nosniff");
    res.insert(http::field::vary, "Accept");
    for (auto& [k, v] : err.headers) res.insert(k, v);
    res.body() = c.render(data);
    res.prepare_payload();
    return res;
}

}  // namespace aileron::handlers
