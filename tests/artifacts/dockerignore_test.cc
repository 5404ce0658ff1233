// The .dockerignore matcher against the behaviour Docker documents for it (the build context
// documentation's "dockerignore files" section): its example tables, exceptions where the
// last match wins, "**", and directories that exclude what they hold.
#include "artifacts/dockerignore.h"

#include <gtest/gtest.h>

#include <random>

namespace ecsync::artifacts {
namespace {

DockerIgnore ParseOrDie(std::string_view text) {
  auto ignore = DockerIgnore::Parse(text, ".dockerignore");
  EXPECT_TRUE(ignore.ok()) << ignore.status().ToString();
  return ignore.ok() ? *ignore : DockerIgnore();
}

TEST(DockerIgnore, DocumentedExampleTable) {
  DockerIgnore ignore = ParseOrDie("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
  // */temp*: names starting with temp in any immediate subdirectory of the root.
  EXPECT_TRUE(ignore.Excluded("somedir/temporary.txt"));
  EXPECT_TRUE(ignore.Excluded("somedir/temp"));
  EXPECT_TRUE(ignore.Excluded("somedir/temp/inside.txt"));  // through its directory
  EXPECT_FALSE(ignore.Excluded("temporary.txt"));
  // */*/temp*: two levels below the root.
  EXPECT_TRUE(ignore.Excluded("somedir/subdir/temporary.txt"));
  EXPECT_FALSE(ignore.Excluded("a/b/c/temporary.txt"));
  // temp?: a one-character extension of temp, at the root.
  EXPECT_TRUE(ignore.Excluded("tempa"));
  EXPECT_TRUE(ignore.Excluded("tempb"));
  EXPECT_FALSE(ignore.Excluded("temp"));
  EXPECT_FALSE(ignore.Excluded("tempab"));
  EXPECT_FALSE(ignore.Excluded("a/b/c/tempa"));
  // "# comment" is not a pattern.
  EXPECT_FALSE(ignore.Excluded("# comment"));
}

TEST(DockerIgnore, RootIsBothWorkingAndRootDirectory) {
  for (const char* pattern : {"/foo/bar", "foo/bar", "./foo/bar", "foo/baz/../bar", "foo/bar/"}) {
    DockerIgnore ignore = ParseOrDie(pattern);
    EXPECT_TRUE(ignore.Excluded("foo/bar")) << pattern;
    EXPECT_TRUE(ignore.Excluded("foo/bar/deeper/file")) << pattern;
    EXPECT_FALSE(ignore.Excluded("bar")) << pattern;
    EXPECT_FALSE(ignore.Excluded("x/foo/bar")) << pattern;
    EXPECT_FALSE(ignore.Excluded("foo/barn")) << pattern;
  }
}

TEST(DockerIgnore, DoubleStarMatchesAnyNumberOfDirectories) {
  DockerIgnore ignore = ParseOrDie("**/*.go\n");
  EXPECT_TRUE(ignore.Excluded("main.go"));
  EXPECT_TRUE(ignore.Excluded("cmd/tool/main.go"));
  EXPECT_FALSE(ignore.Excluded("main.gox"));
  EXPECT_FALSE(ignore.Excluded("cmd/README"));

  DockerIgnore middle = ParseOrDie("a/**/z\n");
  EXPECT_TRUE(middle.Excluded("a/z"));
  EXPECT_TRUE(middle.Excluded("a/b/c/z"));
  EXPECT_TRUE(middle.Excluded("a/b/z/file"));
  EXPECT_FALSE(middle.Excluded("b/a/z"));

  DockerIgnore everything = ParseOrDie("**\n!src\n");
  EXPECT_TRUE(everything.Excluded("Makefile"));
  EXPECT_TRUE(everything.Excluded("docs/a/b.txt"));
  EXPECT_FALSE(everything.Excluded("src/main.c"));
}

TEST(DockerIgnore, StarDoesNotCrossDirectories) {
  DockerIgnore ignore = ParseOrDie("*.md\n");
  EXPECT_TRUE(ignore.Excluded("NOTES.md"));
  EXPECT_FALSE(ignore.Excluded("docs/guide.md"));  // unlike .gitignore
}

TEST(DockerIgnore, LastMatchingLineDecides) {
  DockerIgnore readme = ParseOrDie("*.md\n!README.md\n");
  EXPECT_TRUE(readme.Excluded("CHANGES.md"));
  EXPECT_FALSE(readme.Excluded("README.md"));

  DockerIgnore secret_last = ParseOrDie("*.md\n!README*.md\nREADME-secret.md\n");
  EXPECT_TRUE(secret_last.Excluded("README-secret.md"));
  EXPECT_FALSE(secret_last.Excluded("README-public.md"));
  EXPECT_TRUE(secret_last.Excluded("CHANGES.md"));

  DockerIgnore exception_last = ParseOrDie("*.md\nREADME-secret.md\n!README*.md\n");
  EXPECT_FALSE(exception_last.Excluded("README-secret.md"));
  EXPECT_TRUE(exception_last.Excluded("CHANGES.md"));
}

TEST(DockerIgnore, ExceptionReincludesInsideExcludedDirectory) {
  DockerIgnore ignore = ParseOrDie("build\n!build/keep\n");
  EXPECT_TRUE(ignore.Excluded("build/out.o"));
  EXPECT_FALSE(ignore.Excluded("build/keep/a.txt"));
  EXPECT_FALSE(ignore.ExcludesEverythingBelow("build"));  // the walk must look inside
  EXPECT_TRUE(ignore.ExcludesEverythingBelow("build/tmp"));
}

TEST(DockerIgnore, ExcludesEverythingBelowOnlyWithoutLaterExceptions) {
  EXPECT_TRUE(ParseOrDie("node_modules\n").ExcludesEverythingBelow("node_modules"));
  EXPECT_FALSE(ParseOrDie("node_modules\n").ExcludesEverythingBelow("src"));
  // An exception that can reach below through "**".
  EXPECT_FALSE(ParseOrDie("vendor\n!**/*.go\n").ExcludesEverythingBelow("vendor"));
  EXPECT_FALSE(ParseOrDie("vendor\n!vendor/**/keep\n").ExcludesEverythingBelow("vendor"));
  // An exception before the excluding line is overridden by it.
  EXPECT_TRUE(ParseOrDie("!vendor/keep\nvendor\n").ExcludesEverythingBelow("vendor"));
  // An exception elsewhere does not keep the walk in this directory.
  EXPECT_TRUE(ParseOrDie("vendor\n!src/keep\n").ExcludesEverythingBelow("vendor"));
}

// The walk skips a directory when ExcludesEverythingBelow says so; that is only sound if
// every path beneath it is then Excluded. Checked over many generated ignore files and every
// path of up to three segments over a small alphabet.
TEST(DockerIgnore, SkippedDirectoriesHoldOnlyExcludedPaths) {
  const std::vector<std::string> names = {"a", "b", "ab", "c"};
  std::vector<std::string> paths;
  for (const std::string& x : names) {
    paths.push_back(x);
    for (const std::string& y : names) {
      paths.push_back(x + "/" + y);
      for (const std::string& z : names) paths.push_back(x + "/" + y + "/" + z);
    }
  }
  const std::vector<std::string> pieces = {"a", "b", "*", "**", "a*", "?", "[ab]", "c"};
  std::mt19937 random(7);
  int skipped = 0;
  for (int file = 0; file < 2000; ++file) {
    std::string text;
    for (uint32_t line = 0, lines = 1 + random() % 4; line < lines; ++line) {
      if (random() % 3 == 0) text += "!";
      for (uint32_t seg = 0, segs = 1 + random() % 3; seg < segs; ++seg) {
        text += (seg > 0 ? "/" : "") + pieces[random() % pieces.size()];
      }
      text += "\n";
    }
    DockerIgnore ignore = ParseOrDie(text);
    for (const std::string& dir : paths) {
      if (!ignore.ExcludesEverythingBelow(dir)) continue;
      ++skipped;
      for (const std::string& path : paths) {
        if (path.starts_with(dir + "/")) {
          ASSERT_TRUE(ignore.Excluded(path)) << text << "skips " << dir << " but keeps " << path;
        }
      }
    }
  }
  EXPECT_GT(skipped, 1000);  // the check above ran on real skips
}

TEST(DockerIgnore, CommentsBlankLinesAndDotAreNotPatterns) {
  DockerIgnore ignore = ParseOrDie("# a comment\n\n   \n.\n./\r\n #not-a-comment\r\n");
  EXPECT_FALSE(ignore.Excluded("a comment"));
  EXPECT_FALSE(ignore.Excluded("file"));
  // '#' is a comment only in the first column; otherwise it is part of a pattern.
  EXPECT_TRUE(ignore.Excluded("#not-a-comment"));
}

TEST(DockerIgnore, ClassesEscapesAndQuestionMarks) {
  DockerIgnore ignore = ParseOrDie("[a-c]x\n[^0-9]y\n\\*z\nf?le\n");
  EXPECT_TRUE(ignore.Excluded("bx"));
  EXPECT_FALSE(ignore.Excluded("dx"));
  EXPECT_TRUE(ignore.Excluded("qy"));
  EXPECT_FALSE(ignore.Excluded("7y"));
  EXPECT_TRUE(ignore.Excluded("*z"));
  EXPECT_FALSE(ignore.Excluded("az"));
  EXPECT_TRUE(ignore.Excluded("f\xC3\xA9le"));  // '?' is one character, not one byte
  EXPECT_FALSE(ignore.Excluded("f/le"));
}

TEST(DockerIgnore, SegmentMatchingBacktracksOverStars) {
  EXPECT_TRUE(MatchSegment("*a*b", "xxaybb"));
  EXPECT_TRUE(MatchSegment("*", ""));
  EXPECT_FALSE(MatchSegment("*a*b", "xxaybc"));
  EXPECT_TRUE(MatchSegment("a*b*c*d", "aXbYbcZZd"));
  EXPECT_FALSE(MatchSegment("a?", "a"));
}

TEST(DockerIgnore, MalformedPatternNamesFileAndLine) {
  auto unclosed = DockerIgnore::Parse("ok\n\nsrc/[ab\n", "api/.dockerignore");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_EQ(unclosed.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(unclosed.status().message().find("api/.dockerignore:3:"), std::string::npos)
      << unclosed.status().message();
  EXPECT_FALSE(DockerIgnore::Parse("a\\", ".dockerignore").ok());
  EXPECT_FALSE(DockerIgnore::Parse("[]a]", ".dockerignore").ok());
  EXPECT_FALSE(DockerIgnore::Parse("!", ".dockerignore").ok());
}

}  // namespace
}  // namespace ecsync::artifacts
