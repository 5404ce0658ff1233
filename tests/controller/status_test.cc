// The status API's JSON and the status page (controller/status.h) stay valid UTF-8 whatever
// bytes git, compose files or AWS put in names and error messages.

#include "controller/status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/utf8.h"

namespace ecsync::controller {
namespace {

constexpr char kBadKey[] = "web\xff";
constexpr char kCut[] = "service \xE2\x82";  // a three-byte character cut after two bytes

void Fill(StatusStore& store) {
  store.UpdateRepository("shop", [](RepositoryStatus& r) {
    r.url = "https://example.com/shop.git";
    r.last_error = std::string("fetch failed: ") + kCut;
  });
  store.UpdateProject(std::string("shop/") + kBadKey, [](ProjectStatus& p) {
    p.repository = "shop";
    p.name = kBadKey;
    p.condition = Condition::kStalled;
    p.reason = std::string("compose.yaml:3: services.") + kBadKey + ": unknown key";
  });
  RunRecord run;
  run.action = "none";
  run.result = "error";
  run.message = kCut;
  store.AddRun(std::string("shop/") + kBadKey, run);
}

TEST(StatusJson, NonUtf8NamesAndErrorsAreReplacedNotFatal) {
  StatusStore store;
  Fill(store);
  std::string text;
  ASSERT_NO_THROW(text = store.ToJson().dump(2));
  EXPECT_TRUE(base::IsValidUtf8(text));
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["projects"][0]["name"], "web\xEF\xBF\xBD");
  EXPECT_EQ(doc["projects"][0]["condition"]["reason"],
            "compose.yaml:3: services.web\xEF\xBF\xBD: unknown key");
  EXPECT_EQ(doc["repositories"][0]["lastError"], "fetch failed: service \xEF\xBF\xBD");
  EXPECT_EQ(doc["projects"][0]["runs"][0]["message"], "service \xEF\xBF\xBD");
}

TEST(StatusPage, NonUtf8TextIsReplaced) {
  StatusStore store;
  Fill(store);
  const std::string html = RenderStatusPage(store, "1.0");
  EXPECT_TRUE(base::IsValidUtf8(html));
  EXPECT_NE(html.find("web\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace ecsync::controller
