// GlobMatch (declared in config/config.h).

#include <string_view>
#include <vector>

#include "config/config.h"

namespace ecsync::config {

namespace {

std::vector<std::string_view> Split(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
}

// '*' and '?' within one segment. Greedy with backtracking to the last '*': linear in
// practice, quadratic at worst.
bool MatchSegment(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;  // position after the last '*' seen
  size_t star_text = 0;                  // where the text stood when it was seen
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = ++p;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool GlobMatch(const std::string& pattern, const std::string& path) {
  const std::vector<std::string_view> globs = Split(pattern);
  const std::vector<std::string_view> parts = Split(path);
  // matches[i][j]: globs[i..] matches parts[j..]. Filled from the end so each '**' looks at
  // answers already known: no exponential backtracking however many '**' there are.
  std::vector<std::vector<unsigned char>> matches(globs.size() + 1,
                                                  std::vector<unsigned char>(parts.size() + 1, 0));
  matches[globs.size()][parts.size()] = 1;
  for (size_t i = globs.size(); i-- > 0;) {
    for (size_t j = parts.size() + 1; j-- > 0;) {
      if (globs[i] == "**") {
        // Zero segments, or one more segment and still '**'.
        matches[i][j] = matches[i + 1][j] || (j < parts.size() && matches[i][j + 1]);
      } else {
        matches[i][j] =
            j < parts.size() && MatchSegment(globs[i], parts[j]) && matches[i + 1][j + 1];
      }
    }
  }
  return matches[0][0] != 0;
}

}  // namespace ecsync::config
