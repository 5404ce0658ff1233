#include "artifacts/registry.h"

#include <crypt.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>

#include "aws/make_clients.h"
#include "base/env.h"
#include "base/hash.h"
#include "tests/support/support.h"

namespace ecsync::artifacts {
namespace {

constexpr const char* kUser = "ci";
constexpr const char* kPassword = "push-secret";

std::string Sha256Digest(const std::string& bytes) { return "sha256:" + base::Sha256Hex(bytes); }

// A real registry (the Docker distribution registry, `docker-registry`) on a free loopback
// port, storing into a temporary folder; with `basic_auth` it requires kUser/kPassword.
class LocalRegistry {
 public:
  explicit LocalRegistry(bool basic_auth) {
    port_ = testing::FreeLoopbackPort();
    std::string config =
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " +
        dir_.path() + "/data\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n";
    if (basic_auth) {
      // bcrypt, the only scheme the registry's htpasswd reader accepts.
      const char* hash = crypt(kPassword, "$2b$05$abcdefghijklmnopqrstuu");
      dir_.WriteFile("htpasswd", std::string(kUser) + ":" + hash + "\n");
      config += "auth:\n  htpasswd:\n    realm: test\n    path: " + dir_.path() + "/htpasswd\n";
    }
    const std::string config_path = dir_.WriteFile("config.yml", config);
    process_ = std::make_unique<testing::Process>(
        std::vector<std::string>{"docker-registry", "serve", config_path},
        std::map<std::string, std::string>{}, dir_.path() + "/registry.log");
    if (!testing::WaitUntil([&] { return testing::PortAccepts(port_); },
                            std::chrono::seconds(30))) {
      ADD_FAILURE() << "docker-registry did not start: " << process_->Log();
    }
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  // Pushes a one-layer image as `repository`:`tag` the way a client does (blobs first, then
  // the manifest); sets `digest` to the one the registry answered for the manifest.
  void Push(const std::string& repository, const std::string& tag, const std::string& media_type,
            const std::string& layer_bytes, std::string* digest) {
    httplib::Client client("127.0.0.1", port_);
    client.set_basic_auth(kUser, kPassword);
    const std::string config_blob =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    for (const std::string& blob : {config_blob, layer_bytes}) {
      // Start an upload, then finish it in one PUT of the whole blob.
      auto started = client.Post("/v2/" + repository + "/blobs/uploads/", "", "text/plain");
      ASSERT_TRUE(started && started->status == 202) << (started ? started->status : -1);
      std::string location = started->get_header_value("Location");
      if (size_t scheme = location.find("://"); scheme != std::string::npos) {
        location = location.substr(location.find('/', scheme + 3));
      }
      location += (location.find('?') == std::string::npos ? "?" : "&");
      auto r =
          client.Put(location + "digest=" + Sha256Digest(blob), blob, "application/octet-stream");
      ASSERT_TRUE(r && r->status == 201) << (r ? r->status : -1) << " " << (r ? r->body : "");
    }
    const bool oci = media_type.find("oci") != std::string::npos;
    const std::string manifest =
        R"({"schemaVersion":2,"mediaType":")" + media_type + R"(","config":{"mediaType":")" +
        (oci ? "application/vnd.oci.image.config.v1+json"
             : "application/vnd.docker.container.image.v1+json") +
        R"(","size":)" + std::to_string(config_blob.size()) + R"(,"digest":")" +
        Sha256Digest(config_blob) + R"("},"layers":[{"mediaType":")" +
        (oci ? "application/vnd.oci.image.layer.v1.tar+gzip"
             : "application/vnd.docker.image.rootfs.diff.tar.gzip") +
        R"(","size":)" + std::to_string(layer_bytes.size()) + R"(,"digest":")" +
        Sha256Digest(layer_bytes) + R"("}]})";
    auto r = client.Put("/v2/" + repository + "/manifests/" + tag, manifest, media_type);
    ASSERT_TRUE(r && r->status == 201) << (r ? r->status : -1) << " " << (r ? r->body : "");
    EXPECT_EQ(r->get_header_value("Docker-Content-Digest"), Sha256Digest(manifest));
    *digest = r->get_header_value("Docker-Content-Digest");
  }

 private:
  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<testing::Process> process_;
};

ImageRef Ref(const std::string& registry, const std::string& repository, const std::string& tag) {
  return ImageRef{registry, repository, tag, ""};
}

TEST(RegistryV2, AnonymousHeadReadsTheManifestDigest) {
  LocalRegistry registry(/*basic_auth=*/false);
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
  LocalRegistry registry(/*basic_auth=*/true);
  std::string pushed;
  ASSERT_NO_FATAL_FAILURE(registry.Push("shop/api", "t1",
                                        "application/vnd.docker.distribution.manifest.v2+json",
                                        "api layer", &pushed));
  auto http = std::make_shared<aws::CurlHttpClient>();

  RegistryV2 authorized(http, RegistryV2Options{"http", kUser, kPassword});
  auto digest = authorized.FindDigest(Ref(registry.host(), "shop/api", "t1"));
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, pushed);

  for (const RegistryV2Options& options :
       {RegistryV2Options{"http", "", ""}, RegistryV2Options{"http", kUser, "wrong"}}) {
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
