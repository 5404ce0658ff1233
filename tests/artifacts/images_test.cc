#include "artifacts/images.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "compose/loader.h"
#include "tests/support/support.h"

namespace ecsync::artifacts {
namespace {

using namespace std::chrono_literals;

std::string DigestOf(char c) { return "sha256:" + std::string(64, c); }

// A registry where each tag appears after it has been asked about `not_yet` times; the only
// fake here: what matters is the timing, which a real registry cannot script.
class FakeRegistry final : public ImageRegistry {
 public:
  struct Image {
    int not_yet = 0;
    std::string digest;
    base::ErrorKind error = base::ErrorKind::kNotFound;  // the answer while not yet there
  };
  base::Result<std::string> FindDigest(const ImageRef& image) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[image.tag];
    auto it = images_.find(image.tag);
    if (it == images_.end()) return base::NotFoundError(image.ToString() + ": not there");
    if (it->second.not_yet > 0) {
      --it->second.not_yet;
      return base::Status(it->second.error, image.ToString() + ": not yet");
    }
    return it->second.digest;
  }
  void Add(const std::string& tag, Image image) { images_[tag] = std::move(image); }
  int Calls(const std::string& tag) { return calls_[tag]; }

 private:
  std::mutex mu_;
  std::map<std::string, Image> images_;
  std::map<std::string, int> calls_;
};

ImageTarget Target(const std::string& service, const std::string& tag) {
  ImageTarget target;
  target.service = service;
  target.reference = ImageRef{"registry.example.com", "shop/" + service, tag, ""};
  return target;
}

TEST(WaitForImages, WaitsUntilEveryImageIsPushedThenPinsByDigest) {
  FakeRegistry registry;
  registry.Add("t-web", {2, DigestOf('a')});
  registry.Add("t-api", {0, DigestOf('b')});
  base::FakeClock clock;
  const auto start = clock.SteadyNow();
  ImageWaitOptions options;
  options.timeout = 10min;
  options.poll_interval = 30s;
  options.clock = &clock;
  auto pinned = WaitForImages({Target("web", "t-web"), Target("api", "t-api")}, registry, options);
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  ASSERT_EQ(pinned->size(), 2u);
  EXPECT_EQ((*pinned)[0].service, "web");
  EXPECT_EQ((*pinned)[0].pinned(), "registry.example.com/shop/web@" + DigestOf('a'));
  EXPECT_EQ((*pinned)[0].reference.tag, "t-web");
  EXPECT_EQ((*pinned)[1].pinned(), "registry.example.com/shop/api@" + DigestOf('b'));
  EXPECT_EQ(clock.SteadyNow() - start, 60s) << "two polls while web was missing";
  EXPECT_EQ(registry.Calls("t-web"), 3);
  EXPECT_EQ(registry.Calls("t-api"), 1) << "an image found is not asked about again";
}

TEST(WaitForImages, DeadlineNamesEveryMissingReference) {
  FakeRegistry registry;
  registry.Add("t-web", {1'000, DigestOf('a')});
  registry.Add("t-api", {0, DigestOf('b')});
  base::FakeClock clock;
  const auto start = clock.SteadyNow();
  ImageWaitOptions options;
  options.timeout = 5min;
  options.poll_interval = 40s;
  options.clock = &clock;
  auto pinned =
      WaitForImages({Target("web", "t-web"), Target("api", "t-api"), Target("worker", "t-worker")},
                    registry, options);
  ASSERT_FALSE(pinned.ok());
  EXPECT_EQ(pinned.status().kind(), base::ErrorKind::kNotFound);
  const std::string message = pinned.status().message();
  EXPECT_NE(message.find("after 5m"), std::string::npos) << message;
  EXPECT_NE(message.find("registry.example.com/shop/web:t-web (service web)"), std::string::npos)
      << message;
  EXPECT_NE(message.find("registry.example.com/shop/worker:t-worker (service worker)"),
            std::string::npos);
  EXPECT_EQ(message.find("shop/api"), std::string::npos) << "present images are not listed";
  EXPECT_EQ(clock.SteadyNow() - start, 5min) << "the last check is at the deadline";
  EXPECT_EQ(registry.Calls("t-web"), 9) << "at 0, 40 s, ..., 280 s and 300 s";
}

TEST(WaitForImages, ZeroTimeoutChecksOnce) {
  FakeRegistry registry;
  registry.Add("t-web", {1, DigestOf('a')});
  base::FakeClock clock;
  ImageWaitOptions options;
  options.timeout = 0ms;
  options.clock = &clock;
  auto pinned = WaitForImages({Target("web", "t-web")}, registry, options);
  ASSERT_FALSE(pinned.ok());
  EXPECT_EQ(pinned.status().kind(), base::ErrorKind::kNotFound);
  EXPECT_EQ(registry.Calls("t-web"), 1);
}

TEST(WaitForImages, TransientErrorsAreRetriedAndReportedAtTheDeadline) {
  FakeRegistry registry;
  registry.Add("t-web", {3, DigestOf('a'), base::ErrorKind::kTransient});
  base::FakeClock clock;
  ImageWaitOptions options;
  options.timeout = 10min;
  options.poll_interval = 10s;
  options.clock = &clock;
  auto pinned = WaitForImages({Target("web", "t-web")}, registry, options);
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();

  registry.Add("t-down", {1'000, DigestOf('c'), base::ErrorKind::kThrottled});
  options.timeout = 30s;
  auto down = WaitForImages({Target("web", "t-down")}, registry, options);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().kind(), base::ErrorKind::kThrottled);
  EXPECT_NE(down.status().message().find("last registry error"), std::string::npos);
}

TEST(WaitForImages, InvalidAnswerEndsTheWaitAtOnce) {
  FakeRegistry registry;
  registry.Add("t-web", {5, DigestOf('a'), base::ErrorKind::kInvalid});
  base::FakeClock clock;
  const auto start = clock.SteadyNow();
  ImageWaitOptions options;
  options.clock = &clock;
  auto pinned = WaitForImages({Target("web", "t-web")}, registry, options);
  ASSERT_FALSE(pinned.ok());
  EXPECT_EQ(pinned.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(clock.SteadyNow(), start);
}

TEST(WaitForImages, InterruptEndsTheWait) {
  FakeRegistry registry;
  registry.Add("t-web", {1'000'000, DigestOf('a')});
  std::atomic<bool> interrupted{false};
  ImageWaitOptions options;
  options.timeout = 1h;
  options.poll_interval = 50ms;
  options.interrupted = &interrupted;  // the real clock: a newer commit arrives meanwhile
  std::thread newer_commit([&] {
    std::this_thread::sleep_for(200ms);
    interrupted = true;
  });
  const auto start = std::chrono::steady_clock::now();
  auto pinned = WaitForImages({Target("web", "t-web")}, registry, options);
  newer_commit.join();
  ASSERT_FALSE(pinned.ok());
  EXPECT_EQ(pinned.status().kind(), base::ErrorKind::kTransient);
  EXPECT_NE(pinned.status().message().find("interrupted"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

// PlanImages and CheckImages over a project loaded from a real repository's checkout.
TEST(PlanImages, ReferencesForServicesWithBuild) {
  testing::GitRepo repo;
  repo.Write("compose.yaml", R"(name: Shop
services:
  web:
    build: ./web
  Api_Server:
    build:
      context: ./api
  db:
    image: postgres:16
)");
  repo.Write("web/Dockerfile", "FROM busybox\n");
  repo.Write("api/Dockerfile", "FROM alpine\n");
  const std::string commit = repo.Commit("images");
  compose::DiskFileReader reader;
  compose::LoadOptions load;
  load.files = {repo.path() + "/compose.yaml"};
  load.project_name = "shop";
  auto project = compose::Load(load, reader);
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  auto objects = OpenGitObjects(repo.path(), commit);
  ASSERT_TRUE(objects.ok());

  ImagePlanOptions options;
  options.registry = EcrRegistryHost("123456789012", "eu-west-1");
  options.repository_root = repo.path();
  options.repositories = {{"web", "team/storefront"}};
  auto targets = PlanImages(*project, options, *objects);
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  ASSERT_EQ(targets->size(), 2u) << "db runs its image: nothing to push";
  const ImageTarget& api = (*targets)[0];
  const ImageTarget& web = (*targets)[1];
  EXPECT_EQ(api.service, "Api_Server");
  EXPECT_EQ(api.reference.ToString(),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api_server:" + api.inputs.Tag());
  EXPECT_EQ(web.reference.ToString(),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/storefront:" + web.inputs.Tag());
  EXPECT_EQ(web.inputs.context, "web");
  EXPECT_NE(api.reference.tag, web.reference.tag) << "different context contents";

  FakeRegistry registry;
  registry.Add(web.reference.tag, {0, DigestOf('e')});
  auto statuses = CheckImages(*targets, registry);
  ASSERT_TRUE(statuses.ok());
  ASSERT_EQ(statuses->size(), 2u);
  EXPECT_FALSE((*statuses)[0].present());
  EXPECT_TRUE((*statuses)[1].present());
  EXPECT_EQ((*statuses)[1].digest, DigestOf('e'));

  options.repositories = {{"web", "Team/Storefront"}};
  auto bad_override = PlanImages(*project, options, *objects);
  ASSERT_FALSE(bad_override.ok());
  EXPECT_EQ(bad_override.status().kind(), base::ErrorKind::kInvalid);
  options.repositories.clear();
  options.registry = "https://registry.example.com";
  EXPECT_EQ(PlanImages(*project, options, *objects).status().kind(), base::ErrorKind::kInvalid);
}

}  // namespace
}  // namespace ecsync::artifacts
