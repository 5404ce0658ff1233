#pragma once

// The third-party test data (../shared/corpora) lives beside the project's checkout, not in
// it: a user's clone has none. Tests that read it derive from CorpusTest so they skip with one
// line naming the missing folder instead of aborting; CI sets ECSYNC_REQUIRE_CORPUS=1 so a
// missing corpus fails there and a skip can never hide a regression.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace ecsync::testing {

// "" when CorpusDir() is a folder; else the line a skipped test prints.
std::string MissingCorpusMessage();
// True when ECSYNC_REQUIRE_CORPUS=1: a missing corpus is a failure, not a skip.
bool CorpusRequired();

// Skips (or, when the corpus is required, fails) every test of a fixture when the corpus is
// absent. SetUp runs before the test body, so a parameter made by CorpusCases' placeholder is
// never used.
class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

template <typename T>
class CorpusTestWithParam : public CorpusTest, public ::testing::WithParamInterface<T> {};

// The name of the single case CorpusCases lists when the corpus is absent.
inline constexpr char kCorpusMissingCase[] = "corpus_missing";

// Parameter lists read from the corpus while tests are discovered: `list()` when the corpus
// exists, else one placeholder (`placeholder`) that CorpusTest skips. gtest turns an empty
// list into a failing test, and reading an absent folder would abort discovery.
template <typename T>
std::vector<T> CorpusCases(const std::function<std::vector<T>()>& list, T placeholder) {
  if (!MissingCorpusMessage().empty()) return {std::move(placeholder)};
  return list();
}

}  // namespace ecsync::testing
