#include "artifacts/dockerignore.h"

#include <cstdint>

#include "base/path.h"
#include "base/strings.h"

namespace ecsync::artifacts {
namespace {

constexpr std::string_view kAnySegments = "**";

// One UTF-8 character of `s` at `i`: its code point and byte length. A malformed byte is
// taken alone, as Go's decoder does, so every byte still advances the match.
std::pair<uint32_t, size_t> DecodeRune(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t length = 0;
  uint32_t rune = 0;
  if (b0 < 0x80) return {b0, 1};
  if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    rune = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    rune = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    rune = b0 & 0x07;
  } else {
    return {b0, 1};
  }
  if (i + length > s.size()) return {b0, 1};
  for (size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return {b0, 1};
    rune = (rune << 6) | (b & 0x3F);
  }
  return {rune, length};
}

// Reads one class character at `*i` (a '\' escapes the next one). False when the class is
// malformed there: the pattern ends, or an unescaped '-' or ']' stands where a character
// must.
bool ReadClassChar(std::string_view pattern, size_t* i, uint32_t* rune) {
  if (*i >= pattern.size() || pattern[*i] == '-' || pattern[*i] == ']') return false;
  if (pattern[*i] == '\\') {
    ++*i;
    if (*i >= pattern.size()) return false;
  }
  auto [r, length] = DecodeRune(pattern, *i);
  *rune = r;
  *i += length;
  return true;
}

// Matches the class starting at pattern[*i] == '[' against `rune`; leaves `*i` after its
// closing ']'. False in `*well_formed` when the class is malformed.
bool MatchClass(std::string_view pattern, size_t* i, uint32_t rune, bool* well_formed) {
  size_t q = *i + 1;
  bool negated = false;
  if (q < pattern.size() && pattern[q] == '^') {
    negated = true;
    ++q;
  }
  bool matched = false;
  for (int ranges = 0;; ++ranges) {
    if (q < pattern.size() && pattern[q] == ']' && ranges > 0) {
      ++q;
      break;
    }
    uint32_t lo = 0;
    if (!ReadClassChar(pattern, &q, &lo)) {
      *well_formed = false;
      return false;
    }
    uint32_t hi = lo;
    if (q < pattern.size() && pattern[q] == '-') {
      ++q;
      if (!ReadClassChar(pattern, &q, &hi)) {
        *well_formed = false;
        return false;
      }
    }
    if (lo <= rune && rune <= hi) matched = true;
  }
  *well_formed = true;
  *i = q;
  return matched != negated;
}

// Checks that `segment` is a well-formed filepath.Match pattern; the reason otherwise.
std::string SegmentError(std::string_view segment) {
  for (size_t i = 0; i < segment.size();) {
    if (segment[i] == '\\') {
      if (i + 1 >= segment.size()) return "it ends with a lone '\\'";
      i += 2;
    } else if (segment[i] == '[') {
      bool well_formed = false;
      MatchClass(segment, &i, 0, &well_formed);
      if (!well_formed) return "a '[' character class is not closed or is malformed";
    } else {
      ++i;
    }
  }
  return "";
}

// Whether `pattern` matches `path` or one of its parents (below == false), or could match
// something beneath the directory `path` (below == true): the pattern matches a parent of
// it or `path` itself, or consumes all of it with segments left over for names below.
// A memo over (pattern segment, path segment) keeps "**" polynomial.
bool MatchSegments(const std::vector<std::string>& pattern,
                   const std::vector<std::string_view>& path, bool below) {
  const size_t p_count = pattern.size();
  const size_t s_count = path.size();
  std::vector<int8_t> memo((p_count + 1) * (s_count + 1), -1);
  // Iterative over an explicit stack would be longer; depth is bounded by p + s.
  auto match = [&](auto& self, size_t pi, size_t si) -> bool {
    int8_t& known = memo[pi * (s_count + 1) + si];
    if (known >= 0) return known != 0;
    bool result = false;
    if (pi == p_count) {
      result = si > 0;
    } else if (si == s_count) {
      if (below) {
        result = true;
      } else {
        result = s_count > 0;
        for (size_t k = pi; k < p_count && result; ++k) result = pattern[k] == kAnySegments;
      }
    } else if (pattern[pi] == kAnySegments) {
      result = self(self, pi + 1, si) || self(self, pi, si + 1);
    } else {
      result = MatchSegment(pattern[pi], path[si]) && self(self, pi + 1, si + 1);
    }
    known = result ? 1 : 0;
    return result;
  };
  return match(match, 0, 0);
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

}  // namespace

bool MatchSegment(std::string_view pattern, std::string_view name) {
  size_t p = 0;
  size_t n = 0;
  size_t star_p = std::string_view::npos;  // just after the last '*' seen
  size_t star_n = 0;                       // where that '*' started to match
  while (n < name.size()) {
    auto [rune, length] = DecodeRune(name, n);
    if (p < pattern.size()) {
      const char c = pattern[p];
      if (c == '*') {
        star_p = ++p;
        star_n = n;
        continue;
      }
      if (c == '?') {
        ++p;
        n += length;
        continue;
      }
      if (c == '[') {
        size_t q = p;
        bool well_formed = false;
        if (MatchClass(pattern, &q, rune, &well_formed)) {
          p = q;
          n += length;
          continue;
        }
      } else {
        size_t q = p;
        if (c == '\\' && q + 1 < pattern.size()) ++q;
        auto [want, want_length] = DecodeRune(pattern, q);
        if (want == rune) {
          p = q + want_length;
          n += length;
          continue;
        }
      }
    }
    // Mismatch: let the last '*' swallow one more character, or fail.
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    star_n += DecodeRune(name, star_n).second;
    n = star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

base::Result<DockerIgnore> DockerIgnore::Parse(std::string_view content,
                                               const std::string& file_name) {
  DockerIgnore ignore;
  int line_number = 0;
  size_t start = 0;
  if (content.substr(0, 3) == "\xEF\xBB\xBF") start = 3;  // a byte-order mark
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '#') continue;
    std::string text(base::TrimAscii(line));
    if (text.empty()) continue;
    Pattern pattern;
    if (text.front() == '!') {
      pattern.exception = true;
      text = std::string(base::TrimAscii(std::string_view(text).substr(1)));
      if (text.empty()) {
        return base::InvalidError(file_name + ":" + std::to_string(line_number) +
                                  ": '!' needs a pattern after it");
      }
    }
    std::string cleaned = base::NormalizePath(text);
    if (cleaned.size() > 1 && cleaned.front() == '/') cleaned.erase(0, 1);
    if (cleaned == "." || cleaned == "/") continue;  // Docker ignores the pattern "."
    for (std::string_view segment : SplitPath(cleaned)) {
      if (std::string reason = SegmentError(segment); !reason.empty()) {
        return base::InvalidError(file_name + ":" + std::to_string(line_number) +
                                  ": the pattern \"" + text + "\" is malformed: " + reason);
      }
      // Consecutive "**" mean the same as one.
      if (segment == kAnySegments && !pattern.segments.empty() &&
          pattern.segments.back() == kAnySegments) {
        continue;
      }
      pattern.segments.emplace_back(segment);
    }
    ignore.patterns_.push_back(std::move(pattern));
  }
  return ignore;
}

int DockerIgnore::LastMatch(const std::vector<std::string_view>& segments) const {
  for (int i = static_cast<int>(patterns_.size()) - 1; i >= 0; --i) {
    if (MatchSegments(patterns_[i].segments, segments, /*below=*/false)) return i;
  }
  return -1;
}

bool DockerIgnore::Excluded(std::string_view path) const {
  if (patterns_.empty()) return false;
  const int last = LastMatch(SplitPath(path));
  return last >= 0 && !patterns_[last].exception;
}

bool DockerIgnore::ExcludesEverythingBelow(std::string_view dir) const {
  if (patterns_.empty()) return false;
  const std::vector<std::string_view> segments = SplitPath(dir);
  const int last = LastMatch(segments);
  if (last < 0 || patterns_[last].exception) return false;
  // Everything beneath `dir` matches patterns_[last] through its parent, so only a later
  // exception can change the outcome for it.
  for (size_t i = last + 1; i < patterns_.size(); ++i) {
    if (patterns_[i].exception && MatchSegments(patterns_[i].segments, segments, /*below=*/true)) {
      return false;
    }
  }
  return true;
}

}  // namespace ecsync::artifacts
