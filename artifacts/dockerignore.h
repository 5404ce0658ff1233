#pragma once

// A `.dockerignore` file: which paths of a build context Docker leaves out of what it sends
// to the builder. The rules are Docker's (the "dockerignore files" section of its build
// context documentation):
//
//   - one pattern a line; a line starting with '#' in its first column is a comment; blank
//     lines are skipped; surrounding whitespace is trimmed
//   - a leading '!' makes the pattern an exception (re-includes what it matches)
//   - each pattern is cleaned as a path (".", "..", repeated and trailing '/' folded) and a
//     leading '/' is dropped: patterns are relative to the context root; the pattern "." is
//     ignored, as in Docker
//   - within a segment, '*' matches any run of characters except '/', '?' one character
//     except '/', "[...]" a character class ("[^...]" negated, "a-z" ranges), '\' escapes
//     the next character; a segment that is exactly "**" matches any number of segments,
//     including none
//   - a pattern matches a path when it matches the path itself or any of its parent
//     directories: "build" excludes build/out/app.o
//   - the last pattern that matches a path decides: excluded by a pattern, included by an
//     exception ("*.md" then "!README.md" keeps README.md only)
//
// One difference from Docker: a "**" that is not a whole segment ("a**b") acts as a single
// '*' here (Docker lets it cross '/'); Docker's documentation only describes "**" as a
// whole segment.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ecsync::artifacts {

class DockerIgnore {
 public:
  // No patterns: nothing is excluded.
  DockerIgnore() = default;

  // Parses the content of an ignore file. `file_name` only names the file in errors.
  // kInvalid, naming the file and line, for a malformed pattern (an unclosed '[', a class
  // starting with '-' or ']', a trailing '\'), which Docker refuses too.
  static base::Result<DockerIgnore> Parse(std::string_view content, const std::string& file_name);

  // True when the context-relative, normalized, '/'-separated `path` (not "" or ".") is
  // left out of the context.
  bool Excluded(std::string_view path) const;

  // True when `dir` is excluded and no later exception can re-include anything beneath it,
  // so a walk of the context may skip the whole directory. False means only "look inside".
  bool ExcludesEverythingBelow(std::string_view dir) const;

  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::vector<std::string> segments;  // split on '/'; "**" stands for any segments
    bool exception = false;
  };

  // Index of the last pattern matching `segments` (or a parent of it), -1 for none.
  int LastMatch(const std::vector<std::string_view>& segments) const;

  std::vector<Pattern> patterns_;
};

// Go filepath.Match over one segment ('/' never matches): '*', '?', "[...]", '\'.
// REQUIRES: `pattern` was accepted by Parse (well-formed classes and escapes).
bool MatchSegment(std::string_view pattern, std::string_view name);

}  // namespace ecsync::artifacts
