/// @file
/// Reading `-f` files and folders and splitting them into documents (spec §2.3).

#include <aileron/config/source.hpp>

#include "detail/parsers.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aileron::config {

namespace detail {

bool
read_file(const std::string& path, std::string& text, std::string& error)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        error = std::strerror(EISDIR);
        return false;
    }
    text.clear();
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            error = std::strerror(errno);
            ::close(fd);
            return false;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return true;
}

}  // namespace detail

bool
format_of(std::string_view file_name, format& out) noexcept
{
    if (file_name.ends_with(".yaml") || file_name.ends_with(".yml")) out = format::yaml;
    else if (file_name.ends_with(".json")) out = format::json;
    else if (file_name.ends_with(".toml")) out = format::toml;
    else return false;
    return true;
}

std::vector<document>
parse_documents(std::string_view text, std::string file_name, format fmt, diagnostics& diag)
{
    const auto file = std::make_shared<const std::string>(std::move(file_name));
    std::vector<document> out;

    // CRLF -> LF keeps line numbers; a BOM would hide a leading `---`.
    std::string normalized;
    normalized.reserve(text.size());
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) normalized += text[i];

    if (fmt == format::toml) {
        const std::string expanded = expand_env(normalized, mark{file, 1, 1}, diag);
        detail::parse_toml(expanded, file, out, diag);
        return out;
    }

    const std::string_view format_name = fmt == format::json ? "JSON" : "YAML";
    const std::string_view all = normalized;
    const auto flush = [&](std::size_t begin, std::size_t end, int first_line) {
        const std::string_view piece = all.substr(begin, end - begin);
        if (piece.find_first_not_of(" \t\n") == std::string_view::npos) return;
        const std::string expanded = expand_env(piece, mark{file, first_line, 1}, diag);
        detail::parse_yaml(expanded, file, first_line, format_name, out, diag);
    };

    // Split on lines that are exactly `---`, as AILERON splits on "---\n".
    std::size_t piece_begin = 0;
    int piece_line = 1;
    int line_no = 1;
    for (std::size_t pos = 0; pos < all.size(); ++line_no) {
        const std::size_t nl = all.find('\n', pos);
        const std::size_t line_end = nl == std::string_view::npos ? all.size() : nl;
        if (all.substr(pos, line_end - pos) == "---") {
            flush(piece_begin, pos, piece_line);
            piece_begin = std::min(line_end + 1, all.size());
            piece_line = line_no + 1;
        }
        pos = line_end + 1;
    }
    flush(piece_begin, all.size(), piece_line);
    return out;
}

std::vector<document>
load_documents(std::span<const std::string> paths, diagnostics& diag)
{
    namespace fs = std::filesystem;
    std::vector<document> out;
    const auto load_file = [&](const std::string& path, format fmt) {
        std::string text, error;
        if (!detail::read_file(path, text, error)) {
            diag.add(mark{std::make_shared<const std::string>(path), 0, 0}, "cannot read config file: " + error);
            return;
        }
        auto docs = parse_documents(text, path, fmt, diag);
        std::move(docs.begin(), docs.end(), std::back_inserter(out));
    };

    for (const std::string& path : paths) {
        const auto where = mark{std::make_shared<const std::string>(path), 0, 0};
        std::error_code ec;
        const fs::file_status st = fs::status(path, ec);
        if (ec || !fs::exists(st)) {
            diag.add(where, "cannot read config path: " + (ec ? ec.message() : std::string(std::strerror(ENOENT))));
            continue;
        }
        format fmt{};
        if (!fs::is_directory(st)) {
            if (!format_of(path, fmt)) {
                diag.add(where, "not a config file: the name must end with .yaml, .yml, .json or .toml");
                continue;
            }
            load_file(path, fmt);
            continue;
        }
        // A folder: its own files only (not recursive), in name order, other names ignored.
        std::vector<fs::path> files;
        fs::directory_iterator it(path, ec);
        for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
            std::error_code file_ec;
            if (!it->is_regular_file(file_ec)) continue;
            if (format_of(it->path().filename().native(), fmt)) files.push_back(it->path());
        }
        if (ec) {
            diag.add(where, "cannot read config folder: " + ec.message());
            continue;
        }
        std::sort(files.begin(), files.end(),
                  [](const fs::path& a, const fs::path& b) { return a.filename().native() < b.filename().native(); });
        for (const fs::path& f : files) {
            format_of(f.filename().native(), fmt);
            load_file(f.string(), fmt);
        }
    }
    return out;
}

}  // namespace aileron::config
