// Named volumes on EFS: file system, access point, mount targets, task role, retention.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ExpectLintClean;
using testing::MainContainer;
using testing::Project;
using testing::Props;
using testing::RefTo;
using testing::ResourceIn;
using testing::Service;

compose::ServiceVolume Mount(std::string source, std::string target, bool read_only = false) {
  compose::ServiceVolume mount;
  mount.type = "volume";
  mount.source = std::move(source);
  mount.target = std::move(target);
  mount.read_only = read_only;
  return mount;
}

compose::Project WithVolume() {
  compose::Service db = Service("db", "postgres:16");
  db.volumes = {Mount("db-data", "/var/lib/postgresql/data")};
  compose::Service backup = Service("backup", "example/backup");
  backup.volumes = {Mount("db-data", "/backup/source", true)};
  compose::Project project = Project("shop", {backup, db});
  compose::VolumeConfig& data = project.volumes["db-data"];
  data.driver_opts = {{"performance_mode", "maxIO"},
                      {"throughput-mode", "bursting"},
                      {"lifecycle_policy", "AFTER_30_DAYS"},
                      {"backup_policy", "ENABLED"},
                      {"uid", "999"},
                      {"gid", "999"}};
  return project;
}

TEST(Volumes, NamedVolumeIsAnEncryptedRetainedEfsFileSystem) {
  ordered_json tmpl = ConvertOk(WithVolume());
  const ordered_json& fs = ResourceIn(tmpl, "DbdataFilesystem");
  EXPECT_EQ(fs["Type"], "AWS::EFS::FileSystem");
  EXPECT_EQ(fs["DeletionPolicy"], "Retain");
  EXPECT_EQ(fs["Properties"]["Encrypted"], true);
  EXPECT_EQ(fs["Properties"]["PerformanceMode"], "maxIO");
  EXPECT_EQ(fs["Properties"]["ThroughputMode"], "bursting");
  EXPECT_EQ(fs["Properties"]["LifecyclePolicies"][0]["TransitionToIA"], "AFTER_30_DAYS");
  EXPECT_EQ(fs["Properties"]["BackupPolicy"]["Status"], "ENABLED");

  const ordered_json& access = Props(tmpl, "DbdataAccessPoint");
  EXPECT_EQ(access["PosixUser"], (ordered_json{{"Gid", "999"}, {"Uid", "999"}}));
  EXPECT_EQ(access["RootDirectory"]["CreationInfo"]["Permissions"], "0755");
  EXPECT_EQ(access["FileSystemId"], RefTo("DbdataFilesystem"));

  for (const char* subnet : {"Subnet0123abcd", "Subnet4567ef01"}) {
    const std::string id = std::string("DbdataNFSMountTargetOn") + subnet;
    EXPECT_EQ(Props(tmpl, id)["SecurityGroups"], (ordered_json{RefTo("DefaultNetwork")}));
    EXPECT_NE(tmpl["Resources"]["DbService"]["DependsOn"].dump().find(id), std::string::npos);
  }

  const ordered_json& volume = Props(tmpl, "DbTaskDefinition")["Volumes"][0];
  EXPECT_EQ(volume["Name"], "Dbdata");
  EXPECT_EQ(volume["EFSVolumeConfiguration"]["TransitEncryption"], "ENABLED");
  EXPECT_EQ(volume["EFSVolumeConfiguration"]["AuthorizationConfig"]["AccessPointId"],
            RefTo("DbdataAccessPoint"));
  EXPECT_EQ(MainContainer(tmpl, "DbTaskDefinition")["MountPoints"][0]["ContainerPath"],
            "/var/lib/postgresql/data");
  EXPECT_EQ(MainContainer(tmpl, "BackupTaskDefinition")["MountPoints"][0]["ReadOnly"], true);
  // Mount permission in the task role; read-only mounts cannot write.
  const std::string db_role = Props(tmpl, "DbTaskRole").dump();
  EXPECT_NE(db_role.find("elasticfilesystem:ClientWrite"), std::string::npos);
  const std::string backup_role = Props(tmpl, "BackupTaskRole").dump();
  EXPECT_EQ(backup_role.find("elasticfilesystem:ClientWrite"), std::string::npos);
  EXPECT_NE(backup_role.find("elasticfilesystem:ClientMount"), std::string::npos);
  ExpectLintClean(tmpl);
}

// The mount target resources of a template, sorted by logical ID.
std::vector<std::string> MountTargets(const ordered_json& tmpl) {
  std::vector<std::string> ids;
  for (const auto& [id, resource] : tmpl["Resources"].items()) {
    if (resource["Type"] == "AWS::EFS::MountTarget") ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// A resource's DependsOn as JSON text ("[]" when it has none).
std::string DependsOn(const ordered_json& tmpl, const std::string& id) {
  return ResourceIn(tmpl, id).value("DependsOn", ordered_json::array()).dump();
}

const std::vector<std::string> kDbdataMountTargets = {"DbdataNFSMountTargetOnSubnet0123abcd",
                                                      "DbdataNFSMountTargetOnSubnet4567ef01"};

// EFS ignores CreationInfo for "/", which always exists: a non-root user needs a directory
// of its own, which the access point then creates owned by that user.
TEST(Volumes, NonRootUserWithoutRootDirectoryIsWarnedAbout) {
  Conversion conversion = testing::ConvertProjectOrDie(WithVolume(), testing::RealisticNetwork());
  ASSERT_EQ(conversion.warnings.size(), 1u);
  EXPECT_NE(conversion.warnings[0].find("volume \"db-data\""), std::string::npos);
  EXPECT_NE(conversion.warnings[0].find("uid/gid 999:999 cannot write"), std::string::npos)
      << conversion.warnings[0];
  EXPECT_NE(conversion.warnings[0].find("root_directory (e.g. /db-data)"), std::string::npos);

  compose::Project project = WithVolume();
  project.volumes["db-data"].driver_opts["root_directory"] = "/pgdata";
  project.volumes["db-data"].driver_opts["permissions"] = "0700";
  project.volumes["db-data"].driver_opts["kms_key_id"] =
      "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";
  project.volumes["db-data"].driver_opts["throughput_mode"] = "provisioned";
  project.volumes["db-data"].driver_opts["provisioned_throughput"] = "64";
  project.volumes["db-data"].driver_opts.erase("throughput-mode");
  conversion = testing::ConvertProjectOrDie(project, testing::RealisticNetwork());
  EXPECT_TRUE(conversion.warnings.empty());
  const ordered_json& root = Props(conversion.tmpl, "DbdataAccessPoint")["RootDirectory"];
  EXPECT_EQ(root["Path"], "/pgdata");
  EXPECT_EQ(root["CreationInfo"]["OwnerUid"], "999");
  EXPECT_EQ(root["CreationInfo"]["Permissions"], "0700");
  const ordered_json& fs = Props(conversion.tmpl, "DbdataFilesystem");
  EXPECT_EQ(fs["KmsKeyId"], project.volumes["db-data"].driver_opts["kms_key_id"]);
  EXPECT_EQ(fs["ThroughputMode"], "provisioned");
  EXPECT_EQ(fs["ProvisionedThroughputInMibps"], 64.0);
  ExpectLintClean(conversion.tmpl);

  // Root itself can write to "/": nothing to say.
  project = WithVolume();
  project.volumes["db-data"].driver_opts["uid"] = "0";
  project.volumes["db-data"].driver_opts["gid"] = "0";
  EXPECT_TRUE(testing::ConvertProjectOrDie(project, testing::RealisticNetwork()).warnings.empty());
}

TEST(Volumes, ExternalFileSystemIsUsedAsItIs) {
  compose::Project project = WithVolume();
  project.volumes["db-data"].external = true;
  project.volumes["db-data"].name = "fs-0123abcd";
  ConvertOptions options = testing::RealisticNetwork();
  // An external volume is never re-attached, whatever the options say.
  options.existing_file_systems = {{"db-data", "fs-0456cdef"}};
  ordered_json tmpl = ConvertOk(project, options);
  EXPECT_FALSE(tmpl["Resources"].contains("DbdataFilesystem"));
  EXPECT_EQ(Props(tmpl, "DbdataAccessPoint")["FileSystemId"], "fs-0123abcd");
  // Its mount targets are the user's.
  EXPECT_TRUE(MountTargets(tmpl).empty());
  EXPECT_EQ(DependsOn(tmpl, "DbService").find("MountTarget"), std::string::npos);
  ExpectLintClean(tmpl);

  project.volumes["db-data"].name = "my-volume";
  EXPECT_NE(ConvertError(project).find("fs-"), std::string::npos);
}

TEST(Volumes, RetainedFileSystemIsReattachedWithNewMountTargets) {
  ConvertOptions options = testing::RealisticNetwork();
  options.existing_file_systems = {{"db-data", "fs-0456cdef"}};
  ordered_json tmpl = ConvertOk(WithVolume(), options);
  EXPECT_FALSE(tmpl["Resources"].contains("DbdataFilesystem"));
  EXPECT_EQ(Props(tmpl, "DbTaskDefinition")["Volumes"][0]["EFSVolumeConfiguration"]["FilesystemId"],
            "fs-0456cdef");
  EXPECT_EQ(Props(tmpl, "DbdataAccessPoint")["FileSystemId"], "fs-0456cdef");
  EXPECT_NE(Props(tmpl, "DbTaskRole").dump().find("file-system/fs-0456cdef"), std::string::npos);
  // The old stack's mount targets went with it: Docker's logical IDs, on the retained ID,
  // and the services wait for them.
  ASSERT_EQ(MountTargets(tmpl), kDbdataMountTargets);
  for (const std::string& id : kDbdataMountTargets) {
    EXPECT_EQ(Props(tmpl, id)["FileSystemId"], "fs-0456cdef");
    EXPECT_EQ(Props(tmpl, id)["SecurityGroups"], (ordered_json{RefTo("DefaultNetwork")}));
    for (const char* service : {"DbService", "BackupService"}) {
      EXPECT_NE(DependsOn(tmpl, service).find(id), std::string::npos) << service;
    }
  }
  ExpectLintClean(tmpl);

  // Another file system's mount targets change nothing.
  options.file_systems_with_mount_targets = {"fs-0999aaaa"};
  EXPECT_EQ(MountTargets(ConvertOk(WithVolume(), options)), kDbdataMountTargets);
  // Subnets must be known for them.
  ConvertOptions no_subnets;
  no_subnets.existing_file_systems = options.existing_file_systems;
  EXPECT_NE(ConvertError(WithVolume(), no_subnets).find("subnet"), std::string::npos);
}

TEST(Volumes, RetainedFileSystemWithMountTargetsGetsNoNewOnes) {
  ConvertOptions options = testing::RealisticNetwork();
  options.existing_file_systems = {{"db-data", "fs-0456cdef"}};
  options.file_systems_with_mount_targets = {"fs-0456cdef"};
  ordered_json tmpl = ConvertOk(WithVolume(), options);
  EXPECT_FALSE(tmpl["Resources"].contains("DbdataFilesystem"));
  EXPECT_TRUE(MountTargets(tmpl).empty());
  EXPECT_EQ(Props(tmpl, "DbdataAccessPoint")["FileSystemId"], "fs-0456cdef");
  EXPECT_EQ(DependsOn(tmpl, "DbService").find("MountTarget"), std::string::npos);
  ExpectLintClean(tmpl);
}

TEST(Volumes, NeedKnownSubnetsAndDefinedVolumes) {
  EXPECT_NE(ConvertError(WithVolume(), ConvertOptions()).find("subnet"), std::string::npos);
  compose::Project project = WithVolume();
  project.volumes.clear();
  EXPECT_NE(ConvertError(project).find("top-level volumes"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::cfn
