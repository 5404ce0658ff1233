// Images built from the repository, as a reconcile uses them: the external builder names the
// image from the commit's tree, a revision whose image is not pushed waits without touching
// the stack, and a pushed one is deployed pinned by digest. Git is a real repository; the
// registry is a fake that answers "not yet" until the test pushes (the real registries are
// covered by tests/artifacts/registry_test.cc and tests/cli/images_test.cc); the stacks live
// in the stack-files target.

#include "reconcile/images.h"

#include <gtest/gtest.h>

#include <fstream>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/stack_files.h"
#include "git/libgit2_source.h"
#include "reconcile/reconciler.h"
#include "tests/support/support.h"

namespace ecsync::reconcile {
namespace {

using std::chrono::milliseconds;

constexpr char kImagesApp[] = R"(name: shop
services:
  api:
    build: ./api
  web:
    image: nginx:1.27
)";
constexpr char kDigest[] =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";

// Answers kNotFound until Push; counts the questions.
class FakeRegistry : public artifacts::ImageRegistry {
 public:
  base::Result<std::string> FindDigest(const artifacts::ImageRef& image) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++asked_;
    auto it = pushed_.find(image.repository + ":" + image.tag);
    if (it == pushed_.end()) return base::NotFoundError(image.ToString() + ": not pushed");
    return it->second;
  }
  void Push(const std::string& repository_tag, const std::string& digest) {
    std::lock_guard<std::mutex> lock(mu_);
    pushed_[repository_tag] = digest;
  }
  int asked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> pushed_;
  int asked_ = 0;
};

class ImagesTest : public ::testing::Test {
 protected:
  ImagesTest() : stacks_(files_.path() + "/stacks", clock_), git_(cache_.path()) {
    registry_ = std::make_shared<FakeRegistry>();
    targets_.cloudformation = &stacks_;
    targets_.open_registry = [this](const std::string& host,
                                    const artifacts::RegistryV2Options& access)
        -> base::Result<std::shared_ptr<artifacts::ImageRegistry>> {
      opened_host_ = host;
      opened_scheme_ = access.scheme;
      return std::shared_ptr<artifacts::ImageRegistry>(registry_);
    };
    repo_.Write("compose.yaml", kImagesApp);
    repo_.Write("api/Dockerfile", "FROM busybox\n");
  }

  ReconcileOptions Options() const {
    ReconcileOptions options;
    options.repo_url = repo_.url();
    options.network = {"vpc-0123abcd", {"subnet-0123abcd", "subnet-4567ef01"}};
    options.wait = {milliseconds(5000), milliseconds(60000)};
    options.images.builder = "external";
    options.images.registry = "registry.example.com:5000";
    options.image_cache = &cache_digests_;
    return options;
  }

  base::Result<ReconcileReport> Run(const ReconcileOptions& options) {
    Reconciler reconciler(git_, targets_, clock_,
                          [this](const ProgressEvent& e) { lines_.push_back(FormatText(e)); });
    return reconciler.Reconcile(options);
  }

  std::string DeployedImage(const std::string& resource) {
    auto body = stacks_.GetTemplate("shop");
    if (!body.ok()) return "";
    nlohmann::json tmpl = nlohmann::json::parse(*body);
    // The service's own container is the last; sidecars come first.
    return tmpl["Resources"][resource]["Properties"]["ContainerDefinitions"]
        .back()["Image"]
        .get<std::string>();
  }

  base::FakeClock clock_;
  testing::TempDir files_, cache_;
  testing::GitRepo repo_;
  aws::StackFiles stacks_;
  git::LibGit2Source git_;
  std::shared_ptr<FakeRegistry> registry_;
  Targets targets_;
  mutable ImageDigestCache cache_digests_;
  std::string opened_host_, opened_scheme_;
  std::vector<std::string> lines_;
};

TEST_F(ImagesTest, AMissingImageLeavesTheStackAloneAndAPushedOneIsPinned) {
  repo_.Commit("shop");
  auto waiting = Run(Options());
  ASSERT_TRUE(waiting.ok()) << waiting.status().ToString();
  EXPECT_FALSE(waiting->succeeded);
  EXPECT_EQ(waiting->action, Action::kNone);
  ASSERT_EQ(waiting->missing_images.size(), 1u);
  const std::string reference = waiting->missing_images[0];
  EXPECT_EQ(reference.rfind("registry.example.com:5000/shop/api:", 0), 0u) << reference;
  EXPECT_NE(waiting->message.find("waiting for 1 image(s) CI has not pushed"), std::string::npos);
  EXPECT_FALSE(stacks_.DescribeStack("shop").ok());  // nothing was created
  EXPECT_EQ(opened_host_, "registry.example.com:5000");
  EXPECT_EQ(opened_scheme_, "https");

  const std::string tag = reference.substr(reference.rfind(':') + 1);
  registry_->Push("shop/api:" + tag, kDigest);
  auto deployed = Run(Options());
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  ASSERT_TRUE(deployed->succeeded) << deployed->message;
  EXPECT_EQ(deployed->action, Action::kCreate);
  EXPECT_EQ(DeployedImage("ApiTaskDefinition"),
            std::string("registry.example.com:5000/shop/api@") + kDigest);
  EXPECT_EQ(DeployedImage("WebTaskDefinition"), "nginx:1.27");

  // The digest of a content-addressed tag is asked once per process.
  const int asked = registry_->asked();
  auto again = Run(Options());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->action, Action::kNone);
  EXPECT_EQ(registry_->asked(), asked);
}

TEST_F(ImagesTest, TheCliWaitsForTheImageWithinItsLimit) {
  repo_.Commit("shop");
  ReconcileOptions options = Options();
  options.image_cache = nullptr;
  options.wait_for_images = true;
  options.images.wait = std::chrono::minutes(5);
  options.images.poll_interval = milliseconds(1);
  // CI pushes while ecsync waits: the third question finds the image.
  auto planned = Run(Options());
  ASSERT_TRUE(planned.ok());
  ASSERT_EQ(planned->missing_images.size(), 1u);
  const std::string reference = planned->missing_images[0];
  const int before = registry_->asked();
  std::atomic<bool> stop{false};
  std::thread ci([&] {
    testing::WaitUntil([&] { return registry_->asked() >= before + 2 || stop.load(); });
    registry_->Push("shop/api:" + reference.substr(reference.rfind(':') + 1), kDigest);
  });
  auto deployed = Run(options);
  stop = true;
  ci.join();
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  EXPECT_TRUE(deployed->succeeded) << deployed->message;
  EXPECT_TRUE(deployed->missing_images.empty());
}

TEST_F(ImagesTest, BuildInputsOutsideTheRepositoryRejectTheRevision) {
  repo_.Write("compose.yaml", "name: shop\nservices:\n  api:\n    build: ./missing\n");
  repo_.Commit("shop");
  auto refused = Run(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(refused.status().message().find("compose.yaml:4:"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("services.api.build.context"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("the deployed stack is left as it is"),
            std::string::npos);
}

TEST_F(ImagesTest, WithoutABuilderBuildIsRefused) {
  repo_.Commit("shop");
  ReconcileOptions options = Options();
  options.images = {};
  auto refused = Run(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("set images.builder"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(registry_->asked(), 0);
}

TEST(ImageDigestCache, RemembersByReference) {
  ImageDigestCache cache;
  std::string digest;
  EXPECT_FALSE(cache.Find("r.example.com/a:t", &digest));
  cache.Remember("r.example.com/a:t", kDigest);
  ASSERT_TRUE(cache.Find("r.example.com/a:t", &digest));
  EXPECT_EQ(digest, kDigest);
  EXPECT_FALSE(cache.Find("r.example.com/a:u", &digest));
}

TEST(ImageDigestCache, APersistedDigestIsKnownToTheNextProcess) {
  testing::TempDir dir;
  const std::string file = ImageDigestFile(dir.path() + "/cache");
  {
    ImageDigestCache first;
    first.PersistTo(file);
    first.Remember("r.example.com/a:t", kDigest);
    first.Remember("r.example.com/bad:t", "not a digest");  // kept in memory only
  }
  // A line the cache cannot have written is skipped, not trusted.
  std::ofstream(file, std::ios::app) << "half-a-line\nr.example.com/c:t latest\n";
  ImageDigestCache next;
  next.PersistTo(file);
  std::string digest;
  ASSERT_TRUE(next.Find("r.example.com/a:t", &digest));
  EXPECT_EQ(digest, kDigest);
  EXPECT_FALSE(next.Find("r.example.com/bad:t", &digest));
  EXPECT_FALSE(next.Find("half-a-line", &digest));
  EXPECT_FALSE(next.Find("r.example.com/c:t", &digest));
}

// `reconcile --once` in CI: every run is a new process; with the cache folder kept, an
// unchanged project asks the registry nothing.
TEST_F(ImagesTest, AKeptCacheFolderSparesTheNextProcessTheRegistry) {
  repo_.Commit("shop");
  auto waiting = Run(Options());
  ASSERT_TRUE(waiting.ok()) << waiting.status().ToString();
  ASSERT_EQ(waiting->missing_images.size(), 1u);
  const std::string reference = waiting->missing_images[0];
  registry_->Push("shop/api:" + reference.substr(reference.rfind(':') + 1), kDigest);

  const std::string file = ImageDigestFile(cache_.path());
  ImageDigestCache first_process;
  first_process.PersistTo(file);
  ReconcileOptions options = Options();
  options.image_cache = &first_process;
  auto deployed = Run(options);
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  ASSERT_TRUE(deployed->succeeded) << deployed->message;
  const int asked = registry_->asked();

  ImageDigestCache next_process;
  next_process.PersistTo(file);
  options.image_cache = &next_process;
  auto again = Run(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->action, Action::kNone);
  EXPECT_EQ(registry_->asked(), asked);

  // Without the file, the next process asks again.
  ImageDigestCache forgetful;
  options.image_cache = &forgetful;
  ASSERT_TRUE(Run(options).ok());
  EXPECT_GT(registry_->asked(), asked);
}

TEST(CheckBuilder, NamesTheChoices) {
  EXPECT_TRUE(CheckBuilder("external").ok());
  EXPECT_TRUE(CheckBuilder("codebuild").ok());
  EXPECT_NE(CheckBuilder("kaniko").message().find("use external"), std::string::npos);
  EXPECT_NE(CheckBuilder("kaniko").message().find("or codebuild"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::reconcile
