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
    if (fs::exists(entry.path() / "compose.yaml"))
      names.push_back(entry.path().filename().string());
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
  // Variables the files expect from the user's shell or an .env file that is not in the corpus.
  options.environment = {{"PLEX_MEDIA_PATH", "/srv/media"}};
  base::Result<compose::Project> project = compose::Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  for (auto& service : project->services) {
    // Many of these files build their images locally (`build:` without `image:`), which ECS
    // cannot run; give such services a registry image so the rest of the file is exercised.
    if (service.image.empty()) service.image = "registry.example.com/" + service.name + ":1";
    // Likewise a WebAssembly service (platform wasi/wasm) needs a wasm runtime ECS lacks; the
    // converter rejects it (tested in deployment_test.cc); run it as a Linux image here.
    if (service.platform.rfind("wasi", 0) == 0) service.platform.clear();
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
  // Every listener the compose file publishes is on the load balancer.
  for (const auto& service : project->services) {
    for (const auto& port : service.ports) {
      if (port.mode == "host") continue;
      const std::string suffix = std::to_string(port.published.value_or(port.target)) + "Listener";
      bool found = false;
      for (const auto& [id, resource] : (*tmpl)["Resources"].items()) {
        found = found || (id.size() > suffix.size() && id.ends_with(suffix) &&
                          resource["Type"] == "AWS::ElasticLoadBalancingV2::Listener");
      }
      EXPECT_TRUE(found) << service.name << " publishes " << suffix;
    }
  }
  base::Status lint = ecsync::testing::CfnLint(ToJson(*tmpl));
  EXPECT_TRUE(lint.ok()) << lint.ToString();
}

INSTANTIATE_TEST_SUITE_P(Corpus, RealCompose, ::testing::ValuesIn(RealComposeProjects()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name;
                           for (char c : info.param)
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace ecsync::cfn
