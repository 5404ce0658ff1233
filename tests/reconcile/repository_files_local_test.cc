// Repository files for `ecsync convert` (compose files on disk: the files delivered are those
// HEAD commits), and the real-world case: a repository whose compose.yaml comes from the
// corpus (awesome-compose's nginx-golang, read in place) with its nginx configuration mounted
// into the proxy.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cfn/convert.h"
#include "compose/loader.h"
#include "reconcile/desired.h"
#include "reconcile/repository_files.h"
#include "tests/support/corpus.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using ::testing::HasSubstr;

constexpr char kNginxConf[] =
    "server { listen 80; location / { proxy_pass http://backend:8000; } }\n";

base::Result<ordered_json> ConvertLocal(const std::string& compose_file) {
  LocalRender request;
  request.files = {compose_file};
  request.network = {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};
  ECSYNC_ASSIGN_OR_RETURN(std::string text, RenderLocal(request, nullptr));
  return ordered_json::parse(text);
}

std::string Bundle(const ordered_json& tmpl, const std::string& task_definition) {
  for (const ordered_json& container :
       tmpl["Resources"][task_definition]["Properties"]["ContainerDefinitions"]) {
    if (container.contains("Environment") &&
        container["Environment"][0]["Name"] == "ECSYNC_FILES") {
      return container["Environment"][0]["Value"];
    }
  }
  return "";
}

TEST(RepositoryFilesLocal, ConvertDeliversWhatHeadCommits) {
  testing::GitRepo repo;
  repo.Write("compose.yaml",
             "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n"
             "      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n");
  repo.Write("nginx/nginx.conf", kNginxConf);
  repo.Commit();
  base::Result<ordered_json> committed = ConvertLocal(repo.path() + "/compose.yaml");
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_FALSE(Bundle(*committed, "ProxyTaskDefinition").empty());
  EXPECT_TRUE(testing::CfnLint(committed->dump()).ok());

  // An edit not yet committed is not what a deployment would deliver: no change.
  repo.Write("nginx/nginx.conf", "uncommitted\n");
  base::Result<ordered_json> edited = ConvertLocal(repo.path() + "/compose.yaml");
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(Bundle(*edited, "ProxyTaskDefinition"), Bundle(*committed, "ProxyTaskDefinition"));
  repo.Commit("edit");
  base::Result<ordered_json> changed = ConvertLocal(repo.path() + "/compose.yaml");
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(Bundle(*changed, "ProxyTaskDefinition"), Bundle(*committed, "ProxyTaskDefinition"));
}

TEST(RepositoryFilesLocal, OutsideAGitWorkTreeTheMountIsRefusedAtItsLine) {
  testing::TempDir dir;
  const std::string compose = dir.WriteFile(
      "compose.yaml",
      "services:\n  web:\n    image: nginx\n    volumes:\n      - ./html:/usr/share/nginx/html\n");
  dir.WriteFile("html/index.html", "x\n");
  base::Result<ordered_json> result = ConvertLocal(compose);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_THAT(result.status().message(), HasSubstr("compose.yaml:5:9: services.web.volumes[0]"));
  EXPECT_THAT(result.status().message(), HasSubstr("git"));
}

class RealComposeFiles : public testing::CorpusTest {};

TEST_F(RealComposeFiles, NginxProxyWithItsConfigurationMountedDeploysUnedited) {
  const std::string corpus =
      testing::CorpusDir() + "/real-compose/awesome-compose-nginx-golang/compose.yaml";
  testing::GitRepo repo;
  repo.Write("compose.yaml", testing::ReadFileOrDie(corpus));  // byte for byte
  repo.Write("proxy/nginx.conf", kNginxConf);
  repo.Commit();

  compose::LoadOptions load;
  load.files = {repo.path() + "/compose.yaml"};
  load.ecs_check = true;
  compose::DiskFileReader reader;
  base::Result<compose::Project> loaded = compose::Load(load, reader);
  // The backend is built from source (`build:` without `image:`), which is the images
  // feature's business; the proxy is what this test is about.
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("services.backend.build"));
  EXPECT_THAT(loaded.status().message(), ::testing::Not(HasSubstr("services.proxy.volumes")));

  load.ecs_check = false;
  loaded = compose::Load(load, reader);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  compose::Project project = *loaded;
  project.services.erase(
      std::remove_if(project.services.begin(), project.services.end(),
                     [](const compose::Service& s) { return s.name != "proxy"; }),
      project.services.end());
  project.services[0].depends_on.clear();
  project.services[0].dependencies.clear();

  base::Result<std::map<std::string, cfn::ServiceFiles>> files =
      RepositoryFilesFor(project, {}, WorkTreeReader(project.root_dir));
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->count("proxy"), 1u);
  const cfn::ServiceFiles& proxy = files->at("proxy");
  ASSERT_EQ(proxy.volumes.size(), 1u);
  EXPECT_EQ(proxy.volumes[0].container_path, "/etc/nginx/conf.d");
  EXPECT_TRUE(proxy.volumes[0].seed_from_image);
  EXPECT_TRUE(proxy.volumes[0].read_only);

  cfn::ConvertOptions options("vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"});
  options.files = *files;
  base::Result<cfn::Conversion> conversion = cfn::ConvertProject(project, options);
  ASSERT_TRUE(conversion.ok()) << conversion.status().ToString();
  for (const std::string& warning : conversion->warnings) {
    EXPECT_THAT(warning, ::testing::Not(HasSubstr("volumes[0]"))) << "the mount is delivered";
  }
  const ordered_json& main =
      conversion->tmpl["Resources"]["ProxyTaskDefinition"]["Properties"]["ContainerDefinitions"]
          .back();
  EXPECT_EQ(main["MountPoints"][0]["ContainerPath"], "/etc/nginx/conf.d");
  EXPECT_TRUE(testing::CfnLint(cfn::ToJson(conversion->tmpl)).ok())
      << testing::CfnLint(cfn::ToJson(conversion->tmpl)).ToString();
}

}  // namespace
}  // namespace ecsync::reconcile
