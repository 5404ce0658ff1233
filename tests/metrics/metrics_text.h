#pragma once

// Helpers for reading and checking the Prometheus text exposition in tests.

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace ecsync::metrics {

// True when `text` has a line that is exactly `line`.
inline bool HasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string current; std::getline(in, current);) {
    if (current == line) return true;
  }
  return false;
}

// Lines of `text` (samples and comments) that contain `fragment`, sorted (the exposition's
// order of series within a family is unspecified), each ending in a newline.
inline std::string LinesWith(const std::string& text, const std::string& fragment) {
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string current; std::getline(in, current);) {
    if (current.find(fragment) != std::string::npos) lines.push_back(current);
  }
  std::sort(lines.begin(), lines.end());
  std::string joined;
  for (const std::string& line : lines) joined += line + "\n";
  return joined;
}

// How many lines of `text` contain `fragment`.
inline int CountLines(const std::string& text, const std::string& fragment) {
  std::istringstream in(text);
  int count = 0;
  for (std::string current; std::getline(in, current);) {
    if (current.find(fragment) != std::string::npos) ++count;
  }
  return count;
}

// Writes `text` to a file and runs `promtool check metrics` on it. Success means exit 0 and
// no lint findings; otherwise the failure carries promtool's output and the text.
inline ::testing::AssertionResult PromtoolAccepts(const std::string& text) {
  testing::TempDir dir;
  const std::string path = dir.WriteFile("metrics.prom", text);
  testing::CommandResult result =
      testing::RunCommand({"sh", "-c", "exec promtool check metrics < \"$1\"", "sh", path});
  if (result.exit_code == 0 && result.out.empty() && result.err.empty()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "promtool exit " << result.exit_code << "\nstdout:\n"
                                       << result.out << "\nstderr:\n"
                                       << result.err << "\nexposition:\n"
                                       << text;
}

}  // namespace ecsync::metrics
