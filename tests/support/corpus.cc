#include "tests/support/corpus.h"

#include <cstdlib>
#include <filesystem>

namespace ecsync::testing {

std::string MissingCorpusMessage() {
  const std::string dir = CorpusDir();
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return "";
  return "test data folder " + dir +
         " not found (the third-party corpora are not part of a clone); skipping";
}

bool CorpusRequired() {
  const char* value = std::getenv("ECSYNC_REQUIRE_CORPUS");
  return value != nullptr && std::string(value) == "1";
}

void CorpusTest::SetUp() {
  const std::string missing = MissingCorpusMessage();
  if (missing.empty()) return;
  if (CorpusRequired()) GTEST_FAIL() << missing << " (ECSYNC_REQUIRE_CORPUS=1)";
  GTEST_SKIP() << missing;
}

}  // namespace ecsync::testing
