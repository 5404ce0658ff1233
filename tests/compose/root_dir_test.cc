// LoadOptions::root_dir: files a compose file names must stay inside the project root (the
// repository), not merely inside the compose file's folder; and DiskFileReader finds that root
// by walking up to the enclosing git work tree.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "compose/loader.h"
#include "compose/paths.h"
#include "tests/compose/memory_file_reader.h"
#include "tests/support/support.h"

namespace ecsync::compose {
namespace {

using ::testing::HasSubstr;

constexpr char kWeb[] =
    "services:\n"
    "  web:\n"
    "    image: nginx\n"
    "    env_file: ../../common/app.env\n";

base::Result<Project> LoadWeb(const std::string& compose, const std::string& root_dir) {
  MemoryFileReader reader(
      {{"apps/web/compose.yaml", compose}, {"common/app.env", "GREETING=hello\n"}});
  LoadOptions options;
  options.files = {"apps/web/compose.yaml"};
  options.project_name = "p";
  options.root_dir = root_dir;
  return Load(options, reader);
}

TEST(RootDir, ARepositoryRootLetsAComposeFileClimbOutOfItsFolder) {
  base::Result<Project> project = LoadWeb(kWeb, ".");
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->services[0].environment.at("GREETING"), "hello");
}

TEST(RootDir, EmptyMeansTheComposeFilesFolder) {
  base::Result<Project> project = LoadWeb(kWeb, "");
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(),
              HasSubstr("apps/web/compose.yaml:4:15: services.web.env_file: "
                        "\"../../common/app.env\" is outside the project directory"));
}

TEST(RootDir, PathsLeavingTheRootAreStillRefused) {
  for (const char* path : {"../../../etc/passwd", "../../../outside/app.env"}) {
    const std::string compose =
        std::string("services:\n  web:\n    image: nginx\n    env_file: ") + path + "\n";
    base::Result<Project> project = LoadWeb(compose, ".");
    ASSERT_FALSE(project.ok()) << path;
    EXPECT_THAT(project.status().message(), HasSubstr("is outside the project directory"));
  }
  base::Result<Project> absolute =
      LoadWeb("services:\n  web:\n    image: nginx\n    env_file: /etc/passwd\n", ".");
  ASSERT_FALSE(absolute.ok());
  EXPECT_THAT(absolute.status().message(), HasSubstr("\"/etc/passwd\" is an absolute path"));
}

TEST(RootDir, AppliesToIncludeExtendsAndSecretFiles) {
  MemoryFileReader reader({{"apps/web/compose.yaml",
                            "include: [../../shared/db.yaml]\n"
                            "services:\n"
                            "  web:\n"
                            "    extends: {file: ../../shared/base.yaml, service: base}\n"
                            "    secrets: [token]\n"
                            "secrets:\n"
                            "  token: {file: ../../shared/token.txt}\n"},
                           {"shared/db.yaml", "services:\n  db:\n    image: postgres\n"},
                           {"shared/base.yaml", "services:\n  base:\n    image: nginx\n"},
                           {"shared/token.txt", "t"}});
  LoadOptions options;
  options.files = {"apps/web/compose.yaml"};
  options.project_name = "p";
  options.root_dir = ".";
  base::Result<Project> project = Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->FindService("web")->image, "nginx");
  EXPECT_NE(project->FindService("db"), nullptr);
  EXPECT_EQ(project->secrets.at("token").file, "shared/token.txt");
}

TEST(IsInside, RelativeRootsThatClimb) {
  EXPECT_TRUE(IsInside("../..", "x"));
  EXPECT_TRUE(IsInside("../..", "../../common/app.env"));
  EXPECT_TRUE(IsInside("../..", "../y"));
  EXPECT_FALSE(IsInside("../..", "../../../etc/passwd"));
  EXPECT_FALSE(IsInside("..", "../../x"));
  EXPECT_TRUE(IsInside(".", "a/b"));
  EXPECT_FALSE(IsInside(".", "../a"));
  EXPECT_FALSE(IsInside("../..", "/etc/passwd"));
}

// Restores the process's directory when it goes out of scope.
class ChangeDirectory {
 public:
  explicit ChangeDirectory(const std::string& dir) : saved_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ChangeDirectory() {
    std::error_code ec;
    std::filesystem::current_path(saved_, ec);
  }

 private:
  std::filesystem::path saved_;
};

TEST(DiskFileReader, RootIsTheEnclosingGitWorkTree) {
  ecsync::testing::GitRepo repo;
  repo.Write("apps/web/compose.yaml", kWeb);
  repo.Write("common/app.env", "GREETING=from-disk\n");
  DiskFileReader reader;
  const std::string root = std::filesystem::canonical(repo.path()).string();
  EXPECT_EQ(reader.RootFor(root + "/apps/web"), root);
  EXPECT_EQ(reader.RootFor(root), root);

  LoadOptions options;
  options.files = {repo.path() + "/apps/web/compose.yaml"};
  options.project_name = "p";
  base::Result<Project> project = Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->services[0].environment.at("GREETING"), "from-disk");

  // Relative paths from inside the work tree, as `ecsync config` run in apps/web sees them.
  ChangeDirectory in_web(repo.path() + "/apps/web");
  EXPECT_EQ(reader.RootFor(""), "../..");
  options.files = {"compose.yaml"};
  project = Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->services[0].environment.at("GREETING"), "from-disk");
}

TEST(DiskFileReader, OutsideAGitWorkTreeTheFolderIsTheRoot) {
  ecsync::testing::TempDir dir;
  dir.WriteFile("apps/web/compose.yaml", kWeb);
  dir.WriteFile("common/app.env", "GREETING=x\n");
  DiskFileReader reader;
  EXPECT_EQ(reader.RootFor(dir.path() + "/apps/web"), "");
  LoadOptions options;
  options.files = {dir.path() + "/apps/web/compose.yaml"};
  options.project_name = "p";
  base::Result<Project> project = Load(options, reader);
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(), HasSubstr("is outside the project directory"));
}

TEST(DiskFileReader, AGitRepositoryStillRefusesPathsLeavingIt) {
  ecsync::testing::GitRepo repo;
  repo.Write("compose.yaml", "services:\n  web:\n    image: nginx\n    env_file: ../outside.env\n");
  DiskFileReader reader;
  LoadOptions options;
  options.files = {repo.path() + "/compose.yaml"};
  options.project_name = "p";
  base::Result<Project> project = Load(options, reader);
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(),
              HasSubstr("\"../outside.env\" is outside the project directory"));
}

}  // namespace
}  // namespace ecsync::compose
