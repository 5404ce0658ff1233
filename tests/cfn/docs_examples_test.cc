// The compose examples in the extension, mapping and deployment strategy docs are real: each
// ```yaml block that defines services loads (with the ECS check the CLI runs), converts and passes
// cfn-lint. Blocks without services are fragments of a file and are skipped.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cfn/convert.h"
#include "compose/loader.h"
#include "tests/cfn/helpers.h"
#include "tests/compose/memory_file_reader.h"
#include "tests/support/support.h"

namespace ecsync::cfn {
namespace {

struct Example {
  std::string doc;
  int line = 0;  // of the opening fence
  std::string text;
};

std::vector<Example> YamlExamples(const std::string& doc) {
  std::ifstream in(ecsync::testing::SourceDir() + "/docs/" + doc);
  EXPECT_TRUE(in.good()) << doc;
  std::vector<Example> out;
  std::string line;
  int number = 0;
  Example* open = nullptr;
  while (std::getline(in, line)) {
    ++number;
    if (open == nullptr && line == "```yaml") {
      out.push_back({doc, number, ""});
      open = &out.back();
    } else if (open != nullptr && line == "```") {
      open = nullptr;
    } else if (open != nullptr) {
      open->text += line + "\n";
    }
  }
  std::erase_if(out, [](const Example& e) {
    return e.text.rfind("services:", 0) != 0 && e.text.find("\nservices:") == std::string::npos;
  });
  return out;
}

std::vector<Example> AllExamples() {
  std::vector<Example> all = YamlExamples("extensions.md");
  for (const char* doc : {"mapping.md", "deployments/README.md", "deployments/rolling.md",
                          "deployments/blue-green.md", "deployments/linear.md",
                          "deployments/canary.md", "deployments/hooks-and-approval.md"}) {
    for (Example& e : YamlExamples(doc)) all.push_back(std::move(e));
  }
  return all;
}

class DocsExample : public ::testing::TestWithParam<Example> {};

TEST_P(DocsExample, LoadsConvertsAndPassesCfnLint) {
  const Example& example = GetParam();
  // Secret files the examples name exist, as they would in the repository.
  compose::MemoryFileReader reader({{"compose.yaml", example.text},
                                    {"secrets/db.txt", "correct-horse"},
                                    {"secrets/api.json", "{\"key\": \"value\"}"}});
  compose::LoadOptions load;
  load.files = {"compose.yaml"};
  load.project_name = "example";
  load.ecs_check = true;
  base::Result<compose::Project> project = compose::Load(load, reader);
  ASSERT_TRUE(project.ok()) << example.doc << ":" << example.line << ": "
                            << project.status().ToString();
  base::Result<Conversion> conversion = ConvertProject(*project, testing::RealisticNetwork());
  ASSERT_TRUE(conversion.ok()) << example.doc << ":" << example.line << ": "
                               << conversion.status().ToString();
  base::Status lint = ecsync::testing::CfnLint(ToJson(conversion->tmpl));
  EXPECT_TRUE(lint.ok()) << example.doc << ":" << example.line << ": " << lint.ToString();
}

INSTANTIATE_TEST_SUITE_P(Docs, DocsExample, ::testing::ValuesIn(AllExamples()),
                         [](const ::testing::TestParamInfo<Example>& info) {
                           std::string name;
                           for (char c : info.param.doc) {
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name + "_line" + std::to_string(info.param.line);
                         });

}  // namespace
}  // namespace ecsync::cfn
