// Real-world compose files (../shared/corpora/real-compose) through the loader, the converter
// and cfn-lint. Each project is its own test case so ctest runs them in parallel.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "cfn/convert.h"
#include "compose/loader.h"
#include "tests/support/corpus.h"
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

// The projects the converter refuses, and the words its error must contain: what Fargate
// cannot run. Any other project must convert, so a regression cannot hide as a skip.
const std::map<std::string, std::string>& ExpectedRefusals() {
  static const auto* refusals = new std::map<std::string, std::string>{
      {"awesome-compose-pihole-cloudflared-DoH", "cap_add NET_ADMIN is not allowed on Fargate"},
      {"awesome-compose-wireguard", "cap_add NET_ADMIN is not allowed on Fargate"},
  };
  return *refusals;
}

class RealCompose : public ecsync::testing::CorpusTestWithParam<std::string> {};

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
  auto refusal = ExpectedRefusals().find(GetParam());
  if (refusal != ExpectedRefusals().end()) {
    // Refused as expected, naming the service and the compose file's line.
    ASSERT_FALSE(tmpl.ok()) << GetParam() << " converts now; remove it from ExpectedRefusals";
    EXPECT_EQ(tmpl.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_NE(tmpl.status().message().find("compose.yaml:"), std::string::npos)
        << tmpl.status().message();
    EXPECT_NE(tmpl.status().message().find(refusal->second), std::string::npos)
        << tmpl.status().message();
    return;
  }
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().ToString();
  // Every listener the compose file publishes is on the load balancer.
  for (const auto& service : project->services) {
    for (const auto& port : service.ports) {
      if (port.mode == "host" || port.HostScope() == compose::PortMapping::Scope::kProjectOnly) {
        continue;
      }
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

INSTANTIATE_TEST_SUITE_P(Corpus, RealCompose,
                         ::testing::ValuesIn(ecsync::testing::CorpusCases<std::string>(
                             RealComposeProjects, ecsync::testing::kCorpusMissingCase)),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name;
                           for (char c : info.param)
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace ecsync::cfn
