// UTF-8 checks and repair (base/utf8.h): what makes untrusted text safe to put in JSON.

#include "base/utf8.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ecsync::base {
namespace {

constexpr char kFffd[] = "\xEF\xBF\xBD";

TEST(Utf8, ValidTextIsKept) {
  // "grüße": its 'e' is written \x65, as a plain 'e' would extend the \x9F escape.
  for (const char* text : {"", "plain", "gr\xC3\xBC\xC3\x9F\x65", "\xE2\x82\xAC 5",
                           "\xF0\x9F\x9A\x80 launch", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
    EXPECT_EQ(SanitizeUtf8(text), text);
  }
  EXPECT_EQ(SanitizeUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Utf8, IllFormedBytesBecomeReplacementCharacters) {
  struct Case {
    std::string in;
    std::string out;
  };
  const std::string r = kFffd;
  for (const Case& c : std::vector<Case>{
           {"\xFF", r},
           {"key\xFFname", "key" + r + "name"},
           {"\xC3", r},      // cut two-byte character
           {"\xE2\x82", r},  // cut three-byte character: one subpart
           {"\xE2\x82x", r + "x"},
           {"\xF0\x9F\x9A", r},                  // cut four-byte character
           {"\xC0\xAF", r + r},                  // overlong '/'
           {"\xE0\x80\xAF", r + r + r},          // overlong
           {"\xED\xA0\x80", r + r + r},          // surrogate U+D800
           {"\xF4\x90\x80\x80", r + r + r + r},  // above U+10FFFF
           {"\x80\x80", r + r},                  // stray continuation bytes
           {"ok\xC3\xA9\xE9", "ok\xC3\xA9" + r},
       }) {
    EXPECT_FALSE(IsValidUtf8(c.in));
    const std::string out = SanitizeUtf8(c.in);
    EXPECT_EQ(out, c.out);
    EXPECT_TRUE(IsValidUtf8(out));
    EXPECT_NO_THROW(nlohmann::json(out).dump());
  }
}

TEST(Utf8, PrefixNeverSplitsACharacter) {
  const std::string euro = "\xE2\x82\xAC";  // 3 bytes
  const std::string text = "ab" + euro + euro;
  EXPECT_EQ(Utf8Prefix(text, 100), text);
  EXPECT_EQ(Utf8Prefix(text, 2), "ab...");
  EXPECT_EQ(Utf8Prefix(text, 3), "ab...");
  EXPECT_EQ(Utf8Prefix(text, 4), "ab...");
  EXPECT_EQ(Utf8Prefix(text, 5), "ab" + euro + "...");
  EXPECT_EQ(Utf8Prefix(text, 0), "...");
  EXPECT_EQ(Utf8Prefix("x\xFFy", 100), "x" + std::string(kFffd) + "y");
  for (size_t n = 0; n < text.size() + 2; ++n) EXPECT_TRUE(IsValidUtf8(Utf8Prefix(text, n)));
}

}  // namespace
}  // namespace ecsync::base
