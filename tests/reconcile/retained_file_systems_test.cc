// Re-attaching retained EFS file systems, against a real moto_server: stacks are converted
// from compose projects and created and deleted through the real clients (moto keeps
// DeletionPolicy Retain resources); extra file systems are made with the AWS CLI.

#include "reconcile/retained_file_systems.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/clock.h"
#include "cfn/convert.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "tests/aws/moto_fixture.h"
#include "tests/cfn/projects.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using Json = nlohmann::json;

constexpr char kStack[] = "store";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Project "store": db mounts the named volume "data"; "unused" is declared, mounted by no one.
compose::Project StoreProject() {
  compose::Service db = cfn::testing::Service("db", "postgres:16");
  compose::ServiceVolume mount;
  mount.type = "volume";
  mount.source = "data";
  mount.target = "/var/lib/postgresql/data";
  db.volumes = {mount};
  compose::Project project = cfn::testing::Project("store", {db});
  project.volumes["data"].driver_opts = {{"uid", "999"}, {"gid", "999"}};
  project.volumes["unused"] = {};
  return project;
}

class RetainedFileSystemsTest : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    MotoClientsTest::SetUp();
    Json vpc = Cli({"ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"});
    ASSERT_TRUE(vpc.contains("Vpc"));
    network_.vpc_id = vpc["Vpc"]["VpcId"];
    int third = 1;
    for (const char* zone : {"us-east-1a", "us-east-1b"}) {
      Json subnet = Cli({"ec2", "create-subnet", "--vpc-id", network_.vpc_id, "--cidr-block",
                         "10.0." + std::to_string(third++) + ".0/24", "--availability-zone", zone});
      ASSERT_TRUE(subnet.contains("Subnet"));
      network_.subnet_ids.push_back(subnet["Subnet"]["SubnetId"]);
    }
  }

  static Json Cli(const std::vector<std::string>& args) {
    std::string out = moto_->Aws(args);
    return out.empty() ? Json::object() : Json::parse(out, nullptr, /*allow_exceptions=*/false);
  }

  // A file system made outside any stack, with these tags ("Key=...,Value=..." each).
  static std::string MakeFileSystem(const std::string& token,
                                    const std::vector<std::string>& tags) {
    std::vector<std::string> args{"efs", "create-file-system", "--creation-token", token};
    if (!tags.empty()) args.push_back("--tags");
    args.insert(args.end(), tags.begin(), tags.end());
    return Cli(args).value("FileSystemId", "");
  }
  static std::string MakeStoreDataFileSystem(const std::string& token) {
    return MakeFileSystem(token, {"Key=com.docker.compose.project,Value=store",
                                  "Key=com.docker.compose.volume,Value=data"});
  }

  // AddRetainedFileSystems for StoreProject() into fresh options on the test network.
  base::Result<cfn::ConvertOptions> Find(const std::string& stack = kStack,
                                         const compose::Project& project = StoreProject()) {
    cfn::ConvertOptions options = network_;
    ECSYNC_RETURN_IF_ERROR(
        AddRetainedFileSystems(*clients_.efs, *clients_.cloudformation, stack, project, &options));
    return options;
  }

  // The converted template as JSON text; fails the test when conversion or cfn-lint does.
  std::string Template(const cfn::ConvertOptions& options) {
    auto conversion = cfn::ConvertProject(StoreProject(), options);
    EXPECT_TRUE(conversion.ok()) << conversion.status().ToString();
    if (!conversion.ok()) return "";
    std::string text = cfn::ToJson(conversion->tmpl);
    base::Status lint = testing::CfnLint(text);
    EXPECT_TRUE(lint.ok()) << lint.ToString() << "\n" << text;
    return text;
  }

  // Creates the stack and returns where it ended.
  std::string Create(const std::string& name, const std::string& body) {
    aws::CreateStackRequest request;
    request.name = name;
    request.template_body = body;
    request.capabilities = {"CAPABILITY_IAM"};
    auto id = clients_.cloudformation->CreateStack(request);
    if (!id.ok()) return id.status().ToString();
    return WaitForStack(name);
  }

  // Deletes the stack; true once it is gone.
  bool Delete(const std::string& name) {
    if (!clients_.cloudformation->DeleteStack(name, "").ok()) return false;
    WaitForStack(name);
    return clients_.cloudformation->DescribeStack(name).status().kind() ==
           base::ErrorKind::kNotFound;
  }

  std::vector<std::string> FileSystemIds() {
    auto all = clients_.efs->DescribeFileSystems(std::nullopt);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    std::vector<std::string> ids;
    if (all.ok()) {
      for (const aws::FileSystem& fs : *all) ids.push_back(fs.id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  size_t MountTargetCount(const std::string& fs) {
    auto targets = clients_.efs->DescribeMountTargets(fs);
    EXPECT_TRUE(targets.ok()) << targets.status().ToString();
    return targets.ok() ? targets->size() : 0;
  }

  cfn::ConvertOptions network_;
};

TEST_F(RetainedFileSystemsTest, RetainedFileSystemIsReattachedWithItsDataAndStaysSo) {
  // Nothing retained and no stack yet: nothing to re-attach.
  auto found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->existing_file_systems.empty());
  const std::string first = Template(*found);
  ASSERT_TRUE(Contains(first, "\"DataFilesystem\""));
  ASSERT_EQ(Create(kStack, first), "CREATE_COMPLETE");
  const std::vector<std::string> created = FileSystemIds();
  ASSERT_EQ(created.size(), 1u);
  const std::string& fs = created[0];

  // While the stack owns its file system, the template keeps creating it.
  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->existing_file_systems.empty());
  EXPECT_EQ(Template(*found), first);

  // The stack goes; its file system stays, without mount targets.
  ASSERT_TRUE(Delete(kStack));
  ASSERT_EQ(FileSystemIds(), created);
  EXPECT_EQ(MountTargetCount(fs), 0u);

  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->existing_file_systems, (std::map<std::string, std::string>{{"data", fs}}));
  EXPECT_TRUE(found->file_systems_with_mount_targets.empty());
  const std::string reattach = Template(*found);
  EXPECT_FALSE(Contains(reattach, "\"DataFilesystem\""));
  EXPECT_TRUE(Contains(reattach, "\"FileSystemId\": \"" + fs + "\""));
  EXPECT_TRUE(Contains(reattach, "AWS::EFS::MountTarget"));

  // Created again: the same file system, mounted in both subnets.
  ASSERT_EQ(Create(kStack, reattach), "CREATE_COMPLETE");
  EXPECT_EQ(FileSystemIds(), created);
  EXPECT_EQ(MountTargetCount(fs), 2u);
  // The stack's access point is on it (moto leaves EFSVolumeConfiguration out of task
  // definitions, so the tasks' side is checked in the template only).
  Json point = Cli({"cloudformation", "describe-stack-resource", "--stack-name", kStack,
                    "--logical-resource-id", "DataAccessPoint"});
  const std::string access_point = point["StackResourceDetail"].value("PhysicalResourceId", "");
  Json points = Cli({"efs", "describe-access-points", "--access-point-id", access_point});
  ASSERT_EQ(points["AccessPoints"].size(), 1u) << points.dump();
  EXPECT_EQ(points["AccessPoints"][0]["FileSystemId"], fs);
  EXPECT_TRUE(Contains(reattach, "\"FilesystemId\": \"" + fs + "\""));

  // The next run renders the same template: the stack's own mount targets are kept.
  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->existing_file_systems, (std::map<std::string, std::string>{{"data", fs}}));
  EXPECT_TRUE(found->file_systems_with_mount_targets.empty());
  EXPECT_EQ(Template(*found), reattach);

  // A second retained file system appears: the running stack keeps the one it names...
  const std::string other = MakeStoreDataFileSystem("other");
  ASSERT_FALSE(other.empty());
  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->existing_file_systems, (std::map<std::string, std::string>{{"data", fs}}));
  // ...while a new stack of the project cannot tell them apart.
  found = Find("store-copy");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_TRUE(Contains(found.status().message(), fs));
  EXPECT_TRUE(Contains(found.status().message(), other));
}

TEST_F(RetainedFileSystemsTest, OwnedFileSystemWinsOverRetainedOnes) {
  auto found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  const std::string first = Template(*found);
  ASSERT_EQ(Create(kStack, first), "CREATE_COMPLETE");
  // A retained one from another time: the stack still keeps its own.
  ASSERT_FALSE(MakeStoreDataFileSystem("older").empty());
  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->existing_file_systems.empty());
  EXPECT_EQ(Template(*found), first);
}

TEST_F(RetainedFileSystemsTest, SeveralCandidatesAreRefusedNotGuessed) {
  const std::string a = MakeStoreDataFileSystem("a");
  const std::string b = MakeStoreDataFileSystem("b");
  ASSERT_FALSE(a.empty() || b.empty());
  auto found = Find();
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().kind(), base::ErrorKind::kInvalid);
  const std::string message = found.status().message();
  EXPECT_TRUE(Contains(message, "\"data\"")) << message;
  EXPECT_TRUE(Contains(message, a)) << message;
  EXPECT_TRUE(Contains(message, b)) << message;
  EXPECT_TRUE(Contains(message, "external: true")) << message;
  EXPECT_TRUE(Contains(message, "name: fs-")) << message;

  // Naming one in the compose file settles it: external volumes are not looked up.
  compose::Project project = StoreProject();
  project.volumes["data"].external = true;
  project.volumes["data"].name = a;
  found = Find(kStack, project);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->existing_file_systems.empty());
}

TEST_F(RetainedFileSystemsTest, OtherProjectsVolumesAndChoicesAreLeftAlone) {
  ASSERT_FALSE(MakeFileSystem("other-project", {"Key=com.docker.compose.project,Value=shop",
                                                "Key=com.docker.compose.volume,Value=data"})
                   .empty());
  ASSERT_FALSE(MakeFileSystem("other-volume", {"Key=com.docker.compose.project,Value=store",
                                               "Key=com.docker.compose.volume,Value=logs"})
                   .empty());
  ASSERT_FALSE(MakeFileSystem("unused", {"Key=com.docker.compose.project,Value=store",
                                         "Key=com.docker.compose.volume,Value=unused"})
                   .empty());
  ASSERT_FALSE(MakeFileSystem("untagged", {"Key=Name,Value=store_data"}).empty());
  auto found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->existing_file_systems.empty());

  // A choice already made is not overwritten, not even by a lone candidate.
  const std::string retained = MakeStoreDataFileSystem("retained");
  cfn::ConvertOptions options = network_;
  options.existing_file_systems = {{"data", "fs-0123456789abcdef0"}};
  ASSERT_TRUE(AddRetainedFileSystems(*clients_.efs, *clients_.cloudformation, kStack,
                                     StoreProject(), &options)
                  .ok());
  EXPECT_EQ(options.existing_file_systems,
            (std::map<std::string, std::string>{{"data", "fs-0123456789abcdef0"}}));
  // Without it, the lone candidate is the one.
  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->existing_file_systems, (std::map<std::string, std::string>{{"data", retained}}));
}

TEST_F(RetainedFileSystemsTest, FileSystemWithMountTargetsGetsNoNewOnes) {
  const std::string fs = MakeStoreDataFileSystem("mounted");
  ASSERT_FALSE(fs.empty());
  for (const std::string& subnet : network_.subnet_ids) {
    ASSERT_TRUE(Cli({"efs", "create-mount-target", "--file-system-id", fs, "--subnet-id", subnet})
                    .contains("MountTargetId"));
  }
  auto found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->existing_file_systems, (std::map<std::string, std::string>{{"data", fs}}));
  EXPECT_EQ(found->file_systems_with_mount_targets, std::set<std::string>{fs});
  const std::string body = Template(*found);
  EXPECT_FALSE(Contains(body, "AWS::EFS::MountTarget"));
  ASSERT_EQ(Create(kStack, body), "CREATE_COMPLETE");
  EXPECT_EQ(MountTargetCount(fs), 2u);
}

TEST_F(RetainedFileSystemsTest, FileSystemOfAStackOfAnotherNameIsNeverRetained) {
  // CloudFormation tags what it creates with the creating stack's ID; moto does not, so the
  // tag is set by hand here.
  const std::string queue = R"({"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}})";
  ASSERT_EQ(Create("staging", queue), "CREATE_COMPLETE");
  auto staging = clients_.cloudformation->DescribeStack("staging");
  ASSERT_TRUE(staging.ok()) << staging.status().ToString();
  const std::string fs =
      MakeFileSystem("staging", {"Key=com.docker.compose.project,Value=store",
                                 "Key=com.docker.compose.volume,Value=data",
                                 "Key=aws:cloudformation:stack-id,Value=" + staging->id});
  ASSERT_FALSE(fs.empty());
  auto found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->existing_file_systems.empty());

  // Not even once that stack is gone: staging's data is not production's.
  ASSERT_TRUE(Delete("staging"));
  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->existing_file_systems.empty());

  // One that an earlier stack of this very name made is re-attached.
  const std::string own = MakeFileSystem(
      "own",
      {"Key=com.docker.compose.project,Value=store", "Key=com.docker.compose.volume,Value=data",
       "Key=aws:cloudformation:stack-id,Value=arn:aws:cloudformation:us-east-1:"
       "123456789012:stack/" +
           std::string(kStack) + "/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab"});
  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->existing_file_systems, (std::map<std::string, std::string>{{"data", own}}));
}

// Once re-attached, the stack keeps its file system even when it stops looking retained
// (a tag removed, state `updating`): the template must not start creating an empty one.
TEST_F(RetainedFileSystemsTest, AReattachedFileSystemStaysPinnedToTheStack) {
  const std::string fs = MakeStoreDataFileSystem("kept");
  auto found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  const std::string reattach = Template(*found);
  ASSERT_EQ(Create(kStack, reattach), "CREATE_COMPLETE");

  Cli({"efs", "untag-resource", "--resource-id", fs, "--tag-keys", "com.docker.compose.volume"});
  const std::string decoy = MakeStoreDataFileSystem("decoy");  // a lone candidate now
  ASSERT_FALSE(decoy.empty());
  found = Find();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->existing_file_systems, (std::map<std::string, std::string>{{"data", fs}}));
  EXPECT_EQ(Template(*found), reattach);

  // Gone altogether (deleted by hand): refused, naming it, rather than deployed empty.
  Json targets = Cli({"efs", "describe-mount-targets", "--file-system-id", fs});
  for (const Json& target : targets.value("MountTargets", Json::array())) {
    Cli({"efs", "delete-mount-target", "--mount-target-id", target["MountTargetId"]});
  }
  Cli({"efs", "delete-file-system", "--file-system-id", fs});
  found = Find();
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_TRUE(Contains(found.status().message(), fs + ", which no longer exists"))
      << found.status().message();
}

// The whole path through the Reconciler, from a git repository: a stack deleted and created
// again gets its old file system back, and the next run is a no-op.
TEST_F(RetainedFileSystemsTest, TheReconcilerFindsTheDataAgainAfterTheStackWasDeleted) {
  testing::TempDir cache;
  testing::GitRepo repo;
  repo.Write("compose.yaml",
             "name: store\n"
             "services:\n"
             "  db:\n"
             "    image: postgres:16\n"
             "    volumes:\n"
             "      - data:/var/lib/postgresql/data\n"
             "volumes:\n"
             "  data: {}\n");
  repo.Commit("db with its data");
  git::LibGit2Source git(cache.path());
  Reconciler reconciler(git,
                        {.cloudformation = clients_.cloudformation.get(),
                         .ec2 = clients_.ec2.get(),
                         .efs = clients_.efs.get()},
                        *base::SystemClock::Get(), nullptr);
  ReconcileOptions options;
  options.repo_url = repo.url();
  options.stack_name = kStack;
  options.network = network_;
  options.wait = {std::chrono::milliseconds(100), std::chrono::milliseconds(60000)};

  auto first = reconciler.Reconcile(options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->final_status, "CREATE_COMPLETE") << first->message;
  const std::vector<std::string> created = FileSystemIds();
  ASSERT_EQ(created.size(), 1u);

  ASSERT_TRUE(Delete(kStack));
  ASSERT_EQ(FileSystemIds(), created);  // retained

  auto second = reconciler.Reconcile(options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->action, Action::kCreate);
  ASSERT_EQ(second->final_status, "CREATE_COMPLETE") << second->message;
  EXPECT_EQ(FileSystemIds(), created);  // the same one, no new file system
  EXPECT_EQ(MountTargetCount(created[0]), network_.subnet_ids.size());
  auto body = clients_.cloudformation->GetTemplate(kStack);
  ASSERT_TRUE(body.ok());
  EXPECT_TRUE(Contains(*body, created[0]));
  EXPECT_FALSE(Contains(*body, "AWS::EFS::FileSystem"));

  auto third = reconciler.Reconcile(options);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->action, Action::kNone) << third->message;
}

}  // namespace
}  // namespace ecsync::reconcile
