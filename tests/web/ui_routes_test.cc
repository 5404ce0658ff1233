// The status UI's routes without a browser: escaping, key decoding, the page shell and its
// security headers, and the event format.

#include "web/ui_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "web/ui_assets.h"

namespace ecsync::web {
namespace {

std::string HeaderOf(const server::Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(HtmlEscape, EscapesMarkupAndReplacesBadUtf8) {
  EXPECT_EQ(HtmlEscape("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(HtmlEscape("a&b \"q\" 'p'"), "a&amp;b &quot;q&quot; &#39;p&#39;");
  EXPECT_EQ(HtmlEscape("web\xff"), "web\xEF\xBF\xBD");
}

TEST(ProjectKeyFromPath, DecodesTheKeyWithOrWithoutAnEncodedSlash) {
  EXPECT_EQ(
      ProjectKeyFromPath("/api/v1/projects/shop%2Fweb/details", "/api/v1/projects/", "/details"),
      "shop/web");
  EXPECT_EQ(ProjectKeyFromPath("/projects/shop/web", "/projects/", ""), "shop/web");
  EXPECT_EQ(ProjectKeyFromPath("/projects/a%20b%2Fc", "/projects/", ""), "a b/c");
  EXPECT_FALSE(ProjectKeyFromPath("/projects/", "/projects/", ""));
  EXPECT_FALSE(ProjectKeyFromPath("/projects/bad%2", "/projects/", ""));
  EXPECT_FALSE(ProjectKeyFromPath("/projects/nul%00", "/projects/", ""));
  EXPECT_FALSE(ProjectKeyFromPath("/projects/x%zz", "/projects/", ""));
  EXPECT_FALSE(ProjectKeyFromPath("/api/v1/projects/x/reconcile", "/api/v1/projects/", "/details"));
}

TEST(UiResponse, TheShellHoldsNoDataButTheEscapedVersion) {
  auto page = UiResponse("/", "1.0 <script>");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("1.0 &lt;script&gt;"), std::string::npos);
  EXPECT_EQ(page->body.find("{{version}}"), std::string::npos);
  // No inline script or style: the policy forbids them, and the page has none.
  EXPECT_NE(page->body.find("<script src=\"/ui/app.js\" defer></script>"), std::string::npos);
  EXPECT_EQ(page->body.find("<style"), std::string::npos);
  EXPECT_EQ(page->body.find("style="), std::string::npos);
  const std::string policy = HeaderOf(*page, "Content-Security-Policy");
  EXPECT_NE(policy.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(HeaderOf(*page, "X-Content-Type-Options"), "nosniff");

  auto project = UiResponse("/projects/shop%2Fweb", "1.0");
  ASSERT_TRUE(project);
  EXPECT_EQ(project->body, UiResponse("/", "1.0")->body);
}

TEST(UiResponse, ServesTheScriptAndStyleSheetWithTheirTypes) {
  auto script = UiResponse("/ui/app.js", "");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script->body, std::string(*UiFile("app.js")));
  auto style = UiResponse("/ui/app.css", "");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
  EXPECT_FALSE(UiResponse("/ui/other.js", ""));
  EXPECT_FALSE(UiResponse("/favicon.ico", ""));
}

TEST(UiAssets, TheScriptNeverParsesServerTextAsHtml) {
  const std::string script(*UiFile("app.js"));
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                           "eval(", "new Function"}) {
    EXPECT_EQ(script.find(sink), std::string::npos) << sink;
  }
}

TEST(StatusEvent, IsOneDataLineWithoutTheBulkyFields) {
  nlohmann::ordered_json project = {{"key", "shop/web"},
                                    {"condition", {{"type", "Ready"}, {"reason", "a\nb"}}},
                                    {"lastChanges", nlohmann::ordered_json::array()},
                                    {"lastTemplateDiff", {"~ x"}}};
  const std::string event = StatusEvent(7, "shop/web", project);
  ASSERT_TRUE(event.starts_with("data: "));
  ASSERT_TRUE(event.ends_with("\n\n"));
  const std::string data = event.substr(6, event.size() - 8);
  EXPECT_EQ(data.find('\n'), std::string::npos);
  const auto doc = nlohmann::json::parse(data);
  EXPECT_EQ(doc["version"], 7);
  EXPECT_EQ(doc["project"]["condition"]["reason"], "a\nb");
  EXPECT_FALSE(doc["project"].contains("lastTemplateDiff"));
  EXPECT_TRUE(
      nlohmann::json::parse(StatusEvent(8, "gone", std::nullopt).substr(6))["project"].is_null());
}

// A repository's change carries its row, so the overview need not fetch the whole list.
TEST(RepositoryEvent, CarriesTheRepositorysRowOrNullWhenGone) {
  const nlohmann::ordered_json row = {{"name", "shop"}, {"lastFetchedCommit", "abc"}};
  const std::string event = RepositoryEvent(9, "shop", row);
  ASSERT_TRUE(event.starts_with("data: "));
  ASSERT_TRUE(event.ends_with("\n\n"));
  const auto doc = nlohmann::json::parse(event.substr(6));
  EXPECT_EQ(doc["version"], 9);
  EXPECT_EQ(doc["key"], "");
  EXPECT_TRUE(doc["project"].is_null());
  EXPECT_EQ(doc["repository"], "shop");
  EXPECT_EQ(doc["repositoryStatus"]["lastFetchedCommit"], "abc");
  const auto gone = nlohmann::json::parse(RepositoryEvent(10, "old", std::nullopt).substr(6));
  EXPECT_EQ(gone["repository"], "old");
  EXPECT_TRUE(gone["repositoryStatus"].is_null());
}

}  // namespace
}  // namespace ecsync::web
