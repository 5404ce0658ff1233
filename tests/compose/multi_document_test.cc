// Several YAML documents in one compose file: each is a layer merged over the previous ones in
// order, as the reference loader does (compose-go's TestLoadMultiDocumentYaml); an empty
// trailing document is skipped.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "compose/loader.h"
#include "compose/yaml_tree.h"
#include "tests/compose/memory_file_reader.h"

namespace ecsync::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

base::Result<Project> LoadFiles(Files files) {
  MemoryFileReader reader(std::move(files));
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.project_name = "p";
  return Load(options, reader);
}

TEST(MultiDocument, DocumentsMergeInOrder) {
  base::Result<Project> project =
      LoadFiles({{"compose.yaml",
                  "services:\n"
                  "  app:\n"
                  "    extends:\n"
                  "      file: base.yaml\n"
                  "      service: base\n"
                  "    ports: [\"80:80\"]\n"
                  "---\n"
                  "services:\n"
                  "  app:\n"
                  "    environment:\n"
                  "      HELLO: WORLD\n"
                  "    ports: [\"443:443\"]\n"},
                 {"base.yaml", "services:\n  base:\n    image: alpine\n"}});
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  const Service* app = project->FindService("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->image, "alpine");
  EXPECT_EQ(app->environment.at("HELLO"), "WORLD");
  ASSERT_EQ(app->ports.size(), 2u);
  EXPECT_EQ(app->ports[0].target, 80);
  EXPECT_EQ(app->ports[1].target, 443);
}

TEST(MultiDocument, LaterDocumentsOverrideAndReset) {
  base::Result<Project> project = LoadFiles({{"compose.yaml",
                                              "name: first\n"
                                              "services:\n"
                                              "  web:\n"
                                              "    image: nginx:1\n"
                                              "    command: [a]\n"
                                              "    dns: [1.1.1.1]\n"
                                              "---\n"
                                              "services:\n"
                                              "  web:\n"
                                              "    image: nginx:2\n"
                                              "    command: [b]\n"
                                              "    dns: !reset []\n"}});
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  const Service& web = project->services.at(0);
  EXPECT_EQ(web.image, "nginx:2");
  EXPECT_THAT(*web.command, ElementsAre("b"));
  EXPECT_TRUE(web.dns.empty());
}

TEST(MultiDocument, NameFromTheLastDocumentThatSetsIt) {
  MemoryFileReader reader(
      Files{{"compose.yaml", "name: first\nservices:\n  web: {image: a}\n---\nname: second\n"}});
  LoadOptions options;
  options.files = {"compose.yaml"};
  base::Result<Project> project = Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->name, "second");
}

TEST(MultiDocument, TrailingSeparatorIsSkipped) {
  base::Result<Project> project =
      LoadFiles({{"compose.yaml", "services:\n  app:\n    image: nginx\n---\n"}});
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->services.at(0).image, "nginx");
}

TEST(MultiDocument, EachDocumentIsChecked) {
  base::Result<Project> project =
      LoadFiles({{"compose.yaml",
                  "services:\n  app:\n    image: nginx\n---\nservices:\n  app:\n    imgae: x\n"}});
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(),
              HasSubstr("compose.yaml:7:5: services.app.imgae: unknown key"));
  project = LoadFiles({{"compose.yaml", "services:\n  app:\n    image: nginx\n---\n- a\n"}});
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(),
              HasSubstr("compose.yaml:5:1: the top level must be a mapping"));
}

TEST(MultiDocument, OnlyEmptyDocumentsIsAnEmptyFile) {
  base::Result<Project> project = LoadFiles({{"compose.yaml", "---\n---\n"}});
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(), HasSubstr("the file is empty"));
}

TEST(MultiDocument, ParseYamlDocumentsKeepsLines) {
  base::Result<std::vector<YamlNode>> documents = ParseYamlDocuments("a: 1\n---\nb: 2\n", "f.yaml");
  ASSERT_TRUE(documents.ok()) << documents.status().ToString();
  ASSERT_EQ(documents->size(), 2u);
  EXPECT_EQ((*documents)[1].entries.at(0).key, "b");
  EXPECT_EQ((*documents)[1].entries.at(0).key_location.line, 3);
}

TEST(MultiDocument, DocumentEndMarkersSeparateDocumentsAndKeepLineNumbers) {
  base::Result<Project> project = LoadFiles({{"compose.yaml",
                                              "# leading comment\n"
                                              "services:\n"
                                              "  web:\n"
                                              "    image: nginx:1\n"
                                              "...\n"
                                              "services:\n"
                                              "  web:\n"
                                              "    ports: [\"80:abc\"]\n"}});
  ASSERT_FALSE(project.ok());
  // The error is on line 8 of the file, not of the second document.
  EXPECT_THAT(project.status().message(), HasSubstr("compose.yaml:8:"));
}

TEST(MultiDocument, MalformedStreamsEndInsteadOfLooping) {
  // yaml-cpp's LoadAll never returns on these (found by the fuzzer); each document is parsed
  // on its own now.
  for (const char* text : {",:\n", ",:\n---\n,:\n", "---\n,:\n...\n"}) {
    base::Result<Project> project = LoadFiles({{"compose.yaml", text}});
    EXPECT_FALSE(project.ok()) << text;
  }
}

}  // namespace
}  // namespace ecsync::compose
