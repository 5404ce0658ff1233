#include "aws/credentials.h"

#include <gtest/gtest.h>

#include "aws/endpoints.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

TEST(ParseIni, ReadsSectionsCommentsAndSubSettings) {
  IniFile ini = ParseIni(
      "# comment\n"
      "; another\n"
      "[default]\n"
      "  aws_access_key_id =  AKID  \r\n"
      "region=eu-west-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 10\n"
      "[profile   dev]\n"
      "region = us-west-2\n");
  EXPECT_EQ(ini["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ(ini["default"]["region"], "eu-west-1");
  EXPECT_EQ(ini["default"]["s3.max_concurrent_requests"], "10");
  EXPECT_EQ(ini["profile dev"]["region"], "us-west-2");
}

TEST(Credentials, EnvironmentComesFirst) {
  testing::TempDir dir;
  std::string file = dir.WriteFile("credentials",
                                   "[default]\naws_access_key_id=FILE\n"
                                   "aws_secret_access_key=FILESECRET\n");
  auto creds = ResolveCredentials({base::EnvFromMap({{"AWS_ACCESS_KEY_ID", "ENV"},
                                                     {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                                                     {"AWS_SESSION_TOKEN", "TOKEN"},
                                                     {"AWS_SHARED_CREDENTIALS_FILE", file}}),
                                   ""});
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "ENV");
  EXPECT_EQ(creds->secret_access_key, "ENVSECRET");
  EXPECT_EQ(creds->session_token, "TOKEN");
  EXPECT_EQ(creds->source, "environment");
}

TEST(Credentials, IncompleteEnvironmentIsAnError) {
  auto creds = ResolveCredentials({base::EnvFromMap({{"AWS_ACCESS_KEY_ID", "ENV"}}), ""});
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(creds.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST(Credentials, SharedCredentialsFileProfileFromAwsProfile) {
  testing::TempDir dir;
  std::string file = dir.WriteFile("credentials",
                                   "[default]\naws_access_key_id=D\naws_secret_access_key=DS\n"
                                   "[work]\naws_access_key_id = W\naws_secret_access_key = WS\n"
                                   "aws_session_token = WT\n");
  auto creds = ResolveCredentials({base::EnvFromMap({{"AWS_SHARED_CREDENTIALS_FILE", file},
                                                     {"AWS_PROFILE", "work"},
                                                     {"AWS_CONFIG_FILE", dir.path() + "/missing"}}),
                                   ""});
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "W");
  EXPECT_EQ(creds->session_token, "WT");
  EXPECT_NE(creds->source.find("profile 'work'"), std::string::npos);
}

TEST(Credentials, ConfigFileProfileSectionAndDefaultHome) {
  testing::TempDir dir;
  dir.WriteFile(".aws/config",
                "[profile ci]\naws_access_key_id=C\naws_secret_access_key=CS\nregion=ap-south-1\n");
  CredentialOptions options{base::EnvFromMap({{"HOME", dir.path()}}), "ci"};
  auto creds = ResolveCredentials(options);
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "C");
  auto region = ResolveRegion(options);
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(*region, "ap-south-1");
}

TEST(Credentials, ExplicitProfileSkipsEnvironment) {
  testing::TempDir dir;
  std::string file = dir.WriteFile("c", "[p]\naws_access_key_id=P\naws_secret_access_key=PS\n");
  auto creds = ResolveCredentials({base::EnvFromMap({{"AWS_ACCESS_KEY_ID", "ENV"},
                                                     {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                                                     {"AWS_SHARED_CREDENTIALS_FILE", file}}),
                                   "p"});
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->access_key_id, "P");
}

TEST(Credentials, MissingProfileNamesFilesAndProfile) {
  testing::TempDir dir;
  std::string file = dir.WriteFile("credentials", "[default]\naws_access_key_id=D\n");
  auto creds = ResolveCredentials({base::EnvFromMap({{"AWS_SHARED_CREDENTIALS_FILE", file},
                                                     {"AWS_CONFIG_FILE", dir.path() + "/config"}}),
                                   "nope"});
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(creds.status().message().find("'nope'"), std::string::npos);
  EXPECT_NE(creds.status().message().find(file), std::string::npos);
}

TEST(Credentials, HalfAProfileIsAnErrorNamingTheFile) {
  testing::TempDir dir;
  std::string file = dir.WriteFile("credentials", "[default]\naws_access_key_id=D\n");
  auto creds = ResolveCredentials({base::EnvFromMap({{"AWS_SHARED_CREDENTIALS_FILE", file}}), ""});
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find(file), std::string::npos);
  EXPECT_NE(creds.status().message().find("aws_secret_access_key"), std::string::npos);
}

TEST(Credentials, NothingFoundSaysWhatToSet) {
  auto creds = ResolveCredentials({base::EnvFromMap({{"HOME", "/nonexistent"}}), ""});
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(creds.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(Region, OrderIsAwsRegionThenDefaultRegionThenProfile) {
  testing::TempDir dir;
  std::string config = dir.WriteFile("config", "[default]\nregion = eu-central-1\n");
  auto env = [&](std::map<std::string, std::string> vars) {
    vars["AWS_CONFIG_FILE"] = config;
    return CredentialOptions{base::EnvFromMap(vars), ""};
  };
  EXPECT_EQ(*ResolveRegion(env({{"AWS_REGION", "a"}, {"AWS_DEFAULT_REGION", "b"}})), "a");
  EXPECT_EQ(*ResolveRegion(env({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "b"}})), "b");
  EXPECT_EQ(*ResolveRegion(env({})), "eu-central-1");
  auto none = ResolveRegion({base::EnvFromMap({{"HOME", "/nonexistent"}}), ""});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("AWS_REGION"), std::string::npos);
}

TEST(Endpoints, OverrideThenServiceVariableThenGlobalThenDefault) {
  auto env = base::EnvFromMap(
      {{"AWS_ENDPOINT_URL_CLOUDFORMATION", "http://cfn:1/"}, {"AWS_ENDPOINT_URL", "http://all:2"}});
  EXPECT_EQ(ResolveEndpoint("CloudFormation", "cloudformation", "us-east-1", "http://o:3", env),
            "http://o:3");
  EXPECT_EQ(ResolveEndpoint("CloudFormation", "cloudformation", "us-east-1", "", env),
            "http://cfn:1");
  EXPECT_EQ(ResolveEndpoint("EC2", "ec2", "us-east-1", "", env), "http://all:2");
  EXPECT_EQ(ResolveEndpoint("EC2", "ec2", "eu-west-1", "", base::EnvFromMap({})),
            "https://ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(ResolveEndpoint("CloudFormation", "cloudformation", "cn-north-1", "", nullptr),
            "https://cloudformation.cn-north-1.amazonaws.com.cn");
}

TEST(Endpoints, ServiceVariableName) {
  EXPECT_EQ(ServiceEndpointEnvVar("CloudFormation"), "AWS_ENDPOINT_URL_CLOUDFORMATION");
  EXPECT_EQ(ServiceEndpointEnvVar("Elastic Load Balancing v2"),
            "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2");
}

}  // namespace
}  // namespace ecsync::aws
