// Repository files in the task (docs/files.md), end to end from a real git repository: the
// template RenderDesired produces passes cfn-lint, and its init containers, run here as the
// task would run them (the seed's cp against a directory standing in for the image, the
// writer's script by busybox sh against directories standing in for the volumes), put every
// file at its path with its content and mode.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "cfn/task_files.h"
#include "git/libgit2_source.h"
#include "reconcile/desired.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using testing::CommandResult;
using ::testing::HasSubstr;
using testing::ReadFileOrDie;
using testing::RunCommand;
using testing::TempDir;

constexpr char kBusybox[] = "/usr/bin/busybox";

constexpr char kProxy[] = R"(services:
  proxy:
    image: nginx:1.27
    ports: ["80:80"]
    volumes:
      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro
      - type: bind
        source: ./site
        target: /usr/share/nginx/html
        read_only: true
    configs:
      - source: greeting
        target: /etc/app/greeting.txt
        mode: 0440
        uid: "101"
      - source: banner
        target: /etc/app/banner.txt
configs:
  greeting:
    content: hello from a config
  banner:
    environment: BANNER
)";

uint32_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

uint32_t OwnerOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_uid;
}

const ordered_json* Container(const ordered_json& definitions, const std::string& name) {
  for (const ordered_json& container : definitions) {
    if (container.at("Name") == name) return &container;
  }
  return nullptr;
}

class RepositoryFilesTest : public ::testing::Test {
 protected:
  RepositoryFilesTest() : git_(cache_.path()) {}

  // Writes the proxy's repository: a file, a directory with a nested and an executable file,
  // and a link inside the repository.
  void WriteProxyRepository() {
    repo_.Write("compose.yaml", kProxy);
    repo_.Write("nginx/nginx.conf", "events {}\nhttp { include mime.types; }\n");
    repo_.Write("site/index.html", "<h1>hello</h1>\n");
    repo_.Write("site/css/app.css", "body { color: teal; }\n");
    repo_.Write("site/bin/run.sh", "#!/bin/sh\necho run\n");
    fs::permissions(repo_.path() + "/site/bin/run.sh", fs::perms(0755));
    fs::create_symlink("index.html", repo_.path() + "/site/latest.html");
    fs::create_symlink("../nginx", repo_.path() + "/site/conf");  // a directory, via a link
  }

  base::Result<Desired> Render() {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.stack_name = "proxy";
    options.ref = "main";
    options.network = {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};
    options.environment = {{"BANNER", "welcome"}};
    Targets targets{.cloudformation = nullptr};
    warnings_.clear();
    return RenderDesired(options, git_, targets, [this](const ProgressEvent& event) {
      if (event.message.rfind("warning: ", 0) == 0) warnings_.push_back(event.message);
    });
  }

  ordered_json TaskDefinition(const Desired& desired) {
    return ordered_json::parse(desired.template_body)["Resources"]["ProxyTaskDefinition"];
  }

  std::string RenderError() {
    base::Result<Desired> desired = Render();
    EXPECT_FALSE(desired.ok());
    if (desired.ok()) return "";
    EXPECT_EQ(desired.status().kind(), base::ErrorKind::kInvalid);
    return desired.status().message();
  }

  TempDir cache_;
  testing::GitRepo repo_;
  git::LibGit2Source git_;
  std::vector<std::string> warnings_;
};

TEST_F(RepositoryFilesTest, TaskDefinitionSeedsWritesAndMountsTheFiles) {
  WriteProxyRepository();
  repo_.Commit();
  base::Result<Desired> desired = Render();
  ASSERT_TRUE(desired.ok()) << desired.status().ToString();
  EXPECT_TRUE(testing::CfnLint(desired->template_body).ok())
      << testing::CfnLint(desired->template_body).ToString();

  const ordered_json definition = TaskDefinition(*desired);
  const ordered_json& containers = definition["Properties"]["ContainerDefinitions"];
  // Volumes by directory: /etc/app (configs, seeded), /etc/nginx (seeded),
  // /usr/share/nginx/html (a directory mount, not seeded).
  EXPECT_EQ(definition["Properties"]["Volumes"],
            ordered_json::parse(R"([{"Name":"files0"},{"Name":"files1"},{"Name":"files2"}])"));
  const ordered_json& main = containers.back();
  EXPECT_EQ(main["MountPoints"], ordered_json::parse(R"([
    {"ContainerPath":"/etc/app","ReadOnly":true,"SourceVolume":"files0"},
    {"ContainerPath":"/etc/nginx","ReadOnly":true,"SourceVolume":"files1"},
    {"ContainerPath":"/usr/share/nginx/html","ReadOnly":true,"SourceVolume":"files2"}])"));
  EXPECT_EQ(main["DependsOn"], ordered_json::parse(R"([
    {"Condition":"SUCCESS","ContainerName":"Proxy_ResolvConf_InitContainer"},
    {"Condition":"COMPLETE","ContainerName":"Proxy_Files0Seed_InitContainer"},
    {"Condition":"COMPLETE","ContainerName":"Proxy_Files1Seed_InitContainer"},
    {"Condition":"SUCCESS","ContainerName":"Proxy_Files_InitContainer"}])"));

  const ordered_json* seed = Container(containers, "Proxy_Files1Seed_InitContainer");
  ASSERT_NE(seed, nullptr);
  EXPECT_EQ((*seed)["Image"], "nginx:1.27");
  EXPECT_EQ((*seed)["Essential"], false);
  EXPECT_EQ((*seed)["EntryPoint"], ordered_json::parse(R"(["cp"])"));
  EXPECT_EQ((*seed)["Command"], ordered_json::parse(R"(["-a","/etc/nginx/.","/ecsync/files/1/"])"));
  const ordered_json* writer = Container(containers, "Proxy_Files_InitContainer");
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ((*writer)["Image"], cfn::kDefaultFilesImage);
  EXPECT_EQ((*writer)["Essential"], false);
  EXPECT_EQ((*writer)["DependsOn"].size(), 2u);
  EXPECT_EQ((*writer)["DependsOn"][0]["Condition"], "COMPLETE");
  EXPECT_EQ((*writer)["MountPoints"].size(), 3u);
}

// What `plan` lists under "files from the repository": each task's mounts and configs.
TEST_F(RepositoryFilesTest, DesiredNamesTheFilesEachTaskReceives) {
  WriteProxyRepository();
  repo_.Commit();
  base::Result<Desired> desired = Render();
  ASSERT_TRUE(desired.ok()) << desired.status().ToString();
  ASSERT_EQ(desired->shipped_files.size(), 1u);
  EXPECT_THAT(desired->shipped_files[0],
              ::testing::MatchesRegex("proxy: /etc/nginx/nginx.conf, /usr/share/nginx/html, "
                                      "config (greeting|banner), config (greeting|banner) "
                                      "\\([0-9]+ bytes inline\\)"));
}

// The proof that matters: the containers' own commands, run locally.
TEST_F(RepositoryFilesTest, InitContainersRunByBusyboxPutEveryFileInPlace) {
  if (!fs::exists(kBusybox)) GTEST_SKIP() << "no " << kBusybox;
  WriteProxyRepository();
  repo_.Commit();
  base::Result<Desired> desired = Render();
  ASSERT_TRUE(desired.ok()) << desired.status().ToString();
  const ordered_json definition = TaskDefinition(*desired);
  const ordered_json& containers = definition["Properties"]["ContainerDefinitions"];
  const ordered_json& main = containers.back();

  TempDir task;
  // What the image holds: nginx's own directory, and no /etc/app at all.
  const std::string image = task.path() + "/image";
  task.WriteFile("image/etc/nginx/mime.types", "types { text/html html; }\n");
  task.WriteFile("image/etc/nginx/nginx.conf", "the image's own, to be replaced\n");
  const std::string volumes = task.path() + "/volumes";
  for (const ordered_json& volume : definition["Properties"]["Volumes"]) {
    // Each volume is an empty directory, as Fargate mounts it (volume n is "files<n>").
    fs::create_directories(volumes + "/" + volume["Name"].get<std::string>().substr(5));
  }
  // Only busybox's applets on PATH, as in the writer's image.
  const std::string bin = task.path() + "/bin";
  fs::create_directories(bin);
  for (const char* applet : {"sh", "base64", "tar", "printf", "cp"}) {
    fs::create_symlink(kBusybox, bin + "/" + applet);
  }

  for (const ordered_json& container : containers) {
    const std::string name = container["Name"];
    if (name.find("Seed_InitContainer") != std::string::npos) {
      // cp -a <dir>/. /ecsync/files/<n>/, with the image and the volume moved here.
      std::vector<std::string> argv = {bin + "/cp"};
      for (const ordered_json& arg : container["Command"]) {
        std::string text = arg;
        if (text.rfind(cfn::kFilesRoot, 0) == 0) {
          text = volumes + text.substr(std::string(cfn::kFilesRoot).size());
        } else if (text.front() == '/') {
          text = image + text;
        }
        argv.push_back(text);
      }
      CommandResult seeded = RunCommand(argv);
      // /etc/app is not in the image: cp fails, and COMPLETE lets the task go on.
      if (container["Command"][1] == "/etc/app/.") {
        EXPECT_NE(seeded.exit_code, 0);
      } else {
        EXPECT_EQ(seeded.exit_code, 0) << seeded.err;
      }
    } else if (name == "Proxy_Files_InitContainer") {
      std::map<std::string, std::string> env = {{"PATH", bin}, {cfn::kFilesRootVariable, volumes}};
      for (const ordered_json& variable : container["Environment"]) {
        env[variable["Name"]] = variable["Value"];
      }
      ASSERT_EQ(container["EntryPoint"], ordered_json::parse(R"(["sh","-c"])"));
      CommandResult written =
          RunCommand({kBusybox, "sh", "-c", container["Command"][0].get<std::string>()}, env);
      ASSERT_EQ(written.exit_code, 0) << written.err;
    }
  }

  // The service container's view: each mount point is its volume's directory.
  std::map<std::string, std::string> mounts;
  for (const ordered_json& mount : main["MountPoints"]) {
    mounts[mount["ContainerPath"]] =
        volumes + "/" + mount["SourceVolume"].get<std::string>().substr(5);
  }
  auto in_container = [&](const std::string& path) {
    std::string best;
    for (const auto& [at, dir] : mounts) {
      if (path.rfind(at + "/", 0) == 0 && at.size() > best.size()) best = at;
    }
    EXPECT_FALSE(best.empty()) << path << " is on no mount";
    return mounts[best] + path.substr(best.size());
  };
  EXPECT_EQ(ReadFileOrDie(in_container("/etc/nginx/nginx.conf")),
            "events {}\nhttp { include mime.types; }\n");
  EXPECT_EQ(ModeOf(in_container("/etc/nginx/nginx.conf")), 0644u);
  EXPECT_EQ(ReadFileOrDie(in_container("/etc/nginx/mime.types")), "types { text/html html; }\n");
  EXPECT_EQ(ReadFileOrDie(in_container("/usr/share/nginx/html/index.html")), "<h1>hello</h1>\n");
  EXPECT_EQ(ReadFileOrDie(in_container("/usr/share/nginx/html/css/app.css")),
            "body { color: teal; }\n");
  EXPECT_EQ(ModeOf(in_container("/usr/share/nginx/html/css")), 0755u);
  EXPECT_EQ(ReadFileOrDie(in_container("/usr/share/nginx/html/bin/run.sh")),
            "#!/bin/sh\necho run\n");
  EXPECT_EQ(ModeOf(in_container("/usr/share/nginx/html/bin/run.sh")), 0755u);
  // Links inside the repository arrive as what they point to: a file, and a directory.
  EXPECT_EQ(ModeOf(in_container("/usr/share/nginx/html/latest.html")), 0644u);
  EXPECT_EQ(ReadFileOrDie(in_container("/usr/share/nginx/html/latest.html")), "<h1>hello</h1>\n");
  EXPECT_EQ(ReadFileOrDie(in_container("/usr/share/nginx/html/conf/nginx.conf")),
            "events {}\nhttp { include mime.types; }\n");
  EXPECT_EQ(ReadFileOrDie(in_container("/etc/app/greeting.txt")), "hello from a config");
  EXPECT_EQ(ModeOf(in_container("/etc/app/greeting.txt")), 0440u);
  EXPECT_EQ(ReadFileOrDie(in_container("/etc/app/banner.txt")), "welcome");
  EXPECT_EQ(ModeOf(in_container("/etc/app/banner.txt")), 0444u);
  if (geteuid() == 0) {
    EXPECT_EQ(OwnerOf(in_container("/etc/app/greeting.txt")), 101u);
  }
}

TEST_F(RepositoryFilesTest, UnchangedFilesKeepTheTemplateAndAChangeRollsTheService) {
  WriteProxyRepository();
  repo_.Commit("first");
  base::Result<Desired> first = Render();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  repo_.Write("README.md", "not mounted\n");
  repo_.Commit("unrelated");
  base::Result<Desired> unrelated = Render();
  ASSERT_TRUE(unrelated.ok());
  EXPECT_EQ(unrelated->template_body, first->template_body);
  EXPECT_EQ(unrelated->template_sha, first->template_sha);

  repo_.Write("nginx/nginx.conf", "events {}\nhttp { server_tokens off; }\n");
  repo_.Commit("content");
  base::Result<Desired> content = Render();
  ASSERT_TRUE(content.ok());
  EXPECT_NE(TaskDefinition(*content), TaskDefinition(*first));

  fs::permissions(repo_.path() + "/site/index.html", fs::perms(0755));
  repo_.Commit("mode");
  base::Result<Desired> mode = Render();
  ASSERT_TRUE(mode.ok());
  EXPECT_NE(TaskDefinition(*mode), TaskDefinition(*content));
}

TEST_F(RepositoryFilesTest, WritableMountWarnsThatChangesAreLost) {
  repo_.Write("compose.yaml",
              "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n"
              "      - ./site:/usr/share/nginx/html\n");
  repo_.Write("site/index.html", "x\n");
  repo_.Commit();
  base::Result<Desired> desired = Render();
  ASSERT_TRUE(desired.ok()) << desired.status().ToString();
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_THAT(warnings_[0], HasSubstr("compose.yaml:5:9: services.proxy.volumes[0]"));
  EXPECT_THAT(warnings_[0], HasSubstr("changes are lost when the task stops"));
  EXPECT_EQ(TaskDefinition(*desired)["Properties"]["ContainerDefinitions"]
                .back()["MountPoints"][0]["ReadOnly"],
            false);
  EXPECT_TRUE(testing::CfnLint(desired->template_body).ok());
}

TEST_F(RepositoryFilesTest, MissingSourceIsAnErrorAtItsLine) {
  repo_.Write("compose.yaml",
              "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n"
              "      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n");
  repo_.Commit();
  const std::string error = RenderError();
  EXPECT_THAT(error, HasSubstr("compose.yaml:5:9: services.proxy.volumes[0]"));
  EXPECT_THAT(error, HasSubstr("nginx/nginx.conf is not in the repository"));
  EXPECT_THAT(error, HasSubstr("named volume"));
}

TEST_F(RepositoryFilesTest, HostPathsAreErrorsNamingANamedVolume) {
  for (const std::string source : {"/var/run/docker.sock", "/etc/ssl/certs", "../outside"}) {
    repo_.Write("compose.yaml",
                "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n"
                "      - " +
                    source + ":/mnt/x:ro\n");
    repo_.Commit(source);
    const std::string error = RenderError();
    EXPECT_THAT(error, HasSubstr("compose.yaml:5:9: services.proxy.volumes[0]")) << source;
    EXPECT_THAT(error, HasSubstr("a path on the host")) << source;
    EXPECT_THAT(error, HasSubstr("use a named volume")) << source;
  }
}

TEST_F(RepositoryFilesTest, LinksLeadingOutsideTheRepositoryAreRefused) {
  for (const std::string target : {"../../etc/passwd", "/etc/passwd"}) {
    repo_.Write("compose.yaml",
                "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n"
                "      - ./site:/usr/share/nginx/html:ro\n");
    repo_.Write("site/index.html", "x\n");
    fs::remove(repo_.path() + "/site/evil");
    fs::create_symlink(target, repo_.path() + "/site/evil");
    repo_.Commit(target);
    const std::string error = RenderError();
    EXPECT_THAT(error, HasSubstr("compose.yaml:5:9: services.proxy.volumes[0]")) << target;
    EXPECT_THAT(error, ::testing::AnyOf(HasSubstr("outside the repository"),
                                        HasSubstr("above the repository root")))
        << target;
  }
}

TEST_F(RepositoryFilesTest, ConfigAtTheRootAndCollidingTargetsAreRefused) {
  repo_.Write("compose.yaml",
              "services:\n  app:\n    image: nginx:1.27\n    configs: [motd]\n"
              "configs:\n  motd:\n    content: hi\n");
  repo_.Commit("root");
  EXPECT_THAT(RenderError(), HasSubstr("is a file directly below /"));

  repo_.Write("compose.yaml",
              "services:\n  app:\n    image: nginx:1.27\n    volumes:\n"
              "      - ./a:/etc/x:ro\n      - ./b:/etc/x:ro\n");
  repo_.Write("a/f", "a\n");
  repo_.Write("b/f", "b\n");
  repo_.Commit("collide");
  EXPECT_THAT(RenderError(), HasSubstr("another mount already has the target /etc/x"));
}

TEST_F(RepositoryFilesTest, BundleTooLargeForTheTaskDefinitionIsRefusedBeforeAnyCall) {
  repo_.Write("compose.yaml",
              "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n"
              "      - ./data:/srv/data:ro\n");
  for (int i = 0; i < 4; ++i) repo_.Write("data/part" + std::to_string(i), std::string(8000, 'x'));
  repo_.Commit();
  const std::string error = RenderError();
  EXPECT_THAT(error, HasSubstr("compose.yaml:5:9: services.proxy.volumes[0]"));
  EXPECT_THAT(error, HasSubstr("32000 bytes of files are more than the 24576 bytes"));
  EXPECT_THAT(error, HasSubstr("set aws.template_bucket to deliver larger files through S3"));
}

}  // namespace
}  // namespace ecsync::reconcile
