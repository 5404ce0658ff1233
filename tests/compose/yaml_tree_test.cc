#include "compose/yaml_tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ecsync::compose {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

YamlNode Parse(const std::string& text) {
  base::Result<YamlNode> result = ParseYaml(text, "f.yaml");
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : YamlNode{};
}

std::string ScalarAt(const YamlNode& map, const std::string& key) {
  const YamlNode* node = map.Find(key);
  return node != nullptr && node->IsScalar() ? node->scalar : "<missing>";
}

TEST(ParseYaml, LocationsAreOneBased) {
  const YamlNode root = Parse("a:\n  b: [x, y]\n");
  const YamlNode* b = root.Find("a")->Find("b");
  EXPECT_EQ(root.entries[0].key_location.ToString(), "f.yaml:1:1");
  EXPECT_EQ(root.Find("a")->entries[0].key_location.ToString(), "f.yaml:2:3");
  EXPECT_EQ(b->items[1].location.ToString(), "f.yaml:2:10");
}

TEST(ParseYaml, NullsAndQuotedScalars) {
  const YamlNode root = Parse("a: ~\nb:\nc: null\nd: ''\ne: \"null\"\nf: 5\ng: '5'\n");
  EXPECT_TRUE(root.Find("a")->IsNull());
  EXPECT_TRUE(root.Find("b")->IsNull());
  EXPECT_TRUE(root.Find("c")->IsNull());
  EXPECT_TRUE(root.Find("d")->IsScalar());
  EXPECT_EQ(ScalarAt(root, "e"), "null");
  EXPECT_FALSE(root.Find("f")->quoted);
  EXPECT_TRUE(root.Find("g")->quoted);
  EXPECT_EQ(root.Find("b")->location.ToString(), "f.yaml:2:1");  // the key's position
}

TEST(ParseYaml, EmptyDocumentIsNull) { EXPECT_TRUE(Parse("").IsNull()); }

TEST(ParseYaml, AliasesAreExpandedCopies) {
  const YamlNode root = Parse("a: &x {k: v}\nb: *x\n");
  EXPECT_EQ(ScalarAt(*root.Find("b"), "k"), "v");
}

TEST(ParseYaml, MergeKeyWithSingleMappingKeepsExplicitKeys) {
  const YamlNode root = Parse(
      "base: &base {image: old, restart: always}\n"
      "svc:\n"
      "  <<: *base\n"
      "  image: new\n");
  const YamlNode* svc = root.Find("svc");
  EXPECT_EQ(ScalarAt(*svc, "image"), "new");
  EXPECT_EQ(ScalarAt(*svc, "restart"), "always");
  EXPECT_EQ(svc->Find("<<"), nullptr);
  EXPECT_EQ(svc->entries.size(), 2u);
}

TEST(ParseYaml, MergeKeyWithListEarlierMappingsWin) {
  const YamlNode root = Parse(
      "a: &a {x: from-a, y: from-a}\n"
      "b: &b {x: from-b, z: from-b}\n"
      "c:\n"
      "  <<: [*a, *b]\n"
      "  y: own\n");
  const YamlNode* c = root.Find("c");
  EXPECT_EQ(ScalarAt(*c, "x"), "from-a");
  EXPECT_EQ(ScalarAt(*c, "y"), "own");
  EXPECT_EQ(ScalarAt(*c, "z"), "from-b");
}

TEST(ParseYaml, MergeKeyInsideMergedMappingIsApplied) {
  const YamlNode root = Parse(
      "a: &a {x: 1}\n"
      "b: &b {<<: *a, y: 2}\n"
      "c: {<<: *b}\n");
  const YamlNode* c = root.Find("c");
  EXPECT_EQ(ScalarAt(*c, "x"), "1");
  EXPECT_EQ(ScalarAt(*c, "y"), "2");
}

TEST(ParseYaml, QuotedMergeKeyIsAnOrdinaryKey) {
  const YamlNode root = Parse("a: {'<<': x}\n");
  EXPECT_EQ(ScalarAt(*root.Find("a"), "<<"), "x");
}

TEST(ParseYaml, MergeKeyNeedsMappings) {
  auto result = ParseYaml("a:\n  <<: scalar\n", "f.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), StartsWith("f.yaml:2:7: "));
  EXPECT_THAT(result.status().message(), HasSubstr("merge key"));
  EXPECT_FALSE(ParseYaml("a:\n  <<: [{x: 1}, 2]\n", "f.yaml").ok());
}

TEST(ParseYaml, DuplicateKeysAreErrors) {
  auto result = ParseYaml("a: 1\nb: 2\na: 3\n", "f.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(result.status().message(), StartsWith("f.yaml:3:1: duplicate key \"a\""));
}

TEST(ParseYaml, NonScalarKeysAreErrors) {
  EXPECT_FALSE(ParseYaml("? [a, b]\n: c\n", "f.yaml").ok());
}

TEST(ParseYaml, SyntaxErrorsCarryALocation) {
  auto result = ParseYaml("services:\n  web: [a, b\n  db: {}\n", "bad.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(result.status().message(), ::testing::MatchesRegex("bad\\.yaml:[0-9]+:[0-9]+: .*"));
  EXPECT_THAT(result.status().message(), HasSubstr("invalid YAML"));
}

TEST(ParseYaml, RecursiveAliasFailsCleanly) {
  auto result = ParseYaml("a: &a [1, *a]\n", "f.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("nests deeper than"));
}

TEST(ParseYaml, AliasBombFailsCleanly) {
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  auto result = ParseYaml(text, "f.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("expands to more than"));
}

}  // namespace
}  // namespace ecsync::compose
