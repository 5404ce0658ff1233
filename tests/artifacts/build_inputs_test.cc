#include "artifacts/build_inputs.h"

#include <gtest/gtest.h>

#include <set>

#include "artifacts/git_objects.h"
#include "artifacts/image_ref.h"
#include "compose/loader.h"
#include "tests/support/support.h"

namespace ecsync::artifacts {
namespace {

using testing::GitRepo;

// Reads the compose files of one commit through `git show`, with repository-relative paths,
// as the controller's reader of a commit does.
class CommitReader final : public compose::FileReader {
 public:
  CommitReader(const GitRepo& repo, std::string commit) : repo_(repo), commit_(std::move(commit)) {}
  base::Result<std::string> Read(const std::string& path) override {
    testing::CommandResult r =
        testing::RunCommand({"git", "show", commit_ + ":" + path}, {}, repo_.path());
    if (r.exit_code != 0) return base::NotFoundError(path);
    return r.out;
  }

 private:
  const GitRepo& repo_;
  std::string commit_;
};

compose::Project LoadAt(const GitRepo& repo, const std::string& commit) {
  CommitReader reader(repo, commit);
  compose::LoadOptions options;
  options.files = {"compose.yaml"};
  options.working_dir = ".";
  options.root_dir = ".";
  options.project_name = "shop";
  options.read_dotenv = false;
  options.environment = {{"VERSION", "1.4"}};
  auto project = compose::Load(options, reader);
  EXPECT_TRUE(project.ok()) << project.status().ToString();
  return project.ok() ? *project : compose::Project{};
}

std::string RevParse(const GitRepo& repo, const std::string& spec) {
  std::string out = repo.Git({"rev-parse", spec});
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

constexpr const char* kCompose = R"(services:
  web:
    build:
      context: ./app
      dockerfile: docker/Dockerfile
      target: runtime
      args:
        VERSION: ${VERSION}
        DEBUG:
      platforms: [linux/arm64, linux/amd64]
  db:
    image: postgres:16
)";

// Commits a compose file, a context folder with a Dockerfile, and an unrelated file.
void Fill(const GitRepo& repo, const std::string& compose = kCompose) {
  repo.Write("compose.yaml", compose);
  repo.Write("app/docker/Dockerfile", "FROM busybox AS runtime\nCOPY . /app\n");
  repo.Write("app/main.sh", "echo hello\n");
  repo.Write("README.md", "shop\n");
  repo.Commit("first");
}

base::Result<BuildInputs> InputsAt(const GitRepo& repo, const std::string& commit,
                                   const std::string& service = "web") {
  compose::Project project = LoadAt(repo, commit);
  const compose::Service* s = project.FindService(service);
  if (s == nullptr || !s->build) return base::InternalError("no build for " + service);
  auto objects = OpenGitObjects(repo.path(), commit);
  if (!objects.ok()) return objects.status();
  return ReadBuildInputs(*s, "", *objects);
}

TEST(GitObjects, MatchGitRevParse) {
  GitRepo repo;
  Fill(repo);
  const std::string commit = repo.Head();
  auto objects = OpenGitObjects(repo.path(), commit);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  auto root = (*objects)("");
  ASSERT_TRUE(root.ok() && root->has_value());
  EXPECT_EQ((*root)->id, RevParse(repo, commit + "^{tree}"));
  EXPECT_TRUE((*root)->is_tree);
  auto app = (*objects)("app");
  ASSERT_TRUE(app.ok() && app->has_value());
  EXPECT_EQ((*app)->id, RevParse(repo, commit + ":app"));
  EXPECT_TRUE((*app)->is_tree);
  auto file = (*objects)("app/docker/Dockerfile");
  ASSERT_TRUE(file.ok() && file->has_value());
  EXPECT_EQ((*file)->id, RevParse(repo, commit + ":app/docker/Dockerfile"));
  EXPECT_FALSE((*file)->is_tree);
  auto missing = (*objects)("nope/x");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(GitObjects, UnknownCommitIsNotFound) {
  GitRepo repo;
  Fill(repo);
  auto objects = OpenGitObjects(repo.path(), std::string(40, '1'));
  ASSERT_FALSE(objects.ok());
  EXPECT_EQ(objects.status().kind(), base::ErrorKind::kNotFound);
  EXPECT_EQ(OpenGitObjects(repo.path(), "HEAD").status().kind(), base::ErrorKind::kInvalid);
}

TEST(BuildInputs, ReadsEveryHashedInputFromTheCommit) {
  GitRepo repo;
  Fill(repo);
  const std::string commit = repo.Head();
  auto inputs = InputsAt(repo, commit);
  ASSERT_TRUE(inputs.ok()) << inputs.status().ToString();
  EXPECT_EQ(inputs->service, "web");
  EXPECT_EQ(inputs->context, "app");
  EXPECT_EQ(inputs->context_tree, RevParse(repo, commit + ":app"));
  EXPECT_EQ(inputs->dockerfile, "docker/Dockerfile");
  EXPECT_EQ(inputs->dockerfile_object, RevParse(repo, commit + ":app/docker/Dockerfile"));
  EXPECT_EQ(inputs->target, "runtime");
  ASSERT_EQ(inputs->args.size(), 2u);
  EXPECT_EQ(inputs->args.at("VERSION"), "1.4");
  EXPECT_FALSE(inputs->args.at("DEBUG").has_value());
  EXPECT_EQ(inputs->platform, "linux/amd64,linux/arm64");
  EXPECT_EQ(inputs->CanonicalEncoding(),
            "ecsync-image-inputs 1\n"
            "context-tree 40:" +
                inputs->context_tree +
                "\n"
                "dockerfile 17:docker/Dockerfile\n"
                "dockerfile-object 40:" +
                inputs->dockerfile_object +
                "\n"
                "target 7:runtime\n"
                "arg 5:DEBUG\n"
                "arg 11:VERSION=1.4\n"
                "platform 23:linux/amd64,linux/arm64\n");
  const std::string tag = inputs->Tag();
  EXPECT_EQ(tag.size(), 32u);
  EXPECT_EQ(tag.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(BuildInputs, TagIgnoresFilesOutsideTheBuildAndFollowsEveryInput) {
  GitRepo repo;
  Fill(repo);
  auto first = InputsAt(repo, repo.Head());
  ASSERT_TRUE(first.ok()) << first.status().ToString();

  repo.Write("README.md", "shop, now documented\n");
  const std::string unrelated = repo.Commit("docs");
  auto same = InputsAt(repo, unrelated);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->Tag(), first->Tag()) << "a commit that touches nothing the build reads";

  repo.Write("app/main.sh", "echo changed\n");
  auto source = InputsAt(repo, repo.Commit("code"));
  ASSERT_TRUE(source.ok());
  EXPECT_NE(source->Tag(), first->Tag());

  BuildInputs changed = *source;
  std::set<std::string> tags = {first->Tag(), source->Tag()};
  changed.target = "debug";
  EXPECT_TRUE(tags.insert(changed.Tag()).second);
  changed = *source;
  changed.args["VERSION"] = "1.5";
  EXPECT_TRUE(tags.insert(changed.Tag()).second);
  changed = *source;
  changed.args["DEBUG"] = "";  // "DEBUG=" is not "DEBUG"
  EXPECT_TRUE(tags.insert(changed.Tag()).second);
  changed = *source;
  changed.platform = "linux/amd64";
  EXPECT_TRUE(tags.insert(changed.Tag()).second);
  changed = *source;
  changed.dockerfile = "Dockerfile";
  EXPECT_TRUE(tags.insert(changed.Tag()).second);
}

TEST(BuildInputs, DockerfileOutsideTheContextCounts) {
  GitRepo repo;
  Fill(repo, R"(services:
  web:
    build:
      context: app
      dockerfile: ../Dockerfile.web
)");
  repo.Write("Dockerfile.web", "FROM busybox\n");
  const std::string first_commit = repo.Commit("dockerfile at the root");
  auto first = InputsAt(repo, first_commit);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->dockerfile, "../Dockerfile.web");
  EXPECT_EQ(first->dockerfile_object, RevParse(repo, first_commit + ":Dockerfile.web"));
  repo.Write("Dockerfile.web", "FROM alpine\n");
  auto second = InputsAt(repo, repo.Commit("another base"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->context_tree, first->context_tree);
  EXPECT_NE(second->Tag(), first->Tag());
}

TEST(BuildInputs, ShortSyntaxAndInlineDockerfile) {
  GitRepo repo;
  Fill(repo, R"(services:
  api:
    build: .
  worker:
    build:
      dockerfile_inline: |
        FROM busybox
)");
  const std::string commit = repo.Head();
  auto api = InputsAt(repo, commit, "api");
  ASSERT_FALSE(api.ok()) << "no Dockerfile at the root";
  EXPECT_NE(api.status().message().find("services.api.build.dockerfile"), std::string::npos)
      << api.status().message();
  auto worker = InputsAt(repo, commit, "worker");
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  EXPECT_EQ(worker->context, "");
  EXPECT_EQ(worker->context_tree, RevParse(repo, commit + "^{tree}"));
  EXPECT_EQ(worker->dockerfile, "inline");
}

TEST(BuildInputs, ContextOutsideTheRepositoryIsInvalidNamingTheKey) {
  GitRepo repo;
  Fill(repo, R"(services:
  web:
    build:
      context: ../elsewhere
)");
  // The loader itself does not confine build contexts; the external builder must.
  auto inputs = InputsAt(repo, repo.Head());
  ASSERT_FALSE(inputs.ok());
  EXPECT_EQ(inputs.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(inputs.status().message().find("compose.yaml:4:"), std::string::npos)
      << inputs.status().message();
  EXPECT_NE(inputs.status().message().find("services.web.build.context"), std::string::npos);
  EXPECT_NE(inputs.status().message().find("outside the repository"), std::string::npos);
}

TEST(BuildInputs, ContextMissingAtTheCommitIsInvalid) {
  GitRepo repo;
  Fill(repo, R"(services:
  web:
    build: ./not-committed
)");
  auto inputs = InputsAt(repo, repo.Head());
  ASSERT_FALSE(inputs.ok());
  EXPECT_EQ(inputs.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(inputs.status().message().find("services.web.build.context"), std::string::npos)
      << inputs.status().message();
  EXPECT_NE(inputs.status().message().find("missing at this commit"), std::string::npos);
}

TEST(BuildInputs, RemoteContextIsInvalid) {
  GitRepo repo;
  Fill(repo, R"(services:
  web:
    build:
      context: https://github.com/example/app.git#main
)");
  auto inputs = InputsAt(repo, repo.Head());
  ASSERT_FALSE(inputs.ok());
  EXPECT_EQ(inputs.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(inputs.status().message().find("remote build context"), std::string::npos);
}

TEST(BuildInputs, ProjectLoadedFromDiskUsesTheWorkTreeAsRoot) {
  GitRepo repo;
  Fill(repo);
  const std::string commit = repo.Head();
  compose::DiskFileReader reader;
  compose::LoadOptions options;
  options.files = {repo.path() + "/compose.yaml"};
  options.environment = {{"VERSION", "1.4"}};
  auto project = compose::Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  const compose::Service* web = project->FindService("web");
  ASSERT_NE(web, nullptr);
  auto objects = OpenGitObjects(repo.path(), commit);
  ASSERT_TRUE(objects.ok());
  auto from_disk = ReadBuildInputs(*web, reader.RootFor(repo.path()), *objects);
  ASSERT_TRUE(from_disk.ok()) << from_disk.status().ToString();
  auto from_commit = InputsAt(repo, commit);
  ASSERT_TRUE(from_commit.ok());
  EXPECT_EQ(from_disk->context, "app");
  EXPECT_EQ(from_disk->Tag(), from_commit->Tag()) << "CI (a checkout) and the controller agree";
}

TEST(RepositoryName, DefaultIsProjectSlashServiceSanitizedForEcr) {
  EXPECT_EQ(*DefaultRepositoryName("shop", "web"), "shop/web");
  EXPECT_EQ(*DefaultRepositoryName("my_app", "Web.API"), "my_app/web.api");
  EXPECT_EQ(*DefaultRepositoryName("shop", "--Web__Front--"), "shop/web_front");
  EXPECT_EQ(*DefaultRepositoryName("shop", "a b+c"), "shop/a-b-c");
  EXPECT_TRUE(IsValidRepository(*DefaultRepositoryName("x", "._-y-_.")));
  EXPECT_FALSE(DefaultRepositoryName("_", "-").ok());
}

}  // namespace
}  // namespace ecsync::artifacts
