// Real-world compose files (../shared/corpora/real-compose) through the loader, the converter
// and cfn-lint. Each project is its own test case so ctest runs them in parallel.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cfn/convert.h"
#include "compose/loader.h"
#include "tests/support/support.h"

namespace ecsync::cfn {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> RealComposeProjects() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(ecsync::testing::CorpusDir() + "/real-compose")) {
    if (fs::exists(entry.path() / "compose.yaml")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class RealCompose : public ::testing::TestWithParam<std::string> {};

TEST_P(RealCompose, LoadsConvertsAndPassesCfnLint) {
  const std::string dir = ecsync::testing::CorpusDir() + "/real-compose/" + GetParam();
  compose::DiskFileReader reader;
  compose::LoadOptions options;
  options.files = {dir + "/compose.yaml"};
  base::Result<compose::Project> project = compose::Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  // Many of these files build their images locally (`build:` without `image:`), which ECS
  // cannot run; give such services a registry image so the rest of the file is exercised.
  for (auto& service : project->services) {
    if (service.image.empty()) service.image = "registry.example.com/" + service.name + ":1";
  }
  base::Result<nlohmann::ordered_json> tmpl =
      Convert(*project, {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}});
  if (!tmpl.ok()) {
    // The converter may refuse what ECS cannot honour; the message must then name the
    // service and the compose file's line.
    EXPECT_EQ(tmpl.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_NE(tmpl.status().message().find("compose.yaml:"), std::string::npos)
        << tmpl.status().message();
    GTEST_SKIP() << "not convertible: " << tmpl.status().message();
  }
  base::Status lint = ecsync::testing::CfnLint(ToJson(*tmpl));
  EXPECT_TRUE(lint.ok()) << lint.ToString();
}

INSTANTIATE_TEST_SUITE_P(Corpus, RealCompose, ::testing::ValuesIn(RealComposeProjects()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name;
                           for (char c : info.param) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace ecsync::cfn
