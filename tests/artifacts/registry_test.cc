#include "artifacts/registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "aws/make_clients.h"
#include "base/env.h"
#include "base/hash.h"
#include "tests/support/local_registry.h"
#include "tests/support/support.h"

namespace ecsync::artifacts {
namespace {

ImageRef Ref(const std::string& registry, const std::string& repository, const std::string& tag) {
  return ImageRef{registry, repository, tag, ""};
}

TEST(RegistryV2, AnonymousHeadReadsTheManifestDigest) {
  testing::LocalRegistry registry(/*basic_auth=*/false);
  std::string docker_digest, oci_digest;
  ASSERT_NO_FATAL_FAILURE(registry.Push("shop/web", "abc123",
                                        "application/vnd.docker.distribution.manifest.v2+json",
                                        "layer one", &docker_digest));
  ASSERT_NO_FATAL_FAILURE(registry.Push(
      "shop/web", "oci", "application/vnd.oci.image.manifest.v1+json", "layer two", &oci_digest));
  ASSERT_FALSE(docker_digest.empty());
  RegistryV2 v2(std::make_shared<aws::CurlHttpClient>(), RegistryV2Options{"http", "", ""});

  auto digest = v2.FindDigest(Ref(registry.host(), "shop/web", "abc123"));
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, docker_digest);
  auto oci = v2.FindDigest(Ref(registry.host(), "shop/web", "oci"));
  ASSERT_TRUE(oci.ok()) << oci.status().ToString();
  EXPECT_EQ(*oci, oci_digest);

  auto no_tag = v2.FindDigest(Ref(registry.host(), "shop/web", "not-pushed-yet"));
  ASSERT_FALSE(no_tag.ok());
  EXPECT_EQ(no_tag.status().kind(), base::ErrorKind::kNotFound);
  auto no_repository = v2.FindDigest(Ref(registry.host(), "shop/other", "abc123"));
  ASSERT_FALSE(no_repository.ok());
  EXPECT_EQ(no_repository.status().kind(), base::ErrorKind::kNotFound);
}

TEST(RegistryV2, BasicAuth) {
  testing::LocalRegistry registry(/*basic_auth=*/true);
  std::string pushed;
  ASSERT_NO_FATAL_FAILURE(registry.Push("shop/api", "t1",
                                        "application/vnd.docker.distribution.manifest.v2+json",
                                        "api layer", &pushed));
  auto http = std::make_shared<aws::CurlHttpClient>();

  RegistryV2 authorized(
      http, RegistryV2Options{"http", testing::kRegistryUser, testing::kRegistryPassword});
  auto digest = authorized.FindDigest(Ref(registry.host(), "shop/api", "t1"));
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, pushed);

  for (const RegistryV2Options& options :
       {RegistryV2Options{"http", "", ""},
        RegistryV2Options{"http", testing::kRegistryUser, "wrong"}}) {
    RegistryV2 refused(http, options);
    auto denied = refused.FindDigest(Ref(registry.host(), "shop/api", "t1"));
    ASSERT_FALSE(denied.ok());
    EXPECT_EQ(denied.status().kind(), base::ErrorKind::kInvalid);
    EXPECT_NE(denied.status().message().find("401"), std::string::npos)
        << denied.status().message();
    EXPECT_EQ(denied.status().message().find("wrong"), std::string::npos) << "no password";
  }
}

TEST(RegistryV2, NothingListeningIsTransient) {
  RegistryV2 v2(std::make_shared<aws::CurlHttpClient>(), RegistryV2Options{"http", "", ""});
  auto digest = v2.FindDigest(
      Ref("127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()), "shop/web", "x"));
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.status().kind(), base::ErrorKind::kTransient);
}

class EcrRegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new testing::MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override {
    moto_->Reset();
    aws::AwsClientsOptions options;
    options.env = base::EnvFromMap(moto_->ClientEnv());
    auto clients = aws::MakeAwsClients(options);
    ASSERT_TRUE(clients.ok()) << clients.status().ToString();
    client_ = clients->client;
  }

  // What a CI push leaves in ECR: the repository and an image manifest under `tag`. Returns
  // the digest ECR reports for it.
  std::string PushToEcr(const std::string& repository, const std::string& tag) {
    auto created =
        client_->CallJson(kEcrService, "CreateRepository", {{"repositoryName", repository}});
    EXPECT_TRUE(created.ok() || created.status().kind() == base::ErrorKind::kConflict)
        << created.status().ToString();
    const std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
        R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,)"
        R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},)"
        R"("layers":[]})";
    auto put = client_->CallJson(
        kEcrService, "PutImage",
        {{"repositoryName", repository}, {"imageManifest", manifest}, {"imageTag", tag}});
    EXPECT_TRUE(put.ok()) << put.status().ToString();
    if (!put.ok()) return "";
    return (*put)["image"]["imageId"].value("imageDigest", "");
  }

  static inline testing::MotoServer* moto_ = nullptr;
  std::shared_ptr<aws::AwsClient> client_;
};

TEST_F(EcrRegistryTest, DescribeImagesGivesTheDigest) {
  const std::string pushed = PushToEcr("shop/web", "0123abcd");
  ASSERT_TRUE(IsValidDigest(pushed)) << pushed;
  const std::string host = EcrRegistryHost("123456789012", "us-east-1");
  EcrImageRegistry ecr(client_, "123456789012");
  auto digest = ecr.FindDigest(Ref(host, "shop/web", "0123abcd"));
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, pushed);

  EcrImageRegistry own_account(client_, "");
  auto same = own_account.FindDigest(Ref(host, "shop/web", "0123abcd"));
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(*same, pushed);
}

TEST_F(EcrRegistryTest, MissingTagOrRepositoryIsNotFound) {
  PushToEcr("shop/web", "0123abcd");
  const std::string host = EcrRegistryHost("123456789012", "us-east-1");
  EcrImageRegistry ecr(client_, "123456789012");
  auto no_tag = ecr.FindDigest(Ref(host, "shop/web", "ffff0000"));
  ASSERT_FALSE(no_tag.ok());
  EXPECT_EQ(no_tag.status().kind(), base::ErrorKind::kNotFound) << no_tag.status().ToString();
  EXPECT_NE(no_tag.status().message().find("shop/web:ffff0000"), std::string::npos);
  auto no_repository = ecr.FindDigest(Ref(host, "shop/none", "0123abcd"));
  ASSERT_FALSE(no_repository.ok());
  EXPECT_EQ(no_repository.status().kind(), base::ErrorKind::kNotFound)
      << no_repository.status().ToString();
}

}  // namespace
}  // namespace ecsync::artifacts
