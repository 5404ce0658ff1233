#include "base/strings.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ecsync::base {
namespace {

TEST(AsciiCase, ChangesOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower("HeLLo-42_Z"), "hello-42_z");
  EXPECT_EQ(AsciiUpper("HeLLo-42_z"), "HELLO-42_Z");
  EXPECT_EQ(AsciiLower("\xC3\x84"), "\xC3\x84");  // "Ä" in UTF-8 stays as it is
  EXPECT_EQ(AsciiLower('Q'), 'q');
  EXPECT_EQ(AsciiUpper('@'), '@');
  EXPECT_TRUE(EqualsIgnoreAsciiCase("Content-Length", "content-length"));
  EXPECT_FALSE(EqualsIgnoreAsciiCase("Content-Length", "content-lengths"));
  EXPECT_FALSE(EqualsIgnoreAsciiCase("[", "{"));  // differ by 0x20 but are not letters
}

TEST(TrimAscii, RemovesTheGivenCharactersAtBothEnds) {
  EXPECT_EQ(TrimAscii(" \t\r\n x y \v\f"), "x y");
  EXPECT_EQ(TrimAscii("   "), "");
  EXPECT_EQ(TrimAscii(""), "");
  EXPECT_EQ(TrimAscii("\n a \n", " \t"), "\n a \n");
  EXPECT_EQ(TrimAscii("\t a \t", " \t"), "a");
}

TEST(Split, KeepsEmptyPieces) {
  EXPECT_EQ(Split("a/b/c", '/'), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Split("a//b/", '/'), (std::vector<std::string>{"a", "", "b", ""}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string>{""}));
}

TEST(Join, PutsTheSeparatorBetweenItems) {
  EXPECT_EQ(Join(std::vector<std::string>{"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(Join(std::set<std::string>{"y", "x"}, ","), "x,y");
  EXPECT_EQ(Join(std::vector<std::string>{}, ","), "");
}

}  // namespace
}  // namespace ecsync::base
