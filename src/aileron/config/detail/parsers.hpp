#pragma once
/// @file
/// Private to src/aileron/config: the pieces behind `parse_documents` and `load_env_file`,
/// shared between source.cpp, yaml.cpp, toml.cpp and env.cpp. yaml-cpp and toml++ never
/// appear here, so their headers (and exceptions) stay inside their own translation units.

#include <aileron/config/source.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aileron::config::detail {

using file_ptr = std::shared_ptr<const std::string>;

/// Reads a whole file into `text`; on failure returns false with the reason (strerror text).
bool read_file(const std::string& path, std::string& text, std::string& error);

/**
 * Parses one piece of a YAML or JSON file (already split on `---` lines and env-substituted)
 * and appends its non-empty documents to `out`. `first_line` is the 1-based line of the file
 * where the piece starts, so that marks use the lines of the original file. `format_name`
 * ("YAML" or "JSON") is used in syntax error messages.
 */
void parse_yaml(std::string_view text, const file_ptr& file, int first_line, std::string_view format_name,
                std::vector<document>& out, diagnostics& diag);

/// True when a plain (unquoted) YAML scalar with this text reads back as a string under the
/// YAML 1.2 core schema that `parse_yaml` uses; the YAML emitter quotes everything else.
bool plain_yaml_is_string(const std::string& text);

/// Parses a whole TOML file (already env-substituted): one resource at the top level, or one
/// document per `[[resource]]` table.
void parse_toml(std::string_view text, const file_ptr& file, std::vector<document>& out, diagnostics& diag);

}  // namespace aileron::config::detail
