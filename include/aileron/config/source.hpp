#pragma once
/// @file
/// From files to documents: reading `-f` files and folders, splitting multi-document files,
/// `${VAR}` substitution, `-e` env files, and printing a node tree back as YAML, JSON or TOML.

#include <aileron/config/diagnostics.hpp>
#include <aileron/config/node.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aileron::config {

enum class format { yaml, json, toml };

/// One resource document (`apiVersion/kind/metadata/spec`) as parsed, before decoding.
struct document {
    node root;    ///< a map for every well-formed document
    mark where;   ///< where the document starts (file and first line)
};

/// The format a file name implies, or false for files that `-f` ignores.
bool format_of(std::string_view file_name, format& out) noexcept;

/**
 * Reads every config file named in `paths`: files directly, folders by their top-level
 * `.yaml`, `.yml`, `.json` and `.toml` files in name order (not recursive). Documents are
 * returned in file order. Unreadable paths and syntax errors are reported to `diag`.
 */
std::vector<document> load_documents(std::span<const std::string> paths, diagnostics& diag);

/**
 * Parses one file's text. YAML and JSON files are split into documents on lines that are
 * exactly `---` (AILERON splits on "---\n" too); TOML files hold either one resource at the
 * top level or several as `[[resource]]` tables. `${VAR}` substitution runs on each document's
 * text before parsing (so apiVersion/kind may come from the environment too).
 * Marks in the result point into `file_name` with the lines of the original file.
 */
std::vector<document> parse_documents(std::string_view text, std::string file_name, format fmt,
                                      diagnostics& diag);

/**
 * Bash-like substitution of `${...}` expressions, as AILERON does (§2.4 of the spec):
 * `${V}`, `${V:-w}`, `${V-w}`, `${V:=w}`, `${V=w}`, `${V:?w}`, `${V?w}`, `${V:+w}`, `${V+w}`,
 * `${V:off}`, `${V:off:len}`, `${#V}`, `${!prefix*}`, `${!prefix@}`, `${V#re}`, `${V##re}`,
 * `${V%re}`, `${V%%re}`, `${V/re/s}`, `${V//re/s}`, `${V/#re/s}`, `${V/%re/s}`, `${V^re}`,
 * `${V^^re}`, `${V,re}`, `${V,,re}`, `${V@U}`, `${V@u}`, `${V@L}`, `${V@l}`. Two passes, so
 * one level of nesting (`${A_${B}}`) works. `${V:?msg}` on an unset variable is reported to
 * `diag` at the line of the expression (`start` is the mark of the text's first character).
 * Reads (and for `:=`/`=` writes) the process environment, so call it from one thread only,
 * as config loading at startup does.
 */
std::string expand_env(std::string_view text, const mark& start, diagnostics& diag);

/**
 * Loads a dotenv-style file (`KEY=VALUE`, `export `, `#` comments, quotes, `${..}` in values)
 * into the process environment. Returns false and reports to `diag` on any error.
 */
bool load_env_file(const std::string& path, diagnostics& diag);

/// Prints a node tree. YAML uses 2-space indentation; JSON is indented by 2; TOML prints a
/// top-level map as tables. Used by `aileron -t` and by tests.
///
/// Every output reads back as the same kinds and values, except that JSON prints infinity and
/// NaN as `null` and TOML leaves out nulls (it has none) and prints nothing for a root that is
/// not a map. YAML and pretty JSON end with a newline; compact JSON does not.
std::string to_yaml(const node& n);
std::string to_json(const node& n, bool pretty = true);
std::string to_toml(const node& n);

}  // namespace aileron::config
