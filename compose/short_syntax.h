#pragma once

// Parsers for compose's string shorthands. Pure functions; errors are kInvalid and say what is
// wrong with the value and how to write it, without a location (the caller adds it).

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "compose/model.h"

namespace ecsync::compose {

// Splits a command line into words as a POSIX shell would, without expansions: blanks
// separate words; '...' is literal; inside "..." a backslash escapes only $ ` " \ and
// newline; elsewhere a backslash escapes the next character. An unterminated quote is an error.
base::Result<std::vector<std::string>> SplitShellWords(const std::string& text);

// Parses [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL], where either port may be a range
// "A-B" (one mapping per port; a host range must be as long as the container range).
// HOST_IP may be an IPv6 address in brackets. An empty HOST_PORT ("127.0.0.1::80") leaves
// `published` unset. PROTOCOL is tcp or udp, any case; default tcp.
base::Result<std::vector<PortMapping>> ParsePortSpec(const std::string& text);

// A port number 1..65535, written in decimal.
base::Result<uint32_t> ParsePortNumber(const std::string& text);

// Parses a byte size: a decimal number (fraction allowed), optional blanks, then an
// optional unit b, k, m, g, t or p, optionally followed by "i" and/or "b", any case
// ("512m", "1.5GB", "64KiB"). Multiples are binary (k = 1024). The result is rounded down.
base::Result<int64_t> ParseBytes(const std::string& text);

// A finite, non-negative decimal number such as "0.5" or "2".
base::Result<double> ParseCpus(const std::string& text);

// A non-negative decimal integer that fits in an int.
base::Result<int> ParseNonNegativeInt(const std::string& text);

}  // namespace ecsync::compose

namespace ecsync::compose {

// Permission bits: "0440" and "0o440" are octal, "288" decimal.
base::Result<uint32_t> ParseFileMode(const std::string& text);

// A decimal integer that fits in int64 (a leading '-' allowed).
base::Result<int64_t> ParseInt64(const std::string& text);

}  // namespace ecsync::compose
