// Secrets: values never in the template; init container, volume, execution-role grant.

#include <gtest/gtest.h>

#include "compose/loader.h"
#include "tests/cfn/helpers.h"
#include "tests/cfn/projects.h"

namespace ecsync::cfn {
namespace {

using nlohmann::ordered_json;
using testing::ConvertError;
using testing::ConvertOk;
using testing::ConvertProjectOrDie;
using testing::ExpectLintClean;
using testing::MainContainer;
using testing::Port;
using testing::Project;
using testing::Props;
using testing::RefTo;
using testing::Service;

compose::FileReference Use(std::string source, std::string target = "") {
  compose::FileReference ref;
  ref.source = std::move(source);
  ref.target = std::move(target);
  return ref;
}

compose::Project WithSecrets() {
  compose::Service web = Service("web", "example/web", {Port(80)});
  web.secrets = {Use("db_password"), Use("api", "keys/api"), Use("shared")};
  compose::Project project = Project("shop", {web, Service("worker", "example/worker")});
  project.secrets["db_password"].file = "/repo/secrets/db.txt";
  project.secrets["api"].environment = "API_TOKEN";
  project.secrets["api"].extensions = {{"x-aws-keys", {"client_id", "client_secret"}}};
  project.secrets["shared"].external = true;
  project.secrets["shared"].name =
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared-AbCdEf";
  return project;
}

TEST(Secrets, FileAndEnvironmentSecretsAreNoEchoParameters) {
  Conversion conversion = ConvertProjectOrDie(WithSecrets());
  const ordered_json& tmpl = conversion.tmpl;
  const ordered_json& parameter = tmpl["Parameters"]["DbpasswordSecretValue"];
  EXPECT_EQ(parameter["Type"], "String");
  EXPECT_EQ(parameter["NoEcho"], true);
  EXPECT_EQ(Props(tmpl, "DbpasswordSecret")["SecretString"], RefTo("DbpasswordSecretValue"));
  EXPECT_EQ(tmpl["Resources"]["DbpasswordSecret"]["Type"], "AWS::SecretsManager::Secret");
  EXPECT_FALSE(tmpl["Resources"].contains("SharedSecret"));  // external: an ARN
  ASSERT_EQ(conversion.secret_parameters.size(), 2u);
  EXPECT_EQ(conversion.secret_parameters[0].parameter, "ApiSecretValue");
  EXPECT_EQ(conversion.secret_parameters[0].environment, "API_TOKEN");
  EXPECT_EQ(conversion.secret_parameters[1].parameter, "DbpasswordSecretValue");
  EXPECT_EQ(conversion.secret_parameters[1].file, "/repo/secrets/db.txt");
  ExpectLintClean(tmpl);
}

TEST(Secrets, InitContainerWritesFilesTheServiceMountsReadOnly) {
  ordered_json tmpl = ConvertOk(WithSecrets());
  const ordered_json& containers = Props(tmpl, "WebTaskDefinition")["ContainerDefinitions"];
  ASSERT_EQ(containers.size(), 3u);
  const ordered_json& init = containers[1];
  EXPECT_EQ(init["Name"], "Web_Secrets_InitContainer");
  EXPECT_EQ(init["Essential"], false);
  const std::string script = init["Command"][0];
  EXPECT_NE(script.find("/run/secrets/db_password"), std::string::npos) << script;
  EXPECT_NE(script.find("/run/secrets/keys/api/client_id"), std::string::npos) << script;
  EXPECT_NE(script.find("chmod 0444"), std::string::npos) << script;
  ASSERT_EQ(init["Secrets"].size(), 4u);
  // x-aws-keys: ECS extracts each JSON key itself.
  EXPECT_EQ(init["Secrets"][1]["ValueFrom"],
            (ordered_json{{"Fn::Join", {"", {RefTo("ApiSecret"), ":client_id::"}}}}));
  EXPECT_EQ(init["Secrets"][3]["ValueFrom"],
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared-AbCdEf");

  const ordered_json& main = containers[2];
  EXPECT_EQ(main["MountPoints"], (ordered_json{{{"ContainerPath", "/run/secrets"},
                                                {"ReadOnly", true},
                                                {"SourceVolume", "secrets"}}}));
  EXPECT_EQ(main["DependsOn"][1]["ContainerName"], "Web_Secrets_InitContainer");
  const ordered_json& grant =
      Props(tmpl, "WebTaskExecutionRole")["Policies"][0]["PolicyDocument"]["Statement"][0];
  EXPECT_EQ(grant["Action"], (ordered_json{"secretsmanager:GetSecretValue"}));
  EXPECT_EQ(grant["Resource"].size(), 3u);
  // The worker has no secrets: no init container, no grant.
  EXPECT_EQ(Props(tmpl, "WorkerTaskDefinition")["ContainerDefinitions"].size(), 2u);
  EXPECT_FALSE(Props(tmpl, "WorkerTaskExecutionRole").contains("Policies"));
}

// x-aws-keys: ["*"]: the keys are known only at run time, so the init container gets the whole
// secret and its script splits the JSON (secret_split_test.cc runs that script).
TEST(Secrets, AllKeysPassesTheWholeSecretToTheSplittingScript) {
  compose::Project project = WithSecrets();
  project.secrets["api"].extensions = {{"x-aws-keys", {"*"}}};
  project.services[0].secrets[1].mode = 0400;
  project.services[0].secrets[1].uid = "1000";
  project.services[0].secrets[1].gid = "1001";
  Conversion conversion = ConvertProjectOrDie(project);
  const ordered_json& containers =
      Props(conversion.tmpl, "WebTaskDefinition")["ContainerDefinitions"];
  const ordered_json& init = containers[1];
  ASSERT_EQ(init["Name"], "Web_Secrets_InitContainer");
  EXPECT_EQ(init["Secrets"],
            (ordered_json{{{"Name", "SECRET_0"}, {"ValueFrom", RefTo("DbpasswordSecret")}},
                          {{"Name", "SECRET_1"}, {"ValueFrom", RefTo("ApiSecret")}},
                          {{"Name", "SECRET_2"},
                           {"ValueFrom",
                            "arn:aws:secretsmanager:us-east-1:123456789012:"
                            "secret:shared-AbCdEf"}}}));
  const std::string script = init["Command"][0];
  EXPECT_EQ(script.rfind("set -e; umask 0222; ecsync_split_json() {", 0), 0u) << script;
  EXPECT_NE(script.find("ecsync_split_json SECRET_1 /run/secrets/keys/api 0400 \"1000:1001\" "
                        "|| exit 1; "),
            std::string::npos)
      << script;
  EXPECT_EQ(script.find("SECRET_1_"), std::string::npos) << script;
  // Deterministic: the same project gives the same template.
  EXPECT_EQ(ToJson(ConvertOk(project)), ToJson(conversion.tmpl));
  ExpectLintClean(conversion.tmpl);
  ExpectLintClean(conversion.tmpl, /*yaml=*/true);
  // Without "*" the function is not defined at all.
  EXPECT_EQ(ConvertOk(WithSecrets()).dump().find("ecsync_split_json"), std::string::npos);
}

TEST(Secrets, AllKeysCannotBeMixedWithNamedKeys) {
  compose::Project project = WithSecrets();
  project.secrets["api"].extensions = {{"x-aws-keys", {"*", "client_id"}}};
  std::string error = ConvertError(project);
  EXPECT_NE(error.find("secret \"api\""), std::string::npos) << error;
  EXPECT_NE(error.find("x-aws-keys mixes \"*\""), std::string::npos) << error;
  EXPECT_NE(error.find("\"client_id\""), std::string::npos) << error;
  project.secrets["api"].extensions = {{"x-aws-keys", {"client_id", "*"}}};
  error = ConvertError(project);
  EXPECT_NE(error.find("\"client_id\""), std::string::npos) << error;
  project.secrets["api"].extensions = {{"x-aws-keys", {"*", "*"}}};
  EXPECT_NE(ConvertError(project).find("more than once"), std::string::npos);
  project.secrets["api"].extensions = {{"x-aws-keys", {"a/b"}}};
  EXPECT_NE(ConvertError(project).find("\"a/b\""), std::string::npos);
}

TEST(Secrets, RejectsUnsafeTargetsAndUnknownSecrets) {
  compose::Project project = WithSecrets();
  project.services[0].secrets.push_back(Use("db_password", "../etc/passwd"));
  EXPECT_NE(ConvertError(project).find("secrets[3]"), std::string::npos);
  project = WithSecrets();
  project.services[0].secrets.push_back(Use("nope"));
  EXPECT_NE(ConvertError(project).find("\"nope\""), std::string::npos);
  project = WithSecrets();
  project.secrets["shared"].name = "shared";
  EXPECT_NE(ConvertError(project).find("ARN"), std::string::npos);
}

// Through the real loader, with a real secret file: its content is nowhere in the template.
TEST(Secrets, SecretValueNeverAppearsInTheTemplate) {
  ecsync::testing::TempDir dir;
  const std::string value = "s3cr3t-Value-that-must-not-leak";
  dir.WriteFile("db.txt", value);
  dir.WriteFile("compose.yaml",
                "name: shop\n"
                "services:\n"
                "  web:\n"
                "    image: nginx\n"
                "    secrets: [db]\n"
                "secrets:\n"
                "  db:\n"
                "    file: ./db.txt\n");
  compose::DiskFileReader reader;
  compose::LoadOptions options;
  options.files = {dir.path() + "/compose.yaml"};
  base::Result<compose::Project> project = compose::Load(options, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  Conversion conversion = ConvertProjectOrDie(*project);
  ASSERT_EQ(conversion.secret_parameters.size(), 1u);
  EXPECT_EQ(conversion.secret_parameters[0].file, dir.path() + "/db.txt");
  EXPECT_EQ(ToJson(conversion.tmpl).find(value), std::string::npos);
  EXPECT_EQ(ToYaml(conversion.tmpl).find(value), std::string::npos);
  ExpectLintClean(conversion.tmpl, /*yaml=*/true);
}

}  // namespace
}  // namespace ecsync::cfn
