// The status UI in headless Chromium against a real controller: moto as AWS, a real git
// repository polled for commits, the real operator API with configured tokens.
// tests/web/ui_browser.py drives the browser (the DevTools protocol over a pipe): the
// overview and project pages, a deploy arriving live, the operator buttons with an unknown, a
// read-only and an operate token, and repository text (a service named like an <img> tag, a
// commit message holding <script>) rendered as text. The screenshots land in the build
// folder (ui-screenshots/).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/web/served_controller.h"

namespace ecsync::testing {
namespace {

// The tokens ui_browser.py types in.
constexpr char kOperateToken[] = "operate-token";
constexpr char kReadToken[] = "read-token";

std::string Chromium() {
  if (const char* path = std::getenv("ECSYNC_CHROMIUM")) return path;
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

TEST(UiBrowser, OverviewProjectPageLiveUpdatesButtonsAndEscaping) {
  const std::string chromium = Chromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium; scripts/setup.sh)";
  }
  GitRepo repo;
  repo.Write("compose.yaml", "services:\n  web:\n    image: nginx:1.27-alpine\n");
  repo.Write("bad/compose.yaml",
             "services:\n  \"<img src=x onerror=alert(1)>\":\n    image: nginx:1.27-alpine\n");
  repo.Commit("first <script>alert(1)</script>");

  web::HttpServer::Options options;
  options.version = "test <b>1</b>";
  // Reads stay open (the pages load without a token); actions need the operate token.
  options.api = OperatorTokens(kOperateToken, kReadToken, /*open_reads=*/true);
  ServedController served(
      ShopConfig(repo.url(), {Project("web", "compose.yaml"), Project("bad", "bad/compose.yaml")}),
      options);
  ASSERT_TRUE(served.ok()) << served.error();
  controller::ProjectStatus status;
  ASSERT_TRUE(served.WaitFor("shop/web", controller::Condition::kReady, std::chrono::seconds(120),
                             &status));

  // Beside the test binary: the build folder, however the test is started.
  const std::string shots =
      std::filesystem::read_symlink("/proc/self/exe").parent_path().string() + "/ui-screenshots";
  CommandResult run = RunCommand(
      {"python3", SourceDir() + "/tests/web/ui_browser.py", chromium,
       "http://127.0.0.1:" + std::to_string(served.server().admin_port()), repo.path(), shots});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  // The API saw each press: refused for the unknown and the read-only token, then accepted.
  const std::string metrics = served.metrics().Serialize();
  for (const char* result : {"unauthorized", "forbidden", "accepted"}) {
    EXPECT_NE(
        metrics.find(std::string(R"(ecsync_operator_actions_total{action="reconcile",result=")") +
                     result + "\"} 1"),
        std::string::npos)
        << result << "\n"
        << metrics;
  }
  for (const char* shot :
       {"overview-desktop.png", "overview-phone.png", "project-desktop.png", "project-phone.png"}) {
    EXPECT_TRUE(std::filesystem::exists(shots + "/" + shot)) << shot;
  }
}

}  // namespace
}  // namespace ecsync::testing
