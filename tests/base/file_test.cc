#include "base/file.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace ecsync::base {
namespace {

TEST(ReadWholeFile, ReturnsEveryByte) {
  testing::TempDir dir;
  const std::string content("line\r\n\0binary\xff", 14);
  const std::string path = dir.WriteFile("data.bin", content);
  const Result<std::string> read = ReadWholeFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, content);
  EXPECT_EQ(*ReadWholeFile(dir.WriteFile("empty", "")), "");
}

TEST(ReadWholeFile, ErrorKinds) {
  testing::TempDir dir;
  const Result<std::string> missing = ReadWholeFile(dir.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(missing.status().message(), "no such file");

  const Result<std::string> directory = ReadWholeFile(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(directory.status().message(), "it is a directory, not a file");
}

}  // namespace
}  // namespace ecsync::base
