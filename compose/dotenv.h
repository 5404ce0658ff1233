#pragma once

// Parser for `.env` files (the project's .env, --env-file, and env_file: entries), following the
// reference loader: `KEY=VALUE` lines, optional `export `, blank lines and `#` comments, a UTF-8
// byte order mark, '...' (literal; \' is a quote) and "..." (escapes \n \t \r \" \\ \$) values that
// may span lines, unquoted values ending at an inline " #" comment, and `KEY` alone, which takes
// the variable's value from `environment` (and is left out when it has none).

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace ecsync::compose {

// Variables in file order; a later line for the same key replaces the earlier value.
using DotEnv = std::vector<std::pair<std::string, std::string>>;

// Parses `content`. Unquoted and double-quoted values are interpolated (${VAR}, ${VAR:-d}, ...)
// with the file's earlier variables first, then `environment`. Errors are kInvalid,
// "line N: what" (the caller prefixes the file name): a key with a blank inside, an empty key,
// an unterminated quote, a bad interpolation.
base::Result<DotEnv> ParseDotEnv(const std::string& content,
                                 const std::map<std::string, std::string>& environment);

// Parses `content` in the `raw` env_file format (`docker run --env-file`): per line, a
// `KEY=VALUE` whose value is everything after the first `=`, kept as written (quotes, `$`,
// `#` and trailing blanks included; a CR before the newline is dropped). Blank lines and lines
// starting with `#` are skipped, leading blanks are ignored, a UTF-8 byte order mark is skipped.
// `KEY` alone takes its value from `environment` (and is left out when it has none). Errors are
// kInvalid, "line N: what": an empty key, a key with a blank inside.
base::Result<DotEnv> ParseRawEnv(const std::string& content,
                                 const std::map<std::string, std::string>& environment);

}  // namespace ecsync::compose
